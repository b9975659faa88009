import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def attention(Q, K, V, mask=None, scale=None, blocked=-np.inf):
    """Stays in the input dtype; turns the boolean mask into an additive one."""
    scale = 1.0 / np.sqrt(K.shape[-1]) if scale is None else scale
    scores = np.einsum("td,sd->ts", Q, K) * np.asarray(scale, dtype=Q.dtype)
    if mask is not None:
        scores = scores + np.where(mask, 0.0, blocked).astype(scores.dtype)
    return np.einsum("ts,sv->tv", softmax(scores), V)
