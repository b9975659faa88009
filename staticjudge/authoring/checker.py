"""``check``: proves each problem is sound before a learner ever sees it.

For every problem: the reference solution passes every hidden test; every mutant fails at least
one; every requirement is claimed by a test, its mutants are caught by a test that claims it, and
each claiming test catches one of them; a mutant breaks exactly one requirement (parser.py);
every mutant generated from the solution (``mutation.py``) is caught or marked equivalent with a
reason; the starter code fails cleanly (a report, not a crash or a timeout); the hidden tests end
when the entry functions are stand-ins that return their first argument (the browser's warm-up
grades those); every worked example of the statement matches what the reference solution computes;
every alternative solution of the course (solutions/<slug>/*.py) passes; every allowed variant
of the solution (``variants.py``: its results moved within the declared tolerance) passes every
test; and the rules of
``rules.py`` (imports, stated tolerances, a promised float64, math, tracks, minimums) hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..content.examples import run_example
from ..content.figures import render_figures
from ..grading import grade, grade_many
from ..model import Problem, ProblemError
from ..runtime import harness, judge
from ..runtime.warmup import stand_ins as stand_in_code
from .mutation import GeneratedMutant, generate
from .variants import AllowedVariant, allowed_variants
from .rules import (CourseRules, spelled, alternative_count_errors, alternative_failure, alternatives, dtype_promise_errors,
                    import_errors, math_errors, minimum_errors, tolerance_errors, track_errors)

@dataclass
class MutantResult:
    name: str
    line: int
    killed_by: list[str]  # names of the tests that did not pass
    message: str = ""  # what the first of them told the learner
    # tests that failed only because the harness refused a write into a read-only input
    refused_write: list[str] = field(default_factory=list)
    # with the inputs handed over writable (graded only for a mutant some test catches by such a
    # refusal): the tests that did not pass; None when not graded so
    killed_writable: list[str] | None = None


@dataclass
class GeneratedResult:
    mutant: GeneratedMutant
    killed_by: list[str]
    equivalent: str = ""  # the author's reason, when marked equivalent


@dataclass
class CheckResult:
    problem: Problem
    errors: list[ProblemError] = field(default_factory=list)
    mutants: list[MutantResult] = field(default_factory=list)
    generated: list[GeneratedResult] = field(default_factory=list)
    examples_checked: int = 0
    variants: list[AllowedVariant] = field(default_factory=list)  # graded, each passing every test

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def killed(self) -> int:
        return sum(1 for m in self.mutants if m.killed_by)


def _grade_named(problem: Problem, batches: dict[str, list[str]]) -> dict[str, list[dict]]:
    """Grade every program of every named batch at once (one child process per core); the
    Reports come back under the same names, in the same order."""
    codes = [code for batch in batches.values() for code in batch]
    reports = iter(grade_many(problem, codes, mutant_hints=False))  # hints are the learner's, not check's
    return {name: [next(reports) for _ in batch] for name, batch in batches.items()}


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


def _todos(path, learner_lines: range = range(0)) -> list[ProblemError]:
    """Lines still holding a skeleton's (or an author's) "TODO:" mark. Those of ``learner_lines``
    (the starter code: what the learner starts from) are the learner's to do, not the author's."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if TODO_MARK in line and number not in learner_lines:
            text = line.split(TODO_MARK, 1)[1].strip().strip('"')
            found.append(ProblemError(path, number, f"still to do: {text}"))
    return found


SAME_TOLERANCE = 1e-12


