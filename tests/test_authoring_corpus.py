"""Broken problem files: each gives one clear `file:line: message`, a non-zero exit, no traceback.

Each case breaks a copy of a valid project in one place. Parse-level mistakes stop both `build`
and `check`; mistakes only running the tests can find (a failing solution, a surviving mutant,
a wrong worked example) stop `check`.
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import BASE_SLUG, ROOT, SOLUTIONS, line_of

MD = f"problems/{BASE_SLUG}.md"
TESTS = f"hidden_tests/{BASE_SLUG}.py"
LOOPS = f"{SOLUTIONS}/{BASE_SLUG}/loops.py"
CONFIG = "site/config.yaml"


@dataclass(frozen=True)
class Broken:
    name: str
    breaks: Callable[[Path], None]
    file: str  # which file the error must name
    needle: str | tuple | None  # text (or (text, nth)) on the line the error must name; None: no line
    message: str
    build_fails: bool = True
    slugs: tuple = ()  # check only these (`check SLUG …`)


def replace(relative: str, old: str, new: str):
    def apply(root: Path):
        path = root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))
    return apply


def write(relative: str, data: bytes):
    def apply(root: Path):
        (root / relative).write_bytes(data)
    return apply


def both(*steps):
    def apply(root: Path):
        for step in steps:
            step(root)
    return apply


def copy_problem_as(slug: str, *edits):
    def apply(root: Path):
        (root / "problems" / f"{slug}.md").write_text((root / MD).read_text())
        (root / "hidden_tests" / f"{slug}.py").write_text((root / TESTS).read_text())
        shutil.copytree(root / SOLUTIONS / BASE_SLUG, root / SOLUTIONS / slug)
        for edit in edits:
            edit(root)
    return apply


def own_config(*settings: str):
    """A copy of the real site/ whose config.yaml has each ``key: value`` of ``settings`` (replaced
    when the key is there, else added)."""
    def apply(root: Path):
        (root / "site").unlink()
        shutil.copytree(ROOT / "site", root / "site")
        text = (root / "site" / "config.yaml").read_text()
        for line in settings:
            key = line.split(":", 1)[0]
            text = re.sub(rf"^{key}:.*$", line, text, flags=re.MULTILINE) if re.search(rf"^{key}:", text, re.MULTILINE) \
                else text + line + "\n"
        (root / "site" / "config.yaml").write_text(text)
    return apply


CASES = [
    # An unclosed bracket is the line that opens it, not the line where YAML gave up.
    Broken("yaml_syntax", replace(MD, "tags: [attention, matmul, softmax]", "tags: [attention, matmul"),
           MD, "tags: [attention, matmul", "the value of 'tags' opens with [, which is never closed: end the value "
           "with ]"),
    Broken("yaml_colon_in_value", replace(MD, "summary: Every position", "summary: Note: every position"), MD,
           "summary: Note:", "the value of 'summary' holds ': ', which YAML reads as another key; quote the value: "
           'summary: "Note: every position'),
    Broken("yaml_tab", replace(MD, "order: 2", "order:\t2\n\t- x"), MD, None, "invalid YAML"),
    Broken("no_front_matter", replace(MD, "---\ntitle", "title"), MD, "title: Self-attention", "missing YAML front matter"),
    Broken("unclosed_front_matter", replace(MD, "summary: Every", "summary: Every\n").__class__ and
           (lambda root: (root / MD).write_text("---\ntitle: x\n")), MD, "---", "not closed"),
    Broken("unknown_key", replace(MD, "order: 2", "order: 2\nauthor: someone"), MD, "author:", "unknown front-matter key 'author'"),
    Broken("missing_title", replace(MD, "title: Self-attention\n", ""), MD, "order: 2", "missing the required key 'title'"),
    Broken("order_not_int", replace(MD, "order: 2", "order: second"), MD, "order: second", "'order': must be an integer"),
    Broken("bad_difficulty", replace(MD, "difficulty: easy", "difficulty: 3"), MD, "difficulty: 3", "must be one of"),
    Broken("entry_not_list", replace(MD, "entry: [self_attention]", "entry: {a: 1}"), MD, "entry: {a: 1}", "list of function names"),
    Broken("bad_time_limit", replace(MD, "order: 2", "order: 2\ntime_limit: -1"), MD, "time_limit: -1", "between 0 and 120"),
    Broken("tags_not_list", replace(MD, "tags: [attention, matmul, softmax]", "tags: attention"), MD, "tags: attention",
           "'tags': must be a list"),
    Broken("missing_solution", replace(MD, "## Solution\n", "## Solutions\n"), MD, "## Solutions", "unknown section"),
    Broken("missing_hints", replace(MD, "## Hints\n", ""), MD, None, "missing section '## Hints'"),
    Broken("two_code_blocks", replace(MD, "## Solution\n", "## Solution\n\n```python\nx = 1\n```\n"), MD, "## Solution",
           "exactly one ```python code block"),
    Broken("solution_syntax", replace(MD, "    scores = Q @ K.T / np.sqrt(K.shape[-1])\n    scores = scores -",
                                      "    scores = Q @ K.T / np.sqrt(K.shape[-1]\n    scores = scores -"),
           MD, "scores = Q @ K.T / np.sqrt(K.shape[-1]", "the solution does not compile"),
    Broken("entry_undefined", replace(MD, "entry: [self_attention]", "entry: [self_attention, helper]"), MD, "## Solution",
           "does not define the entry function 'helper'"),
    Broken("duplicate_section", replace(MD, "## Mutants\n", "## Hints\n\n- again\n\n## Mutants\n"), MD, ("## Hints", 2),
           "appears twice"),
    Broken("duplicate_mutant", replace(MD, "### scaled_by_d_k", "### no_scaling"), MD, ("### no_scaling", 2),
           "two mutants are named 'no_scaling'"),
    Broken("non_utf8", lambda root: (root / MD).write_bytes((root / MD).read_bytes().replace(b"weighted", b"w\xe9ighted", 1)),
           MD, "w\ufffdighted", "not valid UTF-8"),
    Broken("tests_syntax", replace(TESTS, "def test_output_shape(self_attention):", "def test_output_shape(self_attention)"),
           TESTS, "def test_output_shape(self_attention)", "does not compile"),
    Broken("tests_unknown_parameter", replace(TESTS, "def test_output_shape(self_attention):", "def test_output_shape(attention):"),
           TESTS, "def test_output_shape(attention)", "names no entry function"),
    Broken("tests_missing", lambda root: (root / TESTS).unlink(), TESTS, None, "hidden-test file is missing"),
    Broken("tests_none", lambda root: (root / TESTS).write_text("import numpy as np\n"), TESTS, None, "defines no test_* function"),
    Broken("tests_non_utf8", lambda root: (root / TESTS).write_bytes(b"# \xff\n" + (root / TESTS).read_bytes()), TESTS,
           None, "not valid UTF-8"),
    # The file that reuses an order is blamed, at its `order:` line: the one written last ...
    Broken("duplicate_order", copy_problem_as("self_attention_again"), "problems/self_attention_again.md",
           "order: 2", "order 2 is already used by"),
    Broken("duplicate_order_earlier_slug", copy_problem_as("a_self_attention"), "problems/a_self_attention.md",
           "order: 2", "the next free one is 3"),
    # ... or the one `check SLUG` is asked about.
    Broken("duplicate_order_check_slug", copy_problem_as("a_self_attention"), "problems/a_self_attention.md",
           "order: 2", "order 2 is already used by", slugs=("a_self_attention",)),
    # A requirement id misspelt in `## Requirements` is the problem file's mistake ...
    Broken("requirement_id_typo", replace(MD, "- `scaling`:", "- `scalng`:"), MD, "- `scalng`:",
           "requirement `scalng` is claimed by no hidden test, while self_attention.py claims `scaling`, which is "
           "not declared: test_random_inputs (line 64), test_scaling_large_dk (line 73). If `scaling` is the id "
           "you meant, rename the requirement here"),
    # ... one misspelt in a test's Guards: line is the test's.
    Broken("guards_id_typo", replace(TESTS, "Guards: scaling, key_axis", "Guards: scaling, key_axes"), TESTS,
           "Guards: scaling, key_axes", "test_random_inputs() claims the requirement `key_axes`, which "
           "self_attention.md does not declare (declared: scaling, transpose, key_axis, stable, "
           "inputs_not_mutated, dtype): did you mean `key_axis`? Fix this Guards: line"),
    # A quote matches the statement as it reads: a formula's words without their $ signs.
    Broken("quote_not_in_statement", replace(MD, "- `transpose`: $d_k$ is the last dimension of `K`.",
                                             "- `transpose`: d_k is the first dimension of K."),
           MD, "- `transpose`:", "quotes words the statement does not hold (in this order): 'd_k is the first "
           "dimension of K.'; quote the statement's words exactly (a formula as written between its $ signs"),
    Broken("orphan_tests", lambda root: (root / "hidden_tests" / "stray.py").write_text("def test_x():\n    pass\n"),
           "hidden_tests/stray.py", None, "no problem file problems/stray.md"),
    # Found only by running the tests: `check` stops, `build` does not run tests.
    Broken("solution_fails", replace(MD, "    return weights @ V\n", "    return weights @ V + 1e-3\n"), TESTS,
           "def test_worked_example", "the solution fails test_worked_example", build_fails=False),
    # A mutant that differs from the solution by less than the tests' tolerance: a hole in the tests.
    Broken("mutant_survives", replace(MD, "    scores = Q @ K / np.sqrt(K.shape[-1])",
                                      "    scores = Q @ K.T / np.sqrt(K.shape[-1]) * (1 + 1e-8)"),
           MD, ("import numpy as np", 7), "mutant 'K_not_transposed' passes every hidden test: add a test that "
           "catches it", build_fails=False),
    # A "mutant" that is right: no test can catch it, and "add a test" would be wrong advice.
    Broken("mutant_equals_solution", replace(MD, "    scores = Q @ K / np.sqrt(K.shape[-1])",
                                             "    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))\n"
                                             "    scores = Q @ K.T / np.sqrt(K.shape[-1])"),
           MD, ("import numpy as np", 7), "mutant 'K_not_transposed' returns what the solution returns (to "
           "rounding), in each of the 10 calls the hidden tests make: is it wrong at all? If it is, add a test "
           "with inputs on which it differs; if it is not, remove it", build_fails=False),
    # A test that claims the inputs are left unchanged must check them: the harness refuses a write
    # into an input (they arrive read-only) whatever the test does.
    Broken("inputs_claim_checks_nothing", replace(TESTS, "    assert_inputs_unchanged(arguments, before)\n", ""),
           TESTS, "def test_inputs_not_mutated", "test_inputs_not_mutated claims `inputs_not_mutated` but catches "
           "its mutant (scales_Q_in_place) only because the inputs arrive read-only and the write fails, whatever "
           "the test checks: check the inputs themselves", build_fails=False),
    Broken("inputs_claim_checks_copies", replace(TESTS, "    assert_inputs_unchanged(arguments, before)\n",
                                                 "    assert_inputs_unchanged(before, before)\n"),
           TESTS, "def test_inputs_not_mutated", "catches its mutant (scales_Q_in_place) only because the inputs "
           "arrive read-only", build_fails=False),
    # A TODO for the learner in the starter code is theirs; the author's TODO elsewhere is reported.
    Broken("todo_learner_vs_author", both(replace(MD, "    # 3. return weights @ V\n",
                                                  "    # 3. return weights @ V\n    # TODO: your code here\n"),
                                          replace(MD, "## Hints\n\n", "## Hints\n\n- TODO: a hint about shapes\n")),
           MD, "- TODO: a hint", "still to do:", build_fails=False),
    # assert_dtype's fix names the problem's own arguments (not "x").
    Broken("dtype_fix_names_arguments", replace(MD, "    return weights @ V\n",
                                                "    return (weights @ V).astype(np.float32)\n"), TESTS,
           "def test_float32_inputs", "the solution fails test_float32_inputs: your result is float32; the statement "
           "asks for float64: convert the inputs first: Q = np.asarray(Q, dtype=np.float64) (and K, V the same way)",
           build_fails=False),
    Broken("tests_raise_in_collection", replace(TESTS, "import numpy as np\n", "import numpy as np\nSEED = 1 / 0\n"),
           TESTS, "SEED = 1 / 0", "the hidden tests fail to load: ZeroDivisionError", build_fails=False),
    # A package the problem names (packages:) may be imported; one missing here fails to load.
    Broken("tests_import_missing_module",
           both(replace(MD, "order: 2", "order: 2\npackages: [numpy, scipy_not_here]"),
                replace(TESTS, "import numpy as np\n", "import numpy as np\nimport scipy_not_here\n")),
           TESTS, "import scipy_not_here", "ModuleNotFoundError", build_fails=False),
    # One wrong digit: marked at its output line, not the >>> line.
    Broken("example_mismatch", replace(MD, "[2.3395231, 3.3395231]", "[2.3395231, 3.3396231]"), MD,
           "[2.3395231, 3.3396231]", "worked example does not match the solution: the solution gives other "
           "numbers; output line 2 differs from column 25:", build_fails=False),
    Broken("example_raises", replace(MD, ">>> self_attention(Q, K, V)", ">>> self_attention(Q, K)"), MD,
           ">>> self_attention(Q, K)", "example raised TypeError", build_fails=False),
    Broken("starter_passes", replace(MD, "    # 3. return weights @ V\n    raise NotImplementedError\n",
                                     "    s = Q @ K.T / np.sqrt(K.shape[-1])\n    w = np.exp(s - s.max(-1, keepdims=True))\n"
                                     "    return w / w.sum(-1, keepdims=True) @ V\n"),
           MD, "import numpy as np", "the starter code already passes", build_fails=False),
    # The rules of staticjudge/authoring/rules.py: found by `check` alone.
    Broken("tests_import_outside_the_browser", replace(TESTS, "import numpy as np\n", "import numpy as np\nimport scipy.special\n"),
           TESTS, "import scipy.special", "hidden tests may import only the standard library, NumPy and `judge`",
           build_fails=False),
    Broken("tolerance_not_stated", replace(TESTS, '**tolerance("float32")', "rtol=1e-3, atol=1e-5"), TESTS, "rtol=1e-3",
           "this test compares to within rtol=1e-3, a tolerance the statement never states", build_fails=False),
    Broken("tolerance_only_given_to_a_name",
           both(replace(TESTS, '**tolerance("float32")', "rtol=1e-3, atol=1e-5"),
                replace(MD, "Leave `Q`, `K` and `V` unchanged", "(like `eps=1e-3`) Leave `Q`, `K` and `V` unchanged")),
           TESTS, "rtol=1e-3", "state 1e-3 in the statement", build_fails=False),
    Broken("tolerance_default_not_stated",
           both(replace(MD, "tolerance: {rtol: 1e-6, atol: 1e-6, float32: {rtol: 1e-4, atol: 1e-5}}\n", ""),
                replace(MD, "to within 1e-6 (absolute and relative)", "closely")), TESTS,
           '    t = tolerance()', "the tests compare here with the default atol=1e-6", build_fails=False),
    # The front matter's tolerance: is what the statement must state, the tests' defaults and what
    # the allowed variants move the solution's results by.
    Broken("tolerance_declared_not_stated", replace(MD, "tolerance: {rtol: 1e-6, atol: 1e-6,", "tolerance: {rtol: 1e-6, atol: 2e-6,"),
           MD, "tolerance: {rtol: 1e-6, atol: 2e-6", "the front matter declares the tolerance atol: 2e-6, which the "
           "statement never states", build_fails=False),
    Broken("tolerance_named_not_declared", replace(TESTS, 'assert_close(out, reference(Q, K, V), **tolerance("float32"))',
                                                   'assert_close(out, reference(Q, K, V), **tolerance("float16"))'),
           TESTS, 'tolerance("float16")', "tolerance('float16') asks for a named tolerance the problem does not declare",
           build_fails=False),
    Broken("tolerance_bad_declaration", replace(MD, "tolerance: {rtol: 1e-6, atol: 1e-6,", "tolerance: {rtol: 1e-6, atl: 1e-6,"),
           MD, "tolerance: {rtol: 1e-6, atl: 1e-6", "front-matter key 'tolerance': the tolerance must give rtol "
           "and atol"),
    # A test stricter than the statement: the band of 1e-9 around V's range fails the solution with
    # its results moved by 0.4× the declared 1e-6, an allowed variant.
    Broken("test_stricter_than_tolerance", replace(TESTS, "low, high = band(V.min(axis=0), V.max(axis=0))",
                                                   "low, high = V.min(axis=0) - 1e-9, V.max(axis=0) + 1e-9"),
           TESTS, "def test_rows_are_convex_combinations", "test_rows_are_convex_combinations fails the allowed variant "
           "'up' of the solution (every float result moved up by 0.4× the tolerance), though the problem declares the "
           "tolerance rtol=1e-6, atol=1e-6 that the statement states", build_fails=False),
    Broken("float64_promise_without_requirement",
           replace(MD, "- `dtype`: Return a NumPy `float64` array of shape `(T, d_v)`. Inputs may be `float32` or `float64`.",
                   "- `dtype`: Return a NumPy"),
           MD, "## Requirements", "no requirement quotes `float64`", build_fails=False),
    Broken("math_unknown_command", replace(MD, "Leave `Q`, `K` and `V` unchanged", "$\\Var(Q)$ stays. Leave `Q`, `K` and `V` unchanged"),
           MD, "\\Var(Q)", "cannot render math $\\Var(Q)$: unknown command \\Var"),
    Broken("math_aligned", replace(MD, "3. **Output**", "$$\\begin{aligned} a &= b \\end{aligned}$$\n\n3. **Output**"),
           MD, "begin{aligned}", "(aligned/align are not supported)"),
    Broken("unknown_track", replace(MD, "track: foundations", "track: foundation"), MD, "track: foundation",
           "track 'foundation' is not one of the tracks site/config.yaml lists (foundations, masking,", build_fails=False),
    Broken("no_worked_example", replace(MD, "```pycon", "```python"), MD, "## Starter code",
           "the statement has no worked example", build_fails=False),
    Broken("too_few_mutants", own_config("min_mutants: 9"), MD, "## Mutants",
           "8 mutant(s); this course asks for at least 9 (min_mutants in site/config.yaml)", build_fails=False),
    Broken("too_few_requirements", own_config("min_requirements: 7"), MD, "## Requirements",
           "6 requirement(s); this course asks for at least 7", build_fails=False),
    Broken("bad_minimum_setting", own_config("min_mutants: three"), CONFIG, "min_mutants",
           "`min_mutants` must be a whole number, 0 or more"),
    Broken("too_few_alternatives", lambda root: (root / LOOPS).unlink(), MD, "## Solution",
           "tests/solutions/self_attention/ holds 1 alternative solution(s); this course asks for 2", build_fails=False),
    Broken("alternative_fails", replace(LOOPS, "    T, d_k = len(Q), len(K[0])\n", "    T, d_k = len(Q), len(K[0])\n    1 / 0\n"),
           LOOPS, "1 / 0", "fails test_worked_example, test_output_shape, test_random_inputs, test_scaling_large_dk, "
           "test_non_square_keys, test_large_scores_stay_finite, test_float32_inputs, "
           "test_rows_are_convex_combinations, test_inputs_not_mutated: ZeroDivisionError: division by zero "
           "(an alternative solution must pass every hidden test", build_fails=False),
    Broken("alternatives_for_no_problem", lambda root: shutil.copytree(root / SOLUTIONS / BASE_SLUG, root / SOLUTIONS / "self_atention"),
           "tests/solutions/self_atention", None, "alternative solutions for no problem", build_fails=False),
]


def expected_line(root: Path, case: Broken) -> int | None:
    if case.needle is None:
        return None
    text, nth = case.needle if isinstance(case.needle, tuple) else (case.needle, 1)
    return line_of(root / case.file, text, nth)


def run(root: Path, command: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(root), command, *args],
                          capture_output=True, text=True, timeout=120)


def assert_one_located_error(root: Path, case: Broken, result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    where = str(root / case.file)
    line = expected_line(root, case)
    located = [l for l in output.splitlines() if where in l and case.message in l]
    assert len(located) == 1, f"expected one error naming {case.file} with {case.message!r}:\n{output}"
    if line is not None:
        assert f"{where}:{line}: " in located[0], f"expected line {line}:\n{output}"


def test_corpus_is_large_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_problem_gives_one_located_error(project, case):
    case.breaks(project)
    if case.build_fails:
        assert_one_located_error(project, case, run(project, "build"))
        assert not (project / "_site").exists(), "a failed build must not write the site"
    else:
        assert run(project, "build").returncode == 0
    assert_one_located_error(project, case, run(project, "check", *case.slugs))


def test_tolerances_are_read_as_numbers():
    """What `check` counts as a stated tolerance (rules.stated_numbers) and a declared one."""
    from staticjudge.authoring.rules import declared_tolerances, stated_numbers

    stated = stated_numbers("to within 1E-04 relative, 10^{-5} absolute, $2 \\times 10^{-7}$, 10⁻⁸ or 0.001; "
                            "compared exactly. With `eps=1e-9` and $\\epsilon = 10^{-10}$.\n"
                            "```python\nx = 1e-11\n```\n")
    assert {1e-4, 1e-5, 2e-7, 1e-8, 0.001, 0.0} <= stated
    assert not {1e-9, 1e-10, 1e-11} & stated
    tests = ("def close(a, b, rtol=1e-3, atol=0):\n    assert_close(a, b, rtol=rtol, atol=atol)\n"
             "def test_x(f):\n    assert_close(f(1), 1, atol=1e-8)\n    assert_true(np.allclose(f(1), 1, atol=1e-12))\n"
             "    assert_close(f(2), 2, **EXACT)\n")
    assert declared_tolerances(tests) == [(1, "atol", 0.0, False), (1, "rtol", 1e-3, False),
                                          (4, "atol", 1e-8, False), (4, "rtol", 1e-6, True)]


def test_report_never_cuts_inside_a_number_or_a_word(project):
    """`check --report` shortens long lines at a space: "max abs error 0.232", never "max abs error 0"."""
    from staticjudge.authoring.checker import CheckResult, MutantResult, mutation_report, requirements_report
    from staticjudge.content.parser import parse_problem

    problem = parse_problem(project / MD, project / "hidden_tests")
    head = "your result differs from the expected values in 4 of 4 entries; first difference at index (0, 0): "
    message = head + "x" * (150 - len(head) - len(" max abs error 0")) + " max abs error 0.232; allowed: 1e-06"
    assert message[:150].endswith("max abs error 0")  # where a plain cut at 150 characters would fall
    result = CheckResult(problem, mutants=[MutantResult("no_scaling", 1, ["test_random_inputs"], message)])
    says = next(l for l in mutation_report(result) if "says:" in l)
    assert says.endswith(" max abs error …") and "error 0" not in says, says
    lines = requirements_report(result)
    for requirement, line in zip(problem.requirements, [l for l in lines if l.startswith("    ") and not l.startswith("      ")]):
        shown = line.split(": ", 1)[1]
        assert shown == " ".join(requirement.text.split()) or (
            shown.endswith(" …") and " ".join(requirement.text.split()).startswith(shown[:-2] + " ")), line
