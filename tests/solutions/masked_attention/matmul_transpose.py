import numpy as np


def masked_attention(Q, K, V, mask, *, eps=0.0):
    single = np.ndim(Q) == 2
    Q, K, V = (np.array(a, dtype=np.float64, ndmin=3) for a in (Q, K, V))  # (T, d) -> (1, T, d)
    mask = np.array(mask, dtype=np.float64)
    scores = np.matmul(Q, K.transpose(0, 2, 1)) / np.sqrt(K.shape[2]) + mask
    weights = np.exp(scores - np.amax(scores, axis=2, keepdims=True))
    weights /= weights.sum(axis=2, keepdims=True) + eps
    out = np.matmul(weights, V)
    return out[0] if single else out
