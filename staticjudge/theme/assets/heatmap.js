// Arrays as pictures: a failed array check's expected values, the learner's, and their
// difference, drawn side by side as heatmaps (the harness's `picture`, see harness.py), and
// the statement's build-time figures drawn the same way.
//
// Floats are on a diverging scale shared by "Expected" and "Yours" (0 is the background colour;
// the difference has its own symmetric scale); booleans are filled or empty cells; cells that
// differ are outlined. Each map is one tab stop: arrow keys (Home/End, PageUp/PageDown) move a
// roving tabindex. The caption below the maps says the index and values of the cell focused or
// pointed at; each cell is also named so (role=img, aria-label), which a screen reader reads as
// focus moves, so the caption is hidden from it (no second announcement). A <details> holds the
// same values as text tables, to read row by row or copy. Colours are CSS variables
// (style.css), so light and dark modes both work.

const NONFINITE = { nan: NaN, inf: Infinity, "-inf": -Infinity };
const SHOWN = { nan: "NaN", inf: "∞", "-inf": "−∞" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** A cell of a picture as a number (booleans as 0/1; "nan"/"inf"/"-inf" as NaN/±Infinity). */
export function cellNumber(value) {
  if (typeof value === "string") return NONFINITE[value] ?? NaN;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

/** A cell as text, the way the report holds it (booleans True/False, as Python prints them). */
export function cellText(value) {
  if (typeof value === "string") return SHOWN[value] ?? value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Number.isInteger(value)) return String(value);
  const short = Number(value.toPrecision(6));
  return String(short === value ? value : short);
}

function difference(got, expected, kind) {
  if (kind === "bool") return got !== expected;
  const a = cellNumber(got);
  const b = cellNumber(expected);
  if (a === b) return 0; // equal infinities too
  return a - b; // NaN where either is NaN, ±Infinity where one side is infinite
}

/** A number as a picture holds it: NaN and ±Infinity as "nan", "inf", "-inf". */
function nonfinite(v) {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

function largest(rows) {
  let max = 0;
  for (const row of rows) for (const v of row) if (Number.isFinite(v) && Math.abs(v) > max) max = Math.abs(v);
  return max;
}

/** The inline background of a float cell on a symmetric scale [-max, max]. */
function heat(value, max) {
  if (Number.isNaN(value)) return null; // drawn hatched (class nan)
  if (!Number.isFinite(value)) return `var(${value > 0 ? "--heat-pos" : "--heat-neg"})`;
  if (!max || !value) return "var(--heat-zero)";
  const share = Math.round(Math.min(1, Math.abs(value) / max) * 100);
  return `color-mix(in srgb, var(${value > 0 ? "--heat-pos" : "--heat-neg"}) ${share}%, var(--heat-zero))`;
}

function cellSize(cols) {
  return Math.max(5, Math.min(26, Math.floor(230 / cols)));
}

function indexText(picture, row, col) {
  const lead = picture.index || [];
  const full = picture.shape && picture.shape.length === 1 ? [col] : [...lead, row, col];
  return `[${full.join(", ")}]`;
}

/**
 * One map: a grid of cells. `values` are the cells as the report holds them, `numbers` the same as
 * numbers (for the colour), `scale` the float scale's bound (0 for booleans), `describe(r, c)`
 * a cell's index and values in words (its accessible name), `onCell(r, c)` a cell pointed at or
 * focused.
 */
function drawMap(picture, which, title, values, numbers, scale, describe, onCell) {
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  const size = cellSize(cols);
  const grid = el("div", { className: "heatmap-grid" });
  grid.setAttribute("role", "group");
  grid.setAttribute("aria-label", `${title || "Values"}: ${rows} × ${cols} cells; arrow keys move between them`);
  grid.style.gridTemplateColumns = `repeat(${cols}, ${size}px)`;
  grid.style.gridAutoRows = `${size}px`;
  const cells = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const value = values[r][c];
      const cell = el("span", { className: "heatmap-cell", tabIndex: -1 });
      cell.setAttribute("role", "img");
      cell.setAttribute("aria-label", describe(r, c));
      cell.dataset.row = r;
      cell.dataset.col = c;
      cell.dataset.value = typeof value === "string" ? value : String(value);
      const differs = Boolean(picture.differs?.[r]?.[c]);
      if (differs) {
        cell.classList.add("differs");
        cell.dataset.differs = "true";
      }
      if (which === "difference" && picture.kind === "bool") {
        if (value) cell.classList.add("filled", "changed");
      } else if (picture.kind === "bool") {
        if (value) cell.classList.add("filled");
      } else {
        const number = numbers[r][c];
        const background = heat(number, scale);
        if (background) cell.style.backgroundColor = background;
        else cell.classList.add("nan");
        if (number === Infinity || number === -Infinity) cell.classList.add("inf");
      }
      cells.push(cell);
    }
  }
  grid.append(...cells);
  const start = picture.first ? picture.first[0] * cols + picture.first[1] : 0;
  let active = cells[Math.min(start, cells.length - 1)];
  if (active) active.tabIndex = 0;
  const moveTo = (cell, focus) => {
    if (!cell) return;
    if (active) active.tabIndex = -1;
    active = cell;
    cell.tabIndex = 0;
    if (focus) cell.focus();
  };
  grid.addEventListener("keydown", (event) => {
    if (!active) return;
    const r = Number(active.dataset.row);
    const c = Number(active.dataset.col);
    const step = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0],
      PageUp: [-8, 0], PageDown: [8, 0] }[event.key];
    let next = null;
    if (step) {
      const nr = Math.max(0, Math.min(rows - 1, r + step[0]));
      const nc = Math.max(0, Math.min(cols - 1, c + step[1]));
      next = cells[nr * cols + nc];
    } else if (event.key === "Home") next = cells[event.ctrlKey ? 0 : r * cols];
    else if (event.key === "End") next = cells[event.ctrlKey ? cells.length - 1 : r * cols + cols - 1];
    if (!next) return;
    event.preventDefault();
    moveTo(next, true);
  });
  grid.addEventListener("focusin", (event) => {
    const cell = event.target.closest(".heatmap-cell");
    if (cell) {
      moveTo(cell, false);
      onCell(Number(cell.dataset.row), Number(cell.dataset.col));
    }
  });
  grid.addEventListener("pointerover", (event) => {
    const cell = event.target.closest?.(".heatmap-cell");
    if (cell) onCell(Number(cell.dataset.row), Number(cell.dataset.col));
  });
  const wrap = el("div", { className: "heatmap-map" });
  if (title) wrap.append(el("p", { className: "heatmap-title" }, title));
  wrap.append(grid);
  wrap.dataset.map = which;
  if (picture.kind !== "bool" || which !== "difference") wrap.append(legend(picture.kind, scale, numbers));
  return wrap;
}

