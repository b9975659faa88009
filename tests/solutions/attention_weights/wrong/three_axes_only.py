# Batches of one leading axis only: transpose(0, 2, 1) names three axes.
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    if k.ndim == 2:
        kt = k.T
    else:
        kt = k.transpose(0, 2, 1)
    scores = q @ kt / np.sqrt(k.shape[-1])
    if mask is not None:
        scores = scores + mask
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ v, weights
