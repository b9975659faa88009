"""The shared grading harness, natively: verdicts, messages, stdout and trimmed tracebacks."""

import json
import sys
import warnings

import numpy as np
import pytest

from staticjudge.runtime import harness
from staticjudge.runtime.judge import assert_close, assert_dtype, assert_equal, assert_shape, assert_true

TESTS = '''
import numpy as np
from judge import assert_close


def test_doubles(double):
    """Doubles a vector"""
    assert_close(double(np.array([1.0, 2.0])), np.array([2.0, 4.0]))


def test_negative(double):
    """Doubles negative numbers"""
    assert_close(double(np.array([-3.0])), np.array([-6.0]))


def test_plain_assert(double):
    assert double(np.array([0.0]))[0] == 0.0
'''

CORRECT = "import numpy as np\n\ndef double(x):\n    return 2 * x\n"


def grade(code, tests=TESTS, entries=("double",), **kwargs):
    report = harness.grade(code, tests, list(entries), **kwargs)
    json.dumps(report)  # a Report is always plain JSON data
    return report


def statuses(report):
    return [t["status"] for t in report["tests"]]


def test_correct_code_passes_every_test():
    report = grade(CORRECT)
    assert report["status"] == "pass" and report["passed"] == report["total"] == 3
    assert [t["title"] for t in report["tests"]] == ["Doubles a vector", "Doubles negative numbers", "Plain assert"]
    assert all(t["duration_ms"] >= 0 for t in report["tests"])
    assert report["error"] is None and report["stopped"] is None


def test_wrong_answer_fails_with_a_message_that_locates_the_difference():
    report = grade("def double(x):\n    return x + 1\n")
    assert statuses(report) == ["fail", "fail", "fail"] and report["status"] == "fail"
    message = report["tests"][0]["message"]
    assert "1 of 2 entries" in message and "first difference at index (1,): got 3, expected 4" in message
    assert "max abs error 1" in message and "got:      [2. 3.]" in message


def test_plain_assert_without_message_quotes_the_check():
    report = grade("def double(x):\n    return x + 1\n")
    assert report["tests"][2]["message"] == "Check failed: assert double(np.array([0.0]))[0] == 0.0"


def test_exception_in_learner_code_is_an_error_with_their_line():
    code = "def double(x):\n    y = x * 2\n    return y[10]\n"
    report = grade(code)
    first = report["tests"][0]
    assert first["status"] == "error" and "IndexError" in first["message"]
    assert first["line"] == 3
    assert 'File "solution.py", line 3, in double' in first["traceback"]
    assert "hidden_tests.py" not in first["traceback"] and "harness" not in first["traceback"]


def test_missing_entry_function():
    report = grade("def doubled(x):\n    return 2 * x\n")
    assert statuses(report) == ["error"] * 3
    assert "must define a function named `double`" in report["tests"][0]["message"]


def test_entry_that_is_not_callable():
    report = grade("double = 3\n")
    assert "`double` must be a function, but your code made it a int" in report["tests"][0]["message"]


def test_syntax_error_reports_line_and_runs_no_test():
    report = grade("def double(x)\n    return 2 * x\n")
    assert report["status"] == "error" and report["error"]["kind"] == "syntax"
    assert report["error"]["line"] == 1 and "line 1" in report["error"]["message"]
    assert all(t["message"].startswith("Not run") for t in report["tests"])


def test_mixed_tabs_and_spaces_name_the_line_say_what_to_do_and_offer_the_fix():
    report = grade("def double(x):\n    y = 2 * x\n\treturn y\n")
    error = report["error"]
    assert error["kind"] == "syntax" and error["line"] == 3 and error["fix"] == "tabs"
    assert error["message"].startswith("TabError on line 3") and "Indent with spaces only" in error["message"]
    assert grade("def double(x):\n    return 2 * x\n")["error"] is None
    assert "fix" not in grade("def double(x)\n    return 2 * x\n")["error"], "only a TabError is fixed so"


def test_exception_while_loading_names_the_line():
    report = grade("x = 1\nraise ValueError('boom')\n")
    assert report["error"]["kind"] == "exception" and report["error"]["line"] == 2
    assert "ValueError: boom" in report["error"]["message"]


