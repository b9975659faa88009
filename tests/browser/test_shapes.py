"""Shapes on every line, in the browser, on every engine: "Show shapes" runs one hidden test with
the learner's lines traced and shows what each line assigned, in the editor and as a list; a
shape error shows them unasked; an edit clears them. What the page shows is compared with what
the same harness computes natively for the same code and tests (NumPy problems: with the NumPy
wheel in PYODIDE_PACKAGES)."""

import pytest

from staticjudge.runtime import harness
from staticjudge.content.parser import parse_problem
from staticjudge.runtime.shapes import entry_text, raised_text

from .conftest import FIXTURE, ROOT, numpy_wheels
from .helpers import RUN_MS, open_problem, run_tests, set_code, text_of, wait_run_over

LOOPS = """def add(a, b):
    parts = [a, b]
    total = 0
    for part in parts:
        total = total + part
    pair = (a, b)
    return total
"""

UNPACKS_TOO_MANY = """def add(a, b):
    pair = [a, b, 0]
    x, y = pair
    return x + y
"""

ENDLESS_WHEN_NEGATIVE = """def add(a, b):
    steps = 0
    while a < 0:
        steps = steps + 1
    return a + b
"""


def native_notes(problem, code: str, test=None) -> list[str]:
    """The list the page should show: the native harness's trace of the same code and test."""
    result = harness.trace_shapes(code, problem.tests_source, problem.entry, test=test)
    notes = {}
    for entry in result["lines"]:
        notes.setdefault(entry["line"], []).append(entry_text(entry))
    for entry in result["raised"]:
        notes.setdefault(entry["line"], []).append(raised_text(entry))
    return [f"Line {line}: {' · '.join(texts)}" for line, texts in sorted(notes.items())]


def shown_list(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('#shapes li')].map((li) => li.textContent)")


def shown_in_editor(page) -> dict:
    """{line text: note} for each editor line that carries a note."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#editor .cm-line')]
      .filter((line) => line.querySelector('.cm-shape-note'))
      .map((line) => { const note = line.querySelector('.cm-shape-note');
        return [line.textContent.slice(0, -note.textContent.length), note.textContent]; }))""")


def wait_shapes(page, timeout=RUN_MS) -> None:
    page.wait_for_function("() => { const s = document.getElementById('shapes');"
                           " return s && !s.hidden && !s.hasAttribute('aria-busy'); }", timeout=timeout)


def fixture_problem():
    return parse_problem(FIXTURE / "problems" / "add_numbers.md", FIXTURE / "hidden_tests")


def test_show_shapes_annotates_each_line_as_the_native_harness_does(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, LOOPS)
    page.click("#show-shapes")
    wait_shapes(page)
    expected = native_notes(fixture_problem(), LOOPS)
    assert shown_list(page) == expected
    # all pass: the first test's shapes (its parameters on the def line)
    assert expected[:3] == ["Line 1: a int 2 · b int 3", "Line 2: parts list[2]", "Line 3: total int 0"]
    assert "Line 4: part int 2 → int 3 ×2" in expected and "Line 6: pair tuple (2, 3)" in expected
    assert "“Adds two small numbers”, which passes" in text_of(page, "#shapes .shapes-source")
    notes = shown_in_editor(page)
    assert notes["    for part in parts:"] == "part int 2 → int 3 ×2"
    assert notes["        total = total + part"] == "total int 2 → int 5 ×2"
    assert notes["def add(a, b):"] == "a int 2 · b int 3"
    assert len(notes) == len(expected)
    # An edit clears them, in the editor and below it.
    page.click("#editor .cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('shapes').hidden"
                           " && !document.querySelector('#editor .cm-shape-note')")


def test_a_shape_error_shows_the_shapes_of_the_failing_test_unasked(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, UNPACKS_TOO_MANY)
    assert run_tests(page) == "0/3 tests passed"
    wait_shapes(page)
    assert shown_list(page) == native_notes(fixture_problem(), UNPACKS_TOO_MANY) == [
        "Line 1: a int 2 · b int 3", "Line 2: pair list[3]", "Line 3: pair list[3] → raised ValueError"]
    assert "“Adds two small numbers”, which raises an error" in text_of(page, "#shapes .shapes-source")
    assert shown_in_editor(page) == {"def add(a, b):": "a int 2 · b int 3", "    pair = [a, b, 0]": "pair list[3]",
                                     "    x, y = pair": "pair list[3] → raised ValueError"}


UNTRACED_ONLY = """import sys


def add(a, b):
    assert sys.gettrace() is None, "traced"
    return a + b
"""


def test_grading_in_the_browser_installs_no_tracer(engine_page, site_url):
    """Zero cost: a run of the tests traces nothing; only "Show shapes" does."""
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, UNTRACED_ONLY)
    assert run_tests(page) == "3/3 tests passed · solved!"
    page.click("#show-shapes")
    wait_shapes(page)
    assert "“Adds two small numbers”, which raises an error" in text_of(page, "#shapes .shapes-source")
    assert shown_list(page) == ["Line 4: a int 2 · b int 3", "Line 5: raised AssertionError"]  # sys: a module


