import numpy as np

from judge import tolerance, assert_batched, assert_close, assert_dtype, assert_inputs_unchanged, assert_shape, assert_true


def sum_tolerance(n):
    """How far a sum of n results may be off when each is within the declared tolerance
    (atol + rtol·|w| each; the weights summing to 1): n·atol + rtol."""
    t = tolerance()
    return {"rtol": 0.0, "atol": n * t["atol"] + t["rtol"]}


def _softmax(s, axis=-1):
    with np.errstate(all="ignore"):
        w = np.exp(s - s.max(axis=axis, keepdims=True))
        return w / w.sum(axis=axis, keepdims=True)


def _scores(q, k, scale):
    return np.asarray(q, np.float64) @ np.swapaxes(np.asarray(k, np.float64), -1, -2) * scale


def reference(q, k, v, mask=None):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    s = _scores(q, k, 1.0 / np.sqrt(k.shape[-1]))
    if mask is not None:
        s = s + np.asarray(mask, dtype=np.float64)
    w = _softmax(s)
    return w @ v, w


def mistakes(q, k, v, mask=None):
    """{hint: (wrong output, wrong weights)} for the classic mistakes."""
    v = np.asarray(v, dtype=np.float64)
    d = np.shape(k)[-1]
    add = 0.0 if mask is None else np.asarray(mask, dtype=np.float64)
    found = {}

    def put(hint, w):
        found[hint] = (w @ v, w)

    put("scores look unscaled: divide q @ k^T by sqrt(d_k)", _softmax(_scores(q, k, 1.0) + add))
    put("scores look divided by d_k: divide by sqrt(d_k) instead", _softmax(_scores(q, k, 1.0 / d) + add))
    put("the scores look divided by sqrt(S), the number of keys: divide by sqrt(d_k) = k.shape[-1]",
        _softmax(_scores(q, k, np.shape(k)[-2] ** -0.5) + add))
    put("the scores look divided by sqrt(T), the number of queries: divide by sqrt(d_k) = k.shape[-1]",
        _softmax(_scores(q, k, np.shape(q)[-2] ** -0.5) + add))
    put("the softmax seems to run over the queries: normalise over the keys (axis=-1)",
        _softmax(_scores(q, k, d ** -0.5) + np.maximum(add, -1e9), axis=-2))
    if mask is not None:
        plain = _softmax(_scores(q, k, d ** -0.5))
        put("the mask seems to be ignored: add it to the scaled scores before the softmax", plain)
        put("the weights look zeroed after the softmax without renormalising: add the mask to the "
            "scores, before the softmax", plain * (add == 0))
    return found


def call(fn, q, k, v, mask=None):
    """Call the learner's function and unpack (output, weights) with clear messages."""
    return unpack(fn(q, k, v) if mask is None else fn(q, k, v, mask=mask))


def unpack(result):
    assert_true(result is not None, "your function returned None: return the pair (output, weights)")
    assert_true(isinstance(result, (tuple, list)) and len(result) == 2,
                lambda: "your function should return a pair (output, weights), but it returned "
                f"{type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result[0], result[1]


def check(fn, q, k, v, mask=None, **options):
    return verify(fn(q, k, v) if mask is None else fn(q, k, v, mask=mask), q, k, v, mask, **options)


def verify(result, q, k, v, mask=None, **options):
    output, weights = unpack(result)
    want_out, want_w = reference(q, k, v, mask)
    wrong = mistakes(q, k, v, mask)
    assert_close(weights, want_w, name="the weights", mistakes=lambda: {h: w for h, (o, w) in wrong.items()},
                 **options)
    assert_close(output, want_out, name="the output", mistakes=lambda: {h: o for h, (o, w) in wrong.items()},
                 **options)
    return np.asarray(output, dtype=np.float64), np.asarray(weights, dtype=np.float64)


def random_qkv(lead, T, S, d_k, d_v, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(lead + (T, d_k)).astype(dtype), rng.standard_normal(lead + (S, d_k)).astype(dtype),
            rng.standard_normal(lead + (S, d_v)).astype(dtype))


def random_mask(shape, seed, blocked):
    """Additive mask with a random pattern; every row keeps at least one key open."""
    rng = np.random.default_rng(seed)
    keep = rng.random(shape) < 0.6
    keep[..., 0] |= ~keep.any(axis=-1)
    return np.where(keep, 0.0, blocked)


def test_worked_examples(scaled_dot_product_attention):
    """Worked examples from the statement"""
    q = np.array([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]])
    k = np.array([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0]])
    v = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    check(scaled_dot_product_attention, q, k, v)
    check(scaled_dot_product_attention, q, k, v, mask=np.array([[0.0, -np.inf, -np.inf], [0.0, 0.0, -np.inf]]))


