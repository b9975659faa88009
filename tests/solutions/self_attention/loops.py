import math

import numpy as np


def self_attention(Q, K, V):
    T, d_k = len(Q), len(K[0])
    out = np.zeros((T, len(V[0])))
    for i in range(T):
        scores = [sum(float(Q[i][c]) * float(K[j][c]) for c in range(d_k)) / math.sqrt(d_k)
                  for j in range(len(K))]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        for j, w in enumerate(weights):
            out[i] += (w / total) * np.asarray(V[j], dtype=float)
    return out
