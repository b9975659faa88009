import numpy as np


def causal_mask(T, S=None):
    if S is None:
        S = T
    rows = [[j <= i for j in range(S)] for i in range(T)]
    return np.array(rows, dtype=bool)


def additive_causal_mask(T):
    return np.array([[0.0 if j <= i else float("-inf") for j in range(T)] for i in range(T)])
