"""Remake the README's screenshots: a failing masked-attention run, in light and dark mode.

    PYODIDE_PACKAGES=/path/to/wheels python docs/screenshots.py

Builds the site self-hosted with NumPy's Pyodide wheel, opens masked_attention in Chromium at
1366 × 1300 with the mutant that adds the mask after the softmax as the learner's code, runs the
tests, shows the shapes, and writes docs/failing-run-light.png and docs/failing-run-dark.png.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from browser_site import SUB_PATH, built_site, engines, open_problem, serving  # noqa: E402

from staticjudge.content.parser import parse_problem  # noqa: E402

SLUG, MUTANT = "masked_attention", "mask_after_softmax"
VIEWPORT = {"width": 1366, "height": 1300}
SCROLL_TO_EDITOR = """() => {
  const pane = document.querySelector(".pane-work"), editor = document.querySelector("#editor");
  pane.scrollTop += editor.getBoundingClientRect().top - pane.getBoundingClientRect().top - 12;
}"""
STORED = "localStorage.setItem('staticjudge:v1:' + %s + '|' + %s, JSON.stringify({code: %s, solved: false}))"


def main() -> None:
    problem = parse_problem(ROOT / "problems" / f"{SLUG}.md", ROOT / "hidden_tests")
    code = next(m.code for m in problem.mutants if m.name == MUTANT)
    with built_site() as site, serving(site.www) as base:
        if not site.numpy:
            raise SystemExit("set PYODIDE_PACKAGES to a folder holding NumPy's Pyodide wheel")
        for browser, scheme in ((b, s) for b in engines("chromium") for s in ("light", "dark")):
            context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
            context.add_init_script(STORED % (json.dumps("/" + SUB_PATH), json.dumps(SLUG), json.dumps(code)))
            page = context.new_page()
            open_problem(page, base, SLUG)
            page.click("#run-tests")
            page.wait_for_selector(".test-row[data-status=fail] .heatmap", timeout=60_000)
            page.click("#show-shapes")
            page.wait_for_selector(".cm-shape-note", timeout=60_000)
            # The editor's top, then the shared hint and the first failed row's pictures below it.
            page.evaluate(SCROLL_TO_EDITOR)
            page.wait_for_timeout(300)
            target = ROOT / "docs" / f"failing-run-{scheme}.png"
            page.screenshot(path=str(target))
            print("wrote", target.relative_to(ROOT))
            context.close()


if __name__ == "__main__":
    main()
