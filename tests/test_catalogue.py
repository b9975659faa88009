"""Every shipped problem is sound, and accepts correct solutions written in other styles."""

from pathlib import Path

import pytest

from staticjudge.authoring.checker import check_problem, mutation_report
from staticjudge.grading.report import report_text as format_report
from staticjudge.content.parser import load_problems
from staticjudge.grading.runner import run_in_child

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = Path(__file__).resolve().parent / "solutions"
PROBLEMS, ERRORS = load_problems(ROOT / "problems", ROOT / "hidden_tests")
BY_SLUG = {p.slug: p for p in PROBLEMS}


def test_every_problem_parses():
    assert not ERRORS, "\n".join(map(str, ERRORS))


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.slug for p in PROBLEMS])
def test_check_passes(problem):
    result = check_problem(problem)
    assert result.ok, "\n".join(map(str, result.errors))
    assert len(result.mutants) >= 3, "every problem needs at least 3 mutants"
    assert result.examples_checked >= 1, "every problem needs a worked example that check verifies"
    assert result.killed == len(result.mutants), "\n".join(mutation_report(result))
    assert len(problem.requirements) >= 4, "every problem lists what its statement promises"
    assert result.generated and all(g.killed_by or g.equivalent for g in result.generated)


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.slug for p in PROBLEMS])
def test_two_alternative_solutions_exist(problem):
    found = sorted((SOLUTIONS / problem.slug).glob("*.py"))
    assert len(found) >= 2, f"tests/solutions/{problem.slug}/ needs two correct solutions in other styles"


ALTERNATIVES = sorted(SOLUTIONS.glob("*/*.py"))


@pytest.mark.parametrize("path", ALTERNATIVES, ids=[f"{p.parent.name}/{p.stem}" for p in ALTERNATIVES])
def test_alternative_solution_passes(path):
    problem = BY_SLUG[path.parent.name]
    titles = [(t.name, t.title) for t in problem.tests]
    report = run_in_child(path.read_text(), problem.tests_source, problem.entry, problem.time_limit, titles)
    assert report["status"] == "pass", format_report(report)
