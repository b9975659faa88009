"""Checks for hidden tests: assertions whose failure messages a learner can act on.

Hidden tests import these as ``from judge import assert_close, ...``. Each check says what was
expected, what came back and where they differ: shape, dtype, NaN/inf where a finite value was
expected, the first differing index with both values, the largest error and the tolerance it
was held to (with a hint when the values look rounded). ``mistakes`` maps
a message to the output a known mistake would produce, so a wrong answer that matches one gets
a targeted hint ("scores look unscaled: divide by sqrt(d_k)"). ``assert_close`` and
``assert_equal`` fail with ``CheckFailed``: the same message, with the hint kept apart and a
picture of the values (the slice around the first difference) that the page draws.

Pure Python + NumPy; shipped to the browser next to ``harness.py``.
"""

from __future__ import annotations

import ast
import linecache
import math
import sys
import traceback

import numpy as np

# Captured at import (before learner code runs): patching np.allclose & co. later has no effect.
_asarray = np.asarray
_isfinite = np.isfinite
_isclose = np.isclose
_isnan = np.isnan
_abs = np.abs
_argwhere = np.argwhere
_ndarray = np.ndarray
_generic = np.generic
_array2string = np.array2string
_unravel = np.unravel_index
_float64 = np.float64
_round = np.round
_finfo = np.finfo
_dtype = np.dtype
_errstate = np.errstate
_view = np.ndarray.view  # the base method: a subclass cannot override what we look at
_ndindex = np.ndindex
_getlines = linecache.getlines
_parse = ast.parse
_extract_tb = traceback.extract_tb
_isfinite_scalar = math.isfinite
_getframe = sys._getframe

LEARNER_FILE = "solution.py"  # the name harness.py compiles the learner's code under

__all__ = ["CheckFailed", "with_hint", "tolerance", "assert_close", "assert_equal", "assert_shape", "assert_array", "assert_dtype",
           "assert_finite", "assert_true", "assert_inputs_unchanged", "assert_batched", "batch_cause",
           "as_float_array", "fmt"]


# Set by the harness for a run with the problem's mutants (``use_mutant_outputs``).
_mutant_outputs = None


def use_mutant_outputs(provider) -> None:
    """For the harness, not for tests: ``provider(got)`` lists ``(description, output)``, each of
    the problem's mutants' output on the inputs of the call that returned ``got``
    (``harness.MutantHints.outputs_for``); None: no mutants. Asked only when a comparison fails."""
    global _mutant_outputs
    _mutant_outputs = provider

PICTURE_MAX = 64  # rows and columns of the largest 2-D slice a failure carries as a picture


class CheckFailed(AssertionError):
    r"""A failed check, with what the page needs to explain it beyond its text.

    ``detail``: the failure without its hint; ``hint``: the targeted "Hint: …" sentence, or None;
    ``picture``: for arrays compared value by value, the 2-D slice around the first difference
    (see ``_picture``), or None. ``str()`` is the whole message, ``detail`` then
    ``"\n  Hint: " + hint``, as every check wrote it before, so text readers see no change.

    Learner sees: ``str()`` of it, as for any failed check.

    Example::

        raise CheckFailed("weights do not sum to 1", hint="normalise over the last axis")
    """

    def __init__(self, detail: str, hint: str | None = None, picture: dict | None = None):
        self.detail, self.hint, self.picture = detail, hint or None, picture
        super().__init__(detail + (f"\n  Hint: {hint}" if hint else ""))


def with_hint(failure: AssertionError, hint: str) -> CheckFailed:
    """``failure`` with ``hint`` as its hint (a hidden test's own diagnosis of a check's failure),
    keeping its picture: ``raise with_hint(exc, "…") from None``.

    Learner sees: the check's message, then ``Hint: <hint>``.

    Example::

        try:
            assert_close(out, expected)
        except AssertionError as exc:
            raise with_hint(exc, "scores look unscaled: divide by sqrt(d_k)") from None
    """
    if isinstance(failure, CheckFailed):
        return CheckFailed(failure.detail, hint, failure.picture)
    return CheckFailed(str(failure).strip(), hint)


def json_value(value, kind: str):
    """One cell, as JSON can hold it: NaN and ±inf as the strings "nan", "inf", "-inf"."""
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    value = float(value)
    if _isfinite_scalar(value):
        return value
    return "nan" if value != value else ("inf" if value > 0 else "-inf")


def picture_kind(*dtypes) -> str | None:
    kinds = {d.kind for d in dtypes}
    if not kinds <= set("biuf"):
        return None
    if kinds == {"b"}:
        return "bool"
    return "float" if "f" in kinds else "int"


def _picture(got: np.ndarray, expected: np.ndarray, differs: np.ndarray, kind: str | None,
             name: str) -> dict | None:
    """The failure as a picture: the 2-D slice of ``got``/``expected`` holding the first
    difference (leading indices fixed at that difference's; a 1-D array is one row), with the
    cells that differ by the check's own rule; None when there is nothing to draw (0-D, a slice
    over PICTURE_MAX × PICTURE_MAX, no difference, or values that are not numbers).

    JSON-safe: ``{"name", "kind": "bool"|"int"|"float", "shape": full shape, "index": the fixed
    leading indices, "first": [row, col] of the first difference in the slice, "expected",
    "got": rows of cells, "differs": rows of booleans}``; non-finite floats are strings.
    Built only when a check fails, so passing runs pay nothing.
    """
    if kind is None or got.ndim == 0 or got.shape != expected.shape or not bool(differs.any()):
        return None
    shape = [int(n) for n in got.shape]
    first = tuple(int(i) for i in _argwhere(differs)[0])
    lead = first[:-2]
    if got.ndim == 1:
        got, expected, differs, cell = got[None, :], expected[None, :], differs[None, :], [0, first[0]]
    else:
        got, expected, differs, cell = got[lead], expected[lead], differs[lead], list(first[-2:])
    rows, cols = got.shape
    if rows > PICTURE_MAX or cols > PICTURE_MAX:
        return None

    def cells(array):
        return [[json_value(v, kind) for v in row] for row in array.tolist()]

    return {"name": name, "kind": kind, "shape": shape, "index": list(lead), "first": cell,
            "expected": cells(expected), "got": cells(got),
            "differs": [[bool(v) for v in row] for row in differs.tolist()]}


