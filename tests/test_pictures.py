"""Failures a learner can see: a failed array check's picture and hint, in the Report (natively),
and the statement's ```matrix figures built from the reference solution."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from staticjudge.runtime import harness
from staticjudge.content.figures import figure_data, render_figures
from staticjudge.runtime.judge import PICTURE_MAX, CheckFailed, assert_close, assert_equal, with_hint
from staticjudge.model import ProblemError
from staticjudge.content.parser import parse_problem
from staticjudge.grading.runner import run_in_child

from conftest import line_of

ROOT = Path(__file__).resolve().parents[1]


def failure(check, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return caught.value


def strict_json(value):
    """JSON as the browser's JSON.parse reads it: a bare NaN or Infinity would be refused."""
    return json.loads(json.dumps(value, allow_nan=False))


def test_a_batched_array_gives_the_2d_slice_holding_the_first_difference():
    expected = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    got = expected.copy()
    got[1, 2, 3, 1] += 1.0  # the first difference, in C order
    got[1, 2, 0, 4] += 0.5e-6  # within tolerance: not outlined
    picture = failure(assert_close, got, expected, name="y").picture
    assert picture["index"] == [1, 2] and picture["first"] == [3, 1] and picture["shape"] == [2, 3, 4, 5]
    assert picture["name"] == "y" and picture["kind"] == "float"
    assert picture["got"] == got[1, 2].tolist() and picture["expected"] == expected[1, 2].tolist()
    assert picture["differs"] == (np.arange(20).reshape(4, 5) == 16).tolist()  # only [3, 1]


def test_the_first_difference_picks_the_slice_even_when_later_slices_differ_more():
    expected = np.zeros((3, 2, 2))
    got = expected.copy()
    got[1, 0, 1] = 1.0
    got[2] = 5.0
    picture = failure(assert_close, got, expected).picture
    assert picture["index"] == [1] and picture["got"] == [[0.0, 1.0], [0.0, 0.0]]


def test_a_1d_array_is_one_row():
    picture = failure(assert_close, np.array([1.0, 2.0, 3.5]), np.array([1.0, 2.0, 3.0])).picture
    assert picture["got"] == [[1.0, 2.0, 3.5]] and picture["first"] == [0, 2] and picture["index"] == []
    assert picture["differs"] == [[False, False, True]]


@pytest.mark.parametrize("shape, drawn", [((PICTURE_MAX, PICTURE_MAX), True), ((PICTURE_MAX + 1, 4), False),
                                          ((4, PICTURE_MAX + 1), False), ((3, PICTURE_MAX, PICTURE_MAX), True),
                                          ((PICTURE_MAX,), True), ((PICTURE_MAX + 1,), False)])
def test_slices_up_to_64_by_64_are_drawn(shape, drawn):
    expected = np.zeros(shape)
    got = expected.copy()
    got[(-1,) * len(shape)] = 1.0
    picture = failure(assert_close, got, expected).picture
    assert (picture is not None) == drawn
    if drawn:
        assert len(picture["got"]) * len(picture["got"][0]) == (shape[-2] if len(shape) > 1 else 1) * shape[-1]


def test_scalars_and_other_shapes_have_no_picture():
    assert failure(assert_close, np.float64(1.0), np.float64(2.0)).picture is None
    assert failure(assert_close, np.zeros((2, 3)), np.zeros((3, 2))).picture is None
    assert failure(assert_equal, np.zeros(3), np.zeros(3, dtype=bool), dtype_kind="b").picture is None


def test_kinds_bool_int_float():
    mask = np.tri(4, dtype=bool)
    bool_picture = failure(assert_equal, mask.T, mask).picture
    assert bool_picture["kind"] == "bool" and bool_picture["got"] == mask.T.tolist()
    assert all(type(v) is bool for row in bool_picture["expected"] for v in row)
    ints = np.arange(6).reshape(2, 3)
    int_picture = failure(assert_equal, ints + 1, ints).picture
    assert int_picture["kind"] == "int" and int_picture["got"] == (ints + 1).tolist()
    assert all(type(v) is int for row in int_picture["got"] for v in row)
    float_picture = failure(assert_close, np.ones((2, 2), dtype=np.float32), np.zeros((2, 2))).picture
    assert float_picture["kind"] == "float" and float_picture["got"] == [[1.0, 1.0], [1.0, 1.0]]


