import numpy as np


def rope(x, positions=None, base=10000.0):
    # one 2x2 rotation matrix per (position, pair), applied with einsum
    x = np.asarray(x)
    T, D = x.shape[-2:]
    pos = np.arange(T, dtype=float) if positions is None else np.asarray(positions, dtype=float)
    theta = 1.0 / base ** (np.arange(0, D, 2) / D)
    ang = np.einsum("t,p->tp", pos, theta)
    c, s = np.cos(ang), np.sin(ang)
    R = np.stack([np.stack([c, -s], axis=-1), np.stack([s, c], axis=-1)], axis=-2)  # (T, D/2, 2, 2)
    pairs = x.reshape(*x.shape[:-1], D // 2, 2)
    return np.einsum("tpij,...tpj->...tpi", R, pairs).reshape(x.shape)