def fmt(value) -> str:
    """A short, readable rendering of a value for messages.

    Learner sees: nothing of its own; checks and tests use it to show values in messages.

    Example::

        assert_true(ok, lambda: f"rows of weights: {fmt(weights.sum(-1))}")
    """
    if isinstance(value, (_ndarray, _generic)):
        return _array2string(_asarray(value), precision=6, suppress_small=True, threshold=40,
                             edgeitems=3, max_line_width=100)
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _type_name(value) -> str:
    return type(value).__name__


def as_float_array(got, name: str = "your result") -> np.ndarray:
    """Turn a learner's result into a plain float64 ndarray, or fail with why it cannot be.

    Learner sees: ``your result is None: did you forget to `return` it?``, or ``your result
    should be a NumPy array, but it is a tuple: (…)``, or ``your result should hold numbers, but
    its dtype is <U1``.

    Example::

        out = as_float_array(self_attention(Q, K, V))  # then compute on out freely
    """
    if got is None:
        raise AssertionError(f"{name} is None: did you forget to `return` it?")
    if isinstance(got, _ndarray):
        # A subclass may override comparisons; look at the raw data only.
        array = _view(got, _ndarray)
    elif isinstance(got, (_generic, int, float)) and not isinstance(got, bool):
        array = _asarray(got)
    else:
        raise AssertionError(f"{name} should be a NumPy array, but it is a {_type_name(got)}: {fmt(got)}")
    if array.dtype.kind not in "fiub":
        raise AssertionError(f"{name} should hold numbers, but its dtype is {array.dtype}")
    return array.astype(_float64, copy=True)


def assert_shape(got, shape, name: str = "your result") -> None:
    """The result is an array of numbers of exactly ``shape``.

    Learner sees: ``your result has shape (5, 3), expected (5, 7)``.

    Example::

        assert_shape(self_attention(Q, K, V), (5, 7))
    """
    array = as_float_array(got, name)
    shape = tuple(shape)
    if array.shape != shape:
        raise AssertionError(f"{name} has shape {array.shape}, expected {shape}")


def assert_array(got, name: str = "your result") -> None:
    """The result is a NumPy array of numbers (any float dtype).

    Learner sees: ``your result should be a NumPy array, but it is a list: [1.0]``.

    Example::

        assert_array(split_heads(X, 2))  # a learner's [1.0] fails so
    """
    if not isinstance(got, _ndarray):
        as_float_array(got, name)  # raises with the right message for None and non-arrays
        raise AssertionError(f"{name} should be a NumPy array, but it is a {_type_name(got)}")


def assert_dtype(got, dtype, name: str = "your result", *, inputs=None) -> None:
    """The result is an array of exactly ``dtype`` (a statement that promises, say, ``float64``
    for ``float32`` inputs: ``assert_close`` alone accepts any float dtype).

    The fix it suggests names the problem's own arguments: ``inputs``, the arguments the learner's
    function was given (``{"Q": Q, "K": K}``, or just their names); by default the parameters of
    the entry function the calling test received, with the test's own variables of those names
    as their values. Array inputs are to be converted (``Q = np.asarray(Q, dtype=np.float64)``);
    integer inputs (``T, d``) mean the arrays built from them must be made in ``dtype``.

    Learner sees: ``your result is float32; the statement asks for float64: convert the inputs
    first: Q = np.asarray(Q, dtype=np.float64) (and K, V the same way)``; for integer inputs,
    ``… T, d are integers, so make the arrays you build from them float64: e.g.
    np.arange(T, dtype=np.float64)``.

    Example::

        Q, K, V = random_qkv(5, 4, 4, dtype=np.float32)
        assert_dtype(self_attention(Q, K, V), np.float64)
    """
    assert_array(got, name)
    wanted, have = _dtype(dtype), _view(got, _ndarray).dtype
    if have != wanted:
        raise AssertionError(f"{name} is {have}; the statement asks for {wanted}: "
                             + _dtype_fix(wanted, _inputs_of_caller() if inputs is None else inputs))


def _dtype_fix(wanted, inputs) -> str:
    """How to get a result of dtype ``wanted``, in the words of the learner's ``inputs``."""
    if not isinstance(inputs, dict):
        inputs = dict.fromkeys(inputs or ())
    arrays = [n for n, v in inputs.items() if (isinstance(v, _ndarray) and v.dtype.kind in "fiuc")
              or isinstance(v, (list, tuple, float)) or (isinstance(v, _generic) and _asarray(v).dtype.kind == "f")]
    numbers = [n for n, v in inputs.items() if isinstance(v, (int, _generic)) and not isinstance(v, (bool, _ndarray))
               and _asarray(v).dtype.kind in "iu" and n not in arrays]
    unknown = [n for n, v in inputs.items() if v is None]
    if unknown and not arrays and not numbers:  # names alone: the learner's parameters
        first = unknown[0]
        return (f"convert the array inputs ({', '.join(unknown)}) first, e.g. {first} = np.asarray({first}, "
                f"dtype=np.{wanted}), and make any array you build {wanted}")
    if arrays:
        first, rest = arrays[0], arrays[1:]
        also = f" (and {', '.join(rest)} the same way)" if rest else ""
        return f"convert the inputs first: {first} = np.asarray({first}, dtype=np.{wanted}){also}"
    if numbers:
        names = ", ".join(numbers)
        return (f"{names} {'are integers' if len(numbers) > 1 else 'is an integer'}, so make the arrays you "
                f"build from {'them' if len(numbers) > 1 else 'it'} {wanted}: e.g. "
                f"np.arange({numbers[0]}, dtype=np.{wanted})")
    return f"convert the inputs with np.asarray(x, dtype=np.{wanted})"


