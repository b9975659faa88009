"""Hints from the author's mutants, in the page: a wrong answer whose results are what one of the
problem's mutants returns on the same inputs is told that mutant's description (shipped in
problem.json), computed in the worker only because a check failed."""

from .helpers import open_problem, row_statuses, row_text, run_tests, set_code, text_of

SUBTRACTS = "Your code subtracts the second number from the first: add the two numbers instead."
# Not the mutant's code (`return a - b`): its results.
LIKE_THE_MUTANT = "def add(a, b):\n    return -(b - a)\n"


def test_a_wrong_answer_that_behaves_like_a_mutant_is_told_its_description(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    data = page.evaluate("() => fetch('problem.json').then((r) => r.json())")
    assert [(m["name"], m["description"]) for m in data["mutants"]] == [("subtracts", SUBTRACTS)]
    assert "solution" not in data

    set_code(page, LIKE_THE_MUTANT)
    assert run_tests(page) == "0/3 tests passed"
    hints = page.evaluate("() => [...document.querySelectorAll('#shared-hints .shared-hint-text')]"
                          ".map((p) => p.textContent)")
    assert hints == [f"Hint: {SUBTRACTS}"], "one hint, shared by the three failed tests"
    assert row_text(page, "test_small", ".test-message").startswith("add(2, 3) returned -1, expected 5")

    set_code(page, "def add(a, b):\n    return a * b\n")  # wrong, but no mutant's mistake
    run_tests(page)
    assert set(row_statuses(page).values()) == {"fail"}
    assert SUBTRACTS not in text_of(page, "#results")
