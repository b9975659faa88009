"""Learners never lose work: autosave, reload, export/import, unreadable storage, reset."""

import json

from .helpers import STORAGE_PREFIX, editor_text, open_problem, saved_records, set_code

MY_CODE = "def add(a, b):\n    # my own attempt\n    return b + a\n"


def test_a_foreign_file_is_refused_and_changes_nothing(page, site_url, tmp_path):
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    set_code(page, MY_CODE)
    foreign = tmp_path / "other.json"
    foreign.write_text(json.dumps({"add_numbers": "print('hi')"}))
    page.set_input_files("#import-file", str(foreign))
    page.wait_for_function("() => !document.getElementById('storage-notice').hidden")
    assert "not an export" in page.locator("#storage-notice").inner_text()
    assert saved_records(page)["add_numbers"]["code"] == MY_CODE


def test_unreadable_saved_work_is_ignored_with_a_notice(context, site_url):
    context.add_init_script(
        "for (const [k, v] of [['add_numbers', '{not json'], ['shout_wheel', '{\"code\": 42}']])"
        f" localStorage.setItem('{STORAGE_PREFIX}' + new URL('..', location.href).pathname + '|' + k, v);")
    page = context.new_page()
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    assert "could not be read" in page.locator("#storage-notice").inner_text()
    assert "raise NotImplementedError" in editor_text(page)  # the starter, not a blank editor
    set_code(page, MY_CODE)  # and the page keeps working: this saves over the broken entry


def test_reset_asks_first_then_restores_the_starter_code(page, site_url):
    open_problem(page, site_url, "add_numbers", wait_ready=False)
    set_code(page, MY_CODE)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Reset to starter code").click()
    assert editor_text(page) == MY_CODE
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset to starter code").click()
    assert "raise NotImplementedError" in editor_text(page)
    assert "raise NotImplementedError" in saved_records(page)["add_numbers"]["code"]
