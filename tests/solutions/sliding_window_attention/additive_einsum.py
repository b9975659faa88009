import numpy as np


def sliding_window_mask(T, w):
    # lower triangle minus everything w or more steps below the diagonal
    return np.tri(T, dtype=bool) & ~np.tri(T, k=-w, dtype=bool)


def sliding_window_attention(Q, K, V, w, scale=None, neg=-1e9):
    scale = 1.0 / np.sqrt(K.shape[-1]) if scale is None else scale
    additive = np.where(sliding_window_mask(Q.shape[0], w), 0.0, neg).astype(Q.dtype)
    scores = np.einsum("td,sd->ts", Q, K) * scale + additive
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores)
    return np.einsum("ts,sv->tv", e / e.sum(axis=-1, keepdims=True), V)
