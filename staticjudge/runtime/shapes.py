"""Shapes on every line: a line tracer confined to the learner's own code.

``ShapeTracer(code).start(seconds)`` … ``stop()`` watches the learner's functions run (and only
them: frames whose code comes from the learner's file) and records, per line, the names that
line bound and a short description of each value: ``(2, 6, 6) float64`` for a NumPy array,
``int 6``, ``list[3]``, ``tuple (2, 5)``. A line that runs several times (a loop, a function the
test calls twice) keeps its first and last description and how many times it ran.

It is used by ``harness.trace_shapes`` only, on request: ordinary grading never imports it and
never installs a tracer. The same class runs in the browser (Pyodide, in the worker's one
interpreter) and natively (in the learner's own process, ``grading/learner.py``).
Standard library only; NumPy is looked up in ``sys.modules`` when a value is described.

Which names a line binds comes from the learner's source (``ast``): assignment targets
(``a, b = …``, ``x += …``, ``x: T = …``), ``for`` targets, ``with … as x``, ``:=``, and the array
an item assignment writes into (``out[i] = …`` describes ``out``). A line is recorded once it has
run to its end, so a line that raised assigns nothing: what it records instead are its operands,
the values the statement that raised was working on (``Q (3, 4, 5) float64 · K.T (5, 4, 3)
float64``): its names and the side-effect-free expressions on arrays among them (``.T``, ``.mT``,
``.shape``, ``.ndim``, subscripts with constant, name or slice indices), read from the frame
without calling anything (``operand_roots``, ``_Operands``). A function's ``def`` line records
its parameters as each call begins.
"""

from __future__ import annotations

import ast
import copy
import sys
import time
import types

LEARNER_FILE = "solution.py"  # as in harness.py (this module imports nothing from it)
MAX_ENTRIES = 2000  # (line, name) pairs kept: more are not recorded
MAX_OPERANDS = 12  # operands kept for a line that raised
MAX_OPERAND_TEXT = 80  # characters of an operand's expression: a longer one is shown by its parts
_CHECK_EVERY = 256  # line events between two looks at the clock
_GENERATOR_FLAGS = 0x20 | 0x100 | 0x200  # CO_GENERATOR | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR


class OutOfTime(BaseException):
    """Raised inside the learner's code when the tracer's deadline passes (like harness.TimeUp)."""


# ---------------------------------------------------------------------------------------------
# Describing a value without running learner code
# ---------------------------------------------------------------------------------------------
def type_name(value) -> str:
    """A learner type's name, read without running learner code (no ``__getattr__``, no ``__repr__``)."""
    name = type.__dict__["__name__"].__get__(type(value))
    return name if isinstance(name, str) else "object"


def _array_text(numpy, value) -> str:
    ndarray = numpy.ndarray
    shape = ndarray.__dict__["shape"].__get__(value)
    dtype = ndarray.__dict__["dtype"].__get__(value)
    return f"{tuple(shape)!r} {dtype}"


def describe(value) -> str:
    """A short description of ``value``: its shape and dtype, its length, or (numbers) itself."""
    kind = type(value)  # types only: isinstance could run a learner's __class__ property
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if issubclass(kind, numpy.ndarray):
            return _array_text(numpy, value)
        if issubclass(kind, numpy.generic):
            return f"{numpy.dtype(kind)} scalar"
    if value is None or kind is bool:
        return repr(value)
    if kind is int:
        return f"int {value}" if -10**12 < value < 10**12 else "int"
    if kind is float:
        return f"float {value:.6g}"
    if kind is complex:
        return "complex"
    if kind is str:
        return f"str[{len(value)}]"
    if kind is tuple:
        if 0 < len(value) <= 8 and all(type(v) is int for v in value):
            return f"tuple {value!r}"  # a shape, most often
        return f"tuple[{len(value)}]" + _items(value, numpy)
    if kind is list:
        return f"list[{len(value)}]" + _items(value, numpy)
    if kind is dict:
        return f"dict[{len(value)}]"
    return type_name(value)


