// A problem page: the editor, Run tests / Run code, results, saved work, hints, solved state.
// Python (the slowest part) starts loading first, in a worker (pyclient.js ⇄ pyworker.js).

import { createTextareaEditor } from "./editor-fallback.js";
import { drawStatementFigures } from "./heatmap.js";
import { setupHints } from "./hints.js";
import { connectProblem } from "./lms.js";
import { setupPanes } from "./panes.js";
import { setupOffline } from "./offline.js";
import { PythonRunner } from "./pyclient.js";
import { tabsToSpaces } from "./indentation.js";
import { ResultsView, offendingLine } from "./results.js";
import { ShapesView, isShapeError } from "./shapes-view.js";
import { Store } from "./storage.js";
import { notify, setupTransfer } from "./transfer.js";

const $ = (id) => document.getElementById(id);
const page = $("problem");
const slug = page.dataset.slug;
const statusLine = $("python-status");
const buttons = { tests: $("run-tests"), code: $("run-code"), stop: $("stop-run"), reset: $("reset-code"),
  shapes: $("show-shapes") };
const results = new ResultsView($("results"), (line) => editor.goToLine(line), () => {
  editor.editCode(tabsToSpaces(editor.getCode()));
  editor.focus();
});
const store = new Store(new URL("../", import.meta.url));
const lms = connectProblem(slug, notify); // inside a SCORM package's LMS session, else null

let data = null; // problem.json: entry, starter, tests, tests_source, tolerance, time_limit, packages, mutants
let editor = null;
let busy = false;

const python = new PythonRunner({
  workerUrl: new URL("./pyworker.js", import.meta.url),
  onStatus({ state, text, spare }) {
    statusLine.dataset.state = state;
    statusLine.dataset.spare = spare; // ready | none | off: a standby worker makes restarts instant
    statusLine.textContent = text;
    if (state === "ready" && (busy === "grade" || busy === "script")) results.say(busy === "grade" ? "Running the tests…" : "Running your code…");
  },
});
// Known from the page itself, so Python starts loading them before problem.json arrives.
python.setPackages(page.dataset.packages.split(" ").filter(Boolean));
const dataLoaded = fetch(page.dataset.dataUrl).then((response) => {
  if (!response.ok) throw new Error(`problem.json answered ${response.status}`);
  return response.json();
});

function showSolved(solved) {
  for (const badge of document.querySelectorAll(".solved-badge")) badge.hidden = !solved;
}

let saveWarned = false;
function save(code) {
  // Only ever called for the learner's own edits, so a page that failed to load cannot
  // overwrite saved work with an empty editor.
  lms?.noteCode(code);
  if (!store.saveCode(slug, code) && !saveWarned) {
    saveWarned = true;
    notify(lms ? lms.storageNote : "Your code could not be saved in this browser: use “Export my answers” to keep it.");
  }
}

function setBusy(kind) {
  busy = kind;
  for (const button of [buttons.tests, buttons.code, buttons.shapes]) button.setAttribute("aria-disabled", String(Boolean(kind)));
  buttons.stop.hidden = !kind;
}

async function run(kind) {
  if (busy || !data || !editor) return;
  const code = editor.getCode();
  editor.highlightLine(null);
  setBusy(kind);
  const waiting = python.ready ? null : "Queued: this will run as soon as Python is ready.";
  if (kind === "grade") results.start(data.tests, waiting || "Running the tests…");
  else results.start([], waiting || "Running your code…");
  const report = await python.run({
    kind, code, tests_source: data.tests_source, entries: data.entry, tests: data.tests, mutants: data.mutants,
    tolerance: data.tolerance ?? null, timeLimit: data.time_limit, onEvent: (message) => results.event(message),
  });
  setBusy(false);
  if (!report) {
    results.end();
    results.say("Cancelled.");
    return;
  }
  if (kind === "script") results.showScript(report);
  else results.showReport(report);
  editor.highlightLine(offendingLine(report));
  if (kind === "grade" && report.status === "pass" && report.total > 0) {
    store.markSolved(slug, code);
    showSolved(true);
  }
  if (kind === "grade") lms?.report(report, code);
  // A shape or broadcasting error: show the shapes each line assigned in that test, unasked.
  const failing = kind === "grade" ? report.tests?.find((t) => t.status !== "pass") : null;
  if (failing && isShapeError(failing.message)) showShapes(failing.name);
}

