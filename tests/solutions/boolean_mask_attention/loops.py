import math

import numpy as np


def attention(Q, K, V, mask=None):
    T, d_k, d_v = len(Q), len(K[0]), len(V[0])
    out = np.zeros((T, d_v))
    for i in range(T):
        scores = []
        for j in range(len(K)):
            s = sum(float(Q[i][c]) * float(K[j][c]) for c in range(d_k)) / math.sqrt(d_k)
            if mask is not None and not mask[i][j]:
                s = -1e9
            scores.append(s)
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        for j in range(len(V)):
            for c in range(d_v):
                out[i, c] += weights[j] / total * float(V[j][c])
    return out
