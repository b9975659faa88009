"""Allowed variants of a reference solution: programs ``check`` requires every hidden test to pass.

Mutants are wrong and must fail; an allowed variant is right, as far as the statement says, and
must pass. Each variant is the reference solution with every result of its entry functions moved
within the tolerance the problem declares (front matter ``tolerance:``, else judge's default):
each float moved by ``FRACTION`` × (atol + rtol·|value|), upwards, downwards, or by a
deterministic ± pattern that changes from call to call (so two results that should agree differ
as much as the tolerance lets them). Zeros, infinities and NaN stay exact, and so do booleans,
integers and anything not a float, and a value equal to one of the call's own float inputs (a
copy, not a computation: a cache's carried-over rows, an output that is exactly ``V``; a statement
promises those exact); a problem that declares ``{rtol: 0, atol: 0}`` (bit for bit)
has no variant. A test that fails one asks for more than its statement states.

The variant is code: the solution's own source with a few lines appended that wrap its entry
functions, so it is graded like any program (natively in a child process, as the learner's code).
"""

from __future__ import annotations

from dataclasses import dataclass

FRACTION = 0.4  # of the declared tolerance: well within it, and far above rounding

# (name, sign rule, what it does, in a message's words)
PATTERNS = (
    ("up", "up", "every float result moved up"),
    ("down", "down", "every float result moved down"),
    ("mixed", "mixed", "every float result moved up or down by a ± pattern that differs from call to call"),
)

_WRAPPER = '''

def _allowed_variant(entry, rtol, atol, fraction, pattern):
    # Appended by `check` (staticjudge/authoring/variants.py): each result moved within the tolerance.
    import functools
    import numpy
    state = {"depth": 0, "calls": 0}

    def signs(shape):
        if pattern == "up":
            return 1.0
        if pattern == "down":
            return -1.0
        rng = numpy.random.default_rng(1000 + state["calls"])
        return rng.choice((-1.0, 1.0), size=shape)

    def floats(value, found):
        if isinstance(value, numpy.ndarray) and value.dtype.kind == "f":
            found.append(value.astype(numpy.float64).ravel())
        elif isinstance(value, (tuple, list)):
            for item in value:
                floats(item, found)
        elif isinstance(value, dict):
            for item in value.values():
                floats(item, found)
        return found

    def move(value, copied):
        if isinstance(value, numpy.ndarray) and value.dtype.kind == "f":
            moved = numpy.array(value, copy=True)
            free = numpy.isfinite(value) & (value != 0)
            if copied.size:
                free &= ~numpy.isin(value.astype(numpy.float64), copied)
            wide = value.astype(numpy.float64)
            shifted = wide + signs(value.shape) * fraction * (atol + rtol * numpy.abs(wide))
            moved[free] = shifted[free]
            return moved
        if isinstance(value, numpy.floating):
            return type(value)(move(numpy.asarray(value), copied)[()])
        if isinstance(value, float) and numpy.isfinite(value) and value != 0:
            return float(move(numpy.asarray(value), copied)[()])
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(move(v, copied) for v in value)
        if isinstance(value, list):
            return [move(v, copied) for v in value]
        if isinstance(value, dict):
            return {k: move(v, copied) for k, v in value.items()}
        return value

    def wrap(fn):
        @functools.wraps(fn)
        def variant(*args, **kwargs):
            state["depth"] += 1
            try:
                result = fn(*args, **kwargs)
            finally:
                state["depth"] -= 1
            if state["depth"]:  # called by another entry function: moved once, where it returns
                return result
            state["calls"] += 1
            inputs = floats([list(args), list(kwargs.values())], [])
            return move(result, numpy.concatenate(inputs) if inputs else numpy.empty(0))
        return variant

    for name in entry:
        if callable(globals().get(name)):
            globals()[name] = wrap(globals()[name])


_allowed_variant(@ARGUMENTS@)
del _allowed_variant
'''


@dataclass(frozen=True)
class AllowedVariant:
    name: str  # "up", "down", "mixed"
    description: str  # what it does, for messages
    rtol: float
    atol: float
    code: str  # the solution with its entry functions wrapped


def allowed_variants(solution: str, entry, tolerance: dict) -> list[AllowedVariant]:
    """The allowed variants of ``solution`` under ``tolerance`` ({"rtol", "atol", …}: the base
    entry is the one the statement promises for every result); none when it is exact."""
    rtol, atol = float(tolerance["rtol"]), float(tolerance["atol"])
    if not rtol and not atol:
        return []
    return [AllowedVariant(name, f"{words} by {FRACTION:g}× the tolerance", rtol, atol,
                           solution.rstrip("\n") + "\n" + _WRAPPER.replace(
                               "@ARGUMENTS@", ", ".join(map(repr, (tuple(entry), rtol, atol, FRACTION, rule)))))
            for name, rule, words in PATTERNS]
