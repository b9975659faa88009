"""Typed model of a problem: parsed once from markdown + hidden tests, then only read."""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

DIFFICULTIES = ("easy", "medium", "hard")
DEFAULT_TIME_LIMIT = 5.0  # seconds for one whole run (load + every test)
DEFAULT_PACKAGES = ("numpy",)


class ProblemError(Exception):
    """An author's mistake, located at ``path:line``."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __reduce__(self):  # picklable, so parallel builds can return errors
        return (ProblemError, (self.path, self.line, self.message))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


class BuildError(Exception):
    """The build (or a check) stopped; ``errors`` says why, one located message each."""

    def __init__(self, errors: list):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class CodeBlock:
    code: str
    line: int  # line of the first code line in the markdown file


@dataclass(frozen=True)
class Mutant:
    name: str
    code: str
    line: int
    description: str = ""


@dataclass(frozen=True)
class Requirement:
    """A promise of the statement: an id, the words it quotes, the mutants that break it."""

    id: str
    text: str  # quoted from the statement (``…`` may elide words)
    mutants: tuple[str, ...]  # names of author mutants of the same problem
    line: int


@dataclass(frozen=True)
class EquivalentMark:
    """A generated mutant no correct test can tell from the solution, and why."""

    key: str  # "operator@source line", as check prints it
    reason: str
    line: int


@dataclass(frozen=True)
class Example:
    """A ``pycon`` block of the statement: statements and the output they must print."""

    source: str
    line: int


@dataclass(frozen=True)
class HiddenTest:
    name: str
    title: str
    params: tuple[str, ...]
    line: int
    guards: tuple[str, ...] = ()  # requirement ids its docstring claims ("Guards: a, b")


@dataclass(frozen=True)
class Problem:
    slug: str
    title: str
    order: int
    difficulty: str
    tags: tuple[str, ...]
    entry: tuple[str, ...]
    statement: str  # markdown
    starter: CodeBlock
    solution: CodeBlock
    hints: tuple[str, ...]  # markdown, one per hint, revealed in order
    tests_source: str
    tests: tuple[HiddenTest, ...]
    source_path: Path
    tests_path: Path
    mutants: tuple[Mutant, ...] = ()
    examples: tuple[Example, ...] = ()
    figures: tuple[Example, ...] = ()  # ```matrix blocks of the statement (staticjudge/content/figures.py)
    requirements: tuple[Requirement, ...] = ()
    equivalent_mutants: tuple[EquivalentMark, ...] = ()
    time_limit: float = DEFAULT_TIME_LIMIT
    packages: tuple[str, ...] = DEFAULT_PACKAGES
    track: str = ""
    summary: str = ""
    # the front matter's ``tolerance:`` ({"rtol", "atol", <name>: {"rtol", "atol"}}), None: judge's default
    tolerance: dict | None = field(default=None, compare=False)
    extra: dict = field(default_factory=dict, compare=False)


def problem_hash(problem: Problem) -> str:
    """What makes a problem the same problem to grade: statement, entry functions, hidden tests,
    time limit, packages, declared tolerance (not hints, solution or mutants). 32 hex digits."""
    content = {"slug": problem.slug, "title": problem.title, "statement": problem.statement,
               "entry": list(problem.entry), "tests_source": problem.tests_source,
               "time_limit": problem.time_limit, "packages": list(problem.packages)}
    if problem.tolerance is not None:  # it decides grades as the tests do
        content["tolerance"] = problem.tolerance
    data = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]


def _entry_code(source: str) -> dict[str, str] | None:
    """Each function of ``source`` with everything it reaches (the functions it names, the
    module's other statements), as one comparable text; None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    rest = [ast.dump(n) for n in tree.body if n not in defs.values()]
    found = {}
    for name in defs:
        reached, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in reached:
                continue
            reached.add(current)
            todo += [n.id for n in ast.walk(defs[current]) if isinstance(n, ast.Name) and n.id in defs]
        found[name] = "\n".join(rest + [ast.dump(defs[n]) for n in sorted(reached)])
    return found


def mutant_data(problem: Problem) -> list[dict]:
    """The problem's mutants as grading takes them (``harness.grade``'s ``mutants``, and
    ``problem.json``'s): name, learner-facing description, code, and ``entries``: the entry
    functions whose code (with what they reach) differs from the solution's, the only ones a
    mutant is asked about (a mutant of ``split_heads`` says nothing of a wrong ``merge_heads``).

    A mutant's entry function is unchanged when its code (with what it reaches) is the
    solution's, or that of another mutant too: mutants are written one mistake each, so code two
    of them share is the right one (written in their own style)."""
    solution = _entry_code(problem.solution.code) or {}
    codes = {m.name: _entry_code(m.code) or {} for m in problem.mutants}
    data = []
    for mutant in problem.mutants:
        if not mutant.description.strip():
            continue
        code = codes[mutant.name]
        entries = []
        for entry in problem.entry:
            mine = code.get(entry)
            shared = any(other.get(entry) == mine for name, other in codes.items() if name != mutant.name)
            if mine is None or not (mine == solution.get(entry) or (len(problem.entry) > 1 and shared)):
                entries.append(entry)
        data.append({"name": mutant.name, "description": mutant.description, "code": mutant.code,
                     "entries": entries})
    return data
