"""The tests' side of native isolated grading: entry functions as proxies to the learner's process.

``run_isolated`` (runner.py) calls ``start`` in the grader, forks the tests' process, which runs
``harness.grade`` with ``load=LearnerProxy(sock).load``: the harness loads the hidden tests,
takes its snapshot, and gets, instead of the learner's namespace, proxies that send each call's
arguments to the learner's process (copies, as plain data) and return its plain-data result.
The tests' process never runs, imports or unpickles anything the learner wrote.
"""

from __future__ import annotations

import builtins
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from multiprocessing.connection import Connection

from ..runtime import harness, shapes
from . import sandbox, wire
from .zygote import Zygote, private_paths

PLAIN = ("only plain data can be sent back to the tests: NumPy arrays, numbers, bools, strings, "
         "None, and tuples, lists and dicts of those")
GONE = ("The process running your code stopped unexpectedly: your code may have used too much memory "
        "or exited the process.")
_SAFE_EXCEPTIONS = {name: value for name, value in vars(builtins).items()
                    if isinstance(value, type) and issubclass(value, Exception)}
_remote_classes: dict[str, type] = {}


class NotPlainResult(AssertionError):
    """A failed check: the learner's function returned something that is not plain data."""


class ChangedInput(AssertionError):
    """A failed check: the learner's function changed an input list in place."""


def _remote_class(name: str) -> type | None:
    base = _SAFE_EXCEPTIONS[name]

    class Remote(base, harness.LearnerError):
        def __init__(self, error: dict, text: str):
            try:
                base.__init__(self, text)
            except TypeError:  # UnicodeError and kin want more arguments
                BaseException.__init__(self, text)
            self.error = error

        def __str__(self):
            return self.args[0] if self.args else ""

    Remote.__name__ = Remote.__qualname__ = name
    return Remote


def _remote_exception(error: dict, exc_type, exc_text) -> BaseException:
    """What a test sees when the learner's function raised: a LearnerError that is also the
    built-in exception it was (a ValueError stays catchable as one), with the learner's text."""
    if type(exc_type) is not str or exc_type not in _SAFE_EXCEPTIONS:
        return harness.LearnerError(error)
    if exc_type not in _remote_classes:
        try:
            _remote_classes[exc_type] = _remote_class(exc_type)
        except TypeError:  # a built-in whose layout cannot be combined
            _remote_classes[exc_type] = None
    cls = _remote_classes[exc_type]
    try:
        return cls(error, exc_text if type(exc_text) is str else "")
    except TypeError:  # ExceptionGroup and kin
        return harness.LearnerError(error)


def _checked_error(error) -> dict:
    if type(error) is not dict:
        return {"message": GONE, "line": None, "traceback": ""}
    line = error.get("line")
    clean = {"message": str(error.get("message", ""))[:20_000],
             "line": line if type(line) is int else None,
             "traceback": str(error.get("traceback", ""))[:20_000]}
    if "kind" in error:
        clean["kind"] = str(error["kind"])[:40]
    if error.get("fix") == "tabs":
        clean["fix"] = "tabs"
    return clean


def _placeholder(typename: str):
    """A stand-in for a non-callable entry, so the harness can say "your code made it a int"."""
    name = typename if isinstance(typename, str) and typename.isidentifier() else "object"
    return type(name[:80], (), {})()