// ---- "Show shapes": one test run with the learner's lines traced (harness.trace_shapes) ----
const shapesView = new ShapesView($("results"), (line) => editor.goToLine(line));

/** test: a hidden test's name, or null for the first that fails. */
async function showShapes(test = null) {
  if (busy || !data || !editor) return;
  const code = editor.getCode();
  setBusy("shapes");
  shapesView.start(data.tests.find((t) => t.name === test)?.title);
  const result = await python.shapes({ code, tests_source: data.tests_source, entries: data.entry, test,
    tolerance: data.tolerance ?? null, timeLimit: data.time_limit });
  setBusy(false);
  if (!result || editor.getCode() !== code) return shapesView.clear(); // replaced, or edited since
  editor.showShapes(shapesView.show(result));
}

function reset() {
  if (!editor || !window.confirm("Replace your code with the starter code? Your current code will be lost.")) return;
  const starter = data ? data.starter : starterFromPage();
  editor.setCode(starter);
  editor.highlightLine(null);
  shapesView.clear();
  save(starter);
  editor.focus();
}

function starterFromPage() {
  return $("editor").querySelector("pre")?.textContent ?? "";
}

async function mountEditor(code) {
  const host = $("editor");
  const options = {
    parent: host, doc: code, label: `Your code for ${document.querySelector("h1")?.firstChild?.textContent.trim() || slug}`,
    onChange: (code) => { save(code); shapesView.clear(); }, onRun: () => run("grade"),
  };
  let create = createTextareaEditor;
  try {
    ({ createEditor: create } = await import("./editor.js"));
  } catch (error) {
    console.warn("code editor unavailable, using a plain text area:", error);
  }
  host.replaceChildren();
  host.classList.add("editor-live");
  return create(options);
}

async function main() {
  $("runner").hidden = false;
  setupPanes(page, $("pane-divider"));
  setupHints(document.querySelector(".hints"));
  drawStatementFigures(document.querySelector(".statement"));
  setupTransfer(store, (slugs) => {
    if (!slugs.includes(slug) || !editor) return;
    const fresh = store.load(slug).record;
    editor.setCode(fresh.code);
    shapesView.clear();
    showSolved(fresh.solved);
  }, lms?.storageNote);
  const { record: local, unreadable } = store.load(slug);
  const record = lms ? lms.restore(local) : local;
  if (unreadable) notify("The code saved for this problem could not be read and was ignored; showing the starter code.");
  showSolved(Boolean(record?.solved));

  try {
    data = await dataLoaded;
    python.warmUp({ code: data.starter, tests_source: data.tests_source, entries: data.entry,
      tolerance: data.tolerance ?? null });
  } catch (error) {
    python.dispose();
    statusLine.dataset.state = "failed";
    statusLine.textContent = `This problem's tests could not be loaded (${error.message}); reload the page to try again.`;
  }
  editor = await mountEditor(record ? record.code : data ? data.starter : starterFromPage());

  setBusy(false);
  buttons.tests.addEventListener("click", () => run("grade"));
  buttons.code.addEventListener("click", () => run("script"));
  buttons.shapes.addEventListener("click", () => showShapes());
  buttons.stop.addEventListener("click", () => python.stop());
  buttons.reset.addEventListener("click", reset);
  // Ctrl/Cmd+Enter anywhere on the page (the editor handles it itself when focused).
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
      event.preventDefault();
      run("grade");
    }
  });
  page.dataset.ready = "true"; // the page is wired (Python may still be loading)
}

main();
// The offline copy (sw.js) is made once Python is ready: its downloads never slow the boot.
setupOffline({ after: "staticjudge:python-ready" });
