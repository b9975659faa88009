// Shows a harness Report: a summary line, one row per hidden test, load errors, the learner's
// output. Everything that comes from the learner's code is inserted as text, never as HTML.
//
// A run's live progress (a row per test as it starts and ends, output as it is printed) is shown
// only once the run has lasted LIVE_AFTER_MS: most runs are over sooner, and redrawing the panel
// while the worker grades would take CPU time from it (measured: 20-40% slower runs on 2 cores).
// Until then the previous results stay, dimmed (aria-busy).
//
// A failed array check's picture (expected | yours | difference) is drawn in its row
// (heatmap.js). A hint that explains several failed tests is said once, above the rows, naming
// them; each of those rows keeps its own message, without the hint.

import { drawPicture } from "./heatmap.js";

const STATUS_WORDS = { pass: "passed", fail: "failed", error: "error", pending: "not run yet", running: "running…" };
const LIVE_AFTER_MS = 150;
const MARKS = { pass: "✓", fail: "✗", error: "!", pending: "·", running: "…" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export class ResultsView {
  /**
   * root holds #summary (role=status), #load-error, #test-rows, #output; goToLine(n) moves the
   * editor; fixTabs() converts its indentation to spaces (offered for a TabError).
   */
  constructor(root, goToLine, fixTabs) {
    this.root = root;
    this.summary = root.querySelector("#summary");
    this.loadError = root.querySelector("#load-error");
    this.rows = root.querySelector("#test-rows");
    this.output = root.querySelector("#output");
    this.stdout = root.querySelector("#stdout");
    this.goToLine = goToLine;
    this.fixTabs = fixTabs;
  }

  say(text) { this.summary.textContent = text; }

  /** A run starts: its tests (grading) or none (script); shown live if it lasts. */
  start(tests, text) {
    this.end();
    this.root.hidden = false;
    this.root.setAttribute("aria-busy", "true");
    this.say(text);
    this.run = { tests, progress: new Map(), stdout: [], live: false };
    this.liveTimer = setTimeout(() => this.goLive(), LIVE_AFTER_MS);
  }

  /** The run is over (or cancelled): no more live updates. */
  end() {
    clearTimeout(this.liveTimer);
    this.run = null;
    this.root.removeAttribute("aria-busy");
  }

  goLive() {
    const run = this.run;
    if (!run) return;
    run.live = true;
    this.clearLoadError();
    this.showSharedHints([]);
    this.rows.replaceChildren(...run.tests.map((t) => this.row(run.progress.get(t.name) || { ...t, status: "pending", message: "" })));
    this.showOutput("", false);
    if (run.stdout.length) this.appendOutput(...run.stdout);
  }

  row(test, sharedHint = false) {
    const item = el("li", { className: "test-row" });
    item.dataset.name = test.name;
    item.dataset.status = test.status;
    const mark = el("span", { className: "test-mark" }, MARKS[test.status] || "?");
    mark.setAttribute("aria-hidden", "true");
    item.append(
      mark,
      el("span", { className: "test-title" }, test.title),
      el("span", { className: "test-status" }, STATUS_WORDS[test.status] || test.status),
    );
    const message = sharedHint ? withoutHint(test) : test.message;
    if (message) item.append(el("pre", { className: "test-message" }, message));
    if (sharedHint) {
      item.dataset.sharedHint = "true";
      item.append(el("p", { className: "test-hint-ref" }, "Hint: the one above, shared with other tests."));
    }
    if (test.picture && test.status !== "pass") {
      try {
        item.append(drawPicture(test.picture));
      } catch (error) { // a picture is a bonus: the row's message already says it all
        console.warn("could not draw the picture of", test.name, error);
      }
    }
    if (test.traceback && test.status === "error") {
      item.append(el("details", { className: "traceback" }, el("summary", {}, "Traceback"), el("pre", {}, test.traceback)));
    }
    if (test.line) item.append(this.lineButton(test.line));
    return item;
  }

  lineButton(line) {
    const button = el("button", { type: "button", className: "link-button" }, `Go to line ${line}`);
    button.addEventListener("click", () => this.goToLine(line));
    return button;
  }

  /** Progress while the worker runs: recorded, and drawn once the run is live. */
  event(message) {
    const run = this.run;
    if (!run) return;
    if (message.type === "test_start" || message.type === "test_end") {
      const test = message.type === "test_end" ? message.result
        : { name: message.name, title: message.title, status: "running", message: "" };
      run.progress.set(test.name, test);
      if (run.live) this.replaceRow(test);
    } else if (message.type === "stdout") {
      if (run.live) this.appendOutput(message.text);
      else run.stdout.push(message.text);
    } else if (message.type === "stdlib-fetch") {
      if (message.stage === "start") {
        run.summaryBefore = this.summary.textContent;
        this.say("Fetching the rest of Python's standard library (once; not counted in the time limit)…");
      } else if (run.summaryBefore !== undefined) {
        this.say(run.summaryBefore);
      }
    }
  }

  /** Appended, not re-set: thousands of small prints must not copy the whole output each time. */
  appendOutput(...texts) {
    this.output.hidden = false;
    this.stdout.append(...texts);
  }

  replaceRow(test) {
    const old = [...this.rows.children].find((row) => row.dataset.name === test.name);
    const fresh = this.row(test);
    if (old) old.replaceWith(fresh);
    else this.rows.append(fresh);
  }

  showOutput(text, truncated) {
    this.output.hidden = !text;
    this.stdout.textContent = text + (truncated && !text.includes("output truncated") ? "\n… output truncated\n" : "");
  }

  /** One block above the rows per hint that explains two tests or more. */
  showSharedHints(groups) {
    let block = this.root.querySelector("#shared-hints");
    if (!groups.length) {
      block?.remove();
      return;
    }
    if (!block) {
      block = el("div", { id: "shared-hints", className: "shared-hints" });
      this.rows.before(block);
    }
    block.replaceChildren(...groups.map((group) => {
      const titles = el("ul", { className: "shared-hint-tests" }, ...group.tests.map((t) => {
        const item = el("li", {}, t.title);
        item.dataset.name = t.name;
        return item;
      }));
      const note = el("div", { className: "shared-hint" },
        el("p", { className: "shared-hint-text" }, el("strong", {}, "Hint: "), group.hint),
        el("p", { className: "shared-hint-count" }, `It explains ${group.tests.length} failed tests:`), titles);
      return note;
    }));
  }

  clearLoadError() {
    this.loadError.hidden = true;
    this.loadError.replaceChildren();
  }

  showLoadError(error) {
    this.loadError.hidden = false;
    this.loadError.replaceChildren(el("p", { className: "load-error-message" }, error.message));
    if (error.traceback) this.loadError.append(el("pre", { className: "traceback-text" }, error.traceback));
    if (error.line) this.loadError.append(this.lineButton(error.line));
    if (error.fix === "tabs" && this.fixTabs) this.loadError.append(this.fixTabsButton());
  }

  fixTabsButton() {
    const button = el("button", { type: "button", className: "link-button", id: "fix-tabs" }, "Convert tabs to spaces");
    button.addEventListener("click", () => {
      this.fixTabs();
      button.replaceWith(el("span", { className: "fix-done" }, "Tabs converted to spaces: run the tests again."));
    });
    return button;
  }

  /** The final Report of a grading run. */
  showReport(report) {
    this.end();
    this.clearLoadError();
    const groups = sharedHints(report.tests);
    const grouped = new Set(groups.flatMap((g) => g.tests.map((t) => t.name)));
    this.showSharedHints(groups);
    this.rows.replaceChildren(...report.tests.map((t) => this.row(t, grouped.has(t.name))));
    if (report.error) this.showLoadError(report.error);
    this.showOutput(report.stdout, report.stdout_truncated);
    let text = `${report.passed}/${report.total} tests passed`;
    if (report.stopped === "timeout") text += " · time limit exceeded";
    else if (report.stopped === "crash") text += " · Python stopped unexpectedly";
    else if (report.stopped === "cancelled") text += " · stopped";
    else if (report.stopped === "unavailable") text += " · Python could not be loaded";
    else if (report.error) text += " · your code did not load";
    else if (report.status === "pass") text += " · solved!";
    this.say(text);
  }

  /** The final Report of "Run code" (a script run, no tests). */
  showScript(report) {
    this.end();
    this.clearLoadError();
    this.showSharedHints([]);
    this.rows.replaceChildren();
    if (report.error) this.showLoadError(report.error);
    this.showOutput(report.stdout, report.stdout_truncated);
    const quiet = report.stdout ? "" : " (it printed nothing)";
    this.say(report.error ? "Your code stopped with an error" : `Your code ran without errors${quiet}`);
  }
}

/** Hints that ≥ 2 failed tests share, in the order of their first test: [{hint, tests}]. */
export function sharedHints(tests) {
  const byHint = new Map();
  for (const test of tests || []) {
    if (test.status === "pass" || !test.hint) continue;
    if (!byHint.has(test.hint)) byHint.set(test.hint, []);
    byHint.get(test.hint).push(test);
  }
  return [...byHint].filter(([, list]) => list.length >= 2).map(([hint, list]) => ({ hint, tests: list }));
}

/** A test's message without its hint line (the harness ends `message` with "\n  Hint: " + hint). */
export function withoutHint(test) {
  const suffix = `\n  Hint: ${test.hint}`;
  return test.hint && test.message.endsWith(suffix) ? test.message.slice(0, -suffix.length) : test.message;
}

/** The editor line to highlight for a report: the load error's, else the first erroring test's. */
export function offendingLine(report) {
  if (report.error?.line) return report.error.line;
  const test = (report.tests || []).find((t) => t.status === "error" && t.line);
  return test ? test.line : null;
}
