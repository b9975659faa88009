import numpy as np


def attention_backward(Q, K, V, dO, mask=None, scale=None, neg=-1e9):
    # einsum throughout, additive -1e9 mask, intermediate computed in the input dtype (the
    # gradients are returned as float64, as the statement asks)
    scale = K.shape[-1] ** -0.5 if scale is None else scale
    scores = np.einsum("tk,sk->ts", Q, K) * scale
    if mask is not None:
        scores = scores + np.where(mask, 0.0, neg)
    scores = scores - scores.max(axis=-1, keepdims=True)
    P = np.exp(scores)
    P /= P.sum(axis=-1, keepdims=True)
    O = np.einsum("ts,sv->tv", P, V)
    dV = np.einsum("ts,tv->sv", P, dO)
    dP = np.einsum("tv,sv->ts", dO, V)
    # sum_l P_tl dP_tl equals sum_v dO_tv O_tv
    dS = P * (dP - np.einsum("tv,tv->t", dO, O)[:, None])
    dQ = np.einsum("ts,sk->tk", dS, K) * scale
    dK = np.einsum("ts,tk->sk", dS, Q) * scale
    return tuple(g.astype(np.float64) for g in (dQ, dK, dV))
