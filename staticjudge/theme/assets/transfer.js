// "Export my answers" / "Import answers": the controls in every page's footer (hidden without
// JavaScript, since they need it).

export function notify(text) {
  const notice = document.getElementById("storage-notice");
  if (!notice) return;
  notice.textContent = text;
  notice.hidden = !text;
}

function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Wire the controls; onImported(slugs) lets the page refresh what it shows. refusedNote: what to
 * say when this browser refuses storage (inside an LMS, which keeps the code, it is no warning).
 */
export function setupTransfer(store, onImported, refusedNote = null) {
  const section = document.getElementById("my-work");
  if (!section) return;
  section.hidden = false;
  const siteName = document.body.dataset.siteName || "site";
  if (!store.available) notify(refusedNote ?? "This browser does not let the page save your code: export your answers before you leave.");
  else {
    const { unreadable } = store.all();
    if (unreadable) notify(`${unreadable} saved answer(s) in this browser could not be read and were ignored.`);
  }

  const learner = document.getElementById("learner-name");
  if (learner) {
    learner.value = store.learnerName();
    learner.addEventListener("change", () => store.setLearnerName(learner.value.trim()));
  }

  document.getElementById("export-answers").addEventListener("click", () => {
    if (learner) store.setLearnerName(learner.value.trim());
    const data = store.exportData(siteName, learner ? learner.value : store.learnerName());
    const slug = siteName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "site";
    download(`${slug}-answers.json`, JSON.stringify(data, null, 1));
    notify(`Exported ${Object.keys(data.problems).length} answer(s).`);
  });

  const input = document.getElementById("import-file");
  document.getElementById("import-answers").addEventListener("click", () => input.click());
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    let data;
    try {
      data = JSON.parse(await file.text());
    } catch (_) {
      notify(`${file.name} is not a JSON file; nothing was changed.`);
      return;
    }
    try {
      const { imported, skipped } = store.importData(data);
      notify(`Imported ${imported.length} answer(s)${skipped ? `; ${skipped} unreadable entr${skipped === 1 ? "y" : "ies"} skipped` : ""}.`);
      onImported?.(imported);
    } catch (error) {
      notify(error.message);
    }
  });
}
