"""How many wrong solutions get a hint naming their mistake, without and with the author's mutants.

    python bench/mutant_hints.py [--root FOLDER]

Three corpora of wrong solutions, each graded twice by the harness (in-process, as the browser's
worker grades; natively ``grade`` runs the same harness), with the problem's declared tolerance
as the page passes it (``problem.json``'s ``tolerance``): "before" with no mutants (the hints
the hidden tests write themselves), "after" with the problem's mutants (``model.mutant_data``,
what ``problem.json`` ships). Every problem's reference solution must pass as graded here, or
the bench stops (a run that grades otherwise than the page measures nothing):

- the catalogue's own mutants (problems/*.md, ``## Mutants``), each graded as a learner's code;
- the wrong alternative solutions, tests/solutions/<slug>/wrong/*.py;
- the wrong answers of the bad-submissions corpus (tests/corpus/bad_submissions.py, verdict
  "fail"), against self_attention and tests/corpus/project's scale_list.

A solution the hidden tests let pass is left out (there is no failure to explain).

Columns: wrong solutions; "hinted": at least one failed test carries a hint (any); "named":
a failed test's hint is the description of the mutant that is this solution's mistake (for a
catalogue mutant, itself; for the other corpora, the one MISTAKES below says, where one is);
"misnamed": a hint is the description of another mutant. A hint the tests write themselves may
name the same mistake in other words: "hinted" counts it, "named" does not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from staticjudge.content.parser import load_problems  # noqa: E402
from staticjudge.model import mutant_data  # noqa: E402
from staticjudge.runtime import harness  # noqa: E402

# The mutant whose mistake each wrong solution makes (None: none of the problem's mutants does).
MISTAKES = {
    "attention_weights/wrong/k_dot_T.py": "k_dot_T",
    "attention_weights/wrong/scaled_by_sqrt_S.py": "scaled_by_sqrt_S",
    "attention_weights/wrong/three_axes_only.py": None,
    "masked_attention/wrong/k_dot_T.py": "K_dot_T_on_batches",
    "masked_attention/wrong/np_dot.py": "one_sequence_only_np_dot",
    "masked_attention/wrong/scaled_by_sqrt_T.py": "scaled_by_sqrt_T",
    "masked_attention/wrong/softmax_axis_1.py": "one_sequence_only_axis_1",
    "masked_attention/wrong/unpacks_shape.py": "one_sequence_only_unpacks_shape",
    "masked_attention/wrong/zero_mask_blocks_everything.py": "zero_mask_blocks_everything",
    "padding_mask/wrong/mask_not_expanded.py": None,
    "padding_mask/wrong/np_dot.py": None,
    "rope/wrong/slices_axis_1.py": "one_sequence_only_slices_axis_1",
    "rope/wrong/unpacks_shape.py": "one_sequence_only_unpacks_shape",
    "self_attention/unscaled_scores": "no_scaling",
    "self_attention/float32_compute": "float32_output",
    "self_attention/patches_test_globals_via_frames": "no_scaling",
    "self_attention/reads_reference_via_frames": "no_scaling",
    "scale_list/wrong_length": "off_by_one",
}


def graded(problem, code: str, mutants=None) -> dict:
    """The Report the page's worker gives ``code``: the problem's hidden tests, its declared
    tolerance (without it, a test's ``tolerance("float32")`` stops with an error, and the
    mutant its check would have named goes unnamed) and, given, its mutants."""
    return harness.grade(code, problem.tests_source, problem.entry, mutants=mutants, tolerance=problem.tolerance)


def require_passing_solutions(problems) -> None:
    """Stop unless every problem's reference solution passes as ``graded`` grades it."""
    failing = [p.slug for p in problems if graded(p, p.solution.code)["status"] != "pass"]
    if failing:
        raise SystemExit(f"the reference solutions of {', '.join(failing)} do not pass as this bench grades them")


def outcome(problem, code: str, mutants, mistake: str | None) -> dict:
    report = graded(problem, code, mutants)
    hints = {t["hint"] for t in report["tests"] if t["status"] != "pass" and t.get("hint")}
    descriptions = {m.name: m.description for m in problem.mutants}
    own = descriptions.get(mistake)
    others = set(descriptions.values()) - {own}
    return {"failed": report["status"] != "pass", "hinted": bool(hints), "named": own in hints,
            "misnamed": bool(hints & others)}


def measure(cases) -> dict:
    """cases: [(problem, code, mistake)] → {"before"/"after": counts}."""
    table = {}
    for when in ("before", "after"):
        rows = [outcome(p, code, mutant_data(p) if when == "after" else None, mistake) for p, code, mistake in cases]
        rows = [r for r in rows if r["failed"]]  # one the tests let pass has no failure to explain
        table[when] = {key: sum(r[key] for r in rows) for key in ("hinted", "named", "misnamed")}
        table[when]["total"] = len(rows)
    return table


def corpora(root: Path) -> dict[str, list]:
    problems, errors = load_problems(root / "problems", root / "hidden_tests")
    if errors:
        raise SystemExit("\n".join(map(str, errors)))
    by_slug = {p.slug: p for p in problems}
    require_passing_solutions(problems)
    found = {"catalogue mutants": [(p, m.code, m.name) for p in problems for m in p.mutants]}
    wrong = []
    for path in sorted((root / "tests" / "solutions").glob("*/wrong/*.py")):
        key = path.relative_to(root / "tests" / "solutions").as_posix()
        wrong.append((by_slug[path.parts[-3]], path.read_text(), MISTAKES.get(key)))
    found["tests/solutions/*/wrong"] = wrong
    try:
        from corpus.bad_submissions import CASES, WRONG_ATTENTION
    except ImportError:
        return found
    extra, _ = load_problems(root / "tests" / "corpus" / "project" / "problems",
                             root / "tests" / "corpus" / "project" / "hidden_tests")
    by_slug.update({p.slug: p for p in extra})
    require_passing_solutions(extra)
    # The hostile cases that tamper with the grader are WRONG_ATTENTION (unscaled scores) underneath.
    found["tests/corpus (wrong answers)"] = [
        (by_slug[c.problem], c.code, MISTAKES.get(c.id) or ("no_scaling" if WRONG_ATTENTION in c.code else None))
        for c in CASES if c.verdict == "fail" and c.problem in by_slug]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    found = corpora(args.root)
    print(f"{'corpus':30} {'wrong':>5}  {'hinted before → after':>22}  {'named before → after':>21}  misnamed")
    for name, cases in found.items():
        table = measure(cases)
        before, after = table["before"], table["after"]
        print(f"{name:30} {before['total']:>5}  {before['hinted']:>10} → {after['hinted']:<9}  "
              f"{before['named']:>9} → {after['named']:<9}  {after['misnamed']}")


if __name__ == "__main__":
    main()
