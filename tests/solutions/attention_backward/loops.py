import math

import numpy as np


def attention_backward(Q, K, V, dO, mask=None):
    # explicit sums over every index, one query row at a time
    T, S, d_k, d_v = len(Q), len(K), len(Q[0]), len(V[0])
    c = 1.0 / math.sqrt(d_k)
    dQ, dK, dV = np.zeros((T, d_k)), np.zeros((S, d_k)), np.zeros((S, d_v))
    for i in range(T):
        keys = [j for j in range(S) if mask is None or mask[i][j]]
        s = {j: c * sum(float(Q[i][a]) * float(K[j][a]) for a in range(d_k)) for j in keys}
        top = max(s.values())
        e = {j: math.exp(s[j] - top) for j in keys}
        z = sum(e.values())
        p = {j: e[j] / z for j in keys}
        dp = {j: sum(float(dO[i][b]) * float(V[j][b]) for b in range(d_v)) for j in keys}
        mean = sum(p[j] * dp[j] for j in keys)
        for j in keys:
            ds = p[j] * (dp[j] - mean)
            for a in range(d_k):
                dQ[i, a] += ds * c * float(K[j][a])
                dK[j, a] += ds * c * float(Q[i][a])
            for b in range(d_v):
                dV[j, b] += p[j] * float(dO[i][b])
    return dQ, dK, dV
