"""Firefox: Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (firefox_bridge.mjs).

The bridge is a Node process; this module speaks its one-JSON-object-per-line protocol. No
geckodriver and no patched browser: the same Firefox a learner runs, with no debugger attached
(so WebAssembly runs on its optimising tier, as for a learner).

puppeteer bounds the launch and each page load (the bounds are sent with the request); should the
bridge itself not answer, a kill of it, a little later, ends the wait.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from .base import (GRACE_S, Browser, Context, EngineUnavailable, Page, PageLoadTimeout, StartFailed, kill_tree,
                   start_twice, within)

HERE = Path(__file__).resolve().parent
FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"


def _install_bridge() -> None:
    """npm ci (from package-lock.json) once, like the site build does for the editor."""
    from . import install_npm_packages

    failed = install_npm_packages()
    if failed:
        raise EngineUnavailable(f"puppeteer-core drives Firefox: {failed}")


class _Bridge:
    def __init__(self, download_dir: Path, log: Path):
        node = shutil.which("node")
        if not node:
            raise EngineUnavailable("Node.js is not installed (puppeteer-core drives Firefox)")
        self.log = log
        with log.open("w") as stderr:  # a file, not a pipe: a chatty browser can never block on it
            self.process = subprocess.Popen([node, str(HERE / "firefox_bridge.mjs"), FIREFOX, str(download_dir)],
                                            cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=stderr, text=True, bufsize=1)
        self.lock = threading.Lock()
        self.next_id = 0

    def call(self, op: str, **args):
        with self.lock:
            self.next_id += 1
            self.process.stdin.write(json.dumps({"id": self.next_id, "op": op, **args}) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Firefox bridge exited: {self.log.read_text()[-2000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise (TimeoutError if answer.get("timeout") else RuntimeError)(f"Firefox: {op}: {answer['error']}")
        return answer["value"]

    def kill(self) -> None:
        """The bridge, and the Firefox under it, killed (which ends any wait for its answer)."""
        kill_tree(self.process)


class FirefoxPage(Page):
    def __init__(self, bridge: _Bridge, handle: int, download_dir: Path, page_load_timeout_s: float):
        super().__init__()
        self._bridge, self._handle, self.download_dir = bridge, handle, download_dir
        self._page_load_timeout_s = page_load_timeout_s
        self._loaded = "about:blank"  # the URL a reload loads again

    def goto(self, url):
        self._loaded = url
        self._load(f"loading {url}", "goto", url=url)

    def reload(self):
        self._load(f"reloading {self._loaded}", "reload")

    def _load(self, step: str, op: str, **args) -> None:
        seconds = self._page_load_timeout_s
        try:
            within(seconds + GRACE_S,
                   lambda: self._bridge.call(op, page=self._handle, timeoutMs=round(seconds * 1000), **args),
                   self._bridge.kill, f"{step}: the Firefox bridge did not answer", error=PageLoadTimeout)
        except TimeoutError as exc:
            if isinstance(exc, PageLoadTimeout):
                raise
            raise PageLoadTimeout(f"{step} did not finish within {seconds:g} s") from exc

    def _evaluate_json(self, expression, timeout_ms):
        return self._bridge.call("evaluate", page=self._handle, expression=expression)

    def click(self, selector):
        self._bridge.call("click", page=self._handle, selector=selector)

    def _press(self, keys):
        self._bridge.call("press", page=self._handle, keys=keys)

    def set_input_files(self, selector, path):
        self._bridge.call("setFiles", page=self._handle, selector=selector, path=str(Path(path).resolve()))

    def set_viewport_size(self, size):
        self._bridge.call("setViewport", page=self._handle, width=size["width"], height=size["height"])

    def close(self):
        self._bridge.call("closePage", page=self._handle)

    @property
    def errors(self):
        return self._bridge.call("errors", page=self._handle)


class FirefoxContext(Context):
    def __init__(self, browser: "FirefoxBrowser", timeout_ms: int):
        self._browser, self._timeout = browser, timeout_ms
        self._handle = browser.bridge.call("newContext")

    def new_page(self):
        page = FirefoxPage(self._browser.bridge, self._browser.bridge.call("newPage", context=self._handle),
                           self._browser.download_dir, self._browser.page_load_timeout_s)
        page.set_default_timeout(self._timeout)
        return page

    def close(self):
        self._browser.bridge.call("closeContext", context=self._handle)


# A user's "block all cookies": Firefox then refuses every kind of site storage (localStorage,
# IndexedDB, Cache Storage, service workers).
STORAGE_REFUSED = {"network.cookie.cookieBehavior": 2}


class _OwningContext(Context):
    """A context that closes its own browser with it."""

    def __init__(self, browser: "FirefoxBrowser", context: FirefoxContext):
        self._browser, self._context = browser, context

    def new_page(self):
        return self._context.new_page()

    def close(self):
        try:
            self._context.close()
        finally:
            self._browser.close()


class FirefoxBrowser(Browser):
    name = "firefox"

    def __init__(self, prefs: dict | None = None):
        self.prefs = prefs or {}
        if not Path(FIREFOX).exists():
            raise EngineUnavailable(f"Firefox is not installed at {FIREFOX} (Debian package firefox-esr)")
        _install_bridge()
        self._scratch = tempfile.TemporaryDirectory(prefix="sj-firefox-")
        self.download_dir = Path(self._scratch.name) / "downloads"
        self.download_dir.mkdir()
        try:
            self.bridge, self.version = start_twice(self._start)
        except BaseException:
            self._scratch.cleanup()
            raise

    def _start(self):
        """A fresh bridge and the Firefox it launches: puppeteer's own bound on the launch, and
        past it (should the bridge not answer) a kill of both."""
        bridge = _Bridge(self.download_dir, Path(self._scratch.name) / "bridge.log")
        seconds = self.start_timeout_s
        try:
            version = within(seconds + GRACE_S,
                             lambda: bridge.call("launch", timeoutMs=round(seconds * 1000), prefs=self.prefs),
                             bridge.kill, "the Firefox bridge did not answer its launch request")
        except TimeoutError as exc:  # puppeteer's bound: it has killed its Firefox
            bridge.kill()
            raise StartFailed(f"Firefox did not start (puppeteer's launch) within {seconds:g} s") from exc
        except RuntimeError as exc:
            bridge.kill()
            if isinstance(exc, StartFailed):
                raise
            raise StartFailed(f"Firefox did not start: {exc}") from exc
        return bridge, version

    def new_context(self, timeout_ms=30_000, storage=True):
        if storage:
            return FirefoxContext(self, timeout_ms)
        # The preference is the whole browser's: a Firefox of its own, closed with the context.
        refusing = FirefoxBrowser(prefs=STORAGE_REFUSED)
        try:
            return _OwningContext(refusing, FirefoxContext(refusing, timeout_ms))
        except BaseException:
            refusing.close()
            raise

    def close(self):
        if self.bridge.process.poll() is None:
            try:
                self.bridge.call("close")
            except (RuntimeError, OSError, ValueError):
                pass
            try:
                self.bridge.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.bridge.process.kill()
        self._scratch.cleanup()
