import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def self_attention(Q, K, V, scale=None):
    scale = 1.0 / np.sqrt(K.shape[-1]) if scale is None else scale
    scores = np.einsum("td,sd->ts", Q, K) * scale
    return np.einsum("ts,sv->tv", softmax(scores), V)
