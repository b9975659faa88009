"""Warm start from a memory snapshot (theme/assets/snapshot.js), and the cold boot it falls back to.

The first visit boots cold and snapshots the interpreter before any learner code runs; later
visits (and the spare worker) restore it. NumPy problems need PYODIDE_PACKAGES; the fixture
problems snapshot the core interpreter (plus the pure-Python wheel) and always run. Every test
but the last runs on every engine.
"""

import json
import shutil
import subprocess
import sys
import threading

import pytest

from staticjudge.content.parser import parse_problem
from staticjudge.site.serve import make_server

from .conftest import ROOT, numpy_wheels
from .helpers import (BOOT_MS, RUN_MS, SNAPSHOT_STORE, open_problem, ready_boots, run_tests, set_code, text_of, wait_run_over,
                      wait_snapshot_saved)

CORRECT = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def context(engine_context):
    """Here every test that takes a context or a page runs on every engine."""
    return engine_context


@pytest.fixture
def page(engine_page):
    return engine_page


needs_numpy = pytest.mark.skipif(numpy_wheels() is None, reason="PYODIDE_PACKAGES names no folder with a NumPy wheel")


def first_visit(context, site_url, slug):
    page = context.new_page()
    open_problem(page, site_url, slug)
    assert ready_boots(page)[0]["boot"] == "made"
    wait_snapshot_saved(page)
    close_when_settled(page)


def close_when_settled(page):
    """Close once the spare has read the snapshot: closing mid-read leaves WebKit's store stuck, and
    later writes wait (test_leaving_while_the_spare_reads_the_snapshot_never_blocks_the_next_page)."""
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    page.close()


def printed(page, code) -> str:
    set_code(page, code)
    page.click("#run-code")
    wait_run_over(page)
    return text_of(page, "#stdout").strip()


def test_second_visit_restores_the_core_snapshot_and_grades(context, page, site_url):
    first_visit(context, site_url, "add_numbers")
    open_problem(page, site_url, "add_numbers")
    assert ready_boots(page)[0]["boot"] == "restored"
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"


STORED = f"""async () => {{
  const {{ store, base }} = await ({SNAPSHOT_STORE})();
  return {{ kind: await store.storeKind(), slots: await store.storedSlots(base),
           opfs: Boolean(navigator.storage?.getDirectory) }};
}}"""


def test_the_snapshot_is_one_file_of_the_private_file_system_where_the_engine_has_one(context, page, site_url):
    first_visit(context, site_url, "add_numbers")
    open_problem(page, site_url, "add_numbers")
    stored = page.evaluate(STORED)
    assert stored["kind"] == ("opfs" if stored["opfs"] else "indexeddb"), stored
    assert stored["slots"] == ["core"], "one snapshot, of the core interpreter's package set, in one store"


# The smallest valid module, and one of 112 bytes (a custom section named "x" of 100 zero bytes).
SMALL_COMPILES = """async () => {
  const { withSmallCompilesAtOnce } = await import(new URL("assets/wasm-early.js", location.href));
  const header = [0, 97, 115, 109, 1, 0, 0, 0];
  const tiny = new Uint8Array(header), larger = new Uint8Array([...header, 0, 102, 1, 120, ...new Array(100).fill(0)]);
  const engines = [];  // what reached the engine's own compile
  const original = WebAssembly.compile;
  WebAssembly.compile = (bytes) => { engines.push(bytes.byteLength); return original(bytes); };
  const spy = WebAssembly.compile;
  try {
    const seen = await withSmallCompilesAtOnce(async () => [
      (await WebAssembly.compile(tiny)) instanceof WebAssembly.Module,
      (await WebAssembly.compile(larger)) instanceof WebAssembly.Module,
      await WebAssembly.compile(new Uint8Array([1, 2, 3])).then(() => "compiled", (error) => error.name),
    ], 64);
    return { seen, engines, restored: WebAssembly.compile === spy };
  } finally {
    WebAssembly.compile = original;
  }
}"""


def test_small_modules_compile_at_once_while_the_loader_loads_and_compile_is_restored(page, site_url):
    """pyodide.mjs compiles a tiny module as it loads; in Firefox an asynchronous compile waited
    behind the 10 MB module's background compilation (~0.1 s of every warm boot)."""
    page.goto(site_url + "index.html")
    result = page.evaluate(SMALL_COMPILES)
    assert result["seen"] == [True, True, "CompileError"], "small modules compile, and a broken one still fails"
    assert result["engines"] == [112], "only the module above the limit went to the engine's asynchronous compile"
    assert result["restored"], "WebAssembly.compile is the engine's again once the loader has loaded"


