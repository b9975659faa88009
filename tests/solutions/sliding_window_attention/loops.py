import math

import numpy as np


def sliding_window_mask(T, w):
    return np.array([[i - w < j <= i for j in range(T)] for i in range(T)], dtype=bool)


def sliding_window_attention(Q, K, V, w):
    T, d_k = len(Q), len(K[0])
    out = np.zeros((T, len(V[0])))
    for i in range(T):
        keys = range(max(0, i - w + 1), i + 1)
        scores = [sum(float(Q[i][c]) * float(K[j][c]) for c in range(d_k)) / math.sqrt(d_k) for j in keys]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        for j, weight in zip(keys, weights):
            out[i] += weight / total * np.asarray(V[j], dtype=float)
    return out
