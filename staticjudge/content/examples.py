"""Worked examples: ``pycon`` blocks of a statement, recomputed with the reference solution.

Each ``>>>`` statement runs in a namespace holding ``np`` and the reference solution; where the
block shows output, the value is compared with it: numerically (at the precision printed) when
the output reads as numbers or arrays, and then as text: what the block shows must be what
Python prints for that value (NumPy's repr, under any print options the example sets itself),
so a learner who runs the example sees exactly the statement's output.
"""

from __future__ import annotations

import io
import math
import re
from contextlib import redirect_stdout
from dataclasses import dataclass

import numpy as np

from ..model import Example
from ..runtime.harness import load_learner_code


@dataclass(frozen=True)
class ExampleFailure:
    line: int
    message: str


def _steps(example: Example) -> list[tuple[Example, str, int]]:
    """The example's statements, each an example of its own (its source and line) with the
    output it must print and the line of that output's first line."""
    steps: list[tuple[Example, str, int]] = []
    source: list[str] = []
    expected: list[tuple[int, str]] = []
    start = example.line

    def flush():
        if source:
            shown = [(number, text) for number, text in expected if text.strip()]
            steps.append((Example("\n".join(source), start), "\n".join(t for _, t in expected).strip(),
                          shown[0][0] if shown else start))

    for offset, text in enumerate(example.source.splitlines()):
        if text.startswith(">>>"):
            flush()
            source, expected, start = [text[4:]], [], example.line + offset
        elif text.startswith("...") and source and not expected:
            source.append(text[4:])
        elif source:
            expected.append((example.line + offset, text))
    flush()
    return steps


@dataclass(frozen=True)
class Difference:
    """Where the statement's output first differs from what the example prints."""

    line: int  # 0-based line of the output
    message: str


def difference(expected_text: str, shown_text: str) -> Difference | None:
    """The first line and column where ``shown_text`` differs from ``expected_text`` (trailing
    spaces aside), both lines shown one above the other with a caret under the first differing
    character; None if they are the same."""
    expected, shown = _lines(expected_text), _lines(shown_text)
    for index in range(max(len(expected), len(shown))):
        want = expected[index] if index < len(expected) else None
        got = shown[index] if index < len(shown) else None
        if want == got:
            continue
        if want is None:
            return Difference(len(expected) - 1, f"the statement's output stops after its line {len(expected)}, "
                                                 f"but the solution prints more:\n    solution:  {got}")
        if got is None:
            return Difference(index, f"output line {index + 1} is more than the solution prints (it prints "
                                     f"{len(shown)} line{'s' if len(shown) != 1 else ''}):\n    statement: {want}")
        column = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        return Difference(index, f"output line {index + 1} differs from column {column + 1}:\n"
                                 f"    statement: {want}\n    solution:  {got}\n    {' ' * (11 + column)}^")
    return None


_EVAL_NAMES = {"array": np.array, "nan": math.nan, "inf": math.inf, "float64": np.float64,
               "float32": np.float32, "int64": np.int64, "dtype": np.dtype, "True": True, "False": False,
               "None": None}


def _decimals(text: str) -> int:
    found = [len(m) for m in re.findall(r"\d\.(\d+)", text)]
    return min(found) if found else 0


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]


PRINT_AS_SHOWN = "show exactly what it prints (or set np.set_printoptions in the example itself)"


def _printed_as(value, expected_text: str) -> Difference | None:
    """None if Python prints ``value`` exactly as ``expected_text``; else the difference."""
    found = difference(expected_text, repr(value))
    if found is None:
        return None
    return Difference(found.line, f"the values match but are printed differently: {PRINT_AS_SHOWN}; "
                                  + found.message)


def _same(value, expected_text: str) -> Difference | None:
    """None if ``value`` shows as ``expected_text``; else the difference."""
    try:
        expected = eval(expected_text, {"__builtins__": {}}, dict(_EVAL_NAMES))  # author's own text
    except Exception:
        return _printed_as(value, expected_text)
    atol = 0.6 * 10.0 ** -_decimals(expected_text) if _decimals(expected_text) else 1e-9
    try:
        got_items = value if isinstance(value, tuple) else (value,)
        exp_items = expected if isinstance(expected, tuple) else (expected,)
        if len(got_items) != len(exp_items):
            return Difference(0, f"gave {len(got_items)} value(s), the statement shows {len(exp_items)}")
        for got, exp in zip(got_items, exp_items):
            if exp is None or got is None:
                if got is not exp:
                    return Difference(0, f"gave {got!r}, the statement says {exp!r}")
                continue
            got, exp = np.asarray(got, dtype=float), np.asarray(exp, dtype=float)
            if got.shape != exp.shape:
                return Difference(0, f"gave shape {got.shape}, the statement shows shape {exp.shape}")
            if not np.allclose(got, exp, rtol=1e-6, atol=atol, equal_nan=True):
                found = difference(expected_text, repr(value))
                if found is None:  # the same text, read as other numbers: say which
                    return Difference(0, f"gave {np.array2string(got, precision=6)}, the statement says "
                                         f"{expected_text}")
                return Difference(found.line, "the solution gives other numbers; " + found.message)
    except (TypeError, ValueError) as exc:
        return Difference(0, f"cannot compare with the statement's output: {exc}")
    return _printed_as(value, expected_text)


def run_example(example: Example, solution_code: str) -> list[ExampleFailure]:
    with np.printoptions():  # options an example sets stay in that example
        return _run_steps(example, solution_code)


def _run_steps(example: Example, solution_code: str) -> list[ExampleFailure]:
    namespace = load_learner_code(solution_code)
    namespace.setdefault("np", np)
    failures = []
    for step, expected, output_line in _steps(example):
        try:
            with redirect_stdout(io.StringIO()) as printed:
                try:
                    code = compile(step.source, "<example>", "eval")
                    is_expression = True
                except SyntaxError:
                    code = compile(step.source, "<example>", "exec")
                    is_expression = False
                value = eval(code, namespace) if is_expression else exec(code, namespace)
        except Exception as exc:
            failures.append(ExampleFailure(step.line, f"example raised {type(exc).__name__}: {exc}"))
            break
        if not expected:
            continue
        if is_expression and value is not None:
            problem = _same(value, expected)
        else:
            shown = printed.getvalue().strip()
            problem = None if shown.split() == expected.split() else difference(expected, shown)
        if problem:
            failures.append(ExampleFailure(output_line + problem.line,
                                           f"worked example does not match the solution: {problem.message}"))
    return failures
