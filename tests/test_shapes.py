"""Shapes on every line (staticjudge/runtime/shapes.py, harness.trace_shapes): what the tracer records, in
one process (as in the browser) and with the learner's code in its own process (as `grade` runs
it), and that ordinary grading never traces."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from staticjudge.runtime import harness
from staticjudge.grading.runner import run_in_child
from staticjudge.grading.isolated import checked_observations
from staticjudge.runtime.shapes import MAX_OPERANDS, ShapeTracer, binding_lines, describe, entry_text, raised_text

from conftest import BASE_SLUG, ROOT

TESTS = '''
import numpy as np


def _inputs(*shape):
    return np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 10


def test_one(attend):
    """One sequence"""
    Q = _inputs(4, 3)
    helper_in_tests = Q * 2
    attend(Q, Q, Q)


def test_batch(attend):
    """A batch"""
    Q = _inputs(2, 4, 3)
    attend(Q, Q, Q)
'''

CODE = '''import numpy as np


def scale(x):
    factor = np.sqrt(x.shape[-1])
    return x / factor


def attend(Q, K, V):
    T, d = Q.shape
    scores = scale(Q @ K.T)
    rows = []
    for i in range(T):
        row = scores[i]
        rows.append(row)
    def softmax(s):
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    weights = softmax(scores)
    return weights @ V
'''


def line(code: str, needle: str) -> int:
    return next(n for n, text in enumerate(code.splitlines(), 1) if needle in text)


def by_line(result: dict) -> dict:
    return {(e["line"], e["name"]): (e["first"], e["last"], e["passes"]) for e in result["lines"]}


@pytest.fixture(params=["one process", "isolated"])
def shapes(request):
    """trace_shapes as the browser runs it (one process) and as `grade --shapes` runs it."""
    def run(code, tests=TESTS, entries=("attend",), test=None, time_limit=5.0):
        if request.param == "one process":
            return harness.trace_shapes(code, tests, list(entries), test=test, time_limit=time_limit)
        return run_in_child(code, tests, list(entries), time_limit, [], mode="shapes", test=test)
    return run


def test_records_what_the_learners_lines_assign_and_nothing_of_the_tests(shapes):
    result = shapes(CODE, test="test_one")
    assert result["test"] == {"name": "test_one", "title": "One sequence", "status": "pass", "message": "",
                              "line": None}
    seen = by_line(result)
    Q = np.arange(12, dtype=np.float64).reshape(4, 3) / 10
    scores = Q @ Q.T / np.sqrt(3)
    assert seen[(line(CODE, "T, d ="), "T")] == ("int 4", "int 4", 1)
    assert seen[(line(CODE, "T, d ="), "d")] == ("int 3", "int 3", 1)
    assert seen[(line(CODE, "scores ="), "scores")] == (f"{scores.shape} {scores.dtype}",) * 2 + (1,)
    assert seen[(line(CODE, "factor ="), "factor")] == ("float64 scalar", "float64 scalar", 1)
    assert seen[(line(CODE, "rows = []"), "rows")] == ("list[0]", "list[0]", 1)
    assert seen[(line(CODE, "weights ="), "weights")] == ("(4, 4) float64", "(4, 4) float64", 1)
    names = {name for _line, name in seen}
    assert "helper_in_tests" not in names and "got" not in names  # the tests' and judge's lines: untraced
    assert all(1 <= e["line"] <= len(CODE.splitlines()) for e in result["lines"])


def test_loops_keep_the_first_and_last_pass_and_count_them(shapes):
    seen = by_line(shapes(CODE, test="test_one"))
    assert seen[(line(CODE, "for i in"), "i")] == ("int 0", "int 3", 4)  # 4 passes, not 5: the loop's end binds nothing
    assert seen[(line(CODE, "row = scores[i]"), "row")] == ("(4,) float64", "(4,) float64", 4)
    assert entry_text({"name": "i", "first": "int 0", "last": "int 3", "passes": 4}) == "i int 0 → int 3 ×4"


def test_nested_functions_are_traced_too(shapes):
    seen = by_line(shapes(CODE, test="test_one"))
    assert seen[(line(CODE, "e = np.exp"), "e")] == ("(4, 4) float64", "(4, 4) float64", 1)


def test_the_first_failing_test_is_chosen_and_an_error_keeps_the_lines_before_it(shapes):
    result = shapes(CODE)  # test_one passes; test_batch raises on `T, d = Q.shape`
    assert result["test"]["name"] == "test_batch" and result["test"]["status"] == "error"
    assert result["test"]["line"] == line(CODE, "T, d =")
    assert "too many values to unpack" in result["test"]["message"]
    # nothing ran to its end before that line: the parameters of the call, on its def line, only
    assert by_line(result) == {(line(CODE, "def attend"), name): ("(2, 4, 3) float64", "(2, 4, 3) float64", 1)
                               for name in "QKV"}
    assert result["raised"] == [{"line": line(CODE, "T, d ="), "error": "ValueError", "times": 1,
                                 "operands": [{"name": "Q.shape", "value": "tuple (2, 4, 3)"}]}]

    later = CODE.replace("    T, d = Q.shape\n", "    T = Q.shape[-2]\n    d = Q.shape[-1]\n")
    result = shapes(later)
    seen = by_line(result)
    assert seen[(line(later, "T = Q.shape"), "T")] == ("int 4", "int 4", 1)
    assert seen[(line(later, "d = Q.shape"), "d")] == ("int 3", "int 3", 1)
    assert (line(later, "scores ="), "scores") not in seen  # K.T of a batch: the matmul raised there
    assert result["test"]["line"] == line(later, "scores =")
    assert "matmul" in result["test"]["message"]
    assert {"line": line(later, "scores ="), "error": "ValueError", "times": 1,  # scale(): a call, not read
            "operands": [{"name": "Q", "value": "(2, 4, 3) float64"}, {"name": "K.T", "value": "(3, 4, 2) float64"}],
            } in result["raised"]


RETRIES = TESTS + '''

def test_retries_one_sequence(attend):
    """Retries one sequence after a batch fails, as assert_batched does"""
    try:
        attend(_inputs(2, 4, 3), _inputs(2, 4, 3), _inputs(2, 4, 3))
    except ValueError:
        attend(_inputs(4, 3), _inputs(4, 3), _inputs(4, 3))
        raise AssertionError("correct for one sequence, not for a batch")


def test_calls_twice(attend):
    """Calls twice"""
    attend(_inputs(4, 3), _inputs(4, 3), _inputs(4, 3))
    attend(_inputs(5, 3), _inputs(5, 3), _inputs(5, 3))
    assert False, "fails anyway"
'''


def test_of_several_calls_the_first_that_raised_is_shown(shapes):
    result = shapes(CODE, tests=RETRIES, test="test_retries_one_sequence")
    assert result["test"]["status"] == "fail" and (result["calls"], result["call"]) == (2, 1)
    # the batch call raised on its first line; the retry is not mixed in
    assert {entry["first"] for entry in result["lines"]} == {"(2, 4, 3) float64"}
    assert result["raised"] == [{"line": line(CODE, "T, d ="), "error": "ValueError", "times": 1,
                                 "operands": [{"name": "Q.shape", "value": "tuple (2, 4, 3)"}]}]


def test_calls_that_all_return_are_shown_together(shapes):
    result = shapes(CODE, tests=RETRIES, test="test_calls_twice")
    assert (result["calls"], result["call"]) == (2, None)
    seen = by_line(result)
    assert seen[(line(CODE, "scores ="), "scores")] == ("(4, 4) float64", "(5, 5) float64", 2)
    assert seen[(line(CODE, "for i in"), "i")] == ("int 0", "int 4", 9)


def test_an_endless_loop_stops_at_the_time_limit_with_what_was_seen(shapes):
    endless = CODE.replace("    rows = []\n", "    rows = []\n    while True:\n        T = T + 1\n")
    started = time.monotonic()
    result = shapes(endless, test="test_one", time_limit=1.0)
    assert time.monotonic() - started < 5
    assert result["stopped"] == "timeout"
    assert result["test"]["status"] == "error" and "time limit" in result["test"]["message"]
    seen = by_line(result)
    assert seen[(line(endless, "scores ="), "scores")] == ("(4, 4) float64", "(4, 4) float64", 1)
    first, last, passes = seen[(line(endless, "T = T + 1"), "T")]
    assert first == "int 5" and passes > 100 and last == f"int {4 + passes}"


def test_a_test_that_never_ends_is_the_one_shown_stopped_by_the_tracer(shapes):
    """No test named: the tests run traced until one does not pass, so one that never ends is
    stopped by the tracer at the limit (and not by a kill that would lose what was seen)."""
    endless = CODE.replace("    rows = []\n", "    rows = []\n    while Q.ndim == 3:\n        T = T + 1\n") \
        .replace("    T, d = Q.shape\n", "    T, d = Q.shape[-2:]\n").replace("K.T", "np.swapaxes(K, -1, -2)")
    result = shapes(endless, time_limit=1.0)
    assert result["test"]["name"] == "test_batch" and result["stopped"] == "timeout"
    assert by_line(result)[(line(endless, "scores ="), "scores")][0] == "(2, 4, 4) float64"


def test_a_named_test_that_does_not_exist_is_an_error(shapes):
    result = shapes(CODE, test="test_nope")
    assert result["test"] is None and result["lines"] == []
    assert result["error"]["kind"] == "test" and "test_one, test_batch" in result["error"]["message"]


def test_code_that_does_not_load_gives_its_load_error(shapes):
    result = shapes("def attend(Q, K, V)\n    return Q\n")
    assert result["test"] is None and result["error"]["kind"] == "syntax" and result["error"]["line"] == 1


BATCHED = """import numpy as np


