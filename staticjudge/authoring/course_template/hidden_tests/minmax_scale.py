"""Hidden tests of minmax_scale: learners see each test's title (its docstring's first line)
and its message, never this code. A "Guards:" line names the requirements a test checks."""

import numpy as np

from judge import assert_close, assert_dtype, assert_inputs_unchanged, assert_shape


def reference(x):
    x = np.asarray(x, dtype=np.float64)
    return (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))


def test_worked_example(minmax_scale):
    """Worked example from the statement"""
    x = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0]])
    assert_close(minmax_scale(x), reference(x))


def test_each_column_runs_from_zero_to_one(minmax_scale):
    """Each column runs from 0 to 1

    Guards: range
    """
    x = np.array([[2.0, -1.0], [4.0, 3.0], [8.0, 1.0]])
    got = minmax_scale(x)
    assert_shape(got, x.shape)
    assert_close(got.min(axis=0), np.zeros(2), name="each column's minimum")
    assert_close(got.max(axis=0), np.ones(2), name="each column's maximum")


def test_columns_are_scaled_on_their_own(minmax_scale):
    """A wide table: each column is scaled with its own minimum and maximum

    Guards: per_column
    """
    x = np.random.default_rng(7).uniform(-50, 50, size=(5, 3))
    assert_close(minmax_scale(x), reference(x))


def test_integer_and_float32_input_give_float64(minmax_scale):
    """Integer and float32 input give a float64 result

    Guards: float64
    """
    for dtype in (np.int64, np.float32):
        x = np.array([[0, 5], [1, 15], [4, 10]], dtype=dtype)
        got = minmax_scale(x)
        assert_dtype(got, np.float64, name=f"your result for {np.dtype(dtype)} input")
        assert_close(got, reference(x))


def test_input_is_left_unchanged(minmax_scale):
    """Leaves its input unchanged

    Guards: unchanged
    """
    x = np.random.default_rng(3).uniform(1, 9, size=(4, 2))
    before = {"x": x.copy()}
    minmax_scale(x)
    assert_inputs_unchanged({"x": x}, before)
