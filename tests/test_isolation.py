"""Native grading runs the learner's code in a confined process of its own: attacks that beat
the in-process harness (the browser's) get a failing grade here.

Each attack is first shown to *pass* with ``separate_learner=False`` (one process, as in the browser),
so the test proves isolation is what stops it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from staticjudge.grading import sandbox, wire
from staticjudge.content.parser import parse_problem
from staticjudge.grading import grade as grade_problem

from conftest import ROOT

PROBLEM = parse_problem(ROOT / "problems" / "self_attention.md", ROOT / "hidden_tests")
TITLES = [(t.name, t.title) for t in PROBLEM.tests]
# Uniform attention: wrong, yet each output row is still a weighted average of V's rows, so only
# the value comparisons (which the attacks below defeat in one process) can tell.
WRONG = "import numpy as np\n\ndef _wrong(Q, K, V):\n    return np.tile(np.mean(V, axis=0, dtype=np.float64), (len(Q), 1))\n"


def grade(code, separate_learner=True, problem=PROBLEM):
    return grade_problem(problem, code, separate_learner=separate_learner)


ATTACKS = {
    # the hidden tests' module holds `reference`: find it by walking up the frames
    "frames": WRONG + """
import sys
def self_attention(Q, K, V):
    f = sys._getframe(1)
    while f is not None:
        if callable(f.f_globals.get("reference")):
            return f.f_globals["reference"](Q, K, V)
        f = f.f_back
    return _wrong(Q, K, V)
""",
    "inspect_stack": WRONG + """
import inspect
def self_attention(Q, K, V):
    for info in inspect.stack():
        ref = info.frame.f_globals.get("reference")
        if callable(ref):
            return ref(Q, K, V)
    return _wrong(Q, K, V)
""",
    # read the hidden tests from disk and run their reference
    "reads_files": WRONG + f"""
import os
ROOTS = [{str(ROOT)!r}, os.getcwd()]
def _reference():
    for root in ROOTS:
        try:
            with open(os.path.join(root, "hidden_tests", "self_attention.py")) as f:
                source = f.read()
        except OSError:
            continue
        scope = {{}}
        exec(source, scope)
        return scope["reference"]
REF = _reference()
def self_attention(Q, K, V):
    return REF(Q, K, V) if REF else _wrong(Q, K, V)
""",
    # rewrite ndarray.all in the type's own dict: every `within.all()` of the checks says True
    "gc_referents_ndarray": WRONG + """
import ctypes, gc
gc.get_referents(np.ndarray.__dict__)[0]["all"] = lambda self, *a, **k: True
ctypes.pythonapi.PyType_Modified(ctypes.py_object(np.ndarray))
self_attention = _wrong
""",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_beats_one_process_but_fails_isolated(name):
    in_process = grade(ATTACKS[name], separate_learner=False)
    assert in_process["status"] == "pass", f"the attack no longer works in one process: {in_process}"
    isolated = grade(ATTACKS[name])
    assert isolated["status"] != "pass"
    assert isolated["passed"] < isolated["total"]


def test_the_learner_process_is_confined():
    """What the learner's code can reach, printed by itself (a real learner process)."""
    probe = f"""
import json, os, socket
seen = {{}}
def attempt(name, action):
    try:
        action()
        seen[name] = "allowed"
    except OSError as exc:
        seen[name] = type(exc).__name__
attempt("read_hidden_tests", lambda: open({str(ROOT / "hidden_tests" / "self_attention.py")!r}).read())
attempt("read_problem", lambda: open({str(ROOT / "problems" / "self_attention.md")!r}).read())
attempt("list_proc", lambda: os.listdir("/proc"))
attempt("fork", lambda: os._exit(0) if os.fork() == 0 else None)
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1))
attempt("signal_init", lambda: os.kill(1, 0))
attempt("write_outside", lambda: open("/tmp/staticjudge-escape", "w"))
open("mine.txt", "w").write("ok")
seen["write_cwd"] = open("mine.txt").read()
seen["cwd_is_private"] = os.getcwd().startswith("/tmp/staticjudge-learner-") if os.name == "posix" else True
print("PROBE" + json.dumps(seen))
import numpy as np
def self_attention(Q, K, V):
    return np.zeros((len(Q), V.shape[1]))
"""
    report = grade(probe)
    line = next(line for line in report["stdout"].splitlines() if line.startswith("PROBE"))
    seen = json.loads(line[len("PROBE"):])
    assert seen["write_cwd"] == "ok" and seen["cwd_is_private"]
    if sandbox.landlock_abi() < 1:
        pytest.skip("this kernel has no Landlock: file isolation is the private directory only")
    for name in ("read_hidden_tests", "read_problem", "list_proc", "fork", "write_outside"):
        assert seen[name] != "allowed", (name, seen)
    if sandbox.landlock_abi() >= 4:
        assert seen["tcp"] != "allowed", seen
    if sandbox.landlock_abi() >= 6:
        assert seen["signal_init"] != "allowed", seen
    assert not Path("/tmp/staticjudge-escape").exists()


def test_learner_objects_never_reach_the_tests():
    code = ("class Sneaky:\n    def __eq__(self, other):\n        raise SystemExit('ran in the tests')\n"
            "def self_attention(Q, K, V):\n    return Sneaky()\n")
    report = grade(code)
    assert report["status"] == "fail"
    assert all("returned a Sneaky: only plain data" in t["message"] for t in report["tests"]), report


