// The index: marks solved problems (from this browser's saved work) and offers export/import.

import { setupOffline } from "./offline.js";
import { Store } from "./storage.js";
import { setupTransfer } from "./transfer.js";

const store = new Store(new URL("../", import.meta.url));

function markSolved() {
  const { records } = store.all();
  for (const item of document.querySelectorAll(".problem-item[data-slug]")) {
    const badge = item.querySelector(".solved-badge");
    if (badge) badge.hidden = !records[item.dataset.slug]?.solved;
  }
}

markSolved();
setupTransfer(store, markSolved);
setupOffline();
