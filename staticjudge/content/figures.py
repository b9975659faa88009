"""Statement pictures: ```matrix blocks, evaluated at build time with the reference solution.

An author writes, in a statement::

    ```matrix
    # Causal mask for T = 5: True = may attend
    causal_mask(5)
    ```

The block is Python run like a worked example (``np`` and the reference solution in scope):
leading ``#`` lines are the caption, the last statement is an expression whose value, a 1-D or
2-D array of numbers or booleans of at most 64 × 64, is the picture. The page gets a static
<figure> with the values as a text table (readable without JavaScript) and the same values as
JSON in ``data-matrix``, which ``theme/assets/heatmap.js`` draws as a heatmap the way it draws a
failed check's picture. An error is the author's, at the block's file:line.
"""

from __future__ import annotations

import ast
import html
import io
import json
import traceback
from contextlib import redirect_stdout

import numpy as np

from ..model import Example, Problem, ProblemError
from ..runtime.harness import load_learner_code
from ..runtime.judge import PICTURE_MAX, json_value, picture_kind

FILENAME = "<matrix>"


def _caption(source: str) -> str:
    lines = []
    for text in source.strip().splitlines():
        if not text.startswith("#"):
            break
        lines.append(text.lstrip("#").strip())
    return " ".join(lines)


def _value(figure: Example, namespace: dict):
    """Run the block; return the value of its last expression. Raises (line, message)."""
    tree = ast.parse(figure.source, FILENAME)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        raise _Failure(figure.line + (tree.body[-1].lineno - 1 if tree.body else 0),
                       "a ```matrix block must end with an expression (the array to draw)")
    last = ast.Expression(tree.body.pop().value)
    try:
        with redirect_stdout(io.StringIO()), np.printoptions():
            exec(compile(tree, FILENAME, "exec"), namespace)
            return eval(compile(last, FILENAME, "eval"), namespace)
    except Exception as exc:  # the author's code: any error is reported at its line
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == FILENAME]
        offset = (frames[-1].lineno - 1) if frames and frames[-1].lineno else 0
        raise _Failure(figure.line + offset, f"the ```matrix block raised {type(exc).__name__}: {exc}") from None


class _Failure(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def _cell_text(value) -> str:
    if isinstance(value, str):
        return {"nan": "NaN", "inf": "∞", "-inf": "−∞"}[value]
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def figure_data(value) -> dict:
    """The JSON that heatmap.js draws: {"kind", "shape", "values"} (a 1-D array is one row)."""
    array = np.asarray(value)
    kind = picture_kind(array.dtype)
    if kind is None:
        raise ValueError(f"a ```matrix block must give an array of numbers or booleans, not {array.dtype}")
    if array.ndim not in (1, 2):
        raise ValueError(f"a ```matrix block must give a 1-D or 2-D array, not one of shape {array.shape}: "
                         "pick a slice, e.g. x[0]")
    rows = array[None, :] if array.ndim == 1 else array
    if rows.shape[0] > PICTURE_MAX or rows.shape[1] > PICTURE_MAX:
        raise ValueError(f"a ```matrix block's array has shape {array.shape}: at most "
                         f"{PICTURE_MAX} × {PICTURE_MAX} can be drawn")
    return {"kind": kind, "shape": [int(n) for n in array.shape],
            "values": [[json_value(v, kind) for v in row] for row in rows.tolist()]}


def figure_html(data: dict, caption: str) -> str:
    """A static figure: caption, the values as a table, and data-matrix for heatmap.js."""
    e = html.escape
    values = data["values"]
    cols = len(values[0]) if values else 0
    head = "".join(f'<th scope="col">{c}</th>' for c in range(cols))
    body = "".join(f'<tr><th scope="row">{r}</th>' + "".join(f"<td>{e(_cell_text(v))}</td>" for v in row) + "</tr>"
                   for r, row in enumerate(values))
    shape = " × ".join(map(str, data["shape"]))
    title = f"<figcaption>{e(caption)} <span class=\"matrix-shape\">({shape})</span></figcaption>"
    payload = e(json.dumps(data, allow_nan=False, separators=(",", ":")), quote=True)
    return (f'<figure class="matrix-figure" data-matrix="{payload}">{title}'
            f'<table class="matrix-table heatmap-table"><thead><tr><th scope="col">row</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></figure>")


def render_figures(problem: Problem) -> dict[str, str]:
    """{block source: figure HTML} for every ```matrix block of ``problem``'s statement."""
    if not problem.figures:
        return {}
    namespace = load_learner_code(problem.solution.code)
    namespace.setdefault("np", np)
    out = {}
    for figure in problem.figures:
        try:
            data = figure_data(_value(figure, namespace))
        except _Failure as failure:
            raise ProblemError(problem.source_path, failure.line, failure.message) from None
        except ValueError as exc:
            raise ProblemError(problem.source_path, figure.line, str(exc)) from None
        caption = _caption(figure.source) or figure.source.strip().splitlines()[-1].strip()
        out[figure.source.strip()] = figure_html(data, caption)
    return out
