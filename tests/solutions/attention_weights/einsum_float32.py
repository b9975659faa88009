import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None, scale=None, return_weights=True):
    """einsum over any leading axes; stays in float32 for float32 inputs."""
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = np.einsum("...td,...sd->...ts", q, k) * np.asarray(scale, dtype=q.dtype)
    if mask is not None:
        scores = scores + mask.astype(scores.dtype)
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= np.sum(weights, axis=-1, keepdims=True)
    output = np.einsum("...ts,...sv->...tv", weights, v)
    return (output, weights) if return_weights else output
