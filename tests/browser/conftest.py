"""End-to-end tests in real browsers: the built site, served over HTTP from a sub-path.

`engine_page` (and `engine_context`, `engine_browser`) run a test once per engine: Chromium,
Firefox and WebKit, through one driver layer (engines/). An engine that cannot start here skips
its tests with the reason: one whose start (or a WebKit context's, a WebDriver session of its own)
fails or hangs past its bound twice, the step named, skips the rest of its tests too. `page`, `context` and `browser` are Chromium's Playwright objects, for
the tests that use more of Playwright than every engine offers (request events, init scripts,
dialogs, viewports).

The site is built once per session with `--self-host` (the Pyodide core from the pinned npm
package: no network needed) and `--pyodide-packages` (a tiny wheel the tests build; plus the
NumPy wheel when the environment variable PYODIDE_PACKAGES names a folder holding it, in which
case shipped NumPy problems are added to the site as well).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from staticjudge.site.serve import serving  # noqa: F401  (test modules import it from here)

from .engines import ENGINES, EngineUnavailable, launch
from .helpers import RUN_MS
from .tinywheel import build_wheel

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "browser_site"
SUB_PATH = "courses/spring/"  # the site is served from here, never from the server's root
NUMPY_PROBLEMS = ("self_attention", "masked_attention", "multi_head_attention")


def numpy_wheels() -> Path | None:
    folder = os.environ.get("PYODIDE_PACKAGES")
    return Path(folder) if folder and any(Path(folder).glob("numpy-*.whl")) else None


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the fixture problems (and, with NumPy, shipped problems) into www/<SUB_PATH>."""
    base = tmp_path_factory.mktemp("browser")
    project = base / "project"
    shutil.copytree(FIXTURE / "problems", project / "problems")
    shutil.copytree(FIXTURE / "hidden_tests", project / "hidden_tests")
    wheels = base / "wheels"
    build_wheel(wheels)
    numpy = numpy_wheels()
    if numpy:
        for wheel in numpy.glob("*.whl"):
            (wheels / wheel.name).symlink_to(wheel)
        for slug in NUMPY_PROBLEMS:
            if (ROOT / "problems" / f"{slug}.md").exists() and (ROOT / "hidden_tests" / f"{slug}.py").exists():
                shutil.copyfile(ROOT / "problems" / f"{slug}.md", project / "problems" / f"{slug}.md")
                shutil.copyfile(ROOT / "hidden_tests" / f"{slug}.py", project / "hidden_tests" / f"{slug}.py")
    www = base / "www"
    build_into(project, www / SUB_PATH, wheels)
    return www


def build_into(project: Path, out: Path, wheels: Path | None, self_host: bool = True) -> None:
    """Build ``project`` self-hosted (no network) into ``out``, with the wheels of ``wheels``."""
    command = [sys.executable, str(ROOT / "build.py"), "--root", str(project), "build", "--out", str(out)]
    if self_host:
        command.append("--self-host")
    if wheels:
        command += ["--pyodide-packages", str(wheels)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
def server_root(built_site):
    with serving(built_site) as root:
        yield root


@pytest.fixture(scope="session")
def site_url(server_root) -> str:
    return server_root + SUB_PATH


class _Engines:
    """Each engine launched once per session, on first use; an engine that cannot start, its reason."""

    def __init__(self):
        self.running, self.reasons, self.stack = {}, {}, contextlib.ExitStack()

    def get(self, engine: str):
        if engine in self.reasons:
            pytest.skip(self.reasons[engine])
        if engine not in self.running:
            try:
                self.running[engine] = self.stack.enter_context(launch(engine))
            except EngineUnavailable as exc:
                self.give_up(engine, exc)
        return self.running[engine]

    def give_up(self, engine: str, exc: EngineUnavailable):
        """Skip this test, and every later one of ``engine``, with the reason."""
        self.reasons[engine] = f"{engine} cannot run here: {exc}"
        pytest.skip(self.reasons[engine])


@pytest.fixture(scope="session")
def engines():
    running = _Engines()
    with running.stack:
        yield running


@pytest.fixture(scope="session", params=ENGINES)
def engine_browser(request, engines):
    return engines.get(request.param)


@pytest.fixture
def engine_context(engine_browser, engines):
    try:
        context = engine_browser.new_context(timeout_ms=RUN_MS)
    except EngineUnavailable as exc:  # a WebKit context's session did not start, twice
        engines.give_up(engine_browser.name, exc)
    yield context
    context.close()


@pytest.fixture
def engine_page(engine_context):
    page = engine_context.new_page()
    errors = track_errors(page)
    yield page
    assert not errors(), f"uncaught errors in the page: {errors()}"


def track_errors(page):
    """A function returning the page's uncaught errors so far ([] where the driver cannot see them)."""
    if hasattr(page, "on"):  # Playwright
        seen = []
        page.on("pageerror", lambda error: seen.append(str(error)))
        return lambda: seen
    return lambda: page.errors or []


@pytest.fixture(scope="session")
def browser(engines):
    """Chromium's Playwright Browser."""
    return engines.get("chromium").playwright_browser


@pytest.fixture
def context(browser):
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(RUN_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    assert not page.errors, f"uncaught errors in the page: {page.errors}"
