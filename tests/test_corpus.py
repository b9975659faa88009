"""Every bad submission of the corpus gets its verdict natively, within the time limit."""

from pathlib import Path

import pytest

from staticjudge.content.parser import parse_problem
from staticjudge.grading.runner import run_in_child

from conftest import ROOT
from corpus.bad_submissions import CASES, verdict_problems

CORPUS_PROJECT = Path(__file__).resolve().parent / "corpus" / "project"


def load(slug):
    if slug == "scale_list":
        return parse_problem(CORPUS_PROJECT / "problems" / "scale_list.md", CORPUS_PROJECT / "hidden_tests")
    return parse_problem(ROOT / "problems" / f"{slug}.md", ROOT / "hidden_tests")


PROBLEMS = {slug: load(slug) for slug in {case.problem for case in CASES}}


def test_corpus_is_large_and_varied():
    assert len(CASES) >= 60
    assert {c.verdict for c in CASES} == {"pass", "fail", "error"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_native_verdict(case):
    problem = PROBLEMS[case.problem]
    titles = [(t.name, t.title) for t in problem.tests]
    report = run_in_child(case.code, problem.tests_source, problem.entry, problem.time_limit, titles,
                          tolerance=problem.tolerance)
    assert not verdict_problems(case, report), "\n".join(verdict_problems(case, report))


def test_a_correct_run_after_a_runaway_one_passes():
    problem = PROBLEMS["scale_list"]
    titles = [(t.name, t.title) for t in problem.tests]
    runaway = run_in_child("def scale(xs, k):\n    while True: pass\n", problem.tests_source, problem.entry, 1, titles)
    assert runaway["stopped"] == "timeout"
    good = run_in_child(problem.solution.code, problem.tests_source, problem.entry, problem.time_limit, titles,
                        tolerance=problem.tolerance)
    assert good["status"] == "pass"