def test_coming_back_to_the_same_problem_restores_its_snapshot(page, site_url):
    """WebKit lost Cache Storage entries that a tab's first page wrote once that page was opened again."""
    open_problem(page, site_url, "add_numbers")
    assert ready_boots(page)[0]["boot"] == "made"
    wait_snapshot_saved(page)
    open_problem(page, site_url, "add_numbers")  # the same URL, in the same tab
    assert ready_boots(page)[0]["boot"] == "restored"
    page.reload()
    page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)
    assert ready_boots(page)[0]["boot"] == "restored"
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"


def test_leaving_while_the_spare_reads_the_snapshot_never_blocks_the_next_page(page, site_url):
    """WebKit keeps a destroyed worker's IndexedDB transaction open: the next boot must not wait on it."""
    for _ in range(3):
        open_problem(page, site_url, "add_numbers")
        if ready_boots(page)[0]["boot"] == "made":
            wait_snapshot_saved(page)  # the spare starts reading it now, and the page is left at once
        open_problem(page, site_url, "shout_wheel")  # ready, restored or cold, within BOOT_MS
        assert ready_boots(page)[0]["boot"] in ("made", "restored", "cold")
    set_code(page, "import sjtiny\n\ndef shout(text):\n    return text.upper() + sjtiny.SUFFIX\n")
    assert run_tests(page) == "1/1 tests passed · solved!"


SAVED = "() => performance.getEntriesByName('staticjudge:snapshot-saved').map((m) => m.detail.written)"


def test_two_tabs_that_both_make_the_snapshot_write_it_once(context, site_url):
    tabs = [context.new_page(), context.new_page()]
    for tab in tabs:  # both start before either has stored anything
        open_problem(tab, site_url, "add_numbers", wait_ready=False)
    for tab in tabs:
        tab.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)
        assert ready_boots(tab)[0]["boot"] == "made"
        wait_snapshot_saved(tab)
    assert sorted(tab.evaluate(SAVED)[0] for tab in tabs) == [False, True], "the second tab found the first one's"
    for tab in tabs:
        tab.close()
    again = context.new_page()
    open_problem(again, site_url, "add_numbers")
    assert ready_boots(again)[0]["boot"] == "restored"
    again.close()


def draws_from_two_restores(context, site_url, slug, code, then=None) -> list[str]:
    """After a first visit, open ``slug`` twice from the snapshot; what ``code`` printed each time."""
    first_visit(context, site_url, slug)
    draws = []
    for _ in range(2):
        page = context.new_page()
        open_problem(page, site_url, slug)
        assert ready_boots(page)[0]["boot"] == "restored"
        draws.append(printed(page, code))
        if then:
            then(page)
        page.close()
    return draws


def test_random_numbers_differ_between_two_restores(context, site_url):
    draws = draws_from_two_restores(context, site_url, "add_numbers", "import random\nprint(random.random())\n")
    assert draws[0] != draws[1]


@needs_numpy
def test_second_visit_restores_numpy_and_grades_with_fresh_random_numbers(context, site_url):
    shipped = parse_problem(ROOT / "problems" / "self_attention.md", ROOT / "hidden_tests")
    total = len(shipped.tests)

    def grades(page):
        set_code(page, shipped.solution.code)
        assert run_tests(page) == f"{total}/{total} tests passed · solved!"

    draws = draws_from_two_restores(
        context, site_url, "self_attention",
        "import numpy as np\nprint(np.random.rand(3), np.random.default_rng().random())\n", then=grades)
    assert draws[0] != draws[1]


DAMAGE = {
    # Same sizes, so only Pyodide's own checks (magic, build id) can notice.
    "memory header": "(record) => { record.memory.fill(7, 0, 64); }",
    "so layout": """(record) => {
        for (const where of Object.values(record.meta.layout)) where[1] += 16;
        record.meta.layout["/lib/extra.so"] = [1, 16];  // the core snapshot has no .so at all
    }""",
    "truncated": "(record) => { record.bundle = record.bundle.slice(0, record.bundle.length >> 1); }",
}


def damage_snapshot(page, how: str) -> None:
    """Change the one stored snapshot record as ``how`` says, in whichever store this engine's worker
    uses (theme/assets/snapshot-store.js: the origin private file system, else IndexedDB)."""
    page.evaluate(f"""async () => {{
        const {{ store, base }} = await ({SNAPSHOT_STORE})();
        const slots = await store.storedSlots(base);
        if (slots.length !== 1) throw new Error(`expected one stored snapshot, found ${{slots.length}}`);
        const damage = {DAMAGE[how]};
        if (await store.storeKind() === "opfs") {{
            const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle("staticjudge-snapshots");
            for await (const site of folder.values()) {{
                const file = await site.getFileHandle(slots[0]);
                const record = store.decodeRecord(new Uint8Array(await (await file.getFile()).arrayBuffer()));
                record.memory = record.memory.slice();
                record.bundle = record.bundle.slice();
                damage(record);
                const writable = await file.createWritable();
                await writable.write(store.encodeRecord(record));  // "truncated" keeps the old size in meta
                await writable.close();
            }}
            return;
        }}
        const done = (request) => new Promise((resolve, reject) => {{
            request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); }});
        const db = await done(indexedDB.open("staticjudge-snapshots"));
        const records = db.transaction("snapshots", "readwrite").objectStore("snapshots");
        const key = (await done(records.getAllKeys())).find((k) => k.endsWith("/" + slots[0]));
        const record = await done(records.get(key));
        damage(record);
        records.put(record, key);
        await new Promise((resolve, reject) => {{  // committed, not just requested
            records.transaction.oncomplete = resolve; records.transaction.onabort = () => reject(records.transaction.error); }});
        db.close();
    }}""")


