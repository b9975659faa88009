"""The offline copy (theme/sw.js, theme/assets/offline.js), on every engine.

Each test serves its own build on a port of its own, so each has an origin of its own (its own
service worker, caches and snapshot store), and stops that server to take the network away: any
request the service worker does not answer then fails, on every engine alike.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from staticjudge.site.pyodide_assets import CORE_FILES
from staticjudge.site.serve import SiteHandler, SiteServer, make_server
from staticjudge.site.theme import THEME_DIR

from .conftest import FIXTURE, ROOT, build_into
from .helpers import BOOT_MS, SNAPSHOT_STORE, open_problem, ready_boots, run_tests, set_code, text_of
from .tinywheel import build_wheel

CORRECT = "def add(a, b):\n    return a + b\n"
SHOUT = "import sjtiny\n\ndef shout(text):\n    return text.upper() + sjtiny.SUFFIX\n"
CACHES = """async () => { const out = {}; for (const name of await caches.keys())
  out[name.split("|").pop()] = (await (await caches.open(name)).keys()).length; return out; }"""


class Host:
    """A static host for one build folder that the test can switch off."""

    def __init__(self, folder: Path, host: str = "127.0.0.1"):
        self.server = make_server(folder, host, 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://{host}:{self.server.server_address[1]}/course/"
        self.running = True

    def stop(self):
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()


def make_project(folder: Path) -> Path:
    shutil.copytree(FIXTURE / "problems", folder / "problems")
    shutil.copytree(FIXTURE / "hidden_tests", folder / "hidden_tests")
    return folder


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    build_wheel(folder)
    return folder


@pytest.fixture
def host(tmp_path, wheels):
    """The fixture problems, built self-hosted with their wheel, served at /course/."""
    project = make_project(tmp_path / "project")
    build_into(project, tmp_path / "www" / "course", wheels)
    served = Host(tmp_path / "www")
    served.project = project
    yield served
    served.stop()


def wait_offline_copy(page) -> None:
    """Wait until this page is controlled by the site's service worker (so its copy is complete)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=BOOT_MS)


def test_after_one_visit_every_page_opens_boots_and_grades_offline(engine_page, host):
    page = engine_page
    open_problem(page, host.url, "add_numbers")
    wait_offline_copy(page)
    # Nothing in flight when the network goes: a spare worker still importing Pyodide while the page
    # navigates away has its request cancelled, which Firefox reports as a page error.
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    host.stop()  # from here on, the network is gone

    open_problem(page, host.url, "shout_wheel")  # never opened online, another package set
    assert ready_boots(page)[0]["boot"] in ("made", "cold")
    set_code(page, SHOUT)
    assert run_tests(page) == "1/1 tests passed · solved!"

    page.goto(host.url)  # the folder's URL, as a learner types it
    page.wait_for_selector('.problem-item[data-slug="add_numbers"]')
    shown = page.evaluate("() => [...document.querySelectorAll('.problem-item')].map((i) => i.dataset.slug)")
    assert sorted(shown) == sorted(p.stem for p in (FIXTURE / "problems").glob("*.md"))
    # Leaving while the index's warm-up worker loads Pyodide cancels its requests, which Firefox
    # logs as errors of the offline copy that answered them: harmless, but not what this test is about.
    page.wait_for_function("() => performance.getEntriesByName('staticjudge:prewarm-done').length"
                           " + performance.getEntriesByName('staticjudge:prewarm-skipped').length > 0", timeout=BOOT_MS)

    open_problem(page, host.url, "add_numbers")
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"


def test_offline_a_module_left_out_of_the_trimmed_library_comes_from_the_offline_copy(engine_page, host):
    """The worker boots from a trimmed standard library; the full one, fetched on a miss, is in the
    offline copy too (site/stdlib.py, stdlib_fallback.py)."""
    from .test_stdlib import OUTSIDE

    page = engine_page
    open_problem(page, host.url, "add_numbers")
    wait_offline_copy(page)
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    host.stop()

    open_problem(page, host.url, "add_numbers")
    set_code(page, OUTSIDE)
    assert run_tests(page) == "3/3 tests passed · solved!"


def change_problem(project: Path) -> None:
    """A new build: add_numbers gets a new title and a fourth hidden test."""
    md = project / "problems" / "add_numbers.md"
    md.write_text(md.read_text().replace("title: Add two numbers", "title: Add two numbers, again"))
    tests = project / "hidden_tests" / "add_numbers.py"
    tests.write_text(tests.read_text() + '\n\ndef test_zero(add):\n    """Adds zeros"""\n    check(add, 0, 0)\n')


