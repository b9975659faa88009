// "Show shapes": the list of what each traced line assigned (harness.trace_shapes' result), shown
// above the results, below the editor and its toolbar. It is the text screen readers read, and the whole display where the
// editor is the plain textarea; the CodeMirror editor also shows each note at the end of its
// line. Everything from the learner's run is inserted as text, never as HTML.

// A failure worth showing shapes for: a shape or broadcasting error (NumPy's and Python's
// wording, and the judge's messages about shapes and batches).
const SHAPE_ERROR = new RegExp([
  "broadcast", "mismatch in its core dimension", "shapes? \\(.*\\) and \\(.*\\) not aligned",
  "values to unpack", "cannot reshape", "has shape \\(.*\\), expected", "on a batch of",
].join("|"), "i");

export const isShapeError = (message) => SHAPE_ERROR.test(message || "");

/**
 * One observation as shown: "scores (2, 6, 6) float64"; a loop's "x (6,) → (5,) float64 ×3"
 * (arrays of one dtype name it once). As staticjudge/runtime/shapes.py's entry_text.
 */
export function noteText({ name, first, last, passes }) {
  let shown = first;
  if (passes > 1 && last !== first) {
    const cut = first.lastIndexOf(" ");
    const dtype = first.slice(cut + 1);
    if (first.startsWith("(") && last.startsWith("(") && last.endsWith(` ${dtype}`)) shown = first.slice(0, cut);
    shown += ` → ${last}`;
  }
  return `${name} ${shown}${passes > 1 ? ` ×${passes}` : ""}`;
}

/**
 * A line that raised: "Q (3, 4, 5) float64 · K.T (5, 4, 3) float64 → raised ValueError" (the
 * operands of its statement, if any were read, then the exception). As shapes.py's raised_text.
 */
export function raisedText({ error, times, operands }) {
  const read = (operands || []).map(({ name, value }) => `${name} ${value}`).join(" · ");
  return `${read ? `${read} → ` : ""}raised ${error}${times > 1 ? ` ×${times}` : ""}`;
}

/** [[line, "scores (2, 6, 6) float64 · Q (2, 6, 4) float64 → raised ValueError"], …] by line. */
export function notesByLine(result) {
  const notes = new Map();
  const add = (line, text) => notes.set(line, [...(notes.get(line) || []), text]);
  for (const entry of result.lines || []) add(entry.line, noteText(entry));
  for (const entry of result.raised || []) add(entry.line, raisedText(entry));
  return [...notes].sort((a, b) => a[0] - b[0]).map(([line, texts]) => [line, texts.join(" · ")]);
}

const VERDICT = { pass: "passes", fail: "fails", error: "raises an error" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export class ShapesView {
  /** Placed right before `results`; goToLine(n) moves the editor to line n. */
  constructor(results, goToLine) {
    this.goToLine = goToLine;
    this.source = el("p", { className: "shapes-source" });
    this.source.setAttribute("aria-live", "polite");
    this.list = el("ol", { className: "shapes-list" });
    this.root = el("section", { id: "shapes", className: "shapes-panel", hidden: true },
      el("h3", { id: "shapes-title" }, "Shapes per line"), this.source, this.list);
    this.root.setAttribute("aria-labelledby", "shapes-title");
    results.before(this.root);
  }

  /** A traced run starts (for `title`, or the first test that fails). */
  start(title) {
    this.root.hidden = false;
    this.root.setAttribute("aria-busy", "true");
    this.source.textContent = title ? `Running “${title}” with your lines traced…`
      : "Running the tests until one fails, then that one with your lines traced…";
    this.list.replaceChildren();
  }

  /** Show a trace_shapes result; returns the notes for the editor ([[line, text], …]). */
  show(result) {
    this.root.removeAttribute("aria-busy");
    const notes = notesByLine(result);
    const { test } = result;
    const parts = [];
    if (test) parts.push(`From the test “${test.title}”, which ${VERDICT[test.status] || test.status}.`);
    if (test && result.call && result.calls > 1) {
      parts.push(`It called your code ${result.calls} times; shown: call ${result.call}, the one that `
        + `${result.stopped ? "was stopped" : "raised an error"}.`);
    }
    if (result.stopped === "timeout") parts.push("Stopped at the time limit: the shapes up to there are shown.");
    else if (result.error && !test) parts.push(`No shapes: ${result.error.message}`);
    if (test && !notes.length) parts.push("No line of your code finished assigning anything in it.");
    if (notes.length) parts.push("Editing your code clears them.");
    this.source.textContent = parts.join(" ");
    this.list.replaceChildren(...notes.map(([line, text]) => {
      const go = el("button", { type: "button", className: "link-button" }, `Line ${line}`);
      go.addEventListener("click", () => this.goToLine(line));
      const item = el("li", {}, go, `: ${text}`);
      item.dataset.line = String(line);
      return item;
    }));
    this.root.hidden = false;
    return notes;
  }

  clear() {
    if (this.root.hidden) return;
    this.root.hidden = true;
    this.root.removeAttribute("aria-busy");
    this.list.replaceChildren();
  }
}
