import math

import numpy as np


def _softmax(row):
    top = max(row)
    e = [math.exp(x - top) if x != -math.inf else 0.0 for x in row]
    total = sum(e)
    return [x / total for x in e]


def cross_attention(x_dec, enc, params, num_heads, key_padding_mask=None):
    B, T, E = np.shape(x_dec)
    S = np.shape(enc)[1]
    Dh = E // num_heads
    W = {name: np.asarray(value, dtype=float) for name, value in params.items()}
    y = np.zeros((B, T, E))
    for b in range(B):
        xd, xe = np.asarray(x_dec[b], dtype=float), np.asarray(enc[b], dtype=float)
        Q = xd.dot(W["W_q"]) + W["b_q"]
        K = xe.dot(W["W_k"]) + W["b_k"]
        V = xe.dot(W["W_v"]) + W["b_v"]
        merged = np.zeros((T, E))
        for h in range(num_heads):
            cols = slice(h * Dh, (h + 1) * Dh)
            for t in range(T):
                row = []
                for s in range(S):
                    if key_padding_mask is not None and not key_padding_mask[b][s]:
                        row.append(-math.inf)
                    else:
                        row.append(float(np.dot(Q[t, cols], K[s, cols])) / math.sqrt(Dh))
                for s, w in enumerate(_softmax(row)):
                    merged[t, cols] += w * V[s, cols]
        y[b] = merged.dot(W["W_o"]) + W["b_o"]
    return y