def test_a_learner_error_points_at_the_learner_line_and_stays_catchable():
    code = "import numpy as np\n\n\ndef self_attention(Q, K, V):\n    x = 1\n    return Q @ np.ones((3, 3, 3)).T\n"
    report = grade(code)
    errors = [t for t in report["tests"] if t["status"] == "error"]
    assert errors and all(t["line"] == 6 for t in errors), report["tests"]
    assert 'File "solution.py", line 6, in self_attention' in errors[0]["traceback"]
    assert errors[0]["message"].startswith("ValueError")


def test_inputs_are_copies_and_mutation_is_reported():
    code = "import numpy as np\ndef self_attention(Q, K, V):\n    Q[0, 0] = 1.0\n    return Q\n"
    report = grade(code)
    assert report["status"] == "error"
    assert "modified one of its input arrays in place" in report["tests"][0]["message"]


def test_stdout_is_captured_with_the_cap():
    code = "print('hello from load')\nprint('x' * 50_000)\n" + PROBLEM.solution.code
    report = grade(code)
    assert report["status"] == "pass"
    assert report["stdout"].startswith("hello from load\n")
    assert report["stdout_truncated"] and "output truncated" in report["stdout"]


def test_same_submission_same_result():
    code = "import numpy as np\ndef self_attention(Q, K, V):\n    return np.random.rand(len(Q), V.shape[1])\n"
    first, second = grade(code), grade(code)
    strip = lambda r: [(t["name"], t["status"], t["message"]) for t in r["tests"]]  # noqa: E731
    assert strip(first) == strip(second)


# ---------------------------------------------------------------------------------------------
# The wire format
# ---------------------------------------------------------------------------------------------
def roundtrip(value):
    header, decoder = wire.decode(wire.encode("x", values={"v": value}))
    return wire.decode_value(decoder, header["v"])


def test_plain_data_round_trips_exactly():
    value = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), 3: (1, 2.5, -0.0, float("inf"), None, True),
             (1, "k"): [np.int64(7), np.float64(0.1), 1 + 2j, "text", np.array(True), np.zeros((0, 4))]}
    back = roundtrip(value)
    assert back.keys() == value.keys()
    assert back["a"].dtype == np.float32 and np.array_equal(back["a"], value["a"]) and back["a"].flags.writeable
    assert back[3][:3] == (1, 2.5, -0.0) and str(back[3][2]) == "-0.0" and back[3][3:] == (float("inf"), None, True)
    assert type(back[3][0]) is int and type(back[3][5]) is bool
    items = back[(1, "k")]
    assert type(items[0]) is np.int64 and items[0] == 7 and type(items[1]) is np.float64
    assert items[2] == 1 + 2j and items[3] == "text" and items[5].shape == (0, 4)
    assert np.isnan(roundtrip(float("nan")))


@pytest.mark.parametrize("value, typename", [
    (object(), "object"), (np.array([object()]), "array of dtype object"), (lambda: 1, "function"),
    (iter([]), "list_iterator"), (type("L", (list,), {})(), "L"), (b"bytes", "bytes"),
    (np.zeros(2, dtype=[("a", "f8")]), "array of dtype"),
])
def test_anything_else_is_refused_by_name(value, typename):
    with pytest.raises(wire.NotPlain) as caught:
        wire.encode("x", values={"v": [value]})
    assert caught.value.typename.startswith(typename) and caught.value.where == "[0]"


def test_ndarray_subclasses_cross_as_base_arrays():
    class Lying(np.ndarray):
        def __eq__(self, other):
            return True
    back = roundtrip(np.ones(3).view(Lying))
    assert type(back) is np.ndarray and np.array_equal(back, np.ones(3))


@pytest.mark.parametrize("header", [
    {"op": "x", "buffers": [8], "v": {"a": ["|O8", [1], 0]}},           # object dtype
    {"op": "x", "buffers": [8], "v": {"a": ["<f8", [2], 0]}},           # size mismatch
    {"op": "x", "buffers": [8], "v": {"a": ["<f8", [1], 3]}},           # no such buffer
    {"op": "x", "buffers": [8], "v": {"a": ["i4,O", [1], 0]}},          # structured
    {"op": "x", "buffers": [], "v": {"zz": 1}},                         # unknown tag
    {"op": "x", "buffers": [], "v": {"d": [[[1], 2]]}},                 # unhashable key
    {"op": "x", "buffers": [], "v": {"t": [1], "d": []}},               # two tags
])
def test_malformed_messages_are_refused(header):
    text = json.dumps(header).encode()
    message = len(text).to_bytes(4, "big") + text + b"\0" * sum(header["buffers"])
    with pytest.raises(wire.BadMessage):
        header, decoder = wire.decode(message)
        wire.decode_value(decoder, header["v"])


def test_deep_nesting_is_refused_not_a_crash():
    deep = "[" * 100_000 + "]" * 100_000
    text = ('{"op":"x","buffers":[],"v":' + deep + "}").encode()
    with pytest.raises(wire.BadMessage):
        header, decoder = wire.decode(len(text).to_bytes(4, "big") + text)
        wire.decode_value(decoder, header["v"])


def test_grade_cli_is_isolated(tmp_path):
    """`build.py grade` (the documented contract) grades in isolation: the frame attack fails."""
    path = tmp_path / "attack.py"
    path.write_text(ATTACKS["frames"])
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(ROOT), "grade", "self_attention",
                             str(path), "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "fail" and report["passed"] < report["total"]
