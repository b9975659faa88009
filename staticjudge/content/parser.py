"""Markdown problem file + hidden-test file → Problem, or ProblemError naming file and line."""

from __future__ import annotations

import ast
import difflib
import re
from pathlib import Path

import frontmatter
import yaml

from ..project import Paths
from ..runtime.harness import title_from
from ..model import (BuildError, DEFAULT_PACKAGES, DEFAULT_TIME_LIMIT, DIFFICULTIES, CodeBlock, EquivalentMark, Example,
                    HiddenTest, Mutant, Problem, ProblemError, Requirement)

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster
REQUIRED_KEYS = ("title", "order", "difficulty", "entry")
OPTIONAL_KEYS = ("tags", "time_limit", "packages", "track", "summary", "tolerance")
SECTIONS = ("Starter code", "Solution", "Hints", "Requirements", "Mutants", "Equivalent mutants")
REQUIRED_SECTIONS = ("Starter code", "Solution", "Hints")
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
FENCE_RE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")
HEADING_RE = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")
LIST_ITEM_RE = re.compile(r"^(?:[-*+]|\d+[.)])\s+(.*)$")
REQUIREMENT_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIREMENT_RE = re.compile(r"^`(?P<id>[^`]*)`\s*:\s*(?P<rest>.*)$")
MUTANT_NAMES_RE = re.compile(r"\s+(?:—|--)\s+mutants?:\s*(?P<names>[^—]*)$")
EQUIVALENT_RE = re.compile(r"^`(?P<key>[^`]+@[^`]*)`\s*:\s*(?P<reason>.*)$")
GUARDS_RE = re.compile(r"^\s*Guards:(?P<ids>.*)$")
REQUIREMENT_FORMAT = "- `id`: words quoted from the statement — mutant: name"


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProblemError(path, None, f"cannot read file: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProblemError(path, line, f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8") from None


# ---------------------------------------------------------------------------------------------
# Front matter
# ---------------------------------------------------------------------------------------------
def _split_front_matter(path: Path, text: str) -> tuple[str, int, str, int]:
    """Return (yaml text, lines before it, body, line number of the body's first line)."""
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        raise ProblemError(path, 1, "missing YAML front matter: the file must start with a '---' line")
    try:
        meta_text, body = handler.split(text)
    except ValueError:
        raise ProblemError(path, 1, "front matter is not closed by a second '---' line") from None
    body_line = text[: len(text) - len(body)].count("\n") + 1
    meta_offset = text[: text.index(meta_text)].count("\n") if meta_text else 1
    return meta_text, meta_offset, body, body_line


def _parse_front_matter(path: Path, meta_text: str, offset: int) -> tuple[dict, dict]:
    """Return (values, key -> line)."""
    loader = _YamlLoader(meta_text)
    try:
        node = loader.get_single_node()  # kept for the keys' line numbers
        values = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        line, message = _yaml_mistake(exc, meta_text.splitlines())
        raise ProblemError(path, (line + 1 + offset) if line is not None else 1,
                           f"invalid YAML front matter: {message}") from None
    finally:
        loader.dispose()
    if not isinstance(values, dict) or not isinstance(node, yaml.MappingNode):
        raise ProblemError(path, 2, "front matter must be a YAML mapping of keys to values")
    lines = {key.value: key.start_mark.line + 1 + offset for key, _ in node.value}
    return values, lines


_OPENERS = {"flow sequence": ("[", "]"), "flow mapping": ("{", "}"), "quoted scalar": ('"', '"')}


def _yaml_mistake(exc: yaml.YAMLError, lines: list[str]) -> tuple[int | None, str]:
    """(0-based line of the front matter where the mistake is, YAML's reason with a fix).

    An unclosed ``[``, ``{`` or quote is reported by YAML where it gave up (a later line): the
    mistake is the line that opened it. A ``key: value: more`` line gets "quote the value".
    """
    problem_mark, context_mark = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None) or ""
    opened = next((pair for kind, pair in _OPENERS.items() if kind in context), None)
    if opened and context_mark is not None and (problem_mark is None or context_mark.line < problem_mark.line):
        key = lines[context_mark.line].split(":", 1)[0].strip() if context_mark.line < len(lines) else ""
        what = f"the value of '{key}'" if key and ":" in lines[context_mark.line] else "a value"
        return context_mark.line, (f"{what} opens with {opened[0]}, which is never closed: "
                                   f"end the value with {opened[1]} (YAML: {reason})")
    line = problem_mark.line if problem_mark is not None else None
    if "mapping values are not allowed" in reason and line is not None and line < len(lines):
        key, _, value = lines[line].partition(":")
        value = value.strip()
        quoted = value.replace('"', '\\"')
        return line, (f"{reason}: the value of '{key.strip()}' holds ': ', which YAML reads as another key; "
                      f'quote the value: {key.strip()}: "{quoted}"')
    return line, reason