def test_nan_and_infinities_are_strings_so_the_browser_can_parse_the_json():
    got = np.array([[np.nan, 1.0], [np.inf, -np.inf]])
    expected = np.array([[0.0, 1.0], [np.inf, 0.0]])
    picture = failure(assert_close, got, expected).picture
    assert picture["got"] == [["nan", 1.0], ["inf", "-inf"]]
    assert picture["expected"] == [[0.0, 1.0], ["inf", 0.0]]
    assert picture["differs"] == [[True, False], [False, True]]  # inf == inf is no difference
    assert strict_json(picture) == picture
    additive = np.where(np.tri(3, dtype=bool), 0.0, -np.inf)
    equal_picture = failure(assert_equal, np.where(np.tri(3, dtype=bool).T, 0.0, -np.inf), additive).picture
    assert equal_picture["expected"][0] == [0.0, "-inf", "-inf"] and strict_json(equal_picture) == equal_picture


def test_cells_differ_by_the_checks_own_tolerance():
    expected = np.array([[1.0, 100.0]])
    got = expected + np.array([[2e-3, 2e-3]])  # beyond atol=1e-3 at 1.0; within rtol·100 at 100
    picture = failure(assert_close, got, expected, rtol=1e-4, atol=1e-3).picture
    assert picture["differs"] == [[True, False]]


def test_the_hint_is_apart_from_the_detail_and_the_message_reads_as_before():
    exc = failure(assert_close, np.zeros(3), np.ones(3), mistakes=lambda: {"you return zeros": np.zeros(3)})
    assert exc.hint == "you return zeros" and "Hint" not in exc.detail
    assert str(exc) == exc.detail + "\n  Hint: you return zeros"
    plain = failure(assert_close, np.zeros(3), np.ones(3))
    assert plain.hint is None and str(plain) == plain.detail
    again = with_hint(plain, "a test's own diagnosis")
    assert again.hint == "a test's own diagnosis" and again.picture == plain.picture and again.detail == plain.detail


TESTS = '''
import numpy as np
from judge import assert_close, assert_equal


def test_zeros(f):
    """All zeros"""
    assert_close(f(np.zeros((2, 3))), np.ones((2, 3)), mistakes=lambda: {"add one": np.zeros((2, 3))})


def test_batch(f):
    """A batch"""
    x = np.zeros((2, 3, 4))
    assert_close(f(x), x + 1, mistakes=lambda: {"add one": x})


def test_plain(f):
    """A plain assert with the hint convention"""
    assert f(np.zeros(1))[0] == 1, "f(0) is not 1\\n  Hint: add one"


def test_hint_in_the_middle(f):
    """A message whose Hint line is not its last"""
    raise AssertionError("wrong\\n  Hint: not this one\\n  Probable cause: something else")
'''


def test_the_report_carries_each_failures_hint_and_picture_and_stays_strict_json():
    report = harness.grade("def f(x):\n    return x\n", TESTS, ["f"])
    tests = {t["name"]: t for t in report["tests"]}
    assert [tests[n]["hint"] for n in ("test_zeros", "test_batch", "test_plain")] == ["add one"] * 3
    assert tests["test_hint_in_the_middle"]["hint"] is None
    for name in ("test_zeros", "test_batch", "test_plain"):
        assert tests[name]["message"].endswith("\n  Hint: add one")
    assert tests["test_zeros"]["picture"]["got"] == [[0.0] * 3] * 2
    assert tests["test_batch"]["picture"]["index"] == [0] and tests["test_batch"]["picture"]["shape"] == [2, 3, 4]
    assert tests["test_plain"]["picture"] is None  # a plain assert has no values to draw
    assert strict_json(report) == report
    browser = json.loads(harness.grade_json("def f(x):\n    return x\n", TESTS, '["f"]'))  # what the worker sends
    assert [t["picture"] for t in browser["tests"]] == [t["picture"] for t in report["tests"]]


def test_a_passing_test_has_neither_hint_nor_picture():
    report = harness.grade("def f(x):\n    return x + 1\n", TESTS, ["f"])
    assert [(t["hint"], t["picture"]) for t in report["tests"][:2]] == [(None, None), (None, None)]


def test_an_assertion_raised_in_the_learners_code_carries_no_picture():
    code = ("import numpy as np\nfrom judge import assert_close\n"
            "def f(x):\n    assert_close(x, x + 1, mistakes={'forged': x})\n")
    test = harness.grade(code, TESTS, ["f"])["tests"][0]
    assert test["status"] == "error" and test["hint"] is None and test["picture"] is None


def test_isolated_native_grading_carries_hint_and_picture():
    problem = parse_problem(ROOT / "problems" / "causal_mask.md", ROOT / "hidden_tests")
    code = problem.mutants[0].code  # strict_diagonal: the diagonal blocked
    titles = [(t.name, t.title) for t in problem.tests]
    report = run_in_child(code, problem.tests_source, problem.entry, problem.time_limit, titles,
                          tolerance=problem.tolerance)
    square = next(t for t in report["tests"] if t["name"] == "test_square_boolean_mask")
    assert square["hint"].startswith("the diagonal is blocked")
    picture = square["picture"]
    assert picture["kind"] == "bool" and picture["name"] == "causal_mask(6)"
    assert picture["expected"] == np.tri(6, dtype=bool).tolist()
    assert picture["got"] == np.tri(6, k=-1, dtype=bool).tolist()
    assert picture["differs"] == np.eye(6, dtype=bool).tolist()
    assert strict_json(report) == report


