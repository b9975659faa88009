"""Offline copy and index warm-up: index open 10 s → click the first problem → "Ready", and offline.

    python bench/offline.py [--runs 3] [--wait 10] [--engines chromium,firefox,webkit]
    PYODIDE_PACKAGES=/path/to/wheels python bench/offline.py

Per engine, in one run: a fresh profile opens the index, leaves it open `--wait` seconds (it warms
Python up in the background: theme/assets/prewarm.js), then clicks the first problem; the problem
page is timed from its navigation start to its "staticjudge:python-ready" mark, against the bare
page's cold time (a fresh profile; browser_site.BARE_HTML) measured in the same run. Target:
≤ 0.30× the bare page. Then offline: after that one visit the server is stopped, and every problem
page must load and boot, and the first one grade its reference solution.
"""

from __future__ import annotations

import argparse
import time

from browser_site import (SUB_PATH, add_engines_argument, built_site, engines, machine, mark_details, mark_time,
                          median, serving, set_code, table)
from staticjudge.site.serve import make_server
from time_to_ready import visits

import threading

READY = "staticjudge:python-ready"


def index_then_first_problem(browser, base: str, wait_s: float) -> tuple[float, str, list]:
    """ms from the problem page's navigation to Ready, how it booted, and what the index warmed."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{base}{SUB_PATH}index.html")
        time.sleep(wait_s)
        warmed = mark_details(page, "staticjudge:prewarm-done")
        page.click(".problem-item a")
        page.wait_for_selector("#problem[data-ready=true]")
        ready = mark_time(page, READY)
        return ready, mark_details(page, READY)[0]["boot"], warmed
    finally:
        context.close()


def offline_check(browser, site) -> str:
    """One visit to the index, then the server goes away: every page loads and boots; one grades."""
    server = make_server(site.www, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/{SUB_PATH}"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base + "index.html")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
        page.wait_for_function("() => performance.getEntriesByName('staticjudge:prewarm-done').length > 0",
                               timeout=300_000)
        server.shutdown()
        server.server_close()
        booted = []
        for slug in site.slugs:
            page.goto(f"{base}{slug}/index.html")
            page.wait_for_selector("#python-status[data-state=ready]", timeout=180_000)
            booted.append(mark_details(page, READY)[0]["boot"])
        first = site.problems()[0]
        page.goto(f"{base}{first.slug}/index.html")
        page.wait_for_selector("#python-status[data-state=ready]", timeout=180_000)
        set_code(page, first.solution.code)
        page.click("#run-tests")
        page.wait_for_function("() => document.getElementById('stop-run').hidden"
                               " && /tests passed/.test(document.getElementById('summary').textContent)", timeout=120_000)
        summary = page.evaluate("() => document.getElementById('summary').textContent")
        boots = ", ".join(f"{booted.count(b)} {b}" for b in sorted(set(booted)))
        return f"{len(booted)}/{len(site.slugs)} pages loaded and booted offline ({boots}); {first.slug}: {summary}"
    finally:
        context.close()


def measure(browser, base: str, site, runs: int, wait_s: float) -> None:
    print(machine(browser), flush=True)
    warm, bare = [], []
    for run in range(runs):
        ready, boot, warmed = index_then_first_problem(browser, base, wait_s)
        bare_cold, *_ = visits(browser, f"{base}bare/index.html", "bare:ready", False)
        warm.append(ready)
        bare.append(bare_cold)
        sets = "; ".join(f"{s['packages'] or 'core'}: {s['boot']} in {s['ms']} ms" for w in warmed for s in w["sets"])
        print(f"  run {run + 1}: first problem ready {ready:.0f} ms ({boot}), bare page cold {bare_cold:.0f} ms; "
              f"index warmed: {sets or 'not within the wait'}", flush=True)
    offline = offline_check(browser, site)
    print(f"\n{browser.name} {browser.version}: index open {wait_s:.0f} s → first problem → Ready, median of {runs}")
    print(table([["first problem from the index", f"{median(warm):.0f}", f"{median(bare):.0f}",
                  f"{median(warm) / median(bare):.2f}×", "≤ 0.30×"]],
                ["page", "ms", "bare page cold, ms", "ratio", "target"]))
    print(f"offline: {offline}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wait", type=float, default=10.0, help="seconds the index stays open before the click")
    add_engines_argument(parser)
    args = parser.parse_args()
    with built_site() as site, serving(site.www) as base:
        print(f"site: {site.label}; first problem: {site.slugs[0]}")
        for browser in engines(args.engines):
            measure(browser, base, site, args.runs, args.wait)


if __name__ == "__main__":
    main()
