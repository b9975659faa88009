// Code pasted from elsewhere often indents with tabs, and Python refuses code whose lines mix tabs
// and spaces (TabError). The editor indents with four spaces; this turns the tabs of each line's
// indentation into spaces the way the editor shows them (a tab stop every TAB_SIZE columns).
// Used on paste (both editors) and by the "Convert tabs to spaces" button of a TabError.

export const TAB_SIZE = 4;

export function tabsToSpaces(code, tabSize = TAB_SIZE) {
  return code.replace(/^[ \t]+/gm, (indent) => {
    let column = 0;
    for (const char of indent) column = char === "\t" ? column + tabSize - (column % tabSize) : column + 1;
    return " ".repeat(column);
  });
}
