"""Chromium: Debian's Chromium, driven by Playwright (whose own browser builds cannot be downloaded here).

Its pages are Playwright's own, which already have the whole API base.py describes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .base import EngineUnavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class ChromiumBrowser:
    name = "chromium"

    def __init__(self):
        if not Path(CHROMIUM).exists():
            raise EngineUnavailable(f"Chromium is not installed at {CHROMIUM} (Debian package chromium)")
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self.playwright_browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:
            self._playwright.stop()
            raise EngineUnavailable(f"Chromium did not start: {exc}") from exc
        self.version = self.playwright_browser.version

    def new_context(self, timeout_ms: int = 30_000, **options):
        context = self.playwright_browser.new_context(accept_downloads=True, **options)
        context.set_default_timeout(timeout_ms)
        return context

    def close(self):
        self.playwright_browser.close()
        self._playwright.stop()
