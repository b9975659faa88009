"""Checks for hidden tests: assertions whose failure messages a learner can act on.

Hidden tests import these as ``from judge import assert_close, ...``. Each check says what was
expected, what came back and where they differ: shape, dtype, NaN/inf where a finite value was
expected, the first differing index with both values, the largest error and the tolerance it
was held to (with a hint when the values look rounded). ``mistakes`` maps
a message to the output a known mistake would produce, so a wrong answer that matches one gets
a targeted hint ("scores look unscaled: divide by sqrt(d_k)").

Pure Python + NumPy; shipped to the browser next to ``harness.py``.
"""

from __future__ import annotations

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

__all__ = ["assert_close", "assert_equal", "assert_shape", "assert_array", "assert_dtype",
           "assert_finite", "assert_true", "as_float_array", "fmt"]


def fmt(value) -> str:
    """A short, readable rendering of a value for messages."""
    if isinstance(value, (_ndarray, _generic)):
        return _array2string(_asarray(value), precision=6, suppress_small=True, threshold=40,
                             edgeitems=3, max_line_width=100)
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _type_name(value) -> str:
    return type(value).__name__


def as_float_array(got, name: str = "your result") -> np.ndarray:
    """Turn a learner's result into a plain float64 ndarray, or fail with why it cannot be."""
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
    array = as_float_array(got, name)
    shape = tuple(shape)
    if array.shape != shape:
        raise AssertionError(f"{name} has shape {array.shape}, expected {shape}")


def assert_array(got, name: str = "your result") -> None:
    """The result is a NumPy array of numbers (any float dtype)."""
    if not isinstance(got, _ndarray):
        as_float_array(got, name)  # raises with the right message for None and non-arrays
        raise AssertionError(f"{name} should be a NumPy array, but it is a {_type_name(got)}")


def assert_dtype(got, dtype, name: str = "your result") -> None:
    """The result is an array of exactly ``dtype`` (a statement that promises, say, ``float64``
    for ``float32`` inputs: ``assert_close`` alone accepts any float dtype)."""
    assert_array(got, name)
    wanted, have = _dtype(dtype), _view(got, _ndarray).dtype
    if have != wanted:
        raise AssertionError(f"{name} is {have}; the statement asks for {wanted}: convert the inputs "
                             f"with np.asarray(x, dtype=np.{wanted})")


def assert_finite(got, name: str = "your result") -> None:
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
    (called only on failure, so a message that formats arrays costs nothing on a passing run)."""
    if not condition:
        raise AssertionError(message() if callable(message) else message)


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


def assert_close(got, expected, *, rtol: float = 1e-6, atol: float = 1e-6,
                 name: str = "your result", mistakes: dict | None = None) -> None:
    """``got`` equals ``expected`` elementwise within ``atol + rtol * |expected|``.

    Accepts any float dtype (float32 results are compared in float64 with the given tolerance).
    ``mistakes``: {message: wrong_output}, or a function returning one (called only on failure);
    if the result matches a wrong output, that message is added to the failure.
    """
    array = as_float_array(got, name)
    expected = _asarray(expected, dtype=_float64)
    if array.shape != expected.shape:
        message = f"{name} has shape {array.shape}, expected {expected.shape}"
        raise AssertionError(message + _mistake_hint(array, mistakes, rtol, atol))
    if _all_close_and_finite(array, expected, rtol, atol):
        return
    got_bad = ~_isfinite(array) & _isfinite(expected)
    if got_bad.any():
        index = tuple(int(i) for i in _argwhere(got_bad)[0])
        kind = "NaN" if _isnan(array[index]) else "inf"
        message = (f"{name} has {kind} at index {index} where {fmt(expected[index])} was expected "
                   f"({int(got_bad.sum())} non-finite value(s) in all)")
        if kind == "NaN":
            message += "; exp() of large numbers overflows: subtract the row max before exponentiating"
        raise AssertionError(message + _mistake_hint(array, mistakes, rtol, atol))
    close = _isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return
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
    hint = _mistake_hint(array, mistakes, rtol, atol)
    if not hint:
        own = _view(got, _ndarray).dtype if isinstance(got, _ndarray) else _asarray(got).dtype
        decimals = _rounded_decimals(array, expected, own)
        if decimals is not None:
            hint = (f"\n  Hint: your values look rounded to {decimals} decimal{'s' if decimals > 1 else ''}: "
                    "return them unrounded")
    raise AssertionError(message + hint)


def _mistake_hint(array, mistakes, rtol, atol) -> str:
    if callable(mistakes):  # computed only when a check fails, so passing runs stay fast
        mistakes = mistakes()
    for hint, wrong in (mistakes or {}).items():
        try:
            if _matches(array, wrong, rtol, atol):
                return f"\n  Hint: {hint}"
        except (TypeError, ValueError):
            continue
    return ""


def assert_equal(got, expected, *, name: str = "your result", dtype_kind: str | None = None,
                 mistakes=None) -> None:
    """Exact equality, for masks and integer results. ``dtype_kind``: e.g. "b" to insist on bool.

    ``mistakes`` works as for ``assert_close`` (values compared exactly).
    """
    if got is None:
        raise AssertionError(f"{name} is None: did you forget to `return` it?")
    if not isinstance(got, _ndarray):
        raise AssertionError(f"{name} should be a NumPy array, but it is a {_type_name(got)}: {fmt(got)}")
    array = _view(got, _ndarray)
    expected = _asarray(expected)
    if dtype_kind and array.dtype.kind != dtype_kind:
        wanted = {"b": "bool", "f": "a float type", "i": "an integer type"}.get(dtype_kind, dtype_kind)
        raise AssertionError(f"{name} has dtype {array.dtype}, expected {wanted}")
    if array.shape != expected.shape:
        raise AssertionError(f"{name} has shape {array.shape}, expected {expected.shape}")
    same = array == expected
    if not bool(same.all()):
        index = tuple(int(i) for i in _argwhere(~same)[0])
        message = (f"{name} differs in {int((~same).sum())} of {same.size} entries; first at index {index}: "
                   f"got {array[index].item()!r}, expected {expected[index].item()!r}")
        if array.size <= 64:
            message += f"\n  got:\n{fmt(array)}\n  expected:\n{fmt(expected)}"
        if array.dtype.kind in "fiub":
            message += _mistake_hint(array.astype(_float64), mistakes, 0.0, 0.0)
        raise AssertionError(message)