def test_a_traced_endless_loop_stops_at_the_time_limit_and_keeps_what_it_saw(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, ENDLESS_WHEN_NEGATIVE)
    page.click("#show-shapes")  # test_small passes untraced; test_negative loops under the tracer
    wait_run_over(page)
    wait_shapes(page)
    assert "“Handles negative numbers”" in text_of(page, "#shapes .shapes-source")
    assert "Stopped at the time limit" in text_of(page, "#shapes .shapes-source")
    listed = shown_list(page)
    assert listed[0] == "Line 1: a int -4 · b int 1"
    assert listed[1] == "Line 2: steps int 0"
    assert listed[2].startswith("Line 4: steps int 1 → int ")
    assert page.get_attribute("#python-status", "data-state") == "ready"
    assert page.evaluate("() => performance.getEntriesByName('staticjudge:worker-killed').length") == 0


def test_the_plain_text_area_gets_the_list_and_an_edit_clears_it(context, site_url):
    """Without the CodeMirror bundle (Chromium: it needs request routing) the list is the display."""
    page = context.new_page()
    page.route("**/assets/editor.js", lambda route: route.abort())
    open_problem(page, site_url, "add_numbers")
    area = page.get_by_role("textbox", name="Your code for Add two numbers")
    area.fill(UNPACKS_TOO_MANY)
    assert run_tests(page) == "0/3 tests passed"
    wait_shapes(page)
    assert shown_list(page) == ["Line 1: a int 2 · b int 3", "Line 2: pair list[3]",
                                "Line 3: pair list[3] → raised ValueError"]
    page.get_by_role("region", name="Shapes per line").get_by_role("button", name="Line 3").click()
    assert area.evaluate("(a) => a.value.slice(0, a.selectionStart).split('\\n').length") == 3
    area.press("End")
    area.type(" ")
    page.wait_for_selector("#shapes", state="hidden")


BATCH_MISTAKE_LINE = "    scores = Q @ K.T / np.sqrt(K.shape[-1]) + mask"
BATCH_MISTAKE = f"""import numpy as np


def masked_attention(Q, K, V, mask):
    Q, K, V, mask = (np.asarray(a, dtype=np.float64) for a in (Q, K, V, mask))
{BATCH_MISTAKE_LINE}
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ V
"""


@pytest.mark.skipif(numpy_wheels() is None, reason="PYODIDE_PACKAGES names no folder with a NumPy wheel")
def test_numpy_batch_mistake_shows_the_shapes_numpy_computes(engine_page, site_url):
    page = engine_page
    problem = parse_problem(ROOT / "problems" / "masked_attention.md", ROOT / "hidden_tests")
    open_problem(page, site_url, "masked_attention")
    set_code(page, BATCH_MISTAKE)
    run_tests(page)
    wait_shapes(page)  # the batch test fails with a matmul shape error: shown unasked
    expected = native_notes(problem, BATCH_MISTAKE, test="test_batches")
    assert shown_list(page) == expected
    # The batch call, which raised (assert_batched then calls it on each sequence: not mixed in).
    arguments = "Q (3, 4, 5) float64 · K (3, 4, 5) float64 · V (3, 4, 2) float64 · mask (4, 4) float64"
    raised = "Q (3, 4, 5) float64 · K.T (5, 4, 3) float64 · K.shape[-1] int 5 · mask (4, 4) float64 → raised ValueError"
    assert expected == [f"Line 4: {arguments}", f"Line 5: {arguments}", f"Line 6: {raised}"]
    assert "shown: call 1, the one that raised an error" in text_of(page, "#shapes .shapes-source")
    notes = shown_in_editor(page)
    assert notes[BATCH_MISTAKE_LINE] == raised  # the operands of the line that raised, at its end
    assert notes["def masked_attention(Q, K, V, mask):"] == arguments


SIDE_EFFECTS_LINE = "        return (a / 0) + pair[s] + s.shape[0] + s.T + pair[1]"
SIDE_EFFECTS = f"""log = []


class Sneaky:
    def __getattr__(self, name):
        log.append(name)

    def __index__(self):
        log.append("__index__")
        return 0

    @property
    def shape(self):
        log.append("shape")


def add(a, b):
    pair, s = (a, b), Sneaky()
    try:
{SIDE_EFFECTS_LINE}
    except ZeroDivisionError:
        return a + b + len(log)  # wrong if reading the operands ran any of Sneaky's code
"""


def test_a_line_that_raised_shows_its_operands_and_runs_nothing_to_read_them(engine_page, site_url):
    """Without NumPy: a tuple subscript is read, an unreadable one is shown by its parts, and a
    learner object's __getattr__, __index__ and property never run (the tests would fail)."""
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, SIDE_EFFECTS)
    page.click("#show-shapes")
    wait_shapes(page)
    assert "“Adds two small numbers”, which passes" in text_of(page, "#shapes .shapes-source")
    expected = native_notes(fixture_problem(), SIDE_EFFECTS)
    assert shown_list(page) == expected
    raised = "a int 2 · pair tuple (2, 3) · s Sneaky · pair[1] int 3 → raised ZeroDivisionError"
    assert expected[-1] == f"Line {SIDE_EFFECTS.splitlines().index(SIDE_EFFECTS_LINE) + 1}: {raised}"
    assert shown_in_editor(page)[SIDE_EFFECTS_LINE] == raised
