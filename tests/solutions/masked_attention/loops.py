import math

import numpy as np


def _attend_one(Q, K, V, mask):
    T, d_k = Q.shape
    out = np.zeros((T, V.shape[1]))
    for i in range(T):
        scores = [float(Q[i] @ K[j]) / math.sqrt(d_k) + float(mask[i, j]) for j in range(K.shape[0])]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]  # exp(-inf) == 0.0
        total = sum(weights)
        for j, w in enumerate(weights):
            if w:
                out[i] += (w / total) * V[j]
    return out


def masked_attention(Q, K, V, mask):
    Q, K, V, mask = (np.asarray(a, dtype=float) for a in (Q, K, V, mask))
    if Q.ndim == 2:
        return _attend_one(Q, K, V, mask)
    masks = mask if mask.ndim == 3 else [mask] * Q.shape[0]
    return np.stack([_attend_one(q, k, v, m) for q, k, v, m in zip(Q, K, V, masks)])