@pytest.mark.parametrize("slug", ["add_numbers", pytest.param("self_attention", marks=needs_numpy)])
@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_snapshot_falls_back_to_a_cold_boot_that_grades(engine_browser, context, page, site_url, slug, how):
    first_visit(context, site_url, slug)
    helper = context.new_page()
    open_problem(helper, site_url, slug)
    # Damaged only once the helper's spare has read it: a spare that read the damaged record would
    # remake and store a good one, and the page below would restore that.
    helper.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    damage_snapshot(helper, how)
    helper.close()
    open_problem(page, site_url, slug)
    if slug == "add_numbers":
        set_code(page, CORRECT)
        assert run_tests(page) == "3/3 tests passed · solved!"
    else:
        shipped = parse_problem(ROOT / "problems" / f"{slug}.md", ROOT / "hidden_tests")
        set_code(page, shipped.solution.code)
        assert run_tests(page) == f"{len(shipped.tests)}/{len(shipped.tests)} tests passed · solved!"
    first = ready_boots(page)[0]
    assert first["boot"] == "made", f"the damaged entry was dropped and the snapshot made again: {first}"
    assert first["not_restored"].startswith("the stored snapshot was unusable"), first
    wait_snapshot_saved(page)
    again = context.new_page()
    open_problem(again, site_url, slug)
    assert ready_boots(again)[0]["boot"] == "restored", "the snapshot made again is good"
    again.close()


def test_the_spare_worker_restores_from_the_snapshot_and_takes_over_after_a_time_limit(context, page, site_url):
    open_problem(page, site_url, "add_numbers")
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    assert [b["boot"] for b in ready_boots(page)] == ["made", "restored"], "the spare waited for the snapshot"
    # Stuck in C (sum over a range), so the page terminates the worker: a Python loop would stop by itself.
    set_code(page, "def add(a, b):\n    return sum(range(10 ** 15))\n")
    assert run_tests(page) == "0/3 tests passed · time limit exceeded"
    assert page.get_attribute("#python-status", "data-state") == "ready"
    assert page.evaluate("() => performance.getEntriesByName('staticjudge:worker-killed').length") == 1
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"


@needs_numpy
def test_numpy_named_by_the_lock_file_is_snapshotted_too(browser, tmp_path):
    """A default build loads NumPy by name (from the CDN): the worker finds the wheel in pyodide-lock.json."""
    project = tmp_path / "project"
    for folder, name in (("problems", "self_attention.md"), ("hidden_tests", "self_attention.py")):
        (project / folder).mkdir(parents=True)
        shutil.copyfile(ROOT / folder / name, project / folder / name)
    out = tmp_path / "www" / "course"
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(project), "build", "--out", str(out),
                           "--self-host"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    # The CDN, played by a local folder: the wheel at hand under the lock file's name for it.
    lock = json.loads((out / "pyodide" / "pyodide-lock.json").read_text())
    (out / "cdn").mkdir()
    (out / "cdn" / lock["packages"]["numpy"]["file_name"]).symlink_to(next(numpy_wheels().glob("numpy-*.whl")))
    runtime = json.loads((out / "assets" / "runtime.json").read_text())
    assert runtime["wheels"] == {}
    (out / "assets" / "runtime.json").write_text(json.dumps({**runtime, "package_base_url": "../cdn/"}))

    server = make_server(tmp_path / "www", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    context.set_default_timeout(RUN_MS)
    try:
        site_url = f"http://127.0.0.1:{server.server_address[1]}/course/"
        first_visit(context, site_url, "self_attention")
        page = context.new_page()
        open_problem(page, site_url, "self_attention")
        assert ready_boots(page)[0]["boot"] == "restored"
        shipped = parse_problem(ROOT / "problems" / "self_attention.md", ROOT / "hidden_tests")
        set_code(page, shipped.solution.code)
        assert run_tests(page) == f"{len(shipped.tests)}/{len(shipped.tests)} tests passed · solved!"
    finally:
        context.close()
        server.shutdown()
        server.server_close()
