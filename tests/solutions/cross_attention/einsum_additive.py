import numpy as np


def cross_attention(x_dec, enc, params, num_heads, key_padding_mask=None, dropout=0.0):
    B, T, E = x_dec.shape
    S = enc.shape[1]
    H, Dh = num_heads, E // num_heads
    q = (np.einsum("bte,ef->btf", x_dec, params["W_q"]) + params["b_q"]).reshape(B, T, H, Dh)
    k = (np.einsum("bse,ef->bsf", enc, params["W_k"]) + params["b_k"]).reshape(B, S, H, Dh)
    v = (np.einsum("bse,ef->bsf", enc, params["W_v"]) + params["b_v"]).reshape(B, S, H, Dh)
    scores = np.einsum("bthd,bshd->bhts", q, k) / np.sqrt(Dh)
    if key_padding_mask is not None:
        additive = np.where(key_padding_mask, 0.0, -1e9)  # (B, S)
        scores = scores + additive[:, None, None, :]
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= np.sum(weights, axis=-1, keepdims=True)
    out = np.einsum("bhts,bshd->bthd", weights, v).reshape(B, T, E)
    return np.einsum("bte,ef->btf", out, params["W_o"]) + params["b_o"]
