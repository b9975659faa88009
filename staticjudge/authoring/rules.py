"""The authoring rules ``check`` holds every course to, beyond "the solution passes, the mutants
fail": each one a function of a problem (and the course's settings, ``CourseRules``) returning
located ``ProblemError``s whose message says how to fix the mistake.

- ``import_errors``: a hidden test imports only the standard library, NumPy, ``judge`` and the
  problem's ``packages`` (the tests run in the browser, where nothing else is installed);
- ``tolerance_errors``: every tolerance the tests declare (the ``rtol``/``atol`` they pass, and
  ``assert_close``'s defaults where they pass none) is a number the statement states;
- ``dtype_promise_errors``: a statement that promises ``float64`` for ``float32`` inputs has a
  requirement quoting ``float64`` (so a mutant returning ``float32`` must be caught);
- ``math_errors``: the statement's and hints' math renders, as the build renders it;
- ``track_errors``: the ``track:`` is one of site/config.yaml's ``tracks`` (when it lists any);
- ``minimum_errors``: a worked example, and the course's minimum numbers of mutants and
  requirements (``min_mutants``, ``min_requirements`` in site/config.yaml);
- alternative solutions (``solutions/<slug>/*.py`` at the course root): ``alternatives`` finds
  them, ``alternative_count_errors`` asks for the course's ``alternative_solutions``, and the
  checker grades each (it must pass every hidden test); ``orphan_alternatives`` finds folders
  for no problem.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..content.markup import MathError, render_markdown
from ..content.parser import key_line, section_line
from ..model import Problem, ProblemError
from ..project import Paths, SiteConfig
from ..runtime import judge

ALWAYS_IMPORTABLE = {"numpy", "judge"}
# Pyodide package names whose module is called otherwise.
IMPORT_NAMES = {"scikit-learn": "sklearn", "pillow": "PIL", "beautifulsoup4": "bs4", "pyyaml": "yaml",
                "opencv-python": "cv2", "python-dateutil": "dateutil"}


@dataclass(frozen=True)
class CourseRules:
    """What a course asks of each problem beyond the rules every course follows."""

    config: Path | None = None  # site/config.yaml, named in messages
    tracks: tuple[str, ...] = ()  # the known track keys; empty: any track is accepted
    solutions: Path | None = None  # the folder holding <slug>/*.py alternative solutions
    solutions_label: str = "solutions"  # that folder as site/config.yaml names it
    alternative_solutions: int = 0
    min_mutants: int = 1
    min_requirements: int = 1

    @classmethod
    def of(cls, paths: Paths, config: SiteConfig) -> "CourseRules":
        return cls(config=paths.config, tracks=tuple(config.tracks), solutions=config.solutions_dir(paths), solutions_label=config.solutions,
                   alternative_solutions=config.alternative_solutions, min_mutants=config.min_mutants,
                   min_requirements=config.min_requirements)


def _config_name(rules: CourseRules) -> str:
    return f"{rules.config.parent.name}/{rules.config.name}" if rules.config else "site/config.yaml"


# ---------------------------------------------------------------------------------------------
# Imports
# ---------------------------------------------------------------------------------------------
def _import_name(package: str) -> str:
    name = package.lower()
    return IMPORT_NAMES.get(name, re.sub(r"[-.]", "_", name))


def import_errors(problem: Problem) -> list[ProblemError]:
    """Each import of a module that the browser cannot give the hidden tests, at its line."""
    allowed = ALWAYS_IMPORTABLE | set(sys.stdlib_module_names) | {_import_name(p) for p in problem.packages}
    tree = ast.parse(problem.tests_source)
    errors = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = ["." * node.level + (node.module or "")]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if module.startswith("."):
                errors.append(ProblemError(problem.tests_path, node.lineno, f"hidden tests cannot import "
                                           f"`{module}` (a relative import): they run alone, in the browser; "
                                           "put what they need in the test file itself"))
            elif top not in allowed:
                packages = ", ".join(dict.fromkeys([*problem.packages, top]))
                errors.append(ProblemError(problem.tests_path, node.lineno, f"hidden tests may import only the "
                                           f"standard library, NumPy and `judge` (they run in the browser, "
                                           f"where nothing else is installed), not `{top}`: compute it with "
                                           f"NumPy, or, if Pyodide ships it, name it in the problem's front "
                                           f"matter (packages: [{packages}]) so the page loads it"))
    return errors


# ---------------------------------------------------------------------------------------------
# Tolerances
# ---------------------------------------------------------------------------------------------
TOLERANCES = ("rtol", "atol")
# A number as a statement writes it: 1e-6, 1E-06, 2.5e-4, 0.001, 10^{-6}, 10^-6, 10⁻⁶.
_SCIENTIFIC_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?[eE][-+]?\d+)(?!\w|\.\d)")
_DECIMAL_RE = re.compile(r"(?<![\w.])(\d*\.\d+|\d+)(?!\w|\.\d)")
_POWER_RE = re.compile(r"(?:(\d+(?:\.\d+)?)\s*(?:\\times|\\cdot|×|·)\s*)?10\s*\^\s*\{?\s*([-−]\s*\d+)\s*\}?")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUPERSCRIPT_RE = re.compile(r"(?:(\d+(?:\.\d+)?)\s*[×·]\s*)?10([⁻][⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_FENCED_RE = re.compile(r"^(```+|~~~+).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def spelled(value: float) -> str:
    """As a statement writes it: 1e-06 → 1e-6, 0.0001 → 1e-4, 0.5 → 0.5."""
    if value == 0 or abs(value) >= 1e-2:
        return f"{value:g}"
    mantissa, exponent = f"{value:e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def _given_to_a_name(text: str, start: int) -> bool:
    """Whether the number at ``start`` is a value given to a name (``eps=1e-5``, ``$\\epsilon = 10^{-5}$``)."""
    before = text[:start].rstrip()
    return before.endswith(("=", ":=")) and not before.endswith(("==", "<=", ">="))


def stated_numbers(statement: str) -> set[float]:
    """The numbers the statement states, outside code blocks and not as a value given to a name;
    the word "exactly" states 0."""
    text = _FENCED_RE.sub("", statement)
    found = set()
    for regex in (_SCIENTIFIC_RE, _DECIMAL_RE):
        for match in regex.finditer(text):
            if not _given_to_a_name(text, match.start()):
                found.add(float(match.group(1)))
    for match in _POWER_RE.finditer(text):
        if not _given_to_a_name(text, match.start()):
            exponent = int(match.group(2).replace("−", "-").replace(" ", ""))
            found.add(float(match.group(1) or 1) * 10.0 ** exponent)
    for match in _SUPERSCRIPT_RE.finditer(text):
        found.add(float(match.group(1) or 1) * 10.0 ** int(match.group(2).translate(_SUPERSCRIPT)))
    if re.search(r"\bexact(ly)?\b", text, flags=re.IGNORECASE):
        found.add(0.0)
    return found


def _number(node) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _tolerance_call(node) -> tuple[str | None, float] | None:
    """(name, times) of a ``judge.tolerance(…)`` call (``tolerance()``, ``tolerance("float32")``,
    ``tolerance(np.float32)``, ``tolerance(times=2)``), else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tolerance"):
        return None
    name = None
    if node.args:
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            name = arg.value
        elif isinstance(arg, ast.Attribute):  # np.float32
            name = arg.attr
        else:
            name = ast.unparse(arg)
    times = next((_number(k.value) for k in node.keywords if k.arg == "times"), None)
    return name, 1.0 if times is None else times


