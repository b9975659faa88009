import math

import numpy as np


def multi_head_attention(x, params, num_heads, kv=None, attn_mask=None, key_padding_mask=None,
                         need_weights=False):
    x = np.asarray(x, dtype=float)
    kv = x if kv is None else np.asarray(kv, dtype=float)
    B, T, E = x.shape
    S = kv.shape[1]
    Dh = E // num_heads
    q = x @ params["W_q"] + params["b_q"]
    k = kv @ params["W_k"] + params["b_k"]
    v = kv @ params["W_v"] + params["b_v"]
    mask = None if attn_mask is None else np.asarray(attn_mask)
    concat = np.zeros((B, T, E))
    avg = np.zeros((B, T, S))
    for b in range(B):
        m = None if mask is None else (mask[b, 0] if mask.ndim == 4 else mask)
        for h in range(num_heads):
            cols = slice(h * Dh, (h + 1) * Dh)
            for i in range(T):
                scores = []
                for j in range(S):
                    blocked = key_padding_mask is not None and not key_padding_mask[b][j]
                    score = float(np.dot(q[b, i, cols], k[b, j, cols])) / math.sqrt(Dh)
                    if m is not None:
                        if m.dtype == bool:
                            blocked = blocked or not m[i, j]
                        else:
                            score += float(m[i, j])
                    scores.append(-math.inf if blocked else score)
                top = max(scores)
                e = [0.0 if s == -math.inf else math.exp(s - top) for s in scores]
                total = sum(e)
                for j in range(S):
                    p = e[j] / total
                    concat[b, i, cols] += p * v[b, j, cols]
                    avg[b, i, j] += p / num_heads
    y = concat @ params["W_o"] + params["b_o"]
    return y, (avg if need_weights else None)
