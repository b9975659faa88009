import numpy as np

from judge import tolerance, assert_close, assert_dtype, assert_shape, assert_inputs_unchanged, assert_true


def sum_tolerance(n):
    """How far a sum of n results may be off when each is within the declared tolerance
    (atol + rtol·|w| each; the weights summing to 1): n·atol + rtol."""
    t = tolerance()
    return {"rtol": 0.0, "atol": n * t["atol"] + t["rtol"]}


def reference(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def mistakes(x, axis=-1):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    x = np.asarray(x, dtype=np.float64)
    found = {}

    def add(message, make):
        try:
            with np.errstate(all="ignore"):
                found[message] = make()
        except (ValueError, TypeError, IndexError):
            pass  # this mistake cannot even produce an array for this input

    add("each row should subtract its own maximum, x.max(axis=axis, keepdims=True), not the "
        "maximum of the whole array", lambda: np.exp(x - x.max()) / np.exp(x - x.max()).sum(
            axis=axis, keepdims=True))
    add("the `axis` argument seems to be ignored: take the max and the sum along `axis`",
        lambda: reference(x, axis=-1))
    add("the row sums seem to broadcast along the wrong axis: sum with keepdims=True",
        lambda: np.exp(x - x.max(axis=axis, keepdims=True))
        / np.exp(x - x.max(axis=axis, keepdims=True)).sum(axis=axis))
    add("the rows do not sum to 1: divide the exponentials by their sum along `axis`",
        lambda: np.exp(x - x.max(axis=axis, keepdims=True)))
    add("exp() of the raw input overflows or underflows: subtract each row's maximum first",
        lambda: np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True))
    return found


def check(softmax, x, axis=None, **options):
    got = softmax(x) if axis is None else softmax(x, axis=axis)
    axis = -1 if axis is None else axis
    assert_close(got, reference(x, axis), mistakes=lambda: mistakes(x, axis), **options)


def test_worked_example(softmax):
    """Worked examples from the statement"""
    check(softmax, np.array([1.0, 2.0, 3.0]))
    check(softmax, np.array([1000.0, 1001.0, 1002.0]))
    check(softmax, np.array([[0.0, -np.inf, 1.0], [2.0, 2.0, 2.0]]))
    check(softmax, np.array([[1.0, 2.0], [3.0, 5.0]]), axis=0)


def test_square_matrix_rows_sum_to_one(softmax):
    """Output has the input's shape; each row of a square matrix is non-negative and sums to 1

    Guards: normalised
    """
    x = np.random.default_rng(1).standard_normal((4, 4))
    got = softmax(x)
    assert_shape(got, x.shape)
    got = np.asarray(got, dtype=np.float64)
    assert_true(np.all(got >= 0), "some weights are negative; exp() is never negative")
    sums = got.sum(axis=-1)
    assert_close(sums, np.ones(4), name="the row sums (axis=-1) of your result", **sum_tolerance(4),
                 mistakes=lambda: {"the columns sum to 1 instead of the rows: divide by e.sum(axis=axis, "
                           "keepdims=True)": reference(x, 0).sum(axis=-1),
                           "the row sums seem to broadcast along the wrong axis: sum with "
                           "keepdims=True": (np.exp(x - x.max(-1, keepdims=True))
                                             / np.exp(x - x.max(-1, keepdims=True)).sum(-1)).sum(-1)})
    check(softmax, x)


def test_matches_naive_formula(softmax):
    """Matches exp(x) / sum(exp(x)) on small inputs of shape (2, 3, 5)

    Guards: normalised, keepdims_broadcast
    """
    x = np.random.default_rng(2).uniform(-3, 3, size=(2, 3, 5))
    naive = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    assert_close(softmax(x), naive, mistakes=lambda: mistakes(x))


