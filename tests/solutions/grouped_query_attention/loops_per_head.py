import numpy as np


def grouped_query_attention(x, params, num_heads, num_kv_heads, mask=None):
    x = np.array(x, dtype=np.float64)
    B, T, E = x.shape
    Dh = E // num_heads
    out = np.zeros((B, T, E))
    for b in range(B):
        Q = np.matmul(x[b], params["W_q"]) + params["b_q"]
        K = np.matmul(x[b], params["W_k"]) + params["b_k"]
        V = np.matmul(x[b], params["W_v"]) + params["b_v"]
        for h in range(num_heads):
            g = h * num_kv_heads // num_heads
            qh = Q[:, h * Dh:(h + 1) * Dh]
            kh = K[:, g * Dh:(g + 1) * Dh]
            vh = V[:, g * Dh:(g + 1) * Dh]
            s = np.matmul(qh, kh.T) / Dh ** 0.5
            if mask is not None:
                s = s + (1.0 - np.asarray(mask, dtype=float)) * -1e9
            w = np.exp(s - np.max(s, axis=1, keepdims=True))
            w = w / np.sum(w, axis=1, keepdims=True)
            out[b, :, h * Dh:(h + 1) * Dh] = np.matmul(w, vh)
    return np.matmul(out, params["W_o"]) + params["b_o"]
