"""``check``: proves each problem is sound before a learner ever sees it.

For every problem: the reference solution passes every hidden test; every mutant fails at least
one; the starter code fails cleanly (a report, not a crash or a timeout); the hidden tests end
when the entry functions are stand-ins that return their first argument (the browser's warm-up
grades those); every worked example of the statement matches what the reference solution computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .examples import run_example
from .model import Problem, ProblemError
from .runner import run_isolated
from .warmup import stand_ins as stand_in_code


@dataclass
class MutantResult:
    name: str
    line: int
    killed_by: list[str]  # names of the tests that did not pass
    message: str = ""  # what the first of them told the learner


@dataclass
class CheckResult:
    problem: Problem
    errors: list[ProblemError] = field(default_factory=list)
    mutants: list[MutantResult] = field(default_factory=list)
    examples_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def killed(self) -> int:
        return sum(1 for m in self.mutants if m.killed_by)


def _grade(problem: Problem, code: str) -> dict:
    titles = [(t.name, t.title) for t in problem.tests]
    return run_isolated(code, problem.tests_source, problem.entry, problem.time_limit, titles)


def _not_passed(report: dict) -> list[dict]:
    return [t for t in report["tests"] if t["status"] != "pass"]


def _tests_message(report: dict) -> str:
    return "the hidden tests fail to load: " + report["error"]["message"].rsplit("fault): ", 1)[-1]


def _stop_message(report: dict) -> str:
    """Why a killed run stopped: the message of the test that was running (the last one run)."""
    if report["error"]:
        return report["error"]["message"]
    ran = [t for t in report["tests"] if t["status"] != "pass" and not t["message"].startswith("Not run:")]
    return f"{ran[-1]['name']}: {ran[-1]['message']}"


TODO_MARK = "TODO:"


def _todos(path) -> list[ProblemError]:
    """Lines still holding a skeleton's (or an author's) "TODO:" mark."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if TODO_MARK in line:
            text = line.split(TODO_MARK, 1)[1].strip().strip('"')
            found.append(ProblemError(path, number, f"still to do: {text}"))
    return found


def check_problem(problem: Problem) -> CheckResult:
    result = CheckResult(problem)
    md, tests = problem.source_path, problem.tests_path
    result.errors.extend(_todos(md) + _todos(tests))

    report = _grade(problem, problem.solution.code)
    if report["error"] and report["error"]["kind"] == "tests":
        result.errors.append(ProblemError(tests, report["error"]["line"], _tests_message(report)))
        return result
    if report["error"]:
        result.errors.append(ProblemError(md, problem.solution.line + (report["error"]["line"] or 1) - 1,
                                          f"the solution does not load: {report['error']['message']}"))
    for test in _not_passed(report):
        line = next((t.line for t in problem.tests if t.name == test["name"]), None)
        result.errors.append(ProblemError(tests, line, f"the solution fails {test['name']}: {test['message']}"))

    for mutant in problem.mutants:
        failed = _not_passed(_grade(problem, mutant.code))
        message = failed[0]["message"] if failed else ""
        result.mutants.append(MutantResult(mutant.name, mutant.line, [t["name"] for t in failed], message))
        killed = failed
        if not killed:
            result.errors.append(ProblemError(md, mutant.line, f"mutant '{mutant.name}' passes every "
                                                               "hidden test: add a test that catches it"))

    starter = _grade(problem, problem.starter.code)
    if starter["stopped"]:
        result.errors.append(ProblemError(md, problem.starter.line, "the starter code does not fail cleanly: "
                                          + _stop_message(starter)))
    elif starter["error"]:
        result.errors.append(ProblemError(md, problem.starter.line + (starter["error"]["line"] or 1) - 1,
                                          f"the starter code does not load: {starter['error']['message']}"))
    elif starter["status"] == "pass":
        result.errors.append(ProblemError(md, problem.starter.line, "the starter code already passes every test"))

    # The browser warms up by grading stand-ins (warmup.py) in the background: that must end.
    stand_ins = _grade(problem, stand_in_code(problem.entry))
    if stand_ins["stopped"]:
        result.errors.append(ProblemError(tests, None, "the hidden tests do not finish when each entry function "
                                          "returns its first argument (the browser grades such stand-ins to "
                                          "warm up): " + _stop_message(stand_ins)))

    for example in problem.examples:
        result.examples_checked += 1
        try:
            failures = run_example(example, problem.solution.code)
        except Exception as exc:  # the solution itself failing to load is reported above
            failures = []
            result.errors.append(ProblemError(md, example.line, f"worked example could not run: {exc}"))
        result.errors.extend(ProblemError(md, f.line, f.message) for f in failures)
    return result


def summary_line(result: CheckResult) -> str:
    p = result.problem
    status = "ok  " if result.ok else "FAIL"
    return (f"{status} {p.slug}: {len(p.tests)} tests, {result.killed}/{len(result.mutants)} mutants killed, "
            f"{result.examples_checked} worked example(s)")


def mutation_report(result: CheckResult) -> list[str]:
    lines = [f"  mutation score {result.killed}/{len(result.mutants)}"]
    for m in result.mutants:
        by = ", ".join(m.killed_by) if m.killed_by else "SURVIVED"
        lines.append(f"    {m.name}: {by}")
        if m.message:  # the learner who makes this mistake reads this first
            first = m.message.splitlines()
            hint = next((l.strip() for l in first if l.strip().startswith("Hint:")), "")
            lines.append(f"      says: {first[0][:150]}" + (f" … {hint}" if hint else ""))
    return lines
