"""One Report contract (staticjudge/runtime/report.schema.json) for every side that makes a Report.

The native harness (grade, run_script, trace_shapes), the worker's glue (runtime/bridge.py), a
run native grading had to stop (grading/report.py through runner.run_in_child) and one the page
had to stop (pyclient.js's stoppedReport, run by Node) all validate; a stopped run's texts come
from runtime/messages.json on both sides. The page's own Reports are checked in a browser
(tests/browser/test_report_contract.py).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import signal
import subprocess

import jsonschema
import pytest

from staticjudge.grading.report import (NOT_RUN_MESSAGE, crash_message, stopped_report, stopped_shapes,
                                        time_limit_message)
from staticjudge.grading.runner import run_in_child
from staticjudge.runtime import REPORT_SCHEMA, RUNTIME_FILES, bridge, harness, messages
from staticjudge.site.build import PAGE_MESSAGES, messages_module
from staticjudge.site.theme import THEME_DIR

from conftest import ROOT

SCHEMA = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
KINDS = ("report", "script_report", "shapes")

TESTS = '''
import numpy as np
from judge import assert_close


def test_doubles(double):
    """Doubles every entry"""
    x = np.arange(6.0).reshape(2, 3)
    assert_close(double(x), 2 * x, mistakes={"Multiply, do not add.": x + 2})


def test_keeps_the_length(double):
    got = double(np.ones(4))
    assert len(got) == 4, f"got {len(got)} entries\\n  Hint: return one value per input."
'''
ENTRIES = ["double"]
TITLES = [("test_doubles", "Doubles every entry"), ("test_keeps_the_length", "Keeps the length")]
RIGHT = "def double(x):\n    return 2 * x\n"
WRONG = "def double(x):\n    y = x + 2\n    return y\n"
SHORT = "def double(x):\n    return (2 * x)[:-1]\n"
ENDLESS = "def double(x):\n    while True:\n        pass\n"
DIES = "import os\nos._exit(3)\n"


def validate(instance, kind: str) -> None:
    """``instance`` is exactly one of the schema's results, and that one is ``kind``."""
    jsonschema.Draft202012Validator(SCHEMA).validate(instance)
    jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{kind}"}).validate(instance)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(KINDS) <= set(SCHEMA["$defs"])


# ---- the native harness --------------------------------------------------------------------
def test_a_passing_report():
    report = harness.grade(RIGHT, TESTS, ENTRIES)
    validate(report, "report")
    assert (report["status"], report["passed"], report["total"]) == ("pass", 2, 2)


def test_a_failing_report_with_a_hint_and_a_picture():
    report = harness.grade(WRONG, TESTS, ENTRIES)
    validate(report, "report")
    doubles = report["tests"][0]
    assert report["status"] == "fail" and doubles["status"] == "fail"
    assert doubles["hint"] == "Multiply, do not add." and doubles["picture"]["kind"] == "float"
    short = harness.grade(SHORT, TESTS, ENTRIES)
    validate(short, "report")
    assert short["tests"][1]["hint"] == "return one value per input."


@pytest.mark.parametrize("code, kind", [
    ("def double(x):\n    return 2 * x +\n", "syntax"),
    ("def double(x):\n\tif x:\n        return 2 * x\n", "syntax"),
    ("raise ValueError('no')\n", "exception"),
    ("import sys\nsys.exit(1)\n", "exit"),
])
def test_a_load_error_report(code, kind):
    report = harness.grade(code, TESTS, ENTRIES)
    validate(report, "report")
    assert report["error"]["kind"] == kind and report["status"] == "error"
    assert [t["status"] for t in report["tests"]] == ["error", "error"]
    assert "hint" not in report["tests"][0], "a test that did not run carries no hint"
    assert ("fix" in report["error"]) == ("\t" in code)


def test_a_report_of_hidden_tests_that_did_not_load():
    report = harness.grade(RIGHT, "def test_x(double:\n", ENTRIES)
    validate(report, "report")
    assert report["error"]["kind"] == "tests" and report["total"] == 0


@pytest.mark.parametrize("code, status, truncated", [
    ("print('hello')\n", "pass", False),
    ("print('bye')\nraise SystemExit(2)\n", "error", False),
    ("print('x' * 30_000)\n", "pass", True),
])
def test_a_script_run(code, status, truncated):
    report = harness.run_script(code)
    validate(report, "script_report")
    assert report["status"] == status and report["stdout"] and report["stdout_truncated"] == truncated
    assert (report["error"] is None) == (status == "pass")


