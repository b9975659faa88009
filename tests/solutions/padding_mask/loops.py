import math

import numpy as np


def padding_mask(lengths, S):
    rows = [[j < int(n) for j in range(S)] for n in lengths]
    return np.array(rows, dtype=bool).reshape(len(rows), S)


def attention_with_padding(Q, K, V, key_padding_mask):
    B, T, d_k = np.shape(Q)
    out = np.zeros((B, T, np.shape(V)[-1]))
    for b in range(B):
        real = [j for j in range(len(K[b])) if key_padding_mask[b][j]]
        for i in range(T):
            scores = [float(np.dot(Q[b][i], K[b][j])) / math.sqrt(d_k) for j in real]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            for w, j in zip(weights, real):
                out[b, i] += (w / total) * np.asarray(V[b][j], dtype=float)
    return out
