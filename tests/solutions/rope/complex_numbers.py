import numpy as np


def rope(x, positions=None, base=10000.0, dtype=None):
    # each interleaved pair (x[2i], x[2i+1]) is the complex number x[2i] + 1j * x[2i+1];
    # rotating it by an angle is multiplying by exp(1j * angle)
    x = np.asarray(x)
    T, D = x.shape[-2:]
    pos = np.arange(T) if positions is None else np.asarray(positions)
    freqs = np.power(float(base), -np.arange(D // 2) * 2.0 / D)
    z = x[..., ::2] + 1j * x[..., 1::2]
    z = z * np.exp(1j * np.outer(pos, freqs))
    return np.stack((z.real, z.imag), axis=-1).reshape(x.shape)
