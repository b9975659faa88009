"""Grading natively: one way to grade a problem, used by ``grade``, ``check`` and the gradebook.

Imports only ``runtime``, ``model`` and ``project``. ``runner.py`` runs the harness in a child
process within the time limit; the learner's code runs in a confined process of its own
(``isolated.py`` the tests' side, ``learner.py`` the learner's, ``zygote.py`` forks it,
``sandbox.py`` confines it, ``wire.py`` the plain data between them, ``framing.py`` the
length-prefixed JSON of both channels, ``limits.py`` memory).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from ..model import Problem, mutant_data
from .runner import run_in_child

# Each run is a child process of its own and the thread only waits on it: one per core.
DEFAULT_WORKERS = max(2, os.cpu_count() or 1)


def _titles(problem: Problem) -> list[tuple[str, str]]:
    return [(t.name, t.title) for t in problem.tests]


def course_folder(problem: Problem):
    """The course a problem belongs to (the folder holding its problems/): kept from learner code."""
    return problem.source_path.resolve().parent.parent


def grade(problem: Problem, code: str, *, separate_learner: bool = True, mutant_hints: bool = True) -> dict:
    """The Report of ``code`` against ``problem``'s hidden tests (runtime/report.schema.json).

    With ``mutant_hints``, a failed check whose result matches what one of the problem's mutants
    returns on the same inputs gets that mutant's description as hint, as in the page."""
    return run_in_child(code, problem.tests_source, problem.entry, problem.time_limit, _titles(problem),
                        separate_learner=separate_learner, course=course_folder(problem),
                        mutants=mutant_data(problem) if mutant_hints else None, tolerance=problem.tolerance)


def trace_shapes(problem: Problem, code: str, test: str | None = None) -> dict:
    """The shapes each line of ``code`` assigned while the hidden test ``test`` (else the first
    that fails) ran: ``harness.trace_shapes``'s result."""
    return run_in_child(code, problem.tests_source, problem.entry, problem.time_limit, _titles(problem),
                        mode="shapes", test=test, course=course_folder(problem), tolerance=problem.tolerance)


def grade_many(problem: Problem, codes: list[str], workers: int | None = None, *,
               mutant_hints: bool = True) -> list[dict]:
    """The Reports of many programs against one problem, in order, one child process per core."""
    with ThreadPoolExecutor(max_workers=workers or DEFAULT_WORKERS) as pool:
        return list(pool.map(lambda code: grade(problem, code, mutant_hints=mutant_hints), codes))
