// The page side of the offline copy (sw.js at the site's root): registers the service worker,
// tells the learner when a newer version of the course is ready, and shows and removes what is
// stored. Where service workers are unavailable (not a secure context, a browser without them,
// a private mode that refuses them) the page works as before, online only.
//
// Updates: the browser looks for a new sw.js on every visit; a new build installs beside the
// old one (copying only the files that changed) and waits. The page then shows "A newer version
// of this course is ready — Reload"; the button activates it and reloads, so a page never runs
// half old, half new files. A tab that did not ask sees the same notice once another tab updated.

const SITE_ROOT = new URL("../", import.meta.url);
const WORKER_URL = new URL("sw.js", SITE_ROOT);
const CACHE_PREFIX = `staticjudge-offline|${SITE_ROOT.href}|`; // sw.js names this site's caches so
const OPTED_OUT = `staticjudge:offline-removed|${SITE_ROOT.href}`; // the learner removed the copy
const RUNTIME_URL = new URL("runtime.json", import.meta.url); // where snapshot.js keys this site's records

/** Whether the learner wants an offline copy (they did not press "Remove offline copy"). */
export function offlineWanted() {
  try {
    return !localStorage.getItem(OPTED_OUT);
  } catch (_) {
    return true;
  }
}

function setWanted(wanted) {
  try {
    if (wanted) localStorage.removeItem(OPTED_OUT);
    else localStorage.setItem(OPTED_OUT, new Date().toISOString());
  } catch (_) { /* nowhere to remember it: the next visit makes the copy again */ }
}

/** Whether this page can have an offline copy at all. */
export function offlineSupported(nav = navigator, secure = globalThis.isSecureContext) {
  return Boolean(secure && nav.serviceWorker && typeof caches !== "undefined");
}

/** Resolves once a performance mark named `name` exists (at once if it does already). */
function marked(name) {
  if (!name || performance.getEntriesByName(name).length) return Promise.resolve();
  return new Promise((resolve) => {
    const observer = new PerformanceObserver((list) => {
      if (list.getEntriesByName(name).length) { observer.disconnect(); resolve(); }
    });
    observer.observe({ type: "mark", buffered: true });
  });
}

/** The "newer version" notice of base.html; act() runs when the learner presses its button. */
function offerReload(text, act) {
  const notice = document.getElementById("update-notice");
  if (!notice) return;
  notice.querySelector(".update-text").textContent = text;
  notice.querySelector("button").onclick = act;
  notice.hidden = false;
  performance.mark("staticjudge:update-offered");
}

/**
 * Register the service worker once the page has loaded and after the performance mark `after`
 * (e.g. Python being ready), so that copying the site never competes with the page's own loading. Resolves to the registration, or null.
 */
export async function setupOffline({ after = null } = {}) {
  if (!offlineSupported()) return null;
  if (document.body.dataset.offline === "off") {
    await removeOfflineCopy(); // the site no longer wants one: drop what an earlier build installed
    return null;
  }
  setupStorageControls();
  return offlineWanted() ? startOffline(after) : null;
}

async function startOffline(after) {
  const container = navigator.serviceWorker;
  const updating = { asked: false };
  const controlled = Boolean(container.controller); // else the first install's claim() is no update
  container.addEventListener("controllerchange", () => {
    if (updating.asked) location.reload();
    else if (controlled) offerReload("This course was updated in another tab — ", () => location.reload());
  });
  if (document.readyState !== "complete") await new Promise((resolve) => addEventListener("load", resolve, { once: true }));
  await marked(after);
  let registration;
  try {
    registration = await container.register(WORKER_URL, { scope: SITE_ROOT.href });
  } catch (error) {
    console.warn("no offline copy:", error);
    return null;
  }
  const offer = (worker) => {
    if (!worker || !container.controller) return; // nothing older runs this page: it activates by itself
    offerReload("A newer version of this course is ready — ", () => {
      updating.asked = true;
      worker.postMessage({ type: "skip-waiting" }); // then controllerchange reloads the page
    });
  };
  const watch = (worker) => worker?.addEventListener("statechange", () => {
    if (worker.state === "installed") offer(worker);
    // A copy that could not be made whole (offline midway, a file not this build's): tried again next visit.
    else if (worker.state === "redundant" && !registration.waiting && registration.active !== worker) {
      performance.mark("staticjudge:offline-copy-failed");
    }
  });
  offer(registration.waiting);
  watch(registration.installing);
  registration.addEventListener("updatefound", () => watch(registration.installing));
  if (controlled) registration.update().catch(() => {}); // offline, or the host is down: next time
  return registration;
}

/** Unregister this site's service worker and delete its caches (the pages then load from the network). */
export async function removeOfflineCopy() {
  if (!offlineSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration(SITE_ROOT.href);
  if (registration && registration.scope === SITE_ROOT.href) await registration.unregister();
  for (const name of await caches.keys()) if (name.startsWith(CACHE_PREFIX)) await caches.delete(name);
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** What this browser stores for the site (the whole origin: browsers count no finer), or null. */
async function stored() {
  try {
    return (await navigator.storage?.estimate())?.usage ?? null;
  } catch (_) {
    return null;
  }
}

/** The footer's line: how much is stored, and "Remove offline copy" / "Keep an offline copy". */
function setupStorageControls() {
  const line = document.getElementById("offline-copy");
  if (!line) return;
  const usage = document.getElementById("offline-usage");
  const button = document.getElementById("offline-toggle");
  const show = async (said = "") => {
    const bytes = await stored();
    const held = bytes === null ? "" : `This browser holds ${megabytes(bytes)} for this site. `;
    usage.textContent = said || (offlineWanted()
      ? `${held}It keeps a copy of the course and of Python so that problems open fast and work offline.`
      : `${held}No offline copy is kept: pages load from the network.`);
    button.textContent = offlineWanted() ? "Remove offline copy" : "Keep an offline copy";
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    if (offlineWanted()) {
      const before = await stored();
      setWanted(false);
      await removeOfflineCopy();
      const { deleteSiteSnapshots, withDeadline } = await import("./snapshot.js");
      await withDeadline(deleteSiteSnapshots(RUNTIME_URL), 5000, "deleting the snapshots").catch((error) => console.warn(error));
      const after = await stored();
      const freed = before !== null && after !== null ? ` (${megabytes(Math.max(0, before - after))} freed)` : "";
      await show(`Offline copy removed${freed}: pages now load from the network, and Python boots without a snapshot.`);
      performance.mark("staticjudge:offline-removed");
    } else {
      setWanted(true);
      await startOffline(null);
      await show("An offline copy is being made: the course works offline after this page is reloaded.");
    }
    button.disabled = false;
  });
  line.hidden = false;
  show();
}