class LearnerProxy:
    """The tests' process's handle on the learner's process."""

    def __init__(self, sock: socket.socket):
        self.conn = Connection(sock.detach())
        self.out = None
        self.gone = None

    def _receive(self):
        try:
            message = self.conn.recv_bytes(wire.MAX_MESSAGE)
            header, decoder = wire.decode(message)
        except (EOFError, OSError):
            self.gone = harness.LearnerError({"message": GONE, "line": None, "traceback": ""})
            raise self.gone from None
        except wire.BadMessage as exc:
            self.gone = harness.LearnerError({"message": f"The process running your code sent back "
                                              f"something unreadable ({exc}).", "line": None, "traceback": ""})
            raise self.gone from None
        text, dropped = header.get("stdout"), header.get("dropped")
        if self.out is not None:
            if type(text) is str and text:
                self.out.write(text)
            if type(dropped) is int and dropped > 0:
                self.out._dropped += dropped
        return header, decoder

    def load(self, _code: str) -> dict:
        """harness.grade's ``load``: the learner's process loaded the code already."""
        self.out = sys.stdout  # the harness's capped output
        header, _ = self._receive()
        if header["op"] == "load_error":
            raise harness.LearnerError(_checked_error(header.get("error")))
        if header["op"] != "loaded" or type(header.get("entries")) is not dict:
            raise harness.LearnerError({"kind": "exception", "message": GONE, "line": None, "traceback": ""})
        namespace = {}
        for name, kind in header["entries"].items():
            if type(name) is str:
                namespace[name] = self._proxy(name) if kind == "function" else _placeholder(kind)
        return namespace

    def ask(self, op: str, fields: dict, answer: str) -> dict:
        """Send a request that is not a call; its answer's header (``answer`` expected)."""
        if self.gone is not None:
            raise self.gone
        try:
            self.conn.send_bytes(wire.encode(op, fields))
        except OSError:
            self.gone = harness.LearnerError({"message": GONE, "line": None, "traceback": ""})
            raise self.gone from None
        header, _ = self._receive()
        if header["op"] != answer:
            self.gone = harness.LearnerError({"message": GONE, "line": None, "traceback": ""})
            raise self.gone
        return header

    def _proxy(self, name: str):
        def call(*args, **kwargs):
            return self.call(name, args, kwargs)

        call.__name__ = name
        return call

    def call(self, name: str, args: tuple, kwargs: dict):
        if self.gone is not None:
            raise self.gone
        try:
            message = wire.encode("call", {"name": name}, {"args": list(args), "kwargs": kwargs})
        except wire.NotPlain as exc:  # the hidden tests' own doing
            raise TypeError(f"this test passes a {exc.typename} to `{name}`, which cannot be sent to "
                            "the learner's process (only plain data can)") from None
        try:
            self.conn.send_bytes(message)
        except OSError:
            self.gone = harness.LearnerError({"message": GONE, "line": None, "traceback": ""})
            raise self.gone from None
        header, decoder = self._receive()
        op = header["op"]
        if op == "return":
            try:
                return wire.decode_value(decoder, header.get("value"))
            except wire.BadMessage as exc:
                raise NotPlainResult(f"`{name}` sent back something unreadable ({exc}): {PLAIN}.") from None
        if op == "raise":
            raise _remote_exception(_checked_error(header.get("error")), header.get("exc_type"),
                                    header.get("exc_text"))
        if op == "not_plain":
            typename = str(header.get("typename", "object"))[:80]
            where = str(header.get("where", ""))[:200]
            inside = f" (at result{where})" if where else ""
            raise NotPlainResult(f"`{name}` returned a {typename}{inside}: {PLAIN}.")
        if op == "mutated":
            raise ChangedInput(f"`{name}` changed its input list (argument {header.get('argument')}) in "
                               "place: leave inputs untouched and build a new list instead.")
        self.gone = harness.LearnerError({"message": GONE, "line": None, "traceback": ""})
        raise self.gone


class RemoteTracer:
    """``harness.trace_shapes``'s tracer when the learner's code runs in its own process: the
    learner's process runs the tracer (``shapes.ShapeTracer``, as the browser does) around the
    calls in between, and sends back what it saw, checked here as any answer of that process."""

    def __init__(self, proxy: LearnerProxy):
        self.proxy = proxy

    def start(self, seconds: float | None) -> None:
        self.proxy.ask("trace_start", {"seconds": seconds}, "tracing")

    def stop(self) -> dict:
        try:
            header = self.proxy.ask("trace_stop", {}, "traced")
        except harness.LearnerError:  # the process is gone (killed by a limit): nothing seen
            return checked_observations({})
        return checked_observations(header.get("observations"))


