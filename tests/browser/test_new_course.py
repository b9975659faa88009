"""A new author's first site in a browser: `staticjudge init` from the installed wheel (see
tests/installed.py), built self-hosted by the installed tool with no Node.js on PATH (the Pyodide
core from this checkout's npm package, via --pyodide-dist), served from a sub-path, and solved
in Chromium.

With NumPy's Pyodide wheel (PYODIDE_PACKAGES names its folder) the learner solves the course's
own example, minmax_scale; without it, a pure-Python problem copied from the browser fixture
into the new course.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from staticjudge.site.frontend import FrontendError, ensure_node_modules

from installed import ROOT, code_block, new_course

from .conftest import FIXTURE, SUB_PATH, numpy_wheels, serving
from .helpers import open_problem, row_statuses, run_tests, set_code

pytestmark = pytest.mark.timeout(900)  # the wheel is built and installed first, unless another test did

PURE_PYTHON = "add_numbers"  # needs no package: runs on the Pyodide core alone


@pytest.fixture(scope="module")
def new_site(installed, tmp_path_factory):
    """(root URL of the served new course, the slug to solve, its problem file)."""
    try:
        modules = ensure_node_modules(ROOT / "staticjudge" / "theme")  # as a site build in a checkout does
    except FrontendError as exc:
        pytest.skip(f"no Pyodide npm package to self-host from: {exc}")
    base = tmp_path_factory.mktemp("new_course")
    course = new_course(installed, base / "course")
    numpy = numpy_wheels()
    if numpy:
        slug, extra = "minmax_scale", ["--pyodide-packages", str(numpy)]
    else:
        slug, extra = PURE_PYTHON, []
        shutil.copyfile(FIXTURE / "problems" / f"{slug}.md", course / "problems" / f"{slug}.md")
        shutil.copyfile(FIXTURE / "hidden_tests" / f"{slug}.py", course / "hidden_tests" / f"{slug}.py")
    www = base / "www"
    done = installed.run("build", "--out", str(www / SUB_PATH), "--pyodide-dist", str(modules / "pyodide"), *extra,
                         cwd=course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (www / SUB_PATH / "pyodide" / "pyodide.asm.wasm").is_file()  # self-hosted: no CDN needed
    with serving(www) as root:
        yield root + SUB_PATH, slug, course / "problems" / f"{slug}.md"


def test_a_learner_solves_the_new_courses_problem(page, new_site):
    site_url, slug, problem = new_site
    page.goto(site_url)
    assert page.locator('meta[name="generator"]').get_attribute("content").startswith("staticjudge ")
    assert page.locator(f'a[href*="{slug}"]').count() >= 1  # the index lists it

    markdown = problem.read_text(encoding="utf-8")
    open_problem(page, site_url, slug)
    set_code(page, code_block(markdown, "Starter code"))
    summary = run_tests(page)
    assert "solved" not in summary and set(row_statuses(page).values()) != {"pass"}, summary

    set_code(page, code_block(markdown, "Solution"))
    summary = run_tests(page)
    assert summary.endswith("tests passed · solved!"), summary
    statuses = row_statuses(page)
    assert statuses and set(statuses.values()) == {"pass"}, statuses
