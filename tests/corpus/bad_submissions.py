"""Hostile and broken submissions, each with the verdict it must get natively and in the browser.

``problem`` is ``scale_list`` (pure Python, tests/corpus/project: runs in the browser without
NumPy) or ``self_attention`` (the shipped NumPy problem). ``verdict`` is the Report's overall
status; ``expect`` holds alternatives, one of which must appear in the Report's messages (the
error, a test's message, or, for ``stdout``, the learner's output). Where the browser and
CPython legitimately differ (what kills the process), the alternatives name both.
"""

from __future__ import annotations

from dataclasses import dataclass

TIME_LIMIT = ("Time limit exceeded",)
MEMORY = ("MemoryError", "Time limit exceeded", "stopped unexpectedly")


def NOT_PLAIN(typename):  # noqa: N802 - natively (isolated), a learner object never reaches the tests
    return (f"returned a {typename}: only plain data can be sent back to the tests",)


@dataclass(frozen=True)
class Case:
    problem: str
    name: str
    code: str
    verdict: str  # pass | fail | error
    expect: tuple[str, ...] = ()
    stdout: str = ""  # a substring the learner's output must contain

    @property
    def id(self) -> str:
        return f"{self.problem}/{self.name}"


GOOD_SCALE = "def scale(xs, k):\n    return [x * k for x in xs]\n"
GOOD_ATTENTION = """import numpy as np

def self_attention(Q, K, V):
    s = Q @ K.T / np.sqrt(K.shape[-1])
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ V
"""
WRONG_ATTENTION = GOOD_ATTENTION.replace(" / np.sqrt(K.shape[-1])", "")


def scale(name, code, verdict, *expect, stdout=""):
    return Case("scale_list", name, code, verdict, tuple(expect), stdout)


def attention(name, code, verdict, *expect, stdout=""):
    return Case("self_attention", name, code, verdict, tuple(expect), stdout)


