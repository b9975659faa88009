"""The bad-submission corpus graded in Chromium, through the page, as a learner would run it.

One page per problem; the cases run on it in sequence, each typed into the editor and run with
"Run tests", and each followed by a correct run that must pass on the same page (the worker
killed by a time limit or a crash has been replaced by then). The verdict is read back from
the DOM and judged by the same rules as the native corpus (tests/test_corpus.py).

The NumPy cases need the NumPy wheel: they run only when PYODIDE_PACKAGES names a folder with it.
"""

from __future__ import annotations

import shutil
import time

import pytest

from staticjudge.content.parser import parse_problem

from corpus.bad_submissions import CASES, GOOD_ATTENTION, GOOD_SCALE, verdict_problems

from .conftest import ROOT, SUB_PATH, build_into, numpy_wheels, serving
from .helpers import BOOT_MS, open_problem, run_tests, set_code

CORPUS_PROJECT = ROOT / "tests" / "corpus" / "project"
GOOD = {"scale_list": GOOD_SCALE, "self_attention": GOOD_ATTENTION}
TIME_LIMITS = {"scale_list": parse_problem(CORPUS_PROJECT / "problems" / "scale_list.md",
                                           CORPUS_PROJECT / "hidden_tests").time_limit,
               "self_attention": parse_problem(ROOT / "problems" / "self_attention.md", ROOT / "hidden_tests").time_limit}
# A run must be over within its time limit plus this (the page kills the worker at the limit;
# the slack covers a loaded 2-core machine, never a hung page); the correct run after it may
# also wait for a fresh Python when the spare one is not ready yet.
SLACK_S = 25
RESTART_S = 45

NO_NUMPY = "PYODIDE_PACKAGES names no folder with a NumPy wheel: the NumPy cases run natively only"

# The Report, as far as the page shows it: the overall status follows harness._verdict.
READ_REPORT = """() => {
  const text = (node) => node ? node.textContent : "";
  const loadError = document.getElementById("load-error");
  const error = loadError.hidden ? null : {message: text(loadError.querySelector(".load-error-message"))};
  // A hint several failed tests share is shown once, above the rows: read it with each of them.
  const shared = {};
  for (const note of document.querySelectorAll("#shared-hints .shared-hint")) {
    for (const item of note.querySelectorAll(".shared-hint-tests li")) shared[item.dataset.name] = text(note.querySelector(".shared-hint-text"));
  }
  const tests = [...document.querySelectorAll("#test-rows > li")].map((row) => ({
    name: row.dataset.name, status: row.dataset.status,
    message: [text(row.querySelector(".test-message")), shared[row.dataset.name] || ""].filter(Boolean).join(" "),
  }));
  const status = error || tests.some((t) => t.status === "error") ? "error"
    : tests.some((t) => t.status === "fail") ? "fail" : "pass";
  const output = document.getElementById("output");
  return {status, error, tests, stdout: output.hidden ? "" : text(document.getElementById("stdout"))};
}"""


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    """The corpus problem (and, with the NumPy wheel, self_attention), self-hosted and served."""
    base = tmp_path_factory.mktemp("corpus")
    project = base / "project"
    shutil.copytree(CORPUS_PROJECT, project)
    wheels = numpy_wheels()
    if wheels:
        for name, folder in (("problems", ".md"), ("hidden_tests", ".py")):
            shutil.copyfile(ROOT / name / f"self_attention{folder}", project / name / f"self_attention{folder}")
    build_into(project, base / "www" / SUB_PATH, wheels)
    with serving(base / "www") as root:
        yield root + SUB_PATH


@pytest.fixture(scope="module")
def corpus_context(browser):
    context = browser.new_context()
    context.set_default_timeout(BOOT_MS)
    yield context
    context.close()


@pytest.fixture(scope="module")
def pages(corpus_context, corpus_site):
    """One page per problem, opened on first use and kept for every case of that problem."""
    opened = {}

    def get(slug: str):
        if slug not in opened:
            page = corpus_context.new_page()
            page.errors = []
            page.on("pageerror", lambda error, page=page: page.errors.append(str(error)))
            open_problem(page, corpus_site, slug)
            opened[slug] = page
        return opened[slug]

    yield get
    for page in opened.values():
        assert not page.errors, f"uncaught errors in the page: {page.errors}"


def params():
    for case in CASES:
        marks = [pytest.mark.skipif(numpy_wheels() is None, reason=NO_NUMPY)] if case.problem != "scale_list" else []
        yield pytest.param(case, id=case.id, marks=marks)


def timed_run(page) -> tuple[str, float]:
    start = time.monotonic()
    summary = run_tests(page)
    return summary, time.monotonic() - start


@pytest.mark.parametrize("case", list(params()))
def test_browser_verdict_then_a_correct_run_passes(pages, case):
    page = pages(case.problem)
    limit = TIME_LIMITS[case.problem]
    set_code(page, case.code)
    summary, took = timed_run(page)
    report = page.evaluate(READ_REPORT)
    problems = verdict_problems(case, report)
    assert not problems, f"{summary}\n" + "\n".join(problems)
    assert took < limit + SLACK_S, f"the run took {took:.1f} s"

    set_code(page, GOOD[case.problem])
    summary, took = timed_run(page)
    assert summary.endswith("· solved!"), f"after {case.id}, a correct run gave: {summary}"
    assert took < limit + SLACK_S + RESTART_S, f"the correct run after {case.id} took {took:.1f} s"