def _parameters(fn) -> list[str]:
    """The parameter names of the learner's function ``fn`` (read off its code, or off the
    learner's source for a proxy to another process); [] for anything else."""
    target = getattr(fn, "__wrapped__", fn)
    inner = getattr(target, "__code__", None)
    if inner is not None and inner.co_filename == LEARNER_FILE:
        return list(inner.co_varnames[:inner.co_argcount])
    learner = _LearnerCode.of(fn) if callable(fn) else None
    if learner is None or not isinstance(learner.nodes[0], ast.FunctionDef):
        return []
    arguments = learner.nodes[0].args
    return [a.arg for a in arguments.posonlyargs + arguments.args]


def _inputs_of_caller() -> dict:
    """The arguments of the learner's function the calling hidden test received, as {name: value}:
    the function's own parameter names, valued by the test's variables of the same names (None
    where it has none); {} when no test frame or learner function is found."""
    frame = _getframe(2)
    for _ in range(8):
        if frame is None:
            return {}
        code = frame.f_code
        if code.co_name.startswith("test_") and code.co_argcount:
            found = {}
            for param in code.co_varnames[:code.co_argcount]:
                for arg in _parameters(frame.f_locals.get(param)):
                    found.setdefault(arg, frame.f_locals.get(arg))
            return found
        frame = frame.f_back
    return {}


def assert_finite(got, name: str = "your result") -> None:
    """Every value of the result is finite (no NaN, no ±inf).

    Learner sees: ``your result has 2 non-finite value(s), first nan at index (0, 1); a large input
    overflowing exp() is the usual cause (subtract the max first)``.

    Example::

        assert_finite(softmax(np.array([1000.0, 0.0])))
    """
    array = as_float_array(got, name)
    bad = ~_isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in _argwhere(bad)[0])
        raise AssertionError(
            f"{name} has {int(bad.sum())} non-finite value(s), first {fmt(array[index])} at index "
            f"{index}; a large input overflowing exp() is the usual cause (subtract the max first)"
        )


def assert_true(condition, message) -> None:
    """``condition`` holds; else fail with ``message``: a string, or a function returning one
    (called only on failure, so a message that formats arrays costs nothing on a passing run).

    Learner sees: the message.

    Example::

        assert_true(np.allclose(w.sum(-1), 1), lambda: f"rows sum to {fmt(w.sum(-1))}, not 1")
    """
    if not condition:
        raise AssertionError(message() if callable(message) else message)


def assert_inputs_unchanged(arguments, before) -> None:
    """``arguments`` and ``before``: {name: array} after and before the learner's call.

    Learner sees: ``your function changed its argument `Q` in place; compute on a copy``. The harness
    hands the learner read-only copies, so a write usually fails first; ``check`` grades a
    requirement's mutant with the tests' own arrays too, and a test that claims such a requirement
    must catch it so: with this check.

    Example::

        arguments = {"Q": Q, "K": K, "V": V}
        before = {name: a.copy() for name, a in arguments.items()}
        self_attention(**arguments)
        assert_inputs_unchanged(arguments, before)
    """
    for name, array in arguments.items():
        assert_true(np.array_equal(np.asarray(array), before[name], equal_nan=True),
                    f"your function changed its argument `{name}` in place; compute on a copy")


def _first_difference(got: np.ndarray, expected: np.ndarray, close: np.ndarray) -> str:
    index = tuple(int(i) for i in _argwhere(~close)[0]) if got.ndim else ()
    where = f" at index {index}" if index else ""
    return f"first difference{where}: got {float(got[index]):.8g}, expected {float(expected[index]):.8g}"


def _allowed(rtol: float, atol: float) -> str:
    """The tolerance a comparison used, as the learner can check it."""
    if not rtol and not atol:
        return "allowed: none (the values must be identical)"
    bound = " + ".join(([f"{atol:g}"] if atol else []) + ([f"{rtol:g}·|expected|"] if rtol else []))
    return f"allowed: |got − expected| ≤ {bound}"


def _rounded_decimals(got: np.ndarray, expected: np.ndarray, dtype) -> int | None:
    """How many decimals (1-6) the learner's values look rounded to, when that rounding is all
    that keeps them from the reference; else None.

    Rounded means every finite value is a multiple of 10^-d up to the rounding error of the
    learner's own dtype, while the reference is not, and no value is further than 10^-d from it:
    a wrong answer that merely happens to be round (integers, or far from the reference) gets
    no such hint.
    """
    both = _isfinite(got) & _isfinite(expected)
    got, expected = got[both], expected[both]
    if not got.size:
        return None
    slack = 4 * float(_finfo(dtype if dtype.kind == "f" else _float64).eps)
    exact = 4 * float(_finfo(_float64).eps)
    with _errstate(all="ignore"):
        for decimals in range(0, 7):
            if bool((_abs(_round(got, decimals) - got) <= slack * _abs(got)).all()):
                if decimals == 0:  # integers: a rounding hint would guess the cause
                    return None
                near = bool((_abs(got - expected) <= 10.0 ** -decimals).all())
                round_reference = _abs(_round(expected, decimals) - expected) <= exact * _abs(expected)
                return decimals if near and not bool(round_reference.all()) else None
    return None


