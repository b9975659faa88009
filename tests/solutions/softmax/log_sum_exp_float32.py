import numpy as np


def softmax(x, axis=-1, temperature=1.0):
    """Keeps float32 input in float32; goes through the log-sum-exp."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    x = x / x.dtype.type(temperature)
    m = np.max(x, axis=axis, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.exp(x - lse)