def test_stdout_is_captured_and_truncated():
    report = grade("print('loading')\ndef double(x):\n    print('called', len(x))\n    return 2 * x\n")
    assert report["stdout"].startswith("loading\ncalled 2\n")
    big = grade("print('x' * 100_000)\n" + CORRECT)
    assert big["stdout_truncated"] and len(big["stdout"]) < harness.STDOUT_LIMIT + 200
    assert "output truncated" in big["stdout"] and big["status"] == "pass"


def test_output_past_the_cap_is_counted_without_a_python_call_per_print():
    code = "import sys\nfor i in range(100_000):\n    print('x' * 9)\nprint(type(sys.stdout).__name__)\n" + CORRECT
    report = grade(code)
    dropped = 1_000_000 + len("TextIOWrapper\n") - harness.STDOUT_LIMIT  # the C-level writer took over
    assert report["stdout"].endswith(f"output truncated: {dropped} more characters not shown\n")
    assert report["status"] == "pass"
    script = harness.run_script("import sys\nprint('x' * 30_000)\nsys.stdout.close()\nprint('after')\n")
    assert "closed file" in script["error"]["message"], "closing the overflow writer breaks print, as in CPython"


def test_sys_exit_input_and_recursion_give_clear_messages():
    exits = grade("import sys\ndef double(x):\n    sys.exit(3)\n")
    assert "sys.exit()" in exits["tests"][0]["message"]
    asks = grade("def double(x):\n    return float(input('n? ')) * x\n")
    assert "input() is not available" in asks["tests"][0]["message"]
    loops = grade("def double(x):\n    return double(x)\n")
    assert "RecursionError" in loops["tests"][0]["message"]


def test_in_place_edit_of_an_input_is_reported():
    report = grade("def double(x):\n    x *= 2\n    return x\n")
    assert report["tests"][0]["status"] == "error"
    assert "modified one of its input arrays in place" in report["tests"][0]["message"]


DICT_TESTS = '''
import numpy as np
from judge import assert_true


def test_grows(grow):
    """Returns a grown copy of its dict"""
    given = {"k": np.zeros(1)}
    grown = grow(given)
    assert_true(list(given) == ["k"], "the test's own dict changed")
    assert_true(sorted(grown) == ["k", "n"], f"got {sorted(grown)}")
'''


@pytest.mark.parametrize("change", ["d['n'] = 1", "d.update(n=1)", "d.setdefault('n', 1)", "del d['k']",
                                    "d.pop('k')", "d.clear()", "d |= {'n': 1}"])
def test_changing_an_input_dict_is_reported_at_the_learner_line(change):
    report = grade(f"def grow(d):\n    {change}\n    return d\n", DICT_TESTS, ["grow"])
    test = report["tests"][0]
    assert test["status"] == "error" and test["line"] == 2
    assert test["message"].startswith("Your function changed a dict it was given")
    assert "build a new dict and return it" in test["message"]


@pytest.mark.parametrize("copy", ["dict(d)", "d.copy()", "{**d}", "__import__('copy').deepcopy(d)",
                                  "__import__('copy').copy(d)"])
def test_a_copy_of_an_input_dict_can_be_changed(copy):
    report = grade(f"def grow(d):\n    new = {copy}\n    new['n'] = 1\n    return new\n", DICT_TESTS, ["grow"])
    assert report["status"] == "pass", report["tests"][0]["message"]


def test_events_stream_test_progress():
    events = []
    grade(CORRECT, on_event=events.append)
    kinds = [e["type"] for e in events]
    assert kinds == ["test_start", "test_end"] * 3
    assert events[0]["name"] == "test_doubles" and events[1]["result"]["status"] == "pass"


def test_run_script_runs_main_block_without_grading():
    result = harness.run_script("if __name__ == '__main__':\n    print('hello')\n")
    assert result == {"status": "pass", "stdout": "hello\n", "stdout_truncated": False, "error": None}
    failed = harness.run_script("print('a')\n1/0\n")
    assert failed["status"] == "error" and failed["error"]["line"] == 2 and failed["stdout"] == "a\n"