def _items(items, numpy) -> str:
    """What a list's (or tuple's) items have in common: ``[4]`` (rows of a nested list) or ``of
    (2, 3) float64`` (arrays), judged on at most 1000 items; nothing when they differ."""
    if not items or len(items) > 1000:
        return ""
    first = items[0]
    if type(first) in (list, tuple) and all(type(v) is type(first) and len(v) == len(first) for v in items):
        return f"[{len(first)}]"
    if numpy is not None and issubclass(type(first), numpy.ndarray):
        texts = {_array_text(numpy, v) if issubclass(type(v), numpy.ndarray) else None for v in items}
        if len(texts) == 1:
            return f" of {texts.pop()}"
    return ""


def entry_text(entry: dict) -> str:
    """One observation as shown: ``scores (2, 6, 6) float64``; a loop's ``x (6,) → (5,) float64 ×3``
    (arrays of one dtype name it once). theme/assets/shapes-view.js writes the same in the page."""
    first, last, passes = entry["first"], entry["last"], entry["passes"]
    if passes > 1 and last != first:
        shape, _, dtype = first.rpartition(" ")
        if first.startswith("(") and last.startswith("(") and last.endswith(f" {dtype}"):
            first = shape
        first += f" → {last}"
    return f"{entry['name']} {first}" + (f" ×{passes}" if passes > 1 else "")


def raised_text(entry: dict) -> str:
    """A line that raised, as shown: ``Q (3, 4, 5) float64 · K.T (5, 4, 3) float64 → raised
    ValueError ×2`` (its operands, if any were read, then the exception). As shapes-view.js."""
    times = f" ×{entry['times']}" if entry["times"] > 1 else ""
    operands = " · ".join(f"{o['name']} {o['value']}" for o in entry.get("operands") or [])
    return f"{operands} → " * bool(operands) + f"raised {entry['error']}{times}"


# ---------------------------------------------------------------------------------------------
# Which names each line binds (read from the source)
# ---------------------------------------------------------------------------------------------
def _target_names(target) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for item in target.elts for n in _target_names(item)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, ast.Subscript):  # out[i] = …: the array written into
        base = target.value
        while isinstance(base, ast.Subscript):
            base = base.value
        return [base.id] if isinstance(base, ast.Name) else []
    return []


def _own_walrus_names(node) -> list[str]:
    """``:=`` targets in a statement's own expressions (not in the bodies it holds)."""
    names = []
    for field, value in ast.iter_fields(node):
        if field in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST) and not isinstance(child, ast.stmt):
                names += [n.target.id for n in ast.walk(child) if isinstance(n, ast.NamedExpr)]
    return names


class _Statement:
    """A statement that binds names: its lines and, for a ``for``, its body's lines."""

    __slots__ = ("names", "last", "body")

    def __init__(self, names, last, body=None):
        self.names = names
        self.last = last  # the last line of its header: line events up to it are the same statement
        self.body = body  # (first, last) line of a for's body: the target is bound once we are in it


