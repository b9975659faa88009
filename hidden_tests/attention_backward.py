import numpy as np

from judge import tolerance, assert_close, assert_dtype, assert_true, as_float_array, assert_inputs_unchanged


def _weights(Q, K, mask, d=None):
    s = Q @ K.T / np.sqrt(K.shape[-1] if d is None else d)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def loss(Q, K, V, dO, mask=None):
    """L = sum(dO * O), the scalar whose gradients attention_backward returns."""
    return float(np.sum(dO * (_weights(Q, K, mask) @ V)))


def _grads(Q, K, V, dO, mask=None, subtract=True, scale=True, dK_transposed=False, use_mask=True, d=None):
    """The gradients, or a classic mistake's; ``d`` replaces d_k in the scale, forward and backward."""
    Q, K, V, dO = (np.asarray(a, dtype=np.float64) for a in (Q, K, V, dO))
    d = K.shape[-1] if d is None else d
    P = _weights(Q, K, mask if use_mask else None, d)
    dP = dO @ V.T
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True)) if subtract else P * dP
    c = 1.0 / np.sqrt(d) if scale else 1.0
    dK = (dS @ Q if dK_transposed else dS.T @ Q) * c
    return dS @ K * c, dK, P.T @ dO


def reference(Q, K, V, dO, mask=None):
    return _grads(Q, K, V, dO, mask)


def mistakes(Q, K, V, dO, mask=None):
    """(hint, (dQ, dK, dV)) of the classic mistakes, so a wrong answer gets a pointed hint."""
    out = {
        "the softmax Jacobian's subtracted term seems missing: dS = P * (dP - sum(dP * P, "
        "axis=-1, keepdims=True)), not P * dP": _grads(Q, K, V, dO, mask, subtract=False),
        "the 1/sqrt(d_k) factor seems missing: S = Q K^T / sqrt(d_k), so dQ and dK carry "
        "that factor too": _grads(Q, K, V, dO, mask, scale=False),
        "the mask seems ignored: block the scores in the forward pass before the softmax, "
        "exactly as attention does": _grads(Q, K, V, dO, mask, use_mask=False),
        "the scores look divided by sqrt(T), the number of queries: divide by sqrt(d_k) = K.shape[-1], "
        "in the forward pass and in dQ and dK": _grads(Q, K, V, dO, mask, d=len(Q)),
        "the scores look divided by sqrt(S), the number of keys: divide by sqrt(d_k) = K.shape[-1], "
        "in the forward pass and in dQ and dK": _grads(Q, K, V, dO, mask, d=len(K)),
    }
    if len(Q) == len(K):
        out["dK looks transposed: key j collects from every query that scored it, "
            "dK = dS^T Q / sqrt(d_k)"] = _grads(Q, K, V, dO, mask, dK_transposed=True)
    return out


