// The index: marks solved problems (from this browser's saved work) and offers export/import;
// makes the offline copy (offline.js) and, once idle, warms Python up for the problems (prewarm.js).

import { connectIndex } from "./lms.js";
import { offlineWanted, setupOffline } from "./offline.js";
import { prewarm } from "./prewarm.js";
import { Store } from "./storage.js";
import { notify, setupTransfer } from "./transfer.js";

const store = new Store(new URL("../", import.meta.url));
const lms = connectIndex(); // inside a SCORM package's LMS session, else null

function markSolved() {
  const { records } = store.all();
  for (const item of document.querySelectorAll(".problem-item[data-slug]")) {
    const badge = item.querySelector(".solved-badge");
    if (badge) badge.hidden = !(records[item.dataset.slug]?.solved || lms?.solved(item.dataset.slug));
  }
}

markSolved();
document.documentElement.dataset.indexReady = "yes"; // solved marks are drawn (tests wait for it)
setupTransfer(store, markSolved, lms?.storageNote);
if (lms?.note()) notify(lms.note());
const offline = setupOffline();
const index = document.querySelector("main.index");
const status = document.getElementById("prewarm-status");
prewarm(JSON.parse(index?.dataset.packageSets || "[]"), {
  offline, wanted: offlineWanted(), say: (text) => { status.textContent = text; status.hidden = !text; },
});
