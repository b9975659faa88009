"""Hints from the author's mutants: a failed check whose result matches what one of the problem's
mutants returns on the same inputs names that mistake, in the mutant's own description.

In process (``harness.grade``), natively through ``grade`` (the learner's code in a process of its
own, the mutants in the tests' process), and over the shipped catalogue: every description is
written for learners and quotes no line of the solution.
"""

import json
import re
import sys

import pytest

from conftest import ROOT
from staticjudge.content.parser import load_problems
from staticjudge.model import mutant_data
from staticjudge.runtime import harness

TESTS = '''
import numpy as np
from judge import assert_close


def test_scaled(scale):
    """Scales a vector by 1/sqrt(d)"""
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert_close(scale(x), x / 2.0)


def test_own_hint(scale):
    """A test's own hint"""
    x = np.array([4.0, 8.0, 16.0, 4.0])
    assert_close(scale(x), x / 2.0, mistakes=lambda: {"divide by the square root of the length": x / 4.0})


def test_pair(scale):
    """Two calls, one checked by a plain assert"""
    a = scale(np.array([2.0, 2.0, 2.0, 2.0]))
    b = scale(np.array([6.0, 0.0, 0.0, 0.0]))
    assert abs(b[0] - 3.0) < 1e-9 and abs(a[0] - 1.0) < 1e-9


def test_item(split):
    """Takes an item of a tuple result"""
    head, rest = split(np.array([1.0, 2.0, 3.0]))
    assert_close(rest, np.array([2.0, 3.0]))
'''

SOLUTION = """import numpy as np

def scale(x):
    return x / np.sqrt(len(x))

def split(x):
    return x[0], x[1:]
"""
NOT_ROOTED = "Your code divides by the length itself: divide by its square root, np.sqrt(len(x))."
TIMES_LENGTH = "Your code multiplies by the square root of the length: divide by it instead."
MUTANTS = [
    {"name": "not_rooted", "description": NOT_ROOTED,
     "code": SOLUTION.replace("x / np.sqrt(len(x))", "x / len(x)"), "entries": ["scale"]},
    {"name": "times", "description": TIMES_LENGTH,
     "code": SOLUTION.replace("x / np.sqrt(len(x))", "x * np.sqrt(len(x))"), "entries": ["scale"]},
    {"name": "split_drops_one", "description": "Your code drops the last item of the rest.",
     "code": SOLUTION.replace("x[1:]", "x[1:-1]"), "entries": ["split"]},
]


def grade(code, mutants=MUTANTS, **kwargs):
    report = harness.grade(code, TESTS, ["scale", "split"], mutants=mutants, **kwargs)
    json.dumps(report)
    return {t["name"]: t for t in report["tests"]}


def test_a_result_equal_to_a_mutants_gets_its_description_as_hint():
    wrong = SOLUTION.replace("x / np.sqrt(len(x))", "x / x.shape[0]")  # not the mutant's code: its result
    test = grade(wrong)["test_scaled"]
    assert test["status"] == "fail" and test["hint"] == NOT_ROOTED
    assert test["message"].endswith("\n  Hint: " + NOT_ROOTED)


def test_no_mutants_no_hint():
    wrong = SOLUTION.replace("x / np.sqrt(len(x))", "x / x.shape[0]")
    assert grade(wrong, mutants=None)["test_scaled"]["hint"] is None


def test_a_wrong_result_no_mutant_gives_gets_no_mutant_hint():
    test = grade(SOLUTION.replace("x / np.sqrt(len(x))", "x + 1"))["test_scaled"]
    assert test["status"] == "fail" and test["hint"] is None


def test_the_tests_own_hint_wins_over_a_mutants():
    """x / len(x) on [4, 8, 16, 4] is what the test's own mistake gives, and the mutant's too."""
    wrong = SOLUTION.replace("x / np.sqrt(len(x))", "x / x.shape[0]")
    test = grade(wrong)["test_own_hint"]
    assert test["hint"] == "divide by the square root of the length"


def test_a_plain_assert_is_told_by_the_results_of_every_call_of_the_test():
    test = grade(SOLUTION.replace("x / np.sqrt(len(x))", "x * np.sqrt(x.size)"))["test_pair"]
    assert test["status"] == "fail" and test["hint"] == TIMES_LENGTH
    assert test["message"].endswith("\n  Hint: " + TIMES_LENGTH)


def test_an_item_of_a_tuple_result_is_matched_with_the_same_item_of_the_mutants():
    test = grade(SOLUTION.replace("x[1:]", "x[1:len(x) - 1]"))["test_item"]
    assert test["hint"] == "Your code drops the last item of the rest."