def _all_close_and_finite(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """The passing case, decided in a few ufuncs: every entry finite and within tolerance.

    The same test as ``np.isclose`` on finite values, at a quarter of its cost in Pyodide; any
    NaN or inf (``|got - expected|`` is then NaN or inf, or ``expected`` is not finite) answers
    False, and the full check decides.
    """
    with _errstate(all="ignore"):
        within = _abs(got - expected) <= atol + rtol * _abs(expected)
    return bool(within.all()) and bool(_isfinite(expected).all())


def _matches(got: np.ndarray, candidate, rtol: float, atol: float) -> bool:
    candidate = _asarray(candidate, dtype=_float64)
    return candidate.shape == got.shape and bool(
        _isclose(got, candidate, rtol=rtol, atol=atol, equal_nan=True).all())


# The tolerance of a problem whose front matter declares none (``tolerance:`` in the problem file).
DEFAULT_TOLERANCE = {"rtol": 1e-6, "atol": 1e-6}
_DEFAULT_PAIR = (1e-6, 1e-6)  # the same, where learner code cannot change it
# The declared tolerance of the problem being graded: ((rtol, atol), ((name, (rtol, atol)), …)).
# A tuple rebound by ``set_tolerance`` (the harness, before the tests load), never changed in place.
_declared = (_DEFAULT_PAIR, ())


def _pair(entry) -> tuple:
    return (float(entry["rtol"]), float(entry["atol"]))


def set_tolerance(declared: dict | None) -> None:
    """The problem's declared tolerance, ``{"rtol", "atol", <name>: {"rtol", "atol"}, …}`` (the
    front matter's ``tolerance:``); None: ``DEFAULT_TOLERANCE``. The harness calls it before it
    loads a problem's tests; tests read it with ``tolerance()`` and ``assert_close``'s defaults."""
    global _declared
    if not declared:
        _declared = (_DEFAULT_PAIR, ())
        return
    named = tuple((str(key), _pair(value)) for key, value in declared.items() if isinstance(value, dict))
    _declared = (_pair(declared), named)


def tolerance(name: str | None = None, *, times: float = 1) -> dict:
    """The tolerance the problem declares (its front matter's ``tolerance:``), as keyword
    arguments for ``assert_close``: ``{"rtol": …, "atol": …}``. ``name``: one of its named
    entries (``"float32"``: the tolerance for float32 inputs); ``times``: a multiple of it (an
    invariance test comparing two of the learner's own results allows ``times=2``: each may be
    off by the tolerance).

    Learner sees: nothing of its own; the failing check shows the tolerance it was held to.

    Example::

        assert_close(out, reference(Q, K, V), **tolerance("float32"))
        assert_close(shifted[:3], out[:3], **tolerance(times=2))
    """
    base, named = _declared
    pair = base if name is None else dict(named).get(str(name))
    if pair is None:
        names = ", ".join(key for key, _ in named) or "none"
        raise KeyError(f"the problem declares no tolerance named {name!r} (named tolerances: {names})")
    return {"rtol": pair[0] * times, "atol": pair[1] * times}


def assert_close(got, expected, *, rtol: float | None = None, atol: float | None = None,
                 name: str = "your result", mistakes: dict | None = None) -> None:
    """``got`` equals ``expected`` elementwise within ``atol + rtol * |expected|``; ``rtol`` and
    ``atol`` default to the problem's declared tolerance (``tolerance()``; 1e-6 each when the
    problem declares none).

    Accepts any float dtype (float32 results are compared in float64 with the given tolerance).
    ``mistakes``: {message: wrong_output}, or a function returning one (called only on failure);
    if the result matches a wrong output, that message is the failure's hint. Fails with a
    ``CheckFailed`` (its hint apart, and a picture of the values when they differ).

    Learner sees: ``your result differs from the expected values in 1 of 2 entries; first
    difference at index (1,): got 3, expected 4; max abs error 1; allowed: |got − expected| ≤
    1e-06 + 1e-06·|expected|``, the values when there are few, and the matching mistake's hint.

    Example::

        assert_close(self_attention(Q, K, V), reference(Q, K, V), rtol=1e-4, atol=1e-5,
                     mistakes=lambda: {"scores look unscaled: divide by sqrt(d_k)": unscaled(Q, K, V)})
    """
    rtol = _declared[0][0] if rtol is None else rtol
    atol = _declared[0][1] if atol is None else atol
    array = as_float_array(got, name)
    wanted = expected
    expected = _asarray(expected, dtype=_float64)
    if array.shape != expected.shape:
        message = f"{name} has shape {array.shape}, expected {expected.shape}"
        raise CheckFailed(message, _mistake_hint(array, mistakes, rtol, atol, got))
    if _all_close_and_finite(array, expected, rtol, atol):
        return
    close = _isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return
    own = _view(got, _ndarray).dtype if isinstance(got, _ndarray) else _asarray(got).dtype
    picture = _picture(array, expected, ~close, picture_kind(own, _asarray(wanted).dtype), name)
    got_bad = ~_isfinite(array) & _isfinite(expected)
    if got_bad.any():
        index = tuple(int(i) for i in _argwhere(got_bad)[0])
        kind = "NaN" if _isnan(array[index]) else "inf"
        message = (f"{name} has {kind} at index {index} where {fmt(expected[index])} was expected "
                   f"({int(got_bad.sum())} non-finite value(s) in all)")
        hint = _mistake_hint(array, mistakes, rtol, atol, got, expected)
        if kind == "NaN" and not hint:
            message += "; exp() of large numbers overflows: subtract the row max before exponentiating"
        raise CheckFailed(message, hint, picture)
    both = _isfinite(array) & _isfinite(expected)
    with _errstate(all="ignore"):  # inf - inf, or overflow: not the learner's output to see
        err = _abs(array - expected)[both]
    max_err = float(err.max()) if err.size else float("nan")
    wrong = int((~close).sum())
    message = (f"{name} differs from the expected values in {wrong} of {close.size} entries; "
               f"{_first_difference(array, expected, close)}; max abs error {max_err:.3g}; "
               f"{_allowed(rtol, atol)}")
    if array.size <= 16:
        message += f"\n  got:      {fmt(array)}\n  expected: {fmt(expected)}"
    hint = _mistake_hint(array, mistakes, rtol, atol, got, expected)
    if not hint:
        decimals = _rounded_decimals(array, expected, own)
        if decimals is not None:
            hint = (f"your values look rounded to {decimals} decimal{'s' if decimals > 1 else ''}: "
                    "return them unrounded")
    raise CheckFailed(message, hint, picture)


def _mistake_hint(array, mistakes, rtol, atol, got=None, expected=None) -> str | None:
    """The hint of the first known mistake whose output ``array`` matches, or None.

    The test's own ``mistakes`` first; then the problem's mutants (``_mutant_outputs``): the
    description of the one whose output on the same inputs as ``got`` matches, unless that
    output matches ``expected`` too (a mutant right on these inputs shows no mistake); none
    when the outputs of several mistakes match (the result cannot tell which it is)."""
    if callable(mistakes):  # computed only when a check fails, so passing runs stay fast
        mistakes = mistakes()
    for hint, wrong in (mistakes or {}).items():
        try:
            if _matches(array, wrong, rtol, atol):
                return hint
        except (TypeError, ValueError):
            continue
    provider = _mutant_outputs
    if provider is None:
        return None
    found = set()
    for hint, wrong in provider(got):
        try:
            if _matches(array, wrong, rtol, atol) and not (
                    expected is not None and _matches(_asarray(expected, dtype=_float64), wrong, rtol, atol)):
                found.add(hint)
        except (TypeError, ValueError):
            continue
    return found.pop() if len(found) == 1 else None


def assert_equal(got, expected, *, name: str = "your result", dtype_kind: str | None = None,
                 mistakes=None) -> None:
    """Exact equality, for masks and integer results. ``dtype_kind``: e.g. "b" to insist on bool.

    ``mistakes`` works as for ``assert_close`` (values compared exactly).

    Learner sees: ``your result differs in 1 of 16 entries; first at index (0, 1): got True,
    expected False``, both arrays when small, and the matching mistake's hint.

    Example::

        assert_equal(causal_mask(4), np.tril(np.ones((4, 4), dtype=bool)), dtype_kind="b")
    """
    if got is None:
        raise CheckFailed(f"{name} is None: did you forget to `return` it?")
    if not isinstance(got, _ndarray):
        raise CheckFailed(f"{name} should be a NumPy array, but it is a {_type_name(got)}: {fmt(got)}")
    array = _view(got, _ndarray)
    expected = _asarray(expected)
    if dtype_kind and array.dtype.kind != dtype_kind:
        wanted = {"b": "bool", "f": "a float type", "i": "an integer type"}.get(dtype_kind, dtype_kind)
        raise CheckFailed(f"{name} has dtype {array.dtype}, expected {wanted}")
    if array.shape != expected.shape:
        raise CheckFailed(f"{name} has shape {array.shape}, expected {expected.shape}")
    same = array == expected
    if not bool(same.all()):
        index = tuple(int(i) for i in _argwhere(~same)[0])
        message = (f"{name} differs in {int((~same).sum())} of {same.size} entries; first at index {index}: "
                   f"got {array[index].item()!r}, expected {expected[index].item()!r}")
        if array.size <= 64:
            message += f"\n  got:\n{fmt(array)}\n  expected:\n{fmt(expected)}"
        hint = None
        if array.dtype.kind in "fiub":
            try:
                wanted = _asarray(expected, dtype=_float64)
            except (TypeError, ValueError):
                wanted = None
            hint = _mistake_hint(array.astype(_float64), mistakes, 0.0, 0.0, got, wanted)
        # -inf == -inf is equal here; NaN never is (as ``==`` says), so NaN cells are outlined.
        picture = _picture(array, expected, ~same, picture_kind(array.dtype, expected.dtype), name)
        raise CheckFailed(message, hint, picture)


# ---------------------------------------------------------------------------------------------
# Batches: one sequence first, then the batch
# ---------------------------------------------------------------------------------------------
def assert_batched(fn, args, verify, *, batched, kwargs=None, lead: int = 1, unit: str = "sequence"):
    """Run the learner's ``fn(*args, **kwargs)`` on a batch; ``verify(result, *args, **kwargs)``
    checks its result (it raises AssertionError when the result is wrong). Returns the result.

    ``batched`` names the arguments that carry the ``lead`` leading batch axes (positions and
    keyword names); the others (a shared mask, a number) go as they are to every item.

    When the batch fails (``fn`` raises, or ``verify`` does) while ``fn`` is right on each item
    alone, this fails with one message that says so ("correct for one sequence; on a batch of 2
    sequences (Q of shape (2, 5, 3)) it raised ValueError: … because `K.T` reverses all three
    axes of a 3-D array: …"), naming the cause found in the learner's code: ``X.T``, ``np.dot``,
    a batched shape unpacked into two names, ``axis=1``, ``X.shape[1]``, ``x[:, j]``. When an
    item fails too, the batch's own failure is raised unchanged. Items run only on failure.

    Learner sees: ``correct for one sequence; on a batch of 2 sequences (Q of shape (2, 5, 3)) it
    raised ValueError: … because `K.T` reverses all three axes of a 3-D array, not just the last
    two: use np.swapaxes(K, -1, -2)``.

    Example::

        assert_batched(self_attention, (Q, K, V),
                       lambda out, Q, K, V: assert_close(out, reference(Q, K, V)), batched=(0, 1, 2))
    """
    kwargs = dict(kwargs or {})
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - learner code may raise anything
        failure = exc
    else:
        try:
            verify(result, *args, **kwargs)
            return result
        except AssertionError as exc:
            failure = exc
    raised = not isinstance(failure, AssertionError) or _in_learner_code(failure)
    if not _right_on_each_item(fn, args, kwargs, verify, batched, lead):
        raise failure
    raise AssertionError(_batch_message(fn, args, kwargs, batched, lead, unit, failure, raised)) from None


def _remote_error(exc: BaseException) -> dict | None:
    """The learner's error as formatted in the learner's own process (native isolated grading:
    ``harness.LearnerError``), else None."""
    error = getattr(exc, "error", None)
    return error if isinstance(error, dict) else None


def _in_learner_code(exc: BaseException) -> bool:
    return _remote_error(exc) is not None or any(f.filename == LEARNER_FILE for f in _extract_tb(exc.__traceback__))


def _batch_shape(args, kwargs, batched, lead):
    for key in batched:
        value = kwargs.get(key) if isinstance(key, str) else args[key]
        return key, _asarray(value).shape
    raise ValueError("assert_batched: `batched` names no argument")


def _items(args, kwargs, batched, lead):
    _key, shape = _batch_shape(args, kwargs, batched, lead)
    for index in _ndindex(*shape[:lead]):
        yield ([a[index] if i in batched else a for i, a in enumerate(args)],
               {k: (v[index] if k in batched else v) for k, v in kwargs.items()})


def _right_on_each_item(fn, args, kwargs, verify, batched, lead) -> bool:
    try:
        for item_args, item_kwargs in _items(args, kwargs, batched, lead):
            verify(fn(*item_args, **item_kwargs), *item_args, **item_kwargs)
    except Exception:  # noqa: BLE001 - wrong on one item too: not a batch-only failure
        return False
    return True


def _argument_name(fn, key, learner) -> str:
    if isinstance(key, str):
        return key
    code = getattr(getattr(fn, "__wrapped__", fn), "__code__", None)
    names = code.co_varnames[:code.co_argcount] if code is not None else ()
    if not names and learner is not None and isinstance(learner.nodes[0], ast.FunctionDef):
        names = [a.arg for a in learner.nodes[0].args.posonlyargs + learner.nodes[0].args.args]
    return names[key] if key < len(names) else f"input {key + 1}"


def _batch_message(fn, args, kwargs, batched, lead, unit, failure, raised) -> str:
    key, shape = _batch_shape(args, kwargs, batched, lead)
    count = 1
    for size in shape[:lead]:
        count *= size
    sizes = "×".join(map(str, shape[:lead]))
    many = f"{count} {unit}s" if lead == 1 else f"{sizes} = {count} {unit}s"
    code = _LearnerCode.of(fn)
    head = (f"correct for one {unit}; on a batch of {many} ({_argument_name(fn, key, code)} of shape "
            f"{tuple(shape)})")
    if raised:
        line = _failing_line(failure)
        text = f"{head} it raised {type(failure).__name__}: {str(failure).strip()}"
        if line is not None:
            text += f" (line {line}: {code.line_text(line)})" if code is not None else f" (line {line})"
        causes = code.causes(failure, line, len(shape)) if code is not None else []
        if causes:
            return text + " because " + "; and ".join(causes)
        return text + (": make every step work on the last axes, whatever comes before them "
                       "(np.swapaxes(K, -1, -2), @, axis=-1, X.shape[-1])")
    text = f"{head} the result is wrong: {failure}"
    causes = code.causes(None, None, len(shape)) if code is not None else []
    if causes:
        return text + "\n  Probable cause: " + "; and ".join(causes)
    return text + ("\n  Make every step work on the last axes, whatever comes before them "
                   "(np.swapaxes(K, -1, -2), @, axis=-1, X.shape[-1])")


ALL_CAUSES = ("unpack", "transpose", "dot", "front")


def batch_cause(fn, exc=None, *, ndim: int = 3, kinds=ALL_CAUSES) -> str:
    """Why the learner's ``fn`` fails on ``ndim``-D (batched) inputs, read off its code, or "".

    ``exc``: what it raised, if it did (its failing line is looked at first). ``kinds``: the
    causes to look for: "unpack" (``T, d = Q.shape``), "transpose" (``K.T``, ``K.transpose()``),
    "dot" (``np.dot``), "front" (``axis=1``, ``X.shape[1]``, ``x[:, j]``, ``len(X)``). For a
    test's own hint on failure, e.g. a batch-only problem's broadcasting error.

    Learner sees: what the test puts the cause in, e.g. its hint: ``Hint: `K.T` reverses all three
    axes of a 3-D array, not just the last two: use np.swapaxes(K, -1, -2)``.

    Example::

        except ValueError as exc:
            raise AssertionError(f"broadcasting failed\\n  Hint: {batch_cause(fn, exc)}") from None
    """
    code = _LearnerCode.of(fn)
    if code is None:
        return ""
    return "; and ".join(code.causes(exc, _failing_line(exc) if exc is not None else None, ndim, kinds))


def _failing_line(exc: BaseException):
    frames = [f for f in _extract_tb(exc.__traceback__) if f.filename == LEARNER_FILE]
    if frames:
        return frames[-1].lineno
    line = (_remote_error(exc) or {}).get("line")
    return line if type(line) is int else None


def _segment(lines, node) -> str:
    """The source of ``node`` when it sits on one line, else a shortened first line."""
    if node.lineno == node.end_lineno and node.lineno <= len(lines):
        return lines[node.lineno - 1][node.col_offset:node.end_col_offset]
    return "…"


def _numpy_call(node, *names) -> bool:
    """``node`` calls ``np.<name>``/``numpy.<name>`` (or a bare ``<name>`` imported from NumPy)."""
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in names:
        return isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy")
    return isinstance(func, ast.Name) and func.id in names


def _nonnegative_int(node) -> bool:
    return (isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0) or (
        isinstance(node, ast.Tuple) and any(_nonnegative_int(e) for e in node.elts))


class _LearnerCode:
    """The learner's functions that ``fn`` reaches, parsed, to name the cause of a failure."""

    def __init__(self, lines, nodes):
        self.lines = lines
        self.nodes = nodes  # the function definitions fn reaches (fn's first)

    @classmethod
    def of(cls, fn):
        target = getattr(fn, "__wrapped__", fn)
        code = getattr(target, "__code__", None)
        lines = _getlines(LEARNER_FILE)  # the source the harness registered (none: no diagnosis)
        if code is None or not lines:
            return None
        if code.co_filename == LEARNER_FILE:
            firstline, name = code.co_firstlineno, code.co_name
        else:  # a proxy to the learner's process (native isolated grading) bears the entry's name
            firstline, name = None, getattr(target, "__name__", None)
        try:
            tree = _parse("".join(lines))
        except (SyntaxError, ValueError):
            return None
        defs = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs.setdefault(node.name, node)
        first = [n for n in defs.values() if n.lineno == firstline] or [
            n for n in defs.values() if n.name == name]
        if not first:  # not the learner's function, or the source is another run's
            return None
        reached, todo = [], first[:1]
        while todo:
            node = todo.pop()
            if node in reached:
                continue
            reached.append(node)
            todo += [defs[n.id] for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in defs]
        return cls(lines, reached)

    def line_text(self, line: int) -> str:
        return f"`{self.lines[line - 1].strip()}`" if 0 < line <= len(self.lines) else "?"

    def _statement(self, line):
        """The nodes of the innermost statement on ``line`` (its own expressions only)."""
        best = None
        for root in self.nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
                    if best is None or (node.end_lineno - node.lineno) <= (best.end_lineno - best.lineno):
                        best = node
        if best is None:
            return []
        parts = [best]
        for name, value in ast.iter_fields(best):
            if name in ("body", "orelse", "finalbody", "handlers"):
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, ast.AST):
                    parts += list(ast.walk(item))
        return parts

    def _everywhere(self):
        seen = {id(node): node for root in self.nodes for node in ast.walk(root)}
        return sorted(seen.values(), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))

    def causes(self, exc, line, ndim, kinds=ALL_CAUSES) -> list[str]:
        """What in the learner's code makes one sequence work and a batch (of ``ndim``-D
        arrays) fail: on the failing ``line`` first, else anywhere in the code ``fn`` reaches."""
        unpack = exc is not None and isinstance(exc, ValueError) and "values to unpack" in str(exc)
        if line is not None:
            found = self._find(self._statement(line), unpack=unpack, line=line, ndim=ndim, kinds=kinds)
            if found:
                return found[:2]
        return self._find(self._everywhere(), unpack=unpack, line=line, ndim=ndim, kinds=kinds)[:1]

    def _find(self, nodes, *, unpack, line, ndim, kinds=ALL_CAUSES) -> list[str]:
        """The causes ``nodes`` show, one text each: the rules of ``_CAUSES`` in order, each over
        every node (of those of a rule's pass, the first that matches a node speaks for it)."""
        said = _Said(self.lines, line, ndim, unpack)
        found = []
        for kind, rules in _CAUSES:
            if kind not in kinds:
                continue
            for node in nodes:
                says = next((says for matches, says in rules if matches(node, said)), None)
                if says is None:
                    continue
                anchor, text = says(node, said)
                if anchor.lineno != line and "(line" not in text:
                    text = f"{text} (line {anchor.lineno})"
                if text not in found:
                    found.append(text)
        return found


