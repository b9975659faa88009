"""Requirements as data: parsed once, claimed by hidden tests, enforced by `check` at the requirement's line."""

from pathlib import Path

import pytest

from staticjudge.authoring.checker import check_problem
from staticjudge.model import ProblemError
from staticjudge.content.parser import parse_problem

from conftest import BASE_SLUG, line_of

MD = f"problems/{BASE_SLUG}.md"
TESTS = f"hidden_tests/{BASE_SLUG}.py"


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


def parse(root: Path):
    return parse_problem(root / MD, root / "hidden_tests")


def errors_at(root: Path, needle: str) -> list[str]:
    """Messages of `check` located at the problem-file line holding ``needle``."""
    result = check_problem(parse(root))
    line = line_of(root / MD, needle)
    return [e.message for e in result.errors if e.path == root / MD and e.line == line]


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------
def test_requirements_are_parsed_with_their_words_mutants_and_lines(project):
    problem = parse(project)
    by_id = {r.id: r for r in problem.requirements}
    scaling = by_id["scaling"]
    assert scaling.mutants == ("no_scaling", "scaled_by_d_k", "scaled_by_sqrt_T")
    assert scaling.text == r"$S = Q K^\top / \sqrt{d_k}$"
    assert scaling.line == line_of(project / MD, "- `scaling`:")
    # A requirement wrapped over two lines is one item; its mutant is on the continuation line.
    assert by_id["dtype"].mutants == ("float32_output",)
    assert by_id["dtype"].text.endswith("Inputs may be `float32` or `float64`.")


def test_a_guards_line_is_parsed_and_never_reaches_the_title(project):
    tests = {t.name: t for t in parse(project).tests}
    assert tests["test_random_inputs"].guards == ("scaling", "key_axis")
    assert tests["test_output_shape"].guards == ("transpose",)
    assert tests["test_output_shape"].title == "Output has shape (T, d_v), with d_v different from d_k"
    assert tests["test_worked_example"].guards == ()
    assert all("Guards" not in t.title for t in tests.values())


@pytest.mark.parametrize("old, new, needle, message", [
    ("- `transpose`: $d_k$ is the last dimension of `K`. — mutant: K_not_transposed",
     "- `transpose`: $d_k$ is the last dimension of `K`.", "- `transpose`:", "names no mutant that breaks it"),
    ("— mutant: K_not_transposed", "— mutant: K_transposed_twice", "- `transpose`:",
     "names the mutant 'K_transposed_twice', which '## Mutants' does not define"),
    ("- `transpose`: $d_k$ is the last", "- `transpose`: $d_q$ is the last", "- `transpose`:",
     "quotes words the statement does not hold"),
    ("- `transpose`:", "- transpose:", "- transpose:", "starts with its id in backticks"),
    ("- `transpose`:", "- `Transpose`:", "- `Transpose`:", "must be lowercase letters"),
    ("- `transpose`:", "- `scaling`:", ("- `scaling`:", 2), "two requirements are named `scaling`"),
    ("## Requirements\n\n", "## Requirements\n\nthe promises:\n", "the promises:", "each requirement is a list item"),
])
def test_a_malformed_requirement_is_an_error_at_its_line(project, old, new, needle, message):
    edit(project, MD, old, new)
    with pytest.raises(ProblemError) as caught:
        parse(project)
    text, nth = needle if isinstance(needle, tuple) else (needle, 1)
    assert caught.value.path == project / MD and caught.value.line == line_of(project / MD, text, nth)
    assert message in caught.value.message, caught.value.message


def test_an_ellipsis_leaves_words_out_of_a_quote(project):
    edit(project, MD, "- `transpose`: $d_k$ is the last dimension of `K`.",
         "- `transpose`: **Scores** … $d_k$ is the last dimension of `K`.")
    assert {r.id: r for r in parse(project).requirements}["transpose"].text.startswith("**Scores** …")
    edit(project, MD, "**Scores** … $d_k$", "$d_k$ … **Scores**")  # the words are out of order now
    with pytest.raises(ProblemError, match="does not hold"):
        parse(project)


