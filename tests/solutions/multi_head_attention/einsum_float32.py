import numpy as np


def multi_head_attention(x, params, num_heads, kv=None, attn_mask=None, key_padding_mask=None,
                         need_weights=False, dropout=0.0, neg=-1e9):
    """Stays in the inputs' precision; masks become one additive (-1e9) bias."""
    kv = x if kv is None else kv
    B, T, E = x.shape
    H, Dh = num_heads, E // num_heads
    # View each projection as (E, H, Dh): head h owns columns h*Dh:(h+1)*Dh.
    W = {n: params["W_" + n].reshape(E, H, Dh) for n in "qkv"}
    b = {n: params["b_" + n].reshape(H, Dh) for n in "qkv"}
    q = np.einsum("bte,ehd->bhtd", x, W["q"]) + b["q"][None, :, None, :]
    k = np.einsum("bse,ehd->bhsd", kv, W["k"]) + b["k"][None, :, None, :]
    v = np.einsum("bse,ehd->bhsd", kv, W["v"]) + b["v"][None, :, None, :]
    scores = np.einsum("bhtd,bhsd->bhts", q, k) / np.sqrt(Dh)
    bias = np.zeros(scores.shape[-2:], dtype=scores.dtype)
    if attn_mask is not None:
        if np.asarray(attn_mask).dtype == np.bool_:
            bias = bias + np.where(attn_mask, 0.0, neg).astype(scores.dtype)
        else:
            bias = bias + np.maximum(attn_mask, neg).astype(scores.dtype)  # -inf -> -1e9
    if key_padding_mask is not None:
        bias = bias + np.where(key_padding_mask, 0.0, neg).astype(scores.dtype)[:, None, None, :]
    scores = scores + bias
    scores = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    out = np.einsum("bhts,bhsd->bthd", p, v).reshape(B, T, E)
    y = out @ params["W_o"] + params["b_o"]
    return (y, p.mean(axis=1)) if need_weights else (y, None)
