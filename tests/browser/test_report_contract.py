"""The Reports the page gets follow staticjudge/runtime/report.schema.json, on every engine.

Each run's result is kept as the page's PythonRunner hands it over (its `run`, wrapped): the
worker's Reports (grading, a script run, shapes) and the one the page makes for a run stopped
at its time limit (pyclient.js's stoppedReport), whose text is native grading's.
"""

import json

import jsonschema

from staticjudge.grading.report import NOT_RUN_MESSAGE, time_limit_message
from staticjudge.runtime import REPORT_SCHEMA

from .helpers import RUN_MS, open_problem, run_tests, set_code, wait_run_over

SCHEMA = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))

# Keeps what every run of the page's PythonRunner resolved with, as window.gotReports [{kind, report}].
KEEP_RUNS = """async () => {
  const { PythonRunner } = await import(new URL("../assets/pyclient.js", location.href).href);
  const run = PythonRunner.prototype.run;
  window.gotReports = [];
  PythonRunner.prototype.run = function (job) {
    const got = run.call(this, job);
    got.then((report) => window.gotReports.push({ kind: job.kind, report }));
    return got;
  };
  return true;
}"""


def next_report(page, count: int) -> dict:
    """The run's result once the page has it: the ``count``-th one kept."""
    page.wait_for_function("(n) => window.gotReports.length >= n", arg=count, timeout=RUN_MS)
    return page.evaluate("(n) => window.gotReports[n - 1]", count)


def schema_of(kind: str) -> jsonschema.Draft202012Validator:
    name = {"grade": "report", "script": "script_report", "shapes": "shapes"}[kind]
    return jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{name}"})


def test_the_reports_the_page_gets_follow_the_schema(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    page.evaluate(KEEP_RUNS)
    got = []

    set_code(page, "def add(a, b):\n    if a < 0:\n        return 0\n    return a + b\n")
    assert run_tests(page) == "2/3 tests passed"
    got.append(next_report(page, 1))
    page.click("#run-code")
    wait_run_over(page)
    got.append(next_report(page, 2))
    page.click("#show-shapes")
    got.append(next_report(page, 3))
    wait_run_over(page)
    set_code(page, "def add(a, b):\n    while True:\n        pass\n")
    assert run_tests(page) == "0/3 tests passed · time limit exceeded"
    got.append(next_report(page, 4))

    assert [g["kind"] for g in got] == ["grade", "script", "shapes", "grade"]
    for run in got:
        schema_of(run["kind"]).validate(run["report"])
        jsonschema.Draft202012Validator(SCHEMA).validate(run["report"])  # and no other kind of result
    graded, script, shapes, stopped = (g["report"] for g in got)
    assert graded["status"] == "fail" and graded["stopped"] is None
    assert script["status"] == "pass" and "stopped" not in script
    assert shapes["test"]["name"] == "test_negative"
    assert stopped["stopped"] == "timeout"
    assert [t["message"] for t in stopped["tests"]] == [time_limit_message(3), NOT_RUN_MESSAGE, NOT_RUN_MESSAGE]
