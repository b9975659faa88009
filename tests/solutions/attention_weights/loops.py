import math

import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    """Loops over the leading indices and the queries; plain-Python softmax."""
    q, k, v = np.asarray(q), np.asarray(k), np.asarray(v)
    lead, T, S = q.shape[:-2], q.shape[-2], k.shape[-2]
    full_mask = None if mask is None else np.broadcast_to(mask, lead + (T, S))
    output = np.zeros(lead + (T, v.shape[-1]))
    weights = np.zeros(lead + (T, S))
    for idx in np.ndindex(*lead):
        for i in range(T):
            row = [float(np.dot(q[idx][i], k[idx][j])) / math.sqrt(k.shape[-1]) for j in range(S)]
            if full_mask is not None:
                row = [s + float(full_mask[idx][i, j]) for j, s in enumerate(row)]
            top = max(row)
            exps = [math.exp(s - top) for s in row]
            total = sum(exps)
            for j in range(S):
                weights[idx][i, j] = exps[j] / total
                output[idx][i] += weights[idx][i, j] * v[idx][j]
    return output, weights
