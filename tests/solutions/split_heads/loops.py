import numpy as np


def split_heads(x, num_heads):
    B, T, E = np.shape(x)
    if E % num_heads != 0:
        raise ValueError("num_heads must divide the embedding size")
    Dh = E // num_heads
    out = np.empty((B, num_heads, T, Dh), dtype=np.asarray(x).dtype)
    for b in range(B):
        for h in range(num_heads):
            for t in range(T):
                for d in range(Dh):
                    out[b, h, t, d] = x[b, t, h * Dh + d]
    return out


def merge_heads(xh):
    B, H, T, Dh = np.shape(xh)
    out = np.empty((B, T, H * Dh), dtype=np.asarray(xh).dtype)
    for b in range(B):
        for h in range(H):
            out[b, :, h * Dh:(h + 1) * Dh] = xh[b, h]
    return out