def test_a_test_claiming_an_undeclared_requirement_is_an_error_at_its_guards_line(project):
    edit(project, TESTS, "    Guards: transpose\n", "    Guards: transpose, dtypes\n")
    with pytest.raises(ProblemError) as caught:
        parse(project)
    assert caught.value.path == project / TESTS
    assert caught.value.line == line_of(project / TESTS, "Guards: transpose, dtypes")
    assert "claims the requirement `dtypes`, which self_attention.md does not declare" in caught.value.message
    assert "did you mean `dtype`? Fix this Guards: line" in caught.value.message


def test_an_equivalent_mark_needs_a_reason(project):
    edit(project, MD, "`: dividing by", "`:  \n  dividing by")  # still a reason, on the next line
    assert parse(project).equivalent_mutants[0].reason.startswith("dividing by")
    text = (project / MD).read_text()
    head, _, _ = text.partition("## Equivalent mutants")
    (project / MD).write_text(head + "## Equivalent mutants\n\n- `drop_scale@x = 1`:\n")
    with pytest.raises(ProblemError, match="say why `drop_scale@x = 1` is equivalent"):
        parse(project)


# ---------------------------------------------------------------------------------------------
# What check proves
# ---------------------------------------------------------------------------------------------
def test_a_requirement_no_test_claims_fails_check_at_the_requirement(project):
    text = (project / TESTS).read_text().replace("    Guards: stable\n", "")
    (project / TESTS).write_text(text)
    assert any("requirement `stable` is claimed by no hidden test" in m for m in errors_at(project, "- `stable`:"))


def test_a_surviving_mutant_fails_check_at_its_requirement(project):
    # The mutant K_not_transposed made right: it now survives every test.
    edit(project, MD, "    scores = Q @ K / np.sqrt(K.shape[-1])", "    scores = Q @ K.T / np.sqrt(K.shape[-1])")
    messages = errors_at(project, "- `transpose`:")
    assert any("its mutant 'K_not_transposed' survives every hidden test" in m for m in messages), messages


def test_a_mutant_caught_only_by_tests_not_claiming_it_fails_check(project):
    # no_max_subtraction is caught by test_large_scores_stay_finite alone: move the claim of `stable`
    # from it to test_random_inputs.
    edit(project, TESTS, "    Guards: stable\n", "    Guards: key_axis\n")
    edit(project, TESTS, "    Guards: scaling, key_axis\n", "    Guards: scaling, key_axis, stable\n")
    problem = parse(project)
    claiming = [t.name for t in problem.tests if "stable" in t.guards]
    assert claiming and "test_large_scores_stay_finite" not in claiming
    messages = errors_at(project, "- `stable`:")
    assert any("its mutant 'no_max_subtraction' is caught only by tests that do not claim it "
               "(test_large_scores_stay_finite); the mutant must be caught by a test that claims "
               "the requirement" in m for m in messages), messages


def test_a_mutant_named_by_two_requirements_is_an_error_at_the_second(project):
    # A requirement's mutant breaks it and nothing else: one mutant cannot prove two promises.
    edit(project, MD, "mutant: no_max_subtraction", "mutants: no_max_subtraction, float32_output")
    with pytest.raises(ProblemError) as caught:
        parse(project)
    assert caught.value.line == line_of(project / MD, "- `dtype`:")
    assert "names the mutant 'float32_output', which `stable` names already" in caught.value.message