def binding_lines(code: str | ast.AST) -> dict[int, _Statement]:
    """{line where a statement starts: what it binds} for every binding statement of ``code``."""
    found = {}
    for node in ast.walk(ast.parse(code) if isinstance(code, str) else code):
        if not isinstance(node, ast.stmt):
            continue
        names, body = [], None
        if isinstance(node, ast.Assign):
            names = [n for t in node.targets for n in _target_names(t)]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and getattr(node, "value", True) is not None:
            names = _target_names(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            names = _target_names(node.target)
            body = (node.body[0].lineno, node.body[-1].end_lineno)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            names = [n for item in node.items if item.optional_vars is not None
                     for n in _target_names(item.optional_vars)]
        names += _own_walrus_names(node)
        if not names:
            continue
        inner = getattr(node, "body", None)
        last = inner[0].lineno - 1 if isinstance(inner, list) and inner else node.end_lineno
        found[node.lineno] = _Statement(tuple(dict.fromkeys(names)), max(last, node.lineno), body)
    return found


def def_lines(code: str | ast.AST) -> dict[int, tuple[int, str]]:
    """{a function's first line (``co_firstlineno``: its first decorator's, if any): (its ``def``
    line, its name)} for every function of ``code``."""
    found = {}
    for node in ast.walk(ast.parse(code) if isinstance(code, str) else code):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[first] = (node.lineno, node.name)
    return found


# ---------------------------------------------------------------------------------------------
# The operands of a line that raised (read from the source, evaluated without calls)
# ---------------------------------------------------------------------------------------------
_ARRAY_ATTRIBUTES = frozenset({"T", "mT", "shape", "ndim"})  # read through ndarray's own descriptors
_BODIES = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_NOT_SHOWN = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
              types.MethodWrapperType, types.WrapperDescriptorType, types.MethodDescriptorType, type)
_FANCY_LIMIT = 10**7  # elements: a larger array is not indexed with arrays (a copy) to describe it


def operand_roots(code: str | ast.AST) -> dict[int, list[ast.AST]]:
    """{line: the expressions of the statements on that line} (a statement's own expressions,
    not the bodies it holds; every line of a statement that spans several). An augmented
    assignment's target is read too, so it is given as an expression that loads it."""
    found: dict[int, list[ast.AST]] = {}
    for node in ast.walk(ast.parse(code) if isinstance(code, str) else code):
        if not isinstance(node, ast.stmt) or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        roots = []
        for field, value in ast.iter_fields(node):
            if field in _BODIES:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and not isinstance(child, ast.stmt):
                    roots.append(child)
        if isinstance(node, ast.AugAssign):
            target = copy.copy(node.target)
            target.ctx = ast.Load()
            roots[0] = target
        inner = getattr(node, "body", None)
        last = inner[0].lineno - 1 if isinstance(inner, list) and inner else node.end_lineno
        for line in range(node.lineno, max(last, node.lineno) + 1):
            found.setdefault(line, []).extend(roots)  # statements on one line (``a = 1; b = x @ y``): all
    return found


