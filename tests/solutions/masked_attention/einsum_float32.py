import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def masked_attention(Q, K, V, mask, scale=None):
    # Works in the inputs' own float precision (float32 stays float32).
    Q, K, V = (np.asarray(a) * 1.0 for a in (Q, K, V))
    scale = 1.0 / np.sqrt(K.shape[-1]) if scale is None else scale
    scores = np.einsum("...td,...sd->...ts", Q, K) * scale
    scores = np.where(np.asarray(mask) < -1e8, -np.inf, scores)  # blocked entries only
    return np.einsum("...ts,...sv->...tv", softmax(scores), V)
