import numpy as np

from judge import tolerance, assert_close, assert_dtype, assert_equal, assert_shape, assert_true, as_float_array, with_hint, assert_inputs_unchanged


def reference_mask(T, w):
    i = np.arange(T)[:, None]
    j = np.arange(T)[None, :]
    return (j <= i) & (j > i - w)


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _masked(Q, K, V, mask):
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    s = Q @ K.T / np.sqrt(K.shape[-1])
    return _softmax(np.where(mask, s, -np.inf)) @ V


def reference(Q, K, V, w):
    return _masked(Q, K, V, reference_mask(len(Q), w))


def mask_mistakes(T, w):
    i = np.arange(T)[:, None]
    j = np.arange(T)[None, :]
    return {
        "each row has one key too many: the window holds w keys including the query itself, "
        "so use j > i - w, not j >= i - w": (j <= i) & (j >= i - w),
        "each row has one key too few: the window counts the query itself, so query i sees "
        "keys i-w+1 .. i": (j <= i) & (j > i - w + 1),
        "the window is not causal: a query must never see a later key (add j <= i)": np.abs(i - j) < w,
        "this is a plain causal mask: keys more than w-1 positions back must be blocked too": j <= i,
    }


def mistakes(Q, K, V, w):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    mask = reference_mask(len(Q), w)
    s = Q @ K.T / np.sqrt(K.shape[-1])
    out = {hint: _masked(Q, K, V, wrong) for hint, wrong in mask_mistakes(len(Q), w).items()}
    out["the mask seems applied after the softmax: rows no longer sum to 1. Block the scores "
        "(np.where(mask, scores, -np.inf)) before the softmax"] = (_softmax(s) * mask) @ V
    out["scores look unscaled: divide Q @ K.T by sqrt(d_k)"] = _masked(Q * np.sqrt(K.shape[-1]), K, V, mask)
    out["the scores look divided by sqrt(T), the sequence length: divide by sqrt(d_k) = K.shape[-1]"] = \
        _masked(Q * np.sqrt(K.shape[-1] / K.shape[0]), K, V, mask)
    return out


def check_mask(got, T, w):
    """assert_equal, plus a hint when the mask matches a classic mistake."""
    try:
        assert_equal(got, reference_mask(T, w), name=f"sliding_window_mask({T}, {w})", dtype_kind="b")
    except AssertionError as exc:
        if isinstance(got, np.ndarray):
            for hint, wrong in mask_mistakes(T, w).items():
                if got.shape == wrong.shape and np.array_equal(np.asarray(got, dtype=bool), wrong):
                    raise with_hint(exc, hint) from None
        raise


def random_qkv(T, d_k, d_v, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, d_k)).astype(dtype), rng.standard_normal((T, d_k)).astype(dtype),
            rng.standard_normal((T, d_v)).astype(dtype))


def test_worked_example(sliding_window_mask, sliding_window_attention):
    """Worked example from the statement"""
    check_mask(sliding_window_mask(4, 2), 4, 2)
    Q = K = np.zeros((4, 1))
    V = np.array([[0.0], [2.0], [4.0], [8.0]])
    assert_close(sliding_window_attention(Q, K, V, 2), reference(Q, K, V, 2), mistakes=lambda: mistakes(Q, K, V, 2))


def test_mask_definition(sliding_window_mask):
    """The mask is True exactly where i - w < j <= i (bool, shape (T, T))

    Guards: window_counts_self, causal, window_limit
    """
    for T, w in [(6, 3), (5, 1), (7, 2), (1, 1)]:
        check_mask(sliding_window_mask(T, w), T, w)


def test_wide_window_is_causal(sliding_window_mask, sliding_window_attention):
    """With w >= T the window is ordinary causal attention

    Guards: causal
    """
    for w in (5, 9):
        check_mask(sliding_window_mask(5, w), 5, w)
    Q, K, V = random_qkv(5, 3, 2, seed=1)
    causal = np.tril(np.ones((5, 5), dtype=bool))
    assert_close(sliding_window_attention(Q, K, V, 5), _masked(Q, K, V, causal), mistakes=lambda: mistakes(Q, K, V, 5))


