// Shows a harness Report: a summary line, one row per hidden test, load errors, the learner's
// output. Everything that comes from the learner's code is inserted as text, never as HTML.

const STATUS_WORDS = { pass: "passed", fail: "failed", error: "error", pending: "not run yet", running: "running…" };
const MARKS = { pass: "✓", fail: "✗", error: "!", pending: "·", running: "…" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export class ResultsView {
  /** root holds #summary (role=status), #load-error, #test-rows, #output; goToLine(n) moves the editor. */
  constructor(root, goToLine) {
    this.root = root;
    this.summary = root.querySelector("#summary");
    this.loadError = root.querySelector("#load-error");
    this.rows = root.querySelector("#test-rows");
    this.output = root.querySelector("#output");
    this.stdout = root.querySelector("#stdout");
    this.goToLine = goToLine;
  }

  say(text) { this.summary.textContent = text; }

  /** A run starts: rows for every test (grading) or none (script), output cleared. */
  start(tests, text) {
    this.root.hidden = false;
    this.say(text);
    this.loadError.hidden = true;
    this.loadError.replaceChildren();
    this.rows.replaceChildren(...tests.map((t) => this.row({ ...t, status: "pending", message: "" })));
    this.showOutput("", false);
  }

  row(test) {
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
    if (test.message) item.append(el("pre", { className: "test-message" }, test.message));
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

  /** Live progress while the worker runs. */
  event(message) {
    if (message.type === "test_start") this.replaceRow({ name: message.name, title: message.title, status: "running" });
    else if (message.type === "test_end") this.replaceRow(message.result);
    else if (message.type === "stdout") {
      // Appended, not re-set: thousands of small prints must not copy the whole output each time.
      this.output.hidden = false;
      this.stdout.append(message.text);
    }
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

  showLoadError(error) {
    this.loadError.hidden = false;
    this.loadError.replaceChildren(el("p", { className: "load-error-message" }, error.message));
    if (error.traceback) this.loadError.append(el("pre", { className: "traceback-text" }, error.traceback));
    if (error.line) this.loadError.append(this.lineButton(error.line));
  }

  /** The final Report of a grading run. */
  showReport(report) {
    this.rows.replaceChildren(...report.tests.map((t) => this.row(t)));
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
    this.rows.replaceChildren();
    if (report.error) this.showLoadError(report.error);
    this.showOutput(report.stdout, report.stdout_truncated);
    const quiet = report.stdout ? "" : " (it printed nothing)";
    this.say(report.error ? "Your code stopped with an error" : `Your code ran without errors${quiet}`);
  }
}

/** The editor line to highlight for a report: the load error's, else the first erroring test's. */
export function offendingLine(report) {
  if (report.error?.line) return report.error.line;
  const test = (report.tests || []).find((t) => t.status === "error" && t.line);
  return test ? test.line : null;
}
