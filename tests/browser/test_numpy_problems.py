"""Shipped NumPy problems solved in the browser: only when PYODIDE_PACKAGES holds the NumPy wheel.

CI has no NumPy Pyodide wheel, so there these are skipped and NumPy grading is covered natively
(tests/test_catalogue.py); DEVELOPERS.md says how to get the wheel for a local run.
"""

import pytest

from staticjudge.parser import parse_problem

from .conftest import NUMPY_PROBLEMS, ROOT, numpy_wheels
from .helpers import open_problem, row_statuses, run_tests, set_code

pytestmark = pytest.mark.skipif(numpy_wheels() is None, reason="PYODIDE_PACKAGES names no folder with a NumPy wheel")

SHIPPED = [slug for slug in NUMPY_PROBLEMS
           if (ROOT / "problems" / f"{slug}.md").exists() and (ROOT / "hidden_tests" / f"{slug}.py").exists()]


def problem(slug):
    return parse_problem(ROOT / "problems" / f"{slug}.md", ROOT / "hidden_tests")


@pytest.mark.parametrize("slug", SHIPPED)
def test_reference_solution_passes_in_the_browser(page, site_url, slug):
    shipped = problem(slug)
    open_problem(page, site_url, slug)
    set_code(page, shipped.solution.code)
    total = len(shipped.tests)
    assert run_tests(page) == f"{total}/{total} tests passed · solved!"


def test_a_mutant_fails_with_a_learner_friendly_message(page, site_url):
    shipped = problem("self_attention")
    mutant = next(m for m in shipped.mutants if m.name == "no_scaling")
    open_problem(page, site_url, "self_attention")
    set_code(page, mutant.code)
    summary = run_tests(page)
    assert not summary.startswith(f"{len(shipped.tests)}/")
    statuses = row_statuses(page)
    assert "fail" in statuses.values() and "error" not in statuses.values()
    assert "sqrt(d_k)" in page.locator("#test-rows").inner_text()
