"""When part of the page fails to load, the learner keeps their work and is told what happened."""

from .helpers import STORAGE_PREFIX, open_problem, run_tests, saved_records, set_code

SAVED = "def add(a, b):\n    return a + b  # saved earlier\n"


def seed_saved_code(context, slug: str, code: str) -> None:
    context.add_init_script(
        f"localStorage.setItem('{STORAGE_PREFIX}' + new URL('..', location.href).pathname + '|{slug}',"
        f" JSON.stringify({{code: {code!r}, solved: false}}));")


def test_problem_data_that_fails_to_load_keeps_the_saved_code(context, site_url):
    seed_saved_code(context, "add_numbers", SAVED)
    page = context.new_page()
    page.route("**/add_numbers/problem.json", lambda route: route.abort())
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    assert page.get_attribute("#python-status", "data-state") == "failed"
    assert "could not be loaded" in page.locator("#python-status").inner_text()
    assert "# saved earlier" in page.locator("#editor .cm-content").inner_text()
    assert saved_records(page)["add_numbers"]["code"] == SAVED


def test_without_the_editor_bundle_a_plain_text_area_still_grades(context, site_url):
    page = context.new_page()
    page.route("**/assets/editor.js", lambda route: route.abort())
    open_problem(page, site_url, "add_numbers")
    area = page.get_by_role("textbox", name="Your code for Add two numbers")
    area.fill("def add(a, b):\n    return a + b\n")
    assert saved_records(page)["add_numbers"]["code"] == "def add(a, b):\n    return a + b\n"
    assert run_tests(page) == "3/3 tests passed · solved!"


def test_the_plain_text_area_also_turns_pasted_tabs_into_spaces(context, site_url):
    page = context.new_page()
    page.route("**/assets/editor.js", lambda route: route.abort())
    open_problem(page, site_url, "add_numbers")
    area = page.get_by_role("textbox", name="Your code for Add two numbers")
    area.fill("")
    area.evaluate("""(area) => { const data = new DataTransfer(); data.setData("text/plain", "def add(a, b):\\n\\treturn a + b\\n");
        area.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })); }""")
    assert area.input_value() == "def add(a, b):\n    return a + b\n"
    assert saved_records(page)["add_numbers"]["code"] == "def add(a, b):\n    return a + b\n"


def test_python_that_cannot_be_loaded_is_reported_and_runs_do_not_hang(context, site_url):
    # Requests made from inside a worker cannot be intercepted here, so the worker itself fails.
    context.route("**/assets/pyworker.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body='throw new Error("offline");'))
    page = context.new_page()
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    page.wait_for_selector("#python-status[data-state=failed]")
    assert "Python could not be loaded" in page.locator("#python-status").inner_text()
    summary = run_tests(page)  # tries again, fails again, and says so instead of waiting forever
    assert summary == "0/3 tests passed · Python could not be loaded"
    assert "Python could not be loaded" in page.locator("#load-error").inner_text()
    assert page.get_attribute("#python-status", "data-state") == "failed"


def editor_text(page) -> str:
    return page.evaluate("() => { const area = document.querySelector('#editor textarea');"
                         " return area ? area.value : document.querySelector('#editor .cm-content').innerText; }")


def test_without_the_editor_bundle_the_saved_code_is_shown_and_kept(context, site_url):
    seed_saved_code(context, "add_numbers", SAVED)
    page = context.new_page()
    page.route("**/assets/editor.js", lambda route: route.abort())
    open_problem(page, site_url, "add_numbers")
    assert editor_text(page) == SAVED
    page.wait_for_timeout(500)
    assert saved_records(page)["add_numbers"]["code"] == SAVED


def test_a_page_that_fails_to_load_saves_nothing(context, site_url):
    page = context.new_page()
    page.route("**/add_numbers/problem.json", lambda route: route.abort())
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    assert page.get_attribute("#python-status", "data-state") == "failed"
    page.wait_for_timeout(500)
    assert saved_records(page) == {}, "no empty or starter record stands in for work never typed"


def test_python_crashing_mid_run_keeps_the_code_in_the_editor_and_in_storage(context, site_url):
    page = context.new_page()
    open_problem(page, site_url, "add_numbers")
    code = "import os\ndef add(a, b):\n    os._exit(1)  # ends the interpreter\n"
    set_code(page, code)
    assert run_tests(page) == "0/3 tests passed · Python stopped unexpectedly"
    assert editor_text(page).strip() == code.strip()
    assert saved_records(page)["add_numbers"]["code"] == code
    page.reload()
    open_problem(page, site_url, "add_numbers")  # a fresh page, a fresh Python
    assert editor_text(page).strip() == code.strip()
    assert saved_records(page)["add_numbers"]["code"] == code
    set_code(page, "def add(a, b):\n    return a + b\n")
    assert run_tests(page) == "3/3 tests passed · solved!"


def test_leaving_the_page_mid_run_keeps_the_saved_code(context, site_url):
    page = context.new_page()
    open_problem(page, site_url, "add_numbers")
    code = "def add(a, b):\n    while True:\n        pass\n"
    set_code(page, code)
    page.get_by_role("button", name="Run tests").click()
    page.wait_for_selector("#test-rows > li[data-status=running]")
    page.reload()
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    assert editor_text(page).strip() == code.strip()
    assert saved_records(page)["add_numbers"]["code"] == code