def attend(Q, K, V):
    scores = Q @ K.T / np.sqrt(Q.shape[-1])
    return scores @ V
"""

BATCH_TESTS = """
import numpy as np


def test_batch(attend):
    \"\"\"A batch\"\"\"
    Q = np.ones((3, 4, 5))
    attend(Q, Q, np.ones((3, 4, 2), dtype=np.float32))
"""


def operands(result, needle, code) -> list[str]:
    entry = next(e for e in result["raised"] if e["line"] == line(code, needle))
    return [f"{o['name']} {o['value']}" for o in entry["operands"]]


def test_a_line_that_raised_shows_the_shapes_of_its_operands(shapes):
    result = shapes(BATCHED, tests=BATCH_TESTS)
    assert result["test"]["status"] == "error" and "matmul" in result["test"]["message"]
    assert operands(result, "scores =", BATCHED) == ["Q (3, 4, 5) float64", "K.T (5, 4, 3) float64",
                                                      "Q.shape[-1] int 5"]  # not np: a module
    entry = result["raised"][0]
    assert raised_text(entry) == "Q (3, 4, 5) float64 · K.T (5, 4, 3) float64 · Q.shape[-1] int 5 → raised ValueError"
    # The parameters at entry, on the def line.
    assert by_line(result) == {(4, "Q"): ("(3, 4, 5) float64",) * 2 + (1,), (4, "K"): ("(3, 4, 5) float64",) * 2 + (1,),
                               (4, "V"): ("(3, 4, 2) float32",) * 2 + (1,)}


SUBSCRIPTS = """import numpy as np