def _same_value(got, want) -> bool:
    """Whether two results are the same: arrays of one dtype and shape with equal values (floats
    within SAME_TOLERANCE, NaN equal to NaN), or containers of such, or equal plain values."""
    if isinstance(got, np.ndarray) or isinstance(want, np.ndarray):
        if not (isinstance(got, np.ndarray) and isinstance(want, np.ndarray)) or got.dtype != want.dtype:
            return False
        if got.shape != want.shape:
            return False
        if got.dtype.kind in "fc":  # the same up to rounding: another order of the same operations
            return bool(np.allclose(got, want, rtol=SAME_TOLERANCE, atol=SAME_TOLERANCE, equal_nan=True))
        return bool(np.array_equal(got, want))
    if isinstance(got, (tuple, list)) and isinstance(want, (tuple, list)):
        return type(got) is type(want) and len(got) == len(want) and all(map(_same_value, got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_same_value(got[k], want[k]) for k in got)
    try:
        return type(got) is type(want) and bool(got == want or (got != got and want != want))
    except Exception:  # noqa: BLE001 - an object whose comparison fails is not the same
        return False


def calls_matching_solution(problem: Problem, code: str) -> int:
    """How many calls the hidden tests make to the entry functions of ``code``, when each returns
    what the reference solution returns for the same arguments (to rounding: ``_same_value``);
    0 when one differs (or
    raises), or when the tests call nothing. Graded in this process: for a mutant every test
    passes, so it ends as the solution does."""
    solution = harness.load_learner_code(problem.solution.code)
    namespace = harness.load_learner_code(code)
    calls, differs = [0], []

    def comparing(name):
        mutant, reference = namespace[name], solution[name]

        def call(*args, **kwargs):
            got = mutant(*args, **kwargs)
            try:
                same = _same_value(got, reference(*args, **kwargs))
            except Exception:  # noqa: BLE001 - the solution fails where the mutant does not
                same = False
            calls[0] += 1
            if not same:
                differs.append(name)
            return got
        return call

    wrapped = dict(namespace, **{name: comparing(name) for name in problem.entry if callable(namespace.get(name))})
    report = harness.grade(code, problem.tests_source, problem.entry, load=lambda _code: wrapped,
                           tolerance=problem.tolerance)
    return calls[0] if report["status"] == "pass" and not differs else 0


def _refused_write(test: dict) -> bool:
    return test["message"].startswith(harness.INPUT_WRITE_MESSAGES)


def _clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters (and " …"), never inside a number or a word:
    after a clause ("; ") when one ends in the second half, else at a space."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    clause = text.rfind("; ", 0, width)
    cut = clause if clause > width // 2 else text.rfind(" ", 0, width + 1)
    return text if cut <= 0 else text[:cut].rstrip(" ,;:") + " …"


def check_problem(problem: Problem, rules: CourseRules | None = None) -> CheckResult:
    """``rules``: what the course asks beyond every course's rules (its tracks, alternative
    solutions, minimums: ``CourseRules.of``); None checks the problem alone."""
    rules = rules or CourseRules()
    result = CheckResult(problem)
    md, tests = problem.source_path, problem.tests_path
    alternative_paths = alternatives(problem, rules)
    starter = range(problem.starter.line, problem.starter.line + len(problem.starter.code.splitlines()))
    result.errors.extend(_todos(md, starter) + _todos(tests) + [e for p in alternative_paths for e in _todos(p)])
    imports = import_errors(problem)
    result.errors.extend(imports)
    if imports:  # the tests cannot load in the browser: grading them here would say nothing more
        return result
    result.errors.extend(track_errors(problem, rules) + math_errors(problem) + tolerance_errors(problem)
                         + dtype_promise_errors(problem) + minimum_errors(problem, rules)
                         + alternative_count_errors(problem, rules, alternative_paths))

    report = grade(problem, problem.solution.code)
    if report["error"] and report["error"]["kind"] == "tests":
        result.errors.append(ProblemError(tests, report["error"]["line"], _tests_message(report)))
        return result
    if report["error"]:
        result.errors.append(ProblemError(md, problem.solution.line + (report["error"]["line"] or 1) - 1,
                                          f"the solution does not load: {report['error']['message']}"))
    for test in _not_passed(report):
        line = next((t.line for t in problem.tests if t.name == test["name"]), None)
        result.errors.append(ProblemError(tests, line, f"the solution fails {test['name']}: {test['message']}"))

    solution_ok = report["status"] == "pass"
    # Generated mutants of a failing solution say nothing: grade them only once it passes.
    generated = generate(problem.solution.code, problem.entry) if solution_ok else []
    variants = allowed_variants(problem.solution.code, problem.entry,
                                problem.tolerance or judge.DEFAULT_TOLERANCE) if solution_ok else []
    reports = _grade_named(problem, {"mutants": [m.code for m in problem.mutants],
                                     "generated": [g.code for g in generated],
                                     "starter": [problem.starter.code],
                                     "alternatives": [p.read_text(encoding="utf-8") for p in alternative_paths],
                                     "stand_ins": [stand_in_code(problem.entry)],
                                     "variants": [v.code for v in variants]})
    mutant_reports, generated_reports = reports["mutants"], reports["generated"]
    [starter], [stand_ins] = reports["starter"], reports["stand_ins"]

    for mutant, mutant_report in zip(problem.mutants, mutant_reports):
        failed = _not_passed(mutant_report)
        message = failed[0]["message"] if failed else ""
        outcome = MutantResult(mutant.name, mutant.line, [t["name"] for t in failed], message,
                               [t["name"] for t in failed if _refused_write(t)])
        result.mutants.append(outcome)
        if outcome.refused_write:  # what the tests catch when the write itself is not refused
            exposed = harness.grade(mutant.code, problem.tests_source, problem.entry, protect_inputs=False,
                                    tolerance=problem.tolerance)
            outcome.killed_writable = [t["name"] for t in _not_passed(exposed)]
        if failed:
            continue
        calls = calls_matching_solution(problem, mutant.code) if solution_ok else 0
        if calls:
            result.errors.append(ProblemError(md, mutant.line, f"mutant '{mutant.name}' returns what the "
                                              f"solution returns (to rounding), in each of the {calls} calls the hidden tests "
                                              "make: is it wrong at all? If it is, add a test with inputs on which "
                                              "it differs; if it is not, remove it (and its name from "
                                              "'## Requirements')"))
        else:
            result.errors.append(ProblemError(md, mutant.line, f"mutant '{mutant.name}' passes every "
                                                               "hidden test: add a test that catches it"))
    result.errors.extend(requirement_errors(problem, result.mutants))
    for mutant, mutant_report in zip(generated, generated_reports):
        result.generated.append(GeneratedResult(mutant, [t["name"] for t in _not_passed(mutant_report)]))
    if solution_ok:
        result.errors.extend(generated_errors(problem, result.generated))

    result.errors.extend(variant_errors(problem, variants, reports["variants"]))
    result.variants = [v for v, r in zip(variants, reports["variants"]) if r["status"] == "pass"]

    for path, alternative in zip(alternative_paths, reports["alternatives"]):
        if alternative["status"] != "pass":
            result.errors.extend(alternative_failure(path, alternative))

    if starter["stopped"]:
        result.errors.append(ProblemError(md, problem.starter.line, "the starter code does not fail cleanly: "
                                          + _stop_message(starter)))
    elif starter["error"]:
        result.errors.append(ProblemError(md, problem.starter.line + (starter["error"]["line"] or 1) - 1,
                                          f"the starter code does not load: {starter['error']['message']}"))
    elif starter["status"] == "pass":
        result.errors.append(ProblemError(md, problem.starter.line, "the starter code already passes every test"))

    # The browser warms up by grading stand-ins (warmup.py) in the background: that must end.
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
    if problem.figures:  # the statement's ```matrix figures draw from the solution, as the build does
        try:
            render_figures(problem)
        except ProblemError as exc:
            result.errors.append(exc)
        except Exception as exc:  # the solution itself failing to load is reported above
            result.errors.append(ProblemError(md, problem.figures[0].line, f"```matrix figure could not run: {exc}"))
    return result


def variant_errors(problem: Problem, variants: list[AllowedVariant], reports: list[dict]) -> list[ProblemError]:
    """A test that fails an allowed variant asks for more than the statement states: one error
    per test, at its line, naming the first variant it fails and the declared tolerance."""
    errors, blamed = [], set()
    for variant, report in zip(variants, reports):
        if report["error"]:
            errors.append(ProblemError(problem.source_path, problem.solution.line, f"the allowed variant "
                                       f"'{variant.name}' of the solution does not load: {report['error']['message']}"))
            continue
        for test in _not_passed(report):
            if test["name"] in blamed:
                continue
            blamed.add(test["name"])
            line = next((t.line for t in problem.tests if t.name == test["name"]), None)
            declared = "declares" if problem.tolerance is not None else "gets by default"
            errors.append(ProblemError(problem.tests_path, line, f"{test['name']} fails the allowed variant "
                                       f"'{variant.name}' of the solution ({variant.description}), though the "
                                       f"problem {declared} the tolerance rtol={spelled(variant.rtol)}, "
                                       f"atol={spelled(variant.atol)} that the statement states: "
                                       f"{_clip(test['message'], 160)} — the test asks for more than the "
                                       "statement: compare with assert_close's defaults (the declared "
                                       "tolerance), **tolerance(times=2) where it compares two of the learner's "
                                       "own results, or state in the statement what it demands"))
    return errors


def requirement_errors(problem: Problem, mutants: list[MutantResult]) -> list[ProblemError]:
    """Each requirement is claimed by a test, each of its mutants is caught by such a test, and each
    claiming test catches one of its mutants."""
    md = problem.source_path
    if not problem.requirements:
        return [ProblemError(md, None, "declares no requirements: list every promise of the statement under "
                                       "'## Requirements' (- `id`: the words it quotes — mutant: name)")]
    killed_by = {m.name: m.killed_by for m in mutants}
    by_name = {m.name: m for m in mutants}
    errors = []
    for requirement in problem.requirements:
        guarding = [t.name for t in problem.tests if requirement.id in t.guards]
        if not guarding:
            errors.append(ProblemError(md, requirement.line, f"requirement `{requirement.id}` is claimed by no "
                                       f"hidden test: add 'Guards: {requirement.id}' to the docstring of a test "
                                       "that checks it (after its title line)"))
            continue
        for name in requirement.mutants:
            killers = killed_by.get(name, [])
            if not killers:
                errors.append(ProblemError(md, requirement.line, f"requirement `{requirement.id}`: its mutant "
                                           f"'{name}' survives every hidden test, so nothing proves the "
                                           f"requirement is tested (tests claiming it: {', '.join(guarding)})"))
            elif not set(killers) & set(guarding):
                errors.append(ProblemError(md, requirement.line, f"requirement `{requirement.id}`: its mutant "
                                           f"'{name}' is caught only by tests that do not claim it "
                                           f"({', '.join(killers)}); the mutant must be caught by a test that "
                                           f"claims the requirement ({', '.join(guarding)})"))
        # A claim is proven only by catching a mutant that breaks the requirement.
        for test in problem.tests:
            if requirement.id not in test.guards:
                continue
            if not any(test.name in killed_by.get(name, []) for name in requirement.mutants):
                errors.append(ProblemError(problem.tests_path, test.line, f"{test.name} claims `{requirement.id}` "
                                           f"but catches none of its mutants ({', '.join(requirement.mutants)}): "
                                           "make the test check the requirement, or drop the claim"))
                continue
            # A mutant that writes into its inputs is refused by the harness (they arrive read-only)
            # whatever the test checks: the claim holds only if the test catches it with the write let
            # through.
            caught = [by_name[name] for name in requirement.mutants
                      if name in by_name and test.name in by_name[name].killed_by]
            if caught and all(test.name in m.refused_write and m.killed_writable is not None
                              and test.name not in m.killed_writable for m in caught):
                errors.append(ProblemError(problem.tests_path, test.line, f"{test.name} claims `{requirement.id}` "
                                           f"but catches its mutant{'s' if len(caught) > 1 else ''} "
                                           f"({', '.join(m.name for m in caught)}) only because the inputs arrive "
                                           "read-only and the write fails, whatever the test checks: check the "
                                           "inputs themselves (before = {name: a.copy() for name, a in "
                                           "arguments.items()}; call; assert_inputs_unchanged(arguments, before))"))
    return errors


def generated_errors(problem: Problem, generated: list[GeneratedResult]) -> list[ProblemError]:
    """Every surviving generated mutant is a hole, unless marked equivalent; a stale mark is an error."""
    md = problem.source_path
    marks = {mark.key: mark for mark in problem.equivalent_mutants}
    errors, used = [], set()
    for item in generated:
        if item.killed_by:
            continue
        mutant = item.mutant
        mark = marks.get(mutant.key)
        if mark is not None:
            item.equivalent = mark.reason
            used.add(mark.key)
            continue
        errors.append(ProblemError(md, problem.solution.line + mutant.line - 1,
                                   f"generated mutant {mutant.operator} survives: {mutant.original}  →  "
                                   f"{mutant.changed}  (add a test that catches it, or, if no correct test can "
                                   f"tell it apart, list `{mutant.key}` with the reason under "
                                   "'## Equivalent mutants')"))
    for key, mark in marks.items():
        if key not in used:
            errors.append(ProblemError(md, mark.line, f"`{key}` is marked equivalent, but no generated mutant of "
                                       "that name survives (it is caught now, or the solution line changed): "
                                       "remove the mark"))
    return errors


def summary_line(result: CheckResult) -> str:
    p = result.problem
    status = "ok  " if result.ok else "FAIL"
    generated_killed = sum(1 for g in result.generated if g.killed_by)
    equivalent = sum(1 for g in result.generated if g.equivalent)
    return (f"{status} {p.slug}: {len(p.tests)} tests, {result.killed}/{len(result.mutants)} mutants killed, "
            f"{result.examples_checked} worked example(s), {len(p.requirements)} requirement(s), "
            f"{generated_killed}/{len(result.generated)} generated mutants killed"
            + (f" ({equivalent} equivalent)" if equivalent else ""))


def requirements_report(result: CheckResult) -> list[str]:
    """Each requirement with the tests that claim it and its mutants (which of those tests caught them)."""
    problem = result.problem
    killed_by = {m.name: m.killed_by for m in result.mutants}
    lines = [f"  requirements {len(problem.requirements)}"]
    for requirement in problem.requirements:
        guarding = [t.name for t in problem.tests if requirement.id in t.guards]
        lines.append(f"    {requirement.id}: {_clip(requirement.text, 100)}")
        lines.append(f"      tests: {', '.join(guarding) or 'NONE'}")
        for name in requirement.mutants:
            caught = [t for t in killed_by.get(name, []) if t in guarding]
            lines.append(f"      mutant {name}: " + (f"caught by {', '.join(caught)}" if caught else "NOT CAUGHT by these"))
    return lines


def generated_report(result: CheckResult) -> list[str]:
    lines = [f"  generated mutants {sum(1 for g in result.generated if g.killed_by)}/{len(result.generated)}"]
    for item in result.generated:
        by = (", ".join(item.killed_by[:3]) + (" …" if len(item.killed_by) > 3 else "") if item.killed_by
              else f"equivalent: {item.equivalent}" if item.equivalent else "SURVIVED")
        lines.append(f"    {item.mutant.operator} line {item.mutant.line}: {_clip(item.mutant.changed, 90)}  [{by}]")
    return lines


def mutation_report(result: CheckResult) -> list[str]:
    lines = [f"  mutation score {result.killed}/{len(result.mutants)}"]
    for m in result.mutants:
        by = ", ".join(m.killed_by) if m.killed_by else "SURVIVED"
        lines.append(f"    {m.name}: {by}")
        if m.message:  # the learner who makes this mistake reads this first
            first = m.message.splitlines()
            hint = next((l.strip() for l in first if l.strip().startswith("Hint:")), "")
            says = _clip(first[0], 150)
            lines.append(f"      says: {says}" + ((" " if says.endswith("…") else " … ") + hint if hint else ""))
    return lines
