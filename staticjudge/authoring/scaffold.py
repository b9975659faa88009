"""``new SLUG``: a skeleton problem and hidden-test file (and the alternative solutions the course
asks for) that ``check`` explains how to fill, and that pass every rule of ``check`` once their
``TODO:`` marks are done."""

from __future__ import annotations

from pathlib import Path

from ..content.parser import SLUG_RE
from ..model import ProblemError

PROBLEM_TEMPLATE = '''---
title: {title}
order: {order}
difficulty: easy
tags: []
entry: [{slug}]
{track_line}summary: "TODO: one line for the index page: what the learner builds."
---
TODO: say what `{slug}` computes, with the math ($y = f(x)$) and the shapes and dtypes it takes
and returns. Every promise here is a requirement (listed under `## Requirements`) that a hidden
test claims.

Return a `float64` array holding the values of `x`, of the same shape as `x`; `x` may be
`float32` or `float64`. Leave `x` unchanged. Results are compared with the reference to within
1e-6.

### Example

```pycon
>>> {slug}(np.array([1.0, 2.0]))
array([1., 2.])
```

## Starter code

```python
import numpy as np


def {slug}(x):
    raise NotImplementedError
```

## Solution

```python
import numpy as np


def {slug}(x):
    return np.asarray(x, dtype=np.float64)
```

## Hints

- TODO: a first nudge.
- TODO: a more concrete step.

## Requirements

- `float64`: Return a `float64` array — mutant: float32_result
- `values`: holding the values of `x` — mutant: truncated
- `shape`: of the same shape as `x` — mutant: flattened
- `unchanged`: Leave `x` unchanged — mutant: writes_into_x

## Mutants

### float32_result
TODO: a classic mistake, written as code; `check` insists that a hidden test claiming the
requirement that names it rejects it. Each mutant breaks one requirement and nothing else.

```python
import numpy as np


def {slug}(x):
    return np.asarray(x, dtype=np.float32)
```

### truncated
Drops the fractional part of each value.

```python
import numpy as np


def {slug}(x):
    return np.floor(np.asarray(x, dtype=np.float64))
```

### flattened
Returns a 1-D array whatever the shape of `x`.

```python
import numpy as np


def {slug}(x):
    return np.asarray(x, dtype=np.float64).ravel()
```

### writes_into_x
Your function writes into the caller's array `x`: compute on a copy instead.

```python
import numpy as np


def {slug}(x):
    result = np.array(x, dtype=np.float64)
    x[...] = 0
    return result
```
'''

TESTS_TEMPLATE = '''import numpy as np

from judge import assert_close, assert_dtype, assert_inputs_unchanged, assert_shape

# TODO: 5-10 tests; each docstring's first line is the title the learner sees, and a
# "Guards:" line after it names the requirements the test checks (learners never see it).


def test_example({slug}):
    """Worked example from the statement"""
    assert_close({slug}(np.array([1.0, 2.0])), np.array([1.0, 2.0]))


def test_keeps_fractions({slug}):
    """Keeps fractional values

    Guards: values
    """
    assert_close({slug}(np.array([0.5, 1.5])), np.array([0.5, 1.5]))


def test_float32_input_gives_float64({slug}):
    """Returns float64 for float32 input

    Guards: float64
    """
    assert_dtype({slug}(np.array([0.5, 1.5], dtype=np.float32)), np.float64)


def test_keeps_the_shape({slug}):
    """A 2-D input gives a result of the same shape

    Guards: shape
    """
    x = np.arange(6.0).reshape(2, 3)
    assert_shape({slug}(x), (2, 3))


def test_input_is_left_unchanged({slug}):
    """Leaves its input unchanged

    Guards: unchanged
    """
    x = np.array([0.5, 1.5])
    before = {{"x": x.copy()}}
    {slug}(x)
    assert_inputs_unchanged({{"x": x}}, before)
'''

# Alternative solutions (solutions/<slug>/*.py), as many as the course asks for: each a correct
# solution in another style, which check grades like the reference.
ALTERNATIVE_TEMPLATE = '''# TODO: solve {slug} again in another style ({style}); check grades this file like the solution.
import numpy as np


def {slug}(x):
{body}
'''
ALTERNATIVE_STYLES = [
    ("loops", "loops", "    return np.array([float(v) for v in np.ravel(x)]).reshape(np.shape(x))"),
    ("astype", "a method instead of a function", "    return np.asarray(x).astype(np.float64)"),
    ("copy", "a copy", "    return np.array(x, dtype=np.float64, copy=True)"),
]


def new_problem(slug: str, problems_dir: Path, tests_dir: Path, order: int, track: str = "") -> tuple[Path, Path]:
    """The problem and hidden-test files of a new problem; ``track``: one of the course's tracks."""
    problem_path = Path(problems_dir) / f"{slug}.md"
    tests_path = Path(tests_dir) / f"{slug}.py"
    if not SLUG_RE.match(slug):
        raise ProblemError(problem_path, None, "a slug is lowercase letters, digits and underscores, "
                                               "starting with a letter")
    for path in (problem_path, tests_path):
        if path.exists():
            raise ProblemError(path, None, "already exists; pick another slug")
    title = slug.replace("_", " ").capitalize()
    problem_path.parent.mkdir(parents=True, exist_ok=True)
    tests_path.parent.mkdir(parents=True, exist_ok=True)
    problem_path.write_text(PROBLEM_TEMPLATE.format(
        slug=slug, title=title, order=order, track_line=f"track: {track}\n" if track else ""), encoding="utf-8")
    tests_path.write_text(TESTS_TEMPLATE.format(slug=slug), encoding="utf-8")
    return problem_path, tests_path


def new_alternatives(slug: str, solutions_dir: Path, count: int) -> list[Path]:
    """``count`` alternative-solution skeletons in ``solutions_dir/slug/`` (files already there are kept)."""
    folder = Path(solutions_dir) / slug
    written = []
    for number in range(count):
        name, style, body = ALTERNATIVE_STYLES[number % len(ALTERNATIVE_STYLES)]
        path = folder / (f"{name}.py" if number < len(ALTERNATIVE_STYLES) else f"{name}_{number}.py")
        if path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(ALTERNATIVE_TEMPLATE.format(slug=slug, style=style, body=body), encoding="utf-8")
        written.append(path)
    return written