def test_random_inputs(sliding_window_attention):
    """Matches a reference on random inputs (T = 7, w = 3)

    Guards: mask_before_softmax, scaling
    """
    Q, K, V = random_qkv(7, 4, 3, seed=2)
    assert_close(sliding_window_attention(Q, K, V, 3), reference(Q, K, V, 3), mistakes=lambda: mistakes(Q, K, V, 3))


def test_window_of_one_returns_values(sliding_window_attention):
    """With w = 1 each query sees only itself, so the output is V

    Guards: window_counts_self
    """
    Q, K, V = random_qkv(5, 4, 3, seed=3)
    assert_close(sliding_window_attention(Q, K, V, 1), V, mistakes=lambda: mistakes(Q, K, V, 1))


def test_outside_window_has_no_effect(sliding_window_attention):
    """Changing keys and values outside a query's window leaves its output row unchanged

    Guards: window_limit, mask_before_softmax
    """
    T, w = 8, 3
    Q, K, V = random_qkv(T, 4, 2, seed=4)
    base = as_float_array(sliding_window_attention(Q, K, V, w))
    assert_shape(base, (T, 2))
    rng = np.random.default_rng(40)

    def changed(i, outside):
        """Row i of the output once the keys and values at positions ``outside`` are replaced."""
        K2, V2 = K.copy(), V.copy()
        K2[outside] = rng.standard_normal((len(outside), 4)) * 3.0
        V2[outside] = rng.standard_normal((len(outside), 2)) * 10.0 + 5.0
        return as_float_array(sliding_window_attention(Q, K2, V2, w))[i]

    for i in (0, 4, 6):
        outside = [j for j in range(T) if not i - w < j <= i]
        if np.allclose(changed(i, outside), base[i], **tolerance(times=2)):
            continue
        # Some key outside the window leaks into row i: find one to name (only on failure).
        for j in outside:
            row = changed(i, [j])
            where = "later" if j > i else "too far back"
            assert_true(np.allclose(row, base[i], **tolerance(times=2)),
                        lambda: f"changing key/value {j} changed output row {i} (from {base[i]} to {row}), but "
                                f"key {j} is {where} for query {i} with w = {w}: it must get weight 0. The "
                                f"window is i - w < j <= i; block the scores before the softmax")
        assert_true(False, lambda: f"changing the keys/values at {outside} together changed output row {i}, "
                                   f"but they are all outside the window of query {i} with w = {w} "
                                   f"(i - w < j <= i): they must get weight 0")


def test_large_scores_stay_finite(sliding_window_attention):
    """Large scores do not overflow (subtract the row max)"""
    Q, K, V = random_qkv(6, 8, 3, seed=5)
    Q, K = Q * 40.0, K * 40.0
    assert_close(sliding_window_attention(Q, K, V, 3), reference(Q, K, V, 3), mistakes=lambda: mistakes(Q, K, V, 3))


def test_shape_and_float32(sliding_window_attention):
    """Accepts float32 inputs and returns float64 of shape (T, d_v) with d_v != d_k

    Guards: dtype
    """
    Q, K, V = random_qkv(6, 5, 2, seed=6, dtype=np.float32)
    out = sliding_window_attention(Q, K, V, 4)
    assert_shape(out, (6, 2))
    assert_close(out, reference(Q, K, V, 4), **tolerance("float32"), mistakes=lambda: mistakes(Q, K, V, 4))
    assert_dtype(out, np.float64)


def test_inputs_not_mutated(sliding_window_attention):
    """Q, K and V are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip("QKV", random_qkv(6, 3, 2, seed=21)))
    before = {name: a.copy() for name, a in arguments.items()}
    sliding_window_attention(*arguments.values(), 3)
    assert_inputs_unchanged(arguments, before)
