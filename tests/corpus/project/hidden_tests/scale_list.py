import math


def check_list(got, expected):
    assert got is not None, "scale returned None: did you forget to `return` the list?"
    assert type(got) is list, f"scale should return a list, but it returned a {type(got).__name__}"
    assert len(got) == len(expected), f"expected {len(expected)} items, got {len(got)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert type(g) in (int, float), f"item {i} should be a number, but it is a {type(g).__name__}"
        assert math.isfinite(g), f"item {i} is {g}, expected {e}"
        assert abs(g - e) <= 1e-9 * max(1.0, abs(e)), f"item {i}: got {g}, expected {e}"


def test_example(scale):
    """Worked example from the statement"""
    check_list(scale([1, 2.5], 2), [2, 5.0])


def test_negative_factor(scale):
    """Works with a negative factor"""
    check_list(scale([3, -1, 0.5], -2), [-6, 2, -1.0])


def test_empty(scale):
    """An empty list gives an empty list"""
    check_list(scale([], 3), [])


def test_input_unchanged(scale):
    """Leaves the input list unchanged"""
    xs = [1.0, 2.0, 3.0]
    scale(xs, 10)
    assert xs == [1.0, 2.0, 3.0], "scale changed its input list: build a new list instead"