class _Said:
    """What a batch cause is told about the failure it speaks of."""

    __slots__ = ("lines", "line", "ndim", "axes", "unpack")

    def __init__(self, lines, line, ndim, unpack):
        self.lines = lines  # the learner's source lines
        self.line = line  # the failing line, if known
        self.ndim = ndim  # of the batch
        self.axes = {3: "three", 4: "four", 5: "five"}.get(ndim, str(ndim))  # ndim, in words
        self.unpack = unpack  # the failure is a "values to unpack" ValueError


def _unpacked_shape(node, said) -> bool:  # a batched shape unpacked into one sequence's names
    return said.unpack and isinstance(node, ast.Assign) and isinstance(node.targets[0], (ast.Tuple, ast.List)) \
        and any(isinstance(n, ast.Attribute) and n.attr == "shape" for n in ast.walk(node.value))


def _say_unpacked_shape(node, said):
    shape = next(n for n in ast.walk(node.value) if isinstance(n, ast.Attribute) and n.attr == "shape")
    names = len(node.targets[0].elts)
    array = _segment(said.lines, shape.value)
    where = "" if node.lineno == said.line else f" (line {node.lineno})"
    return node, (f"`{said.lines[node.lineno - 1].strip()}`{where} unpacks the shape of a batch, which has "
                  f"{said.axes} axes, into {names} names: use `{array}.shape[-{names}:]` or `{array}.shape[-1]`")


