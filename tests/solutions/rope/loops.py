import math

import numpy as np


def rope(x, positions=None, base=10000.0):
    x = np.asarray(x, dtype=np.float64)
    T, D = x.shape[-2], x.shape[-1]
    flat = x.reshape(-1, T, D)
    out = np.zeros_like(flat)
    for t in range(T):
        m = t if positions is None else float(positions[t])
        for i in range(D // 2):
            angle = m * base ** (-2 * i / D)
            c, s = math.cos(angle), math.sin(angle)
            for b in range(flat.shape[0]):
                a, bb = flat[b, t, 2 * i], flat[b, t, 2 * i + 1]
                out[b, t, 2 * i] = a * c - bb * s
                out[b, t, 2 * i + 1] = a * s + bb * c
    return out.reshape(x.shape)
