"""The command line, run as an author or learner would: exit codes and what it prints."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BASE_SLUG, ROOT, SOLUTIONS, line_of

SOLUTION = '''import numpy as np

def self_attention(Q, K, V):
    s = Q @ K.T / np.sqrt(K.shape[-1])
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ V
'''


def run(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(project), *args],
                          capture_output=True, text=True, timeout=timeout)


def write(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "answer.py"
    path.write_text(code)
    return path


def test_grade_correct_file_exits_0(project, tmp_path):
    result = run(project, "grade", BASE_SLUG, str(write(tmp_path, SOLUTION)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9/9 tests passed" in result.stdout and "PASS  Output has shape (T, d_v)" in result.stdout


def test_grade_wrong_file_exits_1_with_messages(project, tmp_path):
    wrong = SOLUTION.replace(" / np.sqrt(K.shape[-1])", "")
    result = run(project, "grade", BASE_SLUG, str(write(tmp_path, wrong)))
    assert result.returncode == 1
    assert "FAIL  Scores are scaled by sqrt(d_k)" in result.stdout
    assert "Hint: scores look unscaled: divide Q @ K.T by sqrt(d_k)" in result.stdout


def test_grade_json_report(project, tmp_path):
    result = run(project, "grade", BASE_SLUG, str(write(tmp_path, "print('hi')\n")), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["stdout"] == "hi\n" and report["passed"] == 0
    assert "must define a function named `self_attention`" in report["tests"][0]["message"]


def test_grade_stops_an_endless_loop_at_the_time_limit(project, tmp_path):
    md = project / "problems" / f"{BASE_SLUG}.md"
    md.write_text(md.read_text().replace("difficulty: easy", "difficulty: easy\ntime_limit: 1"))
    code = SOLUTION.replace("    return (w", "    if Q.shape[1] == 64:\n        while True:\n            pass\n    return (w")
    result = run(project, "grade", BASE_SLUG, str(write(tmp_path, code)), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["stopped"] == "timeout"
    by_name = {t["name"]: t for t in report["tests"]}
    assert by_name["test_random_inputs"]["status"] == "pass"  # finished tests keep their result
    assert by_name["test_scaling_large_dk"]["message"].startswith("Time limit exceeded (1 s)")
    assert by_name["test_non_square_keys"]["message"].startswith("Not run")


def test_grade_bad_input_exits_2(project, tmp_path):
    assert run(project, "grade", "no_such_problem", str(write(tmp_path, SOLUTION))).returncode == 2
    missing = run(project, "grade", BASE_SLUG, str(tmp_path / "missing.py"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00")
    assert run(project, "grade", BASE_SLUG, str(binary)).returncode == 2


def test_build_then_check_ok(project):
    built = run(project, "build", "--out", str(project / "out"))
    assert built.returncode == 0 and (project / "out" / BASE_SLUG / "index.html").exists()
    checked = run(project, "check", "--report")
    assert checked.returncode == 0, checked.stdout
    assert f"ok   {BASE_SLUG}: 9 tests, 8/8 mutants killed, 1 worked example(s)" in checked.stdout
    assert "no_scaling: test_worked_example" in checked.stdout
    assert "float32_output: test_float32_inputs\n      says: your result is float32;" in checked.stdout
    assert "mutation score: 8/8 mutants killed" in checked.stdout


HANGS_ON_STAND_INS = '''

def test_loops_while_output_is_q(self_attention):
    """Loops for as long as the output is Q"""
    Q = np.eye(2)
    while np.array_equal(self_attention(Q, Q, 2 * Q), Q):
        pass
'''


def test_check_reports_hidden_tests_that_hang_on_stand_ins(project):
    md = project / "problems" / f"{BASE_SLUG}.md"
    tests = project / "hidden_tests" / f"{BASE_SLUG}.py"
    md.write_text(md.read_text().replace("tags:", "time_limit: 1\ntags:", 1))
    tests.write_text(tests.read_text() + HANGS_ON_STAND_INS)
    result = run(project, "check")
    assert result.returncode == 1, result.stdout
    assert (f"{tests}: the hidden tests do not finish when each entry function returns its first argument"
            in result.stdout), result.stdout
    assert "Time limit exceeded" in result.stdout


def test_build_error_exits_1_and_names_file_and_line(project):
    md = project / "problems" / f"{BASE_SLUG}.md"
    md.write_text(md.read_text().replace("tags:", "tagz:"))
    result = run(project, "build")
    assert result.returncode == 1
    assert f"{md}:{line_of(md, 'tagz:')}: unknown front-matter key 'tagz'" in result.stderr
    assert "Traceback" not in result.stderr and not (project / "_site").exists()


@pytest.mark.parametrize("change, expected", [
    (("        assert_close(self_attention(Q, K, V), reference(Q, K, V), mistakes=lambda: mistakes(Q, K, V))\n", ""), None),
    (("keepdims=True)\n    return weights @ V\n", "keepdims=True)\n    return weights @ V * 1.01\n"),
     "the solution fails test_worked_example"),
    (("array([[1.6604769, 2.6604769],", "array([[1.6604769, 2.7604769],"), "worked example does not match the solution"),
    (("    # 3. return weights @ V\n    raise NotImplementedError\n", "    return self_attention_ok(Q, K, V)\n\n\n"
      + SOLUTION.replace("def self_attention", "def self_attention_ok")), "the starter code already passes"),
    (("    # 3. return weights @ V\n    raise NotImplementedError\n", "    return Q\n\n\nraise SystemExit(1)\n"),
     "the starter code does not load"),
])
def test_check_reports_each_kind_of_unsound_problem(project, change, expected):
    md = project / "problems" / f"{BASE_SLUG}.md"
    tests = project / "hidden_tests" / f"{BASE_SLUG}.py"
    old, new = change
    target = tests if old.startswith("        assert_close") else md
    if expected is None:  # weaken the tests until a mutant survives
        text = tests.read_text().replace("    assert_close(self_attention(Q, K, V), reference(Q, K, V), mistakes=lambda: mistakes(Q, K, V))\n", "    pass\n")
        tests.write_text(text)
        expected = "passes every hidden test"
    else:
        assert old in target.read_text()
        target.write_text(target.read_text().replace(old, new, 1))
    result = run(project, "check")
    assert result.returncode == 1, result.stdout
    assert f"FAIL {BASE_SLUG}" in result.stdout and expected in result.stdout
    assert f"{md}:" in result.stdout or f"{tests}:" in result.stdout


def test_check_unknown_slug_exits_2(project):
    assert run(project, "check", "nope").returncode == 2


def test_new_writes_a_skeleton_that_check_explains_how_to_fill(project):
    """In this course (site/config.yaml: tracks, two alternative solutions, at least 3 mutants and
    4 requirements) the skeleton, its TODOs done, passes every rule of check."""
    result = run(project, "new", "dot_product")
    assert result.returncode == 0 and "check dot_product" in result.stdout
    md, tests = project / "problems" / "dot_product.md", project / "hidden_tests" / "dot_product.py"
    alternatives = sorted((project / SOLUTIONS / "dot_product").glob("*.py"))
    assert len(alternatives) == 2 and all(str(path) in result.stdout for path in alternatives)
    assert "track: foundations" in md.read_text()  # the course's first track
    checked = run(project, "check", "dot_product")
    assert checked.returncode == 1
    assert f"{md}:{line_of(md, 'TODO: say what')}: still to do: say what `dot_product` computes" in checked.stdout
    assert f"{tests}:{line_of(tests, 'TODO:')}: still to do: 5-10 tests" in checked.stdout
    assert f"{alternatives[0]}:1: still to do: solve dot_product again in another style" in checked.stdout
    assert "Traceback" not in checked.stdout + checked.stderr
    for path in (md, tests, *alternatives):  # an author fills the skeleton in
        path.write_text(path.read_text().replace("TODO: ", ""))
    filled = run(project, "check", "dot_product")
    assert filled.returncode == 0, filled.stdout
    assert run(project, "new", "dot_product").returncode == 2  # never overwrites


def test_init_writes_a_course_whose_problem_and_skeletons_pass_check(tmp_path):
    """`init`'s course passes check as written; in it, `new`'s skeleton (its own track, no
    alternatives asked for) passes once its TODOs are done."""
    course = tmp_path / "course"
    assert run(ROOT, "init", str(course)).returncode == 0
    checked = run(course, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert run(course, "new", "scaled").returncode == 0
    md, tests = course / "problems" / "scaled.md", course / "hidden_tests" / "scaled.py"
    assert "track: basics" in md.read_text()
    for path in (md, tests):
        path.write_text(path.read_text().replace("TODO: ", ""))
    filled = run(course, "check", "scaled")
    assert filled.returncode == 0, filled.stdout + filled.stderr
