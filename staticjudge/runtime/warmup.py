"""Warm-up runs for the browser worker: grading paths exercised before the learner's first run.

WebAssembly in the browser compiles Python's interpreter functions lazily and optimises them
only once they are hot, so the first grading runs of a fresh worker take 3-5x longer than later
ones (measured: 110-150 ms, then ~25 ms, for the same problem). Once Python is ready, the worker
calls ``run`` in the background (one short task each, never ahead of a learner's run): twice
with a small attention problem below, then a dozen times with the page's own hidden tests
against stand-ins and once with its starter code, which also leaves those tests compiled in the
harness's cache.

Shipped next to ``harness.py`` and ``judge.py``; standard library + NumPy when it is loaded.
"""

from __future__ import annotations

if __package__:
    from . import harness
else:  # pragma: no cover - Pyodide: this file sits next to harness.py
    import harness

# A miniature problem that touches what hidden tests typically do: random inputs, matmul,
# broadcasting, reductions, masks, einsum, judge's checks, a passing and a failing test.
SAMPLE_TESTS = '''
import numpy as np
from judge import assert_close, assert_equal, assert_shape, assert_true


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_attention(attend):
    """Matches the reference on a few shapes"""
    rng = np.random.default_rng(0)
    for shape in ((3, 4), (2, 5, 4), (2, 2, 3, 4)):
        q, k, v = (rng.standard_normal(shape) for _ in range(3))
        mask = np.tril(np.ones((shape[-2], shape[-2]), dtype=bool))
        scores = np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(shape[-1]), -np.inf)
        got = attend(q, k, v, mask)
        assert_shape(got, v.shape)
        assert_close(got, _softmax(scores) @ v, mistakes=lambda: {"unmasked": _softmax(scores) @ v})
        assert_equal(mask, np.tri(shape[-2], dtype=bool))
        assert_true(bool(np.all(np.isfinite(got))), "finite")


def test_reports_a_difference(attend):
    """A failing check, so that failure messages are exercised too"""
    ones = np.ones((2, 2))
    assert_close(attend(ones, ones, np.zeros((2, 2)), np.ones((2, 2), bool)), ones)
'''

SAMPLE_CODE = '''
import numpy as np


def attend(q, k, v, mask):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return np.einsum("...ij,...jd->...id", weights, v)
'''

PURE_TESTS = '''
def test_sum(total):
    """Adds a list"""
    assert total(list(range(50))) == sum(range(50))
'''

PURE_CODE = '''
def total(values):
    result = 0
    for value in values:
        result += value
    return result
'''


def _has_numpy() -> bool:
    try:
        import numpy  # noqa: F401  (loaded already when the problem uses it)
    except ImportError:
        return False
    return True


def stand_ins(entries) -> str:
    """Code defining each entry function as one that returns its first argument."""
    return "".join(f"def {name}(*args, **kwargs):\n    return args[0] if args else None\n\n\n"
                   for name in entries if name.isidentifier())


def run(kind: str = "sample", tests_source: str | None = None, entries=(), code: str = "",
        tolerance: dict | None = None) -> dict:
    """Grade once: ``"sample"`` (the problem above), ``"stand-ins"`` or ``"starter"`` (``code``)
    against ``tests_source``, with the problem's declared ``tolerance``. Returns the Report, which
    the worker drops."""
    if kind == "sample":
        code, tests_source, entries = (SAMPLE_CODE, SAMPLE_TESTS, ["attend"]) if _has_numpy() else (
            PURE_CODE, PURE_TESTS, ["total"])  # a problem without NumPy: the harness alone
    elif kind == "stand-ins":
        code = stand_ins(entries)
    elif kind != "starter":
        raise ValueError(f"unknown warm-up run {kind!r}")
    return harness.grade(code, tests_source, entries, tolerance=tolerance if kind != "sample" else None)