def wait_through_reload(page, condition: str, timeout_s: float = BOOT_MS / 1000) -> None:
    """Poll ``condition`` with short evaluations that a reload in between may interrupt."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if page.evaluate(condition):
                return
        except Exception:  # noqa: BLE001 - the page was navigating: ask again
            pass
        time.sleep(0.5)
    raise TimeoutError(f"waited {timeout_s} s for {condition}")


PAGE_AND_DATA = """async () => ({title: document.querySelector("h1").firstChild.textContent.trim(),
  listed: document.querySelectorAll(".tests-list li").length,
  tests: (await (await fetch("problem.json")).json()).tests.length})"""


def test_a_rebuild_reaches_a_returning_learner_after_the_notice_and_never_mixes(engine_page, host, wheels, tmp_path):
    page = engine_page
    open_problem(page, host.url, "add_numbers")
    wait_offline_copy(page)
    old = page.evaluate(CACHES)
    assert len(old) == 1 and list(old.values())[0] > 10, old
    page.goto("about:blank")

    change_problem(host.project)
    build_into(host.project, tmp_path / "www" / "course", wheels)

    open_problem(page, host.url, "add_numbers", wait_ready=False)  # the learner comes back
    # The old version answers, whole: its page and its data, until the learner reloads.
    assert page.evaluate(PAGE_AND_DATA) == {"title": "Add two numbers", "listed": 3, "tests": 3}
    page.wait_for_selector("#update-notice:not([hidden])", timeout=BOOT_MS)
    assert text_of(page, "#update-notice").startswith("A newer version of this course is ready")
    assert page.evaluate(PAGE_AND_DATA) == {"title": "Add two numbers", "listed": 3, "tests": 3}

    page.click("#update-notice button")
    wait_through_reload(page, "() => Boolean(document.querySelector('h1')?.textContent.includes('again')"
                              " && document.querySelector('#problem[data-ready=true]'))")
    assert page.evaluate(PAGE_AND_DATA) == {"title": "Add two numbers, again", "listed": 4, "tests": 4}
    assert page.evaluate("() => document.getElementById('update-notice').hidden")
    now = page.evaluate(CACHES)
    assert len(now) == 1 and set(now) != set(old), f"the old version's cache is gone: {old} → {now}"

    host.stop()  # the new version is the offline copy now
    page.reload()
    page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)
    set_code(page, CORRECT)
    assert run_tests(page) == "4/4 tests passed · solved!"


def lan_address() -> str | None:
    """An address of this machine that is not loopback: http:// there is not a secure context."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_without_service_workers_the_page_still_grades(engine_page, tmp_path, wheels):
    """Not a secure context (plain http on a LAN address): no service worker, everything else works."""
    address = lan_address()
    if not address:
        pytest.skip("this machine has no non-loopback address to serve from")
    build_into(make_project(tmp_path / "project"), tmp_path / "www" / "course", wheels)
    served = Host(tmp_path / "www", host=address)
    try:
        page = engine_page
        open_problem(page, served.url, "add_numbers")
        assert page.evaluate("() => [isSecureContext, 'serviceWorker' in navigator]") == [False, False]
        set_code(page, CORRECT)
        assert run_tests(page) == "3/3 tests passed · solved!"
    finally:
        served.stop()


SNAPSHOTS_STORED = f"async () => {{ const {{ store, base }} = await ({SNAPSHOT_STORE})(); return (await store.storedSlots(base)).length; }}"
REGISTERED = "async () => Boolean(await navigator.serviceWorker.getRegistration())"


