"""The page's defences, each attacked: its Content-Security-Policy, and URLs that carry code."""

from urllib.parse import quote

from .helpers import open_problem, run_tests, saved_records, set_code, wait_run_over

CORRECT = "def add(a, b):\n    return a + b\n"
# Every policy violation of the page, in order (init scripts run before the page's own, unblocked).
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
"""
ATTACKS = """async (foreign) => {
  const out = {};
  // In a task of the page's own: code evaluated by the test driver itself may bypass the policy.
  await new Promise((resolve) => setTimeout(() => {
    try { out.eval = eval("1 + 1"); } catch (e) { out.eval = e.name; }
    try { out.function = new Function("return 2")(); } catch (e) { out.function = e.name; }
    setTimeout("window.__ran = 'timer'", 0);
    resolve();
  }, 0));
  const inline = document.createElement("script");
  inline.textContent = "window.__ran = 'inline'";
  document.head.append(inline);
  const load = (src) => new Promise((resolve) => {
    const tag = Object.assign(document.createElement("script"), { src });
    tag.onload = () => resolve("loaded");
    tag.onerror = () => resolve("blocked");
    document.head.append(tag);
  });
  out.foreignScript = await load(foreign + "assets/hints.js");
  out.dataScript = await load("data:text/javascript,window.__ran='data'");
  try { await fetch(foreign + "index.html"); out.foreignFetch = "fetched"; } catch (e) { out.foreignFetch = e.name; }
  out.blobWorker = await new Promise((resolve) => {
    try {
      const worker = new Worker(URL.createObjectURL(new Blob(["postMessage(1)"], { type: "text/javascript" })));
      worker.onmessage = () => resolve("ran");
      worker.onerror = () => resolve("blocked");
    } catch (e) { resolve(e.name); }
  });
  const img = document.createElement("img");
  img.setAttribute("onerror", "window.__ran = 'handler'");
  img.src = "data:,not-an-image";
  document.body.append(img);
  await new Promise((resolve) => setTimeout(resolve, 500));
  out.ran = window.__ran || null;
  return out;
}"""


def test_policy_names_only_the_site_and_nothing_is_blocked_in_normal_use(page, site_url):
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(site_url + "index.html")
    policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    assert "'self'" in policy and "http" not in policy, "self-hosted: no third-party origin at all"
    assert page.evaluate("window.__violations") == []
    open_problem(page, site_url, "add_numbers")
    set_code(page, "print('hi')\n" + CORRECT)
    assert run_tests(page) == "3/3 tests passed · solved!"
    page.get_by_role("button", name="Run code").click()
    wait_run_over(page)
    set_code(page, "def add(a, b):\n    return a / 0\n")
    run_tests(page)
    assert page.evaluate("window.__violations") == [], "the policy must not get in the way of the page"


def test_policy_blocks_eval_inline_and_foreign_scripts_foreign_requests_and_blob_workers(page, site_url):
    page.add_init_script(WATCH_VIOLATIONS)
    open_problem(page, site_url, "add_numbers")
    foreign = site_url.replace("127.0.0.1", "localhost")  # the same server under another origin
    out = page.evaluate(ATTACKS, foreign)
    assert out == {"eval": "EvalError", "function": "EvalError", "foreignScript": "blocked",
                   "dataScript": "blocked", "foreignFetch": "TypeError", "blobWorker": out["blobWorker"],
                   "ran": None}
    assert out["blobWorker"] in ("blocked", "SecurityError")
    blocked = " ".join(page.evaluate("window.__violations"))
    for directive in ("script-src-elem", "connect-src", "worker-src", "script-src-attr"):
        assert directive in blocked, f"no {directive} violation in: {blocked}"
    set_code(page, CORRECT)  # and the page still works
    assert run_tests(page) == "3/3 tests passed · solved!"


def test_no_code_runs_or_reaches_the_editor_from_the_url(page, site_url):
    page.add_init_script(WATCH_VIOLATIONS)
    payload = "def add(a, b):\n    import js\n    js.document.title = 'pwned'\n    return a + b\n"
    markup = "<img src=x onerror=\"window.__ran='hash'\">"
    page.goto(f"{site_url}add_numbers/index.html?code={quote(payload)}&run=1&autorun=true&solution={quote(payload)}"
              f"#code={quote(payload)}")
    page.wait_for_selector("#problem[data-ready=true]")
    page.wait_for_selector("#python-status[data-state=ready]")
    page.evaluate(f"location.hash = {markup!r}")
    page.wait_for_timeout(1000)
    editor = page.locator("#editor .cm-content").inner_text()
    assert "pwned" not in editor and "import js" not in editor
    assert page.locator("#summary").inner_text() == "Run the tests to see how your code does."
    assert page.locator("#test-rows > li").count() == 0 and page.locator("#output").is_hidden()
    assert "pwned" not in page.title() and page.evaluate("window.__ran || null") is None
    assert saved_records(page) == {}, "opening a page saves nothing"
    assert page.evaluate("window.__violations") == []