def pick(x, rows, i):
    head = x[0]
    for n in range(i + 2):
        row = x[rows][n, :, None]
    return head


def swap(x, y):
    return x.mT @ y[..., ::2] + x.ndim
"""

SUBSCRIPT_TESTS = """
import numpy as np


def test_pick(pick):
    \"\"\"Pick\"\"\"
    pick(np.zeros((3, 2)), np.array([2, 0]), np.int64(1))


def test_swap(swap):
    \"\"\"Swap\"\"\"
    swap(np.zeros((2, 3, 4)), np.zeros((2, 4, 5)))
"""


def test_subscripts_are_read_and_an_unreadable_one_shows_its_parts(shapes):
    result = shapes(SUBSCRIPTS, tests=SUBSCRIPT_TESTS, entries=("pick", "swap"), test="test_pick")
    # x[rows] is (2, 2): [n, :, None] reads for n = 0, 1 and fails for n = 2: shown by its parts
    assert operands(result, "row = x[rows]", SUBSCRIPTS) == ["x[rows] (2, 2) float64", "n int 2"]
    assert raised_text(result["raised"][0]).endswith("→ raised IndexError")
    assert by_line(result)[(line(SUBSCRIPTS, "row = x"), "row")] == ("(2, 1) float64", "(2, 1) float64", 2)
    assert by_line(result)[(line(SUBSCRIPTS, "def pick"), "i")] == ("int64 scalar", "int64 scalar", 1)

    result = shapes(SUBSCRIPTS, tests=SUBSCRIPT_TESTS, entries=("pick", "swap"), test="test_swap")
    assert operands(result, "return x.mT", SUBSCRIPTS) == [
        "x.mT (2, 4, 3) float64", "y[..., ::2] (2, 4, 3) float64", "x.ndim int 3"]


SNEAKY = """import numpy as np

