import numpy as np

from judge import tolerance, assert_close, assert_dtype, assert_inputs_unchanged, assert_shape, assert_true


def band(low, high):
    """[low, high] widened by the declared tolerance (atol + rtol·|bound|): a result within it of
    a value in range passes."""
    t = tolerance()
    return low - (t["atol"] + t["rtol"] * np.abs(low)), high + (t["atol"] + t["rtol"] * np.abs(high))


def _softmax(s, axis=-1):
    w = np.exp(s - s.max(axis=axis, keepdims=True))
    return w / w.sum(axis=axis, keepdims=True)


def reference(Q, K, V, mask=None):
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    s = Q @ K.T / np.sqrt(K.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    return _softmax(s) @ V


def mistakes(Q, K, V, mask=None):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    d = K.shape[-1]
    raw = Q @ K.T
    keep = np.ones(raw.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    found = {}

    def add(message, make):
        try:
            with np.errstate(all="ignore"):
                found[message] = make()
        except (ValueError, TypeError, IndexError):
            pass

    add("scores look unscaled: divide Q @ K.T by sqrt(d_k)",
        lambda: _softmax(np.where(keep, raw, -np.inf)) @ V)
    add("scores look divided by d_k: divide by sqrt(d_k) instead",
        lambda: _softmax(np.where(keep, raw / d, -np.inf)) @ V)
    add("the scores look divided by sqrt(T), the sequence length: divide by sqrt(d_k) = K.shape[-1]",
        lambda: _softmax(np.where(keep, raw / np.sqrt(K.shape[0]), -np.inf)) @ V)
    add("the softmax seems to run over the wrong axis: normalise over keys (axis=-1)",
        lambda: _softmax(np.where(keep, raw / np.sqrt(d), -1e9), axis=0) @ V)
    if mask is not None:
        scores = raw / np.sqrt(d)
        add("blocked keys still get weight, as if there were no mask: put -inf in the scores where the "
            "mask is False",
            lambda: _softmax(scores) @ V)
        add("the weights look zeroed after the softmax without renormalising: apply the mask to "
            "the scores, before the softmax", lambda: (_softmax(scores) * keep) @ V)
        add("the scores look multiplied by the mask: a blocked score of 0 still gets weight; set "
            "blocked scores to -inf instead", lambda: _softmax(scores * keep) @ V)
        add("the mask looks inverted: True means the query may attend to that key",
            lambda: _softmax(np.where(keep, -1e9, scores)) @ V)
        add("the mask looks transposed: mask[i, j] says whether query i may attend to key j",
            lambda: _softmax(np.where(keep.T, scores, -np.inf)) @ V)
    return found


def check(attention, Q, K, V, mask=None, **options):
    got = attention(Q, K, V) if mask is None else attention(Q, K, V, mask=mask)
    assert_close(got, reference(Q, K, V, mask), mistakes=lambda: mistakes(Q, K, V, mask), **options)
    return got


def random_qkv(T, d_k, d_v, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, d_k)).astype(dtype), rng.standard_normal((T, d_k)).astype(dtype),
            rng.standard_normal((T, d_v)).astype(dtype))


def test_worked_examples(attention):
    """Worked examples from the statement"""
    Q = K = np.zeros((2, 2))
    check(attention, Q, K, np.array([[1.0, 0.0], [0.0, 1.0]]))
    Q = K = np.array([[0.0], [0.0]])
    check(attention, Q, K, np.array([[10.0], [20.0]]), mask=np.array([[True, False], [True, True]]))


def test_output_shape(attention):
    """Output has shape (T, d_v), with d_v different from d_k, with and without a mask

    Guards: shape_dtype
    """
    Q, K, V = random_qkv(5, 3, 7, seed=1)
    assert_shape(attention(Q, K, V), (5, 7))
    assert_shape(attention(Q, K, V, mask=np.tril(np.ones((5, 5), dtype=bool))), (5, 7),
                 name="your result with a mask")


def test_no_mask_matches_reference(attention):
    """Without a mask, matches softmax(Q K^T / sqrt(d_k)) V on random inputs

    Guards: scaling, key_axis
    """
    Q, K, V = random_qkv(6, 4, 3, seed=2)
    check(attention, Q, K, V)


def test_scaling_large_dk(attention):
    """Scores are scaled by sqrt(d_k) (d_k = 64, where unscaled scores saturate the softmax)

    Guards: scaling
    """
    Q, K, V = random_qkv(5, 64, 3, seed=3)
    check(attention, Q, K, V)


