"""The grading harness: runs a learner's code against hidden tests and returns a Report.

This one file grades everywhere: natively (``build.py grade``/``check``, pytest) and inside
Pyodide in the browser, where the worker writes it next to ``judge.py`` and imports it. It
therefore imports only the standard library (NumPy is imported by the tests themselves) and
nothing from the generator.

A Report is plain JSON data, documented by ``report.schema.json`` (beside this file): what
``grade`` returns, and ``run_script`` and ``trace_shapes`` (each its own definition there). A
grading Report from here has ``stopped`` None: a caller that had to stop the run reports that
(``grading/report.py`` natively, ``assets/pyclient.js`` in the page).

``line`` numbers always refer to the learner's own code (1-based), ``traceback`` holds only the
learner's frames, so the page can highlight the offending editor line.

A failed test's ``hint`` is its targeted "Hint: …" sentence alone (None without one): the
``hint`` of a ``judge.CheckFailed``, or, from any other check, a last message line
``"  Hint: …"``. ``message`` still ends with ``"\n  Hint: " + hint``, so text readers lose
nothing; the page says a hint shared by several tests once. ``picture`` (None unless a
``judge`` array comparison failed) is what the page draws as heatmaps (``judge._picture``).
Tests that did not run carry neither key.

``TimeUp`` (raised by the browser worker's deadline, see ``raise_time_up``) is never reported as
the learner's error: it ends the whole run, and the caller reports the time limit.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import itertools
import json
import linecache
import operator
import sys
import time
import traceback
import types

LEARNER_FILE = "solution.py"
TESTS_FILE = "hidden_tests.py"
STDOUT_LIMIT = 20_000  # characters of learner output kept in a report

PASS, FAIL, ERROR = "pass", "fail", "error"


class TimeUp(BaseException):
    """The run's time limit passed. A BaseException, so learner code's ``except Exception`` lets it by."""


class LearnerError(BaseException):
    """An error of learner code that ran in another process (native isolated grading).

    ``error`` holds the Report fields already formatted there (``message``, ``line``,
    ``traceback``; ``kind`` too while loading), so they still point at the learner's lines.
    """

    def __init__(self, error: dict):
        super().__init__(error.get("message", ""))
        self.error = error


def raise_time_up(_signum=None, _frame=None):
    """A SIGINT handler: the browser worker "sends" SIGINT once a run's deadline has passed."""
    raise TimeUp("the time limit passed")

# Captured before any learner code runs, so patching the public names later changes nothing here.
_perf_counter = time.perf_counter
_StringIO = io.StringIO
_BaseException = BaseException
_modules = sys.modules
_any, _is_not, _len, _map, _tuple, _zip = any, operator.is_not, len, map, tuple, zip
_chain, _dict_values = itertools.chain.from_iterable, dict.values


class Snapshot:
    """The namespaces grading relies on, as they were before learner code ran.

    ``restore`` undoes whatever learner code did to them (``np.allclose = …``, patching
    ``judge``'s helpers, ``builtins``, or a hidden test's globals reached through frames or
    ``gc``). It runs after the learner's code loads and after every call of a learner function,
    so each check runs on the real functions. It only calls built-ins captured at import and
    dict methods, which cannot be patched.

    The check runs in C over all the namespaces at once (~0.17 ms in Pyodide for ~1,700 names,
    ~40 restores per run): the keys, in order, against a saved tuple, then the values by identity
    (``is not``; never ``==``, which a learner object could answer).
    """

    def __init__(self, namespaces):
        # Immutable copies: learner code that finds them (gc) cannot edit them.
        self._namespaces = _tuple(namespaces)
        self._sizes = _tuple(_map(_len, self._namespaces))  # tell a key moved to the next namespace
        self._keys = _tuple(_chain(self._namespaces))
        self._values = _tuple(_chain(_map(_dict_values, self._namespaces)))
        self._items = _tuple(_tuple(ns.items()) for ns in self._namespaces)

    def _unchanged(self) -> bool:
        spaces = self._namespaces
        return (_tuple(_map(_len, spaces)) == self._sizes and _tuple(_chain(spaces)) == self._keys
                and not _any(_map(_is_not, _chain(_map(_dict_values, spaces)), self._values)))

    def restore(self) -> None:
        if self._unchanged():
            return
        start = 0
        for ns, saved, size in _zip(self._namespaces, self._items, self._sizes):
            keys, values = self._keys[start:start + size], self._values[start:start + size]
            start += size
            if _tuple(ns) == keys and not _any(_map(_is_not, ns.values(), values)):
                continue
            # Submodules imported since (numpy's lazy ``np.random``) are real and stay.
            prefix = f"{ns.get('__name__')}."
            names = set(keys)
            kept = [(k, v) for k, v in ns.items() if k not in names and _modules.get(prefix + k) is v]
            ns.clear()
            ns.update(saved)
            ns.update(kept)


def _protected_namespaces(test_module) -> list[dict]:
    if "numpy" in sys.modules:  # import lazy submodules now, so learner code cannot plant fakes
        import numpy.fft
        import numpy.linalg
        import numpy.random  # noqa: F401
    names = ["builtins", "math", "json", "sys", "time", "traceback", "judge", __name__]
    names += [n for n in sys.modules if n in ("numpy", "numpy.linalg", "numpy.random", "numpy.fft",
                                              "numpy.testing", "numpy._core.numeric")]
    spaces = [test_module.__dict__]
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            spaces.append(module.__dict__)
    return spaces