log = []


class Meta(type):
    def __hash__(cls):
        log.append("Meta.__hash__")
        return 1

    def __eq__(cls, other):
        log.append("Meta.__eq__")
        return False


class Index(metaclass=Meta):
    def __index__(self):
        log.append("__index__")
        return 0


class Sneaky(np.ndarray):
    def __array_finalize__(self, obj):
        log.append("__array_finalize__")

    def __getitem__(self, key):
        log.append("Sneaky.__getitem__")
        return np.ndarray.__getitem__(self, key)

    @property
    def T(self):
        log.append("Sneaky.T")
        return np.zeros(1)

    @property
    def shape(self):
        log.append("Sneaky.shape")
        return (99,)


class Lazy:
    def __getattr__(self, name):
        log.append(f"__getattr__ {name}")
        raise AttributeError(name)

    def __array__(self, *args, **kwargs):
        log.append("__array__")
        return np.zeros(3)

    def __len__(self):
        log.append("__len__")
        return 3

    @property
    def shape(self):
        log.append("Lazy.shape")
        return (3,)


def boom():
    raise ValueError("raised before anything else on its line ran")


def touch(x, report=False):
    if report:
        return list(log)
    s = np.asarray(x).view(Sneaky)
    i, lazy = Index(), Lazy()
    log.clear()
    y = boom() + s.T + s.shape[0] + s[i] + s[1:2] + lazy.shape + lazy.T + lazy[0] + s[s.shape[0] - 1]
    return y
"""

SNEAKY_TESTS = """
def test_nothing_ran(touch):
    \"\"\"The tracer ran nothing of the learner's\"\"\"
    try:
        touch([1.0, 2.0, 3.0])
    except ValueError:
        pass
    ran = touch(None, True)
    assert ran == [], ran
