"""No engine start and no page load waits without end (engines/base.py).

Each engine's driver is pointed at a fake that never answers, under a bound of a few seconds: its
start must give up after the bound, kill what it started, try once more with a fresh process,
and then make the engine unavailable, naming the step, with nothing left running. A start that
hangs once and then works must give a working engine. A page load from a server that never
answers must fail, naming the load and its URL, in about its bound.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from .engines import EngineUnavailable, launch
from .engines import base, chromium, firefox, webkit
from .engines.base import PageLoadTimeout, StartFailed, process_tree, running, start_twice, within

BOUND_S = 2
SLACK_S = 20  # what two attempts may add to their bounds here: starting Node, Playwright, Selenium


def descendants() -> set[int]:
    return {pid for pid in process_tree(os.getpid())[1:] if running(pid)}


def script(path: Path, body: str) -> Path:
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def sleeper(folder: Path, pids: Path) -> Path:
    """An executable that never answers, and starts a child of its own (a browser's helper)."""
    return script(folder / "sleeper", f"""
        import os, subprocess, time
        child = subprocess.Popen(["sleep", "1000"])
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}} {{child.pid}}\\n")
        time.sleep(1000)
    """)


def fake_webdriver(folder: Path, pids: Path, real: str | None = None) -> Path:
    """A WebKitWebDriver that says it is ready (/status) but never answers the new-session request,
    having started a child (its MiniBrowser). With ``real``: only the first time; later, the real one."""
    return script(folder / "WebKitWebDriver", f"""
        import http.server, os, subprocess, sys, time
        real, pids = {real!r}, {str(pids)!r}
        if real and os.path.exists(pids):
            os.execv(real, [real, *sys.argv[1:]])
        child = subprocess.Popen(["sleep", "1000"])
        with open(pids, "a") as f:
            f.write(f"{{os.getpid()}} {{child.pid}}\\n")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b'{{"value": {{"ready": true, "message": ""}}}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                time.sleep(1000)

            def log_message(self, *args):
                pass

        port = int(sys.argv[sys.argv.index("-p") + 1])
        http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """)


def started(pids: Path) -> list[int]:
    return [int(pid) for pid in pids.read_text().split()] if pids.exists() else []


def assert_gave_up_twice(start, message: str, pids: Path | None = None):
    before = descendants()
    began = time.monotonic()
    with pytest.raises(EngineUnavailable) as caught:
        with launch(start):
            pass
    took = time.monotonic() - began
    assert message in str(caught.value)
    assert 2 * BOUND_S <= took < 2 * BOUND_S + SLACK_S, f"gave up after {took:.1f} s"
    if pids is not None:
        assert len(started(pids)) == 4, "two attempts, each a driver and its child"
        assert not [pid for pid in started(pids) if running(pid)], "a killed driver's processes still run"
    assert descendants() <= before, "processes left behind"


# ---- the pieces ----

def test_within_kills_what_overruns_its_bound_and_names_the_step():
    killed = threading.Event()
    began = time.monotonic()
    with pytest.raises(StartFailed, match=r"^the fake did not answer within 0.5 s$"):
        within(0.5, lambda: killed.wait(30), killed.set, "the fake did not answer")
    assert killed.is_set()
    assert time.monotonic() - began < 5


def test_within_leaves_a_start_in_time_alone():
    kills = []
    assert within(5, lambda: "ready", lambda: kills.append(1), "never") == "ready"
    with pytest.raises(ValueError, match="its own error"):
        within(5, lambda: (_ for _ in ()).throw(ValueError("its own error")), lambda: kills.append(1), "never")
    time.sleep(0.1)
    assert kills == []


def test_a_start_is_tried_once_more_and_then_given_up_naming_the_step():
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise StartFailed("the driver did not answer within 1 s")
        return "started"

    assert start_twice(flaky) == "started" and len(attempts) == 2

    def hangs():
        attempts.append(1)
        raise StartFailed("the driver did not answer within 1 s")

    attempts.clear()
    with pytest.raises(EngineUnavailable, match=r"^the driver did not answer within 1 s, twice$"):
        start_twice(hangs)
    assert len(attempts) == 2


def test_what_a_retry_cannot_mend_is_not_retried():
    attempts = []

    def missing():
        attempts.append(1)
        raise EngineUnavailable("not installed")

    with pytest.raises(EngineUnavailable, match="^not installed$"):
        start_twice(missing)
    assert len(attempts) == 1


# ---- each engine, its driver never answering ----

@pytest.fixture
def short_starts(monkeypatch):
    monkeypatch.setattr(base.Browser, "start_timeout_s", BOUND_S)


needs_webkit = pytest.mark.skipif(not (Path(webkit.XVFB).exists() and shutil.which("sleep")),
                                  reason="Xvfb is not installed (Debian package xvfb)")


@needs_webkit
def test_webkitwebdriver_never_answering_the_new_session_request(tmp_path, monkeypatch, short_starts):
    """The hang seen on a clean clone: WebKitWebDriver up, its new-session request never answered."""
    pytest.importorskip("selenium")
    pids = tmp_path / "pids"
    monkeypatch.setattr(webkit, "WEBDRIVER", str(fake_webdriver(tmp_path, pids)))
    monkeypatch.setattr(webkit, "MINIBROWSER", sys.executable)  # never started by the fake
    assert_gave_up_twice("webkit", f"WebKitWebDriver did not answer the new-session request within {BOUND_S} s, twice",
                         pids)


@needs_webkit
def test_webkitwebdriver_hanging_once_then_starting(tmp_path, monkeypatch):
    pytest.importorskip("selenium")
    if not (Path(webkit.WEBDRIVER).exists() and Path(webkit.MINIBROWSER).exists()):
        pytest.skip("WebKitWebDriver is not installed (Debian package webkit2gtk-driver)")
    monkeypatch.setattr(webkit, "_start_session", _bounded_first(webkit._start_session))
    pids = tmp_path / "pids"
    monkeypatch.setattr(webkit, "WEBDRIVER", str(fake_webdriver(tmp_path, pids, real=webkit.WEBDRIVER)))
    before = descendants()
    began = time.monotonic()
    with launch("webkit") as browser:
        assert time.monotonic() - began >= BOUND_S
        context = browser.new_context()
        page = context.new_page()
        page.goto("data:text/html,<title>started</title>")
        assert page.evaluate("() => document.title") == "started"
        context.close()
    assert not [pid for pid in started(pids) if running(pid)], "the hung driver's processes still run"
    assert len(started(pids)) == 2, "one hung driver (and its child), then the real one"
    time.sleep(0.5)  # quit() has returned; MiniBrowser's helpers end a moment later
    assert descendants() <= before


def _bounded_first(start_session):
    """The first session's start under BOUND_S (the fake hangs then); the next ones under the real bound."""
    calls = []

    def bounded(browser, *args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            return start_session(browser, *args, **kwargs)
        browser.start_timeout_s = BOUND_S
        try:
            return start_session(browser, *args, **kwargs)
        finally:
            del browser.start_timeout_s

    return bounded


@needs_webkit
def test_xvfb_never_reporting_its_display(tmp_path, monkeypatch, short_starts):
    pytest.importorskip("selenium")
    if not (Path(webkit.WEBDRIVER).exists() and Path(webkit.MINIBROWSER).exists()):
        pytest.skip("WebKitWebDriver is not installed (Debian package webkit2gtk-driver)")
    pids = tmp_path / "pids"
    monkeypatch.setattr(webkit, "XVFB", str(sleeper(tmp_path, pids)))
    assert_gave_up_twice("webkit", f"Xvfb did not report its display within {BOUND_S} s, twice", pids)


def in_own_thread(step) -> None:
    """Run ``step`` in a thread of its own and raise what it raised: Playwright's sync API refuses
    to start in a thread whose event loop already runs another Playwright (the suite's browser)."""
    failure = []

    def run():
        try:
            step()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_chromium_never_starting(tmp_path, monkeypatch, short_starts):
    pytest.importorskip("playwright")
    pids = tmp_path / "pids"
    monkeypatch.setattr(chromium, "CHROMIUM", str(sleeper(tmp_path, pids)))
    in_own_thread(lambda: assert_gave_up_twice(
        "chromium", f"Chromium did not start (Playwright's launch) within {BOUND_S} s, twice", pids))


def test_firefox_never_starting(tmp_path, monkeypatch, short_starts):
    if not (shutil.which("node") and ((firefox.HERE / "node_modules" / "puppeteer-core").is_dir() or shutil.which("npm"))):
        pytest.skip("Node.js and npm are not installed (puppeteer-core drives Firefox)")
    pids = tmp_path / "pids"
    monkeypatch.setattr(firefox, "FIREFOX", str(sleeper(tmp_path, pids)))
    assert_gave_up_twice("firefox", f"Firefox did not start (puppeteer's launch) within {BOUND_S} s, twice", pids)


# ---- a page load from a server that never answers ----

@pytest.fixture
def silent_server():
    """A URL whose server accepts the connection and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except (TimeoutError, OSError):
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/never.html"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_page_load_past_its_bound_fails_naming_the_url(engine_browser, silent_server, monkeypatch):
    monkeypatch.setattr(engine_browser, "page_load_timeout_s", BOUND_S)
    context = engine_browser.new_context()
    try:
        page = context.new_page()
        began = time.monotonic()
        with pytest.raises(Exception) as caught:
            page.goto(silent_server)
        took = time.monotonic() - began
        if engine_browser.name == "chromium":  # Playwright's own TimeoutError
            assert type(caught.value).__name__ == "TimeoutError" and "navigating to" in str(caught.value)
        else:
            assert isinstance(caught.value, PageLoadTimeout)
            assert str(caught.value) == f"loading {silent_server} did not finish within {BOUND_S} s"
        assert silent_server in str(caught.value)
        assert BOUND_S <= took < BOUND_S + 10, f"gave up after {took:.1f} s"
    finally:
        context.close()
