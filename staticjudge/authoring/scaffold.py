"""``new SLUG``: a skeleton problem and hidden-test file that ``check`` explains how to fill."""

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
track: foundations
summary: "TODO: one line for the index page: what the learner builds."
---
TODO: say what `{slug}` computes, with the math ($y = f(x)$) and the shapes and dtypes it takes
and returns. Every promise here is a requirement (listed under `## Requirements`) that a hidden
test claims.

Return a `float64` array holding the values of `x`; `x` may be `float32` or `float64`.

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
'''

TESTS_TEMPLATE = '''import numpy as np

from judge import assert_close, assert_dtype

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
'''


def new_problem(slug: str, problems_dir: Path, tests_dir: Path, order: int) -> tuple[Path, Path]:
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
    problem_path.write_text(PROBLEM_TEMPLATE.format(slug=slug, title=title, order=order), encoding="utf-8")
    tests_path.write_text(TESTS_TEMPLATE.format(slug=slug), encoding="utf-8")
    return problem_path, tests_path