def checked_operands(operands) -> list[dict]:
    """The operands of a line that raised, as the learner's process says they were: at most
    ``shapes.MAX_OPERANDS`` ``{"name": str, "value": str}``, each bounded (or none)."""
    checked = []
    for operand in (operands if type(operands) is list else [])[:shapes.MAX_OPERANDS]:
        if type(operand) is dict and type(operand.get("name")) is str and type(operand.get("value")) is str:
            checked.append({"name": operand["name"][:shapes.MAX_OPERAND_TEXT], "value": operand["value"][:120]})
    return checked


def checked_observations(seen) -> dict:
    """What the learner's process says its tracer saw, as plain, bounded data (or nothing)."""
    seen = seen if type(seen) is dict else {}
    lines = []
    raw = seen.get("lines")
    for entry in (raw if type(raw) is list else [])[:shapes.MAX_ENTRIES]:
        if type(entry) is not dict:
            continue
        line, name, passes = entry.get("line"), entry.get("name"), entry.get("passes")
        first, last = entry.get("first"), entry.get("last")
        if type(line) is int and type(passes) is int and all(type(v) is str for v in (name, first, last)):
            lines.append({"line": line, "name": name[:80], "first": first[:120], "last": last[:120],
                          "passes": passes})
    raised = []
    found = seen.get("raised")
    for entry in (found if type(found) is list else [])[:shapes.MAX_ENTRIES]:
        if type(entry) is dict and type(entry.get("line")) is int and type(entry.get("times")) is int \
                and type(entry.get("error")) is str:
            raised.append({"line": entry["line"], "error": entry["error"][:80], "times": entry["times"],
                           "operands": checked_operands(entry.get("operands"))})
    calls, call = seen.get("calls"), seen.get("call")
    return {"lines": lines, "raised": raised, "calls": calls if type(calls) is int else 0,
            "call": call if type(call) is int else None,
            "stopped": "timeout" if seen.get("stopped") == "timeout" else None}


# ---------------------------------------------------------------------------------------------
# The grader's side (the process that forks the tests' process)
# ---------------------------------------------------------------------------------------------
class LearnerRun:
    """One learner process, started from the zygote, with its private working directory."""

    def __init__(self, code: str, entries: list[str], time_limit: float, course: Path | None = None):
        self.workdir = tempfile.mkdtemp(prefix="staticjudge-learner-")
        os.chmod(self.workdir, 0o700)
        self.tests_end, learner_end = socket.socketpair()
        self.zygote = Zygote.get()
        try:
            self.pid = self.zygote.spawn(learner_end, code=code, entries=list(entries),
                                         time_limit=time_limit, workdir=self.workdir,
                                         private=private_paths(course))
        finally:
            learner_end.close()

    def stop(self) -> None:
        try:
            self.zygote.kill(self.pid)
        except (OSError, EOFError):
            pass
        self.tests_end.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def grade_in_tests_process(sock: socket.socket, code: str, tests_source: str, entries, on_event,
                           mutants=None, tolerance: dict | None = None) -> dict:
    """Runs in the (forked) tests' process: the harness, with the learner's code elsewhere.

    The code's text is registered (never compiled or run here) so that the judge's diagnoses can
    read the learner's lines, as they do in the browser (judge.assert_batched names the cause).
    ``mutants`` (the author's known-wrong code, trusted as the tests are) run here, on copies of
    the inputs the tests sent, when a check fails (``harness.MutantHints``).
    """
    sandbox.protect_grader()
    harness.register_source(harness.LEARNER_FILE, code)
    proxy = LearnerProxy(sock)
    return harness.grade("", tests_source, entries, on_event=on_event, load=proxy.load, mutants=mutants,
                         tolerance=tolerance)


def shapes_in_tests_process(sock: socket.socket, code: str, tests_source: str, entries, test, time_limit,
                            tolerance: dict | None = None) -> dict:
    """``harness.trace_shapes`` in the (forked) tests' process, tracing in the learner's process."""
    sandbox.protect_grader()
    harness.register_source(harness.LEARNER_FILE, code)
    proxy = LearnerProxy(sock)
    return harness.trace_shapes("", tests_source, entries, test=test, time_limit=time_limit,
                                load=proxy.load, tracer=RemoteTracer(proxy), tolerance=tolerance)