def judge_module():
    """The helper module hidden tests import as ``judge`` (a sibling file of this one)."""
    if __package__:
        from . import judge  # native: staticjudge.runtime.judge
    else:  # pragma: no cover - Pyodide: judge.py sits next to harness.py
        import judge
    sys.modules["judge"] = judge
    return judge


# ---------------------------------------------------------------------------------------------
# Output capture
# ---------------------------------------------------------------------------------------------
class _Discarded(io.RawIOBase):
    """Counts the bytes written to it and keeps none."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.count += len(data)
        return len(data)


class CappedOutput(io.TextIOBase):
    """A stdout that keeps the first STDOUT_LIMIT characters and counts the rest.

    Once full, it hands ``sys.stdout``/``sys.stderr`` to a C-level buffered writer that only
    counts: a Python-level ``write`` per ``print`` costs ~5 µs in Pyodide, so a loop printing
    hundreds of thousands of lines would otherwise spend the whole time limit discarding them.
    (The harness's snapshot puts this object back after every learner call; it hands over again.)
    """

    def __init__(self, limit: int = STDOUT_LIMIT, on_write=None):
        self._parts: list[str] = []
        self._kept = 0
        self._limit = limit
        self._dropped = 0
        self._on_write = on_write
        self._discarded = _Discarded()
        self._overflow = io.TextIOWrapper(io.BufferedWriter(self._discarded), encoding="utf-8",
                                          errors="replace")

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self._limit - self._kept
        if room > 0:
            piece = text[:room]
            self._parts.append(piece)
            self._kept += len(piece)
            if self._on_write is not None and piece:
                self._on_write(piece)
        self._dropped += max(0, len(text) - max(room, 0))
        if self._kept >= self._limit:
            if sys.stdout is self:
                sys.stdout = self._overflow
            if sys.stderr is self:
                sys.stderr = self._overflow
        return len(text)

    @property
    def dropped(self) -> int:
        """Characters not kept (counted as UTF-8 bytes once the overflow writer took over)."""
        try:
            self._overflow.flush()
        except (ValueError, OSError):  # learner code closed it
            pass
        return self._dropped + self._discarded.count

    def getvalue(self) -> str:
        text = "".join(self._parts)
        dropped = self.dropped
        if dropped:
            text += f"\n… output truncated: {dropped} more characters not shown\n"
        return text


# ---------------------------------------------------------------------------------------------
# Tracebacks trimmed to the learner's own frames
# ---------------------------------------------------------------------------------------------
def _learner_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == LEARNER_FILE]


def _describe(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text or type(exc).__name__


def trimmed_traceback(exc: BaseException) -> str:
    frames = _learner_frames(exc)
    lines = []
    if frames:
        lines.append("Traceback (your code, most recent call last):\n")
        lines.extend(traceback.format_list(frames))
    lines.append(_describe(exc) + "\n")
    return "".join(lines)


def learner_line(exc: BaseException) -> int | None:
    if isinstance(exc, SyntaxError) and exc.filename == LEARNER_FILE:
        return exc.lineno
    frames = _learner_frames(exc)
    return frames[-1].lineno if frames else None


# ---------------------------------------------------------------------------------------------
# Loading the learner's code
# ---------------------------------------------------------------------------------------------
class _InputNotAvailable(RuntimeError):
    pass


def _no_input(*_args, **_kwargs):
    raise _InputNotAvailable(
        "input() is not available here: your functions receive their data as arguments"
    )


def _learner_builtins() -> dict:
    table = dict(builtins.__dict__)
    table["input"] = _no_input
    return table


def register_source(filename: str, source: str) -> None:
    """Let tracebacks show the learner's (or the tests') source lines."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def load_learner_code(code: str, module_name: str = "solution") -> dict:
    """Compile and execute learner code; return its namespace. Raises what the code raises."""
    register_source(LEARNER_FILE, code)
    compiled = compile(code, LEARNER_FILE, "exec", dont_inherit=True)
    namespace = {"__name__": module_name, "__file__": LEARNER_FILE, "__builtins__": _learner_builtins()}
    exec(compiled, namespace)
    return namespace


def load_error(exc: BaseException) -> dict:
    if isinstance(exc, LearnerError):
        return dict(exc.error)
    if isinstance(exc, SyntaxError) and exc.filename == LEARNER_FILE:
        kind = "syntax"
        where = f"line {exc.lineno}" if exc.lineno else "your code"
        message = f"{type(exc).__name__} on {where}: {exc.msg}"
        if exc.text:
            message += "\n    " + exc.text.rstrip("\n")
        if isinstance(exc, TabError):  # common in code pasted from elsewhere
            message += ("\nSome lines are indented with tabs and others with spaces; Python cannot tell how "
                        "they line up. Indent with spaces only (each tab as 4 spaces).")
    elif isinstance(exc, SystemExit):
        kind = "exit"
        message = "Your code called sys.exit()/exit() while loading; remove that call."
    else:
        kind = "exception"
        message = "Your code raised an error while loading: " + _describe(exc)
    error = {
        "kind": kind,
        "message": message,
        "line": learner_line(exc),
        "traceback": trimmed_traceback(exc),
    }
    if isinstance(exc, TabError) and exc.filename == LEARNER_FILE:
        error["fix"] = "tabs"  # the page offers to convert the indentation
    return error


