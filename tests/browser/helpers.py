"""Driving a problem page as a learner would: open it, paste code, run, read the results.

Everything here uses only the API every engine's driver offers (engines/base.py), so the same
helpers drive Chromium, Firefox and WebKit; `row()` alone returns a Playwright locator.
"""

from __future__ import annotations

import json
import re

BOOT_MS = 120_000  # Pyodide boots in ~4-19 s here depending on the engine; a loaded CI machine gets slack
RUN_MS = 60_000
# A problem page's snapshot store (theme/assets/snapshot-store.js) and the base its records are
# keyed by: `await (SNAPSHOT_STORE)()` in a page's script gives {store, base}.
SNAPSHOT_STORE = """async () => {
  const app = document.querySelector('script[src$="assets/app.js"]').src;
  return { store: await import(new URL("snapshot-store.js", app).href), base: new URL("runtime.json", app) };
}"""
STORAGE_PREFIX = "staticjudge:v1:"

# A paste, as a learner pastes code into the editor: CodeMirror inserts the text as it is (typed
# text would be auto-indented and bracket-closed), the same way on every engine. Firefox leaves a
# constructed event's clipboardData empty and fills it from its own `dataType` and `data` fields.
PASTE = """(code) => {
  const content = document.querySelector("#editor .cm-content");
  const data = new DataTransfer();
  data.setData("text/plain", code);
  content.dispatchEvent(new ClipboardEvent("paste",
    { clipboardData: data, dataType: "text/plain", data: code, bubbles: true, cancelable: true }));
}"""


def open_problem(page, site_url: str, slug: str, wait_ready: bool = True) -> None:
    page.goto(f"{site_url}{slug}/index.html")
    page.wait_for_selector("#problem[data-ready=true]")
    if wait_ready:
        wait_python_ready(page)


def wait_python_ready(page) -> None:
    page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)


def pasted(code: str, tab_size: int = 4) -> str:
    """What the editor holds after a paste: the tabs of each line's indentation turned into spaces
    (theme/assets/indentation.js), so that Python never meets a TabError from pasted code."""
    def spaces(match):
        column = 0
        for char in match.group(0):
            column = column + tab_size - column % tab_size if char == "\t" else column + 1
        return " " * column
    return re.sub(r"^[ \t]+", spaces, code, flags=re.MULTILINE)


def set_code(page, code: str) -> None:
    """Replace the editor's text as a learner would: select all, then paste."""
    page.click("#editor .cm-content")
    page.keyboard.press("Control+A")
    page.evaluate(PASTE, code)
    code = pasted(code)
    slug = page_slug(page)
    # Autosave is the proof that the editor took the text.
    page.wait_for_function(
        "([prefix, slug, code]) => Object.entries(localStorage).some(([key, value]) =>"
        " key.startsWith(prefix) && key.endsWith('|' + slug) && JSON.parse(value).code === code)",
        arg=[STORAGE_PREFIX, slug, code], timeout=10_000)


def editor_text(page) -> str:
    return page.evaluate("() => [...document.querySelectorAll('#editor .cm-line')].map((l) => l.textContent).join('\\n')")


def page_slug(page) -> str:
    return page.get_attribute("#problem", "data-slug")


def text_of(page, selector: str) -> str:
    """What the element shows (innerText), or None when nothing matches."""
    return page.evaluate("(s) => document.querySelector(s)?.innerText ?? null", selector)


def saved_records(page) -> dict:
    """Every saved record of this origin's localStorage, by slug."""
    raw = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    return {key.rsplit("|", 1)[1]: json.loads(value) for key, value in raw.items()
            if key.startswith(STORAGE_PREFIX) and "|" in key}


def run_tests(page, how: str = "click") -> str:
    """Run the hidden tests; return the summary once the run is over."""
    if how == "click":
        page.click("#run-tests")
    else:
        page.keyboard.press(how)
    return wait_run_over(page)


def wait_run_over(page, timeout: int = RUN_MS + BOOT_MS) -> str:
    page.wait_for_function(
        "() => document.getElementById('stop-run').hidden"
        " && document.querySelector('#run-tests').getAttribute('aria-disabled') === 'false'",
        timeout=timeout)
    return text_of(page, "#summary")


def row_statuses(page) -> dict:
    return page.evaluate("() => Object.fromEntries([...document.querySelectorAll('#test-rows > li')]"
                         ".map((row) => [row.dataset.name, row.dataset.status]))")


def row_text(page, name: str, part: str = "") -> str:
    """The text of test row ``name`` (or of its ``part``, a selector inside it), even where hidden."""
    return page.evaluate("([name, part]) => { const row = document.querySelector(`#test-rows > li[data-name=\"${name}\"]`);"
                         " const el = part ? row?.querySelector(part) : row; return el ? el.textContent : null; }",
                         [name, part])


def row(page, name: str):
    """A Playwright locator for test row ``name`` (Playwright pages only)."""
    return page.locator(f'#test-rows > li[data-name="{name}"]')


def ready_boots(page) -> list[dict]:
    """How each worker of this page booted, in order: [{boot: "made"|"restored"|"cold", spare?}]."""
    return page.evaluate("() => performance.getEntriesByName('staticjudge:python-ready').map((m) => m.detail)")


def wait_snapshot_saved(page) -> None:
    """Wait until the first visit's memory snapshot is stored (IndexedDB)."""
    page.wait_for_function("() => performance.getEntriesByName('staticjudge:snapshot-saved').length > 0",
                           timeout=BOOT_MS)
