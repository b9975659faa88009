"""The learner's process: loads the learner's code and answers calls with plain data.

It is forked from the zygote (``zygote.py``), which imported NumPy and the harness before it
knew of any problem, so this process never held the hidden tests, the reference solution or a
problem file; ``sandbox.confine`` then keeps it from reading them on disk.

Protocol (``wire`` messages over one socket, the tests' process asking):

- on start, unasked: ``loaded`` ``{entries: {name: "function" | type name}}`` (missing names are
  absent) or ``load_error`` ``{error}`` (the harness's formatted load error);
- ``call`` ``{name}`` + values ``args``, ``kwargs`` → ``return`` + value ``value``,
  ``raise`` ``{error, exc_type, exc_text}``, ``not_plain`` ``{typename, where}``, or
  ``mutated`` ``{argument}`` (an input list changed in place: the tests never see the change,
  so it is reported instead);
- ``trace_start`` ``{seconds}`` → ``tracing``: trace the learner's lines during the next calls
  (``shapes.ShapeTracer``, the browser's tracer; past ``seconds`` it stops the learner's code);
  ``trace_stop`` → ``traced`` ``{observations}`` (what it saw). Only "Show shapes" asks for it;

every answer also carries ``stdout`` (new text, capped as in the browser) and ``dropped``.
"""

from __future__ import annotations

import builtins
import os
import random
import sys
from pathlib import Path

import numpy as np

from ..runtime import harness, shapes
from . import sandbox, wire

_BUILTIN_EXCEPTIONS = {name for name, value in vars(builtins).items()
                       if isinstance(value, type) and issubclass(value, Exception)}


class _Channel:
    def __init__(self, conn):
        self.conn = conn
        self.out = harness.CappedOutput()
        self.sent_chars = 0
        self.sent_dropped = 0

    def _stdout(self) -> dict:
        text = "".join(self.out._parts)
        new, self.sent_chars = text[self.sent_chars:], len(text)
        dropped = self.out.dropped
        more, self.sent_dropped = dropped - self.sent_dropped, dropped
        return {"stdout": new, "dropped": more}

    def send(self, op: str, fields: dict | None = None, values: dict | None = None) -> None:
        self.conn.send_bytes(wire.encode(op, {**(fields or {}), **self._stdout()}, values))


def _exception_type(exc: BaseException) -> str | None:
    """The built-in exception class the tests may catch it as (ValueError for LinAlgError)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins" and cls.__name__ in _BUILTIN_EXCEPTIONS:
            return cls.__name__
    return None


def _call_error(exc: BaseException) -> dict:
    return {"error": {"message": harness.error_message(exc), "line": harness.learner_line(exc),
                      "traceback": harness.trimmed_traceback(exc)},
            "exc_type": _exception_type(exc), "exc_text": _safe_str(exc)}


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
        return text if type(text) is str else ""
    except BaseException:  # noqa: BLE001 - a learner __str__ may raise anything
        return ""


def _entries(namespace: dict, names: list[str]) -> dict:
    found = {}
    for name in names:
        if name in namespace:
            value = namespace[name]
            found[name] = "function" if callable(value) else shapes.type_name(value)
    return found


# The learner's functions are called from here: a frame whose source reads as the call it is
# (code that looks at its caller, ``inspect.getsource(sys._getframe(1))``, sees this, not an error).
_CALLER_FILE = "grader.py"
_CALLER_SOURCE = "def call(fn, args, kwargs):\n    return fn(*args, **kwargs)\n"
harness.register_source(_CALLER_FILE, _CALLER_SOURCE)
_caller: dict = {}
exec(compile(_CALLER_SOURCE, _CALLER_FILE, "exec"), _caller)
_call = _caller["call"]


_CORE = ["builtins", "json", "json.encoder", "json.decoder", "struct", __name__, "staticjudge.grading.wire"]
_LIBRARIES = ["multiprocessing.connection", "staticjudge.runtime.harness", "math", "sys", "time", "traceback", "judge", "numpy", "numpy.linalg", "numpy.random",
              "numpy.fft", "numpy.testing", "numpy._core.numeric"]


def _protected(names: list[str]) -> "harness.Snapshot":
    """What this process relies on, as the harness protects it in the browser. All of it is
    restored once the code has loaded, so patching ``builtins`` or ``np.exp`` at load time breaks
    neither this loop nor (as in the browser) the learner's own functions; what this loop itself
    uses (``_CORE``, ~250 names) is also restored after every call."""
    return harness.Snapshot([sys.modules[n].__dict__ for n in names if n in sys.modules])


def serve(conn, code: str, entries: list[str]) -> None:
    """Load ``code``, then answer calls until the tests' process hangs up."""
    random.seed(0)  # the same file graded twice gets the same result
    np.random.seed(0)
    channel = _Channel(conn)
    sys.stdout = sys.stderr = channel.out
    snapshot, core = _protected(_CORE + _LIBRARIES), _protected(_CORE)
    try:
        namespace = harness.load_learner_code(code)
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything
        snapshot.restore()
        channel.send("load_error", {"error": harness.load_error(exc)})
        return
    snapshot.restore()
    channel.send("loaded", {"entries": _entries(namespace, entries)})
    tracer = None
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        header, decoder = wire.decode(message, copy=False, make_dict=harness.ReadOnlyDict)
        if header["op"] == "trace_start":
            tracer = shapes.ShapeTracer(code)
            tracer.start(header.get("seconds"))
            channel.send("tracing")
            continue
        if header["op"] == "trace_stop":
            channel.send("traced", {"observations": tracer.stop() if tracer else {}})
            tracer = None
            continue
        fn = namespace.get(header.get("name"))
        args = wire.decode_value(decoder, header["args"])
        kwargs = wire.decode_value(decoder, header["kwargs"])
        watched = [(i, v, wire.encode("x", values={"v": v})) for i, v in enumerate(args) if type(v) is list]
        try:
            value = _call(fn, args, kwargs)
        except BaseException as exc:  # noqa: BLE001
            core.restore()
            channel.send("raise", _call_error(exc))
            continue
        core.restore()
        changed = [i for i, v, before in watched if _encoded_or_none(v) != before]
        if changed:
            channel.send("mutated", {"argument": changed[0] + 1})
            continue
        try:
            channel.send("return", values={"value": value})
        except wire.NotPlain as exc:
            channel.send("not_plain", {"typename": exc.typename[:80], "where": exc.where[:200]})
        except BaseException as exc:  # noqa: BLE001 - e.g. a learner __len__/__iter__ raising
            channel.send("raise", _call_error(exc))


def _encoded_or_none(value):
    try:
        return wire.encode("x", values={"v": value})
    except BaseException:  # noqa: BLE001
        return None


def main(conn, request: dict) -> None:
    """The forked child's life: confine, serve, exit (never return into the zygote's loop)."""
    try:
        sandbox.confine(Path(request["workdir"]), request["time_limit"], request["roots"])
        serve(conn, request["code"], request["entries"])
    except BaseException:  # noqa: BLE001 - the grader's own failure: visible when debugging
        if os.environ.get("STATICJUDGE_DEBUG_LEARNER"):
            import traceback

            traceback.print_exc(file=sys.__stderr__)
    finally:
        os._exit(0)