# ---------------------------------------------------------------------------------------------
# Hidden tests
# ---------------------------------------------------------------------------------------------
def collect_tests(tests_source: str, tests_filename: str = TESTS_FILE) -> list[tuple[str, str, types.FunctionType]]:
    """Execute the hidden-test source and return ``(name, title, function)`` in file order."""
    return _load_tests(tests_source, tests_filename)[1]


_TESTS_CACHE: dict[tuple[str, str], types.CodeType] = {}


def _compiled_tests(tests_source: str, tests_filename: str) -> types.CodeType:
    """The compiled hidden tests; a page grades the same tests again and again.

    Code objects are immutable and each run executes them into a fresh module, so reuse is safe.
    """
    key = (tests_filename, tests_source)
    code = _TESTS_CACHE.get(key)
    if code is None:
        code = compile(tests_source, tests_filename, "exec", dont_inherit=True)
        if len(_TESTS_CACHE) >= 32:
            _TESTS_CACHE.clear()
        _TESTS_CACHE[key] = code
    return code


def _load_tests(tests_source: str, tests_filename: str, tolerance: dict | None = None):
    """The tests' module and tests; ``judge`` holds the problem's declared ``tolerance`` first
    (``judge.set_tolerance``: ``assert_close``'s defaults, ``tolerance()``), before any learner
    code runs, so the snapshot keeps it."""
    global _check_failed_class
    try:
        judge = judge_module()
        _check_failed_class = judge.CheckFailed
        judge.set_tolerance(tolerance)
    except ImportError:  # no NumPy here (a pure-Python problem): tests cannot use judge either
        pass
    register_source(tests_filename, tests_source)
    module = types.ModuleType("hidden_tests")
    module.__file__ = tests_filename
    exec(_compiled_tests(tests_source, tests_filename), module.__dict__)
    found = []
    for name, value in module.__dict__.items():
        if name.startswith("test_") and isinstance(value, types.FunctionType):
            found.append((value.__code__.co_firstlineno, name, value))
    found.sort(key=lambda item: item[0])
    return module, [(name, test_title(fn), fn) for _, name, fn in found]


def title_from(name: str, doc: str | None) -> str:
    """A hidden test's title for learners: its docstring's first line, else its name in words.
    (The one rule: the site build reads titles from the test file's source with it too.)"""
    if doc and doc.strip():
        return doc.strip().splitlines()[0].strip()
    return name[len("test_"):].replace("_", " ").capitalize()


def test_title(fn) -> str:
    return title_from(fn.__name__, inspect.getdoc(fn))


def test_parameters(fn) -> list[str]:
    """The names a test function takes (read from its code: ``inspect.signature`` is slow)."""
    code = fn.__code__
    return list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])


def _assert_message(exc: AssertionError, tests_filename: str) -> str:
    text = str(exc).strip()
    if text:
        return text
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == tests_filename]
    if frames and frames[-1].line:
        return f"Check failed: {frames[-1].line.strip()}"
    return "Check failed"


HINT_MARK = "\n  Hint: "


def _hint_of(exc: AssertionError, message: str) -> str | None:
    """The failure's hint sentence (see the module docstring), or None."""
    hint = getattr(exc, "hint", None) if _is_check_failure(exc) else None
    if isinstance(hint, str) and message.endswith(HINT_MARK + hint.strip()):
        return hint.strip() or None
    head, mark, tail = message.rpartition(HINT_MARK)
    return tail.strip() if mark and head and tail.strip() and "\n" not in tail else None


