"""What every engine's driver offers: the part of Playwright's sync API the scenarios use.

Chromium is Playwright itself. Firefox (puppeteer-core over WebDriver BiDi) and WebKit
(WebKitWebDriver) implement a few primitives: goto, reload, evaluating an expression that
resolves to JSON text, a real click, a key press, setting a file input, the viewport's size, closing. Everything
else (evaluate with an argument, waiting for a condition, catching a download) is built here
once, in terms of those, so the scenarios read the same on every engine.

No start and no page load waits without end: each is bounded (START_TIMEOUT_S,
PAGE_LOAD_TIMEOUT_S). A start that fails or overruns its bound kills its driver process (and
the browser under it) and is tried once more with a fresh one; a second failure makes the engine
unavailable (EngineUnavailable, whose message names the step), so its tests skip. A page load
past its bound raises PageLoadTimeout, naming the load and its URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

DEFAULT_TIMEOUT_MS = 30_000
# One start of an engine's driver and browser, until it answers (a WebKit context is a start of its
# own: a WebDriver session, a MiniBrowser of its own). A healthy start takes 1-10 s here.
START_TIMEOUT_S = 60
# One page load (goto, reload) until the page's load event; the fixture site loads in well under 5 s.
PAGE_LOAD_TIMEOUT_S = 60
# Where a driver keeps a bound of its own (Playwright's, puppeteer's, WebDriver's page-load
# timeout), how much longer its caller waits before killing it; and how long a kill may take.
GRACE_S = 10
T = TypeVar("T")
_FUNCTION = re.compile(r"^\s*(async\s+)?(function\b|\([^)]*\)\s*=>|[\w$]+\s*=>)")


class EngineUnavailable(RuntimeError):
    """This engine cannot start on this machine; the message says why."""


class StartFailed(RuntimeError):
    """One attempt to start a driver failed or overran its bound; the message names the step.

    Its processes are gone by the time it is raised: a fresh attempt may do better."""


class PageLoadTimeout(TimeoutError):
    """A page load did not finish within its bound; the message names the load and its URL."""


def start_twice(start: Callable[[], T]) -> T:
    """``start()``; if it raises StartFailed, once more. Failing twice: EngineUnavailable, naming the step."""
    try:
        return start()
    except StartFailed as exc:
        first = str(exc)
    try:
        return start()
    except StartFailed as exc:
        second = str(exc)
    if second == first:
        raise EngineUnavailable(f"{first}, twice")
    raise EngineUnavailable(f"{first}; then, with a fresh driver process: {second}")


def process_children() -> dict[int, list[int]]:
    """Every process's children, from /proc (the machines these tests run on are Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path("/proc", entry.name, "stat").read_text()
            except OSError:
                continue  # it has just ended
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (a browser's helper processes are its children)."""
    children, tree = process_children(), [pid]
    for parent in tree:
        tree.extend(children.get(parent, ()))
    return tree


def running(pid: int) -> bool:
    """Whether a process still runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path("/proc", str(pid), "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def kill_tree(process) -> None:
    """SIGKILL a process (a Popen or a pid) and all its descendants; back once none of them runs."""
    pid = process if isinstance(process, int) else process.pid
    tree = process_tree(pid)  # all of them found before any dies, so no orphan is missed
    for member in tree:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(member, signal.SIGKILL)
    if not isinstance(process, int):
        with contextlib.suppress(Exception):
            process.wait(timeout=GRACE_S)  # reaped: ours
    deadline = time.monotonic() + GRACE_S
    while any(running(member) for member in tree) and time.monotonic() < deadline:
        time.sleep(0.02)


def within(seconds: float, call: Callable[[], T], kill: Callable[[], None], hung: Callable[[], str] | str,
           error: type[Exception] = StartFailed) -> T:
    """``call()``, but for at most ``seconds``: past that, ``kill()`` and ``error("<hung> within N s")``.

    ``call`` runs in the calling thread (Playwright's sync API must stay in its thread); it waits
    on the driver processes ``kill`` ends (a pipe, a socket), so once they are killed it returns
    or raises, and whatever it did gives way to ``error``. ``hung`` names the step: a
    string, or a function asked at the deadline, before the kill (which step was still waiting).
    """
    lock, state = threading.Lock(), {"done": False, "expired": None}

    def expire():
        with lock:
            if state["done"]:
                return
            state["expired"] = hung() if callable(hung) else hung
        kill()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        value = call()
    except Exception:
        timer.cancel()
        with lock:
            state["done"] = True
        if state["expired"] is None:
            raise
        value = None
    else:
        timer.cancel()
        with lock:
            state["done"] = True
    if state["expired"] is not None:
        timer.join()  # the kill has ended
        raise error(f"{state['expired']} within {seconds:g} s")
    return value


def call_expression(source: str, arg=None) -> str:
    """A JS expression that resolves to JSON text: {"value": …} or {"error": message}.

    ``source`` is a function (called with ``arg``) or an expression, as in Playwright's evaluate.
    """
    body = f"({source})({json.dumps(arg)})" if _FUNCTION.match(source) else f"({source})"
    return (f"Promise.resolve().then(() => {body}).then("
            "(v) => JSON.stringify({value: v === undefined ? null : v}),"
            " (e) => JSON.stringify({error: String((e && e.message) || e)}))")


# Polls in the page, so a wait costs one round trip however long it lasts. The condition is part
# of the source (the pages' Content-Security-Policy forbids building functions from strings).
_POLL = """async ([arg, timeout]) => {
  const test = (%s);
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await test(arg);
    if (value) return value;
    if (performance.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}"""


class Keyboard:
    def __init__(self, page: "Page"):
        self._page = page

    def press(self, keys: str) -> None:
        """Playwright's notation: "Control+A", "Enter"."""
        self._page._press(keys)


class Download:
    def __init__(self, path: Path):
        self._path = path

    def path(self) -> Path:
        return self._path

    def save_as(self, target) -> None:
        Path(target).write_bytes(self._path.read_bytes())


class _DownloadInfo:
    value: Download


class Page:
    """One tab. Subclasses implement the primitives marked below."""

    download_dir: Path | None = None  # where this engine saves downloads, if it can

    def __init__(self):
        self.keyboard = Keyboard(self)
        self._timeout = DEFAULT_TIMEOUT_MS

    def set_default_timeout(self, ms: int) -> None:
        self._timeout = ms

    # ---- primitives ----
    def goto(self, url: str) -> None:
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def _evaluate_json(self, expression: str, timeout_ms: int) -> str:
        """Evaluate ``expression`` (a promise of JSON text, from call_expression); its text."""
        raise NotImplementedError

    def click(self, selector: str) -> None:
        raise NotImplementedError

    def _press(self, keys: str) -> None:
        raise NotImplementedError

    def set_input_files(self, selector: str, path) -> None:
        raise NotImplementedError

    def set_viewport_size(self, size: dict) -> None:
        """{"width": …, "height": …} in CSS pixels, as Playwright takes it."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @property
    def errors(self) -> list[str] | None:
        """Uncaught errors of the page so far; None when this engine's driver cannot observe them."""
        return None

    # ---- built on them ----
    @property
    def url(self) -> str:
        return self.evaluate("() => location.href")

    def evaluate(self, source: str, arg=None, timeout_ms: int | None = None):
        answer = json.loads(self._evaluate_json(call_expression(source, arg), timeout_ms or self._timeout))
        if "error" in answer:
            raise RuntimeError(f"in the page: {answer['error']}")
        return answer["value"]

    def wait_for_function(self, source: str, arg=None, timeout: int | None = None):
        timeout = self._timeout if timeout is None else timeout
        if not _FUNCTION.match(source):
            source = f"() => ({source})"
        value = self.evaluate(_POLL % source, [arg, timeout], timeout_ms=timeout + 30_000)
        if not value:
            raise TimeoutError(f"waited {timeout} ms for {source[:120]}")
        return value

    def wait_for_selector(self, selector: str, timeout: int | None = None) -> None:
        self.wait_for_function("(selector) => document.querySelector(selector) !== null", selector, timeout)

    def get_attribute(self, selector: str, name: str):
        return self.evaluate("([s, n]) => document.querySelector(s)?.getAttribute(n) ?? null", [selector, name])

    @contextlib.contextmanager
    def expect_download(self, timeout: int = DEFAULT_TIMEOUT_MS):
        """Like Playwright's: the body triggers a download; then ``info.value`` is the saved file."""
        if self.download_dir is None:
            raise EngineUnavailable("this engine's driver cannot catch downloads")
        before = set(self.download_dir.iterdir())
        info = _DownloadInfo()
        yield info
        deadline = time.monotonic() + timeout / 1000
        while time.monotonic() < deadline:
            new = [p for p in set(self.download_dir.iterdir()) - before
                   if not p.name.endswith((".part", ".download")) and p.stat().st_size > 0]
            if new:
                time.sleep(0.2)  # the browser may still be renaming it into place
                info.value = Download(new[0])
                return
            time.sleep(0.1)
        raise TimeoutError(f"no download arrived in {self.download_dir} within {timeout} ms")


class Context:
    """A browser profile of its own (storage, HTTP cache, Cache Storage)."""

    def new_page(self) -> Page:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class Browser:
    name: str
    version: str
    # The bounds this browser's starts and page loads keep (the tests of the bounds shorten them).
    start_timeout_s: float = START_TIMEOUT_S
    page_load_timeout_s: float = PAGE_LOAD_TIMEOUT_S

    def new_context(self, timeout_ms: int = DEFAULT_TIMEOUT_MS, storage: bool = True) -> Context:
        """A fresh profile. With ``storage=False`` its browser refuses the site's storage, as a
        user's privacy settings (or a third-party frame in some browsers) make it do."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError
