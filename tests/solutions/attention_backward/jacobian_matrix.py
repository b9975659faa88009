import numpy as np


def attention_backward(Q, K, V, dO, mask=None):
    # the full softmax Jacobian diag(p) - p p^T per row, applied with matmul
    Q, K, V, dO = (np.asarray(a, dtype=np.float64) for a in (Q, K, V, dO))
    d_k = K.shape[1]
    S = np.matmul(Q, K.T) / np.sqrt(d_k)
    if mask is not None:
        S[~np.asarray(mask, dtype=bool)] = -np.inf
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P = P / P.sum(axis=1, keepdims=True)
    dP = np.matmul(dO, V.T)
    jac = np.stack([np.diag(p) - np.outer(p, p) for p in P])     # (T, S, S)
    dS = np.matmul(jac, dP[:, :, None])[:, :, 0]
    return np.matmul(dS, K) / np.sqrt(d_k), np.matmul(dS.T, Q) / np.sqrt(d_k), np.matmul(P.T, dO)
