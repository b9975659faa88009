"""Pages every learner can use: axe-core finds no critical, serious or moderate violation on the
index or on any problem page after a failing run, in light and dark mode, on wide and narrow
screens (Chromium).

A problem page is checked as a learner sees it once their code failed: the results view shows the
failed tests (with their hints, said once when shared) and the output, the problem's hints are
revealed and every <details> is open. Each fixture problem is run for real in the browser (pure
Python: no NumPy wheel needed), with its first mutant as the learner's code (the starter code
where it has none) under a comment and a print of theirs. CI has no NumPy wheel, so pictures
(heatmaps) come from a real NumPy report made by the native harness, shown through the page's own
results view (as in test_pictures.py); with PYODIDE_PACKAGES, the shipped NumPy problems are in
the site and their own failing runs in the browser draw them.

axe-core is pinned in engines/package.json; the test installs it with `npm ci` when it is missing.
The page's Content-Security-Policy forbids inline scripts, so the context bypasses it (bypass_csp)
for axe's script tag; nothing else on the page depends on it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from staticjudge.content.parser import parse_problem

from .conftest import FIXTURE, ROOT, SUB_PATH
from .engines import install_npm_packages
from .helpers import RUN_MS, open_problem, run_tests, set_code
from .test_pictures import SHOW_REPORT, native_report

AXE = Path(__file__).resolve().parent / "engines" / "node_modules" / "axe-core" / "axe.min.js"
MODES = ("light", "dark")
WIDTHS = {"wide": {"width": 1366, "height": 768}, "narrow": {"width": 390, "height": 844}}
# Serious and critical violations fail the test, and so do moderate ones: none is left, so a new one
# is a regression (fix it, or name it here with its reason). Minor ones are printed only.
FAILING_IMPACTS = ("moderate", "serious", "critical")

# axe's violations, as plain data: [{id, impact, help, targets}], one per rule.
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")) }));
}"""

# Everything a learner can open: each hint in turn (its button names the next one), the solution,
# tracebacks, tables of values.
OPEN_ALL = """() => {
  for (let i = 0, button; i < 20 && (button = document.querySelector(".reveal-hint")); i++) button.click();
  for (const details of document.querySelectorAll("details")) details.open = true;
}"""
# A hint in the results: said once above the rows (shared) or at the end of a row's message.
HINTED = """() => document.querySelectorAll("#shared-hints .shared-hint").length > 0
  || [...document.querySelectorAll("#test-rows .test-message")].some((m) => m.textContent.includes("Hint: "))"""


def axe_source() -> str:
    failed = install_npm_packages()
    if failed:
        pytest.skip(f"axe-core comes from engines/package-lock.json: {failed}")
    return AXE.read_text(encoding="utf-8")


def problem_source(slug: str):
    for root in (FIXTURE, ROOT):
        if (root / "problems" / f"{slug}.md").exists():
            return parse_problem(root / "problems" / f"{slug}.md", root / "hidden_tests")
    raise AssertionError(f"no source for the built problem {slug}")


def failing_code(slug: str) -> str:
    """The problem's first mutant (else its starter code), below a learner's note and print: the
    editor shows a comment, the results the output."""
    problem = problem_source(slug)
    code = problem.mutants[0].code if problem.mutants else problem.starter.code
    return "# My first try: the tests will tell.\nprint('checking my answer')\n" + code


# Statement parts that scroll sideways on a narrow screen: the fixture's running_total has both, so
# axe's scrollable-region-focusable rule meets them even without the shipped NumPy problems.
SCROLLING = """() => [".statement .highlight > pre", ".statement math[display=block]"].map((s) =>
  [...document.querySelectorAll(s)].some((node) => node.scrollWidth > node.clientWidth))"""


def built_problems(built_site: Path) -> list[str]:
    return sorted(page.parent.name for page in (built_site / SUB_PATH).glob("*/index.html")
                  if (page.parent / "problem.json").exists())


def check(page, where: str, axe: str, found: list) -> None:
    """axe over ``page`` in each mode and width; its violations appended to ``found``."""
    if not page.evaluate("() => typeof axe === 'object'"):
        page.add_script_tag(content=axe)
    for mode in MODES:
        page.emulate_media(color_scheme=mode)
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            page.wait_for_function("(w) => innerWidth === w", arg=size["width"])
            for violation in page.evaluate(RUN_AXE):
                found.append({**violation, "page": where, "mode": mode, "width": f"{width} ({size['width']} px)"})


def report(found: list) -> str:
    return "\n".join(f"- {v['id']} ({v['impact']}) on {v['page']}, {v['mode']}, {v['width']}: {v['help']}; "
                     f"targets: {', '.join(v['targets'])}" for v in found)


def test_the_index_and_every_problem_page_after_a_failing_run_pass_axe(browser, built_site, site_url):
    axe = axe_source()
    slugs = built_problems(built_site)
    assert {"add_numbers", "running_total", "shout_wheel"} <= set(slugs)
    started = time.perf_counter()
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(RUN_MS)
    found, pictured, hinted = [], False, False
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        for slug in slugs:
            open_problem(page, site_url, slug)
            set_code(page, failing_code(slug))
            summary = run_tests(page)
            assert "solved" not in summary and page.locator("#test-rows > li[data-status=pass]").count() < \
                page.locator("#test-rows > li").count(), f"{slug}: the run did not fail: {summary}"
            assert page.locator("#output").is_visible(), f"{slug}: the run's output is not shown"
            assert page.locator("#editor .tok-comment").count() > 0, f"{slug}: the editor shows no comment"
            page.evaluate(OPEN_ALL)
            pictured = pictured or page.locator("#test-rows figure.heatmap").count() > 0
            hinted = hinted or page.evaluate(HINTED)
            check(page, f"{slug} (failing run)", axe, found)
            if slug == "running_total":  # check() ends on the narrow width
                assert page.evaluate(SCROLLING) == [True, True], "the statement's code and formula should scroll"

        if not pictured:  # no NumPy in the browser: a native NumPy report, through the page's results view
            open_problem(page, site_url, "add_numbers", wait_ready=False)
            page.evaluate(SHOW_REPORT, native_report("masked_attention", "mask_after_softmax"))
            page.evaluate(OPEN_ALL)
            assert page.locator("#test-rows figure.heatmap").count() > 0
            assert page.locator("#shared-hints .shared-hint").count() > 0
            check(page, "add_numbers (a failed masked_attention report with pictures)", axe, found)

        assert hinted, "no failing run showed a hint"
        page.goto(site_url + "index.html")  # after the learner's runs
        page.wait_for_function("() => document.documentElement.dataset.indexReady === 'yes'")
        check(page, "index", axe, found)
        assert not errors, f"uncaught errors in the pages: {errors}"
    finally:
        context.close()
    print(f"\naxe over {len(slugs) + 1 + (not pictured)} page views x {len(MODES) * len(WIDTHS)} "
          f"(mode, width) in {time.perf_counter() - started:.1f} s")
    if found:
        print("all violations:\n" + report(found))
    failing = [v for v in found if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"{len(failing)} accessibility violations (axe rule, impact, page, mode, width, " \
                        f"targets):\n{report(failing)}"
