"""Native grading in a child process, so runaway learner code is stopped at the time limit.

The child is forked after NumPy is imported (cheap: no interpreter start-up), runs the shared
harness, and streams its events back. If the time limit passes, the parent kills it and
reports "Time limit exceeded" on the test that was running, as the browser page does.

Grading is isolated (``isolate=True``, the default): the child runs the hidden tests only,
and the learner's code runs in a process of its own, forked from a clean zygote and confined
(``staticjudge/grading/``); the tests call it through proxies that exchange plain data.
``isolate=False`` runs both in the one child, as the browser does in its worker.
"""

from __future__ import annotations

import multiprocessing
import time

from . import harness

TIME_LIMIT_MESSAGE = "Time limit exceeded ({limit:g} s): is there an endless loop, or a much too slow step?"
CRASH_MESSAGE = "The grader stopped unexpectedly (exit code {code}): your code may have used too much memory or exited the process."


MEMORY_HEADROOM = 2 * 1024**3  # bytes a run may allocate beyond what the grader itself uses


def _limit_memory(headroom: int = MEMORY_HEADROOM) -> None:
    """Cap the child's address space so a memory bomb raises MemoryError instead of swapping."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (size + headroom, size + headroom))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still stops the run


def _child(conn, mode: str, code: str, tests_source: str, entries: list[str], learner_sock=None,
           shapes: dict | None = None) -> None:
    _limit_memory()
    def emit(event):
        if event.get("type") in ("test_start", "test_end"):
            conn.send(("event", event))

    try:
        if mode == "shapes" and learner_sock is not None:
            from .grading.isolated import shapes_in_tests_process

            report = shapes_in_tests_process(learner_sock, code, tests_source, entries, **shapes)
        elif mode == "shapes":
            report = harness.trace_shapes(code, tests_source, entries, **shapes)
        elif learner_sock is not None:
            from .grading.isolated import grade_in_tests_process

            report = grade_in_tests_process(learner_sock, code, tests_source, entries, emit)
        elif mode == "grade":
            report = harness.grade(code, tests_source, entries, on_event=emit)
        else:
            report = harness.run_script(code, on_event=emit)
        conn.send(("report", report))
    finally:
        conn.close()


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def stopped_report(titles: list[tuple[str, str]], finished: dict, running: str | None, message: str,
                   why: str) -> dict:
    """The Report of a run that had to be killed: finished tests keep their results."""
    tests = []
    for name, title in titles:
        if name in finished:
            tests.append(finished[name])
            continue
        text = message if name == running else "Not run: an earlier test did not finish."
        tests.append({"name": name, "title": title, "status": "error", "message": text,
                      "duration_ms": 0.0, "line": None, "traceback": ""})
    error = None if running else {"kind": why, "message": message, "line": None, "traceback": ""}
    return {"status": "error", "passed": sum(t["status"] == "pass" for t in tests), "total": len(tests),
            "tests": tests, "stdout": "", "stdout_truncated": False, "error": error, "stopped": why}


def stopped_shapes(message: str, why: str) -> dict:
    """What ``trace_shapes`` gives for a run that had to be killed: nothing seen, and why."""
    return {"test": None, "lines": [], "raised": [], "calls": 0, "call": None, "stopped": why,
            "error": {"kind": why, "message": message, "line": None, "traceback": ""}}


def run_isolated(code: str, tests_source: str, entries, time_limit: float,
                 test_titles: list[tuple[str, str]], mode: str = "grade", isolate: bool = True,
                 test: str | None = None) -> dict:
    """Grade (or, with mode="script", just run) ``code`` in a child process within ``time_limit``.

    mode="shapes" runs ``harness.trace_shapes`` instead (for the hidden test named ``test``, or
    the first that fails) and returns its result. With ``isolate`` (grading and shapes), the
    learner's code runs in a confined process of its own, where the tracer runs too.
    """
    import numpy  # noqa: F401  (imported before forking so every child starts with it)

    learner = None
    if isolate and mode in ("grade", "shapes"):
        from .grading.isolated import LearnerRun

        learner = LearnerRun(code, list(entries), time_limit)
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    shapes = {"test": test, "time_limit": time_limit} if mode == "shapes" else None
    args = (child, mode, code, tests_source, list(entries), learner.tests_end if learner else None, shapes)
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
            message = TIME_LIMIT_MESSAGE.format(limit=time_limit)
        else:
            process.join(1)
            message = CRASH_MESSAGE.format(code=process.exitcode)
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
