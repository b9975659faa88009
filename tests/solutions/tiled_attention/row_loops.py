import math

import numpy as np


def tiled_attention(Q, K, V, block_size):
    """One query at a time, one block at a time, with plain Python scalars for the statistics."""
    T, S = len(Q), len(K)
    d_k = len(K[0])
    out = np.zeros((T, len(V[0])))
    for i in range(T):
        q = np.asarray(Q[i], dtype=float)
        m, l = -math.inf, 0.0
        acc = np.zeros(len(V[0]))
        start = 0
        while start < S:
            block = range(start, min(start + block_size, S))
            scores = [float(np.dot(q, np.asarray(K[j], dtype=float))) / math.sqrt(d_k) for j in block]
            m_new = max(m, max(scores))
            correction = math.exp(m - m_new) if m != -math.inf else 0.0
            l *= correction
            acc *= correction
            for j, s in zip(block, scores):
                e = math.exp(s - m_new)
                l += e
                acc += e * np.asarray(V[j], dtype=float)
            m = m_new
            start += block_size
        out[i] = acc / l
    return out
