"""The browser engines the end-to-end tests and benches run on, behind one driver layer.

    with launch("firefox") as browser:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url); page.wait_for_function("() => …"); page.click("#run-tests")

Every engine offers the same part of Playwright's sync API (base.py): Chromium is Playwright
itself, Firefox is puppeteer-core over WebDriver BiDi (firefox.py), WebKit is WebKitWebDriver
under Xvfb (webkit.py). All three are Debian's browsers. An engine that cannot start here
raises EngineUnavailable, whose message says why.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from pathlib import Path

from .base import DEFAULT_TIMEOUT_MS, EngineUnavailable

ENGINES = ("chromium", "firefox", "webkit")
HERE = Path(__file__).resolve().parent


def install_npm_packages() -> str | None:
    """``npm ci`` (from package-lock.json) unless node_modules holds every package of package.json
    (puppeteer-core for Firefox, axe-core for the accessibility test); the reason it failed, or None."""
    wanted = json.loads((HERE / "package.json").read_text())["dependencies"]
    if all((HERE / "node_modules" / name / "package.json").is_file() for name in wanted):
        return None
    npm = shutil.which("npm")
    if not npm:
        return f"npm is not installed (needed for {', '.join(wanted)})"
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=600)
    return f"npm ci failed: {done.stderr.strip()[-500:]}" if done.returncode else None


@contextlib.contextmanager
def launch(engine: str):
    if engine == "chromium":
        from .chromium import ChromiumBrowser as Engine
    elif engine == "firefox":
        from .firefox import FirefoxBrowser as Engine
    elif engine == "webkit":
        from .webkit import WebKitBrowser as Engine
    else:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    browser = Engine()
    try:
        yield browser
    finally:
        browser.close()


__all__ = ["DEFAULT_TIMEOUT_MS", "ENGINES", "EngineUnavailable", "install_npm_packages", "launch"]