@pytest.mark.parametrize("code, test, why", [
    (WRONG, None, None),
    (SHORT.replace("return ", "y = ") + "    return y\n", "test_keeps_the_length", None),
    (ENDLESS, None, "timeout"),
    (RIGHT, "test_nothing", "test"),
    ("def double(x)\n", None, "syntax"),
])
def test_shapes(code, test, why):
    result = harness.trace_shapes(code, TESTS, ENTRIES, test=test, time_limit=0.5)
    validate(result, "shapes")
    if why is None:
        assert result["lines"] and result["stopped"] is None and result["error"] is None
    elif why == "timeout":
        assert result["stopped"] == "timeout" and result["test"]["status"] == "error"
    else:
        assert result["error"]["kind"] == why and result["test"] is None


# The schema has teeth: Reports that drifted from it are refused.
@pytest.mark.parametrize("change", [
    lambda r: r.pop("stopped"),
    lambda r: r.update(score=1),
    lambda r: r.update(status="ok"),
    lambda r: r.update(stopped="killed"),
    lambda r: r["tests"][0].update(duration_ms="1"),
    lambda r: r["tests"][0].pop("traceback"),
    lambda r: r["tests"][0]["picture"].update(kind="complex"),
    lambda r: r["tests"][0]["picture"]["got"][0].__setitem__(0, "NaN"),
    lambda r: r.update(error={"kind": "oops", "message": "", "line": None, "traceback": ""}),
    lambda r: r.update(error={"kind": "syntax", "message": "", "line": None, "traceback": "", "fix": "x"}),
], ids=["no stopped", "extra key", "status", "stopped", "duration", "no traceback", "picture kind",
        "cell", "error kind", "fix"])
def test_the_schema_refuses_a_report_that_drifted(change):
    report = harness.grade(WRONG, TESTS, ENTRIES)
    validate(report, "report")
    changed = copy.deepcopy(report)
    change(changed)
    with pytest.raises(jsonschema.ValidationError):
        validate(changed, "report")


# ---- the worker's glue -----------------------------------------------------------------------
def test_the_bridge_returns_reports_as_json_and_events_as_json():
    before = signal.getsignal(signal.SIGINT)
    events = []
    try:
        report = json.loads(bridge.grade(WRONG, TESTS, json.dumps(ENTRIES), events.append))
        assert signal.getsignal(signal.SIGINT) is harness.raise_time_up, "a run's deadline raises TimeUp"
        script = json.loads(bridge.script("print('hi')\n", events.append))
        shapes = json.loads(bridge.shapes(WRONG, TESTS, json.dumps(ENTRIES), None, 1.0))
    finally:
        signal.signal(signal.SIGINT, before)
    validate(report, "report")
    validate(script, "script_report")
    validate(shapes, "shapes")
    assert report == harness.grade(WRONG, TESTS, ENTRIES) | {"tests": report["tests"]}
    assert script["stdout"] == "hi\n" and shapes["test"]["name"] == "test_doubles"
    decoded = [json.loads(event) for event in events]
    assert [e["type"] for e in decoded[:4]] == ["test_start", "test_end", "test_start", "test_end"]
    assert "".join(e["text"] for e in decoded[4:] if e["type"] == "stdout") == "hi\n"
    jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/test"}).validate(decoded[1]["result"])


def test_the_worker_runs_the_bridge_file_it_ships():
    assert "bridge.py" in RUNTIME_FILES, "the build ships it and the snapshot key includes it"
    worker = (THEME_DIR / "assets" / "pyworker.js").read_text(encoding="utf-8")
    assert "def _grade" not in worker, "the worker's Python lives in runtime/bridge.py"
    called = re.search(r'const BRIDGE = "import bridge\\n\((.*)\)";', worker)
    assert called, "the worker imports bridge.py"
    names = [name.strip().removeprefix("bridge.") for name in called.group(1).split(",")]
    assert names == ["grade", "script", "warm", "shapes"] and all(callable(getattr(bridge, n)) for n in names)


# ---- a run native grading had to stop ----------------------------------------------------------
def test_a_native_run_stopped_at_its_time_limit():
    report = run_in_child(ENDLESS, TESTS, ENTRIES, 0.5, TITLES)
    validate(report, "report")
    assert report["stopped"] == "timeout" and report["error"] is None
    assert [t["message"] for t in report["tests"]] == [time_limit_message(0.5), NOT_RUN_MESSAGE]


def test_a_native_run_whose_grader_died():
    report = run_in_child(DIES, TESTS, ENTRIES, 10, TITLES, separate_learner=False)
    validate(report, "report")
    assert report["stopped"] == "crash" and report["error"]["message"] == crash_message(3)
    assert {t["message"] for t in report["tests"]} == {NOT_RUN_MESSAGE}


@pytest.mark.parametrize("code, why", [(DIES, "crash"), ("while True:\n    pass\n", "timeout")])
def test_native_shapes_and_script_runs_that_had_to_stop(code, why):
    shapes = run_in_child(code, TESTS, ENTRIES, 0.5, TITLES, mode="shapes", separate_learner=False)
    validate(shapes, "shapes")
    assert shapes["stopped"] == why
    script = run_in_child(code, "", [], 0.5, [], mode="script")
    validate(script, "report")
    assert script["stopped"] == why and script["error"]["kind"] == why


