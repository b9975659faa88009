"""Solving in the browser: the hidden tests run in Pyodide and the page shows the Report."""

import json

import pytest

from .helpers import BOOT_MS, open_problem, row, row_statuses, run_tests, set_code, wait_python_ready, wait_run_over

CORRECT = "def add(a, b):\n    return a + b\n"
WRONG_ON_NEGATIVES = "def add(a, b):\n    if a < 0:\n        return 0\n    return a + b\n"


def test_exception_in_a_test_shows_a_trimmed_traceback(page, site_url):
    open_problem(page, site_url, "add_numbers")
    set_code(page, "def helper(a):\n    return a / 0\n\ndef add(a, b):\n    return helper(a) + b\n")
    run_tests(page)
    first = row(page, "test_small")
    assert first.get_attribute("data-status") == "error"
    assert "ZeroDivisionError" in first.locator(".test-message").inner_text()
    traceback = first.locator(".traceback pre").text_content()  # inside a closed <details>
    assert 'line 2, in helper' in traceback and "hidden_tests" not in traceback and "harness" not in traceback
    assert page.locator("#editor .cm-error-line").inner_text() == "    return a / 0"


def test_endless_loop_while_loading_is_stopped_too(page, site_url):
    open_problem(page, site_url, "add_numbers")
    set_code(page, "while True:\n    pass\n")
    assert run_tests(page) == "0/3 tests passed · time limit exceeded"
    assert "Time limit exceeded" in page.locator("#load-error").inner_text()
    wait_python_ready(page)


def test_a_loop_that_swallows_the_time_limit_is_terminated_a_moment_later(page, site_url):
    open_problem(page, site_url, "add_numbers")
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    set_code(page, "def add(a, b):\n    while True:\n        try:\n            while True:\n                pass\n"
                   "        except BaseException:\n            pass\n")
    assert run_tests(page) == "0/3 tests passed · time limit exceeded"
    assert "Time limit exceeded (3 s)" in page.locator('[data-name="test_small"]').inner_text()
    marks = page.evaluate("() => ['run-timed-out', 'worker-killed'].map((n) => "
                          "performance.getEntriesByName('staticjudge:' + n).length)")
    assert marks == [0, 1], "the worker's own stop was caught by the learner's code: the page terminated it"
    set_code(page, "def add(a, b):\n    return a + b\n")
    assert run_tests(page) == "3/3 tests passed · solved!"


def test_missing_entry_import_errors_exit_input_and_huge_prints_give_clear_messages(page, site_url):
    open_problem(page, site_url, "add_numbers")
    set_code(page, "def plus(a, b):\n    return a + b\n")
    run_tests(page)
    assert "must define a function named `add`" in row(page, "test_small").inner_text()

    set_code(page, "import no_such_module\n")
    assert run_tests(page) == "0/3 tests passed · your code did not load"
    assert "No module named 'no_such_module'" in page.locator("#load-error").inner_text()

    set_code(page, "import sys\nsys.exit()\n")
    run_tests(page)
    assert "sys.exit()" in page.locator("#load-error").inner_text()

    set_code(page, "def add(a, b):\n    return int(input('a number? '))\n")
    run_tests(page)
    assert "input() is not available" in row(page, "test_small").inner_text()

    set_code(page, "print('x' * 1_000_000)\ndef add(a, b):\n    return a + b\n")
    assert run_tests(page) == "3/3 tests passed · solved!"
    output = page.locator("#stdout").inner_text()
    assert "output truncated" in output and len(output) < 30_000


def test_learner_output_is_shown_as_text_never_as_html(page, site_url):
    open_problem(page, site_url, "add_numbers")
    set_code(page, "print('<img src=x onerror=alert(1)><b>bold</b>')\ndef add(a, b):\n    return a + b\n")
    page.get_by_role("button", name="Run code").click()
    summary = wait_run_over(page)
    assert summary.startswith("Your code ran without errors")
    assert page.locator("#stdout").inner_text().strip() == "<img src=x onerror=alert(1)><b>bold</b>"
    assert page.locator("#results img, #results b").count() == 0
    assert page.locator("#test-rows > li").count() == 0  # Run code does not grade


def test_ctrl_enter_runs_the_tests(page, site_url):
    open_problem(page, site_url, "add_numbers")
    set_code(page, CORRECT)  # leaves the focus in the editor
    assert run_tests(page, how="Control+Enter") == "3/3 tests passed · solved!"
    assert page.locator("#editor .cm-content").inner_text().strip() == CORRECT.strip()  # no blank line added


def test_a_run_pressed_before_python_is_ready_is_queued(page, site_url):
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    set_code(page, CORRECT)
    page.get_by_role("button", name="Run tests").click()
    if page.get_attribute("#python-status", "data-state") != "ready":
        assert page.locator("#summary").inner_text().startswith(("Queued", "Running"))
    assert wait_run_over(page) == "3/3 tests passed · solved!"


def test_wheel_given_to_build_is_loaded_from_the_site(page, site_url):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    open_problem(page, site_url, "shout_wheel")
    set_code(page, "import sjtiny\n\ndef shout(text):\n    return text.upper() + sjtiny.SUFFIX\n")
    assert run_tests(page) == "1/1 tests passed · solved!"
    assert site_url + "pyodide-packages/sjtiny-1.0.0-py3-none-any.whl" in requested
    assert all(url.startswith(site_url) for url in requested), "everything comes from the site itself"