def test_causal_mask(attention):
    """Honours a causal mask: query i sees keys 0..i only

    Guards: mask_meaning, mask_before_softmax
    """
    Q, K, V = random_qkv(6, 4, 3, seed=4)
    mask = np.tril(np.ones((6, 6), dtype=bool))
    got = check(attention, Q, K, V, mask=mask)
    first = np.asarray(got, dtype=np.float64)[0]
    assert_close(first, V[0], name="the output of query 0",
                 mistakes=lambda: {"query 0 may see only key 0, so its output must equal V[0]; "
                           "blocked keys need weight 0": reference(Q, K, V)[0]})


def test_arbitrary_mask(attention):
    """Honours an arbitrary (non-symmetric) mask: mask[i, j] = True lets query i see key j

    Guards: mask_meaning, mask_before_softmax
    """
    rng = np.random.default_rng(5)
    Q, K, V = random_qkv(7, 5, 4, seed=6)
    mask = rng.random((7, 7)) < 0.5
    mask[np.arange(7), rng.integers(0, 7, size=7)] = True  # every query sees at least one key
    check(attention, Q, K, V, mask=mask)


def test_rows_are_convex_combinations(attention):
    """Each output row is a weighted average of the rows of V that query may attend to

    Guards: mask_before_softmax, key_axis
    """
    rng = np.random.default_rng(7)
    Q, K, _ = random_qkv(6, 3, 2, seed=8)
    V = rng.uniform(1.0, 2.0, size=(6, 2)) + 3.0 * np.arange(6)[:, None]
    mask = np.tril(np.ones((6, 6), dtype=bool))
    out = np.asarray(attention(Q, K, V, mask=mask), dtype=np.float64)
    assert_shape(out, V.shape)
    for i in range(6):
        low, high = V[: i + 1].min(axis=0), V[: i + 1].max(axis=0)
        wide_low, wide_high = band(low, high)
        assert_true(np.all((out[i] >= wide_low) & (out[i] <= wide_high)),
                    lambda: f"output row {i} is {out[i]}, outside the range {low} .. {high} of "
                    f"the rows of V it may attend to (rows 0..{i}); its weights must be non-negative, "
                    "zero on blocked keys and sum to 1 (mask the scores before the softmax)")


def test_all_true_mask_equals_no_mask(attention):
    """An all-True mask gives the same result as no mask

    Guards: mask_meaning
    """
    Q, K, V = random_qkv(5, 4, 4, seed=9)
    without = attention(Q, K, V)
    with_mask = attention(Q, K, V, mask=np.ones((5, 5), dtype=bool))
    assert_close(with_mask, without, name="the result with an all-True mask",
                 mistakes=lambda: {"the mask looks inverted: True means the query may attend to that key":
                           reference(Q, K, V, np.eye(5, dtype=bool))})
    check(attention, Q, K, V, mask=np.ones((5, 5), dtype=bool))


def test_large_scores_stay_finite(attention):
    """Large scores do not overflow, with or without a mask (subtract the row max)

    Guards: stable
    """
    Q, K, V = random_qkv(5, 8, 3, seed=10)
    Q, K = Q * 40.0, K * 40.0
    check(attention, Q, K, V)
    check(attention, Q, K, V, mask=np.tril(np.ones((5, 5), dtype=bool)))


def test_float32_inputs(attention):
    """Accepts float32 inputs

    Guards: shape_dtype
    """
    Q, K, V = random_qkv(6, 4, 5, seed=11, dtype=np.float32)
    mask = np.tril(np.ones((6, 6), dtype=bool))
    check(attention, Q, K, V, **tolerance("float32"))
    check(attention, Q, K, V, mask=mask, **tolerance("float32"))


def test_mixed_float32_and_float64_inputs(attention):
    """A mix of float32 and float64 inputs gives a float64 result

    Guards: mixed_dtypes
    """
    Q, K, V = random_qkv(6, 4, 5, seed=12)
    mask = np.tril(np.ones((6, 6), dtype=bool))
    for dtypes in ((np.float32, np.float64, np.float64), (np.float64, np.float32, np.float32)):
        mixed = [a.astype(t) for a, t in zip((Q, K, V), dtypes)]
        for m in (None, mask):
            got = check(attention, *mixed, mask=m, **tolerance("float32"))
            assert_dtype(got, np.float64, name=f"your result with Q {mixed[0].dtype}, K and V {mixed[1].dtype}",
                         inputs={"Q": Q, "K": K, "V": V})


def test_inputs_not_mutated(attention):
    """Q, K, V and the mask are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip("QKV", random_qkv(5, 3, 2, seed=21)))
    arguments["mask"] = np.tril(np.ones((5, 5), dtype=bool))
    before = {name: a.copy() for name, a in arguments.items()}
    attention(*arguments.values())
    assert_inputs_unchanged(arguments, before)
