"""Grading a class natively, in isolation: a generated class, and the cost of one proxied call.

    python bench/grade_class.py [--learners 200] [--problems softmax,self_attention] [--calls 2000]

Writes ``--learners`` exports (each answers every problem of ``--problems``: the reference
solution, a known-wrong mutant or the starter code, in turn), grades them with
``grade-class``'s engine on every core and reports the wall time; then times ``--calls`` calls
of an entry function on an (8, 8) array, isolated (proxy + learner process) and in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from staticjudge.model import problem_hash  # noqa: E402
from staticjudge.classroom.gradebook import answer_files, grade_class, write_gradebook  # noqa: E402
from staticjudge.content.parser import parse_problem  # noqa: E402
from staticjudge.grading.runner import run_in_child  # noqa: E402


def make_class(folder: Path, problems: list, learners: int) -> list[Path]:
    for n in range(learners):
        answers = {}
        for p in problems:
            choices = [p.solution.code, *(m.code for m in p.mutants[:1]), p.starter.code]
            answers[p.slug] = {"code": choices[n % len(choices)], "solved": False, "saved_at": None,
                               "problem_hash": problem_hash(p)}
        data = {"format": "staticjudge-answers", "version": 2, "site": "bench", "learner": f"learner {n:03d}",
                "exported_at": "2025-01-01T00:00:00Z", "problems": answers}
        (folder / f"{n:03d}.json").write_text(json.dumps(data))
    return answer_files([folder])


def time_class(problems: list, learners: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as scratch:
        files = make_class(Path(scratch), problems, learners)
        started = time.perf_counter()
        rows = grade_class(problems, files)
        write_gradebook(rows, problems, Path(scratch) / "out", "bench")
        elapsed = time.perf_counter() - started
        graded = sum(1 for r in rows for v in r.results.values() if v.get("report"))
    return elapsed, graded


CALLS_TESTS = '''
import numpy as np
X = np.ones((8, 8))
def test_calls(f):
    """many calls"""
    for _ in range(CALLS):
        f(X)
'''


def per_call_us(calls: int, isolate: bool, runs: int = 5) -> float:
    def run(n):
        source = CALLS_TESTS.replace("CALLS", str(n))
        report = run_in_child("def f(x):\n    return x\n", source, ["f"], 60, [("test_calls", "many calls")],
                              isolate=isolate)
        assert report["status"] == "pass", report
        return report["tests"][0]["duration_ms"]
    return statistics.median(run(calls) for _ in range(runs)) * 1000 / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--problems", default="softmax,self_attention")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    problems = [parse_problem(ROOT / "problems" / f"{s}.md", ROOT / "hidden_tests") for s in args.problems.split(",")]
    elapsed, graded = time_class(problems, args.learners)
    print(f"class of {args.learners} exports x {len(problems)} problem(s) = {graded} answers graded on "
          f"{os.cpu_count()} core(s): {elapsed:.1f} s ({1000 * elapsed / graded:.0f} ms per answer)")
    isolated, local = per_call_us(args.calls, True), per_call_us(args.calls, False)
    print(f"one call of an entry function on an (8, 8) array: isolated {isolated:.0f} µs, one process "
          f"{local:.0f} µs (overhead {isolated - local:.0f} µs per call)")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
