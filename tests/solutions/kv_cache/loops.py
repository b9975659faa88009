import math

import numpy as np


def decode_step(x_t, params, num_heads, cache=None):
    x_t = np.asarray(x_t, dtype=float)
    B, E = x_t.shape
    Dh = E // num_heads
    L = 0 if cache is None else cache["k"].shape[2]
    new_k = np.zeros((B, num_heads, L + 1, Dh))
    new_v = np.zeros((B, num_heads, L + 1, Dh))
    if cache is not None:
        new_k[:, :, :L] = cache["k"]
        new_v[:, :, :L] = cache["v"]
    y = np.zeros((B, E))
    for b in range(B):
        q = x_t[b].dot(params["W_q"]) + params["b_q"]
        k = x_t[b].dot(params["W_k"]) + params["b_k"]
        v = x_t[b].dot(params["W_v"]) + params["b_v"]
        o = np.zeros(E)
        for h in range(num_heads):
            cols = slice(h * Dh, (h + 1) * Dh)
            new_k[b, h, L] = k[cols]
            new_v[b, h, L] = v[cols]
            scores = [float(q[cols].dot(new_k[b, h, j])) / math.sqrt(Dh) for j in range(L + 1)]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            for j in range(L + 1):
                o[cols] += weights[j] / total * new_v[b, h, j]
        y[b] = o.dot(params["W_o"]) + params["b_o"]
    return y, {"k": new_k, "v": new_v}
