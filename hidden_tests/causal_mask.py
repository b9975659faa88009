import numpy as np

from judge import assert_close, assert_equal, assert_true, with_hint


def expected_mask(T, S=None):
    S = T if S is None else S
    return np.arange(S)[None, :] <= np.arange(T)[:, None]


def expected_additive(T):
    return np.where(expected_mask(T), 0.0, -np.inf)


def bool_mistakes(T, S=None):
    S = T if S is None else S
    right = expected_mask(T, S)
    return {
        "the diagonal is blocked: query i may attend to key i too (use j <= i, not j < i)":
            np.arange(S)[None, :] < np.arange(T)[:, None],
        "the queries look aligned to the last keys: with S > T, query i still sees keys 0..i "
        "only, and keys T..S-1 are blocked": np.tril(np.ones((T, S), dtype=bool), k=S - T),
        "the mask looks transposed: query i may see keys 0..i (the lower triangle), not the "
        "later ones": np.arange(S)[None, :] >= np.arange(T)[:, None],
        "the mask seems to ignore S: it must have shape (T, S)": right[:, :T],
    }


def additive_mistakes(T):
    with np.errstate(all="ignore"):
        times_inf = (1.0 - np.tri(T)) * -np.inf
    return {
        "allowed entries are nan: 0 * -inf is nan in floating point, so choose the two values "
        "with np.where(mask, 0.0, -np.inf) instead of multiplying": times_inf,
        "the diagonal is -inf: query i may attend to key i, so the diagonal must be 0":
            np.where(np.tri(T, k=-1, dtype=bool), 0.0, -np.inf),
        "the mask looks transposed: -inf belongs above the diagonal (keys j > i)":
            np.where(np.tri(T, dtype=bool).T, 0.0, -np.inf),
        "blocked entries must be exactly -inf, not a large negative number":
            np.where(np.tri(T, dtype=bool), 0.0, -1e9),
    }


def _same_values(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype.kind in "biuf" and b.dtype.kind in "biuf" and bool(
        np.array_equal(a.astype(np.float64), b.astype(np.float64), equal_nan=True))


def assert_same(got, expected, *, name, dtype_kind, mistakes):
    """assert_equal, plus a hint when ``got`` equals the output of a known mistake.

    ``mistakes`` returns {hint: wrong output}; it is called only when the check fails.
    """
    try:
        assert_equal(got, expected, name=name, dtype_kind=dtype_kind)
    except AssertionError as exc:
        if isinstance(got, np.ndarray):
            array = got.view(np.ndarray)
            if _same_values(array, expected):
                if dtype_kind == "b":
                    raise with_hint(exc, "the values are right but they are numbers; return booleans, "
                                         "e.g. a comparison such as j <= i, or np.tri(T, S, dtype=bool)") from None
                raise with_hint(exc, "the values are right; return them as a float64 array") from None
            for hint, wrong in mistakes().items():
                if not _same_values(wrong, expected) and _same_values(array, wrong):
                    raise with_hint(exc, hint) from None
        raise


def check_bool(causal_mask, T, S=None):
    got = causal_mask(T) if S is None else causal_mask(T, S)
    call = f"causal_mask({T})" if S is None else f"causal_mask({T}, {S})"
    assert_same(got, expected_mask(T, S), name=call, dtype_kind="b", mistakes=lambda: bool_mistakes(T, S))
    return got


def check_additive(additive_causal_mask, T):
    got = additive_causal_mask(T)
    assert_same(got, expected_additive(T), name=f"additive_causal_mask({T})", dtype_kind="f",
                mistakes=lambda: additive_mistakes(T))
    return got


def test_worked_example(causal_mask, additive_causal_mask):
    """Worked examples from the statement"""
    check_bool(causal_mask, 3)
    check_bool(causal_mask, 2, 4)
    check_additive(additive_causal_mask, 3)
    weights = np.exp(np.zeros((3, 3)) + np.asarray(additive_causal_mask(3), dtype=np.float64))
    assert_close(weights / weights.sum(axis=-1, keepdims=True),
                 np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]]),
                 name="softmax of zeros + additive_causal_mask(3)")


def test_square_boolean_mask(causal_mask):
    """causal_mask(T) is a (T, T) boolean array, True on and below the diagonal (T = 6)

    Guards: past_only, bool_dtype
    """
    check_bool(causal_mask, 6)


def test_diagonal_is_allowed(causal_mask):
    """Every query may attend to its own position: the diagonal is True

    Guards: diagonal
    """
    got = np.asarray(causal_mask(7)).view(np.ndarray)
    assert_true(got.shape == (7, 7), lambda: f"causal_mask(7) has shape {got.shape}, expected (7, 7)")
    diagonal = np.diagonal(got)
    assert_true(bool(np.all(diagonal.astype(bool))),
                lambda: f"the diagonal of causal_mask(7) is {diagonal}; query i may attend to key i, so every "
                "diagonal entry must be True (use j <= i, not j < i)")
    assert_true(not bool(np.any(got[np.triu_indices(7, k=1)].astype(bool))),
                "causal_mask(7) allows some key j > i: the entries above the diagonal are the future "
                "and must be False")


def test_default_keys(causal_mask):
    """S defaults to T: causal_mask(T) equals causal_mask(T, T)

    Guards: default_keys
    """
    check_bool(causal_mask, 5, 5)
    check_bool(causal_mask, 5)


def test_more_keys_than_queries(causal_mask):
    """With S > T keys, query i still sees keys 0..i and the extra keys are blocked

    Guards: more_keys
    """
    check_bool(causal_mask, 3, 5)
    check_bool(causal_mask, 2, 7)
    check_bool(causal_mask, 4, 5)


def test_single_position(causal_mask, additive_causal_mask):
    """A single position (T = 1) sees only itself

    Guards: diagonal
    """
    check_bool(causal_mask, 1)
    check_bool(causal_mask, 1, 3)
    check_additive(additive_causal_mask, 1)


def test_additive_values(additive_causal_mask):
    """additive_causal_mask(T) is a float (T, T) array of 0 and exactly -inf (T = 5)

    Guards: exact_minus_inf, additive_dtype
    """
    got = check_additive(additive_causal_mask, 5)
    assert_true(got.dtype == np.float64,
                lambda: f"additive_causal_mask(5) has dtype {got.dtype}, expected float64")


def test_additive_matches_boolean(causal_mask, additive_causal_mask):
    """The additive mask is 0 exactly where the boolean mask is True, for T = 1..8

    Guards: exact_minus_inf, additive_diagonal
    """
    for T in range(1, 9):
        check_bool(causal_mask, T)
        check_additive(additive_causal_mask, T)


def masked_softmax(scores, additive):
    masked = scores + np.asarray(additive, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(masked - masked.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def test_additive_mask_in_softmax(additive_causal_mask):
    """Added to scores before a softmax, the additive mask gives causal weights that sum to 1

    Guards: additive_diagonal
    """
    T = 6
    scores = np.random.default_rng(0).standard_normal((T, T)) * 3.0
    weights = masked_softmax(scores, additive_causal_mask(T))
    assert_close(weights, masked_softmax(scores, expected_additive(T)),
                 name="softmax(scores + additive_causal_mask(6))",
                 mistakes=lambda: {hint: masked_softmax(scores, wrong)
                           for hint, wrong in additive_mistakes(T).items()})
