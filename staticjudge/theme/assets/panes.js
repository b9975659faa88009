// The problem page's two panes on wide screens (style.css): the divider between the statement
// and the code is a separator the learner drags, or focuses and moves with the arrow keys
// (Home/End: narrowest/widest, double-click: back to the default). Its place is a preference of
// this browser, kept in localStorage for every problem page; on narrow screens it is not shown.

const KEY = "staticjudge:layout:statement-width";
const MIN = 25; // per cent of the page's width given to the statement
const MAX = 70;
const DEFAULT = 45;
const STEP = 2;

const clamp = (value) => Math.min(MAX, Math.max(MIN, Math.round(value)));

function remembered() {
  try {
    const value = Number(window.localStorage.getItem(KEY));
    return value >= MIN && value <= MAX ? value : null;
  } catch (_) {
    return null; // storage blocked: the default width, not remembered
  }
}

function remember(value) {
  try {
    window.localStorage.setItem(KEY, String(value));
  } catch (_) { /* not remembered; the layout still works */ }
}

/** main: the page's <main> (a grid on wide screens); divider: its separator element. */
export function setupPanes(main, divider) {
  if (!main || !divider) return;
  const apply = (value, keep = true) => {
    main.style.setProperty("--statement-width", `${value}%`);
    divider.setAttribute("aria-valuenow", String(value));
    divider.setAttribute("aria-valuetext", `statement ${value}% of the width`);
    if (keep) remember(value);
  };
  divider.setAttribute("aria-valuemin", String(MIN));
  divider.setAttribute("aria-valuemax", String(MAX));
  apply(remembered() ?? DEFAULT, false);
  divider.hidden = false;

  const current = () => Number(divider.getAttribute("aria-valuenow"));
  divider.addEventListener("keydown", (event) => {
    const next = { ArrowLeft: current() - STEP, ArrowRight: current() + STEP, Home: MIN, End: MAX }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    apply(clamp(next));
  });
  divider.addEventListener("dblclick", () => apply(DEFAULT));

  divider.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    divider.setPointerCapture(event.pointerId);
    divider.dataset.dragging = main.dataset.dragging = "true";
    divider.focus();
  });
  divider.addEventListener("pointermove", (event) => {
    if (!divider.hasPointerCapture(event.pointerId)) return;
    const box = main.getBoundingClientRect();
    apply(clamp(((event.clientX - box.left) / box.width) * 100), false);
  });
  const stop = (event) => {
    if (!divider.hasPointerCapture(event.pointerId)) return;
    divider.releasePointerCapture(event.pointerId);
    delete divider.dataset.dragging;
    delete main.dataset.dragging;
    remember(current());
  };
  divider.addEventListener("pointerup", stop);
  divider.addEventListener("pointercancel", stop);
}