def _pure(node) -> bool:
    """An expression read without calling anything: a name, ``.T``/``.mT``/``.shape``/``.ndim``
    of one, a subscript of one by constants, names, slices (and tuples of those)."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Attribute):
        return node.attr in _ARRAY_ATTRIBUTES and _pure(node.value)
    if isinstance(node, ast.Subscript):
        return _pure(node.value) and _pure_index(node.slice, top=True)
    return False


def _pure_index(node, top=False) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None or node.value is Ellipsis or type(node.value) in (int, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant) and type(node.operand.value) is int
    if isinstance(node, ast.Slice):
        return all(part is None or _pure_index(part) for part in (node.lower, node.upper, node.step))
    if isinstance(node, ast.Tuple):
        return top and all(_pure_index(item) for item in node.elts)
    return _pure(node)


class _Unreadable(Exception):
    """An expression that cannot be read without running something (or at all): shown by its parts."""


class _Operands:
    """Reads the operands of a statement in a frame: names from its locals and globals, and
    attributes and subscripts of real NumPy arrays (of tuples and lists, for ``.shape[-1]``), on a
    base-class view, through ``numpy.ndarray``'s own descriptors. It never calls a learner's
    function, ``__getattr__``, ``__index__``, ``__array__``, ``__array_finalize__`` or property."""

    def __init__(self, frame):
        self.local = frame.f_locals
        self.globals = frame.f_globals
        self.numpy = sys.modules.get("numpy")
        self.found: dict[str, str] = {}
        self.texts: dict[int, str | None] = {}

    def show(self, node) -> None:
        """Add ``node``'s operands: itself if it can be read, else its parts."""
        if len(self.found) >= MAX_OPERANDS or isinstance(node, ast.Lambda):
            return
        if isinstance(node, _COMPREHENSIONS):  # only its first iterable is read in this frame
            self.show(node.generators[0].iter)
            return
        if not isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)) and _pure(node):
            text = ast.unparse(node)
            if text in self.found:
                return
            if len(text) <= MAX_OPERAND_TEXT:
                try:
                    value = self.value(node)
                except Exception:  # noqa: BLE001 - unbound, not an array, out of range…: its parts
                    pass
                else:
                    if not issubclass(type(value), self._not_shown()):
                        self.found[text] = describe(value)
                    return
        for child in ast.iter_child_nodes(node):
            if isinstance(node, ast.Call) and child is node.func and isinstance(child, ast.Name):
                continue  # the function called: not an operand
            self.show(child)

    def _not_shown(self) -> tuple:
        return _NOT_SHOWN + ((self.numpy.ufunc,) if self.numpy is not None else ())

    def entries(self) -> list[dict]:
        return [{"name": name, "value": value} for name, value in self.found.items()]

    # -- reading values --
    def value(self, node):
        if isinstance(node, ast.Name):
            if node.id in self.local:
                return self.local[node.id]
            return self.globals[node.id]
        if isinstance(node, ast.Attribute):
            array = self.array(self.value(node.value))
            return self.numpy.ndarray.__dict__[node.attr].__get__(array)  # KeyError: no .mT here
        if isinstance(node, ast.Subscript):
            base = self.value(node.value)
            index = self.index(node.slice, top=True)
            kind = type(base)
            if kind is tuple or kind is list:
                if type(index) not in (int, slice):
                    raise _Unreadable("a sequence indexed by something else")
                return kind.__getitem__(base, index)
            array = self.array(base)
            parts = index if type(index) is tuple else (index,)
            if any(type(part) is self.numpy.ndarray for part in parts) \
                    and self.numpy.ndarray.__dict__["size"].__get__(array) > _FANCY_LIMIT:
                raise _Unreadable("too large to copy")
            return self.numpy.ndarray.__getitem__(array, index)
        raise _Unreadable(type(node).__name__)

    def array(self, value):
        """``value`` as a plain ndarray (a view: no subclass hook runs), if it is an array."""
        numpy = self.numpy
        if numpy is None or not issubclass(type(value), numpy.ndarray):
            raise _Unreadable("not an array")
        return value if type(value) is numpy.ndarray else numpy.ndarray.view(value, numpy.ndarray)

    def index(self, node, top=False):
        """An index made of plain values only (nothing with an ``__index__`` of its own)."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp):
            return -node.operand.value  # a negative int constant (``_pure_index``)
        if isinstance(node, ast.Slice):
            return slice(*(None if part is None else self.index(part) for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return tuple(self.index(item) for item in node.elts)
        return self.plain_index(self.value(node), top)

    def plain_index(self, value, top):
        kind = type(value)
        if value is None or value is Ellipsis or kind is int or kind is bool:
            return value
        if kind is slice:
            parts = (value.start, value.stop, value.step)
            if all(part is None or type(part) is int for part in parts):
                return value
        elif kind is tuple and top:
            return tuple(self.plain_index(item, False) for item in value)
        numpy = self.numpy
        if numpy is not None:
            if type(kind) is type and kind in _numpy_integers(numpy):  # NumPy's own integer scalars
                return value
            if issubclass(kind, numpy.ndarray):
                array = self.array(value)
                if numpy.ndarray.__dict__["dtype"].__get__(array).kind in "iub":
                    return array
        raise _Unreadable("an index that is not plain")


_INTEGERS: list = []


def _numpy_integers(numpy) -> frozenset:
    if not _INTEGERS:
        _INTEGERS.append(frozenset(t for t in set(numpy.sctypeDict.values())
                                   if issubclass(t, (numpy.integer, numpy.bool_))))
    return _INTEGERS[0]


def read_operands(frame, roots) -> list[dict]:
    """The operands of the expressions ``roots`` in ``frame``: ``[{"name": "K.T", "value":
    "(5, 4, 3) float64"}, …]`` in the order they appear, at most ``MAX_OPERANDS``."""
    reader = _Operands(frame)
    try:
        for root in roots:
            reader.show(root)
    except (Exception, RecursionError):  # noqa: BLE001 - what was read so far is kept
        pass
    return reader.entries()


# ---------------------------------------------------------------------------------------------
# The tracer
# ---------------------------------------------------------------------------------------------
class _Seen:
    """What lines bound and raised: over all calls, or in one call of the learner's functions."""

    __slots__ = ("entries", "raised")

    def __init__(self):
        self.entries: dict[tuple[int, str], list] = {}  # (line, name) → [first, last, passes]
        self.raised: dict[int, list] = {}  # line → [the first exception's type name, times, its operands]

    def bound(self, key, text) -> None:
        entry = self.entries.get(key)
        if entry is not None:
            entry[1] = text
            entry[2] += 1
        elif len(self.entries) < MAX_ENTRIES:
            self.entries[key] = [text, text, 1]

    def went_through(self, line, name, operands) -> None:
        entry = self.raised.get(line)
        if entry is not None:
            entry[1] += 1
        elif len(self.raised) < MAX_ENTRIES:
            self.raised[line] = [name, 1, operands]

    def plain(self) -> tuple[list, list]:
        lines = [{"line": line, "name": name, "first": first, "last": last, "passes": passes}
                 for (line, name), (first, last, passes) in self.entries.items()]
        lines.sort(key=lambda entry: entry["line"])  # stable: a line's names stay in their order
        raised = [{"line": line, "error": error, "times": times, "operands": operands}
                  for line, (error, times, operands) in sorted(self.raised.items())]
        return lines, raised