def test_a_mutant_is_asked_only_about_the_entry_functions_it_changes():
    """`not_rooted` changes scale only: a wrong split is never told its description."""
    mutants = [dict(MUTANTS[0], entries=["scale"], code=MUTANTS[0]["code"].replace("x[1:]", "x[2:]"))]
    test = grade(SOLUTION.replace("x[1:]", "x[2:]"), mutants=mutants)["test_item"]
    assert test["status"] == "fail" and test["hint"] is None


CODEC_TESTS = """
import numpy as np
from judge import assert_close


def test_round_trip(enc, dec):
    x = np.array([1.0, 2.0, 3.0])
    assert_close(dec(enc(x)), x)
"""
CODEC = "def enc(x):\n    return x * 2\n\n\ndef dec(y):\n    return y / 2\n"
CODEC_MUTANTS = [
    {"name": "enc_plus_one", "description": "Your enc adds 1.", "entries": ["enc"],
     "code": CODEC.replace("x * 2", "x * 2 + 1")},
    {"name": "dec_by_three", "description": "Your dec divides by 3.", "entries": ["dec"],
     "code": CODEC.replace("y / 2", "y / 3")},
]


@pytest.mark.parametrize("wrong, hint", [(CODEC.replace("x * 2", "1 + 2 * x"), "Your enc adds 1."),
                                         (CODEC.replace("y / 2", "y / 3.0"), "Your dec divides by 3.")])
def test_a_call_on_an_earlier_calls_result_is_replayed_with_the_mutants_own_functions(wrong, hint):
    """dec(enc(x)) of a learner whose enc is wrong: the mutant of enc gives dec(its own enc(x)),
    which matches; the mutant of dec, given the learner's enc(x), would not be asked (dec is right)."""
    report = harness.grade(wrong, CODEC_TESTS, ["enc", "dec"], mutants=CODEC_MUTANTS)
    assert report["tests"][0]["status"] == "fail" and report["tests"][0]["hint"] == hint


def test_a_result_that_two_mistakes_give_names_neither():
    twin = dict(MUTANTS[0], name="twin", description="Your code divides by the number of entries.",
                code=SOLUTION.replace("x / np.sqrt(len(x))", "x / x.size"))
    test = grade(SOLUTION.replace("x / np.sqrt(len(x))", "x / x.shape[0]"), mutants=MUTANTS + [twin])["test_scaled"]
    assert test["status"] == "fail" and test["hint"] is None


def test_a_passing_run_computes_no_mutant(monkeypatch):
    made = []
    original = harness.MutantHints.__init__

    def spy(self, mutants):
        original(self, mutants)
        made.append(self)

    monkeypatch.setattr(harness.MutantHints, "__init__", spy)
    loaded = []
    monkeypatch.setattr(harness.MutantHints, "_namespaces",
                        lambda self: loaded.append(1) or [])
    report = harness.grade(SOLUTION, TESTS, ["scale", "split"], mutants=MUTANTS)
    assert report["status"] == "pass"
    assert made and made[0].runs == 0 and not loaded  # no mutant loaded, none run


def test_a_failing_run_runs_the_mutants_once_per_call():
    hints = []
    original = harness.MutantHints.__init__

    def spy(self, mutants):
        original(self, mutants)
        hints.append(self)

    wrong = SOLUTION.replace("x / np.sqrt(len(x))", "x / x.shape[0]")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(harness.MutantHints, "__init__", spy)
        harness.grade(wrong, TESTS, ["scale", "split"], mutants=MUTANTS)
    # test_scaled: one call × 3 mutants (each defines scale); test_own_hint: none (its own hint
    # matched); test_pair: two calls × 3 mutants; test_item passes.
    assert hints[0].runs == 3 + 6


def test_a_mutants_output_and_errors_reach_neither_the_learner_nor_the_report():
    noisy = [dict(MUTANTS[0], code=MUTANTS[0]["code"].replace("return x / len(x)",
                                                               "print('mutant!')\n    return x / len(x)")),
             dict(MUTANTS[1], code="raise ValueError('broken mutant')")]
    wrong = SOLUTION.replace("x / np.sqrt(len(x))", "x / x.shape[0]")
    report = harness.grade(wrong, TESTS, ["scale", "split"], mutants=noisy)
    assert "mutant" not in report["stdout"]
    assert report["tests"][0]["hint"] == NOT_ROOTED


def test_judge_forgets_the_mutants_after_the_run():
    from staticjudge.runtime import judge

    grade(SOLUTION.replace("x / np.sqrt(len(x))", "x / x.shape[0]"))
    assert judge._mutant_outputs is None


