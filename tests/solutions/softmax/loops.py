import math

import numpy as np


def softmax(x, axis=-1):
    moved = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty(rows.shape)
    for r, row in enumerate(rows):
        top = max(float(v) for v in row)
        exps = [math.exp(float(v) - top) for v in row]
        total = sum(exps)
        for c, value in enumerate(exps):
            out[r, c] = value / total
    return np.moveaxis(out.reshape(moved.shape), -1, axis)
