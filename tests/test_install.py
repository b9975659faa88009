"""The installed tool: this checkout's wheel, installed into a fresh venv, used as a new author uses
it (tests/installed.py: PATH holding only the venv's bin/, so no Node.js; HOME in a temporary
folder; commands run outside the checkout). One wheel build and one venv for the whole session."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

import staticjudge
from staticjudge.grading import sandbox

from installed import ROOT, code_block, new_course

VERSION = staticjudge.__version__
GENERATOR_META = f'<meta name="generator" content="staticjudge {VERSION}">'
PACKAGE = ROOT / "staticjudge"
TEMPLATE = PACKAGE / "authoring" / "course_template"

pytestmark = pytest.mark.timeout(900)  # the first test to ask for `installed` builds and installs the wheel


@pytest.fixture(scope="module")
def course(installed, tmp_path_factory) -> Path:
    """A course made by the installed ``init``, untouched by the tests that change a course."""
    return new_course(installed, tmp_path_factory.mktemp("author") / "my-course")


def test_version_from_the_command_and_the_module(installed, tmp_path):
    for done in (installed.run("--version", cwd=tmp_path),
                 installed.run("-m", "staticjudge", "--version", cwd=tmp_path, python=True)):
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"staticjudge {VERSION}", done.args
    # the installed copy, not this checkout
    done = installed.run("-c", "import staticjudge; print(staticjudge.__file__)", cwd=tmp_path, python=True)
    assert done.returncode == 0 and Path(done.stdout.strip()).is_relative_to(installed.venv), done.stdout


def test_init_writes_a_course_that_checks_builds_and_grades(installed, course):
    names = {p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file()}
    assert names == {"site/config.yaml", "problems/minmax_scale.md", "hidden_tests/minmax_scale.py", "README.md",
                     ".gitignore", ".github/workflows/pages.yml"}

    done = installed.run("check", cwd=course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^ok\s+minmax_scale", done.stdout, re.MULTILINE) and "1 of 1 problem(s) ok" in done.stdout

    done = installed.run("build", cwd=course)
    assert done.returncode == 0, done.stdout + done.stderr
    site = course / "_site"
    for page in (site / "index.html", site / "minmax_scale" / "index.html"):
        assert GENERATOR_META in page.read_text(encoding="utf-8"), page
    assert "Min-max scaling" in (site / "index.html").read_text(encoding="utf-8")
    assert json.loads((site / "assets" / "runtime.json").read_text())["generator"] == f"staticjudge {VERSION}"
    assert (site / "assets" / "editor.js").stat().st_size > 10_000  # the packaged bundle, not the fallback
    assert (site / "sw.js").is_file()  # the packaged service worker (the offline copy)

    markdown = (course / "problems" / "minmax_scale.md").read_text(encoding="utf-8")
    (course / "solution.py").write_text(code_block(markdown, "Solution"), encoding="utf-8")
    (course / "starter.py").write_text(code_block(markdown, "Starter code"), encoding="utf-8")
    done = installed.run("grade", "minmax_scale", "solution.py", cwd=course)
    assert done.returncode == 0, done.stdout + done.stderr
    done = installed.run("grade", "minmax_scale", "starter.py", "--json", cwd=course)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["status"] != "pass" and report["passed"] == 0 and report["total"] == 5


def test_init_refuses_a_folder_that_is_not_empty_unless_forced(installed, tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    done = installed.run("init", "busy", cwd=tmp_path)
    assert done.returncode == 2 and "--force" in done.stderr, done.stdout + done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]

    done = installed.run("init", "busy", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / "problems" / "minmax_scale.md").is_file() and (folder / "notes.txt").read_text() == "mine\n"


def test_a_course_overrides_the_theme_file_by_file_and_sets_its_accent(installed, tmp_path):
    course = new_course(installed, tmp_path / "themed")
    (course / "site" / "templates").mkdir()
    (course / "site" / "templates" / "footer.html").write_text(
        "<p>Course run by the Department of Overrides</p>\n", encoding="utf-8")
    (course / "site" / "assets").mkdir()
    theme_css = (PACKAGE / "theme" / "assets" / "style.css").read_text(encoding="utf-8")
    (course / "site" / "assets" / "style.css").write_text("/* our own look */\nbody { margin: 3px; }\n")
    (course / "site" / "assets" / "crest.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    config = course / "site" / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + 'accent: "#a1b2c3"\n', encoding="utf-8")

    done = installed.run("build", "--out", str(tmp_path / "out"), cwd=course)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "out"
    for page in (out / "index.html", out / "minmax_scale" / "index.html"):
        html = page.read_text(encoding="utf-8")
        assert "Department of Overrides" in html, page
        assert "<style>:root{--accent:#a1b2c3}</style>" in html, page
    assert (out / "assets" / "style.css").read_text() == "/* our own look */\nbody { margin: 3px; }\n" != theme_css
    assert (out / "assets" / "crest.svg").is_file()
    assert (out / "assets" / "app.js").read_bytes() == (PACKAGE / "theme" / "assets" / "app.js").read_bytes()


def _readme_commands(readme: str) -> set[str]:
    """The commands of the README's ``## Commands`` block, comments dropped."""
    match = re.search(r"^## Commands\s*\n+```\w*\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    assert match, "the course README has no ## Commands block"
    return {line.split("#", 1)[0].strip() for line in match.group(1).splitlines() if line.strip()}


def test_the_pages_workflow_installs_this_version_and_runs_what_the_readme_says(course):
    workflow = yaml.safe_load((course / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    runs = [step["run"].strip() for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    assert f"pip install staticjudge=={VERSION}" in runs
    assert "staticjudge check" in runs and "staticjudge build --out _site" in runs
    assert runs.index("staticjudge check") < runs.index("staticjudge build --out _site")
    commands = _readme_commands((course / "README.md").read_text(encoding="utf-8"))
    assert set(runs) <= commands, set(runs) - commands
    assert "@VERSION@" not in (course / "README.md").read_text() + (course / "site" / "config.yaml").read_text()


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_what_the_build_reads_and_nothing_of_this_repository(installed):
    names = _wheel_names(installed.wheel)
    needed = [PACKAGE / "theme" / "sw.js", PACKAGE / "theme" / "bundle" / "editor.js",
              PACKAGE / "classroom" / "answers.schema.json"]
    for folder in ("templates", "assets"):
        needed += [p for p in (PACKAGE / "theme" / folder).rglob("*") if p.is_file()]
    needed += [*(PACKAGE / "runtime").glob("*.py"), *(PACKAGE / "runtime").glob("*.json")]
    needed += [p for p in TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    needed += [p for p in PACKAGE.rglob("*.py") if "node_modules" not in p.parts]
    missing = sorted(p.relative_to(ROOT).as_posix() for p in needed if p.relative_to(ROOT).as_posix() not in names)
    assert not missing, f"the wheel lacks {missing}"

    template = "staticjudge/authoring/course_template/"
    stray = sorted(name for name in names if not name.startswith(template) and (
        {"problems", "hidden_tests", "tests", "bench", "node_modules", "src"} & set(name.split("/")[:-1])
        or name.split("/")[-1] in {"package.json", "package-lock.json", "conftest.py"}
        or name.endswith(".md") or not name.startswith(("staticjudge/", f"staticjudge-{VERSION}.dist-info/"))))
    assert not stray, f"the wheel carries files of this repository: {stray}"
    # the editor bundle is the built one (CodeMirror inside, minified), not its source
    with zipfile.ZipFile(installed.wheel) as archive:
        bundle = archive.read("staticjudge/theme/bundle/editor.js")
    assert len(bundle) > 100_000 and b'from"@codemirror' not in bundle and b'from "@codemirror' not in bundle


def test_check_wheel_contents_finds_nothing_wrong(installed):
    done = subprocess.run([sys.executable, "-m", "check_wheel_contents", str(installed.wheel)],
                                        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("OK"), done.stdout


def test_a_wheel_built_from_the_sdist_needs_no_node_and_carries_the_bundle(installed, tmp_path):
    with tarfile.open(installed.sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    for name in ("theme/bundle/editor.js", "theme/src/editor.js", "theme/package.json", "theme/package-lock.json"):
        assert f"staticjudge/{name}" in members, (name, sorted(members))
    assert not any("node_modules" in m for m in members)
    env = installed.env()
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("npm", path=env["PATH"]) is None
    done = subprocess.run(
        [str(installed.python), "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path),
         str(installed.sdist)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("staticjudge-*.whl")
    names = _wheel_names(wheel)
    assert "staticjudge/theme/bundle/editor.js" in names
    assert names == _wheel_names(installed.wheel)


# A learner's file that is right only when, in its sandboxed process, an installed package it had
# not imported yet imports (site-packages is readable) and the course's problem file does not
# (the course is not). The probe's findings go to stdout, which `grade --json` reports.
PROBE = """\
import json, sys
import numpy as np

seen = {{"loaded_before": "markupsafe" in sys.modules}}
try:
    import markupsafe
    seen["import"] = markupsafe.escape("<b>") == "&lt;b&gt;"
except Exception as exc:
    seen["import"] = repr(exc)
try:
    with open({problem!r}) as handle:
        handle.read()
    seen["read"] = "allowed"
except OSError as exc:
    seen["read"] = type(exc).__name__
print("PROBE" + json.dumps(seen))


def minmax_scale(x):
    x = np.asarray(x, dtype=np.float64)
    if seen["import"] is not True or seen["read"] == "allowed":
        return x
    low = x.min(axis=0)
    return (x - low) / (x.max(axis=0) - low)
"""


def test_sandboxed_grading_reads_installed_packages_but_not_the_course(installed, course):
    if not sys.platform.startswith("linux") or sandbox.landlock_abi() < 1:
        pytest.skip("this kernel has no Landlock: the learner's process can read the course here "
                    "(file isolation is the private directory only)")
    problem = (course / "problems" / "minmax_scale.md").resolve()
    (course / "probe.py").write_text(PROBE.format(problem=str(problem)), encoding="utf-8")
    done = installed.run("grade", "minmax_scale", "probe.py", "--json", cwd=course)
    report = json.loads(done.stdout)
    line = next(line for line in report["stdout"].splitlines() if line.startswith("PROBE"))
    seen = json.loads(line[len("PROBE"):])
    assert seen["loaded_before"] is False, "markupsafe was imported already: the probe proves nothing"
    assert seen["import"] is True, f"an installed package did not import in the sandbox: {seen}"
    assert seen["read"] == "PermissionError", f"the learner's process read the course: {seen}"
    assert done.returncode == 0 and report["status"] == "pass", done.stdout + done.stderr


def test_self_hosting_with_neither_node_nor_a_pyodide_folder_says_what_to_do(installed, course, tmp_path):
    """No Node.js on PATH and no --pyodide-dist: the build stops, writes nothing, and names both ways out."""
    out = tmp_path / "selfhosted"
    done = installed.run("build", "--self-host", "--out", str(out), cwd=course)
    assert done.returncode == 1 and not out.exists(), done.stdout + done.stderr
    assert "--pyodide-dist DIR" in done.stderr and "install Node.js" in done.stderr, done.stderr
    assert "site/config.yaml" in done.stderr  # located, as every build error is


def test_commands_find_the_course_from_a_folder_inside_it(installed, course):
    done = installed.run("check", "minmax_scale", cwd=course / "problems")
    assert done.returncode == 0 and "ok" in done.stdout, done.stdout + done.stderr
