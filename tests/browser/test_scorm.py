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
STORAGE_NOTE = "This browser does not keep your code here; your LMS keeps it each time you run the tests."

# The course's window: player → launch page (lms.html, framed or in a window of its own) → the
# course's own pages.
COURSE = "lms.content.document.getElementById('lms-course').contentWindow"


@pytest.fixture(scope="module")
def lms_url(tmp_path_factory):
    """The player at <root>lms/player.html, packages (1.2 and 2004) under lms/pkg12/ and lms/pkg2004/,
    and add_numbers's own 1.2 package (scorm --per-problem) under lms/add_numbers/."""
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
    one_each = base / "per-problem"  # scorm --per-problem: add_numbers.zip, …
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(project), "scorm", "--per-problem",
                           "--out", str(one_each), "--self-host", "--pyodide-packages", str(wheels)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(one_each / "add_numbers.zip") as archive:
        archive.extractall(www / "add_numbers")
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


def play(page, lms_url: str, version: str, resume: str | None = None, popup: bool = False,
         size: dict | None = None, launch: str | None = None) -> None:
    """The LMS launches the course package (or the package ``launch`` names); wait for its index."""
    page.goto(lms_url + "player.html")
    folder = "pkg12" if version == "1.2" else "pkg2004"
    assert page.evaluate("(args) => start(args)", {"version": version, "launch": launch or f"{folder}/lms.html",
                                                  "resume": resume, "popup": popup, "size": size})
    if popup:
        page.click("#launch")
        page.wait_for_function("() => Boolean(lms.content)")
    if not launch:
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


def test_with_storage_refused_the_page_boots_runs_and_the_lms_keeps_the_code(engine_browser, lms_url):
    """A browser that refuses the site's storage (privacy settings; Safari and Firefox in some
    third-party frames): Python boots cold, the run reaches the LMS, and the one note says the LMS
    keeps the code, not that it is lost."""
    context = engine_browser.new_context(timeout_ms=RUN_MS, storage=False)
    try:
        page = context.new_page()
        play(page, lms_url, "1.2")
        refused = "(w) => { try { w.localStorage.setItem('probe', '1'); return false; } catch (_) { return true; } }"
        assert in_course(page, refused), "this profile was meant to refuse storage"
        open_problem(page, "add_numbers")
        paste(page, WRONG_ON_NEGATIVES)
        assert run_tests(page).startswith("2/3 tests passed")
        assert page.evaluate("() => lms.values('cmi.core.score.raw')")[-1] == "22.22"
        assert page.evaluate("() => lms.api.cmi.suspend_data").startswith("sj1:")
        notice = in_course(page, "(w) => { const n = w.document.getElementById('storage-notice'); return n.hidden ? '' : n.textContent; }")
        assert notice == STORAGE_NOTE, notice
        status = in_course(page, "(w) => w.document.getElementById('python-status').textContent")
        assert "error" not in status.lower() and "fail" not in status.lower(), status
    finally:
        context.close()


def test_opened_in_a_new_window_the_page_finds_the_lms_through_its_opener(engine_page, lms_url):
    page = engine_page
    play(page, lms_url, "1.2", popup=True)
    assert page.evaluate("() => lms.api.isInitialized()")
    open_problem(page, "add_numbers")
    paste(page, CORRECT)
    assert run_tests(page).startswith("3/3 tests passed")
    assert page.evaluate("() => lms.values('cmi.core.score.raw')")[-1] == "33.33"
    page.evaluate("() => lms.content.close()")
    page.wait_for_function("() => lms.finished")
    assert page.evaluate("() => lms.values('cmi.core.exit')") == ["suspend"]


@pytest.mark.parametrize("size", [{"width": 360, "height": 480}, {"width": 1400, "height": 900}], ids=["small", "large"])
def test_the_course_fills_a_frame_of_any_size(engine_page, lms_url, size):
    page = engine_page
    page.set_viewport_size({"width": 1500, "height": 1000})
    play(page, lms_url, "1.2", size=size)
    # the launch page gives the whole frame to the course
    inner = page.evaluate("() => { const f = lms.content.document.getElementById('lms-course');"
                          " return [f.clientWidth, f.clientHeight, lms.content.innerWidth, lms.content.innerHeight]; }")
    assert inner[:2] == inner[2:], inner
    open_problem(page, "add_numbers")
    fit = in_course(page, """(w) => {
      const doc = w.document.documentElement, run = w.document.getElementById('run-tests');
      run.scrollIntoView({ block: 'nearest' });
      const box = run.getBoundingClientRect();
      return { overflow: doc.scrollWidth - doc.clientWidth, run: [box.left, box.right, box.top, box.bottom],
               width: w.innerWidth, height: w.innerHeight };
    }""")
    assert fit["overflow"] <= 1, fit  # nothing scrolls sideways
    left, right, top, bottom = fit["run"]
    # Run can be scrolled into view (to within a pixel's rounding)
    assert -1 <= left and right <= fit["width"] + 1 and -1 <= top and bottom <= fit["height"] + 1, fit


def test_a_problems_own_package_opens_on_the_problem_and_scores_it_alone(engine_page, lms_url):
    page = engine_page
    play(page, lms_url, "1.2", launch="add_numbers/add_numbers/lms.html")
    wait_in_course(page, "(w) => w.document.querySelector('#problem[data-slug=add_numbers][data-ready=true]')")
    wait_in_course(page, "(w) => w.document.querySelector('#python-status[data-state=ready]')", timeout=BOOT_MS)
    paste(page, WRONG_ON_NEGATIVES)
    assert run_tests(page).startswith("2/3 tests passed")
    paste(page, CORRECT)
    assert run_tests(page).startswith("3/3 tests passed")
    assert page.evaluate("() => lms.values('cmi.core.score.raw')")[-2:] == ["66.67", "100"]
    assert page.evaluate("() => lms.values('cmi.core.lesson_status')")[-1] == "passed"
    assert page.evaluate("() => lms.values('cmi.objectives.0.id')") == ["add_numbers"]


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
