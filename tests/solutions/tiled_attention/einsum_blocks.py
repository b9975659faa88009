import numpy as np


def tiled_attention(Q, K, V, block_size, scale=None):
    Q = np.asarray(Q, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    scale = K.shape[-1] ** -0.5 if scale is None else scale
    edges = list(range(block_size, K.shape[0], block_size))
    running_max = running_sum = numerator = None
    for K_blk, V_blk in zip(np.split(K, edges), np.split(V, edges)):
        s = np.einsum("td,sd->ts", Q, K_blk) * scale
        blk_max = s.max(axis=-1, keepdims=True)
        if running_max is None:
            new_max = blk_max
            p = np.exp(s - new_max)
            running_sum = p.sum(axis=-1, keepdims=True)
            numerator = np.einsum("ts,sv->tv", p, V_blk)
        else:
            new_max = np.maximum(running_max, blk_max)
            p = np.exp(s - new_max)
            c = np.exp(running_max - new_max)
            running_sum = c * running_sum + p.sum(axis=-1, keepdims=True)
            numerator = c * numerator + np.einsum("ts,sv->tv", p, V_blk)
        running_max = new_max
    return numerator / running_sum