def test_returns_output_and_weights(scaled_dot_product_attention):
    """Returns (output, weights) with shapes (T, d_v) and (T, S), where T != S and d_v != d_k

    Guards: shapes
    """
    q, k, v = random_qkv((), 3, 5, 4, 2, seed=1)
    output, weights = call(scaled_dot_product_attention, q, k, v)
    assert_shape(output, (3, 2), name="the output")
    assert_shape(weights, (3, 5), name="the weights")


def test_matches_reference(scaled_dot_product_attention):
    """Matches softmax(q k^T / sqrt(d_k)) and its product with v on random inputs

    Guards: scaling, key_axis
    """
    q, k, v = random_qkv((), 4, 6, 3, 5, seed=2)
    check(scaled_dot_product_attention, q, k, v)


def test_weights_rows_sum_to_one(scaled_dot_product_attention):
    """Each row of the weights is non-negative and sums to 1, with and without a mask

    Guards: key_axis, mask_before_softmax
    """
    q, k, v = random_qkv((), 5, 7, 4, 3, seed=3)
    for mask in (None, random_mask((5, 7), seed=4, blocked=-np.inf)):
        _, weights = call(scaled_dot_product_attention, q, k, v, mask)
        weights = np.asarray(weights, dtype=np.float64)
        assert_shape(weights, (5, 7), name="the weights")
        where = "" if mask is None else " (with a mask)"
        assert_true(np.all(weights >= 0), lambda: f"some weights{where} are negative")
        assert_close(weights.sum(axis=-1), np.ones(5), name=f"the row sums of the weights{where}", **sum_tolerance(7),
                     mistakes=lambda: {hint: w.sum(axis=-1) for hint, (_, w) in mistakes(q, k, v, mask).items()})


def test_additive_mask_values(scaled_dot_product_attention):
    """Works with a mask of -1e9 and of -inf; blocked keys get weight 0

    Guards: mask_before_softmax
    """
    q, k, v = random_qkv((), 6, 5, 4, 3, seed=5)
    for blocked in (-1e9, -np.inf):
        mask = random_mask((6, 5), seed=6, blocked=blocked)
        _, weights = check(scaled_dot_product_attention, q, k, v, mask=mask)
        leak = np.abs(weights[mask < 0]).max()
        assert_true(leak <= 1e-12, lambda: f"with blocked entries of {blocked}, a blocked key still gets weight "
                                   f"{leak:.3g}; add the mask to the scores before the softmax")


def test_batches(scaled_dot_product_attention):
    """Batched inputs: (B, T, d) with a (B, T, S) mask, one per batch item, and (B, H, T, d) with one (T, S) mask for all

    Guards: batch_transpose, shapes, batches
    """
    q, k, v = random_qkv((3,), 4, 6, 5, 3, seed=8)
    mask = random_mask((3, 4, 6), seed=9, blocked=-1e9)
    assert_batched(scaled_dot_product_attention, (q, k, v), verify, kwargs={"mask": mask},
                   batched=(0, 1, 2, "mask"))
    q, k, v = random_qkv((2, 3), 4, 5, 6, 2, seed=7)
    mask = np.where(np.arange(5)[None, :] <= np.arange(4)[:, None] + 1, 0.0, -np.inf)
    assert_batched(scaled_dot_product_attention, (q, k, v), verify, kwargs={"mask": mask},
                   batched=(0, 1, 2), lead=2)


