// A plain <textarea> with the editor's interface, used when the CodeMirror bundle cannot be
// loaded (a build without Node.js, a blocked file): the page stays usable.

import { tabsToSpaces } from "./indentation.js";

export function createTextareaEditor({ parent, doc, label, onChange, onRun }) {
  const area = Object.assign(document.createElement("textarea"), {
    className: "editor-fallback", value: doc, spellcheck: false, rows: Math.max(12, doc.split("\n").length + 2),
  });
  area.setAttribute("aria-label", label);
  area.setAttribute("autocapitalize", "off");
  area.addEventListener("input", () => onChange?.(area.value));
  area.addEventListener("paste", (event) => {
    const text = event.clipboardData?.getData("text/plain");
    if (!text || !text.includes("\t")) return;
    event.preventDefault(); // pasted tabs would make a TabError
    area.setRangeText(tabsToSpaces(text), area.selectionStart, area.selectionEnd, "end");
    onChange?.(area.value);
  });
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onRun?.();
    }
  });
  parent.append(area);
  const lineStart = (n) => area.value.split("\n").slice(0, n - 1).reduce((sum, line) => sum + line.length + 1, 0);
  return {
    getCode: () => area.value,
    setCode(text) { area.value = text; },
    editCode(text) {
      area.value = text;
      onChange?.(text);
    },
    highlightLine() {},
    showShapes() {}, // a textarea cannot annotate its lines: the list below it (shapes-view.js) shows them
    goToLine(n) {
      const at = lineStart(n);
      area.focus();
      area.setSelectionRange(at, at);
    },
    focus: () => area.focus(),
  };
}