def _check_meta(path: Path, meta: dict, lines: dict) -> dict:
    for key in meta:
        if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
            allowed = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
            raise ProblemError(path, lines.get(key), f"unknown front-matter key '{key}' (allowed: {allowed})")
    for key in REQUIRED_KEYS:
        if key not in meta:
            raise ProblemError(path, 2, f"front matter is missing the required key '{key}'")

    def fail(key, message):
        raise ProblemError(path, lines.get(key), f"front-matter key '{key}': {message}")

    out = {}
    if not isinstance(meta["title"], str) or not meta["title"].strip():
        fail("title", "must be a non-empty string")
    out["title"] = meta["title"].strip()
    if not isinstance(meta["order"], int) or isinstance(meta["order"], bool):
        fail("order", "must be an integer")
    out["order"] = meta["order"]
    if meta["difficulty"] not in DIFFICULTIES:
        fail("difficulty", f"must be one of {', '.join(DIFFICULTIES)}, not {meta['difficulty']!r}")
    out["difficulty"] = meta["difficulty"]
    entry = meta["entry"]
    if isinstance(entry, str):
        entry = [entry]
    if not isinstance(entry, list) or not entry or not all(
            isinstance(e, str) and e.isidentifier() for e in entry):
        fail("entry", "must be a list of function names, e.g. [softmax]")
    out["entry"] = tuple(entry)
    for key in ("tags", "packages"):
        value = meta.get(key, list(DEFAULT_PACKAGES) if key == "packages" else [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(key, "must be a list of strings")
        out[key] = tuple(value)
    limit = meta.get("time_limit", DEFAULT_TIME_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit <= 120:
        fail("time_limit", "must be a number of seconds between 0 and 120")
    out["time_limit"] = float(limit)
    for key in ("track", "summary"):
        value = meta.get(key, "")
        if not isinstance(value, str):
            fail(key, "must be a string")
        out[key] = value.strip()
    if "tolerance" in meta:
        out["tolerance"] = _tolerance(meta["tolerance"], lambda message: fail("tolerance", message))
    return out


TOLERANCE_FORM = "{rtol: 1e-6, atol: 1e-6}, with named entries such as float32: {rtol: 1e-4, atol: 1e-5}"


def _tolerance_number(value, fail, where: str) -> float:
    """A tolerance, 0 or more: YAML reads ``1e-6`` (no dot) as a string, so strings count too."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            fail(f"{where} must be a number such as 1e-6, not {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        fail(f"{where} must be a number from 0 up to (not including) 1, not {value!r}")
    return float(value)


def _tolerance(value, fail) -> dict:
    """The front matter's ``tolerance:``: ``{"rtol", "atol"}`` and named entries (a dtype such as
    ``float32``, or any name a test asks ``judge.tolerance`` for), each ``{"rtol", "atol"}``."""
    if not isinstance(value, dict):
        fail(f"must be a mapping: {TOLERANCE_FORM}")

    def pair(entry, where):
        if not isinstance(entry, dict) or set(entry) != {"rtol", "atol"}:
            fail(f"{where} must give rtol and atol, and nothing else: {TOLERANCE_FORM}")
        return {k: _tolerance_number(entry[k], fail, f"{where}'s {k}" if where != "the tolerance" else k)
                for k in ("rtol", "atol")}

    base = pair({k: v for k, v in value.items() if k in ("rtol", "atol")}, "the tolerance")
    for key, entry in value.items():
        if key in ("rtol", "atol"):
            continue
        if not isinstance(key, str) or not key.isidentifier():
            fail(f"a named tolerance needs a name such as float32, not {key!r}")
        base[key] = pair(entry, f"the named tolerance {key}")
    return base


# ---------------------------------------------------------------------------------------------
# Body sections
# ---------------------------------------------------------------------------------------------
def _split_sections(path: Path, body: str, first_line: int) -> tuple[list, dict]:
    """Split the body at level-2 headings outside code fences.

    Returns ([(line number, text), ...] of the statement, {section name: (heading line, lines)}).
    Everything before '## Starter code' is the statement (it may have its own '##' headings).
    """
    statement: list[tuple[int, str]] = []
    sections: dict[str, tuple[int, list[tuple[int, str]]]] = {}
    current: list[tuple[int, str]] | None = None
    fence = None
    for offset, text in enumerate(body.splitlines()):
        number = first_line + offset
        fence_match = FENCE_RE.match(text)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif _is_closing_fence(text, fence):
                fence = None
        heading = HEADING_RE.match(text) if fence is None else None
        if heading and heading.group(1) == "##":
            name = heading.group(2).strip()
            canonical = next((s for s in SECTIONS if s.lower() == name.lower()), None)
            if canonical:
                if canonical in sections:
                    raise ProblemError(path, number, f"section '## {canonical}' appears twice")
                current = []
                sections[canonical] = (number, current)
                continue
            if current is not None:
                raise ProblemError(path, number, f"unknown section '## {name}' after the statement "
                                                 f"(expected one of: {', '.join(SECTIONS)})")
        if current is None:
            statement.append((number, text))
        else:
            current.append((number, text))
    if fence is not None:
        raise ProblemError(path, first_line + len(body.splitlines()) - 1, "a code fence (```) is never closed")
    return statement, sections


def _is_closing_fence(text: str, marker: str) -> bool:
    stripped = text.strip()
    return len(stripped) >= len(marker) and stripped == marker[0] * len(stripped)


def _code_blocks(lines: list[tuple[int, str]]) -> list[tuple[str, int, str, int]]:
    """Fenced blocks in ``lines``: (info, first code line, code, fence line)."""
    blocks = []
    i = 0
    while i < len(lines):
        number, text = lines[i]
        match = FENCE_RE.match(text)
        i += 1
        if not match:
            continue
        marker, info = match.group(1), match.group(2)
        body = []
        while i < len(lines) and not _is_closing_fence(lines[i][1], marker):
            body.append(lines[i][1])
            i += 1
        i += 1  # the closing fence
        blocks.append((info, number + 1, "\n".join(body) + "\n", number))
    return blocks


def _single_python_block(path: Path, name: str, heading_line: int, lines) -> CodeBlock:
    blocks = [b for b in _code_blocks(lines) if b[0] in ("python", "py", "")]
    if len(blocks) != 1:
        raise ProblemError(path, heading_line, f"section '## {name}' must hold exactly one ```python code "
                                               f"block (found {len(blocks)})")
    _info, line, code, _fence = blocks[0]
    _compile(path, code, line, f"the {name.lower()}")
    return CodeBlock(code=code, line=line)


def _compile(path: Path, code: str, first_line: int, what: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        line = first_line + (exc.lineno or 1) - 1
        raise ProblemError(path, line, f"{what} does not compile: {exc.msg}") from None


def _parse_hints(path: Path, heading_line: int, lines) -> tuple[str, ...]:
    hints: list[list[str]] = []
    for _number, text in lines:
        match = LIST_ITEM_RE.match(text)
        if match and not text.startswith((" ", "\t")):
            hints.append([match.group(1)])
        elif hints and text.strip():
            hints[-1].append(text.strip())
        elif hints and not text.strip():
            hints[-1].append("")
    result = tuple("\n".join(h).strip() for h in hints if "".join(h).strip())
    if not result:
        raise ProblemError(path, heading_line, "section '## Hints' must be a list with at least one hint")
    return result


def _parse_mutants(path: Path, lines) -> tuple[Mutant, ...]:
    mutants = []
    groups: list[tuple[str, int, list]] = []
    for number, text in lines:
        heading = HEADING_RE.match(text)
        if heading and heading.group(1) == "###":
            groups.append((heading.group(2).strip(), number, []))
        elif groups:
            groups[-1][2].append((number, text))
        elif text.strip():
            raise ProblemError(path, number, "each mutant starts with a '### name' heading")
    seen = set()
    for name, line, body in groups:
        if name in seen:
            raise ProblemError(path, line, f"two mutants are named '{name}'")
        seen.add(name)
        block = _single_python_block(path, f"Mutants / {name}", line, body)
        description = " ".join(t.strip() for n, t in body if t.strip() and n < block.line - 1)
        mutants.append(Mutant(name=name, code=block.code, line=block.line, description=description))
    return tuple(mutants)


def _top_level_items(path: Path, lines, what: str, form: str) -> list[tuple[int, str]]:
    """(line, text) of each top-level list item, its indented continuation lines joined on."""
    items: list[tuple[int, list[str]]] = []
    for number, text in lines:
        match = LIST_ITEM_RE.match(text)
        if match and not text.startswith((" ", "\t")):
            items.append((number, [match.group(1).strip()]))
        elif text.strip() and items and text.startswith((" ", "\t")):
            items[-1][1].append(text.strip())
        elif text.strip():
            raise ProblemError(path, number, f"each {what} is a list item: {form}")
    return [(number, " ".join(parts)) for number, parts in items]


def _words(text: str) -> str:
    return " ".join(text.split())


_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP_RE = re.compile(r"(?<!\\)\$+|`+|\*\*")


def read_as_text(markdown: str) -> str:
    """What the reader reads of ``markdown``, as words: math as written between its ``$`` signs
    (the signs dropped), code without its backticks, bold without its ``**``, a link as its text."""
    return _words(_MARKUP_RE.sub("", _LINK_RE.sub(r"\1", markdown)))


def _quotes(statement: str, quote: str) -> bool:
    """Whether the statement holds the quote's words in order (``…`` stands for left-out words).

    Both are compared as the reader reads them (``read_as_text``): a quote may give a formula's
    words with or without its ``$`` signs, code with or without backticks.
    """
    statement = read_as_text(statement)
    at = 0
    for piece in (read_as_text(p) for p in quote.split("…")):
        found = statement.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def _parse_requirements(path: Path, lines, statement: str, mutants: tuple[Mutant, ...]) -> tuple[Requirement, ...]:
    known = {m.name for m in mutants}
    words = read_as_text(statement)
    requirements, seen = [], set()
    named_by: dict[str, str] = {}  # mutant name -> the requirement that names it
    for number, text in _top_level_items(path, lines, "requirement", REQUIREMENT_FORMAT):
        match = REQUIREMENT_RE.match(text)
        if not match:
            raise ProblemError(path, number, f"a requirement starts with its id in backticks: {REQUIREMENT_FORMAT}")
        rid, rest = match.group("id"), match.group("rest")
        if not REQUIREMENT_ID_RE.match(rid):
            raise ProblemError(path, number, f"requirement id `{rid}` must be lowercase letters, digits and "
                                             "underscores, starting with a letter")
        if rid in seen:
            raise ProblemError(path, number, f"two requirements are named `{rid}`")
        seen.add(rid)
        names = MUTANT_NAMES_RE.search(rest)
        if not names:
            raise ProblemError(path, number, f"requirement `{rid}` names no mutant that breaks it: end the item "
                                             "with ' — mutant: name' (a '### name' of '## Mutants')")
        quote = rest[: names.start()].strip()
        mutant_names = tuple(n.strip() for n in names.group("names").split(",") if n.strip())
        if not quote:
            raise ProblemError(path, number, f"requirement `{rid}` quotes nothing: give the words of the "
                                             "statement it comes from")
        if not _quotes(words, quote):
            raise ProblemError(path, number, f"requirement `{rid}` quotes words the statement does not hold "
                                             f"(in this order): {quote!r}; quote the statement's words exactly "
                                             "(a formula as written between its $ signs, which may be left "
                                             "out), with … for words left out")
        for name in mutant_names:
            if name not in known:
                raise ProblemError(path, number, f"requirement `{rid}` names the mutant '{name}', which "
                                                 f"'## Mutants' does not define (defined: "
                                                 f"{', '.join(sorted(known)) or 'none'})")
            if name in named_by:
                raise ProblemError(path, number, f"requirement `{rid}` names the mutant '{name}', which "
                                                 f"`{named_by[name]}` names already: a requirement's mutant "
                                                 "breaks it and nothing else, so give each requirement "
                                                 "mutants of its own")
            named_by[name] = rid
        requirements.append(Requirement(id=rid, text=quote, mutants=mutant_names, line=number))
    if requirements:
        for mutant in mutants:
            if mutant.name not in named_by:
                raise ProblemError(path, mutant.line, f"mutant '{mutant.name}' breaks no requirement: name it "
                                                      "under the one it breaks in '## Requirements' "
                                                      f"(… — mutant: {mutant.name})")
    return tuple(requirements)


def _parse_equivalent_mutants(path: Path, lines) -> tuple[EquivalentMark, ...]:
    form = "- `operator@source line`: why no correct test can tell it from the solution"
    marks, seen = [], set()
    for number, text in _top_level_items(path, lines, "equivalent mutant", form):
        match = EQUIVALENT_RE.match(text)
        if not match:
            raise ProblemError(path, number, f"an equivalent mutant is marked as {form}")
        key, reason = _words(match.group("key")), match.group("reason").strip()
        if not reason:
            raise ProblemError(path, number, f"say why `{key}` is equivalent: no correct test can tell it "
                                             "from the solution because …")
        if key in seen:
            raise ProblemError(path, number, f"`{key}` is marked equivalent twice")
        seen.add(key)
        marks.append(EquivalentMark(key=key, reason=reason, line=number))
    return tuple(marks)


def _examples(lines: list[tuple[int, str]]) -> tuple[Example, ...]:
    return tuple(Example(source=code, line=line) for info, line, code, _ in _code_blocks(lines)
                 if info in ("pycon", "python-repl"))


def _figures(path: Path, lines: list[tuple[int, str]]) -> tuple[Example, ...]:
    """The statement's ```matrix blocks (drawn at build time: figures.py), each compiled now."""
    found = []
    for info, line, code, _ in _code_blocks(lines):
        if info == "matrix":
            _compile(path, code, line, "the ```matrix block")
            found.append(Example(source=code, line=line))
    return tuple(found)


def _defined_names(module: ast.Module) -> set[str]:
    names = set()
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


# ---------------------------------------------------------------------------------------------
# Hidden tests
# ---------------------------------------------------------------------------------------------
def _guards(node: ast.FunctionDef) -> list[tuple[int, str]]:
    """(line, id) of each requirement a "Guards: a, b" line of the docstring (after its title) claims."""
    if not (node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)):
        return []
    claimed = []
    for offset, text in enumerate(node.body[0].value.value.splitlines()):
        match = GUARDS_RE.match(text) if offset else None  # the first line is the learner's title
        if match:
            claimed += [(node.body[0].lineno + offset, r.strip()) for r in match.group("ids").split(",") if r.strip()]
    return claimed


def _undeclared_claim(path: Path, claims: list[tuple[str, int, str]], requirement_ids: tuple[str, ...],
                      problem_path: Path | None, requirement_lines: dict[str, int]) -> ProblemError | None:
    """The mistake behind the first claim of an id the problem does not declare, at the right file.

    ``claims``: (test name, Guards: line, id) of every claim. A declared requirement no test claims
    whose id is close to the undeclared one is a typo of the problem file (reported at that
    requirement's line); otherwise the Guards: line is the test's mistake.
    """
    unknown = [c for c in claims if c[2] not in requirement_ids]
    if not unknown:
        return None
    rid = unknown[0][2]
    claiming = [c for c in unknown if c[2] == rid]
    claimed = {c[2] for c in claims}
    unclaimed = [r for r in requirement_ids if r not in claimed]
    near = difflib.get_close_matches(rid, unclaimed, n=1, cutoff=0.6)
    where = ", ".join(f"{name} (line {line})" for name, line, _ in claiming)
    if near and problem_path is not None and near[0] in requirement_lines:
        typo = near[0]
        return ProblemError(problem_path, requirement_lines[typo],
                            f"requirement `{typo}` is claimed by no hidden test, while {path.name} claims "
                            f"`{rid}`, which is not declared: {where}. If `{rid}` is the id you meant, "
                            f"rename the requirement here (- `{rid}`: …); if not, fix the Guards: "
                            f"line{'s' if len(claiming) > 1 else ''} of {path}")
    name, line, _ = claiming[0]
    close = difflib.get_close_matches(rid, requirement_ids, n=1, cutoff=0.6)
    declared = problem_path.name if problem_path is not None else "the problem"
    fix = (f"did you mean `{close[0]}`? Fix this Guards: line" if close else
           f"fix this Guards: line, or declare `{rid}` under '## Requirements' of {declared}")
    return ProblemError(path, line, f"{name}() claims the requirement `{rid}`, which {declared} does not "
                                    f"declare (declared: {', '.join(requirement_ids) or 'none'}): {fix}")


def parse_hidden_tests(path: Path, entry: tuple[str, ...], requirement_ids: tuple[str, ...] | None = None, *,
                       problem_path: Path | None = None,
                       requirement_lines: dict[str, int] | None = None) -> tuple[str, tuple[HiddenTest, ...]]:
    """The hidden tests' source and tests. With ``requirement_ids``, a claim of an undeclared id is
    an error: at the requirement's line of ``problem_path`` (``requirement_lines``: id -> line) when
    it is that file's typo, else at the test's Guards: line."""
    if not path.exists():
        raise ProblemError(path, None, "hidden-test file is missing (every problem needs one)")
    source = read_text(path)
    try:
        module = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise ProblemError(path, exc.lineno, f"does not compile: {exc.msg}") from None
    tests, claims = [], []
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            params = tuple(a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs)
            for param in params:
                if param not in entry:
                    raise ProblemError(path, node.lineno,
                                       f"{node.name}() asks for '{param}', which names no entry "
                                       f"function (entry: {', '.join(entry)})")
            title = title_from(node.name, ast.get_docstring(node))
            guards = _guards(node)
            claims += [(node.name, line, rid) for line, rid in guards]
            tests.append(HiddenTest(name=node.name, title=title, params=params, line=node.lineno,
                                    guards=tuple(dict.fromkeys(rid for _, rid in guards))))
    if not tests:
        raise ProblemError(path, 1, "defines no test_* function")
    if requirement_ids is not None:
        mistake = _undeclared_claim(path, claims, requirement_ids, problem_path, requirement_lines or {})
        if mistake is not None:
            raise mistake
    return source, tuple(tests)


# ---------------------------------------------------------------------------------------------
# Whole problem
# ---------------------------------------------------------------------------------------------
def parse_problem(path: Path, tests_dir: Path) -> Problem:
    path = Path(path)
    slug = path.stem
    if not SLUG_RE.match(slug):
        raise ProblemError(path, None, f"file name '{path.name}' must be a slug: lowercase letters, "
                                       "digits and underscores, starting with a letter")
    text = read_text(path)
    meta_text, meta_offset, body, body_line = _split_front_matter(path, text)
    raw, key_lines = _parse_front_matter(path, meta_text, meta_offset)
    meta = _check_meta(path, raw, key_lines)
    statement, sections = _split_sections(path, body, body_line)
    for name in REQUIRED_SECTIONS:
        if name not in sections:
            raise ProblemError(path, body_line + len(body.splitlines()) - 1,
                               f"missing section '## {name}'")
    starter = _single_python_block(path, "Starter code", *sections["Starter code"])
    solution = _single_python_block(path, "Solution", *sections["Solution"])
    defined = _defined_names(_compile(path, solution.code, solution.line, "the solution"))
    for name in meta["entry"]:
        if name not in defined:
            raise ProblemError(path, sections["Solution"][0],
                               f"the solution does not define the entry function '{name}'")
    hints = _parse_hints(path, *sections["Hints"])
    mutants = _parse_mutants(path, sections["Mutants"][1]) if "Mutants" in sections else ()
    statement_text = "\n".join(t for _, t in statement).strip() + "\n"
    requirements = (_parse_requirements(path, sections["Requirements"][1], statement_text, mutants)
                    if "Requirements" in sections else ())
    equivalent = (_parse_equivalent_mutants(path, sections["Equivalent mutants"][1])
                  if "Equivalent mutants" in sections else ())
    tests_path = Path(tests_dir) / f"{slug}.py"
    tests_source, tests = parse_hidden_tests(tests_path, meta["entry"], tuple(r.id for r in requirements),
                                             problem_path=path, requirement_lines={r.id: r.line for r in requirements})
    return Problem(
        slug=slug, statement=statement_text, starter=starter, solution=solution, hints=hints, mutants=mutants,
        examples=_examples(statement), figures=_figures(path, statement), tests_source=tests_source, tests=tests, source_path=path,
        tests_path=tests_path, requirements=requirements, equivalent_mutants=equivalent, **meta,
    )


def parse_or_error(path: Path, tests_dir: Path) -> Problem | ProblemError:
    try:
        return parse_problem(path, tests_dir)
    except ProblemError as exc:
        return exc


def load_problems(problems_dir: Path, tests_dir: Path, parse_many=None) -> tuple[list[Problem], list[ProblemError]]:
    """Parse every ``*.md`` under ``problems_dir``; return problems in order and every error.

    ``parse_many(paths, tests_dir)`` may replace the plain loop over ``parse_or_error`` (the site
    builder passes one that caches and runs in parallel).
    """
    paths = sorted(Path(problems_dir).glob("*.md"))
    parsed = parse_many(paths, tests_dir) if parse_many else [parse_or_error(p, tests_dir) for p in paths]
    problems = [p for p in parsed if isinstance(p, Problem)]
    errors = [p for p in parsed if isinstance(p, ProblemError)]
    for path in sorted(Path(tests_dir).glob("*.py")):
        if not (Path(problems_dir) / f"{path.stem}.md").exists():
            errors.append(ProblemError(path, None, f"hidden tests for no problem: there is no problem file "
                                                   f"{Path(problems_dir).name}/{path.stem}.md"))
    errors.extend(order_errors(problems))
    problems.sort(key=lambda p: (p.order, p.slug))
    return problems, errors


def key_line(path: Path, key: str) -> int | None:
    """The line of the front-matter key ``key`` in the problem file ``path`` (None if absent)."""
    try:
        meta_text, offset, _body, _line = _split_front_matter(path, read_text(path))
        return _parse_front_matter(path, meta_text, offset)[1].get(key)
    except ProblemError:
        return None


def section_line(path: Path, name: str) -> int | None:
    """The line of the '## name' heading of the problem file ``path`` (None if absent)."""
    fence = None
    for number, text in enumerate(read_text(path).splitlines(), start=1):
        match = FENCE_RE.match(text)
        if match:
            fence = match.group(1) if fence is None else (None if _is_closing_fence(text, fence) else fence)
            continue
        heading = HEADING_RE.match(text) if fence is None else None
        if heading and heading.group(1) == "##" and heading.group(2).strip().lower() == name.lower():
            return number
    return None


def order_errors(problems: list[Problem], blame: set[str] = frozenset()) -> list[ProblemError]:
    """Each problem that reuses another's order, at its ``order:`` line.

    Of two problems with one order, the one that reuses it is the one in ``blame`` (the problems
    `check SLUG` was asked about), else the file changed last (the one just written), else the
    later slug; the message names the other and the next free order.
    """
    def newest_last(problem: Problem):
        try:
            changed = problem.source_path.stat().st_mtime_ns
        except OSError:
            changed = 0
        return (problem.slug in blame, changed, problem.slug)

    by_order: dict[int, list[Problem]] = {}
    for problem in problems:
        by_order.setdefault(problem.order, []).append(problem)
    free = max((p.order for p in problems), default=0) + 1
    errors = []
    for order, sharing in sorted(by_order.items()):
        if len(sharing) < 2:
            continue
        keeper, *reusers = sorted(sharing, key=newest_last)
        for problem in reusers:
            if blame and problem.slug not in blame:
                continue
            errors.append(ProblemError(problem.source_path, key_line(problem.source_path, "order"),
                                       f"order {order} is already used by {keeper.source_path}: give each "
                                       f"problem its own order (the next free one is {free})"))
    return errors


def load_course(paths: Paths, parse_many=None) -> list[Problem]:
    """Every problem of a course, in order; BuildError with every located mistake, or when it has none."""
    problems, errors = load_problems(paths.problems, paths.hidden_tests, parse_many)
    if errors:
        raise BuildError(errors)
    if not problems:
        raise BuildError([ProblemError(paths.problems, None, "no problems found (add a <slug>.md file)")])
    return problems