"""


def test_operands_are_read_without_running_anything_of_the_learners(shapes):
    """Properties, __getattr__, __array__, __index__, __array_finalize__, __getitem__, __len__, a
    metaclass's __hash__: none of them runs to read a line's operands (the tests check the log)."""
    result = shapes(SNEAKY, tests=SNEAKY_TESTS, entries=("touch",))
    assert result["test"]["status"] == "pass", result["test"]
    shown = operands(result, "y = boom()", SNEAKY)
    # read through ndarray itself: the real shape, not the properties' (99,) or zeros(1)
    assert shown[:3] == ["s.T (3,) float64", "s.shape[0] int 3", "s (3,) float64"]
    assert "i Index" in shown and "lazy Lazy" in shown  # not read through: shown by their type
    assert "s[1:2] (1,) float64" in shown
    assert not any(text.startswith(("boom", "lazy.", "s[i]")) for text in shown)
    # …whereas the same line run for real does call them (the check above could fail)
    ns = {}
    exec(compile(SNEAKY.replace("boom() + ", ""), "elsewhere.py", "exec"), ns)
    with pytest.raises(AttributeError):
        ns["touch"]([1.0, 2.0, 3.0])
    assert ns["log"][:2] == ["Sneaky.T", "Sneaky.shape"]


def test_operands_have_a_limit_and_skip_calls_lambdas_and_comprehensions():
    code = ("def f(a, b, c, d, e, g, h, j, k, m, n, p, q, r, t, u):\n"
            "    return len(a) + (lambda z: z + b)(c) + [x for x in d if x > e] + g + h + j + k + m + n + p + q + r + t + u\n")
    tracer = ShapeTracer(code)
    ns = {}
    exec(compile(code, "solution.py", "exec"), ns)
    tracer.start(5.0)
    with pytest.raises(TypeError):
        ns["f"](*range(16))
    raised = tracer.stop()["raised"]
    names = [o["name"] for o in raised[0]["operands"]]
    # len: called, not an operand; b and z: inside a lambda; x and e: inside the comprehension
    assert names == ["a", "c", "d", "g", "h", "j", "k", "m", "n", "p", "q", "r"]
    assert len(names) == MAX_OPERANDS


def test_the_learners_process_operands_are_checked():
    """What the learner's process sends is checked: operands bounded in number and length, wrong ones dropped."""
    good = {"name": "K.T" * 100, "value": "(5, 4, 3) float64" * 20}
    seen = {"raised": [{"line": 3, "error": "ValueError", "times": 1,
                        "operands": [good, {"name": 1, "value": "x"}, "junk"] + [good] * 40},
                       {"line": 4, "error": "ValueError", "times": 1, "operands": "junk"}]}
    raised = checked_observations(seen)["raised"]
    assert len(raised[0]["operands"]) == MAX_OPERANDS - 2
    assert all(len(o["name"]) <= 80 and len(o["value"]) <= 120 for o in raised[0]["operands"])
    assert raised[1]["operands"] == []


def test_ordinary_grading_installs_no_tracer():
    """Zero cost: `grade` never traces; a learner function sees no trace function at all."""
    code = "import sys\n\ndef attend(Q, K, V):\n    assert sys.gettrace() is None, 'traced'\n    return Q\n"
    tests = "def test_untraced(attend):\n    attend(1, 2, 3)\n"
    assert harness.grade(code, tests, ["attend"])["tests"][0]["status"] == "pass"
    report = run_in_child(code, tests, ["attend"], 5.0, [("test_untraced", "")])
    assert report["tests"][0]["status"] == "pass", report
    # …whereas under trace_shapes it does (the check above could fail)
    assert harness.trace_shapes(code, tests, ["attend"])["test"]["status"] == "error"


def test_grade_does_not_import_the_tracer():
    done = subprocess.run([sys.executable, "-c", "import sys\nfrom staticjudge.runtime import harness\n"
                           "harness.grade('def f(x):\\n    return x\\n', 'def test_a(f):\\n    f(1)\\n', ['f'])\n"
                           "print('staticjudge.runtime.shapes' in sys.modules)"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_plain_python_values_get_short_descriptions():
    assert describe([[1, 2, 3], [4, 5, 6]]) == "list[2][3]"
    assert describe([1, "a"]) == "list[2]"
    assert describe((2, 6, 6)) == "tuple (2, 6, 6)"
    assert describe(("a", 1)) == "tuple[2]"
    assert describe([np.zeros((2, 3))] * 4) == "list[4] of (2, 3) float64"
    assert describe(3) == "int 3" and describe(0.125) == "float 0.125" and describe(True) == "True"
    assert describe({"k": 1}) == "dict[1]" and describe("abc") == "str[3]" and describe(None) == "None"
    assert describe(np.float32(1)) == "float32 scalar"
    assert describe(np.zeros((2, 0), dtype=np.int8)) == "(2, 0) int8"

    class Sneaky(np.ndarray):
        @property
        def shape(self):
            raise RuntimeError("learner code ran")

    assert describe(np.zeros((3,)).view(Sneaky)) == "(3,) float64"  # read through ndarray itself

    class Disguised:
        @property
        def __class__(self):
            raise RuntimeError("learner code ran")

    assert describe(Disguised()) == "Disguised"  # its type's name, read without running its code


def test_binding_lines_reads_targets_from_the_source():
    found = binding_lines("a, (b, *c) = x\nout[i][j] = 1\nx.y = 2\nif (n := 3):\n    pass\n"
                          "for k, v in d:\n    pass\nwith f() as g:\n    pass\nz += 1\nw: int\n")
    assert {line: s.names for line, s in found.items()} == {
        1: ("a", "b", "c"), 2: ("out",), 4: ("n",), 6: ("k", "v"), 8: ("g",), 10: ("z",)}


def test_the_tracer_restores_a_trace_function_that_was_there():
    def outer(*_args):
        return None

    sys.settrace(outer)
    try:
        tracer = ShapeTracer("x = 1\n")
        tracer.start(1.0)
        assert sys.gettrace() is not outer
        tracer.stop()
        assert sys.gettrace() is outer
    finally:
        sys.settrace(None)


def run_cli(project, *args):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(project), *args],
                          capture_output=True, text=True, timeout=120)


