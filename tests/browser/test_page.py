"""The page around the editor: sub-path hosting, hints, solution, keyboard, phone, dark mode, no JS."""

from .helpers import open_problem


def test_hints_are_revealed_one_at_a_time_and_the_solution_only_on_request(page, site_url):
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    hints = page.locator(".hint")
    assert hints.count() == 2 and hints.nth(0).is_hidden() and hints.nth(1).is_hidden()
    page.get_by_role("button", name="Show hint 1 of 2").click()
    assert hints.nth(0).is_visible() and hints.nth(1).is_hidden()
    assert "Python's" in hints.nth(0).inner_text()
    page.get_by_role("button", name="Show hint 2 of 2").click()
    assert hints.nth(1).is_visible()
    assert page.get_by_role("button", name="Show hint").count() == 0
    solution = page.locator(".solution-details pre")
    assert solution.is_hidden()
    page.get_by_text("Show solution").click()
    assert "return a + b" in solution.inner_text()


def test_keyboard_alone_reaches_and_presses_run_tests(page, site_url):
    open_problem(page, site_url, "add_numbers")
    page.locator("#editor .cm-content").focus()
    page.keyboard.press("Escape")  # CodeMirror: the next Tab moves focus instead of indenting
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Run tests"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#test-rows > li[data-status=error]').length === 3")


def test_controls_have_accessible_names(page, site_url):
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    for name in ("Run tests", "Run code", "Reset to starter code", "Export my answers", "Import answers"):
        assert page.get_by_role("button", name=name).count() == 1, name
    assert page.get_by_role("textbox", name="Your code for Add two numbers").count() == 1
    assert page.get_by_role("status").count() == 1


def test_phone_sized_dark_mode_page_fits_without_sideways_scrolling(browser, site_url):
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="dark", is_mobile=True)
    try:
        page = context.new_page()
        open_problem(page, site_url, "add_numbers", wait_ready=False)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(c) for c in background[background.index("(") + 1:-1].split(",")[:3])
        assert max(red, green, blue) < 60, f"dark mode background is {background}"
    finally:
        context.close()


def test_without_javascript_the_statement_starter_and_hints_are_readable(browser, site_url):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + "add_numbers/index.html")
        assert "raise NotImplementedError" in page.locator("#editor").inner_text()
        assert page.locator(".hint").count() == 2 and page.locator(".hint").first.is_visible()
        assert page.locator("#runner").is_hidden()
        assert "needs JavaScript" in page.locator("noscript").text_content()
    finally:
        context.close()