def declared_tolerances(source: str, declared: dict | None = None) -> list[tuple[int, str, float, bool]]:
    """(line, rtol|atol, value, whether it comes from the problem's declaration) for every
    tolerance the tests declare: a number passed as ``rtol=``/``atol=`` to a function of the test
    file or ``judge`` (not ``np.allclose``, an attribute: that is the test's own arithmetic), a
    number a helper's ``rtol``/``atol`` parameter defaults to, assert_close's defaults where a call
    passes neither the tolerance nor ``**options`` (the problem's ``declared`` tolerance, else
    judge's default), and ``**tolerance(name)`` (that named entry of the declaration; a multiple,
    ``times=2``, is derived from it and not listed)."""
    base = declared or judge.DEFAULT_TOLERANCE
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            given = {k.arg: k.value for k in node.keywords if k.arg}
            for name in TOLERANCES:
                value = _number(given.get(name))
                if value is not None:
                    found.append((given[name].lineno, name, value, False))
            if node.func.id == "assert_close" and all(k.arg for k in node.keywords):
                found.extend((node.lineno, name, float(base[name]), True) for name in TOLERANCES
                             if name not in given)
            call = _tolerance_call(node)
            if call is not None and call[1] == 1:
                entry = base if call[0] is None else (declared or {}).get(call[0])
                if isinstance(entry, dict):
                    found.extend((node.lineno, name, float(entry[name]), True) for name in TOLERANCES)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            positional = node.args.posonlyargs + node.args.args
            pairs = list(zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults))
            pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None]
            for arg, default in pairs:
                value = _number(default)
                if arg.arg in TOLERANCES and value is not None:
                    found.append((default.lineno, arg.arg, value, False))
    return sorted(found)