def test_json_entry_points_round_trip():
    out = json.loads(harness.grade_json(CORRECT, TESTS, json.dumps(["double"])))
    assert out["passed"] == 3


# --- judge helpers -----------------------------------------------------------------------------
def failure(fn, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_assert_close_messages():
    assert "is None: did you forget to `return`" in failure(assert_close, None, np.zeros(2))
    assert "shape (3,), expected (2,)" in failure(assert_close, np.zeros(3), np.zeros(2))
    assert "should be a NumPy array, but it is a str" in failure(assert_close, "x", np.zeros(2))
    nan = failure(assert_close, np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert "NaN at index (1,)" in nan and "subtract the row max" in nan
    assert "inf at index (0,)" in failure(assert_close, np.array([np.inf]), np.array([1.0]))
    hinted = failure(assert_close, np.array([2.0]), np.array([1.0]), mistakes={"forgot to halve": np.array([2.0])})
    assert hinted.endswith("Hint: forgot to halve")
    lazy = failure(assert_close, np.array([2.0]), np.array([1.0]), mistakes=lambda: {"lazy hint": np.array([2.0])})
    assert lazy.endswith("Hint: lazy hint")
    assert_close(np.array([1.0, 2.0], dtype=np.float32), np.array([1.0, 2.0]))  # float32 accepted


def test_assert_close_says_the_tolerance_it_used():
    expected = np.array([1.0, 2.0])
    assert "; allowed: |got − expected| ≤ 1e-06 + 1e-06·|expected|" in failure(assert_close, expected + 1e-3, expected)
    loose = failure(assert_close, expected + 1e-3, expected, rtol=1e-4, atol=1e-5)
    assert "max abs error 0.001; allowed: |got − expected| ≤ 1e-05 + 0.0001·|expected|" in loose
    assert "allowed: |got − expected| ≤ 1e-09\n" in failure(assert_close, expected + 1e-3, expected, rtol=0, atol=1e-9)
    assert "allowed: none (the values must be identical)" in failure(assert_close, expected + 1e-3, expected,
                                                                   rtol=0, atol=0)


ROUNDED = np.random.default_rng(3).standard_normal((4, 5))


@pytest.mark.parametrize("decimals", [1, 2, 4, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rounded_values_get_a_hint_to_return_them_unrounded(decimals, dtype):
    got = np.round(ROUNDED.astype(dtype), decimals)
    plural = "s" if decimals > 1 else ""
    assert failure(assert_close, got, ROUNDED).endswith(
        f"Hint: your values look rounded to {decimals} decimal{plural}: return them unrounded")


@pytest.mark.parametrize("wrong", [
    ROUNDED + 3e-5,  # unrounded and a little off
    ROUNDED[::-1],  # unrounded and far off
    np.round(ROUNDED),  # integers: nothing says the learner rounded
    np.round(ROUNDED, 1) + 0.5,  # round, but further from the reference than rounding explains
])
def test_the_rounding_hint_does_not_fire_for_an_unrounded_or_far_wrong_answer(wrong):
    message = failure(assert_close, wrong, ROUNDED)
    assert "differs from the expected values" in message and "Hint:" not in message


def test_the_rounding_hint_needs_an_unrounded_reference():
    expected = np.array([0.25, 0.5, 1.75])  # already a multiple of 0.01: rounding cannot be the cause
    assert "Hint:" not in failure(assert_close, expected + 0.01, expected)


def test_a_known_mistake_hint_wins_over_the_rounding_hint():
    got = np.round(ROUNDED, 3)
    assert failure(assert_close, got, ROUNDED, mistakes={"halve it": got}).endswith("Hint: halve it")


def test_assert_dtype_names_both_dtypes_and_the_fix():
    assert_dtype(np.zeros(2), np.float64)
    message = failure(assert_dtype, np.zeros(2, dtype=np.float32), np.float64)
    assert message == ("your result is float32; the statement asks for float64: convert the inputs with "
                       "np.asarray(x, dtype=np.float64)")
    assert failure(assert_dtype, np.zeros(2, dtype=np.float32), np.float64, name="dK").startswith("dK is float32;")
    assert "should be a NumPy array, but it is a list" in failure(assert_dtype, [0.0], np.float64)
    assert "is None" in failure(assert_dtype, None, np.float64)


def test_assert_dtype_names_the_arguments_it_was_told():
    half = np.zeros(2, dtype=np.float32)
    assert failure(assert_dtype, half, np.float64, inputs={"Q": half, "K": half, "V": half}).endswith(
        "convert the inputs first: Q = np.asarray(Q, dtype=np.float64) (and K, V the same way)")
    mask = np.ones((2, 2), dtype=bool)  # a boolean mask is no input to convert
    assert failure(assert_dtype, half, np.float64, inputs={"Q": half, "mask": mask}).endswith(
        "convert the inputs first: Q = np.asarray(Q, dtype=np.float64)")
    assert failure(assert_dtype, np.zeros(2, dtype=np.int64), np.float64, inputs={"T": 4, "d": 6}).endswith(
        "T, d are integers, so make the arrays you build from them float64: e.g. np.arange(T, dtype=np.float64)")


POSITIONS_TESTS = '''
import numpy as np
from judge import assert_dtype


def test_float64(encode):
    """Returns float64"""
    T, d = 4, 6
    assert_dtype(encode(T, d), np.float64)


def test_float64_for_float32(scale):
    """Returns float64 for float32 inputs"""
    x = np.ones((2, 3), dtype=np.float32)
    assert_dtype(scale(x, 2.0), np.float64)
'''


def test_assert_dtype_names_the_learners_own_arguments_in_a_graded_run():
    """Inputs that are the integers `T, d` get no advice to convert them with np.asarray."""
    code = ("import numpy as np\n\ndef encode(T, d):\n    return np.arange(T * d).reshape(T, d)\n\n"
            "def scale(x, factor):\n    return x * np.float32(factor)\n")
    report = grade(code, POSITIONS_TESTS, ("encode", "scale"))
    integers, arrays = (t["message"] for t in report["tests"])
    assert integers == ("your result is int64; the statement asks for float64: T, d are integers, so make the "
                        "arrays you build from them float64: e.g. np.arange(T, dtype=np.float64)")
    assert "np.asarray(x" not in integers
    assert arrays.endswith(": convert the inputs first: x = np.asarray(x, dtype=np.float64)")  # not `factor`, a number


SPECIAL = [0.0, 1.0, -1.0, 1e-7, 1e300, -1e300, 1.7e308, np.inf, -np.inf, np.nan]


def test_assert_close_decides_as_isclose_does_even_on_nan_and_inf():
    # The passing case is decided by a quick check; the verdict must be np.isclose's (with NaN
    # matching NaN), plus "no inf/NaN where a finite value was expected", on every pairing.
    rng = np.random.default_rng(7)
    cases = [(np.array([g]), np.array([e])) for g in SPECIAL for e in SPECIAL]
    cases += [(np.array([1.0, np.inf]), np.array([1.0 + 1e-7, 5.0])),  # inf got, finite expected
              (np.array([3.0]), np.array([np.inf])),  # finite got, inf expected: |diff| <= inf is a trap
              (np.array([1.0 + 2e-6]), np.array([1.0])), (np.array([1.0 + 1e-6]), np.array([1.0]))]
    for _ in range(200):
        expected = rng.choice(SPECIAL, size=4) * rng.choice([1.0, 1.0 + 1e-7, 1.0 + 1e-3], size=4)
        cases.append((expected * rng.choice([1.0, 1.0 + 1e-7, 1.0 + 1e-5], size=4), expected))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would reach the learner's output
        for got, expected in cases:
            wanted = bool(np.isclose(got, expected, rtol=1e-6, atol=1e-6, equal_nan=True).all()
                          and not (~np.isfinite(got) & np.isfinite(expected)).any())
            try:
                assert_close(got, expected)
                passed = True
            except AssertionError:
                passed = False
            assert passed == wanted, (got, expected)


def test_assert_true_builds_a_message_function_only_on_failure():
    calls = []
    assert_true(True, lambda: calls.append("built") or "never shown")
    assert calls == []
    assert failure(assert_true, False, lambda: "built on failure") == "built on failure"
    assert failure(assert_true, False, "plain text") == "plain text"


def test_assert_close_ignores_lying_subclasses():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    liar = np.zeros(2).view(Liar)
    assert "differs" in failure(assert_close, liar, np.ones(2))


def test_assert_equal_and_shape():
    assert "dtype float64, expected bool" in failure(assert_equal, np.ones(2), np.ones(2, bool), dtype_kind="b")
    assert "first at index (1,)" in failure(assert_equal, np.array([1, 0]), np.array([1, 1]))
    upper = np.triu(np.ones((3, 3), bool))
    hinted = failure(assert_equal, upper, np.tril(np.ones((3, 3), bool)), mistakes={"transposed mask": upper})
    assert hinted.endswith("Hint: transposed mask")
    assert "shape (2,), expected (3,)" in failure(assert_shape, np.ones(2), (3,))


# --- integrity: tampering with what grading relies on changes nothing ----------------------------
@pytest.mark.parametrize("patch", [
    "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones(np.shape(b), bool)",
    "import judge\njudge.assert_close = lambda *a, **k: None\njudge._isclose = lambda a, b, **k: np.ones(np.shape(b), bool)",
    "import builtins\nbuiltins.AssertionError = KeyError",
    "import gc\nfor o in gc.get_objects():\n    if isinstance(o, dict) and 'test_doubles' in o:\n        o['assert_close'] = lambda *a, **k: None",
    # A replacement that claims to equal whatever it is compared with (the check uses identity).
    "import judge\nclass Same:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
    "    def __call__(self, *a, **k):\n        return None\njudge.assert_close = Same()",
    # Same keys in the same order, two values swapped: only the identities differ.
    "import judge\nspace = vars(judge)\nitems = list(space.items())\nnames = [k for k, _ in items]\n"
    "a, b = names.index('assert_close'), names.index('assert_true')\nitems[a], items[b] = (items[a][0], items[b][1]), (items[b][0], items[a][1])\n"
    "space.clear()\nspace.update(items)",
])
def test_patching_at_load_time_does_not_change_the_verdict(patch):
    code = "import numpy as np\n" + patch + "\ndef double(x):\n    return x + 1\n"
    report = grade(code)
    assert report["status"] == "fail" and report["passed"] == 0, report


def test_patching_from_inside_a_call_through_frames_does_not_change_the_verdict():
    code = '''import sys
import numpy as np

def double(x):
    frame = sys._getframe(1)
    while frame is not None:
        if "assert_close" in frame.f_globals:
            frame.f_globals["assert_close"] = lambda *a, **k: None
        frame = frame.f_back
    np.asarray = lambda *a, **k: np.array([2.0, 4.0])
    return x + 1
'''
    report = grade(code)
    assert report["status"] == "fail" and report["passed"] == 0, report


def test_restore_undoes_a_key_moved_between_namespaces():
    # Moving the last key of one namespace to the front of the next keeps the joined sequence of
    # keys and of values as it was; the sizes of the namespaces tell.
    first, second = {"a": 1, "moved": 2}, {"b": 3}
    snapshot = harness.Snapshot([first, second])
    del first["moved"]
    rebuilt = {"moved": 2, **second}
    second.clear()
    second.update(rebuilt)
    snapshot.restore()
    assert (first, list(second)) == ({"a": 1, "moved": 2}, ["b"])


def test_lazy_numpy_submodules_still_work_after_restoring():
    tests = TESTS + '''

def test_random(double):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3)
    assert_close(double(x), 2 * x)
'''
    assert grade(CORRECT, tests)["status"] == "pass"


def test_time_up_ends_the_whole_run_instead_of_counting_as_the_learners_error():
    """The browser worker raises TimeUp through a SIGINT handler at the deadline; here a timer does."""
    import signal
    previous = signal.signal(signal.SIGALRM, harness.raise_time_up)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(harness.TimeUp):
            grade("def double(x):\n    while True:\n        try:\n            pass\n        except Exception:\n            pass\n")
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(harness.TimeUp):
            harness.run_script("while True:\n    pass\n")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert sys.stdout is sys.__stdout__ or not isinstance(sys.stdout, harness.CappedOutput), "output restored"
    assert grade("def double(x):\n    return 2 * x\n")["status"] == "pass", "the interpreter is usable after"