# ---------------------------------------------------------------------------------------------
# Natively, with the learner's code in a process of its own
# ---------------------------------------------------------------------------------------------
SOFTMAX_LIKE_MUTANT = """import numpy as np


def softmax(x, axis=-1):
    x = np.where(np.isfinite(x), x, 0.0)
    m = x.max(axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)
"""


@pytest.fixture(scope="module")
def catalogue():
    problems, errors = load_problems(ROOT / "problems", ROOT / "hidden_tests")
    assert not errors
    return {p.slug: p for p in problems}


def test_native_grading_names_the_mutant_the_learners_code_behaves_like(catalogue):
    from staticjudge.grading import grade as grade_natively

    problem = catalogue["softmax"]
    mutant = next(m for m in problem.mutants if m.name == "minus_inf_as_zero")
    report = grade_natively(problem, SOFTMAX_LIKE_MUTANT)
    hints = {t["hint"] for t in report["tests"] if t["status"] == "fail"}
    assert mutant.description in hints
    assert not any(t["hint"] for t in grade_natively(problem, SOFTMAX_LIKE_MUTANT, mutant_hints=False)["tests"]
                   if t["status"] == "fail" and t["hint"] == mutant.description)


# ---------------------------------------------------------------------------------------------
# The catalogue's descriptions: for learners, and no solution in them
# ---------------------------------------------------------------------------------------------
def test_every_mutant_description_speaks_to_the_learner(catalogue):
    bad = [f"{slug}/{m.name}: {m.description}" for slug, p in catalogue.items() for m in p.mutants
           if not m.description.startswith("Your ")]
    assert not bad, "\n".join(bad)


def test_no_mutant_description_quotes_a_line_of_the_solution(catalogue):
    leaks = []
    for slug, problem in catalogue.items():
        lines = {line.strip() for line in problem.solution.code.splitlines() if len(line.strip()) >= 24}
        for mutant in problem.mutants:
            text = re.sub(r"\s+", " ", mutant.description)
            leaks += [f"{slug}/{mutant.name}: {line}" for line in lines if re.sub(r"\s+", " ", line) in text]
    assert not leaks, "\n".join(leaks)


def test_mutant_data_names_the_entry_functions_each_mutant_changes(catalogue):
    by_name = {m["name"]: m for m in mutant_data(catalogue["causal_mask"])}
    assert by_name["strict_diagonal"]["entries"] == ["causal_mask"]
    assert by_name["additive_times_inf"]["entries"] == ["additive_causal_mask"]
    by_name = {m["name"]: m for m in mutant_data(catalogue["split_heads"])}
    assert by_name["split_in_float32"]["entries"] == ["split_heads"]
    assert all(m["entries"] for m in by_name.values())


def test_problem_json_ships_the_mutants_and_never_the_solution(catalogue):
    from staticjudge.site.views import problem_data

    problem = catalogue["softmax"]
    data = problem_data(problem)
    assert [m["name"] for m in data["mutants"]] == [m.name for m in problem.mutants]
    assert all(set(m) == {"name", "description", "code", "entries"} for m in data["mutants"])
    assert problem.solution.code not in json.dumps(data)


# ---------------------------------------------------------------------------------------------
# bench/mutant_hints.py grades as the page does
# ---------------------------------------------------------------------------------------------
def test_the_bench_grades_with_what_the_page_gives_the_harness(catalogue):
    """The bench passes the declared tolerance as well as the mutants, as the worker passes
    problem.json's: without it, a test asking for ``tolerance("float32")`` stops with an error
    and the mutant its check names goes unnamed (self_attention's no_scaling among them), and
    every problem declaring a named tolerance fails its own solution."""
    from staticjudge.site.views import problem_data

    sys.path.insert(0, str(ROOT / "bench"))
    import mutant_hints

    mutant_hints.require_passing_solutions(catalogue.values())
    problem = catalogue["self_attention"]
    assert isinstance(problem.tolerance.get("float32"), dict)
    mutant = next(m for m in problem.mutants if m.name == "no_scaling")
    data = problem_data(problem)
    page = json.loads(harness.grade_json(mutant.code, data["tests_source"], json.dumps(data["entry"]),
                                         mutants_json=json.dumps(data["mutants"]),
                                         tolerance_json=json.dumps(data["tolerance"])))
    bench = mutant_hints.graded(problem, mutant.code, mutant_data(problem))
    assert [(t["name"], t["status"], t["hint"]) for t in bench["tests"]] == \
        [(t["name"], t["status"], t["hint"]) for t in page["tests"]]
    assert mutant.description in {t["hint"] for t in page["tests"] if t["status"] == "fail"}
    assert mutant_hints.outcome(problem, mutant.code, mutant_data(problem), mutant.name)["named"]