def _picture_of(exc: AssertionError):
    """A check's picture, if it is plain JSON (never NaN): else None, so a report always serialises."""
    picture = getattr(exc, "picture", None) if _is_check_failure(exc) else None
    if type(picture) is not dict:
        return None
    try:
        json.dumps(picture, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return picture


_check_failed_class = None  # judge.CheckFailed, set when the tests load (before learner code runs)


def _is_check_failure(exc: BaseException) -> bool:
    """Raised by ``judge``'s own checks."""
    return _check_failed_class is not None and type(exc) is _check_failed_class


def _entry_problem(name: str, namespace: dict) -> str | None:
    """Why the entry function ``name`` cannot be used, or None when it can."""
    if name not in namespace:
        return f"Your code must define a function named `{name}`, but none was found."
    value = namespace[name]
    if not callable(value):
        return f"`{name}` must be a function, but your code made it a {type(value).__name__}."
    return None


_READ_ONLY_DICT = "this dict is an input of your function: it is read-only"


class ReadOnlyDict(dict):
    """A learner's copy of a dict argument: it reads as any dict, and refuses every change.

    A writable copy would hide the change from the test, so a function that stores into a dict
    it was given (a KV cache grown in place) would pass by accident; copying it (``dict(d)``,
    ``d.copy()``, ``copy.deepcopy(d)``) gives a plain dict to change at will.
    """

    def _refuse(self, *_args, **_kwargs):
        raise TypeError(_READ_ONLY_DICT)

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __reduce_ex__(self, _protocol):
        return dict, (dict(self),)


def _input_guard(snapshot: Snapshot, protect_inputs: bool = True, calls=None):
    """Wrap learner functions: read-only copies of NumPy inputs (and of dicts) in, tampering
    undone after; with ``calls`` (a ``MutantHints``), each call of the entry function ``name``
    (``wrap(fn, name)``) is recorded there: the inputs the function was given and its result.

    Built before learner code runs (NumPy is looked up now, not later). Tests keep their own
    arrays and dicts, so a function that edits its inputs in place can neither corrupt the
    expected values nor pass by accident; it gets a clear error instead. With
    ``protect_inputs=False`` the inputs go in as the test made them (``check`` grades so to see
    whether a test that claims to check the inputs really does: INPUT_WRITE_MESSAGES).
    """
    numpy = sys.modules.get("numpy")
    ndarray = numpy.ndarray if numpy is not None else ()
    array = numpy.array if numpy is not None else None

    def protect(value):
        if not protect_inputs:
            return value
        if numpy is not None and isinstance(value, ndarray):
            copy = array(value, copy=True)
            copy.flags.writeable = False
            return copy
        if isinstance(value, dict):
            return ReadOnlyDict({k: protect(v) for k, v in value.items()})
        if isinstance(value, (list, tuple)) and any(isinstance(v, ndarray) for v in value):
            return type(value)(protect(v) for v in value)
        return value

    def wrap(fn, name=None):
        def guarded(*args, **kwargs):
            given = args, kwargs
            args = [protect(a) for a in args]
            kwargs = {k: protect(v) for k, v in kwargs.items()}
            try:
                result = fn(*args, **kwargs)
            finally:
                snapshot.restore()
            if calls is not None and name is not None:
                calls.record(name, result, given, args, kwargs)
            return result

        guarded.__name__ = getattr(fn, "__name__", "guarded")
        guarded.__wrapped__ = fn
        return guarded

    return wrap


# How a test's message starts when the learner's function wrote into a read-only input: the
# harness refused the write, whatever the test itself checks.
INPUT_WRITE_MESSAGES = ("Your function modified one of its input arrays in place",
                        "Your function changed a dict it was given")


def error_message(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return "Your code called sys.exit()/exit(); return a value instead."
    if isinstance(exc, KeyboardInterrupt):
        return "Your code raised KeyboardInterrupt."
    if isinstance(exc, RecursionError):
        return "RecursionError: maximum recursion depth exceeded (is a function calling itself forever?)"
    if isinstance(exc, MemoryError):
        return "MemoryError: your code tried to use more memory than is available."
    if isinstance(exc, TypeError) and str(exc) == _READ_ONLY_DICT:
        return (
            f"{INPUT_WRITE_MESSAGES[1]} (it stored, deleted or updated a key). Leave "
            "inputs untouched: build a new dict and return it (e.g. `new = dict(old)`, then change "
            "`new`)."
        )
    if isinstance(exc, ValueError) and "read-only" in str(exc):
        return (
            f"{INPUT_WRITE_MESSAGES[0]}. Leave inputs untouched: "
            "work on a copy or build a new array (e.g. `x = x - x.max()` instead of `x -= ...`). "
            f"({_describe(exc)})"
        )
    return _describe(exc)


def _run_one(name, title, fn, namespace, entries, tests_filename, guard, hints=None) -> dict:
    result = {"name": name, "title": title, "status": PASS, "message": "", "duration_ms": 0.0,
              "line": None, "traceback": "", "hint": None, "picture": None}
    params = test_parameters(fn)
    kwargs = {}
    for param in params:
        problem = _entry_problem(param, namespace) if param in entries else (
            f"This test asks for `{param}`, which is not an entry function of this problem."
        )
        if problem:
            result.update(status=ERROR, message=problem)
            return result
        kwargs[param] = guard(namespace[param], param)
    if hints is not None:
        hints.new_test()
    start = _perf_counter()
    try:
        fn(**kwargs)
    except TimeUp:
        raise
    except LearnerError as exc:  # raised in the learner's own process: formatted there
        result.update(status=ERROR, message=exc.error.get("message", ""), line=exc.error.get("line"),
                      traceback=exc.error.get("traceback", ""))
    except AssertionError as exc:
        # An assertion raised inside the learner's own code is their error, not a failed check.
        if _learner_frames(exc):
            result.update(status=ERROR, message=_describe(exc), line=learner_line(exc),
                          traceback=trimmed_traceback(exc))
        else:
            message = _assert_message(exc, tests_filename)
            hint = _hint_of(exc, message)
            if hint is None and hints is not None and _compares_results(exc, tests_filename):
                hint = hints.matching_all_calls()  # a plain assert: do the results match a mutant's?
                if hint is not None:
                    message += HINT_MARK + hint
            result.update(status=FAIL, message=message, hint=hint, picture=_picture_of(exc))
    except _BaseException as exc:  # learner code may raise anything, SystemExit included
        result.update(status=ERROR, message=error_message(exc), line=learner_line(exc),
                      traceback=trimmed_traceback(exc))
    result["duration_ms"] = round((_perf_counter() - start) * 1000, 3)
    return result


# ---------------------------------------------------------------------------------------------
# Hints from the author's mutants
# ---------------------------------------------------------------------------------------------
MAX_RECORDED_CALLS = 8  # the latest calls of entry functions a test made, kept while it runs
_MAX_DEPTH = 20


class MutantHints:
    """The problem's mutants (known-wrong versions of its solution, each with a one-line
    description written for learners), to name the mistake of a result that fails a check.

    ``mutants``: ``[{"name", "description", "code"}]`` (``problem.json``'s ``mutants``). The
    harness records each call of an entry function a test makes (``record``: its inputs and
    result, the latest MAX_RECORDED_CALLS). Nothing else happens on a passing run: the mutants'
    code is loaded (each in a namespace of its own, once) and run only when a check fails, on
    copies of the same inputs, in this process (natively, the tests' process: mutants are the
    author's code, trusted as the tests are). Their output (and print) is thrown away, their
    errors ignored.

    Two ways in: ``judge``'s comparisons ask ``outputs_for(got)`` (the mutants' outputs for the
    call that returned ``got``) and match them at the check's own tolerance, after the test's own
    ``mistakes`` (which win). A result that several mistakes give names none of them. Each
    mutant is asked only about the entry functions it changes (``entries``, when given).
    A test that failed otherwise (a plain ``assert``) with no hint of its
    own gets ``matching_all_calls()``: the mutant whose outputs equal the learner's results on
    every call the test made (same types, dtypes and shapes, values within 1e-6).
    """

    def __init__(self, mutants):
        self._mutants = [(str(m["name"]), str(m["description"]).strip(), str(m["code"]), m.get("entries"))
                         for m in mutants or () if isinstance(m, dict) and m.get("code") and
                         str(m.get("description") or "").strip()]
        self._loaded = None  # [(description, namespace)], on first need
        self._calls: list[list] = []  # [entry name, result, args, kwargs, {mutant: output} or None]
        self.runs = 0  # mutant calls made (tests check that a passing run makes none)

    def __bool__(self) -> bool:
        return bool(self._mutants)

    def new_test(self) -> None:
        self._calls = []

    def record(self, name, result, given, args, kwargs) -> None:
        """A call of the entry function ``name``: ``given`` its arguments as the test passed them
        (``(args, kwargs)``), ``args``/``kwargs`` as the learner's function got them. An argument
        that is the result of an earlier call of the test (``merge_heads(split_heads(x))``) is
        kept as that call: a mutant gets its own output there."""
        earlier = {id(call[1]): call for call in self._calls}

        def link(value, kept):
            call = earlier.get(id(value))
            return _Link(call) if call is not None and call[1] is value else kept

        args = [link(value, kept) for value, kept in _zip(given[0], args)]
        kwargs = {key: link(given[1][key], kept) for key, kept in kwargs.items()}
        self._calls.append([name, result, args, kwargs, None])
        if _len(self._calls) > MAX_RECORDED_CALLS:
            del self._calls[0]

    def _namespaces(self):
        if self._loaded is None:
            self._loaded = []
            for name, description, code, entries in self._mutants:
                namespace = {"__name__": f"mutant_{name}", "__builtins__": builtins}
                try:
                    with _Quiet():
                        exec(compile(code, f"<mutant {name}>", "exec", dont_inherit=True), namespace)
                except Exception:  # noqa: BLE001 - a mutant that does not load names nothing
                    namespace = {}
                self._loaded.append((description, namespace, entries))
        return self._loaded

    def _outputs(self, call) -> dict:
        """{mutant index: output} of the mutants that returned on ``call``'s inputs (where an
        input is an earlier call's result, the mutant's own output of that call)."""
        if call[4] is None:
            call[4] = {}
            links = [v.call for v in _chain((call[2], call[3].values())) if type(v) is _Link]
            earlier = [self._outputs(linked) for linked in links]
            for index, (_description, namespace, _entries) in enumerate(self._namespaces()):
                fn = namespace.get(call[0])
                if not callable(fn):
                    continue
                if any(index not in outputs for outputs in earlier):
                    continue

                def given(value):
                    if type(value) is _Link:
                        return _copied(self._outputs(value.call)[index])
                    return _copied(value)

                self.runs += 1
                try:
                    with _Quiet():
                        call[4][index] = fn(*[given(a) for a in call[2]], **{k: given(v) for k, v in call[3].items()})
                except Exception:  # noqa: BLE001 - a mutant that raises here names nothing
                    continue
        return call[4]

    def _offered(self, call) -> dict:
        """``_outputs(call)`` of the mutants that change ``call``'s function (``entries``), or any
        call it was given a result of: another mutant's output is the right one."""
        outputs = self._outputs(call)
        if any(type(v) is _Link for v in _chain((call[2], call[3].values()))):
            return outputs
        loaded = self._namespaces()
        return {index: output for index, output in outputs.items()
                if not isinstance(loaded[index][2], list) or call[0] in loaded[index][2]}

    def outputs_for(self, got) -> list:
        """``[(description, output)]``: the mutants' outputs on the inputs of the call that
        returned ``got`` (or of which ``got`` is an item: ``out, cache = decode_step(…)``), else
        of the test's latest call. [] when the test called no entry function."""
        if not self._mutants or not self._calls:
            return []
        for call in reversed(self._calls):
            result = call[1]
            if result is got:
                pick = None
                break
            if type(result) in (tuple, list):
                pick = next((i for i, item in enumerate(result) if item is got), None)
                if pick is not None:
                    break
        else:
            call, pick = self._calls[-1], None
        found = []
        loaded = self._namespaces()
        for index, output in self._offered(call).items():
            if pick is not None:
                if type(output) not in (tuple, list) or _len(output) <= pick:
                    continue
                output = output[pick]
            found.append((loaded[index][0], output))
        return found

    def matching_all_calls(self) -> str | None:
        """The description of the mutant whose outputs equal the learner's results on every call
        the test made (of the latest MAX_RECORDED_CALLS), or None (when none does, or several
        mistakes do: the results cannot tell them apart)."""
        if not self._mutants or not self._calls:
            return None
        outputs = [self._offered(call) for call in self._calls]
        found = {description for index, (description, _namespace, _entries) in enumerate(self._namespaces())
                 if all(index in out and _same(call[1], out[index]) for call, out in _zip(self._calls, outputs))}
        return found.pop() if _len(found) == 1 else None


class _Link:
    """An argument of a recorded call that is the result of an earlier one (``call``)."""

    __slots__ = ("call",)

    def __init__(self, call):
        self.call = call


class _Quiet:
    """Around a mutant's code: its output and warnings go nowhere, NumPy's floating-point
    errors are ignored (they would reach the learner's output)."""

    def __enter__(self):
        import warnings

        self._saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = _StringIO()
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        numpy = sys.modules.get("numpy")
        self._errstate = numpy.errstate(all="ignore") if numpy is not None else None
        if self._errstate is not None:
            self._errstate.__enter__()
        return self

    def __exit__(self, *exc):
        if self._errstate is not None:
            self._errstate.__exit__(*exc)
        self._warnings.__exit__(*exc)
        sys.stdout, sys.stderr = self._saved
        return False


def _copied(value, depth: int = 0):
    """A writable copy of an input for a mutant (a mutant may write into its inputs)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return numpy.array(value, copy=True)
    if depth < _MAX_DEPTH and isinstance(value, dict):
        return {k: _copied(v, depth + 1) for k, v in value.items()}
    if depth < _MAX_DEPTH and type(value) in (list, tuple):
        return type(value)(_copied(v, depth + 1) for v in value)
    return value


def _same(got, wanted, depth: int = 0) -> bool:
    """The learner's ``got`` equals a mutant's ``wanted``: same types (dtypes, shapes), values
    within 1e-6 (absolute and relative; NaN equals NaN). Only plain data is compared: nothing of
    a learner's own class (or subclass) is ever called, so it equals nothing."""
    if depth > _MAX_DEPTH:
        return False
    numpy = sys.modules.get("numpy")
    kind = type(got)
    if numpy is not None and isinstance(got, numpy.ndarray):
        got = numpy.ndarray.view(got, numpy.ndarray)  # a subclass's own methods are not called
        if not isinstance(wanted, numpy.ndarray) or got.shape != wanted.shape or got.dtype != wanted.dtype:
            return False
        if got.dtype.kind in "fc":
            return bool(numpy.allclose(got, wanted, rtol=1e-6, atol=1e-6, equal_nan=True))
        if got.dtype.kind in "biu":
            return bool(numpy.array_equal(got, wanted))
        return False
    if numpy is not None and isinstance(got, numpy.generic):
        return type(wanted) is kind and _same(numpy.asarray(got), numpy.asarray(wanted), depth + 1)
    if kind is not type(wanted):
        return False
    if kind is float:
        return (got != got and wanted != wanted) or abs(got - wanted) <= 1e-6 + 1e-6 * abs(wanted)
    if kind in (bool, int, str, type(None)):
        return got == wanted
    if kind in (list, tuple):
        return _len(got) == _len(wanted) and all(_same(a, b, depth + 1) for a, b in _zip(got, wanted))
    if kind is dict:
        keys = list(got)
        return (all(type(k) in (str, int) for k in keys) and keys == list(wanted)
                and all(_same(got[k], wanted[k], depth + 1) for k in keys))
    return False


# The judge checks that look at one result the test got, as a plain ``assert`` does (not
# ``assert_batched``, whose own calls on single items are not the failing ones).
_RESULT_CHECKS = ("assert_true", "assert_finite", "assert_shape", "assert_array", "assert_dtype", "as_float_array")


def _compares_results(exc: BaseException, tests_filename: str) -> bool:
    """A failure whose results may be told by the mutants' on every call of the test: raised by
    the test's own code (an ``assert``) or by a judge check of one result (_RESULT_CHECKS)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    if code.co_filename == tests_filename:
        return True
    judge = _modules.get("judge")
    return (judge is not None and tb.tb_frame.f_globals is getattr(judge, "__dict__", None)
            and code.co_name in _RESULT_CHECKS)


def _use_mutants(hints) -> None:
    """Let ``judge``'s comparisons ask ``hints`` (None: no mutants) when they fail: before the
    snapshot is taken, so restoring it keeps this."""
    use = vars(sys.modules.get("judge") or types).get("use_mutant_outputs")  # none without NumPy
    if use is not None:
        use(hints.outputs_for if hints else None)


def _broken_tests_report(exc: Exception, tests_filename: str) -> dict:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == tests_filename]
    line = exc.lineno if isinstance(exc, SyntaxError) else (frames[-1].lineno if frames else None)
    message = f"The hidden tests of this problem failed to load (not your code's fault): {_describe(exc)}"
    return {"status": ERROR, "passed": 0, "total": 0, "tests": [], "stdout": "", "stdout_truncated": False,
            "error": {"kind": "tests", "message": message, "line": line, "traceback": ""}, "stopped": None}


def _verdict(tests: list[dict], error) -> str:
    if error is not None or any(t["status"] == ERROR for t in tests):
        return ERROR
    return FAIL if any(t["status"] == FAIL for t in tests) else PASS


def grade(code: str, tests_source: str, entries, *, tests_filename: str = TESTS_FILE,
          on_event=None, load=None, protect_inputs: bool = True, mutants=None,
          tolerance: dict | None = None) -> dict:
    """Grade ``code`` against ``tests_source``; return a Report (``report.schema.json``).

    ``on_event`` (optional) receives ``{"type": "test_start", "name", "title"}`` before each
    test, ``{"type": "test_end", "result"}`` after it and ``{"type": "stdout", "text"}`` as the
    learner prints, so a caller that must kill a runaway run knows how far it got.
    ``load`` (optional) replaces ``load_learner_code``: native isolated grading loads the code
    in another process and returns a namespace of proxies (``staticjudge/grading/``).
    ``protect_inputs=False``: the learner's functions get the tests' own arrays, writable
    (``_input_guard``); only ``check`` grades so.
    ``mutants`` (optional): the problem's mutants, ``[{"name", "description", "code"}]``; a
    failed check whose result matches what one of them returns on the same inputs gets its
    description as hint (``MutantHints``). Run only when a check fails. ``tolerance``: the
    problem's declared tolerance (its front matter's ``tolerance:``, as ``judge.set_tolerance``
    takes it), None for the default.
    """
    entries = list(entries)
    hints = MutantHints(mutants) if mutants else None
    emit = on_event or (lambda _event: None)
    out = CappedOutput(on_write=lambda text: emit({"type": "stdout", "text": text}))
    saved_stdout, saved_stderr = sys.stdout, sys.stderr
    results: list[dict] = []
    error = snapshot = None
    sys.stdout = sys.stderr = out
    try:
        # Tests load and the snapshot is taken before learner code runs: it cannot touch them.
        try:
            test_module, tests = _load_tests(tests_source, tests_filename, tolerance)
        except Exception as exc:  # the author's mistake, not the learner's
            return _broken_tests_report(exc, tests_filename)
        _use_mutants(hints)
        snapshot = Snapshot(_protected_namespaces(test_module))
        guard = _input_guard(snapshot, protect_inputs, hints)
        try:
            namespace = (load or load_learner_code)(code)
        except TimeUp:
            raise
        except _BaseException as exc:
            error = load_error(exc)
        snapshot.restore()
        if error is None:
            for name, title, fn in tests:
                emit({"type": "test_start", "name": name, "title": title})
                results.append(_run_one(name, title, fn, namespace, entries, tests_filename, guard, hints))
                snapshot.restore()
                emit({"type": "test_end", "result": results[-1]})
        else:
            for name, title, _fn in tests:
                results.append({"name": name, "title": title, "status": ERROR,
                                "message": "Not run: your code did not load (see the error above).",
                                "duration_ms": 0.0, "line": None, "traceback": ""})
    finally:
        if snapshot is not None:
            snapshot.restore()
        _use_mutants(None)
        sys.stdout, sys.stderr = saved_stdout, saved_stderr
    passed = sum(1 for r in results if r["status"] == PASS)
    return {
        "status": _verdict(results, error),
        "passed": passed,
        "total": len(results),
        "tests": results,
        "stdout": out.getvalue(),
        "stdout_truncated": bool(out.dropped),
        "error": error,
        "stopped": None,
    }


def _shapes_module():
    """The line tracer (shapes.py, a sibling file), imported only when shapes are asked for."""
    if __package__:
        from . import shapes  # native: staticjudge.runtime.shapes
    else:  # pragma: no cover - Pyodide: shapes.py sits next to harness.py
        import shapes
    return shapes


def trace_shapes(code: str, tests_source: str, entries, *, test: str | None = None,
                 time_limit: float | None = None, load=None, tracer=None,
                 tests_filename: str = TESTS_FILE, tolerance: dict | None = None) -> dict:
    """Shapes on every line: run one hidden test with the learner's own lines traced (what each
    line assigned, the parameters of each call on its ``def`` line, the operands of a line that
    raised: shapes.py).

    The test is the one named ``test``, else the first that does not pass (each test runs
    traced until one does not: a test that never ends is then the one shown, stopped by the
    tracer), else the first. ``tracer`` has ``start(seconds)`` and ``stop() -> observations``:
    by default ``shapes.ShapeTracer(code)`` in this process; native isolated grading passes one
    that traces in the learner's process. Past 90% of ``time_limit`` the tracer stops the
    learner's code and keeps what it saw.
    Ordinary grading (``grade``) never gets here: it installs no tracer.

    Returns plain data (``report.schema.json``'s ``shapes``): the traced test, what each learner
    line bound, and which lines an exception went through with the shapes of what their statement
    was working on (``operands``); ``stopped`` is "timeout" when the tracer stopped the learner's
    code at the time limit.
    """
    started = _perf_counter()
    entries = list(entries)
    result = {"test": None, "lines": [], "raised": [], "calls": 0, "call": None, "stopped": None, "error": None}
    saved_stdout, saved_stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = CappedOutput()  # the learner's output is not shown here
    snapshot = None
    try:
        try:
            test_module, tests = _load_tests(tests_source, tests_filename, tolerance)
        except Exception as exc:  # the author's mistake, not the learner's
            result["error"] = _broken_tests_report(exc, tests_filename)["error"]
            return result
        snapshot = Snapshot(_protected_namespaces(test_module))
        guard = _input_guard(snapshot)
        if tracer is None:
            tracer = _shapes_module().ShapeTracer(code)  # made before learner code runs
        try:
            namespace = (load or load_learner_code)(code)
        except TimeUp:
            raise
        except _BaseException as exc:
            result["error"] = load_error(exc)
            return result
        snapshot.restore()

        def traced(item) -> bool:
            """Run one test under a fresh trace; whether it is the one to show (it did not pass)."""
            result["test"] = {"name": item[0], "title": item[1], "status": ERROR, "message": "", "line": None}
            seconds = None if time_limit is None else max(0.05, 0.9 * time_limit - (_perf_counter() - started))
            tracer.start(seconds)
            try:
                outcome = _run_one(*item, namespace, entries, tests_filename, guard)
            finally:  # also when the browser's deadline (TimeUp) ends the run: keep what was seen
                seen = tracer.stop()
                result.update((key, seen[key]) for key in ("lines", "raised", "calls", "call", "stopped"))
            snapshot.restore()
            result["test"].update(status=outcome["status"], message=outcome["message"], line=outcome["line"])
            return outcome["status"] != PASS

        if test is not None:
            chosen = [item for item in tests if item[0] == test]
            if not chosen:
                names = ", ".join(name for name, _title, _fn in tests) or "none"
                result["error"] = {"kind": "test", "message": f"No hidden test is named {test!r} (they are: "
                                   f"{names}).", "line": None, "traceback": ""}
                return result
            traced(chosen[0])
        elif not any(traced(item) for item in tests) and tests:
            traced(tests[0])  # every test passes: show the first
    except TimeUp:  # the browser's deadline
        result["stopped"] = "timeout"
    finally:
        if snapshot is not None:
            snapshot.restore()
        sys.stdout, sys.stderr = saved_stdout, saved_stderr
    if result["stopped"] == "timeout" and result["test"] is not None:
        result["test"].update(status=ERROR, message="Stopped at the time limit: the shapes up to there are shown.")
    return result


def trace_shapes_json(code: str, tests_source: str, entries_json: str, test: str | None,
                      time_limit: float | None, tolerance_json: str | None = None) -> str:
    """JSON in, JSON out: the entry point the browser worker calls for "Show shapes"."""
    return json.dumps(trace_shapes(code, tests_source, json.loads(entries_json), test=test or None,
                                   time_limit=time_limit or None,
                                   tolerance=json.loads(tolerance_json) if tolerance_json else None))


def run_script(code: str, *, on_event=None) -> dict:
    """Run learner code as a script (``__name__ == "__main__"``), without grading; return its
    Report (``report.schema.json``'s ``script_report``)."""
    emit = on_event or (lambda _event: None)
    out = CappedOutput(on_write=lambda text: emit({"type": "stdout", "text": text}))
    saved_stdout, saved_stderr = sys.stdout, sys.stderr
    error = None
    sys.stdout = sys.stderr = out
    try:
        load_learner_code(code, module_name="__main__")
    except TimeUp:
        raise
    except _BaseException as exc:
        if not (isinstance(exc, SystemExit) and exc.code in (None, 0)):
            error = load_error(exc)
            if isinstance(exc, SystemExit):
                error["message"] = f"Your code exited with status {exc.code!r}."
    finally:
        sys.stdout, sys.stderr = saved_stdout, saved_stderr
    return {"status": ERROR if error else PASS, "stdout": out.getvalue(),
            "stdout_truncated": bool(out.dropped), "error": error}


def grade_json(code: str, tests_source: str, entries_json: str, on_event=None, mutants_json: str | None = None,
               tolerance_json: str | None = None) -> str:
    """JSON in, JSON out: the entry point the browser worker calls (``mutants_json``: the
    problem's mutants, see ``grade``; ``tolerance_json``: the problem's declared tolerance,
    problem.json's ``tolerance``, or null)."""
    return json.dumps(grade(code, tests_source, json.loads(entries_json), on_event=on_event,
                            mutants=json.loads(mutants_json) if mutants_json else None,
                            tolerance=json.loads(tolerance_json) if tolerance_json else None))


def run_script_json(code: str, on_event=None) -> str:
    return json.dumps(run_script(code, on_event=on_event))


def parse_check(source: str, filename: str) -> None:
    """Compile-only check used by authors' tooling (raises SyntaxError with file and line)."""
    ast.parse(source, filename=filename)
