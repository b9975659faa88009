"""The core of a learner's session, on every engine: Chromium, Firefox and WebKit (Safari's engine).

Correct and wrong solutions, a syntax error, an endless loop then a correct run, a reload that
keeps the code, export then import into a fresh profile, and a site served from a sub-path. The
pure-Python fixture problems always run; the shipped NumPy problems too when PYODIDE_PACKAGES
holds NumPy's Pyodide wheel.
"""

import json

import pytest

from staticjudge.content.parser import parse_problem

from .conftest import NUMPY_PROBLEMS, ROOT, SUB_PATH, numpy_wheels
from .helpers import (BOOT_MS, PASTE, editor_text, open_problem, row_statuses, row_text, run_tests, saved_records, set_code,
                      text_of, wait_python_ready)

CORRECT = "def add(a, b):\n    return a + b\n"
WRONG_ON_NEGATIVES = "def add(a, b):\n    if a < 0:\n        return 0\n    return a + b\n"
MY_CODE = "def add(a, b):\n    # my own attempt\n    return b + a\n"
ALL_PASS = {"test_small": "pass", "test_negative": "pass", "test_large": "pass"}


def solved_badge_shown(page, selector: str) -> bool:
    return page.evaluate("(s) => { const b = document.querySelector(s); return Boolean(b && !b.hidden"
                         " && b.getClientRects().length); }", selector)