WRONG_AXIS = """import numpy as np


def self_attention(Q, K, V):
    d_k = K.shape[-1]
    scores = Q @ K.T / np.sqrt(d_k)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=0, keepdims=True)
    return weights @ V
"""


def test_cli_grade_shapes_prints_the_code_with_shapes(project, tmp_path):
    answer = tmp_path / "answer.py"
    answer.write_text(WRONG_AXIS)
    done = run_cli(project, "grade", BASE_SLUG, str(answer), "--shapes")
    assert done.returncode == 1, done.stdout + done.stderr
    shown = done.stdout.split("--- shapes per line")[1]
    first_failing = next(t for t in json.loads(run_cli(project, "grade", BASE_SLUG, str(answer), "--json").stdout)
                         ["tests"] if t["status"] != "pass")
    assert f"({first_failing['name']})" in shown.splitlines()[0]
    scores_line = next(text for text in shown.splitlines() if "scores = Q @ K.T" in text)
    assert "# scores (" in scores_line and "float64" in scores_line
    assert "   4 | def self_attention(Q, K, V):" in shown
    assert "it called your code" not in shown  # no call raised: every call's shapes, together


def test_cli_grade_shapes_json_and_a_named_test(project, tmp_path):
    answer = tmp_path / "answer.py"
    answer.write_text(WRONG_AXIS)
    report = json.loads(run_cli(project, "grade", BASE_SLUG, str(answer), "--json", "--test", "test_output_shape").stdout)
    assert report["shapes"]["test"]["name"] == "test_output_shape"
    lines = {(e["line"], e["name"]): e for e in report["shapes"]["lines"]}
    assert lines[(5, "d_k")]["first"].startswith("int ")
    assert lines[(6, "scores")]["first"].endswith(" float64")
    done = run_cli(project, "grade", BASE_SLUG, str(answer), "--test", "test_nope")
    assert done.returncode == 2 and "No hidden test is named 'test_nope'" in done.stderr


BATCH_MISTAKE = """import numpy as np


def masked_attention(Q, K, V, mask):
    scores = Q @ K.T / np.sqrt(K.shape[-1]) + mask
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ V
"""


def test_cli_grade_shapes_shows_the_operands_of_the_line_that_raised(project, tmp_path):
    for folder in ("problems", "hidden_tests"):
        name = "masked_attention" + (".md" if folder == "problems" else ".py")
        (project / folder / name).write_text((ROOT / folder / name).read_text())
    answer = tmp_path / "answer.py"
    answer.write_text(BATCH_MISTAKE)
    done = run_cli(project, "grade", "masked_attention", str(answer), "--shapes")
    assert done.returncode == 1, done.stdout + done.stderr
    shown = done.stdout.split("--- shapes per line")[1].splitlines()
    assert "(test_batches)" in shown[0]
    raised = next(text for text in shown if "scores = Q @ K.T" in text)
    assert raised.endswith("# Q (3, 4, 5) float64 · K.T (5, 4, 3) float64 · K.shape[-1] int 5"
                           " · mask (4, 4) float64 → raised ValueError"), raised
    header = next(text for text in shown if "def masked_attention" in text)
    assert header.endswith("# Q (3, 4, 5) float64 · K (3, 4, 5) float64 · V (3, 4, 2) float64 · mask (4, 4) float64")
