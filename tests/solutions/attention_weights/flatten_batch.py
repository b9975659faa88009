import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    """Flattens the leading axes into one batch axis, works with 3-D arrays, then restores them."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    lead, (T, d_k), (S, d_v) = q.shape[:-2], q.shape[-2:], v.shape[-2:]
    q3, k3, v3 = q.reshape(-1, T, d_k), k.reshape(-1, S, d_k), v.reshape(-1, S, d_v)
    scores = np.matmul(q3, k3.transpose(0, 2, 1)) / np.sqrt(d_k)
    if mask is not None:
        scores = scores + np.broadcast_to(mask, lead + (T, S)).reshape(-1, T, S)
    weights = np.exp(scores - scores.max(axis=2, keepdims=True))
    weights = weights / weights.sum(axis=2, keepdims=True)
    output = np.matmul(weights, v3)
    return output.reshape(lead + (T, d_v)), weights.reshape(lead + (T, S))
