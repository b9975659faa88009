"""Native grading time per shipped problem: the harness grading the reference solution.

    python bench/native_grade.py [--runs 20] [--root FOLDER] [--only slug,…]

This is the baseline of the browser's grade latency (bench/grade_latency.py): the same harness
and hidden tests on CPython + NumPy, in-process (as the browser's ready worker is), median of
``--runs`` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from staticjudge.runtime import harness# noqa: E402
from staticjudge.content.parser import load_problems  # noqa: E402


def native_times(runs: int, root: Path = ROOT, only: set[str] | None = None) -> dict[str, float]:
    problems, errors = load_problems(root / "problems", root / "hidden_tests")
    if errors:
        raise SystemExit("\n".join(map(str, errors)))
    times = {}
    for problem in problems:
        if only and problem.slug not in only:
            continue
        harness.grade(problem.solution.code, problem.tests_source, problem.entry, tolerance=problem.tolerance)  # warm-up
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            report = harness.grade(problem.solution.code, problem.tests_source, problem.entry, tolerance=problem.tolerance)
            samples.append(1000 * (time.perf_counter() - started))
            assert report["status"] == "pass", problem.slug
        times[problem.slug] = statistics.median(samples)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print {slug: median ms} as JSON")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder with problems/ and hidden_tests/")
    parser.add_argument("--only", help="comma-separated slugs to measure (default: every problem)")
    args = parser.parse_args()
    times = native_times(args.runs, args.root, set(args.only.split(",")) if args.only else None)
    if args.json:
        print(json.dumps(times))
        return
    print(f"{'problem':<28} {'native grade, median (ms)':>26}")
    for slug, ms in times.items():
        print(f"{slug:<28} {ms:>26.1f}")


if __name__ == "__main__":
    main()
