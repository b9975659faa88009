"""The browser's warm-up runs grade as intended (natively here; the worker runs the same module)."""

from staticjudge.runtime import harness, warmup


def test_sample_problem_exercises_a_passing_and_a_failing_test():
    report = warmup.run()
    assert [t["status"] for t in report["tests"]] == ["pass", "fail"], report
    assert "differs from the expected values" in report["tests"][1]["message"]


def test_pure_python_sample_passes():
    report = harness.grade(warmup.PURE_CODE, warmup.PURE_TESTS, ["total"])
    assert report["status"] == "pass" and report["total"] == 1, report


TESTS = "def test_one(f):\n    assert f(1, 2) == 3\n\n\ndef test_two(f):\n    assert f(2, 0) == 2\n"


def test_starter_code_is_graded_against_the_problems_tests():
    report = warmup.run("starter", TESTS, ["f"], code="def f(a, b):\n    raise NotImplementedError\n")
    assert [t["name"] for t in report["tests"]] == ["test_one", "test_two"]
    assert report["status"] == "error" and "NotImplementedError" in report["tests"][0]["message"]


def test_stand_ins_return_their_first_argument_so_tests_run_their_checks():
    report = warmup.run("stand-ins", TESTS, ["f", "not an identifier"])
    assert [t["status"] for t in report["tests"]] == ["fail", "pass"], report
