"""Driving a problem page as a learner would: open it, type code, run, read the results."""

from __future__ import annotations

import json

BOOT_MS = 120_000  # Pyodide boots in ~4-9 s here; a loaded CI machine gets plenty of slack
RUN_MS = 60_000
STORAGE_PREFIX = "staticjudge:v1:"


def open_problem(page, site_url: str, slug: str, wait_ready: bool = True) -> None:
    page.goto(f"{site_url}{slug}/index.html")
    page.wait_for_selector("#problem[data-ready=true]")
    if wait_ready:
        wait_python_ready(page)


def wait_python_ready(page) -> None:
    page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)


def set_code(page, code: str) -> None:
    """Replace the editor's text as a learner would (select all, then type/paste)."""
    page.locator("#editor .cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)
    slug = page_slug(page)
    # The editor applies DOM input asynchronously; autosave is the proof that it took the text.
    page.wait_for_function(
        "([prefix, slug, code]) => Object.entries(localStorage).some(([key, value]) =>"
        " key.startsWith(prefix) && key.endsWith('|' + slug) && JSON.parse(value).code === code)",
        arg=[STORAGE_PREFIX, slug, code], timeout=10_000)


def page_slug(page) -> str:
    return page.get_attribute("#problem", "data-slug")


def saved_records(page) -> dict:
    """Every saved record of this origin's localStorage, by slug."""
    raw = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    return {key.rsplit("|", 1)[1]: json.loads(value) for key, value in raw.items()
            if key.startswith(STORAGE_PREFIX) and "|" in key}


def run_tests(page, how: str = "click") -> str:
    """Run the hidden tests; return the summary once the run is over."""
    if how == "click":
        page.get_by_role("button", name="Run tests").click()
    else:
        page.keyboard.press(how)
    return wait_run_over(page)


def wait_run_over(page, timeout: int = RUN_MS + BOOT_MS) -> str:
    page.wait_for_function(
        "() => document.getElementById('stop-run').hidden"
        " && document.querySelector('#run-tests').getAttribute('aria-disabled') === 'false'",
        timeout=timeout)
    return page.locator("#summary").inner_text()


def row_statuses(page) -> dict:
    rows = page.locator("#test-rows > li")
    return {rows.nth(i).get_attribute("data-name"): rows.nth(i).get_attribute("data-status")
            for i in range(rows.count())}


def row(page, name: str):
    return page.locator(f'#test-rows > li[data-name="{name}"]')


def ready_boots(page) -> list[dict]:
    """How each worker of this page booted, in order: [{boot: "made"|"restored"|"cold", spare?}]."""
    return page.evaluate("() => performance.getEntriesByName('staticjudge:python-ready').map((m) => m.detail)")


def wait_snapshot_saved(page) -> None:
    """Wait until the first visit's memory snapshot is in Cache Storage."""
    page.wait_for_function("() => performance.getEntriesByName('staticjudge:snapshot-saved').length > 0",
                           timeout=BOOT_MS)
