import numpy as np


def decode_step(x_t, params, num_heads, cache=None, *, scale=None):
    x_t = np.asarray(x_t, dtype=np.float64)  # float32 inputs too: the statement asks for float64
    B, E = x_t.shape
    H, Dh = num_heads, E // num_heads
    proj = {n: np.einsum("be,ef->bf", x_t, params[f"W_{n}"]) + params[f"b_{n}"] for n in "qkv"}
    q, k, v = (proj[n].reshape(B, H, Dh) for n in "qkv")
    if cache is None:
        K, V = k[:, :, None, :], v[:, :, None, :]
    else:
        K = np.concatenate((cache["k"], k[:, :, None, :]), axis=2)
        V = np.concatenate((cache["v"], v[:, :, None, :]), axis=2)
    scale = Dh ** -0.5 if scale is None else scale
    scores = np.einsum("bhd,bhld->bhl", q, K) * scale
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out = np.einsum("bhl,bhld->bhd", weights, V).reshape(B, E)
    return np.einsum("be,ef->bf", out, params["W_o"]) + params["b_o"], {"k": K, "v": V}