def test_a_mutant_no_requirement_names_is_an_error_at_the_mutant(project):
    edit(project, MD, "- `stable`: Subtract each row's maximum before exponentiating so large scores cannot "
                      "overflow. —\n  mutant: no_max_subtraction\n", "")
    with pytest.raises(ProblemError) as caught:
        parse(project)
    lines = (project / MD).read_text().splitlines()
    heading = line_of(project / MD, "### no_max_subtraction")
    following = next(n for n in range(heading + 1, len(lines) + 1) if lines[n - 1].startswith("#"))
    assert heading <= caught.value.line < following  # within the mutant's own section
    assert "mutant 'no_max_subtraction' breaks no requirement" in caught.value.message


def test_a_claim_that_catches_none_of_the_requirements_mutants_fails_check_at_the_test(project):
    # test_output_shape checks shapes only: it cannot catch float32_output, so it may not claim `dtype`.
    edit(project, TESTS, "    Guards: transpose\n", "    Guards: transpose, dtype\n")
    result = check_problem(parse(project))
    line = line_of(project / TESTS, "def test_output_shape")
    messages = [e.message for e in result.errors if e.path == project / TESTS and e.line == line]
    assert messages == ["test_output_shape claims `dtype` but catches none of its mutants (float32_output): "
                        "make the test check the requirement, or drop the claim"], messages


def test_a_problem_without_requirements_fails_check(project):
    text = (project / MD).read_text()
    start, end = text.index("## Requirements"), text.index("## Mutants")
    (project / MD).write_text(text[:start] + text[end:])
    text = "".join(l for l in (project / TESTS).read_text().splitlines(True) if "Guards:" not in l)
    (project / TESTS).write_text(text)
    result = check_problem(parse(project))
    assert [e.message for e in result.errors if e.line is None and "declares no requirements" in e.message]


def test_a_generated_survivor_is_reported_at_its_solution_line_and_a_mark_silences_it(project):
    text = (project / MD).read_text()
    head, _, _ = text.partition("\n## Equivalent mutants")
    (project / MD).write_text(head + "\n")
    line_text = "Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))"
    result = check_problem(parse(project))
    solution_line = line_of(project / MD, line_text)
    (located,) = [e for e in result.errors if e.line == solution_line]
    assert located.message.startswith(f"generated mutant input_dtype survives: {line_text}  →  "
                                      "Q, K, V = (np.asarray(a) for a in (Q, K, V))")
    (project / MD).write_text(head + f"\n## Equivalent mutants\n\n- `input_dtype@{line_text}`: np.sqrt promotes.\n")
    result = check_problem(parse(project))
    assert result.ok, "\n".join(map(str, result.errors))
    assert [g.equivalent for g in result.generated if not g.killed_by] == ["np.sqrt promotes."]


def test_a_stale_equivalent_mark_fails_check_at_the_mark(project):
    with (project / MD).open("a") as f:
        f.write("- `drop_scale@scores = Q @ K.T / np.sqrt(K.shape[-1])`: not so, a test catches it.\n")
    messages = errors_at(project, "- `drop_scale@")
    assert any("is marked equivalent, but no generated mutant of that name survives" in m for m in messages), messages


def test_a_quote_matches_the_statement_as_it_reads(project):
    # The statement says "$d_k$ is the last dimension of `K`": the quote may drop the $ signs and
    # backticks, or keep them.
    edit(project, MD, "- `transpose`: $d_k$ is the last dimension of `K`.", "- `transpose`: d_k is the last dimension of K.")
    assert {r.id: r for r in parse(project).requirements}["transpose"].text == "d_k is the last dimension of K."
    edit(project, MD, "- `transpose`: d_k is the last", "- `transpose`: d_k is the lost")
    with pytest.raises(ProblemError, match="does not hold"):
        parse(project)


def test_read_as_text_drops_markup_but_keeps_the_math_as_written():
    from staticjudge.content.parser import read_as_text

    assert read_as_text(r"Scale by $\sqrt{d_k}$, see **[the paper](https://x.org)** and `np.sqrt`.") == \
        r"Scale by \sqrt{d_k}, see the paper and np.sqrt."
    assert read_as_text(r"costs \$5 and $$x^2$$") == r"costs \$5 and x^2"