def test_a_mask_added_after_the_softmax_shares_one_hint_over_several_tests():
    """The data the page groups by: the same hint sentence on several failed tests."""
    problem = parse_problem(ROOT / "problems" / "masked_attention.md", ROOT / "hidden_tests")
    code = next(m.code for m in problem.mutants if m.name == "mask_after_softmax")
    report = harness.grade(code, problem.tests_source, problem.entry, tolerance=problem.tolerance)
    hints = [t["hint"] for t in report["tests"] if t["status"] == "fail"]
    shared = max(set(hints) - {None}, key=hints.count)
    assert hints.count(shared) >= 2 and "softmax" in shared
    for test in report["tests"]:
        if test["hint"] == shared:
            assert test["message"].endswith("\n  Hint: " + shared) and test["picture"] is not None


# ---------------------------------------------------------------------------------------------
# Statement figures
# ---------------------------------------------------------------------------------------------
def test_figure_data_encodes_kinds_and_non_finite_values():
    assert figure_data(np.tri(2, dtype=bool)) == {"kind": "bool", "shape": [2, 2], "values": [[True, False], [True, True]]}
    data = figure_data(np.array([0.0, -np.inf, np.nan]))
    assert data == {"kind": "float", "shape": [3], "values": [[0.0, "-inf", "nan"]]}
    assert strict_json(data) == data
    for bad in (np.zeros((2, 2, 2)), np.zeros((65, 2)), np.array(["a"]), np.float64(1.0)):
        with pytest.raises(ValueError):
            figure_data(bad)


def test_causal_mask_statement_figures_come_from_the_reference_solution():
    problem = parse_problem(ROOT / "problems" / "causal_mask.md", ROOT / "hidden_tests")
    figures = render_figures(problem)
    assert len(figures) == 2
    mask_html = figures["# causal_mask(8)\ncausal_mask(8)"]
    payload = mask_html.split('data-matrix="', 1)[1].split('"', 1)[0]
    data = json.loads(payload.replace("&quot;", '"'))
    assert data["values"] == np.tri(8, dtype=bool).tolist()
    assert mask_html.count("<td>True</td>") == 36 and mask_html.count("<td>False</td>") == 28


def test_a_broken_figure_is_an_error_at_its_file_and_line(tmp_path):
    source = (ROOT / "problems" / "causal_mask.md").read_text()
    broken = source.replace("causal_mask(8)\n```", "causal_mask(8)[None]\n```", 1)
    (tmp_path / "problems").mkdir()
    path = tmp_path / "problems" / "causal_mask.md"
    path.write_text(broken)
    problem = parse_problem(path, ROOT / "hidden_tests")
    with pytest.raises(ProblemError) as caught:
        render_figures(problem)
    line = broken.splitlines().index("causal_mask(8)[None]") + 1
    assert caught.value.line == line - 1 and "1-D or 2-D" in caught.value.message  # the block's first line
    raising = source.replace("causal_mask(8)\n```", "undefined_name(8)\n```", 1)
    path.write_text(raising)
    with pytest.raises(ProblemError) as caught:
        render_figures(parse_problem(path, ROOT / "hidden_tests"))
    assert caught.value.line == raising.splitlines().index("undefined_name(8)") + 1
    assert "NameError" in caught.value.message and str(caught.value).startswith(f"{path}:")


def test_the_build_writes_figures_and_stops_at_a_broken_one(project):
    from staticjudge.model import BuildError
    from staticjudge.project import Paths
    from staticjudge.site.build import build_site

    md = project / "problems" / "self_attention.md"
    text = md.read_text()
    figure = "```matrix\n# Q @ K.T for Q = K = I\nnp.eye(2) @ np.eye(2).T\n```\n\n"
    at = text.index("## Starter code")
    md.write_text(text[:at] + figure + text[at:])
    build_site(Paths(project), project / "_site")
    page = (project / "_site" / "self_attention" / "index.html").read_text()
    assert '<figure class="matrix-figure" data-matrix="' in page and "Q @ K.T for Q = K = I" in page
    assert page.count("<td>1</td>") == 2 and page.count("<td>0</td>") == 2 and "```matrix" not in page
    md.write_text(text[:at] + figure.replace("np.eye(2).T", "np.eye(3).T") + text[at:])
    with pytest.raises(BuildError) as info:
        build_site(Paths(project), project / "_site")
    [error] = info.value.errors
    assert error.path == md and error.line == line_of(md, "np.eye(3).T") and "ValueError" in error.message
