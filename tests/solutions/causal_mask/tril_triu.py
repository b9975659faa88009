import numpy as np


def causal_mask(T, S=None, *, dtype=bool):
    S = T if S is None else S
    return np.tril(np.ones((T, S), dtype=dtype))


def additive_causal_mask(T, S=None):
    S = T if S is None else S
    return np.triu(np.full((T, S), -np.inf), k=1)
