"""The index warms Python up once idle (theme/assets/prewarm.js), so the first problem opens warm."""

from __future__ import annotations

import pytest

from .helpers import BOOT_MS, open_problem, ready_boots, run_tests, set_code
from .test_offline import CORRECT, host, wheels  # noqa: F401 - fixtures: a build on a port of its own

DONE = "() => performance.getEntriesByName('staticjudge:prewarm-done').map((m) => m.detail)[0] || null"


def test_after_the_index_warmed_up_the_first_problem_restores(engine_page, host):  # noqa: F811
    page = engine_page
    page.goto(host.url + "index.html")
    page.wait_for_function(DONE, timeout=2 * BOOT_MS)
    done = page.evaluate(DONE)
    assert [(s["packages"], s["boot"]) for s in done["sets"]] == [([], "made"), (["sjtiny"], "made")]
    assert "Python is ready" in page.evaluate("() => document.getElementById('prewarm-status').textContent")
    page.click('.problem-item[data-slug="add_numbers"] a')
    page.wait_for_selector("#python-status[data-state=ready]", timeout=BOOT_MS)
    assert ready_boots(page)[0]["boot"] == "restored"
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"


SHOULD_WARM = """async (connection) => {
  const { shouldWarm } = await import(new URL("assets/prewarm.js", location.href));
  return shouldWarm({ connection });
}"""


@pytest.mark.parametrize("connection, reason", [
    (None, ""), ({"saveData": False, "effectiveType": "4g"}, ""),
    ({"saveData": True, "effectiveType": "4g"}, "the connection asks to save data"),
    ({"saveData": False, "effectiveType": "slow-2g"}, "the connection is slow (2G)"),
    ({"effectiveType": "2g"}, "the connection is slow (2G)"),
])
def test_should_warm_reads_save_data_and_the_connection_type(engine_page, site_url, connection, reason):
    engine_page.goto(site_url + "index.html")
    assert engine_page.evaluate(SHOULD_WARM, connection) == reason


def test_with_save_data_the_index_does_not_warm_up(context, host):  # noqa: F811
    """Chromium: the connection's saveData is set before the page's scripts run."""
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'connection',"
                            " { get: () => ({ saveData: true, effectiveType: '4g' }) })")
    page = context.new_page()
    page.goto(host.url + "index.html")
    skipped = "() => performance.getEntriesByName('staticjudge:prewarm-skipped').map((m) => m.detail)[0] || null"
    page.wait_for_function(skipped)
    assert page.evaluate(skipped) == {"why": "the connection asks to save data"}
    page.wait_for_timeout(3000)
    assert page.evaluate(DONE) is None
    open_problem(page, host.url, "add_numbers")
    assert ready_boots(page)[0]["boot"] == "made", "nothing was warmed"
