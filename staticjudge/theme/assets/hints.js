// Hints one at a time: without JavaScript every hint is a <details> of its own; with it, a
// button reveals the next one, so nobody sees hint 3 while reaching for hint 1.

export function setupHints(section) {
  const hints = [...section.querySelectorAll(".hint")];
  if (!hints.length) return;
  let shown = 0;
  const button = Object.assign(document.createElement("button"), { type: "button", className: "reveal-hint" });
  const label = () => { button.textContent = `Show hint ${shown + 1} of ${hints.length}`; };
  for (const hint of hints) hint.hidden = true;
  label();
  button.addEventListener("click", () => {
    const hint = hints[shown++];
    hint.hidden = false;
    hint.open = true;
    hint.querySelector("summary")?.focus();
    if (shown === hints.length) button.remove();
    else label();
  });
  hints[hints.length - 1].after(button);
}