def test_correct_solution_passes_every_test_and_marks_the_problem_solved(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    assert not solved_badge_shown(page, "h1 .solved-badge")
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"
    assert row_statuses(page) == ALL_PASS
    assert row_text(page, "test_negative", ".test-title") == "Handles negative numbers"
    assert solved_badge_shown(page, "h1 .solved-badge")
    page.goto(site_url + "index.html")
    page.wait_for_selector('.problem-item[data-slug="add_numbers"]')
    # The index's module script marks solved problems once it has run (after the HTML is parsed).
    page.wait_for_function("() => document.documentElement.dataset.indexReady === 'yes'")
    assert solved_badge_shown(page, '.problem-item[data-slug="add_numbers"] .solved-badge')
    assert not solved_badge_shown(page, '.problem-item[data-slug="shout_wheel"] .solved-badge')


def test_wrong_solution_fails_the_right_rows_with_the_harness_message(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, WRONG_ON_NEGATIVES)
    assert run_tests(page) == "2/3 tests passed"
    assert row_statuses(page) == {"test_small": "pass", "test_negative": "fail", "test_large": "pass"}
    assert row_text(page, "test_negative", ".test-message") == "add(-4, 1) returned 0, expected -3"
    assert not solved_badge_shown(page, "h1 .solved-badge")


def test_syntax_error_names_the_line_and_highlights_it_in_the_editor(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, "x = 1\ndef add(a, b)\n    return a + b\n")
    assert run_tests(page) == "0/3 tests passed · your code did not load"
    assert "SyntaxError on line 2" in text_of(page, "#load-error")
    assert set(row_statuses(page).values()) == {"error"}
    assert "did not load" in row_text(page, "test_small")
    assert page.evaluate("() => [...document.querySelectorAll('#editor .cm-line.cm-error-line')]"
                         ".map((l) => l.textContent)") == ["def add(a, b)"]
    page.click("#load-error button")  # "Go to line 2"
    assert page.evaluate("() => document.activeElement.classList.contains('cm-content')")


def test_infinite_loop_hits_the_time_limit_then_a_correct_run_works_without_reload(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    set_code(page, "def add(a, b):\n    if a < 0:\n        while True:\n            pass\n    return a + b\n")
    assert run_tests(page) == "1/3 tests passed · time limit exceeded"
    assert page.get_attribute("#python-status", "data-state") == "ready"
    assert row_statuses(page) == {"test_small": "pass", "test_negative": "error", "test_large": "error"}
    assert "Time limit exceeded (3 s)" in row_text(page, "test_negative")
    assert "Not run" in row_text(page, "test_large")
    assert count_marks(page, "worker-killed") == 0 and count_marks(page, "run-timed-out") == 1, \
        "the worker stopped the Python loop itself: nothing was terminated"
    url = page.url
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"
    assert page.url == url
    assert count_marks(page, "python-ready") == 2, "the same worker ran it, and the spare is still unused"


def test_code_stuck_in_c_is_terminated_then_the_spare_takes_over(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    # sum() over a range runs in C, where Python never looks at the clock: the page terminates it.
    set_code(page, "def add(a, b):\n    if a < 0:\n        return sum(range(10 ** 15))\n    return a + b\n")
    assert run_tests(page) == "1/3 tests passed · time limit exceeded"
    assert page.get_attribute("#python-status", "data-state") == "ready", "the spare worker took over at once"
    assert "Time limit exceeded (3 s)" in row_text(page, "test_negative")
    assert count_marks(page, "worker-killed") == 1
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    spares_started_only_when_idle(page)


def count_marks(page, name: str) -> int:
    return page.evaluate(f"() => performance.getEntriesByName('staticjudge:{name}').length")


SPARE_IDLE_MS = 1000  # pyclient.js: how long the active worker is idle before a spare boots

MARKS = """() => Object.fromEntries(["run-started", "run-finished", "spare-started"].map((name) =>
    [name, performance.getEntriesByName(`staticjudge:${name}`).map((m) => m.startTime)]))"""


def spares_started_only_when_idle(page) -> None:
    """Each spare booted with no run going and SPARE_IDLE_MS after the last one ended: a boot takes
    both cores for a second or more, and must not slow the learner's run."""
    marks = page.evaluate(MARKS)
    runs = list(zip(marks["run-started"], marks["run-finished"]))
    assert len(marks["spare-started"]) == 2 and len(runs) == 2, marks
    for started in marks["spare-started"]:
        assert not any(begin <= started <= end for begin, end in runs), f"a spare booted during a run: {marks}"
        ended = [end for _, end in runs if end < started]
        assert not ended or started - max(ended) >= SPARE_IDLE_MS - 50, f"a spare booted too soon: {marks}"


def test_a_touch_only_device_that_reports_no_memory_keeps_no_spare(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    decide = """async () => {
        const { roomForSpare } = await import(new URL("../assets/pyclient.js", location.href).href);
        const media = (coarse, fine) => (query) => ({ matches: query === "(pointer: coarse)" ? coarse : fine });
        return [roomForSpare({ deviceMemory: 2 }, media(false, true)), roomForSpare({ deviceMemory: 8 }, media(true, false)),
                roomForSpare({}, media(true, false)), roomForSpare({}, media(true, true)), roomForSpare({}, media(false, true)),
                roomForSpare({}, undefined), roomForSpare(navigator, matchMedia)];
    }"""
    assert page.evaluate(decide) == [False, True, False, True, True, True, True], \
        "< 4 GB or touch-only without a reported memory: no spare; this desktop test browser: a spare"


def test_pasted_tabs_become_spaces_and_a_tab_error_gets_a_one_click_fix(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, CORRECT)
    page.click("#editor .cm-content")
    page.keyboard.press("Control+A")
    page.evaluate(PASTE, "def add(a, b):\n\tif a:\n\t\treturn a + b\n\treturn b\n")
    spaced = "def add(a, b):\n    if a:\n        return a + b\n    return b\n"
    page.wait_for_function("(code) => Object.values(localStorage).some((v) => v.includes(JSON.stringify(code)))",
                           arg=spaced, timeout=10_000)
    assert editor_text(page) == spaced, "the editor indents with spaces: pasted tabs are converted"
    # Saved code from before (or imported) can still mix them: Python refuses it, the page fixes it.
    page.evaluate("""(code) => { for (const key of Object.keys(localStorage))
        if (key.endsWith("|add_numbers")) localStorage.setItem(key, JSON.stringify({ code, solved: false })); }""",
                  "def add(a, b):\n    total = a + b\n\treturn total\n")
    page.reload()
    page.wait_for_selector("#problem[data-ready=true]")
    wait_python_ready(page)
    assert run_tests(page) == "0/3 tests passed · your code did not load"
    assert text_of(page, "#load-error .load-error-message").startswith("TabError on line 3")
    page.click("#fix-tabs")
    fixed = "def add(a, b):\n    total = a + b\n    return total\n"
    assert editor_text(page) == fixed
    assert saved_records(page)["add_numbers"]["code"] == fixed, "the fix is the learner's edit: saved"
    assert run_tests(page) == "3/3 tests passed · solved!"


def test_reload_restores_the_code(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    set_code(page, MY_CODE)
    page.reload()
    page.wait_for_selector("#problem[data-ready=true]")
    assert editor_text(page) == MY_CODE


def test_export_then_import_into_a_fresh_profile_round_trips(engine_browser, engine_page, site_url, tmp_path):
    page = engine_page
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    set_code(page, MY_CODE)
    with page.expect_download() as download:
        page.click("#export-answers")
    exported = tmp_path / "answers.json"
    download.value.save_as(exported)
    data = json.loads(exported.read_text())
    assert data["format"] == "staticjudge-answers"
    assert data["problems"]["add_numbers"]["code"] == MY_CODE
    assert "Exported 1 answer" in text_of(page, "#storage-notice")

    fresh = engine_browser.new_context()  # another profile: nothing saved
    try:
        other = fresh.new_page()
        open_problem(other, site_url, "add_numbers", wait_ready=False)
        assert "raise NotImplementedError" in editor_text(other)
        other.set_input_files("#import-file", str(exported))
        other.wait_for_function("() => document.getElementById('storage-notice').textContent.startsWith('Imported')")
        assert "Imported 1 answer" in text_of(other, "#storage-notice")
        assert editor_text(other) == MY_CODE
        other.reload()
        other.wait_for_selector("#problem[data-ready=true]")
        assert editor_text(other) == MY_CODE
        assert saved_records(other)["add_numbers"]["code"] == MY_CODE
    finally:
        fresh.close()


# Every resource the page loaded: its URL and, where the engine reports it, its HTTP status.
RESOURCES = "() => performance.getEntriesByType('resource').map((r) => [r.name, r.responseStatus ?? null])"


def test_the_site_works_from_a_sub_path_with_nothing_missing(engine_page, site_url):
    page = engine_page
    page.goto(site_url + "index.html")
    assert page.url.startswith(site_url) and f"/{SUB_PATH}" in page.url
    page.click('a[href$="add_numbers/index.html"]')  # the index links to the problem
    page.wait_for_function("(url) => location.href === url", arg=site_url + "add_numbers/index.html")
    page.wait_for_selector("#problem[data-ready=true]")
    wait_python_ready(page)
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"
    # The browser's own request for /favicon.ico is not the site's.
    loaded = [(url, status) for url, status in page.evaluate(RESOURCES) if not url.endswith("/favicon.ico")]
    assert any(url.endswith("problem.json") for url, _ in loaded)
    assert [url for url, _ in loaded if not url.startswith(site_url)] == [], "everything comes from the sub-path"
    assert [(url, status) for url, status in loaded if status and status >= 400] == []


SHIPPED = [slug for slug in NUMPY_PROBLEMS
           if (ROOT / "problems" / f"{slug}.md").exists() and (ROOT / "hidden_tests" / f"{slug}.py").exists()]
needs_numpy = pytest.mark.skipif(numpy_wheels() is None, reason="PYODIDE_PACKAGES names no folder with a NumPy wheel")


def shipped_problem(slug):
    return parse_problem(ROOT / "problems" / f"{slug}.md", ROOT / "hidden_tests")


@needs_numpy
@pytest.mark.parametrize("slug", SHIPPED)
def test_numpy_reference_solution_passes(engine_page, site_url, slug):
    shipped = shipped_problem(slug)
    open_problem(engine_page, site_url, slug)
    set_code(engine_page, shipped.solution.code)
    total = len(shipped.tests)
    assert run_tests(engine_page) == f"{total}/{total} tests passed · solved!"


@needs_numpy
def test_numpy_mutant_fails_with_a_learner_friendly_message(engine_page, site_url):
    shipped = shipped_problem("self_attention")
    mutant = next(m for m in shipped.mutants if m.name == "no_scaling")
    open_problem(engine_page, site_url, "self_attention")
    set_code(engine_page, mutant.code)
    assert not run_tests(engine_page).startswith(f"{len(shipped.tests)}/")
    statuses = row_statuses(engine_page)
    assert "fail" in statuses.values() and "error" not in statuses.values()
    assert "sqrt(d_k)" in text_of(engine_page, "#test-rows")