def unpack(result):
    assert_true(isinstance(result, (tuple, list)) and len(result) == 3,
                lambda: f"attention_backward must return a tuple (dQ, dK, dV), but it returned "
                f"{type(result).__name__}"
                + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result


def check_grads(result, Q, K, V, dO, mask=None, expected=None, rtol=None, atol=None, hints=True):
    expected = reference(Q, K, V, dO, mask) if expected is None else expected
    wrong = []  # the mistakes' gradients, worked out once, on the first failure

    def hints_for(k):
        if not wrong:
            wrong.append(mistakes(Q, K, V, dO, mask) if hints else {})
        return {hint: grads[k] for hint, grads in wrong[0].items()}

    for k, name in enumerate(("dQ", "dK", "dV")):
        assert_close(unpack(result)[k], expected[k], rtol=rtol, atol=atol, name=name,
                     mistakes=lambda: hints_for(k))


def finite_differences(Q, K, V, dO, mask=None, h=1e-6):
    grads = []
    for which in range(3):
        args = [Q.copy(), K.copy(), V.copy()]
        x = args[which]
        g = np.zeros_like(x)
        for index in np.ndindex(*x.shape):
            old = x[index]
            x[index] = old + h
            up = loss(*args, dO, mask)
            x[index] = old - h
            down = loss(*args, dO, mask)
            x[index] = old
            g[index] = (up - down) / (2 * h)
        grads.append(g)
    return tuple(grads)


def random_inputs(T, S, d_k, d_v, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(shape).astype(dtype)
                 for shape in ((T, d_k), (S, d_k), (S, d_v), (T, d_v)))


def test_worked_example(attention_backward):
    """Worked example from the statement"""
    Q = K = np.array([[0.0], [1.0]])
    V = np.array([[1.0], [3.0]])
    dO = np.ones((2, 1))
    check_grads(attention_backward(Q, K, V, dO), Q, K, V, dO)


def test_shapes_cross_attention(attention_backward):
    """Returns (dQ, dK, dV) shaped like Q, K and V, with T != S and d_v != d_k

    Guards: dk_shape
    """
    Q, K, V, dO = random_inputs(3, 5, 4, 2, seed=1)
    check_grads(attention_backward(Q, K, V, dO), Q, K, V, dO)


def test_matches_finite_differences(attention_backward):
    """Agrees with central finite differences of L = sum(dO * O)

    Guards: softmax_jacobian, scale
    """
    Q, K, V, dO = random_inputs(3, 4, 2, 3, seed=2)
    numeric = finite_differences(Q, K, V, dO)
    check_grads(attention_backward(Q, K, V, dO), Q, K, V, dO, expected=numeric, **tolerance("numeric"))


def test_random_inputs(attention_backward):
    """Matches an analytic reference on random inputs (T = S = 5)

    Guards: scale, dk_shape
    """
    Q, K, V, dO = random_inputs(5, 5, 4, 3, seed=3)
    check_grads(attention_backward(Q, K, V, dO), Q, K, V, dO)


def test_causal_mask(attention_backward):
    """Honours a causal mask (True = may attend)

    Guards: mask
    """
    Q, K, V, dO = random_inputs(5, 5, 3, 2, seed=4)
    mask = np.tril(np.ones((5, 5), dtype=bool))
    check_grads(attention_backward(Q, K, V, dO, mask=mask), Q, K, V, dO, mask)


def test_masked_finite_differences(attention_backward):
    """With a mask, agrees with finite differences, and blocked keys get zero dK and dV rows

    Guards: mask
    """
    Q, K, V, dO = random_inputs(3, 4, 2, 3, seed=5)
    mask = np.array([[True, False, True, False],
                     [False, False, True, True],
                     [True, False, False, True]])
    result = unpack(attention_backward(Q, K, V, dO, mask=mask))
    numeric = finite_differences(Q, K, V, dO, mask)
    check_grads(result, Q, K, V, dO, mask, expected=numeric, **tolerance("numeric"))
    for k, name in ((1, "dK"), (2, "dV")):
        row = as_float_array(result[k], name)[1]
        assert_true(np.allclose(row, 0.0, atol=1e-12),
                    lambda: f"key 1 is blocked for every query, so row 1 of {name} must be 0, but it is "
                    f"{row}; run the forward pass with the mask (blocked weights are exactly 0)")


def test_blocked_keys_get_exact_zeros(attention_backward):
    """Keys blocked for every query get rows of exact zeros in dK and dV

    Guards: blocked_exact_zero
    """
    Q, K, V, dO = random_inputs(4, 5, 3, 2, seed=22)
    mask = np.ones((4, 5), dtype=bool)
    mask[:, [1, 3]] = False  # keys 1 and 3: blocked for every query
    mask[2, 0] = False
    result = unpack(attention_backward(Q, K, V, dO, mask=mask))
    check_grads(result, Q, K, V, dO, mask)
    for k, name in ((1, "dK"), (2, "dV")):
        rows = as_float_array(result[k], name)[[1, 3]]
        assert_true(np.all(rows == 0.0),
                    lambda: f"keys 1 and 3 are blocked for every query, so rows 1 and 3 of {name} must be exactly 0, "
                    f"but they are {rows}; set blocked scores to -inf, so that their weights are exactly 0")

def test_key_gradients_sum_to_zero(attention_backward):
    """The rows of dK sum to zero (moving every key by the same vector changes nothing)

    Guards: softmax_jacobian
    """
    Q, K, V, dO = random_inputs(4, 6, 3, 2, seed=6)
    dK = as_float_array(unpack(attention_backward(Q, K, V, dO))[1], "dK")
    assert_true(dK.shape == K.shape, lambda: f"dK has shape {dK.shape}, expected {K.shape}")
    total = dK.sum(axis=0)
    # Each entry of dK may be off by the declared tolerance (atol + rtol·|dK|): so may their sum.
    t = tolerance()
    allowed = (t["atol"] + t["rtol"] * np.abs(reference(Q, K, V, dO)[1])).sum(axis=0)
    assert_true(np.all(np.abs(total) <= allowed),
                lambda: f"dK.sum(axis=0) is {total}, not zero: adding one vector to every key adds the same "
                f"number to every score of a row, which the softmax ignores. The softmax backward "
                f"must subtract the row sum: dS = P * (dP - sum(dP * P, axis=-1, keepdims=True))")


def test_large_scores_stay_finite(attention_backward):
    """Large scores do not overflow (subtract the row max in the forward pass)"""
    Q, K, V, dO = random_inputs(4, 5, 4, 2, seed=7)
    # the last feature adds about 1500 to every score of a row: exp() overflows unless the row
    # max is subtracted, yet the weights themselves stay spread out
    Q[:, -1], K[:, -1] = 3000.0, 1.0
    check_grads(attention_backward(Q, K, V, dO), Q, K, V, dO)


def test_float32_inputs(attention_backward):
    """Accepts float32 inputs and returns float64 gradients

    Guards: dtype
    """
    Q, K, V, dO = random_inputs(4, 5, 3, 3, seed=8, dtype=np.float32)
    result = attention_backward(Q, K, V, dO)
    check_grads(result, Q, K, V, dO, **tolerance("float32"))
    for grad, name in zip(result, ("dQ", "dK", "dV")):
        assert_dtype(grad, np.float64, name=name)


def test_inputs_not_mutated(attention_backward):
    """Q, K, V, dO and the mask are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip(("Q", "K", "V", "dO"), random_inputs(4, 5, 3, 2, seed=21)))
    arguments["mask"] = np.tril(np.ones((4, 5), dtype=bool))
    before = {name: a.copy() for name, a in arguments.items()}
    attention_backward(*arguments.values())
    assert_inputs_unchanged(arguments, before)