CASES = [
    # --- code that does not load -------------------------------------------------------------
    scale("syntax_error", "def scale(xs, k)\n    return xs\n", "error", "SyntaxError on line 1"),
    scale("indentation_error", "def scale(xs, k):\nreturn xs\n", "error", "IndentationError on line 2"),
    scale("unclosed_string", "def scale(xs, k):\n    return 'oops\n", "error", "line 2"),
    scale("unclosed_bracket", "def scale(xs, k):\n    return [x * k for x in xs\n", "error", "SyntaxError"),
    scale("name_error_at_import", "y = undefined_name\n" + GOOD_SCALE, "error", "NameError"),
    scale("missing_module", "import no_such_module\n" + GOOD_SCALE, "error", "ModuleNotFoundError"),
    scale("exit_at_import", "import sys\nsys.exit(1)\n" + GOOD_SCALE, "error", "sys.exit()"),
    scale("builtin_exit_at_import", "exit()\n" + GOOD_SCALE, "error", "sys.exit()", "exit"),
    scale("loop_at_import", "while True:\n    pass\n" + GOOD_SCALE, "error", *TIME_LIMIT),
    attention("syntax_error", "import numpy as np\ndef self_attention(Q, K, V):\n    return Q @@ K\n",
              "error", "SyntaxError on line 3"),
    attention("tab_space_mix", "def self_attention(Q, K, V):\n\tx = 1\n        return x\n", "error",
              "Error on line 3"),
    # --- entry functions that are missing or odd ----------------------------------------------
    scale("missing_entry", "def scaled(xs, k):\n    return xs\n", "error", "must define a function named `scale`"),
    scale("entry_not_callable", "scale = 3\n", "error", "`scale` must be a function"),
    scale("entry_as_lambda", "scale = lambda xs, k: [x * k for x in xs]\n", "pass"),
    scale("entry_defined_twice_last_wrong", GOOD_SCALE + "def scale(xs, k):\n    return xs\n", "fail",
          "item 0: got 1, expected 2"),
    scale("entry_defined_twice_last_right", "def scale(xs, k):\n    return xs\n" + GOOD_SCALE, "pass"),
    scale("entry_as_class", "class scale:\n    def __init__(self, xs, k):\n        self.xs = xs\n", "fail",
          "should return a list, but it returned a scale", *NOT_PLAIN("scale")),
    scale("wrong_arity", "def scale(xs):\n    return xs\n", "error", "TypeError"),
    attention("entry_as_lambda", "import numpy as np\nfrom numpy import sqrt\n"
              "sm = lambda s: np.exp(s - s.max(-1, keepdims=True)) / np.exp(s - s.max(-1, keepdims=True)).sum(-1, keepdims=True)\n"
              "self_attention = lambda Q, K, V: sm(Q @ K.T / sqrt(K.shape[-1])) @ V\n", "pass"),
    attention("missing_entry", "import numpy as np\n", "error", "must define a function named `self_attention`"),
    attention("entry_as_class", "class self_attention:\n    def __init__(self, Q, K, V):\n        pass\n", "fail",
              "should be a NumPy array, but it is a self_attention", *NOT_PLAIN("self_attention")),
    # --- wrong results --------------------------------------------------------------------------
    scale("returns_none", "def scale(xs, k):\n    [x * k for x in xs]\n", "fail", "returned None"),
    scale("returns_tuple", "def scale(xs, k):\n    return tuple(x * k for x in xs)\n", "fail", "returned a tuple"),
    scale("returns_generator", "def scale(xs, k):\n    return (x * k for x in xs)\n", "fail", "returned a generator"),
    scale("returns_strings", "def scale(xs, k):\n    return [str(x * k) for x in xs]\n", "fail",
          "item 0 should be a number"),
    scale("wrong_length", "def scale(xs, k):\n    return [x * k for x in xs][:1]\n", "fail", "expected 2 items, got 1"),
    scale("nan_items", "def scale(xs, k):\n    return [float('nan') for x in xs]\n", "fail", "item 0 is nan"),
    scale("inf_items", "def scale(xs, k):\n    return [float('inf') for x in xs]\n", "fail", "item 0 is inf"),
    scale("mutates_input", "def scale(xs, k):\n    for i in range(len(xs)):\n        xs[i] *= k\n    return xs\n",
          "fail", "changed its input list"),
    attention("returns_none", "def self_attention(Q, K, V):\n    Q @ K.T\n", "fail", "is None: did you forget to `return`"),
    attention("returns_list", GOOD_ATTENTION.replace("    return (w / w.sum(axis=-1, keepdims=True)) @ V",
                                                     "    return ((w / w.sum(axis=-1, keepdims=True)) @ V).tolist()"),
              "fail", "should be a NumPy array, but it is a list"),
    attention("returns_weights", GOOD_ATTENTION.replace(") @ V\n", ")\n"), "fail", "has shape"),
    attention("returns_transposed", GOOD_ATTENTION.replace(") @ V\n", ") @ V).T\n").replace("return (w", "return ((w"),
              "fail", "has shape"),
    attention("returns_ints", GOOD_ATTENTION.replace(") @ V\n", ") @ V).astype(int)\n").replace("return (w", "return ((w"),
              "fail", "differs from the expected values"),
    attention("returns_complex", GOOD_ATTENTION.replace(") @ V\n", ") @ V) * (1 + 0j)\n").replace("return (w", "return ((w"),
              "fail", "should hold numbers, but its dtype is complex128"),
    attention("returns_strings", "import numpy as np\ndef self_attention(Q, K, V):\n    return np.array([['a']])\n",
              "fail", "should hold numbers"),
    attention("nan_output", "import numpy as np\ndef self_attention(Q, K, V):\n    return np.full((len(Q), V.shape[1]), np.nan)\n",
              "fail", "has NaN at index (0, 0)"),
    attention("inf_output", "import numpy as np\ndef self_attention(Q, K, V):\n    return np.full((len(Q), V.shape[1]), np.inf)\n",
              "fail", "has inf at index (0, 0)"),
    attention("unscaled_scores", WRONG_ATTENTION, "fail", "Hint: scores look unscaled"),
    attention("mutates_input", GOOD_ATTENTION.replace("    s = Q @ K.T", "    Q /= np.sqrt(K.shape[-1])\n    s = Q @ K.T"),
              "error", "modified one of its input arrays in place"),
    attention("float32_compute", GOOD_ATTENTION.replace("    s = Q @ K.T", "    Q, K, V = (a.astype(np.float32) for a in (Q, K, V))\n    s = Q @ K.T"),
              "fail", "differs", "pass"),
    attention("random_output", "import numpy as np\ndef self_attention(Q, K, V):\n    return np.random.rand(len(Q), V.shape[1])\n",
              "fail", "differs"),
    # --- runaway code ---------------------------------------------------------------------------
    scale("infinite_loop", "def scale(xs, k):\n    while True:\n        pass\n", "error", *TIME_LIMIT),
    scale("long_c_level_call", "def scale(xs, k):\n    return [sum(range(10**10))]\n", "error", *TIME_LIMIT),
    scale("deep_recursion", "def scale(xs, k):\n    return scale(xs, k)\n", "error", "RecursionError"),
    scale("growing_list", "def scale(xs, k):\n    hog = []\n    while True:\n        hog.append(' ' * 10**7)\n",
          "error", *MEMORY),
    attention("infinite_loop", "def self_attention(Q, K, V):\n    while True:\n        pass\n", "error", *TIME_LIMIT),
    attention("long_c_level_call", "def self_attention(Q, K, V):\n    return sum(range(10**10))\n", "error", *TIME_LIMIT),
    # wasm32 NumPy (32-bit sizes) refuses 10**11 items outright: no memory is ever asked for.
    attention("memory_bomb", "import numpy as np\ndef self_attention(Q, K, V):\n    return np.ones(10**11)\n",
              "error", *MEMORY, "Maximum allowed dimension exceeded"),
    attention("deep_recursion", "def self_attention(Q, K, V):\n    return 1 + self_attention(Q, K, V)\n", "error",
              "RecursionError"),
    # --- leaving the process ----------------------------------------------------------------------
    scale("sys_exit", "import sys\ndef scale(xs, k):\n    sys.exit(0)\n", "error", "sys.exit()"),
    scale("raise_system_exit", "def scale(xs, k):\n    raise SystemExit(2)\n", "error", "sys.exit()"),
    scale("os_exit", "import os\ndef scale(xs, k):\n    os._exit(0)\n", "error", "stopped unexpectedly", "exit"),
    scale("keyboard_interrupt", "def scale(xs, k):\n    raise KeyboardInterrupt\n", "error", "KeyboardInterrupt"),
    scale("base_exception", "def scale(xs, k):\n    raise BaseException('bye')\n", "error", "BaseException: bye"),
    scale("input_call", "def scale(xs, k):\n    n = int(input('factor? '))\n    return [x * n for x in xs]\n",
          "error", "input() is not available"),
    attention("sys_exit", "import sys\ndef self_attention(Q, K, V):\n    sys.exit()\n", "error", "sys.exit()"),
    attention("keyboard_interrupt", "def self_attention(Q, K, V):\n    raise KeyboardInterrupt\n", "error",
              "KeyboardInterrupt"),
    attention("input_call", "def self_attention(Q, K, V):\n    return input()\n", "error", "input() is not available"),
    # --- output ---------------------------------------------------------------------------------
    scale("prints_megabytes", "print('x' * 5_000_000)\n" + GOOD_SCALE, "pass", stdout="output truncated"),
    scale("prints_in_a_loop", "def scale(xs, k):\n    for i in range(30_000):\n        print(i)\n"
          "    return [x * k for x in xs]\n", "pass", stdout="output truncated"),
    scale("prints_html", "print('<script>alert(1)</script><b>bold</b>')\n" + GOOD_SCALE, "pass",
          stdout="<script>alert(1)</script>"),
    attention("prints_html", "print('<img src=x onerror=alert(1)>')\n" + GOOD_ATTENTION, "pass",
              stdout="<img src=x onerror=alert(1)>"),
    # --- results that lie -------------------------------------------------------------------------
    scale("eq_lies_list_subclass", "class Yes(list):\n    def __eq__(self, other):\n        return True\n"
          "def scale(xs, k):\n    return Yes()\n", "fail", "should return a list, but it returned a Yes", *NOT_PLAIN("Yes")),
    scale("eq_lies_object", "class Yes:\n    def __eq__(self, other):\n        return True\n    def __len__(self):\n"
          "        return 2\ndef scale(xs, k):\n    return Yes()\n", "fail", "should return a list", *NOT_PLAIN("Yes")),
    attention("eq_lies_ndarray_subclass", "import numpy as np\nclass Yes(np.ndarray):\n    def __eq__(self, o):\n"
              "        return True\n    def view(self, *a):\n        return self\n"
              "def self_attention(Q, K, V):\n    return np.zeros((len(Q), V.shape[1])).view(Yes)\n", "fail", "differs"),
    attention("array_protocol_lies", "class Fake:\n    def __array__(self, *a, **k):\n        raise RuntimeError\n"
              "def self_attention(Q, K, V):\n    return Fake()\n", "fail", "should be a NumPy array, but it is a Fake", *NOT_PLAIN("Fake")),
    # --- tampering with the checks ------------------------------------------------------------------
    attention("patches_allclose", "np_ = __import__('numpy')\nnp_.allclose = lambda *a, **k: True\n"
              "np_.isclose = lambda a, b, **k: np_.ones(np_.shape(b), bool)\n" + WRONG_ATTENTION, "fail", "differs"),
    attention("patches_np_testing", "import numpy.testing as t\nt.assert_allclose = lambda *a, **k: None\n"
              "t.assert_array_almost_equal = lambda *a, **k: None\n" + WRONG_ATTENTION, "fail", "differs"),
    attention("patches_np_exp", WRONG_ATTENTION + "np.exp = lambda x: x * 0 + 1\n", "fail", "differs"),
    attention("patches_judge", "import judge\njudge.assert_close = lambda *a, **k: None\n"
              "judge._isclose = lambda a, b, **k: __import__('numpy').ones(__import__('numpy').shape(b), bool)\n"
              + WRONG_ATTENTION, "fail", "differs"),
    attention("patches_builtins", "import builtins\nbuiltins.AssertionError = ZeroDivisionError\n"
              "builtins.isinstance = lambda *a: True\n" + WRONG_ATTENTION, "fail", "differs"),
    attention("patches_test_globals_via_frames", WRONG_ATTENTION.replace(
        "    s = Q @ K.T",
        "    import sys\n    f = sys._getframe(1)\n    while f is not None:\n"
        "        f.f_globals.update(assert_close=lambda *a, **k: None, assert_shape=lambda *a, **k: None,"
        " assert_true=lambda *a, **k: None)\n        f = f.f_back\n    s = Q @ K.T"), "fail", "differs"),
    attention("patches_test_globals_via_gc", "import gc\nfor o in gc.get_objects():\n"
              "    if isinstance(o, dict) and 'test_output_shape' in o:\n        o['assert_close'] = lambda *a, **k: None\n"
              + WRONG_ATTENTION, "fail", "differs"),
    attention("patches_harness", "import sys\nfor m in list(sys.modules.values()):\n"
              "    if hasattr(m, '_verdict'):\n        m._verdict = lambda *a: 'pass'\n        m.PASS = 'fail'\n"
              + WRONG_ATTENTION, "fail", "differs"),
    scale("patches_builtins", "import builtins\nbuiltins.type = lambda x: list\nbuiltins.len = lambda x: 2\n"
          "def scale(xs, k):\n    return 'no'\n", "fail", "should return a list"),
    scale("patches_math", "import math\nmath.isfinite = lambda x: True\n"
          "def scale(xs, k):\n    return [float('nan') for x in xs]\n", "fail", "is nan"),
    # --- peeking at the hidden tests (unseen, not secret: reading works, but gains nothing here) ----
    scale("reads_tests_via_frames", "import sys, inspect\ndef scale(xs, k):\n"
          "    print(inspect.getsource(sys._getframe(1).f_code)[:40])\n    return xs\n", "fail", "got 1, expected 2"),
    scale("reads_tests_via_gc", "import gc\nfound = [o for o in gc.get_objects() if getattr(o, '__name__', '') == 'check_list']\n"
          "print('found', len(found) > 0)\ndef scale(xs, k):\n    return xs\n", "fail", "got 1, expected 2"),
    scale("uses_js_module", "try:\n    import js\n    print(str(js.location.href)[:10])\nexcept Exception as e:\n"
          "    print(type(e).__name__)\ndef scale(xs, k):\n    return xs\n", "fail", "got 1, expected 2"),
    attention("reads_reference_via_frames", WRONG_ATTENTION.replace(
        "    s = Q @ K.T", "    import sys\n    print(sorted(sys._getframe(1).f_globals)[:3])\n    s = Q @ K.T"),
        "fail", "differs"),
]

BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES), "case names must be unique per problem"


def messages(report: dict) -> str:
    parts = [report["error"]["message"]] if report.get("error") else []
    parts += [t["message"] for t in report["tests"]]
    return "\n".join(parts)


def verdict_problems(case: Case, report: dict) -> list[str]:
    """What is wrong with ``report`` as the verdict for ``case`` (empty when it is right)."""
    problems = []
    if report["status"] != case.verdict and not (case.verdict == "fail" and "pass" in case.expect
                                                 and report["status"] == "pass"):
        problems.append(f"verdict {report['status']!r}, expected {case.verdict!r}")
    text = messages(report)
    wanted = [e for e in case.expect if e != "pass"]
    if wanted and report["status"] != "pass" and not any(e in text for e in wanted):
        problems.append(f"none of {wanted} in the messages:\n{text[:2000]}")
    if case.stdout and case.stdout not in report["stdout"]:
        problems.append(f"{case.stdout!r} not in the output: {report['stdout'][:300]!r}")
    return problems
