"""Memory and idle CPU: what a problem page costs the learner's device, per engine, with and without the spare.

    python bench/memory.py [--engines chromium,firefox,webkit]
    PYODIDE_PACKAGES=/path/to/wheels python bench/memory.py

No engine lets a page measure itself across its workers (performance.measureUserAgentSpecificMemory
needs cross-origin isolation, and only Chromium has it), so this measures from outside: the
proportional set size (PSS, shared pages split between the processes sharing them) of every
browser process this bench started, sampled every 100 ms. For each engine, in a fresh profile:
the browser with a blank page (its own cost), then the problem page's first visit (cold boot,
the snapshot made and stored, the spare worker restored from it, then the reference solution
graded), then a second visit (restored); where the driver can make the page believe the device
is short of memory (Chromium: navigator.deviceMemory = 2), a restored visit without a spare too.
Reported: the peak and the settled figure after each, above the blank page, and the CPU the
browser's processes use while the page sits idle once settled (% of one core over IDLE_S seconds,
the editor focused after the run, its cursor blinking; a page left open must not drain a battery).
The page's Python heap (WebAssembly memory) is read from the worker's ready mark. The driver's own processes (node, WebKitWebDriver, Xvfb) are left out.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

from browser_site import (BOOT_MS, add_engines_argument, built_site, engines, machine, mark_details, open_problem,
                          serving, set_code, table, timed_run)

DRIVERS = ("node", "WebKitWebDriver", "Xvfb", "python", "python3")


def descendants(pid: int) -> list[int]:
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


IDLE_S = 4.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def browser_pids() -> list[int]:
    """The browser's processes under this bench, not the driver's."""
    pids = []
    for pid in descendants(os.getpid()):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() not in DRIVERS:
                pids.append(pid)
        except OSError:
            continue
    return pids


def browser_pss_mb() -> float:
    """PSS of the browser processes under this bench, in MB."""
    total = 0
    for pid in browser_pids():
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def browser_cpu_s() -> float:
    """CPU time (user + system, all threads) the browser processes have used so far, in seconds."""
    total = 0
    for pid in browser_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / CLOCK_TICKS


class Sampler:
    """The peak PSS since the last reset(), sampled in the background."""

    def __init__(self):
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, browser_pss_mb())
            time.sleep(0.1)

    def reset(self) -> None:
        self.peak = browser_pss_mb()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def settle(seconds: float = 6.0) -> tuple[float, float]:
    """Wait for the page to settle; its PSS (MB) then, and its idle CPU (% of one core) over IDLE_S."""
    time.sleep(seconds)
    before = browser_cpu_s()
    time.sleep(IDLE_S)
    return browser_pss_mb(), 100 * (browser_cpu_s() - before) / IDLE_S


def visit(page, base: str, problem, sampler: Sampler, spare: str = "ready") -> tuple[float, dict]:
    """Open the problem until Python (and its spare, if any) is ready, grade it once; the peak PSS and the ready detail."""
    sampler.reset()
    open_problem(page, base, problem.slug)
    page.wait_for_selector(f"#python-status[data-state=ready][data-spare={spare}]", timeout=BOOT_MS)
    set_code(page, problem.solution.code)
    _, summary = timed_run(page)
    assert "solved" in summary, summary
    return sampler.peak, mark_details(page, "staticjudge:python-ready")[0]


def measure(browser, base: str, site) -> None:
    print(machine(browser), flush=True)
    problem = next(p for p in site.problems() if p.slug == site.ready_slug)
    sampler = Sampler()
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto("about:blank")
        blank = settle()
        cold_peak, cold = visit(page, base, problem, sampler)
        cold_settled = settle()
        warm_peak, warm = visit(page, base, problem, sampler)
        warm_settled = settle()
        lonely = None
        if hasattr(context, "add_init_script"):  # same profile, so the snapshot is there
            context.add_init_script("Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 2 })")
            page.close()
            page = context.new_page()
            lonely_peak, _ = visit(page, base, problem, sampler, spare="off")
            lonely = (lonely_peak, *settle())
        context.close()
    finally:
        sampler.stop()
    heap = (cold.get("heap_bytes") or 0) / 2**20
    def row(state, peak, settled):
        return [state, f"{peak:.0f}", f"{peak - blank[0]:.0f}", f"{settled[0] - blank[0]:.0f}", f"{settled[1]:.1f}"]
    rows = [["browser, blank page", f"{blank[0]:.0f}", "", "", f"{blank[1]:.1f}"],
            row("first visit (cold, makes the snapshot; spare restored; one grade)", cold_peak, cold_settled),
            row("second visit (restored; spare restored; one grade)", warm_peak, warm_settled)]
    if lonely:
        rows.append(row("visit without a spare (a device reporting < 4 GB; restored; one grade)", lonely[0], lonely[1:]))
    print(f"\n{browser.name} {browser.version}: memory (PSS, MB) of the browser's processes; "
          f"boots: {cold['boot']}, {warm['boot']}; Python heap per worker {heap:.0f} MB")
    print(table(rows, ["state", "peak", "peak above blank", "settled above blank", "idle CPU, % of a core"]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_engines_argument(parser)
    args = parser.parse_args()
    with built_site() as site, serving(site.www) as base:
        print(f"site: {site.label}; page: {site.ready_slug}")
        for browser in engines(args.engines):
            measure(browser, base, site)


if __name__ == "__main__":
    main()