# ---- a run the page had to stop (pyclient.js, run by Node) -------------------------------------
PAGE = """
const { stoppedReport, TIME_LIMIT_MESSAGE, CRASH_MESSAGE } = await import(process.argv[1]);
const { tests, finished, limits } = JSON.parse(process.argv[2]);
const grade = { kind: "grade", tests, finished, running: tests[1].name, stdout: "printed\\n" };
console.log(JSON.stringify({
  timeout: stoppedReport(grade, TIME_LIMIT_MESSAGE(limits[0]), "timeout"),
  crash: stoppedReport({ ...grade, running: null }, CRASH_MESSAGE, "crash"),
  cancelled: stoppedReport(grade, "Stopped by you.", "cancelled"),
  unavailable: stoppedReport({ ...grade, finished: {}, running: null }, "Python could not be loaded: x", "unavailable"),
  script: stoppedReport({ kind: "script", stdout: "printed\\n" }, TIME_LIMIT_MESSAGE(limits[0]), "timeout"),
  shapes: stoppedReport({ kind: "shapes", tests: [] }, TIME_LIMIT_MESSAGE(limits[0]), "timeout"),
  limits: limits.map(TIME_LIMIT_MESSAGE),
  crashText: CRASH_MESSAGE,
}));
"""
LIMITS = [3.0, 0.5, 2.25, 10, 120]


@pytest.fixture(scope="module")
def page_side(tmp_path_factory):
    """What pyclient.js makes, with the messages.js the site build writes next to it."""
    assets = tmp_path_factory.mktemp("assets")
    shutil.copyfile(THEME_DIR / "assets" / "pyclient.js", assets / "pyclient.js")
    (assets / PAGE_MESSAGES).write_text(messages_module(), encoding="utf-8")
    first = harness.grade(RIGHT, TESTS, ENTRIES)["tests"][0]
    given = {"tests": [{"name": n, "title": t} for n, t in TITLES + [("test_more", "More")]],
             "finished": {first["name"]: first}, "limits": LIMITS}
    result = subprocess.run(["node", "--input-type=module", "-e", PAGE, str(assets / "pyclient.js"), json.dumps(given)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return given, json.loads(result.stdout)


@pytest.mark.parametrize("name, kind, why", [
    ("timeout", "report", "timeout"), ("crash", "report", "crash"), ("cancelled", "report", "cancelled"),
    ("unavailable", "report", "unavailable"), ("script", "script_report", "timeout"), ("shapes", "shapes", "timeout"),
])
def test_a_run_the_page_stopped(page_side, name, kind, why):
    _given, made = page_side
    validate(made[name], kind)
    assert made[name]["stopped"] == why
    if name in ("timeout", "cancelled"):  # a test was running: it holds the reason
        assert made[name]["error"] is None and made[name]["tests"][1]["status"] == "error"
    else:
        assert made[name]["error"]["kind"] == why


def test_both_sides_write_a_stopped_run_alike(page_side):
    given, made = page_side
    titles = [(t["name"], t["title"]) for t in given["tests"]]
    running = given["tests"][1]["name"]
    native = stopped_report(titles, given["finished"], running, time_limit_message(LIMITS[0]), "timeout")
    page = made["timeout"]
    assert page == native | {"stdout": "printed\n"}, "the same Report but for the output the page kept"
    assert [t["message"] for t in page["tests"][1:]] == [time_limit_message(3.0), NOT_RUN_MESSAGE]
    assert made["shapes"] == stopped_shapes(time_limit_message(LIMITS[0]), "timeout")


def test_both_sides_take_a_stopped_runs_texts_from_messages_json(page_side):
    _given, made = page_side
    texts = messages()
    assert made["limits"] == [time_limit_message(limit) for limit in LIMITS]
    assert made["limits"][0] == texts["time_limit"].replace("{limit}", "3") == \
        "Time limit exceeded (3 s): is there an endless loop, or a much too slow step?"
    assert {t["message"] for t in made["unavailable"]["tests"]} == {texts["not_run"]} == {NOT_RUN_MESSAGE}
    # The native grader knows its process's exit code; the page restarts Python instead.
    assert made["crashText"] == texts["crash_in_page"]
    assert crash_message(-9) == texts["crash"].replace("{code}", "-9")
    pyclient = (THEME_DIR / "assets" / "pyclient.js").read_text(encoding="utf-8")
    for text in texts.values():
        head = text.split("{")[0]
        assert head[:20] not in pyclient, f"pyclient.js keeps a copy of {text!r}"