def test_the_footer_shows_what_is_stored_and_removes_the_offline_copy(engine_page, host):
    page = engine_page
    open_problem(page, host.url, "add_numbers")
    wait_offline_copy(page)
    page.wait_for_function("() => performance.getEntriesByName('staticjudge:snapshot-saved').length > 0",
                           timeout=BOOT_MS)
    assert page.evaluate(SNAPSHOTS_STORED) >= 1 and page.evaluate(CACHES)
    # WebKitGTK's MiniBrowser has no navigator.storage: the line then says what is kept, without a size.
    sized = page.evaluate("() => Boolean(navigator.storage?.estimate)")
    page.wait_for_function("(sized) => new RegExp((sized ? 'holds \\\\d+\\\\.\\\\d MB for this site. ' : '^')"
                           " + 'It keeps a copy').test(document.getElementById('offline-usage').textContent)", arg=sized)
    assert page.evaluate("() => document.getElementById('offline-toggle').textContent") == "Remove offline copy"

    page.click("#offline-toggle")
    page.wait_for_function("() => performance.getEntriesByName('staticjudge:offline-removed').length > 0")
    assert text_of(page, "#offline-usage").startswith("Offline copy removed")
    assert page.evaluate(CACHES) == {} and page.evaluate(REGISTERED) is False
    assert page.evaluate(SNAPSHOTS_STORED) == 0

    page.reload()  # the learner's choice holds: no copy is made again
    open_problem(page, host.url, "add_numbers")
    page.wait_for_timeout(2000) if hasattr(page, "wait_for_timeout") else time.sleep(2)
    assert page.evaluate(REGISTERED) is False and page.evaluate(CACHES) == {}
    assert page.evaluate("() => document.getElementById('offline-toggle').textContent") == "Keep an offline copy"

    page.click("#offline-toggle")
    wait_offline_copy(page)
    assert page.evaluate("() => document.getElementById('offline-toggle').textContent") == "Remove offline copy"


class CorsHandler(SiteHandler):
    """A CDN: every answer may be read by any origin."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def test_cdn_mode_keeps_what_the_cdn_served(engine_page, tmp_path, wheels):
    """Pages load Pyodide from a CDN (another origin): once fetched through the service worker, it works offline."""
    cdn_root = tmp_path / "cdn"
    core = THEME_DIR / "node_modules" / "pyodide"
    (cdn_root / "pyodide").mkdir(parents=True)
    for name in CORE_FILES:
        shutil.copyfile(core / name, cdn_root / "pyodide" / name)
    cdn = SiteServer(("127.0.0.1", 0), functools.partial(CorsHandler, directory=str(cdn_root)))
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    project = make_project(tmp_path / "project")
    site = project / "site"
    site.mkdir()
    config = (ROOT / "site" / "config.yaml").read_text()
    cdn_url = f"http://127.0.0.1:{cdn.server_address[1]}/pyodide/"
    (site / "config.yaml").write_text(re.sub(r"(?m)^pyodide_cdn:.*$", f"pyodide_cdn: {cdn_url}", config))
    build_into(project, tmp_path / "www" / "course", wheels, self_host=False)
    served = Host(tmp_path / "www")
    try:
        page = engine_page
        page.goto(served.url + "index.html")  # the index warms up through the service worker
        page.wait_for_function("() => performance.getEntriesByName('staticjudge:prewarm-done').length > 0",
                               timeout=2 * BOOT_MS)
        kept = page.evaluate("""async (cdn) => { for (const name of await caches.keys()) if (name.endsWith('|cdn|' + cdn))
            return (await (await caches.open(name)).keys()).map((r) => r.url.slice(cdn.length)).sort(); return []; }""", cdn_url)
        assert {"pyodide.asm.wasm", "pyodide.mjs"} <= set(kept), kept
        # The standard library the worker boots from is the site's trimmed copy (in the offline copy
        # with the rest of the site), not the CDN's (fetched only when an import needs it).
        assert "python_stdlib.zip" not in kept
        assert (tmp_path / "www" / "course" / "assets" / "stdlib" / "python_stdlib.zip").is_file()
        served.stop()
        cdn.shutdown()
        cdn.server_close()
        open_problem(page, served.url, "add_numbers")
        set_code(page, CORRECT)
        assert run_tests(page) == "3/3 tests passed · solved!"
    finally:
        served.stop()
        with contextlib.suppress(OSError):
            cdn.server_close()


def test_a_copy_taken_mid_deploy_is_refused_then_taken_again(engine_page, host, tmp_path):
    """A file that is not the build's (an upload half done) fails the install: no mixed copy is ever used."""
    data = tmp_path / "www" / "course" / "add_numbers" / "problem.json"
    good = data.read_bytes()
    data.write_bytes(good.replace(b'"title"', b'"title" ', 1))  # another build's file, same path
    page = engine_page
    open_problem(page, host.url, "add_numbers")
    page.wait_for_function("() => performance.getEntriesByName('staticjudge:offline-copy-failed').length > 0",
                           timeout=BOOT_MS)
    assert page.evaluate("() => navigator.serviceWorker.controller") is None
    data.write_bytes(good)  # the upload is complete
    page.reload()
    wait_offline_copy(page)
