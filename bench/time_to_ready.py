"""Time to ready: page open → "Ready" (NumPy imported, harness loaded), against a bare page.

    python bench/time_to_ready.py [--runs 5] [--engines chromium,firefox,webkit]
    PYODIDE_PACKAGES=/path/to/wheels python bench/time_to_ready.py

The bare page boots the same Pyodide from the same server in a module worker and imports NumPy
(loadPackage of the same wheel), nothing else. Each run uses fresh browser contexts (empty HTTP
cache, empty Cache Storage): the first visit is "cold" (it also makes the memory snapshot), the
second visit "warm" (restores it). The bare page is visited twice the same way. Both are timed
from navigation start to their ready mark. Order alternates between runs; medians are reported.
Each engine is measured against its own bare page, one engine after the other, in one run.
Targets on every engine: cold ≤ 1.10× the bare page, warm ≤ 0.30× the bare page.
"""

from __future__ import annotations

import argparse

from browser_site import (SUB_PATH, add_engines_argument, built_site, engines, machine, mark_details, mark_time,
                          median, open_problem, serving, table)

READY = "staticjudge:python-ready"


def bare_visits(browser, base: str) -> tuple[float, float]:
    context = browser.new_context()
    try:
        times = []
        for _ in range(2):
            page = context.new_page()
            page.goto(f"{base}bare/index.html")
            times.append(mark_time(page, "bare:ready"))
            assert mark_details(page, "bare:ready")[0]["ok"], page.inner_text("#state")
            page.close()
        return times[0], times[1]
    finally:
        context.close()


def site_visits(browser, base: str, slug: str) -> tuple[float, float]:
    context = browser.new_context()
    try:
        page = context.new_page()
        open_problem(page, base, slug)
        cold = mark_time(page, READY)
        assert mark_details(page, READY)[0]["boot"] == "made", mark_details(page, READY)
        mark_time(page, "staticjudge:snapshot-saved")
        page.close()
        page = context.new_page()
        open_problem(page, base, slug)
        warm = mark_time(page, READY)
        assert mark_details(page, READY)[0]["boot"] == "restored", mark_details(page, READY)
        page.close()
        return cold, warm
    finally:
        context.close()


def measure(browser, base: str, site, runs: int) -> None:
    print(machine(browser), flush=True)
    samples = {"bare cold": [], "bare warm": [], "cold": [], "warm": []}
    for run in range(runs):
        order = [0, 1] if run % 2 == 0 else [1, 0]
        for which in order:
            if which == 0:
                first, second = bare_visits(browser, base)
                samples["bare cold"].append(first)
                samples["bare warm"].append(second)
            else:
                first, second = site_visits(browser, base, site.ready_slug)
                samples["cold"].append(first)
                samples["warm"].append(second)
        print(f"  run {run + 1}: " + ", ".join(f"{k} {v[-1]:.0f} ms" for k, v in samples.items()), flush=True)
    m = {k: median(v) for k, v in samples.items()}
    rows = [
        ["cold (first visit, makes the snapshot)", f"{m['cold']:.0f}", f"{m['bare cold']:.0f} (bare, first visit)",
         f"{m['cold'] / m['bare cold']:.2f}×", "≤ 1.10×"],
        ["warm (second visit, restores it)", f"{m['warm']:.0f}", f"{m['bare warm']:.0f} (bare, second visit)",
         f"{m['warm'] / m['bare warm']:.2f}×", "≤ 0.30×"],
        ["warm vs the bare first visit", f"{m['warm']:.0f}", f"{m['bare cold']:.0f} (bare, first visit)",
         f"{m['warm'] / m['bare cold']:.2f}×", ""],
    ]
    print(f"\n{browser.name} {browser.version}: time to ready, median of {runs} runs (ms since navigation start)")
    print(table(rows, ["staticjudge page", "ms", "baseline ms", "ratio", "target"]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    add_engines_argument(parser)
    args = parser.parse_args()
    with built_site() as site, serving(site.www) as base:
        print(f"site: {site.label}; page: {SUB_PATH}{site.ready_slug}/; bare page imports "
              f"{'NumPy' if site.numpy else 'nothing (core only)'}")
        for browser in engines(args.engines):
            measure(browser, base, site, args.runs)


if __name__ == "__main__":
    main()
