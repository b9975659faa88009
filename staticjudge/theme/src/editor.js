// The code editor: CodeMirror 6 set up for Python, bundled by esbuild into assets/editor.js at
// build time. Colours come from CSS classes (classHighlighter), so style.css themes the editor
// for light and dark mode alike.
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Annotation, EditorState, Prec, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration, EditorView, WidgetType, drawSelection, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, keymap, lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { TAB_SIZE, tabsToSpaces } from "../assets/indentation.js";

const setErrorLine = StateEffect.define();
const fromApi = Annotation.define(); // edits made by the page (reset, import), not typed
const errorLineMark = Decoration.line({ class: "cm-error-line" });

// The line a traceback points at; cleared as soon as the learner edits.
const errorLine = StateField.define({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setErrorLine)) {
        if (effect.value == null) return Decoration.none;
        const line = tr.state.doc.line(effect.value);
        return Decoration.set([errorLineMark.range(line.from)]);
      }
    }
    return tr.docChanged ? Decoration.none : marks;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// "Show shapes": muted text at the end of each traced line (what it assigned), cleared as soon as
// the learner edits. Hidden from screen readers, which read the same notes as a list below the
// editor's toolbar (shapes-view.js) rather than in the middle of the code.
const setShapeNotes = StateEffect.define();

class ShapeNote extends WidgetType {
  constructor(text) {
    super();
    this.text = text;
  }

  eq(other) { return other.text === this.text; }

  toDOM() {
    const note = document.createElement("span");
    note.className = "cm-shape-note";
    note.setAttribute("aria-hidden", "true");
    note.textContent = this.text; // from the learner's run: text, never HTML
    return note;
  }
}

const shapeNotes = StateField.define({
  create: () => Decoration.none,
  update(notes, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setShapeNotes)) {
        const { doc } = tr.state;
        const marks = (effect.value || [])
          .filter(([number]) => Number.isInteger(number) && number >= 1 && number <= doc.lines)
          .sort((a, b) => a[0] - b[0])
          .map(([number, text]) => Decoration.widget({ widget: new ShapeNote(text), side: 1 }).range(doc.line(number).to));
        return Decoration.set(marks);
      }
    }
    return tr.docChanged ? Decoration.none : notes;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * Mount an editor in `parent`.
 * onChange(code) runs after every edit by the learner; onRun() on Ctrl/Cmd+Enter.
 */
export function createEditor({ parent, doc, label, onChange, onRun }) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), drawSelection(),
        indentUnit.of(" ".repeat(TAB_SIZE)), EditorState.tabSize.of(TAB_SIZE), indentOnInput(), bracketMatching(),
        EditorView.clipboardInputFilter.of((text) => tabsToSpaces(text)), // pasted tabs would make a TabError
        closeBrackets(), highlightActiveLine(), highlightSelectionMatches(),
        syntaxHighlighting(classHighlighter), python(), errorLine, shapeNotes,
        // Highest precedence: the default keymap binds Mod-Enter to "insert blank line".
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { onRun?.(); return true; } }])),
        // Tab indents; Esc then Tab leaves the editor (CodeMirror's tab-focus escape hatch).
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, indentWithTab]),
        // tabindex: the editable content is a Tab stop anyway; said outright, checkers (axe's
        // scrollable-region-focusable) see that the scroller around it is reached by keyboard.
        EditorView.contentAttributes.of({ "aria-label": label || "Code editor", tabindex: "0" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !update.transactions.some((t) => t.annotation(fromApi))) {
            onChange?.(update.state.doc.toString());
          }
        }),
      ],
    }),
  });
  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode(text) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        annotations: fromApi.of(true),
      });
    },
    /** Replace the code as the learner's own edit: saved, and undone with Ctrl/Cmd+Z. */
    editCode(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, userEvent: "input.replace" });
    },
    highlightLine(number) {
      const valid = Number.isInteger(number) && number >= 1 && number <= view.state.doc.lines;
      view.dispatch({ effects: setErrorLine.of(valid ? number : null) });
    },
    /** notes: [[line number, text], …] shown at the ends of those lines; null clears them. */
    showShapes(notes) {
      view.dispatch({ effects: setShapeNotes.of(notes) });
    },
    goToLine(number) {
      if (!(number >= 1 && number <= view.state.doc.lines)) return;
      const line = view.state.doc.line(number);
      view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
      view.focus();
    },
    focus: () => view.focus(),
  };
}
