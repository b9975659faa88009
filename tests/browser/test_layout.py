"""The problem page's layout, on every engine: two panes on wide screens (the statement beside the
code and its results, each scrolling on its own, with a divider the learner moves and that is
remembered), one column in reading order on narrow ones."""

from .helpers import open_problem

WIDE = {"width": 1366, "height": 768}
NARROW = {"width": 420, "height": 860}
WIDTH_KEY = "staticjudge:layout:statement-width"

BOXES = """() => Object.fromEntries(["#statement-pane", "#pane-divider", ".pane-work", "#problem"].map((s) => {
  const node = document.querySelector(s), box = node.getBoundingClientRect(), style = getComputedStyle(node);
  return [s, {left: box.left, right: box.right, top: box.top, bottom: box.bottom, width: box.width,
              display: style.display, overflowY: style.overflowY}];
}))"""


def divider_value(page) -> int:
    return int(page.get_attribute("#pane-divider", "aria-valuenow"))


def statement_width(page) -> float:
    return page.evaluate("() => document.querySelector('#statement-pane').getBoundingClientRect().width")


def test_a_wide_screen_shows_the_statement_beside_the_code_each_scrolling_on_its_own(engine_page, site_url):
    page = engine_page
    page.set_viewport_size(WIDE)
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    assert page.evaluate("() => innerWidth") == WIDE["width"]
    boxes = page.evaluate(BOXES)
    statement, divider, work = boxes["#statement-pane"], boxes["#pane-divider"], boxes[".pane-work"]
    assert divider["display"] != "none"
    assert statement["right"] <= divider["left"] + 1 and divider["right"] <= work["left"] + 1
    assert abs(statement["top"] - work["top"]) < 1
    assert statement["overflowY"] == work["overflowY"] == "auto"
    # The panes fill the window below the header: the page itself does not scroll to reach the editor.
    assert boxes["#problem"]["bottom"] <= WIDE["height"] + 1
    assert abs(statement["width"] / boxes["#problem"]["width"] - 0.45) < 0.02  # the default share


def test_the_divider_moves_with_the_arrow_keys_and_its_place_is_remembered(engine_page, site_url):
    page = engine_page
    page.set_viewport_size(WIDE)
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    assert page.get_attribute("#pane-divider", "role") == "separator"
    assert divider_value(page) == 45
    before = statement_width(page)
    page.click("#pane-divider")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert divider_value(page) == 51
    assert statement_width(page) > before + 50  # 6% of 1366 px
    assert page.evaluate("(key) => localStorage.getItem(key)", WIDTH_KEY) == "51"

    page.reload()
    page.wait_for_selector("#problem[data-ready=true]")
    assert divider_value(page) == 51
    page.click("#pane-divider")
    page.keyboard.press("Home")
    assert divider_value(page) == 25
    page.keyboard.press("End")
    assert divider_value(page) == 70
    page.keyboard.press("ArrowRight")  # never past the widest
    assert divider_value(page) == 70


def test_a_narrow_screen_keeps_one_column_in_reading_order(engine_page, site_url):
    page = engine_page
    page.set_viewport_size(NARROW)
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    boxes = page.evaluate(BOXES)
    assert boxes["#pane-divider"]["display"] == "none"
    assert boxes["#statement-pane"]["bottom"] <= boxes[".pane-work"]["top"] + 1
    # Reading (and Tab) order: title, statement, the editor and its buttons, results, then hints.
    order = page.evaluate("""() => ["h1", ".statement", "#editor", "#run-tests", "#results", ".hints", ".solution"]
      .map((s) => document.querySelector(s)).every((node, i, all) => i === 0
        || (all[i - 1].compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING))""")
    assert order


def test_the_divider_follows_a_mouse_drag(page, site_url):
    page.set_viewport_size(WIDE)
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    box = page.locator("#pane-divider").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(WIDE["width"] * 0.6, box["y"] + 220, steps=8)
    page.mouse.up()
    assert abs(divider_value(page) - 60) <= 1
    assert page.evaluate("(key) => localStorage.getItem(key)", WIDTH_KEY) == str(divider_value(page))
    page.dblclick("#pane-divider")
    assert divider_value(page) == 45