def test_axis_argument(softmax):
    """Normalises along the axis it is given (axis=0, axis=1 and axis=-2 of a 3-D array)

    Guards: axis, keepdims_broadcast
    """
    x = np.random.default_rng(3).standard_normal((3, 4, 5))
    for axis in (0, 1, -2):
        got = softmax(x, axis=axis)
        assert_shape(got, x.shape, name=f"softmax(x, axis={axis})")
        assert_close(got, reference(x, axis), name=f"softmax(x, axis={axis})",
                     mistakes=lambda: mistakes(x, axis))


def test_large_inputs_stay_finite(softmax):
    """Large inputs such as [1000, 1001, 1002] (and -1000, -1001, -1002) give finite weights

    Guards: stable_large
    """
    check(softmax, np.array([1000.0, 1001.0, 1002.0]))
    check(softmax, np.array([[-1000.0, -1001.0, -1002.0], [800.0, 750.0, 790.0]]))


def test_rows_of_different_scale(softmax):
    """Each row subtracts its own maximum (one row near 0, another near 1000)

    Guards: row_max
    """
    x = np.array([[0.0, 1.0, 2.0, 0.5], [1000.0, 1001.0, 1002.0, 999.0], [-3.0, 0.0, -1.0, 4.0]])
    check(softmax, x)
    check(softmax, x.T.copy(), axis=0)


def test_minus_inf_gets_zero_weight(softmax):
    """Entries equal to -inf get weight exactly 0; the rest of the row still sums to 1

    Guards: minus_inf
    """
    x = np.array([[0.0, -np.inf, 1.0, -np.inf], [-np.inf, 2.0, 2.0, -np.inf], [5.0, -np.inf, -np.inf, -np.inf]])
    got = softmax(x)
    check(softmax, x)
    blocked = np.isneginf(x)
    got = np.asarray(got, dtype=np.float64)
    assert_true(np.all(got[blocked] == 0.0),
                lambda: f"-inf entries got weights {got[blocked]}; exp(-inf) is 0, so they must be exactly 0")


def test_shift_invariance(softmax):
    """Adding a constant to every entry of a row does not change that row's softmax

    Guards: row_max
    """
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 6))
    shift = np.array([[0.0], [3.5], [-40.0], [250.0], [-700.0]])
    got = softmax(x + shift)
    assert_close(got, reference(x), name="softmax(x + c)", mistakes=lambda: mistakes(x + shift))


def test_float32_and_integer_inputs(softmax):
    """Accepts float32 and integer inputs

    Guards: dtypes
    """
    x = np.random.default_rng(5).standard_normal((3, 7)).astype(np.float32)
    assert_close(softmax(x), reference(x), **tolerance("float32"), name="softmax of a float32 array")
    ints = np.array([[1, 2, 3], [0, 0, 0], [10, -10, 0]])
    got = softmax(ints)
    assert_close(got, reference(ints), name="softmax of an integer array",
                 mistakes=lambda: {"the result looks rounded to integers: compute in floating point "
                           "(e.g. x = np.asarray(x, dtype=float))": np.floor(reference(ints))})


def test_unsigned_integer_input(softmax):
    """Unsigned integer input (uint8) is converted to float before the row maximum is subtracted

    Guards: converted_first
    """
    x = np.array([[0, 250, 5, 250], [255, 1, 0, 255]], dtype=np.uint8)  # 0 - 250 is 6 in uint8
    got = softmax(x)
    assert_close(got, reference(x), name="softmax of a uint8 array")
    assert_dtype(got, np.float64, name="softmax of a uint8 array")
    column = np.array([[0], [250], [2]], dtype=np.uint8)
    assert_close(softmax(column, axis=0), reference(column, 0), name="softmax(x, axis=0) of a uint8 column")


def test_inputs_not_mutated(softmax):
    """The input array is left unchanged, along the default axis and along axis 0

    Guards: inputs_not_mutated
    """
    x = np.random.default_rng(12).standard_normal((3, 4)) * 5.0
    for axis in (None, 0):
        before = x.copy()
        softmax(x) if axis is None else softmax(x, axis=axis)
        assert_inputs_unchanged({"x": x}, {"x": before})
