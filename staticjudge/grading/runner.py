"""Native grading in a child process, so runaway learner code is stopped at the time limit.

The child is forked after NumPy is imported (cheap: no interpreter start-up), runs the shared
harness, and streams its events back. If the time limit passes, the parent kills it and
reports "Time limit exceeded" on the test that was running, as the browser page does.

By default (``separate_learner=True``) the child runs the hidden tests only, and the learner's
code runs in a process of its own, forked from a clean zygote and confined (``zygote.py``,
``sandbox.py``); the tests call it through proxies that exchange plain data.
``separate_learner=False`` runs both in the one child, as the browser does in its worker.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from ..runtime import harness
from .isolated import LearnerRun, grade_in_tests_process, shapes_in_tests_process
from .limits import limit_memory
from .report import crash_message, stopped_report, stopped_shapes, time_limit_message

def _child(conn, mode: str, code: str, tests_source: str, entries: list[str], learner_sock=None,
           shapes: dict | None = None, mutants: list | None = None, tolerance: dict | None = None) -> None:
    limit_memory()

    def emit(event):
        if event.get("type") in ("test_start", "test_end"):
            conn.send(("event", event))

    try:
        if mode == "shapes" and learner_sock is not None:
            report = shapes_in_tests_process(learner_sock, code, tests_source, entries, **shapes, tolerance=tolerance)
        elif mode == "shapes":
            report = harness.trace_shapes(code, tests_source, entries, **shapes, tolerance=tolerance)
        elif learner_sock is not None:
            report = grade_in_tests_process(learner_sock, code, tests_source, entries, emit, mutants, tolerance)
        elif mode == "grade":
            report = harness.grade(code, tests_source, entries, on_event=emit, mutants=mutants, tolerance=tolerance)
        else:
            report = harness.run_script(code, on_event=emit)
        conn.send(("report", report))
    finally:
        conn.close()


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_in_child(code: str, tests_source: str, entries, time_limit: float,
                 test_titles: list[tuple[str, str]], mode: str = "grade", separate_learner: bool = True,
                 test: str | None = None, course: Path | None = None, mutants: list | None = None,
                 tolerance: dict | None = None) -> dict:
    """Grade (or, with mode="script", just run) ``code`` in a child process within ``time_limit``.

    mode="shapes" runs ``harness.trace_shapes`` instead (for the hidden test named ``test``, or
    the first that fails) and returns its result. With ``isolate`` (grading and shapes), the
    learner's code runs in a confined process of its own, where the tracer runs too (unless
    ``separate_learner`` is False); it cannot read ``course`` (the course folder) or the current
    directory. ``mutants`` (grading): the problem's mutants (``model.mutant_data``), run in the
    tests' process when a check fails, to name its mistake (``harness.grade``). ``tolerance``: the
    problem's declared tolerance (``harness.grade``'s).
    """
    import numpy  # noqa: F401  (imported before forking so every child starts with it)

    learner = None
    if separate_learner and mode in ("grade", "shapes"):
        learner = LearnerRun(code, list(entries), time_limit, course)
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    shapes = {"test": test, "time_limit": time_limit} if mode == "shapes" else None
    args = (child, mode, code, tests_source, list(entries), learner.tests_end if learner else None, shapes,
            mutants if mode == "grade" else None, tolerance)
    process = ctx.Process(target=_child, args=args, daemon=True)
    try:
        process.start()
    except BaseException:
        if learner:
            learner.stop()
        raise
    child.close()
    if learner:
        learner.tests_end.close()
    deadline = time.monotonic() + time_limit
    running, finished = None, {}

    def stop(why: str) -> dict:
        if why == "timeout":
            message = time_limit_message(time_limit)
        else:
            process.join(1)
            message = crash_message(process.exitcode)
        if mode == "shapes":
            return stopped_shapes(message, why)
        return stopped_report(test_titles, finished, running, message, why)

    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return stop("timeout")
            if parent.poll(min(remaining, 0.05)):
                try:
                    kind, payload = parent.recv()
                except EOFError:
                    return stop("crash")
                if kind == "report":
                    return payload
                if payload["type"] == "test_start":
                    running = payload["name"]
                else:
                    finished[payload["result"]["name"]] = payload["result"]
                    running = None
            elif not process.is_alive() and not parent.poll():
                return stop("crash")
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent.close()
        if learner:
            learner.stop()
