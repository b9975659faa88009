"""Restart after a time limit: from the kill of runaway code to the next run's results.

    python bench/restart_time.py [--runs 5] [--engines chromium,firefox,webkit]
    PYODIDE_PACKAGES=/path/to/wheels python bench/restart_time.py

In one fresh browser context: the problem page's first visit gives the cold time to ready (the
baseline). Then, --runs times, once the spare worker is ready: "Run code" runs the reference
solution followed by code stuck in C (`sum(range(10 ** 15))`, which never gives Python a chance
to stop itself) under `if __name__ == "__main__"`, the page kills the worker, and "Run tests" is
pressed as soon as the page shows the timeout; timed from the kill to the results, inside the
page, while recording what the status line and summary show meanwhile. Also timed: the same with
an endless Python loop, which the worker stops itself at the limit (no restart).
Also timed: kill → the next spare worker is ready again; and the same kill on a page without a
spare (a device reporting < 4 GB memory), where a new worker restores the memory snapshot.
The no-spare case needs the driver to fake navigator.deviceMemory before the page runs (Chromium's
Playwright can; Firefox and WebKit report no deviceMemory, so their pages always keep a spare).
Each engine is measured in turn, in one run. Target on every engine: ≤ 0.25× the cold time to ready.
"""

from __future__ import annotations

import argparse

from browser_site import (BOOT_MS, add_engines_argument, built_site, engines, machine, mark_details, mark_time,
                          median, open_problem, serving, set_code, table)

STUCK_IN_C = '\n\nif __name__ == "__main__":\n    sum(range(10 ** 15))\n'
PYTHON_LOOP = '\n\nif __name__ == "__main__":\n    while True:\n        pass\n'

KILL_THEN_GRADE = """async (stopMark) => {
  const stop = document.getElementById("stop-run"), status = document.getElementById("python-status");
  const summary = document.getElementById("summary");
  const seen = [];
  const record = () => seen.push([performance.now(), status.textContent.trim(), summary.textContent.trim()]);
  const watcher = new MutationObserver(record);
  for (const node of [status, summary]) watcher.observe(node, { childList: true, characterData: true, subtree: true });
  const runOver = () => new Promise((resolve) => {
    const observer = new MutationObserver(() => { if (stop.hidden) { observer.disconnect(); resolve(); } });
    observer.observe(stop, { attributes: true });
  });
  document.getElementById("run-code").click();
  await runOver();
  const kill = performance.getEntriesByName(stopMark).at(-1);
  const killed = kill.startTime, why = kill.detail?.why ?? "timeout";
  document.getElementById("run-tests").click();
  await runOver();
  const done = performance.now();
  watcher.disconnect();
  record();
  return { ms: done - killed, killed, why, summary: summary.textContent,
           shown: seen.filter(([t]) => t >= killed).map(([t, s, r]) => `${s} / ${r}`) };
}"""


def kill_cycles(page, runs: int, spare: bool) -> tuple[list, list, set]:
    """Code stuck in C, --runs times: the page terminates the worker each time."""
    restarts, refills, shown = [], [], set()
    for run in range(runs):
        if spare:
            page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
        else:
            page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)
        readies = len(mark_details(page, "staticjudge:python-ready"))
        result = page.evaluate(KILL_THEN_GRADE, "staticjudge:worker-killed")
        assert result["why"] == "timeout", result["why"]
        assert "solved" in result["summary"], result["summary"]
        restarts.append(result["ms"])
        shown.update(result["shown"])
        if spare:
            refills.append(mark_time(page, "staticjudge:python-ready", index=readies) - result["killed"])
        print(f"  {'spare' if spare else 'no spare'} run {run + 1}: kill → results {result['ms']:.0f} ms"
              + (f", kill → spare ready again {refills[-1]:.0f} ms" if spare else ""), flush=True)
    return restarts, refills, shown


def stopped_cycles(page, runs: int) -> list:
    """An endless Python loop, --runs times: the worker stops it at the limit and runs on."""
    times = []
    for run in range(runs):
        page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)
        result = page.evaluate(KILL_THEN_GRADE, "staticjudge:run-timed-out")
        assert "solved" in result["summary"], result["summary"]
        times.append(result["ms"])
        print(f"  Python loop run {run + 1}: stopped at the limit → results {result['ms']:.0f} ms", flush=True)
    assert not mark_details(page, "staticjudge:worker-killed"), "a Python loop needs no restart"
    return times


def measure(browser, base: str, site, runs: int) -> None:
    print(machine(browser), flush=True)
    problem = next(p for p in site.problems() if p.slug == site.ready_slug)
    context = browser.new_context()
    page = context.new_page()
    open_problem(page, base, problem.slug)
    cold = mark_time(page, "staticjudge:python-ready")
    set_code(page, problem.solution.code + PYTHON_LOOP)
    stopped = stopped_cycles(page, runs)
    set_code(page, problem.solution.code + STUCK_IN_C)
    restarts, refills, shown = kill_cycles(page, runs, spare=True)
    boots = [d["boot"] for d in mark_details(page, "staticjudge:python-ready")]
    context.close()
    lonely, shown_lonely = [], set()
    context = browser.new_context()
    if hasattr(context, "add_init_script"):
        # A device reporting little memory keeps no spare: the kill then waits for a snapshot restore.
        context.add_init_script("Object.defineProperty(navigator, 'deviceMemory', { get: () => 2 })")
        page = context.new_page()
        open_problem(page, base, problem.slug)
        mark_time(page, "staticjudge:snapshot-saved")
        set_code(page, problem.solution.code + STUCK_IN_C)
        lonely, _, shown_lonely = kill_cycles(page, runs, spare=False)
    context.close()
    no_spare = [f"{median(lonely):.0f}", f"{cold:.0f}", f"{median(lonely) / cold:.3f}×"] if lonely else ["n/a"] * 3
    rows = [["Python loop stopped at the limit → next run's results (no restart)", f"{median(stopped):.0f}",
             f"{cold:.0f}", f"{median(stopped) / cold:.3f}×", "≤ 0.25×"],
            ["kill (stuck in C) → next run's results (spare ready)", f"{median(restarts):.0f}", f"{cold:.0f}",
             f"{median(restarts) / cold:.3f}×", "≤ 0.25×"],
            ["kill (stuck in C) → next run's results (no spare: low-memory device)", *no_spare, "≤ 0.25×"],
            ["kill → a new spare is ready (in the background)", f"{median(refills):.0f}", f"{cold:.0f}",
             f"{median(refills) / cold:.3f}×", ""]]
    print(f"\n{browser.name} {browser.version}: restart after a time limit, median of {runs} kills (ms); "
          "baseline: this page's cold time to ready")
    print(table(rows, ["measure", "ms", "cold ready ms", "ratio", "target"]))
    print(f"workers booted (with spare): {', '.join(boots)}")
    print("shown after the kill, with a spare (status / summary): " + " | ".join(sorted(shown)))
    if lonely:
        print("shown after the kill, no spare (status / summary): " + " | ".join(sorted(shown_lonely)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    add_engines_argument(parser)
    args = parser.parse_args()
    with built_site() as site, serving(site.www) as base:
        print(f"site: {site.label}; page: {site.ready_slug}")
        for browser in engines(args.engines):
            measure(browser, base, site, args.runs)


if __name__ == "__main__":
    main()
