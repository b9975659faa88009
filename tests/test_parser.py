"""Each kind of author mistake is an error that names the file and the line."""

from pathlib import Path

import pytest

from staticjudge.model import ProblemError
from staticjudge.content.parser import load_problems, parse_problem

from conftest import BASE_SLUG, line_of


def md(project: Path) -> Path:
    return project / "problems" / f"{BASE_SLUG}.md"


def hidden_file(project: Path) -> Path:
    return project / "hidden_tests" / f"{BASE_SLUG}.py"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def parse_error(project: Path) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        parse_problem(md(project), project / "hidden_tests")
    return info.value


def test_valid_problem_parses_into_model(project):
    problem = parse_problem(md(project), project / "hidden_tests")
    assert problem.slug == BASE_SLUG
    assert problem.entry == ("self_attention",)
    assert problem.order == 2 and problem.difficulty == "easy"
    assert problem.packages == ("numpy",)
    assert "raise NotImplementedError" in problem.starter.code
    assert "def self_attention" in problem.solution.code
    assert len(problem.hints) == 3 and problem.hints[0].startswith("The scores")
    assert [m.name for m in problem.mutants][:2] == ["no_scaling", "softmax_wrong_axis"]
    assert problem.mutants[0].description == ("Your code does not scale the scores: divide Q @ K.T by sqrt(d_k), "
                                              "the square root of the key size.")
    assert len(problem.examples) == 1 and ">>> self_attention(Q, K, V)" in problem.examples[0].source
    assert problem.tests[0].title == "Worked example from the statement"
    assert problem.tests[0].params == ("self_attention",)
    # Code lines are located in the markdown file, for messages that point at them.
    assert md(project).read_text().splitlines()[problem.starter.line - 1] == "import numpy as np"


def test_unknown_front_matter_key(project):
    edit(md(project), "difficulty: easy\n", "difficulty: easy\nauthr: me\n")
    error = parse_error(project)
    assert error.path == md(project) and error.line == line_of(md(project), "authr:")
    assert "unknown front-matter key 'authr'" in str(error)


def test_missing_required_key(project):
    edit(md(project), "order: 2\n", "")
    error = parse_error(project)
    assert "missing the required key 'order'" in error.message


def test_bad_difficulty_names_its_line(project):
    edit(md(project), "difficulty: easy", "difficulty: trivial")
    error = parse_error(project)
    assert error.line == line_of(md(project), "difficulty:") and "easy, medium, hard" in error.message


def test_invalid_yaml_names_its_line(project):
    edit(md(project), "tags: [attention, matmul, softmax]", "tags: [attention, matmul")
    error = parse_error(project)
    assert "invalid YAML" in error.message and error.line is not None and error.line >= 2


def test_missing_front_matter(project):
    text = md(project).read_text()
    md(project).write_text(text.split("---\n", 2)[2])
    assert "missing YAML front matter" in parse_error(project).message


@pytest.mark.parametrize("section", ["Starter code", "Solution", "Hints"])
def test_missing_section(project, section):
    edit(md(project), f"## {section}\n", f"## Not {section}\n" if section != "Starter code" else "")
    error = parse_error(project)
    assert section in error.message and error.path == md(project) and error.line


def test_unknown_section_after_statement(project):
    edit(md(project), "## Hints\n", "## Notes\n\nx\n\n## Hints\n")
    error = parse_error(project)
    assert error.line == line_of(md(project), "## Notes") and "unknown section" in error.message


def test_entry_not_defined_by_solution(project):
    edit(md(project), "entry: [self_attention]", "entry: [self_attention, attention_weights]")
    error = parse_error(project)
    assert "does not define the entry function 'attention_weights'" in error.message
    assert error.line == line_of(md(project), "## Solution")


def test_solution_that_does_not_compile_names_the_line(project):
    edit(md(project), "    scores = scores - scores.max(axis=-1, keepdims=True)\n",
         "    scores = scores - (scores.max(axis=-1, keepdims=True)\n")
    error = parse_error(project)
    assert "does not compile" in error.message
    assert abs(error.line - line_of(md(project), "scores = scores - (scores.max")) <= 1


def test_test_parameter_naming_no_entry(project):
    edit(hidden_file(project), "def test_output_shape(self_attention):", "def test_output_shape(attention):")
    error = parse_error(project)
    assert error.path == hidden_file(project)
    assert error.line == line_of(hidden_file(project), "def test_output_shape(attention)")
    assert "'attention'" in error.message


def test_hidden_tests_that_do_not_compile(project):
    edit(hidden_file(project), "def test_output_shape(self_attention):", "def test_output_shape(self_attention)")
    error = parse_error(project)
    assert error.path == hidden_file(project) and error.line == line_of(hidden_file(project), "def test_output_shape")
    assert "does not compile" in error.message


def test_missing_hidden_hidden_file(project):
    hidden_file(project).unlink()
    error = parse_error(project)
    assert error.path == hidden_file(project) and "missing" in error.message


def test_non_utf8_file_names_line(project):
    data = md(project).read_bytes().replace(b"every position", b"every \xff position", 1)
    md(project).write_bytes(data)
    error = parse_error(project)
    assert "UTF-8" in error.message and error.line == line_of_bytes(data, b"\xff")


def line_of_bytes(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


def test_unclosed_fence(project):
    text = md(project).read_text()
    md(project).write_text(text.rstrip().rsplit("```", 1)[0])
    assert "never closed" in parse_error(project).message


def test_duplicate_order_is_reported(project):
    other = project / "problems" / "another.md"
    other.write_text(md(project).read_text().replace("title: Self-attention", "title: Another"))
    (project / "hidden_tests" / "another.py").write_text(hidden_file(project).read_text())
    problems, errors = load_problems(project / "problems", project / "hidden_tests")
    assert len(problems) == 2
    assert len(errors) == 1 and "order 2 is already used" in errors[0].message


def test_bad_slug(project):
    bad = project / "problems" / "Bad-Name.md"
    bad.write_text(md(project).read_text())
    with pytest.raises(ProblemError, match="must be a slug"):
        parse_problem(bad, project / "hidden_tests")


def test_mutant_without_heading(project):
    edit(md(project), "## Mutants\n", "## Mutants\n\nstray text\n")
    error = parse_error(project)
    assert error.line == line_of(md(project), "stray text") and "### name" in error.message
