"""WebKit (Safari's engine): WebKitGTK's MiniBrowser, driven by WebKitWebDriver from Selenium.

MiniBrowser has no headless mode, so each browser gets its own Xvfb screen. A context is a
WebDriver session: a MiniBrowser of its own, whose HOME is a fresh folder (its storage and its
downloads live there), so two contexts share nothing, as two Playwright contexts do.

Xvfb's start and each session's start are bounded (base.within): Selenium has no timeout of its
own for the new-session request, which WebKitWebDriver has been seen never to answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .base import (GRACE_S, Browser, Context, EngineUnavailable, Page, PageLoadTimeout, StartFailed, kill_tree,
                   start_twice, within)

WEBDRIVER = shutil.which("WebKitWebDriver") or "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
XVFB = shutil.which("Xvfb") or "/usr/bin/Xvfb"
KEYS = {"Control": "CONTROL", "Shift": "SHIFT", "Alt": "ALT", "Meta": "META", "Enter": "ENTER",
        "Escape": "ESCAPE", "Tab": "TAB", "Delete": "DELETE", "Backspace": "BACKSPACE",
        "ArrowLeft": "ARROW_LEFT", "ArrowRight": "ARROW_RIGHT", "ArrowUp": "ARROW_UP", "ArrowDown": "ARROW_DOWN",
        "Home": "HOME", "End": "END"}


def _start_xvfb(seconds: float) -> tuple[subprocess.Popen, str]:
    """Xvfb on a display of its choosing, which it writes to a pipe once it is ready."""
    read, write = os.pipe()
    process = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                               pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        # Killing Xvfb closes the pipe's other end, which ends the read.
        number = within(seconds, lambda: pipe.readline().strip(), lambda: kill_tree(process),
                        "Xvfb did not report its display")
    if not number:
        kill_tree(process)
        raise StartFailed("Xvfb exited before reporting its display")
    return process, f":{number}"


def _start_session(browser: "WebKitBrowser", storage: bool = True):
    """A WebDriver session (WebKitWebDriver, and a MiniBrowser of its own in a fresh HOME); the
    driver and that HOME. Bounded by browser.start_timeout_s; a failure kills what it started."""
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    class Steps(Service):
        """The step the session's start is at, for a start that overruns its bound to name."""
        step = "WebKitWebDriver did not start listening"

        def start(self):
            super().start()
            self.step = "WebKitWebDriver did not answer the new-session request"

    # Its helper processes may still be writing for a moment after quit(): cleanup forgives that.
    home_dir = tempfile.TemporaryDirectory(prefix="sj-webkit-", ignore_cleanup_errors=True)
    home = Path(home_dir.name)
    download_dir = home / "Downloads"
    download_dir.mkdir()
    # MiniBrowser saves a download, unasked, in GLib's download folder, which this file names.
    (home / "config").mkdir()
    (home / "config" / "user-dirs.dirs").write_text(f'XDG_DOWNLOAD_DIR="{download_dir}"\n')
    options = Options()
    options.binary_location = MINIBROWSER
    options.add_argument("--automation")
    if not storage:  # MiniBrowser's own settings: no localStorage, no IndexedDB
        options.add_argument("--enable-html5-local-storage=false")
        options.add_argument("--enable-html5-database=false")
    # No accelerated compositing: with no GPU, WebKitGTK composites through Mesa's software GL
    # (llvmpipe), and under Xvfb it did so without pause even for a static page: a problem page
    # open for 5 s, no script running, cost 3.2 CPU-s of llvmpipe threads (0.3 CPU-s without),
    # which on 2 cores slowed its Python worker's boot by ~1.5 s. A device with a GPU pays
    # nothing like it; our pages use no 3D transforms or WebGL, which need compositing.
    env = {**os.environ, "DISPLAY": browser.display, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config"), "MESA_SHADER_CACHE_DISABLE": "true",
           "WEBKIT_DISABLE_COMPOSITING_MODE": "1"}
    service = Steps(executable_path=WEBDRIVER, env=env)

    def start():
        driver = webdriver.WebKitGTK(options=options, service=service)
        service.step = "WebKitWebDriver did not answer its first commands"
        driver.set_page_load_timeout(browser.page_load_timeout_s)
        return driver, driver.current_window_handle

    def kill():
        if getattr(service, "process", None) is not None:
            kill_tree(service.process)  # WebKitWebDriver, its MiniBrowser and the MiniBrowser's helpers

    try:
        driver, window = within(browser.start_timeout_s, start, kill, lambda: service.step)
    except StartFailed:
        home_dir.cleanup()
        raise
    except Exception as exc:  # noqa: BLE001 - whatever Selenium raises, this start failed
        kill()
        home_dir.cleanup()
        raise StartFailed(f"WebKitWebDriver could not start MiniBrowser: {exc}") from exc
    return driver, window, home_dir, service


