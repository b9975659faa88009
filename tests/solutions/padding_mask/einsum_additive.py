import numpy as np


def padding_mask(lengths, S):
    return np.less.outer(np.arange(S), np.asarray(lengths)).T


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def attention_with_padding(Q, K, V, key_padding_mask, scale=None, neg=-1e9):
    # Additive mask, computed in the inputs' own float precision.
    scale = 1.0 / np.sqrt(K.shape[-1]) if scale is None else scale
    additive = np.where(key_padding_mask, 0.0, neg).astype(Q.dtype)
    scores = np.einsum("btd,bsd->bts", Q, K) * scale + additive[:, np.newaxis, :]
    return np.einsum("bts,bsv->btv", softmax(scores), V)
