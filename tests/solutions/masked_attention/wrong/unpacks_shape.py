# One sequence only: a batch's shape has three values, not two.
import numpy as np


def masked_attention(Q, K, V, mask):
    seq_len, d_k = Q.shape
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k) + mask
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ V
