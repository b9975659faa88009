"""Worked examples: `check` recomputes each one and wants exactly what running it prints."""

import numpy as np
import pytest

from staticjudge.content.examples import run_example
from staticjudge.model import Example

SOLUTION = "import numpy as np\n\ndef third(x):\n    return np.asarray(x, dtype=float) / 3\n"


def failures(block, line=10):
    return [(f.line, f.message) for f in run_example(Example(source=block, line=line), SOLUTION)]


def test_numpy_repr_passes():
    assert failures(">>> third(np.array([1.0, 2.0]))\narray([0.33333333, 0.66666667])\n") == []
    assert failures(">>> third(np.ones((2, 1)))\narray([[0.33333333],\n       [0.33333333]])\n") == []
    assert failures(">>> float(third(3))\n1.0\n>>> third(3).shape\n()\n") == []


def test_fewer_decimals_than_numpy_prints_fail_at_their_line():
    found = failures(">>> x = np.array([1.0, 2.0])\n>>> third(x)\narray([0.333333, 0.666667])\n")
    assert found == [(11, "worked example does not match the solution: the statement shows "
                          "'array([0.333333, 0.666667])', but the example prints "
                          "'array([0.33333333, 0.66666667])': show exactly what it prints "
                          "(or set np.set_printoptions in the example itself)")]


def test_spacing_that_numpy_would_not_print_fails():
    assert failures(">>> third(np.array([3.0, 6.0]))\narray([1., 2.])\n") == []
    (found,) = failures(">>> third(np.array([3.0, 6.0]))\narray([1.0, 2.0])\n")
    assert "but the example prints 'array([1., 2.])'" in found[1]


def test_wrong_numbers_are_still_reported_as_wrong_numbers():
    (found,) = failures(">>> third(np.array([3.0]))\narray([1.5])\n")
    assert "gave [1.], the statement says array([1.5])" in found[1]


def test_print_options_set_in_the_example_apply_to_it_and_end_with_it():
    block = ">>> np.set_printoptions(precision=4)\n>>> third(np.array([1.0, 2.0]))\narray([0.3333, 0.6667])\n"
    assert failures(block) == []
    assert np.get_printoptions()["precision"] == 8
    (found,) = failures(">>> third(np.array([1.0, 2.0]))\narray([0.3333, 0.6667])\n")
    assert "but the example prints 'array([0.33333333, 0.66666667])'" in found[1]


@pytest.mark.parametrize("shown, ok", [("range(0, 3)", True), ("range(0,  3)", False), ("range(3)", False)])
def test_output_that_does_not_read_as_numbers_is_compared_as_printed(shown, ok):
    assert (failures(f">>> range(3)\n{shown}\n") == []) == ok