def _is_stated(value: float, stated: set[float]) -> bool:
    return any(math.isclose(value, s, rel_tol=1e-9, abs_tol=0) for s in stated)


def declaration_values(declared: dict) -> list[tuple[str, str, float]]:
    """(entry name, rtol|atol, value) of a declared tolerance ("" names the base one)."""
    entries = [("", declared)] + [(k, v) for k, v in declared.items() if isinstance(v, dict)]
    return [(entry, name, float(values[name])) for entry, values in entries for name in TOLERANCES]


def tolerance_errors(problem: Problem) -> list[ProblemError]:
    """The problem's declared tolerance (front matter ``tolerance:``), each value stated by the
    statement, at the ``tolerance:`` line; a ``tolerance(name)`` the declaration lacks, at its line;
    and a tolerance the tests declare themselves that the statement does not state: one error per
    value, at the first line declaring it."""
    stated = stated_numbers(problem.statement)
    errors, reported = [], set()
    declared = problem.tolerance
    if declared is not None:
        line = key_line(problem.source_path, "tolerance")
        for entry, name, value in declaration_values(declared):
            if value in reported or _is_stated(value, stated):
                continue
            reported.add(value)
            which = f"{entry}: {{{name}: {spelled(value)}}}" if entry else f"{name}: {spelled(value)}"
            state = "say that results must match exactly" if value == 0 else f"state {spelled(value)}"
            errors.append(ProblemError(problem.source_path, line, f"the front matter declares the tolerance "
                                       f"{which}, which the statement never states: {state} in the statement "
                                       f"(e.g. \"compared with the reference to within {spelled(value)}\"), as "
                                       "the learner reads it; the tests' assert_close and check's allowed "
                                       "variants use this declaration"))
    for node in ast.walk(ast.parse(problem.tests_source)):
        call = _tolerance_call(node)
        if call is not None and call[0] is not None and not isinstance((declared or {}).get(call[0]), dict):
            errors.append(ProblemError(problem.tests_path, node.lineno, f"tolerance({call[0]!r}) asks for a "
                                       f"named tolerance the problem does not declare: add it to the front "
                                       f"matter (tolerance: {{rtol: …, atol: …, {call[0]}: {{rtol: …, atol: …}}}})"))
    for line, name, value, default in declared_tolerances(problem.tests_source, declared):
        if value in reported or _is_stated(value, stated):
            continue
        reported.add(value)
        how = (f"the tests compare here with the default {name}={spelled(value)} (assert_close's, or "
               "tolerance()'s)" if default
               else f"this test compares to within {name}={spelled(value)}")
        state = "say that results must match exactly" if value == 0 else f"state {spelled(value)}"
        errors.append(ProblemError(problem.tests_path, line, f"{how}, a tolerance the statement never states: "
                                   f"{state} in the statement (e.g. \"compared with the reference to within "
                                   f"{spelled(value)}\"), or pass a tolerance it states; a value given to a "
                                   f"name in the statement (eps={spelled(value)}) does not count"))
    return errors


# ---------------------------------------------------------------------------------------------
# A promised float64
# ---------------------------------------------------------------------------------------------
FLOAT32_ACCEPTED = "a `float32` result is accepted"


def promises_float64(problem: Problem) -> bool:
    words = " ".join(problem.statement.split())
    return "float64" in words and "float32" in words and FLOAT32_ACCEPTED not in words


def dtype_promise_errors(problem: Problem) -> list[ProblemError]:
    """A statement naming ``float64`` and ``float32`` promises a float64 result for float32 inputs:
    a requirement must quote it, so that check proves a test rejects a float32 result."""
    if not promises_float64(problem) or any("float64" in r.text for r in problem.requirements):
        return []
    line = section_line(problem.source_path, "Requirements") or section_line(problem.source_path, "Starter code")
    return [ProblemError(problem.source_path, line, "the statement names `float64` and `float32`, so it promises "
                         "a float64 result for float32 inputs, but no requirement quotes `float64`: add one "
                         "(- `dtype`: Return a `float64` array — mutant: returns_float32) whose mutant returns "
                         "float32 for float32 inputs, and a test that claims it with assert_dtype; or, if a "
                         f"float32 result is fine, say \"{FLOAT32_ACCEPTED}\" in the statement")]


# ---------------------------------------------------------------------------------------------
# Math, tracks, minimums
# ---------------------------------------------------------------------------------------------
def _line_of(path: Path, snippet: str) -> int | None:
    first = snippet.strip().splitlines()[0] if snippet.strip() else snippet
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if first in line:
            return number
    return None