class ShapeTracer:
    """Records what the learner's lines bind while it is started (see the module docstring).

    A test may call the learner's functions several times (``assert_batched`` calls it on the
    batch, then on each sequence alone to diagnose). When one of those calls ended with an
    exception, what matters is that call: the observations are then the first such call's
    alone; otherwise they cover every call (first and last pass of each line).
    """

    def __init__(self, code: str, filename: str = LEARNER_FILE):
        self.filename = filename
        try:
            tree = ast.parse(code)
            self.statements = binding_lines(tree)
            self.operands = operand_roots(tree)
            self.defs = def_lines(tree)
        except (SyntaxError, ValueError, RecursionError):
            self.statements, self.operands, self.defs = {}, {}, {}
        self.deadline = None
        self._saved = None
        self._reset()

    def _reset(self) -> None:
        self.all, self.call = _Seen(), _Seen()  # over every call; in the current call
        self.failed = None  # (_Seen, its number): the first call that ended with an exception
        self.calls = 0  # calls into the learner's code (from outside it)
        self.depth = 0  # learner frames running now
        self.stopped = None
        self.events = 0

    # -- life --
    def start(self, seconds: float | None = None) -> None:
        """Trace from now on (this thread), until ``stop``; past ``seconds``, stop the learner's code.
        Each start begins afresh (nothing of an earlier start is kept)."""
        self._reset()
        self.deadline = time.perf_counter() + seconds if seconds else None
        self._saved = sys.gettrace()
        sys.settrace(self._on_call)

    def stop(self) -> dict:
        """Stop tracing; the observations as plain data (see ``observations``)."""
        sys.settrace(self._saved)
        self._saved = None
        return self.observations()

    def observations(self) -> dict:
        """``{"lines": [{"line", "name", "first", "last", "passes"}…] (by line),
        "raised": [{"line", "error", "times", "operands"}…] (lines an exception went through: its
        type's name, how many times, and the operands of its statement the first time:
        ``[{"name": "K.T", "value": "(5, 4, 3) float64"}…]``), "calls": how many calls of the learner's functions ran,
        "call": None (the observations cover them all) | the number of the one they come from
        (the first that raised, or the one stopped at the time limit), "stopped": None | "timeout"}``."""
        if self.failed is not None:
            seen, call = self.failed
        elif self.stopped:
            seen, call = self.call, self.calls
        else:
            seen, call = self.all, None
        lines, raised = seen.plain()
        return {"lines": lines, "raised": raised, "calls": self.calls, "call": call, "stopped": self.stopped}

    # -- the trace functions --
    def _on_call(self, frame, event, _arg):
        code = frame.f_code
        if code.co_filename != self.filename or code.co_name.startswith("<"):
            return None  # not the learner's (or a comprehension, lambda, the module body): untraced
        if self.depth == 0:
            self.calls += 1
            self.call = _Seen()
        self.depth += 1
        generator = code.co_flags & _GENERATOR_FLAGS
        found = self.defs.get(code.co_firstlineno)
        if found is not None and found[1] == code.co_name \
                and not (generator and frame.f_lineno != code.co_firstlineno):  # not a resumed generator
            self._record_parameters(frame, found[0], code)
        return self._frame_tracer(generator)

    def _frame_tracer(self, generator: bool):
        statements = self.statements
        pending = None  # the binding statement running now: (line, _Statement)
        raising = False  # the last event was an exception: a return now is the exception leaving

        def trace(frame, event, _arg):
            nonlocal pending, raising
            if event == "line":
                raising = False
                line = frame.f_lineno
                self.events += 1
                if self.deadline is not None and self.events % _CHECK_EVERY == 0 \
                        and time.perf_counter() > self.deadline:
                    self.stopped = "timeout"
                    raise OutOfTime("the time limit passed")  # also ends tracing (settrace's rule)
                if pending is not None:
                    start, statement = pending
                    if not start < line <= statement.last:  # not a continuation line of it
                        body = statement.body
                        if body is None or body[0] <= line <= body[1]:  # a for whose loop ended: not bound again
                            self._record(frame, start, statement)
                        pending = None
                if line in statements:
                    pending = (line, statements[line])
            elif event == "return":
                if pending is not None and not generator:  # a yield in the statement: not over yet
                    self._record(frame, *pending)
                pending = None
                self.depth -= 1
                if self.depth == 0 and raising and self.failed is None:
                    self.failed = (self.call, self.calls)
            elif event == "exception":
                pending, raising = None, True  # the statement did not finish: it bound nothing
                kind = _arg[0]
                name = type.__dict__["__name__"].__get__(kind) if isinstance(kind, type) else "error"
                name = name if isinstance(name, str) else "error"
                line = frame.f_lineno
                operands = None
                if line not in self.call.raised or line not in self.all.raised:  # read once a line and call
                    operands = read_operands(frame, self.operands.get(line, ()))
                self.all.went_through(line, name, operands)
                self.call.went_through(line, name, operands)
            return trace

        return trace

    def _record(self, frame, line: int, statement: _Statement) -> None:
        local = frame.f_locals
        for name in statement.names:
            try:
                value = local[name] if name in local else frame.f_globals[name]
                text = describe(value)
            except Exception:  # noqa: BLE001 - unbound, or a value that cannot be described
                continue
            self.all.bound((line, name), text)
            self.call.bound((line, name), text)

    def _record_parameters(self, frame, line: int, code) -> None:
        """A call begins: its parameters, on the function's ``def`` line."""
        count = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
        local = frame.f_locals
        for name in code.co_varnames[:count]:  # *args and **kwargs after the named ones
            try:
                text = describe(local[name])
            except Exception:  # noqa: BLE001 - a value that cannot be described
                continue
            self.all.bound((line, name), text)
            self.call.bound((line, name), text)
