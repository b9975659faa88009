"""Every shipped problem passes `check` with this course's settings (site/config.yaml: two
alternative solutions in tests/solutions/<slug>/, at least 3 mutants and 4 requirements): the rules
themselves live in `check` (staticjudge/authoring/), and tests/test_authoring_corpus.py tests them."""

from pathlib import Path

import pytest

from staticjudge.authoring.checker import check_problem
from staticjudge.authoring.rules import CourseRules, orphan_alternatives
from staticjudge.content.parser import load_problems
from staticjudge.project import Paths, SiteConfig

ROOT = Path(__file__).resolve().parent.parent
PATHS = Paths(ROOT)
CONFIG = SiteConfig.load(PATHS.config)
RULES = CourseRules.of(PATHS, CONFIG)
PROBLEMS, ERRORS = load_problems(PATHS.problems, PATHS.hidden_tests)


def test_every_problem_parses():
    assert not ERRORS, "\n".join(map(str, ERRORS))
    assert not orphan_alternatives(PATHS, CONFIG.solutions_dir(PATHS), {p.slug for p in PROBLEMS})


def test_this_course_asks_for_alternatives_and_its_minimums():
    assert (RULES.alternative_solutions, RULES.min_mutants, RULES.min_requirements) == (2, 3, 4)


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.slug for p in PROBLEMS])
def test_check_passes(problem):
    result = check_problem(problem, RULES)
    assert result.ok, "\n".join(map(str, result.errors))
    assert result.generated, "the mutation generator finds something to change in every solution"
