# One sequence only: a (B, H, T, D) shape does not unpack into two names.
import numpy as np


def rope(x, positions=None, base=10000.0):
    x = np.asarray(x, dtype=np.float64)
    T, D = x.shape
    if positions is None:
        positions = np.arange(T)
    theta = base ** (-np.arange(0, D, 2) / D)
    angles = np.outer(positions, theta)
    out = np.empty_like(x)
    out[..., 0::2] = x[..., 0::2] * np.cos(angles) - x[..., 1::2] * np.sin(angles)
    out[..., 1::2] = x[..., 0::2] * np.sin(angles) + x[..., 1::2] * np.cos(angles)
    return out
