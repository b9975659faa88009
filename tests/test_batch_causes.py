"""What judge reads off a learner's code as the cause of a batch failure, pinned: for every
wrong solution, reference solution, starter and mutant of the corpus, and for code written to meet
each rule (tests/fixtures/batch_causes/snippets.py), the causes found on every line and anywhere,
for each kind of cause, batch rank and unpacking error, stay what tests/fixtures/batch_causes/
expected.json holds.

``python3 tests/test_batch_causes.py --write`` writes that file anew (only when a change of the
causes is meant)."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from staticjudge.content.parser import load_problems  # noqa: E402
from staticjudge.runtime import judge  # noqa: E402

FIXTURES = HERE / "fixtures" / "batch_causes"
EXPECTED = FIXTURES / "expected.json"
KINDS = [judge.ALL_CAUSES, ("unpack",), ("transpose",), ("dot",), ("front",)]
NDIMS = (3, 4)


def sources() -> dict[str, str]:
    found = {"snippets": (FIXTURES / "snippets.py").read_text()}
    # The course's alternative solutions (tests/solutions/<slug>/) and the wrong ones of <slug>/wrong/.
    for path in sorted((HERE / "solutions").rglob("*.py")):
        found[path.relative_to(HERE).as_posix()] = path.read_text()
    problems, _errors = load_problems(ROOT / "problems", ROOT / "hidden_tests")
    for problem in problems:
        found[f"{problem.slug}/solution"] = problem.solution.code
        found[f"{problem.slug}/starter"] = problem.starter.code
        for mutant in problem.mutants:
            found[f"{problem.slug}/mutant/{mutant.name}"] = mutant.code
    return found


def causes_of(text: str) -> dict[str, list[str]]:
    """Every finding for ``text``, keyed by how it was asked for (empty answers left out)."""
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    roots = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] or [tree]
    code = judge._LearnerCode(lines, roots)
    everywhere = code._everywhere()
    out = {}
    for ndim in NDIMS:  # every line's statement, and anywhere
        for unpack in (False, True):
            key = f"ndim={ndim} unpack={unpack}"
            for line in [None, *range(1, len(lines) + 2)]:
                nodes = everywhere if line is None else code._statement(line)
                found = code._find(nodes, unpack=unpack, line=line, ndim=ndim)
                if found:
                    out[f"{key} line={line}"] = found
    for kinds in KINDS[1:]:  # one kind of cause at a time
        found = code._find(everywhere, unpack=True, line=None, ndim=3, kinds=kinds)
        if found:
            out[f"{kinds[0]} line=None"] = found
    for unpack in (False, True):  # what a message says: the failing line's first, else one
        exc = ValueError("too many values to unpack (expected 2)") if unpack else None
        for line in (None, *range(1, len(lines) + 1)):
            found = code.causes(exc, line, 3)
            if found:
                out[f"causes unpack={unpack} line={line}"] = found
    return out


def collect() -> dict[str, dict[str, list[str]]]:
    return {name: causes_of(text) for name, text in sources().items()}


def _stored() -> dict[str, dict[str, list[str]]]:
    """expected.json: the texts once each, then per source, per question, the indices of its answer."""
    data = json.loads(EXPECTED.read_text())
    texts = data["texts"]
    return {name: {key: [texts[i] for i in answer] for key, answer in answers.items()}
            for name, answers in data["causes"].items()}


def _write() -> None:
    got = collect()
    texts = sorted({t for answers in got.values() for answer in answers.values() for t in answer})
    index = {t: i for i, t in enumerate(texts)}
    causes = {name: {key: [index[t] for t in answer] for key, answer in answers.items()}
              for name, answers in got.items()}
    lines = ['{"texts": [', ",\n".join(json.dumps(t, ensure_ascii=False) for t in texts), '],', '"causes": {',
             ",\n".join(f"{json.dumps(name)}: {json.dumps(answers, separators=(',', ':'))}"
                        for name, answers in causes.items()), "}}"]
    EXPECTED.write_text("\n".join(lines) + "\n")


def test_batch_causes_are_unchanged():
    expected = _stored()
    got = collect()
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], name


def test_every_rule_is_met():
    found = "\n".join(json.loads(EXPECTED.read_text())["texts"])
    for words in ("unpacks the shape of a batch", ".T` reverses all", ".transpose()` reverses all",
                  "names three axes, but this batch has", "not a batched matrix product",
                  "shape[-1]` is the last axis", "np.transpose(K)` reverses all",
                  "counts axes from the front", "`axis=", "indexes axes from the front",
                  "the batch size of a batch"):
        assert words in found, words


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    _write()
