import numpy as np


def split_heads(x, num_heads):
    *lead, E = x.shape
    Dh, rest = divmod(E, num_heads)
    if rest:
        raise ValueError(f"{E} features cannot be split into {num_heads} equal heads")
    return np.swapaxes(np.reshape(x, (*lead, num_heads, Dh)), -2, -3)


def merge_heads(xh):
    x = np.swapaxes(xh, -2, -3)
    return np.reshape(x, x.shape[:-2] + (-1,))
