"""Failures a learner can see, on every engine: a failed array check drawn as heatmaps whose cells
hold the report's values, a hint shared by several tests said once, and statement figures.

CI has no NumPy in the browser, so the heatmaps are fed real reports made by the native harness
(NumPy problems graded natively) through the page's own results view; with PYODIDE_PACKAGES a
failing masked-attention run is drawn from the browser's own grading too.
"""

import math
from pathlib import Path

import pytest

from staticjudge.runtime import harness
from staticjudge.content.parser import parse_problem
from staticjudge.model import mutant_data

from .conftest import ROOT, numpy_wheels
from .helpers import open_problem, row_statuses, row_text, run_tests, set_code, text_of

SHIFTED = "each total must include the current item: add it before recording the total"
TOTAL_BEFORE_ADDING = ("def running_total(xs):\n    out, total = [], 0\n    for x in xs:\n"
                       "        out.append(total)\n        total += x\n    return out\n")

# The page's results view (the module app.js uses) shows a report given from outside.
SHOW_REPORT = """async (report) => {
  const { ResultsView } = await import(new URL("../assets/results.js", location.href).href);
  new ResultsView(document.getElementById("results"), () => {}, () => {}).showReport(report);
  document.getElementById("runner").hidden = false;
  return true;
}"""

# Every drawn map of test row `name`: {map: [{row, col, value, differs}]}, plus the figure's heading.
READ_MAPS = """(name) => {
  const row = document.querySelector(`#test-rows > li[data-name="${name}"]`);
  const figure = row?.querySelector("figure.heatmap");
  if (!figure) return null;
  const maps = {};
  for (const map of figure.querySelectorAll(".heatmap-map")) {
    maps[map.dataset.map] = [...map.querySelectorAll(".heatmap-cell")].map((c) => ({
      row: Number(c.dataset.row), col: Number(c.dataset.col), value: c.dataset.value,
      differs: c.dataset.differs === "true", tabIndex: c.tabIndex }));
  }
  return { maps, heading: figure.querySelector("figcaption").textContent,
           tables: [...figure.querySelectorAll("table")].map((t) => t.rows.length) };
}"""


def number(value) -> float:
    """A cell of a report (True/False, a number, "nan"/"inf"/"-inf") or of the page, as a float."""
    if isinstance(value, bool) or value in ("true", "false"):
        return float(value in (True, "true"))
    return float(value)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


def graded_as_the_page_does(problem, code: str) -> dict:
    """The Report the page's worker gives: the problem's declared tolerance and its mutants (hints)."""
    return harness.grade(code, problem.tests_source, problem.entry, mutants=mutant_data(problem),
                         tolerance=problem.tolerance)


def native_report(slug: str, mutant: str) -> dict:
    problem = parse_problem(ROOT / "problems" / f"{slug}.md", ROOT / "hidden_tests")
    code = next(m.code for m in problem.mutants if m.name == mutant)
    return graded_as_the_page_does(problem, code)


def assert_drawn_as_reported(drawn: dict, picture: dict) -> None:
    """Each map's cells hold the picture's values, in order; the outlined cells are those that differ."""
    rows, cols = len(picture["got"]), len(picture["got"][0])
    for which, key in (("expected", "expected"), ("got", "got")):
        cells = drawn["maps"][which]
        assert len(cells) == rows * cols
        for cell in cells:
            reported = picture[key][cell["row"]][cell["col"]]
            assert same(number(cell["value"]), number(reported)), (which, cell, reported)
            assert cell["differs"] == picture["differs"][cell["row"]][cell["col"]], (which, cell)
        assert sum(c["tabIndex"] == 0 for c in cells) == 1, "one tab stop per map"
        first = next(c for c in cells if c["tabIndex"] == 0)
        assert [first["row"], first["col"]] == picture["first"], "the tab stop starts on the first difference"
    for cell in drawn["maps"]["difference"]:
        got = number(picture["got"][cell["row"]][cell["col"]])
        expected = number(picture["expected"][cell["row"]][cell["col"]])
        if picture["kind"] == "bool":
            assert number(cell["value"]) == float(got != expected)
        elif math.isfinite(got) and math.isfinite(expected):
            assert same(number(cell["value"]), got - expected), cell
    assert drawn["tables"] == [rows + 1, rows + 1], "expected and yours as text tables (a header row each)"


def test_a_hint_shared_by_several_failed_tests_is_said_once_above_them(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "running_total")
    set_code(page, TOTAL_BEFORE_ADDING)
    assert run_tests(page) == "2/5 tests passed"
    blocks = page.evaluate("() => [...document.querySelectorAll('#shared-hints .shared-hint')].map((b) => ({"
                           " text: b.querySelector('.shared-hint-text').textContent,"
                           " titles: [...b.querySelectorAll('li')].map((li) => li.textContent) }))")
    assert blocks == [{"text": f"Hint: {SHIFTED}",
                       "titles": ["Three positive numbers", "Negative numbers", "A single number"]}]
    assert text_of(page, "#results").count(SHIFTED) == 1, "the hint is said once"
    for name, shown in (("test_three", "[1, 2, 3]"), ("test_negative", "[-1, 5]"), ("test_single", "[7]")):
        message = row_text(page, name, ".test-message")
        assert message.startswith(f"running_total({shown}) returned") and "Hint" not in message
    statuses = row_statuses(page)
    assert statuses["test_empty"] == statuses["test_returns_list"] == "pass"


def test_a_hint_of_one_test_stays_in_its_row(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "running_total")
    set_code(page, "def running_total(xs):\n    total = 0\n    return tuple(total := total + x for x in xs)\n")
    run_tests(page)
    assert page.evaluate("() => document.querySelectorAll('#shared-hints .shared-hint').length") == 0
    assert row_text(page, "test_returns_list", ".test-message").endswith("Hint: build a list and return it")