def _T_attribute(node, said) -> bool:  # transposes that reverse every axis
    return isinstance(node, ast.Attribute) and node.attr == "T"


def _say_T_attribute(node, said):
    array = _segment(said.lines, node.value)
    return node, (f"`{array}.T` reverses all {said.axes} axes of a {said.ndim}-D array, not just the last two: "
                  f"use np.swapaxes({array}, -1, -2)")


def _transpose_method(node) -> bool:
    """``x.transpose(…)``, not ``np.transpose(…)``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "transpose" \
        and not _numpy_call(node, "transpose")


def _transpose_all(node, said) -> bool:
    return isinstance(node, ast.Call) and (
        (_numpy_call(node, "transpose") and len(node.args) == 1 and not node.keywords)
        or (_transpose_method(node) and not node.args and not node.keywords))


def _say_transpose_all(node, said):
    array = _segment(said.lines, node.args[0] if node.args else node.func.value)
    return node, (f"`{_segment(said.lines, node)}` reverses all {said.axes} axes of a {said.ndim}-D array, "
                  f"not just the last two: use np.swapaxes({array}, -1, -2)")


def _transpose_naming_axes(node, said) -> bool:
    return _transpose_method(node) and len(node.args) >= 2 and all(_nonnegative_int(a) for a in node.args)


def _say_transpose_naming_axes(node, said):
    named = {2: "two", 3: "three", 4: "four"}.get(len(node.args), str(len(node.args)))
    return node, (f"`{_segment(said.lines, node)}` names {named} axes, but this batch has {said.axes}: use "
                  f"np.swapaxes({_segment(said.lines, node.func.value)}, -1, -2), which swaps the last two "
                  "axes of an array of any number of them")


def _dot(node, said) -> bool:  # np.dot is no batched matmul
    return isinstance(node, ast.Call) and (_numpy_call(node, "dot") or (
        isinstance(node.func, ast.Attribute) and node.func.attr == "dot"))


def _say_dot(node, said):
    return node, (f"`{_segment(said.lines, node)}`: np.dot on {said.ndim}-D arrays is not a batched matrix "
                  "product (it pairs every sequence with every other one): use @ or np.matmul")


def _shape_from_front(node, said) -> bool:  # shapes counted from the front
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
        and node.value.attr == "shape" and _nonnegative_int(node.slice)


def _say_shape_from_front(node, said):
    array = _segment(said.lines, node.value.value)
    return node, (f"`{_segment(said.lines, node)}` counts axes from the front, so on a batch it is a "
                  f"different axis than on one sequence: count from the end "
                  f"(`{array}.shape[-1]` is the last axis, `{array}.shape[-2]` the one before)")


def _axis_from_front(node, said) -> bool:  # an axis counted from the front
    return isinstance(node, ast.keyword) and node.arg == "axis" and _nonnegative_int(node.value)


def _say_axis_from_front(node, said):
    return node.value, (f"`axis={_segment(said.lines, node.value)}` counts axes from the front, so on a batch "
                        "it is a different axis than on one sequence: count from the end (axis=-1 is "
                        "the last axis)")


def _slice_from_front(node, said) -> bool:  # x[:, j] indexes axis 1
    if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple) and node.slice.elts):
        return False
    lead = node.slice.elts[0]
    return isinstance(lead, ast.Slice) and not (lead.lower or lead.upper or lead.step) \
        and not any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in node.slice.elts)


def _say_slice_from_front(node, said):
    return node, (f"`{_segment(said.lines, node)}` indexes axes from the front, so on a batch it picks "
                  "from a different axis than on one sequence: index from the end with `...`, e.g. "
                  "`x[..., 0::2]`")


def _len_of_batch(node, said) -> bool:  # len() of a batch is its batch size
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" \
        and len(node.args) == 1 and isinstance(node.args[0], ast.Name)


def _say_len_of_batch(node, said):
    return node, (f"`{_segment(said.lines, node)}` is the number of rows of one sequence but the batch size "
                  f"of a batch: use `{_segment(said.lines, node.args[0])}.shape[-2]`")


# The batch causes, in the order they are told: (kind of ALL_CAUSES, the rules of one pass over
# the nodes), a rule being (matches(node, said) -> bool, says(node, said) -> (node to place, text)).
# A pass of several rules takes, for each node, the first that matches it.
_CAUSES = (
    ("unpack", ((_unpacked_shape, _say_unpacked_shape),)),
    ("transpose", ((_T_attribute, _say_T_attribute), (_transpose_all, _say_transpose_all),
                   (_transpose_naming_axes, _say_transpose_naming_axes))),
    ("dot", ((_dot, _say_dot),)),
    ("front", ((_shape_from_front, _say_shape_from_front),)),
    ("front", ((_axis_from_front, _say_axis_from_front),)),
    ("front", ((_slice_from_front, _say_slice_from_front),)),
    ("front", ((_len_of_batch, _say_len_of_batch),)),
)
