import numpy as np

from judge import tolerance, as_float_array, assert_close, assert_dtype, assert_shape, assert_inputs_unchanged, assert_true


def band(low, high):
    """[low, high] widened by the declared tolerance (atol + rtol·|bound|): a result within it of
    a value in range passes."""
    t = tolerance()
    return low - (t["atol"] + t["rtol"] * np.abs(low)), high + (t["atol"] + t["rtol"] * np.abs(high))


def reference(Q, K, V):
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    s = Q @ K.T / np.sqrt(K.shape[-1])
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ V


def mistakes(Q, K, V):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    d = K.shape[-1]

    def soft(s, axis=-1):
        w = np.exp(s - s.max(axis=axis, keepdims=True))
        return w / w.sum(axis=axis, keepdims=True)

    return {
        "scores look unscaled: divide Q @ K.T by sqrt(d_k)": soft(Q @ K.T) @ V,
        "scores look divided by d_k: divide by sqrt(d_k) instead": soft(Q @ K.T / d) @ V,
        "the scores look divided by sqrt(T), the sequence length: divide by sqrt(d_k) = K.shape[-1]":
            soft(Q @ K.T / np.sqrt(K.shape[0])) @ V,
        "the softmax seems to run over the wrong axis: normalise over keys (axis=-1)":
            soft(Q @ K.T / np.sqrt(d), axis=0) @ V,
    }


def random_qkv(T, d_k, d_v, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, d_k)).astype(dtype), rng.standard_normal((T, d_k)).astype(dtype),
            rng.standard_normal((T, d_v)).astype(dtype))


def test_worked_example(self_attention):
    """Worked example from the statement"""
    Q = K = np.array([[1.0, 0.0], [0.0, 1.0]])
    V = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_close(self_attention(Q, K, V), reference(Q, K, V), mistakes=lambda: mistakes(Q, K, V))


def test_output_shape(self_attention):
    """Output has shape (T, d_v), with d_v different from d_k

    Guards: transpose
    """
    Q, K, V = random_qkv(5, 3, 7, seed=1)
    assert_shape(self_attention(Q, K, V), (5, 7))


def test_random_inputs(self_attention):
    """Matches the reference on random inputs

    Guards: scaling, key_axis
    """
    Q, K, V = random_qkv(6, 4, 3, seed=2)
    assert_close(self_attention(Q, K, V), reference(Q, K, V), mistakes=lambda: mistakes(Q, K, V))


def test_scaling_large_dk(self_attention):
    """Scores are scaled by sqrt(d_k) (d_k = 64)

    Guards: scaling
    """
    Q, K, V = random_qkv(4, 64, 2, seed=3)
    assert_close(self_attention(Q, K, V), reference(Q, K, V), mistakes=lambda: mistakes(Q, K, V))


def test_non_square_keys(self_attention):
    """Works when d_k differs from T (K must be transposed)

    Guards: transpose
    """
    Q, K, V = random_qkv(3, 5, 2, seed=4)
    assert_close(self_attention(Q, K, V), reference(Q, K, V), mistakes=lambda: mistakes(Q, K, V))


def test_large_scores_stay_finite(self_attention):
    """Large scores do not overflow (subtract the row max)

    Guards: stable
    """
    Q, K, V = random_qkv(4, 8, 3, seed=5)
    Q, K = Q * 40.0, K * 40.0
    assert_close(self_attention(Q, K, V), reference(Q, K, V), mistakes=lambda: mistakes(Q, K, V))


def test_float32_inputs(self_attention):
    """Accepts float32 inputs and returns float64

    Guards: dtype
    """
    Q, K, V = random_qkv(5, 4, 4, seed=6, dtype=np.float32)
    out = self_attention(Q, K, V)
    assert_close(out, reference(Q, K, V), **tolerance("float32"))
    assert_dtype(out, np.float64)


def test_rows_are_convex_combinations(self_attention):
    """Each output row is a weighted average of the rows of V

    Guards: key_axis
    """
    Q, K, V = random_qkv(7, 3, 4, seed=7)
    # A V whose columns are constant: any weighted average of its rows is that constant.
    for V in (V, np.tile([3.0, -1.0, 0.5, 2.0], (7, 1))):
        out = as_float_array(self_attention(Q, K, V))
        assert_shape(out, V.shape)
        low, high = band(V.min(axis=0), V.max(axis=0))
        assert_true(np.all((out >= low) & (out <= high)),
                    "some output coordinate lies outside the range of that column of V; the weights "
                    "in each row must be non-negative and sum to 1 (softmax over the last axis)")


def test_inputs_not_mutated(self_attention):
    """Q, K and V are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip("QKV", random_qkv(5, 3, 4, seed=8)))
    before = {name: a.copy() for name, a in arguments.items()}
    self_attention(*arguments.values())
    assert_inputs_unchanged(arguments, before)
