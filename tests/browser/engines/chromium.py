"""Chromium: Debian's Chromium, driven by Playwright (whose own browser builds cannot be downloaded here).

Its pages are Playwright's own, which already have the whole API base.py describes. Playwright
bounds the browser's launch and every navigation itself; its own driver's start (a Node process)
is bounded here, by killing the processes the start spawned.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .base import Browser, EngineUnavailable, StartFailed, process_children, kill_tree, start_twice, within

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class ChromiumBrowser(Browser):
    name = "chromium"

    def __init__(self):
        if not Path(CHROMIUM).exists():
            raise EngineUnavailable(f"Chromium is not installed at {CHROMIUM} (Debian package chromium)")
        self._playwright, self.playwright_browser = start_twice(self._start)
        self.version = self.playwright_browser.version

    def _start(self):
        """Playwright's driver, then Chromium under it. Past the bound, every process this start
        spawned (the driver, the browser, its helpers) is killed, which ends Playwright's wait."""
        from playwright.sync_api import Error, TimeoutError as LaunchTimeout, sync_playwright

        before = set(process_children().get(os.getpid(), ()))
        step = ["Playwright's driver did not start"]

        def start():
            playwright = sync_playwright().start()
            step[0] = "Chromium did not start (Playwright's launch)"
            try:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                     timeout=self.start_timeout_s * 1000)
            except Error as exc:
                _stop_quietly(playwright)
                if isinstance(exc, LaunchTimeout):  # Playwright's own bound: it has killed the browser
                    raise StartFailed(f"{step[0]} within {self.start_timeout_s:g} s") from exc
                raise StartFailed(f"Chromium did not start: {exc}") from exc
            return playwright, browser

        def kill():
            for child in set(process_children().get(os.getpid(), ())) - before:
                kill_tree(child)

        return within(self.start_timeout_s, start, kill, lambda: step[0])

    def new_context(self, timeout_ms: int = 30_000, storage: bool = True, **options):
        if storage:
            context = self.playwright_browser.new_context(accept_downloads=True, **options)
        else:
            context = self._storage_refused_context(**options)
        context.set_default_timeout(timeout_ms)
        context.set_default_navigation_timeout(self.page_load_timeout_s * 1000)
        return context

    def _storage_refused_context(self, **options):
        """A Chromium of its own whose profile blocks all cookies, as a user's privacy setting does:
        it then refuses localStorage, IndexedDB, Cache Storage and the origin's private file system."""
        profile = Path(tempfile.mkdtemp(prefix="sj-chromium-"))
        (profile / "Default").mkdir()
        (profile / "Default" / "Preferences").write_text(json.dumps(
            {"profile": {"default_content_setting_values": {"cookies": 2}}}))
        try:
            context = self._playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, accept_downloads=True,
                timeout=self.start_timeout_s * 1000, **options)
        except BaseException:
            shutil.rmtree(profile, ignore_errors=True)
            raise
        context.on("close", lambda _: shutil.rmtree(profile, ignore_errors=True))
        return context

    def close(self):
        self.playwright_browser.close()
        self._playwright.stop()


def _stop_quietly(playwright) -> None:
    """Stop Playwright's driver after a failed launch; a driver that is gone needs no stopping."""
    try:
        playwright.stop()
    except Exception:  # noqa: BLE001
        pass
