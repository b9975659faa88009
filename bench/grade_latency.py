"""Grade latency: press "Run tests" → results shown, per problem, against native grading.

    python bench/grade_latency.py [--runs 9] [--only softmax,rope] [--engines chromium,firefox,webkit]
    PYODIDE_PACKAGES=/path/to/wheels python bench/grade_latency.py

For each problem of the site, once Python and the spare worker are ready and have warmed up (as they
do while a learner reads the statement), the reference solution is typed into the editor and
"Run tests" is pressed --runs times; the time from the click to the results being on
the page is measured inside the page. The first run is reported apart (it compiles the tests);
the median is over the others. The baseline is bench/native_grade.py (the same harness and
tests on CPython + NumPy, in-process), measured for each problem right before its page opens, so
that both figures of a row come from the same minute on a machine whose speed drifts.
Each engine is measured in turn, in one run. Targets on every engine: median ≤ 150 ms and
≤ 1.5× native + 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from browser_site import (add_engines_argument, built_site, engines, machine, median, open_problem, serving, set_code,
                          table, timed_run, wait_until_warmed_up)

HERE = Path(__file__).resolve().parent


def native(root: Path, wheels: list[Path], slug: str) -> float:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, wheels))}
    done = subprocess.run([sys.executable, str(HERE / "native_grade.py"), "--json", "--root", str(root),
                           "--only", slug], capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout)[slug]


def measure(browser, base: str, site, runs: int, only: set[str] | None) -> None:
    print(machine(browser), flush=True)
    context = browser.new_context()
    rows, medians, met = [], [], 0
    for problem in site.problems():
        if only and problem.slug not in only:
            continue
        baseline = native(site.problems_root, site.pure_wheels, problem.slug)
        page = context.new_page()
        open_problem(page, base, problem.slug)
        # Steady state: the spare has finished booting and both workers their warm-up, so
        # neither competes for the CPU.
        wait_until_warmed_up(page)
        set_code(page, problem.solution.code)
        samples = []
        for _ in range(runs):
            ms, summary = timed_run(page)
            assert "solved" in summary, f"{problem.slug}: {summary}"
            samples.append(ms)
        page.close()
        first, typical = samples[0], median(samples[1:])
        limit = 1.5 * baseline + 50
        ok = typical <= 150 and typical <= limit
        met += ok
        medians.append(typical)
        rows.append([problem.slug, f"{first:.0f}", f"{typical:.0f}", f"{baseline:.1f}",
                     f"{limit:.0f}", f"{typical / baseline:.1f}×", "yes" if ok else "NO"])
        print(f"  {problem.slug}: first {first:.0f} ms, median {typical:.0f} ms", flush=True)
    context.close()
    print(f"\n{browser.name} {browser.version}: grade latency of the reference solution "
          f"(ms; median of {runs - 1} runs after the first)")
    print(table(rows, ["problem", "first run", "median", "native", "1.5×native+50", "vs native", "target met"]))
    print(f"median over problems: {median(medians):.0f} ms (target ≤ 150 ms); "
          f"{met}/{len(rows)} problems meet both targets", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--only", help="comma-separated slugs to measure (default: every problem)")
    add_engines_argument(parser)
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    with built_site() as site, serving(site.www) as base:
        print(f"site: {site.label}")
        for browser in engines(args.engines):
            measure(browser, base, site, args.runs, only)


if __name__ == "__main__":
    main()
