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
    assert found == [(12, "worked example does not match the solution: the values match but are printed "
                          "differently: show exactly what it prints (or set np.set_printoptions in the example "
                          "itself); output line 1 differs from column 16:\n"
                          "    statement: array([0.333333, 0.666667])\n"
                          "    solution:  array([0.33333333, 0.66666667])\n"
                          "                              ^")]


def test_spacing_that_numpy_would_not_print_fails():
    assert failures(">>> third(np.array([3.0, 6.0]))\narray([1., 2.])\n") == []
    (found,) = failures(">>> third(np.array([3.0, 6.0]))\narray([1.0, 2.0])\n")
    assert "printed differently" in found[1] and "    solution:  array([1., 2.])\n" in found[1]


def test_wrong_numbers_are_still_reported_as_wrong_numbers():
    (found,) = failures(">>> third(np.array([3.0]))\narray([1.5])\n")
    assert found == (11, "worked example does not match the solution: the solution gives other numbers; output "
                         "line 1 differs from column 10:\n    statement: array([1.5])\n    solution:  array([1.])"
                         "\n                        ^")


def test_one_wrong_digit_is_marked_at_its_output_line():
    block = ">>> third(np.ones((3, 1)))\narray([[0.33333333],\n       [0.33333333],\n       [0.33343333]])\n"
    (found,) = failures(block)
    line, message = found
    assert line == 13  # the third line of the output, not the >>> line (10)
    assert "output line 3 differs from column 14:" in message
    rows = message.splitlines()[-3:]
    assert rows[0] == "    statement:        [0.33343333]])" and rows[1] == "    solution:         [0.33333333]])"
    assert rows[2].index("^") == rows[0].index("4") == 28  # under the first differing digit


def test_printed_output_is_diffed_at_its_line():
    (found,) = failures(">>> print(third(3))\n1.1\n")
    assert found[0] == 11 and "output line 1 differs from column 3:\n    statement: 1.1\n    solution:  1.0" in found[1]
    (found,) = failures(">>> print(1); print(2)\n1\n")
    assert "the statement's output stops after its line 1, but the solution prints more:\n    solution:  2" in found[1]


def test_difference_marks_the_first_differing_character():
    from staticjudge.content.examples import difference

    assert difference("a\nbcd", "a\nbcd  ") is None
    found = difference("a\nbcd\ne", "a\nbxd\nf")
    assert found.line == 1 and found.message.endswith("    statement: bcd\n    solution:  bxd\n" + " " * 16 + "^")


def test_print_options_set_in_the_example_apply_to_it_and_end_with_it():
    block = ">>> np.set_printoptions(precision=4)\n>>> third(np.array([1.0, 2.0]))\narray([0.3333, 0.6667])\n"
    assert failures(block) == []
    assert np.get_printoptions()["precision"] == 8
    (found,) = failures(">>> third(np.array([1.0, 2.0]))\narray([0.3333, 0.6667])\n")
    assert "    solution:  array([0.33333333, 0.66666667])" in found[1]


@pytest.mark.parametrize("shown, ok", [("range(0, 3)", True), ("range(0,  3)", False), ("range(3)", False)])
def test_output_that_does_not_read_as_numbers_is_compared_as_printed(shown, ok):
    assert (failures(f">>> range(3)\n{shown}\n") == []) == ok
