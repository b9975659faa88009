import numpy as np


def grouped_query_attention(x, params, num_heads, num_kv_heads, mask=None, scale=None):
    B, T, E = x.shape
    H, G = num_heads, num_kv_heads
    Dh, R = E // H, num_heads // num_kv_heads
    q = np.einsum("bte,ef->btf", x, params["W_q"]) + params["b_q"]
    k = np.einsum("bte,ef->btf", x, params["W_k"]) + params["b_k"]
    v = np.einsum("bte,ef->btf", x, params["W_v"]) + params["b_v"]
    q = q.reshape(B, T, G, R, Dh)  # query head h = g * R + r
    k = k.reshape(B, T, G, Dh)
    v = v.reshape(B, T, G, Dh)
    scale = 1.0 / np.sqrt(Dh) if scale is None else scale
    scores = np.einsum("btgrd,bsgd->bgrts", q, k) * scale
    if mask is not None:
        scores = scores + np.where(mask, 0.0, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out = np.einsum("bgrts,bsgd->btgrd", weights, v).reshape(B, T, E)
    return out @ params["W_o"] + params["b_o"]
