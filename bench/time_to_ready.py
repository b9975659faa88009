"""Time to ready: page open → "Ready" (NumPy imported, harness loaded), against a bare page.

    python bench/time_to_ready.py [--runs 5] [--engines chromium,firefox,webkit]
    PYODIDE_PACKAGES=/path/to/wheels python bench/time_to_ready.py

The bare page boots the same Pyodide from the same server in a module worker and imports NumPy
(loadPackage of the same wheel), nothing else. Each run uses fresh browser contexts (empty HTTP
cache, empty Cache Storage): the first visit is "cold" (it also makes the memory snapshot); the
second, in the same tab as a learner following a link to the next problem, is "warm" (restores
it); a third, in a new tab, is reported too (opening a tab costs Chromium a new renderer process
and ~0.2 s of CPU on 2 cores, which lands in a visit this short). The bare page is visited the
same way. All are timed from navigation start to their ready mark. Order alternates between runs; medians are reported.
Each engine is measured against its own bare page, one engine after the other, in one run.
Targets on every engine: cold ≤ 1.10× the bare page, warm ≤ 0.30× the bare page.
"""

from __future__ import annotations

import argparse

from browser_site import (SUB_PATH, add_engines_argument, built_site, engines, machine, mark_details, mark_time,
                          median, serving, table)

READY = "staticjudge:python-ready"


def visits(browser, url: str, mark: str, site: bool) -> tuple[float, float, float]:
    """Cold (first visit, new tab), warm in the same tab (a learner following a link to the next
    problem) and warm in a new tab, in one fresh context: ms from navigation start to `mark`."""
    def visit(page, boot: str) -> float:
        page.goto(url)
        ms = mark_time(page, mark)
        detail = mark_details(page, mark)[0]
        assert detail["boot"] == boot if site else detail["ok"], detail
        return ms

    context = browser.new_context()
    try:
        page = context.new_page()
        times = [visit(page, "made")]
        if site:  # the next visit restores what this one stores
            mark_time(page, "staticjudge:snapshot-saved")
        times.append(visit(page, "restored"))
        page.close()
        page = context.new_page()
        times.append(visit(page, "restored"))
        page.close()
        return tuple(times)
    finally:
        context.close()


def measure(browser, base: str, site, runs: int) -> None:
    print(machine(browser), flush=True)
    samples = {f"{who}{visit}": [] for who in ("bare ", "") for visit in ("cold", "warm", "warm new tab")}
    pages = {"bare ": (f"{base}bare/index.html", "bare:ready", False),
             "": (f"{base}{SUB_PATH}{site.ready_slug}/index.html", READY, True)}
    for run in range(runs):
        for who in (["bare ", ""] if run % 2 == 0 else ["", "bare "]):
            for visit, ms in zip(("cold", "warm", "warm new tab"), visits(browser, *pages[who])):
                samples[who + visit].append(ms)
        print(f"  run {run + 1}: " + ", ".join(f"{k} {v[-1]:.0f} ms" for k, v in samples.items()), flush=True)
    m = {k: median(v) for k, v in samples.items()}
    rows = [
        ["cold (first visit, makes the snapshot)", f"{m['cold']:.0f}", f"{m['bare cold']:.0f} (bare, first visit)",
         f"{m['cold'] / m['bare cold']:.2f}×", "≤ 1.10×"],
        ["warm (second visit, same tab, restores it)", f"{m['warm']:.0f}", f"{m['bare warm']:.0f} (bare, second visit)",
         f"{m['warm'] / m['bare warm']:.2f}×", "≤ 0.30×"],
        ["warm, in a new tab (third visit)", f"{m['warm new tab']:.0f}", f"{m['bare warm new tab']:.0f} (bare, same)",
         f"{m['warm new tab'] / m['bare warm new tab']:.2f}×", ""],
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
