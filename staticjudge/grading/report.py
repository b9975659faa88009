"""The Report (``runtime/report.schema.json``) of a run the caller had to stop, and a Report
shown to a reader: as text (``grade``) and as HTML (the gradebook's per-learner pages).

The page draws Reports itself (``assets/results.js``) and builds a stopped run's Report in
``assets/pyclient.js``; both follow the same schema, and take a stopped run's texts from the same
file, ``runtime/messages.json`` (the site build writes it into the page as ``assets/messages.js``).
"""

from __future__ import annotations

import html

from ..runtime import messages

_MESSAGES = messages()
TIME_LIMIT_MESSAGE = _MESSAGES["time_limit"]  # {limit}: seconds
CRASH_MESSAGE = _MESSAGES["crash"]  # {code}: the grader process's exit code
NOT_RUN_MESSAGE = _MESSAGES["not_run"]


def time_limit_message(limit: float) -> str:
    """What a run stopped at its time limit says (3.0 s is "3 s", as the page writes it)."""
    return TIME_LIMIT_MESSAGE.replace("{limit}", format(limit, "g"))


def crash_message(exit_code: int | None) -> str:
    """What a run whose grader process died says."""
    return CRASH_MESSAGE.replace("{code}", str(exit_code))


def stopped_report(titles: list[tuple[str, str]], finished: dict, running: str | None, message: str,
                   why: str) -> dict:
    """The Report of a run that had to be killed: finished tests keep their results."""
    tests = []
    for name, title in titles:
        if name in finished:
            tests.append(finished[name])
            continue
        text = message if name == running else NOT_RUN_MESSAGE
        tests.append({"name": name, "title": title, "status": "error", "message": text,
                      "duration_ms": 0.0, "line": None, "traceback": ""})
    error = None if running else {"kind": why, "message": message, "line": None, "traceback": ""}
    return {"status": "error", "passed": sum(t["status"] == "pass" for t in tests), "total": len(tests),
            "tests": tests, "stdout": "", "stdout_truncated": False, "error": error, "stopped": why}


def stopped_shapes(message: str, why: str) -> dict:
    """What ``trace_shapes`` gives for a run that had to be killed: nothing seen, and why."""
    return {"test": None, "lines": [], "raised": [], "calls": 0, "call": None, "stopped": why,
            "error": {"kind": why, "message": message, "line": None, "traceback": ""}}


_MARKS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}


def _sections(report: dict) -> list[tuple[str, str]]:
    """The Report as a reader sees it, in order, as (kind, text): "load_error" (message and
    traceback of code that did not load), then per test its status ("pass", "fail", "error")
    with the title, followed by "detail" items (its message, its traceback), then "stdout" and
    "summary"."""
    items = []
    if report["error"]:
        items.append(("load_error", "\n".join(filter(None, [report["error"]["message"],
                                                            (report["error"].get("traceback") or "").rstrip()]))))
    for test in report["tests"]:
        items.append((test["status"], test["title"]))
        if test["status"] != "pass" and test["message"]:
            items.append(("detail", test["message"]))
        if test.get("traceback") and test["status"] == "error":
            items.append(("detail", test["traceback"].rstrip()))
    if report["stdout"]:
        items.append(("stdout", report["stdout"].rstrip("\n")))
    items.append(("summary", f"{report['passed']}/{report['total']} tests passed"))
    return items


def report_text(report: dict) -> str:
    """What ``grade`` prints: a line per test, its message indented, then the learner's output."""
    lines = []
    for kind, text in _sections(report):
        if kind in _MARKS:
            lines.append(f"{_MARKS[kind]:<5} {text}")
        elif kind == "detail":
            lines.extend("      " + line for line in text.splitlines())
        elif kind == "stdout":
            lines += ["--- your output ---", text]
        else:
            lines.append(text)
    return "\n".join(lines)


def report_html(report: dict) -> str:
    """The same as an HTML fragment: the score first, a list item per test (classes pass, fail, error)."""
    e = html.escape
    head, body, tests = [], [], []
    for kind, text in _sections(report):
        if kind in _MARKS:
            tests.append([f"<li><span class={kind}>{_MARKS[kind]}</span> {e(text)}"])
        elif kind == "detail":
            tests[-1].append(f"<pre>{e(text)}</pre>")
        elif kind == "summary":
            head.append(f"<p class={e(report['status'])}><strong>{e(text)}</strong></p>")
        elif kind == "load_error":
            head.append(f"<pre class=error>{e(text)}</pre>")
        else:
            body.append(f"<h3>Your output</h3><pre>{e(text)}</pre>")
    items = ["\n".join(parts) + "\n</li>" for parts in tests]
    return "\n".join(head[-1:] + head[:-1] + ["<ul>", *items, "</ul>"] + body)