/** What the colours mean: True/False, or the scale's bounds (from 0 when nothing is negative),
 * and the marks of non-finite values when there are some. */
function legend(kind, scale, numbers) {
  if (kind === "bool") {
    const filled = el("span", { className: "heatmap-swatch filled" });
    const empty = el("span", { className: "heatmap-swatch" });
    return el("p", { className: "heatmap-legend" }, filled, " True ", empty, " False");
  }
  const values = numbers.flat();
  const signed = values.some((v) => v < 0 && Number.isFinite(v));
  const bar = el("span", { className: signed ? "heatmap-bar" : "heatmap-bar positive" });
  const parts = [signed ? cellText(-scale) : "0", " ", bar, " ", cellText(scale)];
  if (values.some((v) => v === Infinity || v === -Infinity)) {
    parts.push(" ", el("span", { className: "heatmap-swatch inf" }), " ±∞");
  }
  if (values.some(Number.isNaN)) parts.push(" ", el("span", { className: "heatmap-swatch nan" }), " NaN");
  return el("p", { className: "heatmap-legend" }, ...parts);
}

/** Outline the cell at (r, c) of `map` as the one the caption speaks of. */
function markCurrent(map, r, c) {
  for (const cell of map.querySelectorAll(".heatmap-cell.current")) cell.classList.remove("current");
  map.querySelector(`.heatmap-cell[data-row="${r}"][data-col="${c}"]`)?.classList.add("current");
}

function valuesTable(caption, values, marks) {
  const cols = values.length ? values[0].length : 0;
  const head = el("tr", {}, el("th", { scope: "col" }, "row"),
    ...Array.from({ length: cols }, (_, c) => el("th", { scope: "col" }, String(c))));
  const body = values.map((row, r) => el("tr", {}, el("th", { scope: "row" }, String(r)),
    ...row.map((v, c) => el("td", {}, cellText(v) + (marks?.[r]?.[c] ? " ≠" : "")))));
  return el("table", { className: "heatmap-table" }, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, ...body));
}