def test_heatmaps_draw_the_values_of_a_native_report(engine_page, site_url):
    """A boolean mask (causal_mask, the diagonal blocked) and float outputs with NaN and infinities
    (masked_attention, the -inf mask added after the softmax), graded natively, drawn by the page."""
    page = engine_page
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    masks = native_report("causal_mask", "strict_diagonal")
    page.evaluate(SHOW_REPORT, masks)
    square = next(t for t in masks["tests"] if t["name"] == "test_square_boolean_mask")
    drawn = page.evaluate(READ_MAPS, "test_square_boolean_mask")
    assert_drawn_as_reported(drawn, square["picture"])
    assert drawn["heading"].startswith("causal_mask(6): 6 cells differ (outlined)")

    weights = native_report("masked_attention", "mask_after_softmax")
    page.evaluate(SHOW_REPORT, weights)
    pictured = [t for t in weights["tests"] if t["picture"]]
    assert any(isinstance(v, str) for t in pictured for row in t["picture"]["got"] for v in row), \
        "the report holds non-finite values to draw"
    for test in pictured:
        assert_drawn_as_reported(page.evaluate(READ_MAPS, test["name"]), test["picture"])
    first = pictured[0]["picture"]
    where = ", ".join(map(str, first["index"] + first["first"]))
    label = page.evaluate("([name, r, c]) => document.querySelector(`#test-rows > li[data-name=\"${name}\"] "
                          ".heatmap-map[data-map=got] .heatmap-cell[data-row=\"${r}\"][data-col=\"${c}\"]`)"
                          ".getAttribute('aria-label')", [pictured[0]["name"], *first["first"]])
    assert label.startswith(f"[{where}]: expected ") and ", yours " in label and label.endswith("(differs)")


def test_arrow_keys_move_through_the_cells_and_the_caption_says_index_and_values(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    report = native_report("causal_mask", "strict_diagonal")
    page.evaluate(SHOW_REPORT, report)
    picture = next(t for t in report["tests"] if t["name"] == "test_square_boolean_mask")["picture"]
    yours = '#test-rows > li[data-name="test_square_boolean_mask"] .heatmap-map[data-map="got"]'
    page.evaluate("(s) => document.querySelector(`${s} .heatmap-cell[tabindex='0']`).focus()", yours)
    caption = '#test-rows > li[data-name="test_square_boolean_mask"] .heatmap-caption'
    assert text_of(page, caption) == "[0, 0]: expected True, yours False (differs)"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    at = page.evaluate("() => [document.activeElement.dataset.row, document.activeElement.dataset.col, document.activeElement.tabIndex]")
    assert at == ["1", "1", 0]
    assert picture["expected"][1][1] is True and picture["got"][1][1] is False
    assert text_of(page, caption) == "[1, 1]: expected True, yours False (differs)"
    page.keyboard.press("ArrowRight")
    assert text_of(page, caption) == "[1, 2]: expected False, yours False"
    assert page.evaluate("(s) => document.querySelectorAll(`${s} .heatmap-cell[tabindex='0']`).length", yours) == 1


def test_a_statement_figure_is_drawn_from_its_build_time_values(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "running_total", wait_ready=False)
    page.wait_for_selector(".statement figure.matrix-figure .heatmap-map")
    cells = page.evaluate("() => [...document.querySelectorAll('.statement .matrix-figure .heatmap-cell')]"
                          ".map((c) => c.dataset.value)")
    table = page.evaluate("() => [...document.querySelectorAll('.statement .matrix-figure td')].map((td) => td.textContent)")
    assert cells == ["3", "4", "8", "9", "14"] and table == cells, "the map and the static table hold the same values"


# Keeps the report the page itself shows (the real ResultsView, with its showReport wrapped).
KEEP_REPORTS = """async () => {
  const { ResultsView } = await import(new URL("../assets/results.js", location.href).href);
  const show = ResultsView.prototype.showReport;
  ResultsView.prototype.showReport = function (report) { window.shownReport = report; return show.call(this, report); };
  return true;
}"""


@pytest.mark.skipif(not numpy_wheels(), reason="needs NumPy's Pyodide wheel: set PYODIDE_PACKAGES to a folder holding it")
def test_a_failing_masked_attention_run_in_the_browser_draws_its_own_values(engine_page, site_url):
    page = engine_page
    problem = parse_problem(ROOT / "problems" / "masked_attention.md", ROOT / "hidden_tests")
    code = next(m.code for m in problem.mutants if m.name == "mask_after_softmax")
    native = {t["name"]: t for t in graded_as_the_page_does(problem, code)["tests"]}
    open_problem(page, site_url, "masked_attention")
    page.evaluate(KEEP_REPORTS)
    set_code(page, code)
    run_tests(page)
    shown = {t["name"]: t for t in page.evaluate("() => window.shownReport")["tests"]}
    # Pyodide's NumPy computes float32 in other roundings than native NumPy: same tests, same hints.
    assert {n: (t["hint"], bool(t["picture"])) for n, t in shown.items()} == \
        {n: (t["hint"], bool(t["picture"])) for n, t in native.items()}
    groups = page.evaluate("() => [...document.querySelectorAll('#shared-hints li')].map((li) => li.dataset.name)")
    assert len(groups) >= 2 and all(shown[name]["hint"] == shown[groups[0]]["hint"] for name in groups)
    pictured = [name for name, test in shown.items() if test["picture"]]
    assert pictured
    for name in pictured:
        drawn = page.evaluate(READ_MAPS, name)
        assert drawn is not None, name
        assert_drawn_as_reported(drawn, shown[name]["picture"])
