"""The trimmed standard library (staticjudge/site/stdlib.py) in the browser, on every engine: the
worker boots from it, and a learner program importing modules it left out runs and passes (the
worker fetches the full library once: stdlib_fallback.py). Offline: tests/browser/test_offline.py."""

from __future__ import annotations

import json
import time

from staticjudge.site.serve import SiteHandler, serving

from .conftest import SUB_PATH
from .helpers import open_problem, run_tests, set_code, text_of, wait_run_over

TIME_LIMIT_S = 3  # add_numbers's time_limit (tests/fixtures/browser_site/problems/add_numbers.md)

# xml and email are left out of the trimmed library (a package and a submodule of a kept package).
OUTSIDE = '''import sys
FULL = "/lib/python_stdlib_full.zip"
before = FULL in sys.path
import xml.dom.minidom
import email.message

def add(a, b):
    doc = xml.dom.minidom.parseString(f"<sum>{a + b}</sum>")
    message = email.message.EmailMessage()
    message["Subject"] = doc.documentElement.firstChild.data
    return int(message["Subject"])
'''
REPORT = '''import sys
import _staticjudge_fullstdlib
print("trimmed", "xml" in _staticjudge_fullstdlib.OMITTED, before, FULL in sys.path)
try:
    import no_such_module_anywhere
except ModuleNotFoundError as exc:
    print("missing:", exc)
'''


def test_the_site_ships_a_trimmed_library(built_site):
    runtime = json.loads((built_site / SUB_PATH / "assets" / "runtime.json").read_text())
    trimmed = built_site / SUB_PATH / "assets" / runtime["stdlib"]["url"]
    assert trimmed.stat().st_size == runtime["stdlib"]["bytes"] < runtime["stdlib"]["full_bytes"] / 2


def test_a_module_left_out_of_the_library_is_fetched_and_the_run_passes(engine_page, site_url):
    page = engine_page
    open_problem(page, site_url, "add_numbers")
    set_code(page, OUTSIDE + REPORT)
    page.click("#run-code")
    wait_run_over(page)
    out = text_of(page, "#stdout")
    assert "trimmed True False True" in out, out  # booted trimmed, the full library fetched on the miss
    assert "missing: No module named 'no_such_module_anywhere'" in out, out  # any other miss: as plain Pyodide
    set_code(page, OUTSIDE)
    assert run_tests(page) == "3/3 tests passed · solved!"


class SlowFullLibrary(SiteHandler):
    """The site, with the full standard library arriving only after longer than a run may take."""

    delay_s = TIME_LIMIT_S + 2

    def do_GET(self):
        if self.path.endswith("/python_stdlib.zip"):
            time.sleep(self.delay_s)
        super().do_GET()


def test_fetching_the_full_library_does_not_count_against_the_time_limit(engine_page, built_site):
    """A slow network: the fallback's download takes longer than the problem's whole time limit.
    The learner's run is not stopped for it: the worker and the page both leave it out."""
    page = engine_page
    with serving(built_site, handler=SlowFullLibrary) as root:
        open_problem(page, root + SUB_PATH, "add_numbers")
        set_code(page, OUTSIDE)
        started = time.monotonic()
        assert run_tests(page) == "3/3 tests passed · solved!"
        assert time.monotonic() - started > SlowFullLibrary.delay_s, "the full library was meant to arrive slowly"