def test_score_variance_near_one(scaled_dot_product_attention):
    """With unit-variance q and k, the scaled scores have variance about 1 (d_k = 256)

    Guards: scaling
    """
    q, k, _ = random_qkv((), 16, 48, 256, 1, seed=10)
    v = np.zeros((48, 1))
    _, weights = call(scaled_dot_product_attention, q, k, v)
    weights = np.asarray(weights, dtype=np.float64)
    assert_shape(weights, (16, 48), name="the weights")
    with np.errstate(all="ignore"):
        log_w = np.log(weights)
    assert_true(np.all(np.isfinite(log_w)),
                "some weights are exactly 0 even without a mask: the scores are far too spread out; "
                "divide q @ k^T by sqrt(d_k)")
    variance = float(log_w.var(axis=-1).mean())
    assert_true(0.75 <= variance <= 1.3,
                lambda: f"the scores have variance {variance:.4g} along each row (read off log(weights)), expected "
                "about 1 for unit-variance inputs: divide q @ k^T by sqrt(d_k), not by d_k or nothing")
    check(scaled_dot_product_attention, q, k, v)


def test_large_scores_stay_finite(scaled_dot_product_attention):
    """Large scores do not overflow, with or without a mask (subtract the row max)

    Guards: stable
    """
    q, k, v = random_qkv((), 4, 5, 8, 3, seed=11)
    q, k = q * 40.0, k * 40.0
    check(scaled_dot_product_attention, q, k, v)
    check(scaled_dot_product_attention, q, k, v, mask=random_mask((4, 5), seed=12, blocked=-np.inf))


def test_float32_inputs(scaled_dot_product_attention):
    """Accepts float32 inputs and a float32 mask"""
    q, k, v = random_qkv((), 5, 6, 4, 3, seed=13, dtype=np.float32)
    mask = random_mask((5, 6), seed=14, blocked=-1e9).astype(np.float32)
    check(scaled_dot_product_attention, q, k, v, **tolerance("float32"))
    check(scaled_dot_product_attention, q, k, v, mask=mask, **tolerance("float32"))


def test_mixed_float32_and_float64_inputs(scaled_dot_product_attention):
    """A mix of float32 and float64 inputs gives float64 output and weights

    Guards: mixed_dtypes
    """
    q, k, v = random_qkv((), 5, 6, 4, 3, seed=16)
    mask = random_mask((5, 6), seed=17, blocked=-np.inf)
    for dtypes in ((np.float32, np.float64, np.float64), (np.float64, np.float32, np.float32)):
        mixed = [a.astype(t) for a, t in zip((q, k, v), dtypes)]
        for m in (None, mask):
            result = call(scaled_dot_product_attention, *mixed, mask=m)
            verify(result, *mixed, m, **tolerance("float32"))
            what = f"with q {mixed[0].dtype}, k and v {mixed[1].dtype}"
            assert_dtype(result[0], np.float64, name=f"the output {what}", inputs={"q": q, "k": k, "v": v})
            assert_dtype(result[1], np.float64, name=f"the weights {what}", inputs={"q": q, "k": k, "v": v})


def test_inputs_not_mutated(scaled_dot_product_attention):
    """q, k, v and the mask are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip("qkv", random_qkv((), 4, 5, 3, 2, seed=21)))
    arguments["mask"] = random_mask((4, 5), seed=22, blocked=-1e9)
    before = {name: a.copy() for name, a in arguments.items()}
    scaled_dot_product_attention(*arguments.values())
    assert_inputs_unchanged(arguments, before)