def test_stop_ends_a_long_run_and_python_restarts(page, site_url):
    open_problem(page, site_url, "add_numbers")
    set_code(page, "import time\nwhile True:\n    time.sleep(0.01)\n")
    page.get_by_role("button", name="Run code").click()
    page.get_by_role("button", name="Stop").click()
    assert wait_run_over(page) == "Your code stopped with an error"
    assert "Stopped by you" in page.locator("#load-error").inner_text()
    wait_python_ready(page)
    set_code(page, CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"


HTML = "<img src=x onerror=\"window.__ran='img'\"><b>bold</b><script>window.__ran='script'</script>"


def test_failure_messages_load_errors_and_tracebacks_are_shown_as_text(page, site_url):
    open_problem(page, site_url, "add_numbers")

    def nothing_became_html():
        page.wait_for_timeout(300)  # an injected <img> would fire its onerror by now
        assert page.locator("#results img, #results b, #results script").count() == 0
        assert page.evaluate("window.__ran || null") is None

    set_code(page, f"def add(a, b):\n    if a < 0:\n        raise ValueError({HTML!r})\n"
                   f"    return {HTML!r} if a > 5 else a + b\n")
    assert run_tests(page) == "1/3 tests passed"
    assert HTML in row(page, "test_negative").locator(".test-message").inner_text()
    assert HTML in row(page, "test_negative").locator(".traceback pre").text_content()
    assert f"returned {HTML!r}" in row(page, "test_large").locator(".test-message").inner_text()
    nothing_became_html()

    set_code(page, f"raise RuntimeError({HTML!r})\n")
    assert run_tests(page) == "0/3 tests passed · your code did not load"
    assert HTML in page.locator("#load-error .load-error-message").inner_text()
    assert HTML in page.locator("#load-error .traceback-text").text_content()
    nothing_became_html()

    set_code(page, f"x = {HTML}\n")
    run_tests(page)
    assert "SyntaxError on line 1" in page.locator("#load-error").inner_text()
    nothing_became_html()


WARMED_UP = "() => performance.getEntriesByName('staticjudge:warmed-up').map((m) => [m.detail.spare, m.startTime])"


def test_both_workers_warm_up_in_the_background_then_grade_the_learners_code(page, site_url):
    open_problem(page, site_url, "add_numbers")
    page.wait_for_function(f"() => ({WARMED_UP})().length === 2", timeout=BOOT_MS)
    (active, active_at), (spare, _) = page.evaluate(WARMED_UP)
    assert (active, spare) == (False, True)
    spare_ready = page.evaluate(
        "() => performance.getEntriesByName('staticjudge:python-ready').find((m) => m.detail.spare).startTime")
    assert spare_ready > active_at, "the spare starts only once the active worker has warmed up"
    set_code(page, WRONG_ON_NEGATIVES)  # the warm-up runs left nothing behind that changes a verdict
    assert run_tests(page) == "2/3 tests passed"



@pytest.mark.parametrize("device, spare", [
    ({"has_touch": True, "is_mobile": True, "memory": None}, "off"),   # a phone: touch only, no memory reported
    ({"has_touch": True, "is_mobile": True, "memory": 8}, "ready"),   # one that says it has 8 GB
    ({"memory": None}, "ready"),                                       # a desktop Firefox or Safari
])
def test_the_spare_worker_is_left_out_where_memory_is_likely_short(browser, site_url, device, spare):
    context = browser.new_context(**{k: v for k, v in device.items() if k != "memory"})
    try:
        context.add_init_script(f"Object.defineProperty(Navigator.prototype, 'deviceMemory', "
                                f"{{ get: () => {json.dumps(device['memory'])} }})")
        page = context.new_page()
        open_problem(page, site_url, "add_numbers")
        page.wait_for_function("() => performance.getEntriesByName('staticjudge:warmed-up').length", timeout=BOOT_MS)
        if spare == "off":
            page.wait_for_timeout(2000)  # longer than the idle wait before a spare would start
            assert page.get_attribute("#python-status", "data-spare") == "off"
            assert page.evaluate("() => performance.getEntriesByName('staticjudge:spare-started').length") == 0
            set_code(page, "def add(a, b):\n    while True:\n        pass\n")
            assert run_tests(page) == "0/3 tests passed · time limit exceeded"
            set_code(page, "def add(a, b):\n    return a + b\n")
            assert run_tests(page) == "3/3 tests passed · solved!", "a fresh worker took over"
        else:
            page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    finally:
        context.close()


# Records, during one run, what the results panel showed: row statuses drawn and aria-busy.
WATCH_RUN = """async () => {
  const results = document.getElementById("results"), stop = document.getElementById("stop-run");
  const seen = { statuses: [], busy: false };
  const observer = new MutationObserver(() => {
    seen.busy ||= results.getAttribute("aria-busy") === "true";
    for (const row of document.querySelectorAll("#test-rows > li")) seen.statuses.push(row.dataset.status);
  });
  observer.observe(results, { attributes: true, childList: true, subtree: true });
  const started = performance.now();
  document.getElementById("run-tests").click();
  await new Promise((resolve) => {
    const done = new MutationObserver(() => { if (stop.hidden) { done.disconnect(); resolve(); } });
    done.observe(stop, { attributes: true });
  });
  observer.disconnect();
  return { ...seen, ms: performance.now() - started, busyAfter: results.hasAttribute("aria-busy") };
}"""


def test_a_quick_run_shows_its_results_at_once_without_drawing_progress(page, site_url):
    open_problem(page, site_url, "add_numbers")
    set_code(page, CORRECT)
    run_tests(page)
    seen = page.evaluate(WATCH_RUN)
    assert seen["busy"] and not seen["busyAfter"], seen
    if seen["ms"] < 120:  # shorter than the delay before live progress is drawn (results.js)
        assert set(seen["statuses"]) <= {"pass"}, seen
    assert row_statuses(page) == {"test_small": "pass", "test_negative": "pass", "test_large": "pass"}
