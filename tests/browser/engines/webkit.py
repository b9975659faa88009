"""WebKit (Safari's engine): WebKitGTK's MiniBrowser, driven by WebKitWebDriver from Selenium.

MiniBrowser has no headless mode, so each browser gets its own Xvfb screen. A context is a
WebDriver session: a MiniBrowser of its own, whose HOME is a fresh folder (its storage and its
downloads live there), so two contexts share nothing, as two Playwright contexts do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .base import Browser, Context, EngineUnavailable, Page

WEBDRIVER = shutil.which("WebKitWebDriver") or "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
XVFB = shutil.which("Xvfb") or "/usr/bin/Xvfb"
KEYS = {"Control": "CONTROL", "Shift": "SHIFT", "Alt": "ALT", "Meta": "META", "Enter": "ENTER",
        "Escape": "ESCAPE", "Tab": "TAB", "Delete": "DELETE", "Backspace": "BACKSPACE",
        "ArrowLeft": "ARROW_LEFT", "ArrowRight": "ARROW_RIGHT", "ArrowUp": "ARROW_UP", "ArrowDown": "ARROW_DOWN",
        "Home": "HOME", "End": "END"}


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    process = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                               pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        process.kill()
        raise EngineUnavailable("Xvfb did not start (Debian package xvfb)")
    return process, f":{number}"


class WebKitPage(Page):
    def __init__(self, context: "WebKitContext", window: str):
        super().__init__()
        self._context, self._window = context, window
        self.download_dir = context.download_dir

    @property
    def _driver(self):
        driver = self._context.driver
        if driver.current_window_handle != self._window:
            driver.switch_to.window(self._window)
        return driver

    def goto(self, url):
        self._driver.get(url)

    def reload(self):
        self._driver.refresh()

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
    def __init__(self, browser: "WebKitBrowser", timeout_ms: int):
        from selenium import webdriver
        from selenium.webdriver.webkitgtk.options import Options
        from selenium.webdriver.webkitgtk.service import Service

        self._timeout = timeout_ms
        # Its helper processes may still be writing for a moment after quit(): cleanup forgives that.
        self._home = tempfile.TemporaryDirectory(prefix="sj-webkit-", ignore_cleanup_errors=True)
        home = Path(self._home.name)
        self.download_dir = home / "Downloads"
        self.download_dir.mkdir()
        # MiniBrowser saves a download, unasked, in GLib's download folder, which this file names.
        (home / "config").mkdir()
        (home / "config" / "user-dirs.dirs").write_text(f'XDG_DOWNLOAD_DIR="{self.download_dir}"\n')
        options = Options()
        options.binary_location = MINIBROWSER
        options.add_argument("--automation")
        # No accelerated compositing: with no GPU, WebKitGTK composites through Mesa's software GL
        # (llvmpipe), and under Xvfb it did so without pause even for a static page: a problem page
        # open for 5 s, no script running, cost 3.2 CPU-s of llvmpipe threads (0.3 CPU-s without),
        # which on 2 cores slowed its Python worker's boot by ~1.5 s. A device with a GPU pays
        # nothing like it; our pages use no 3D transforms or WebGL, which need compositing.
        env = {**os.environ, "DISPLAY": browser.display, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
               "XDG_CONFIG_HOME": str(home / "config"), "MESA_SHADER_CACHE_DISABLE": "true",
               "WEBKIT_DISABLE_COMPOSITING_MODE": "1"}
        try:
            self.driver = webdriver.WebKitGTK(options=options, service=Service(executable_path=WEBDRIVER, env=env))
        except Exception as exc:  # noqa: BLE001 - whatever Selenium raises, the engine is unusable here
            self._home.cleanup()
            raise EngineUnavailable(f"WebKitWebDriver could not start MiniBrowser: {exc}") from exc
        self.driver.set_page_load_timeout(600)
        self._free = [self.driver.current_window_handle]  # windows no page is using

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
        self._xvfb, self.display = _start_xvfb()
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

    def new_context(self, timeout_ms=30_000):
        return WebKitContext(self, timeout_ms)

    def close(self):
        self._xvfb.kill()
        self._xvfb.wait()

