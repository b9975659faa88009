"""The course as a SCORM package, inside an LMS, on every engine.

The LMS side is npm scorm-again 3.4.3 (tests/lms, pinned, `npm ci`): its real runtime is
window.API (1.2) or window.API_1484_11 (2004) on a player page that frames the package's launch
page as Moodle's player does (an iframe below the page holding the API). The launch page frames
the course in turn. The learner solves a problem wrong, then right; the runtime must hold a rising
score.raw, the status, and suspend_data within the version's limit (scorm-again accepts 64,000
characters even in 1.2: the limit is checked here). A fresh profile resuming with that
suspend_data shows the learner's code in the editor.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

from test_scorm import install_lms_tools
from .conftest import FIXTURE, ROOT, serving
from .helpers import BOOT_MS, RUN_MS
from .tinywheel import build_wheel

CORRECT = "def add(a, b):\n    return a + b\n"
WRONG_ON_NEGATIVES = "def add(a, b):\n    if a < 0:\n        return 0\n    return a + b\n"
LIMIT = {"1.2": 4096, "2004": 64000}

# The course's window: player → launch page (lms.html) → the course's own pages.
COURSE = ("document.getElementById('scorm_object').contentWindow"
          ".document.getElementById('lms-course').contentWindow")


@pytest.fixture(scope="module")
def lms_url(tmp_path_factory):
    """The player at <root>lms/player.html, packages (1.2 and 2004) under lms/pkg12/ and lms/pkg2004/."""
    tools = install_lms_tools()
    base = tmp_path_factory.mktemp("scorm-browser")
    project = base / "project"
    for part in ("problems", "hidden_tests", "site"):
        shutil.copytree(FIXTURE / part, project / part)
    wheels = base / "wheels"
    build_wheel(wheels)
    www = base / "www" / "lms"
    www.mkdir(parents=True)
    for version, folder in (("1.2", "pkg12"), ("2004", "pkg2004")):
        out = base / f"{folder}.zip"
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(project), "scorm", "--out", str(out),
                               "--scorm-version", version, "--self-host", "--pyodide-packages", str(wheels)],
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        with zipfile.ZipFile(out) as archive:
            archive.extractall(www / folder)
    for name in ("player.html", "player.js"):
        shutil.copyfile(tools / name, www / name)
    for name in ("scorm12.js", "scorm2004.js"):
        shutil.copyfile(tools / "node_modules" / "scorm-again" / "dist" / name, www / name)
    with serving(www.parent) as root:
        yield root + "lms/"


def in_course(page, body: str, arg=None):
    """Evaluate ``body`` (a function of (w, arg): w is the course frame's window) in the course's frame."""
    return page.evaluate(f"(arg) => {{ const w = {COURSE}; return ({body})(w, arg); }}", arg)


def wait_in_course(page, body: str, arg=None, timeout: int = RUN_MS):
    page.wait_for_function(f"(arg) => {{ let w; try {{ w = {COURSE}; if (!w || !w.document.body) return false; }}"
                           f" catch (_) {{ return false; }} return Boolean(({body})(w, arg)); }}", arg=arg, timeout=timeout)


def play(page, lms_url: str, version: str, resume: str | None = None) -> None:
    page.goto(lms_url + "player.html")
    folder = "pkg12" if version == "1.2" else "pkg2004"
    page.evaluate("(args) => start(args)", {"version": version, "launch": f"{folder}/lms.html", "resume": resume})
    wait_in_course(page, "(w) => w.location.pathname.endsWith('/index.html') && w.document.querySelector('.problem-item')")


def open_problem(page, slug: str) -> None:
    in_course(page, "(w, slug) => { w.document.querySelector(`.problem-item[data-slug='${slug}'] a`).click(); }", slug)
    wait_in_course(page, "(w, slug) => w.document.querySelector(`#problem[data-slug='${slug}'][data-ready=true]`)", slug)
    wait_in_course(page, "(w) => w.document.querySelector('#python-status[data-state=ready]')", timeout=BOOT_MS)


def paste(page, code: str) -> None:
    """Select all, then paste, as a learner does (the events dispatched in the course's frame)."""
    in_course(page, """async (w, code) => {
      const content = w.document.querySelector("#editor .cm-content");
      content.focus();
      w.getSelection().selectAllChildren(content);
      await new Promise((resolve) => w.requestAnimationFrame(() => w.setTimeout(resolve, 50)));
      const data = new w.DataTransfer();
      data.setData("text/plain", code);
      content.dispatchEvent(new w.ClipboardEvent("paste",
        { clipboardData: data, dataType: "text/plain", data: code, bubbles: true, cancelable: true }));
    }""", code)
    try:
        wait_in_course(page, "(w, code) => [...w.document.querySelectorAll('#editor .cm-line')].map((l) => l.textContent)"
                       ".join('\\n') === code", code, timeout=10_000)
    except Exception:
        raise AssertionError(repr(editor_text(page)))


def run_tests(page) -> str:
    commits = page.evaluate("() => lms.commits")
    in_course(page, "(w) => { w.document.getElementById('run-tests').click(); }")
    wait_in_course(page, "(w) => w.document.getElementById('stop-run').hidden"
                   " && w.document.querySelector('#run-tests').getAttribute('aria-disabled') === 'false'"
                   " && w.document.querySelector('#summary').textContent.includes('passed')",
                   timeout=RUN_MS + BOOT_MS)
    page.wait_for_function("(before) => lms.commits > before", arg=commits, timeout=10_000)
    return in_course(page, "(w) => w.document.querySelector('#summary').textContent")


def editor_text(page) -> str:
    return in_course(page, "(w) => [...w.document.querySelectorAll('#editor .cm-line')].map((l) => l.textContent).join('\\n')")


ELEMENTS = {
    "1.2": {"raw": "cmi.core.score.raw", "status": "cmi.core.lesson_status", "exit": "cmi.core.exit"},
    "2004": {"raw": "cmi.score.raw", "status": "cmi.completion_status", "exit": "cmi.exit"},
}


def solve_wrong_then_right(page, lms_url, version):
    play(page, lms_url, version)
    assert page.evaluate("() => lms.api.isInitialized()")
    open_problem(page, "add_numbers")
    paste(page, WRONG_ON_NEGATIVES)
    assert run_tests(page).startswith("2/3 tests passed")
    paste(page, CORRECT)
    assert run_tests(page).startswith("3/3 tests passed")
    names = ELEMENTS[version]
    raws = [float(v) for v in page.evaluate("(e) => lms.values(e)", names["raw"])]
    # One of three problems: 2/3 of it, then all of it.
    assert raws[-2:] == [22.22, 33.33], raws
    assert page.evaluate("() => lms.values('cmi.objectives.0.id')") == ["add_numbers"]
    data = page.evaluate("() => lms.api.cmi.suspend_data")
    assert data.startswith("sj1:") and 0 < len(data) <= LIMIT[version]
    return names, data


def test_scorm12_scores_rise_status_and_code_are_saved_and_resume_in_a_fresh_profile(engine_browser, lms_url):
    context = engine_browser.new_context(timeout_ms=RUN_MS)
    page = context.new_page()
    names, data = solve_wrong_then_right(page, lms_url, "1.2")
    cmi = page.evaluate("() => ({raw: lms.api.cmi.core.score.raw, min: lms.api.cmi.core.score.min,"
                        " max: lms.api.cmi.core.score.max, status: lms.api.cmi.core.lesson_status,"
                        " objective: lms.api.cmi.objectives.childArray[0].status,"
                        " objectiveRaw: lms.api.cmi.objectives.childArray[0].score.raw})")
    assert cmi == {"raw": "33.33", "min": "0", "max": "100", "status": "incomplete", "objective": "passed",
                   "objectiveRaw": "100"}
    # Leaving: exit = suspend, then LMSFinish.
    page.goto("about:blank")
    context.close()

    fresh = engine_browser.new_context(timeout_ms=RUN_MS)  # another computer: nothing saved in this browser
    try:
        page = fresh.new_page()
        play(page, lms_url, "1.2", resume=data)
        assert in_course(page, "(w) => Object.keys(w.localStorage).filter((k) => k.startsWith('staticjudge:v1:/')).length") == 0
        # the index marks the problem solved from the LMS's record alone
        wait_in_course(page, "(w) => !w.document.querySelector('.problem-item[data-slug=add_numbers] .solved-badge').hidden",
                       timeout=10_000)
        open_problem(page, "add_numbers")
        assert editor_text(page) == CORRECT
    finally:
        fresh.close()


def test_leaving_sets_exit_suspend_and_finishes(engine_page, lms_url):
    page = engine_page
    play(page, lms_url, "1.2")
    in_course(page, "(w) => { w.parent.location.replace('about:blank'); }")  # the LMS navigates the frame away
    page.wait_for_function("() => lms.finished")
    assert page.evaluate("() => lms.values('cmi.core.exit')") == ["suspend"]
    assert page.evaluate("() => lms.values('cmi.core.session_time')")[-1].startswith("0000:")


def test_scorm2004_reports_scaled_score_completion_and_success(engine_page, lms_url):
    page = engine_page
    solve_wrong_then_right(page, lms_url, "2004")
    cmi = page.evaluate("() => ({scaled: lms.api.cmi.score.scaled, completion: lms.api.cmi.completion_status,"
                        " success: lms.api.cmi.success_status, objective: lms.api.cmi.objectives.childArray[0].success_status})")
    assert cmi == {"scaled": "0.3333", "completion": "incomplete", "success": "unknown", "objective": "passed"}


def test_without_an_lms_the_package_is_the_plain_site(engine_page, lms_url):
    page = engine_page
    page.goto(lms_url + "pkg12/lms.html")  # no API anywhere: the launch page hands over to the index
    for _ in range(100):  # a navigation ends any script waiting in the page: ask again until it is there
        time.sleep(0.1)
        with contextlib.suppress(Exception):
            if page.evaluate("() => location.pathname.endsWith('/pkg12/index.html') && Boolean(document.querySelector('.problem-item'))"):
                break
    assert page.url.endswith("/pkg12/index.html")
    page.goto(lms_url + "pkg12/add_numbers/index.html")
    page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)
    assert page.evaluate("() => navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then((r) => r.length) : 0") == 0
    assert page.get_attribute("body", "data-offline") == "off"