def math_errors(problem: Problem) -> list[ProblemError]:
    """Math the build cannot render (unknown commands such as ``\\Var``, ``aligned``), at its line."""
    errors = []
    for text in (problem.statement, *problem.hints):
        try:
            render_markdown(text)
        except MathError as exc:
            errors.append(ProblemError(problem.source_path, _line_of(problem.source_path, exc.tex),
                                       f"{exc}; write it with commands latex2mathml knows (e.g. "
                                       "\\operatorname{Var} for \\Var), and align with \\begin{array}{rl} … "
                                       "\\end{array}"))
    return errors


def track_errors(problem: Problem, rules: CourseRules) -> list[ProblemError]:
    if not rules.tracks or not problem.track or problem.track in rules.tracks:
        return []
    return [ProblemError(problem.source_path, key_line(problem.source_path, "track"),
                         f"track '{problem.track}' is not one of the tracks {_config_name(rules)} lists "
                         f"({', '.join(rules.tracks)}): use one of those, or add it under `tracks:` there")]


def minimum_errors(problem: Problem, rules: CourseRules) -> list[ProblemError]:
    md = problem.source_path
    end_of_statement = section_line(md, "Starter code")
    errors = []
    if not problem.examples:
        errors.append(ProblemError(md, end_of_statement, "the statement has no worked example: add a ```pycon "
                                   "block (>>> a call, then what it prints), which check recomputes with the "
                                   "solution"))
    if len(problem.mutants) < rules.min_mutants:
        errors.append(ProblemError(md, section_line(md, "Mutants") or end_of_statement,
                                   f"{len(problem.mutants)} mutant(s); this course asks for at least "
                                   f"{rules.min_mutants} (min_mutants in {_config_name(rules)}): add classic "
                                   "mistakes as '### name' mutants, each named by the requirement it breaks"))
    if problem.requirements and len(problem.requirements) < rules.min_requirements:
        errors.append(ProblemError(md, section_line(md, "Requirements"),
                                   f"{len(problem.requirements)} requirement(s); this course asks for at least "
                                   f"{rules.min_requirements} (min_requirements in {_config_name(rules)}): list "
                                   "every promise of the statement (shapes, dtypes, edge cases, inputs left "
                                   "unchanged)"))
    return errors


# ---------------------------------------------------------------------------------------------
# Alternative solutions
# ---------------------------------------------------------------------------------------------
def alternatives(problem: Problem, rules: CourseRules) -> list[Path]:
    if rules.solutions is None:
        return []
    return sorted((rules.solutions / problem.slug).glob("*.py"))


def alternative_count_errors(problem: Problem, rules: CourseRules, found: list[Path]) -> list[ProblemError]:
    if len(found) >= rules.alternative_solutions:
        return []
    folder = f"{rules.solutions_label}/{problem.slug}/"
    return [ProblemError(problem.source_path, section_line(problem.source_path, "Solution"),
                         f"{folder} holds {len(found)} alternative solution(s); this course asks for "
                         f"{rules.alternative_solutions} (alternative_solutions in {_config_name(rules)}): "
                         f"write the problem again in other styles (loops, einsum, float32 throughout …) as "
                         f"{folder}<style>.py, so check proves the tests accept more than one way")]


def alternative_failure(path: Path, report: dict) -> list[ProblemError]:
    """Why an alternative solution did not pass, at its line where known."""
    fix = ("an alternative solution must pass every hidden test: if it is correct, the test asks for more "
           "than the statement promises (loosen the test or state the promise); if it is wrong, fix it")
    if report["error"]:
        return [ProblemError(path, report["error"].get("line"), f"does not run: {report['error']['message']} "
                             f"({fix})")]
    failures: dict[tuple, list[str]] = {}  # one error per cause: (line, message) -> the tests it failed
    for test in report["tests"]:
        if test["status"] != "pass":
            failures.setdefault((test.get("line"), test["message"].splitlines()[0]), []).append(test["name"])
    return [ProblemError(path, line, f"fails {', '.join(names)}: {message} ({fix})")
            for (line, message), names in failures.items()]


def orphan_alternatives(paths: Paths, solutions: Path, slugs: set[str]) -> list[ProblemError]:
    """<solutions>/<name>/ folders for no problem."""
    if not solutions.is_dir():
        return []
    return [ProblemError(folder, None, f"alternative solutions for no problem: there is no problem file "
                                       f"{paths.problems.name}/{folder.name}.md (rename the folder to a "
                                       "problem's slug)")
            for folder in sorted(solutions.iterdir()) if folder.is_dir() and folder.name not in slugs]