/**
 * A failed check's picture: Expected | Yours | Difference, a live caption, and the values as
 * text tables. `picture` is the harness's (JSON) picture.
 */
export function drawPicture(picture) {
  const { kind } = picture;
  const numbers = (rows) => rows.map((row) => row.map(cellNumber));
  const expected = numbers(picture.expected);
  const got = numbers(picture.got);
  const diff = picture.got.map((row, r) => row.map((v, c) => difference(v, picture.expected[r][c], kind)));
  const scale = kind === "bool" ? 0 : largest([...expected, ...got]);
  const diffScale = kind === "bool" ? 0 : largest(diff);
  const caption = el("p", { className: "heatmap-caption" });
  caption.setAttribute("aria-hidden", "true"); // the focused cell's own name says the same
  const maps = [];
  const describe = (r, c) => `${indexText(picture, r, c)}: expected ${cellText(picture.expected[r][c])}, `
    + `yours ${cellText(picture.got[r][c])}`
    + (kind === "bool" || Number.isNaN(diff[r][c]) ? "" : `, difference ${cellText(nonfinite(diff[r][c]))}`)
    + (picture.differs?.[r]?.[c] ? " (differs)" : "");
  const show = (r, c) => {
    caption.textContent = describe(r, c);
    for (const map of maps) markCurrent(map, r, c);
  };
  const where = picture.index?.length ? ` at [${picture.index.join(", ")}, :, :]` : "";
  const diffTitle = kind === "bool" ? "Difference (cells that differ)" : "Difference (yours − expected)";
  maps.push(
    drawMap(picture, "expected", "Expected", picture.expected, expected, scale, describe, show),
    drawMap(picture, "got", "Yours", picture.got, got, scale, describe, show),
    drawMap(picture, "difference", diffTitle, kind === "bool" ? diff : diff.map((row) => row.map(nonfinite)), diff.map((row) => row.map((v) => (typeof v === "boolean" ? Number(v) : v))), diffScale, describe, show),
  );
  const count = picture.differs.flat().filter(Boolean).length;
  const shape = picture.shape ? `shape (${picture.shape.join(", ")})` : "";
  const title = el("figcaption", { className: "heatmap-heading" },
    `${picture.name}${where}: ${count} cell${count === 1 ? "" : "s"} differ${count === 1 ? "s" : ""} (outlined)`
    + (shape ? `; ${shape}` : ""));
  const tables = el("details", { className: "heatmap-tables" }, el("summary", {}, "Values as tables"),
    valuesTable("Expected", picture.expected),
    valuesTable("Yours (≠ marks a cell that differs)", picture.got, picture.differs));
  const figure = el("figure", { className: "heatmap" }, title, el("div", { className: "heatmap-maps" }, ...maps), caption, tables);
  caption.textContent = "Point at or focus a cell to see its index and values.";
  return figure;
}

/**
 * A statement figure built at build time (markup.py): a <figure class="matrix-figure"> whose
 * data-matrix holds {kind, values} and whose text table already shows the values. Draws one map
 * above the table (the table moves into a <details>).
 */
export function drawStatementFigures(root) {
  for (const figure of root.querySelectorAll("figure.matrix-figure[data-matrix]")) {
    if (figure.querySelector(".heatmap-map")) continue;
    let data;
    try {
      data = JSON.parse(figure.dataset.matrix);
    } catch {
      continue;
    }
    const numbers = data.values.map((row) => row.map(cellNumber));
    const picture = { kind: data.kind, expected: data.values, got: data.values, differs: null, shape: data.shape, index: [] };
    const caption = el("p", { className: "heatmap-caption" }, "Point at or focus a cell to see its index and value.");
    caption.setAttribute("aria-hidden", "true"); // the focused cell's own name says the same
    const describe = (r, c) => `${indexText(picture, r, c)}: ${cellText(data.values[r][c])}`;
    const scale = data.kind === "bool" ? 0 : largest(numbers);
    const map = drawMap(picture, "values", "", data.values, numbers, scale, describe, (r, c) => {
      caption.textContent = describe(r, c);
      markCurrent(map, r, c);
    });
    const details = el("details", { className: "heatmap-tables" }, el("summary", {}, "Values as a table"));
    const table = figure.querySelector("table");
    if (table) {
      table.replaceWith(details);
      details.append(table);
    } else figure.append(details);
    details.before(map, caption);
  }
}
