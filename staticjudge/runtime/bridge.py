"""The browser worker's Python side: the functions ``site/assets/pyworker.js`` calls, JSON in and out.

Shipped next to ``harness.py``; the worker imports it once Python is ready, after its memory
snapshot is taken (the JavaScript proxies of these functions cannot live in a snapshot), and
calls ``grade``, ``script``, ``warm`` and ``shapes``. ``emit`` is a JavaScript function that takes
one event as a JSON string (``harness.grade``'s ``on_event``). Standard library only.

The worker's deadline "sends" SIGINT once a run's time limit has passed; each run installs
``harness.raise_time_up`` for it again, since learner code may have changed the handler.
"""

from __future__ import annotations

import json
import signal

if __package__:
    from . import harness, warmup
else:  # pragma: no cover - Pyodide: this file sits next to harness.py
    import harness
    import warmup


def grade(code, tests_source, entries_json, emit, mutants_json="[]", tolerance_json=None):
    signal.signal(signal.SIGINT, harness.raise_time_up)  # learner code may have changed it
    return harness.grade_json(code, tests_source, entries_json, lambda e: emit(json.dumps(e)), mutants_json,
                              tolerance_json)


def script(code, emit):
    signal.signal(signal.SIGINT, harness.raise_time_up)
    return harness.run_script_json(code, lambda e: emit(json.dumps(e)))


def warm(kind, tests_source=None, entries_json="[]", code="", tolerance_json="null"):
    warmup.run(kind, tests_source, json.loads(entries_json), code, json.loads(tolerance_json))


def shapes(code, tests_source, entries_json, test, time_limit, tolerance_json=None):
    signal.signal(signal.SIGINT, harness.raise_time_up)
    return harness.trace_shapes_json(code, tests_source, entries_json, test, time_limit, tolerance_json)
