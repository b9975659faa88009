import numpy as np

from judge import tolerance, as_float_array, assert_batched, assert_close, assert_dtype, assert_shape, assert_inputs_unchanged, assert_true


def _softmax(s, axis=-1):
    with np.errstate(all="ignore"):
        w = np.exp(s - s.max(axis=axis, keepdims=True))
        return w / w.sum(axis=axis, keepdims=True)


def _as64(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def _scores(Q, K):
    return Q @ np.swapaxes(K, -1, -2)


def reference(Q, K, V, mask):
    Q, K, V, mask = _as64(Q, K, V, mask)
    return _softmax(_scores(Q, K) / np.sqrt(K.shape[-1]) + mask) @ V


def mistakes(Q, K, V, mask):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    Q, K, V, mask = _as64(Q, K, V, mask)
    s = _scores(Q, K) / np.sqrt(K.shape[-1])
    with np.errstate(all="ignore"):
        return {
            "the mask seems to be ignored: add it to the scores before the softmax": _softmax(s) @ V,
            "scores look unscaled: divide Q @ K^T by sqrt(d_k) before adding the mask":
                _softmax(_scores(Q, K) + mask) @ V,
            "the scores look divided by sqrt(T), the sequence length: divide by sqrt(d_k) = K.shape[-1]":
                _softmax(_scores(Q, K) / np.sqrt(K.shape[-2]) + mask) @ V,
            "the mask seems to be added after the softmax: add it to the scores, then take the softmax":
                (_softmax(s) + mask) @ V,
            "blocked weights look zeroed after the softmax without renormalising: add the mask to "
            "the scores before the softmax, so the allowed weights still sum to 1":
                (_softmax(s) * (mask > -1e8)) @ V,
            "the softmax seems to run over the queries: normalise over the keys (the last axis)":
                _softmax(s + mask, axis=-2) @ V,
        }


def verify(got, Q, K, V, mask, **options):
    assert_close(got, reference(Q, K, V, mask), mistakes=lambda: mistakes(Q, K, V, mask), **options)


def check(masked_attention, Q, K, V, mask, **options):
    got = masked_attention(Q, K, V, mask)
    verify(got, Q, K, V, mask, **options)
    return got


def causal(T, fill=-1e9):
    """Additive causal mask: 0 on and below the diagonal, `fill` above it."""
    return np.triu(np.full((T, T), fill), k=1)


def random_qkv(shape, d_k, d_v, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(shape + (d,)).astype(dtype) for d in (d_k, d_k, d_v))


def test_worked_example(masked_attention):
    """Worked example: integer projections give a one-hot softmax (reproduced exactly)

    Guards: stable
    """
    rs = np.random.RandomState(42)  # the same numbers as np.random.seed(42) in the statement
    X = rs.permutation(np.arange(48)).reshape(6, 8)
    W_q = rs.randint(0, 4, size=(8, 8))
    W_k = rs.randint(0, 5, size=(8, 8))
    W_v = rs.randint(0, 6, size=(8, 8))
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    mask = np.triu(np.ones((6, 6)) * -np.inf, k=1)
    expected = np.array([[547, 490, 399, 495, 485, 439, 645, 393]] * 2
                        + [[471, 472, 429, 538, 377, 450, 531, 362]] * 4, dtype=np.float64)
    assert_close(masked_attention(Q, K, V, mask), expected, mistakes=lambda: mistakes(Q, K, V, mask))


def test_output_shapes(masked_attention):
    """Output is (T, d_v) for one sequence of (T, d_k) queries and keys"""
    Q, K, V = random_qkv((5,), 3, 7, seed=1)
    assert_shape(masked_attention(Q, K, V, causal(5)), (5, 7), name="the result for (T, d) inputs")


def test_causal_mask_large_negative(masked_attention):
    """Causal mask written with -1e9 matches the reference

    Guards: mask_added
    """
    Q, K, V = random_qkv((6,), 4, 3, seed=3)
    check(masked_attention, Q, K, V, causal(6, -1e9))


def test_causal_mask_minus_inf(masked_attention):
    """Causal mask written with -inf matches the reference (d_k = 16)

    Guards: scaling, mask_added
    """
    Q, K, V = random_qkv((5,), 16, 2, seed=4)
    check(masked_attention, Q, K, V, causal(5, -np.inf))


def test_batches(masked_attention):
    """A batch (B, T, d) gives (B, T, d_v), with one (T, T) mask for every sequence or a (B, T, T) mask

    Guards: batch, one_or_batch
    """
    Q, K, V = random_qkv((3, 4), 5, 2, seed=5)
    assert_batched(masked_attention, (Q, K, V, causal(4)), verify, batched=(0, 1, 2))
    Q, K, V = random_qkv((2, 5), 4, 3, seed=6)  # each sequence uses its own mask:
    mask = np.zeros((2, 5, 5))
    mask[0] = causal(5, -np.inf)
    mask[1, :, 3:] = -np.inf  # sequence 1: keys 3 and 4 are padding
    assert_batched(masked_attention, (Q, K, V, mask), verify, batched=(0, 1, 2, 3))


def test_blocked_positions_cannot_leak(masked_attention):
    """Changing future keys and values does not change earlier outputs

    Guards: mask_added
    """
    Q, K, V = random_qkv((6,), 4, 3, seed=7)
    mask = causal(6)
    before = as_float_array(masked_attention(Q, K, V, mask))
    assert_shape(before, (6, 3))
    rng = np.random.default_rng(70)
    K2, V2 = K.copy(), V.copy()
    K2[3:] = 5 * rng.standard_normal((3, 4))
    V2[3:] = 100 * rng.standard_normal((3, 3))
    after = as_float_array(masked_attention(Q, K2, V2, mask))
    assert_shape(after, (6, 3))
    assert_true(np.allclose(after[:3], before[:3], **tolerance(times=2)),  # two of your results: each within
                "changing the keys and values of positions 3-5 changed the outputs of positions 0-2; "
                "under a causal mask those keys are blocked and must get a weight of exactly 0 "
                "(add the mask to the scores before the softmax)")
    check(masked_attention, Q, K2, V2, mask)


def test_large_scores_stay_finite(masked_attention):
    """Large scores with a -inf mask stay finite (subtract the row max)

    Guards: stable
    """
    Q, K, V = random_qkv((5,), 8, 3, seed=8)
    check(masked_attention, 30 * Q, 30 * K, V, causal(5, -np.inf))


def test_float32_inputs(masked_attention):
    """Accepts float32 inputs and a float32 mask, and returns float64

    Guards: dtype
    """
    Q, K, V = random_qkv((6,), 4, 4, seed=9, dtype=np.float32)
    mask = causal(6, -1e9).astype(np.float32)
    assert_dtype(check(masked_attention, Q, K, V, mask, **tolerance("float32")), np.float64)


def test_zero_mask_is_plain_attention(masked_attention):
    """An all-zero mask gives plain (unmasked) attention

    Guards: scaling, key_axis, zero_leaves_score
    """
    Q, K, V = random_qkv((4,), 3, 5, seed=10)
    mask = np.zeros((4, 4))
    expected = _softmax(_scores(Q, K) / np.sqrt(3)) @ V

    def blocked_everywhere():
        hint = ("every key looks blocked: in an additive mask 0 means \"may attend\" (it is not a 0/1 "
                "keep-mask), so an all-zero mask blocks nothing: add it to the scores as it is")
        return {hint + " (NaN everywhere)": np.full(expected.shape, np.nan),
                hint + " (a plain average of V)": np.broadcast_to(V.mean(axis=0), expected.shape),
                **mistakes(Q, K, V, mask)}

    assert_close(masked_attention(Q, K, V, mask), expected, mistakes=blocked_everywhere)


def test_inputs_not_mutated(masked_attention):
    """Q, K, V and the mask are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip("QKV", random_qkv((5,), 4, 3, seed=9)))
    arguments["mask"] = causal(5)
    before = {name: a.copy() for name, a in arguments.items()}
    masked_attention(*arguments.values())
    assert_inputs_unchanged(arguments, before)