class WebKitPage(Page):
    def __init__(self, context: "WebKitContext", window: str):
        super().__init__()
        self._context, self._window = context, window
        self.download_dir = context.download_dir
        self._loaded = "about:blank"  # the URL a reload loads again

    @property
    def _driver(self):
        driver = self._context.driver
        if driver.current_window_handle != self._window:
            driver.switch_to.window(self._window)
        return driver

    def goto(self, url):
        self._loaded = url
        self._load(f"loading {url}", lambda driver: driver.get(url))

    def reload(self):
        self._load(f"reloading {self._loaded}", lambda driver: driver.refresh())

    def _load(self, step: str, load) -> None:
        """A page load, bounded by WebDriver's page-load timeout; and, should WebKitWebDriver not
        answer at all, by a kill of this context's driver a little later."""
        from selenium.common.exceptions import TimeoutException

        driver, seconds = self._driver, self._context.page_load_timeout_s
        try:
            within(seconds + GRACE_S, lambda: load(driver), self._context.kill,
                   f"{step}: WebKitWebDriver did not answer", error=PageLoadTimeout)
        except TimeoutException as exc:
            raise PageLoadTimeout(f"{step} did not finish within {seconds:g} s") from exc

    def _evaluate_json(self, expression, timeout_ms):
        driver = self._driver
        driver.set_script_timeout(timeout_ms / 1000 + 5)
        return driver.execute_async_script(f"const done = arguments[arguments.length - 1]; ({expression}).then(done);")

    def click(self, selector):
        from selenium.webdriver.common.by import By

        self._driver.find_element(By.CSS_SELECTOR, selector).click()

    def _press(self, keys):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        *modifiers, key = keys.split("+")
        names = [getattr(Keys, KEYS[m]) for m in modifiers]
        key = getattr(Keys, KEYS[key]) if key in KEYS else key.lower() if modifiers else key
        chain = ActionChains(self._driver)
        for name in names:
            chain.key_down(name)
        chain.send_keys(key)
        for name in reversed(names):
            chain.key_up(name)
        chain.perform()

    def set_input_files(self, selector, path):
        from selenium.webdriver.common.by import By

        self._driver.find_element(By.CSS_SELECTOR, selector).send_keys(str(Path(path).resolve()))

    def set_viewport_size(self, size):
        # WebDriver sizes the whole window: size it, then grow it by what its frame takes.
        driver = self._driver
        driver.set_window_size(size["width"], size["height"])
        inner = driver.execute_script("return [innerWidth, innerHeight]")
        driver.set_window_size(2 * size["width"] - inner[0], 2 * size["height"] - inner[1])

    def close(self):
        self._context.release(self._window)


class WebKitContext(Context):
    def __init__(self, browser: "WebKitBrowser", timeout_ms: int, storage: bool = True):
        self._timeout = timeout_ms
        self.page_load_timeout_s = browser.page_load_timeout_s
        # A start that fails, or hangs, is tried once more with a fresh WebKitWebDriver.
        self.driver, window, self._home, self._service = start_twice(lambda: _start_session(browser, storage))
        self.download_dir = Path(self._home.name) / "Downloads"
        self._free = [window]  # windows no page is using

    def new_page(self):
        if self._free:
            window = self._free.pop()
        else:
            self.driver.switch_to.new_window("tab")
            window = self.driver.current_window_handle
        page = WebKitPage(self, window)
        page.set_default_timeout(self._timeout)
        page.goto("about:blank")
        return page

    def release(self, window: str) -> None:
        """A closed page: its window goes back to about:blank (its workers end) for the next page."""
        self.driver.switch_to.window(window)
        self.driver.get("about:blank")
        self._free.append(window)

    def kill(self) -> None:
        """This context's WebKitWebDriver and its MiniBrowser, killed (for a driver that no longer answers)."""
        kill_tree(self._service.process)

    def close(self):
        try:
            self.driver.quit()
        finally:
            self._home.cleanup()


class WebKitBrowser(Browser):
    name = "webkit"

    def __init__(self):
        for path, package in ((WEBDRIVER, "webkit2gtk-driver"), (MINIBROWSER, "webkit2gtk-driver"), (XVFB, "xvfb")):
            if not Path(path).exists():
                raise EngineUnavailable(f"{path} is missing (Debian package {package})")
        try:
            import selenium  # noqa: F401
        except ImportError as exc:
            raise EngineUnavailable("selenium is not installed (pip install -e '.[test]')") from exc
        self._xvfb, self.display = start_twice(lambda: _start_xvfb(self.start_timeout_s))
        probe = None
        try:
            probe = self.new_context()
            self.version = probe.driver.capabilities.get("browserVersion", "?")
        except Exception:
            self.close()
            raise
        finally:
            if probe:
                probe.close()

    def new_context(self, timeout_ms=30_000, storage=True):
        return WebKitContext(self, timeout_ms, storage)

    def close(self):
        self._xvfb.kill()
        self._xvfb.wait()

