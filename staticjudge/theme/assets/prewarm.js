// The index warms Python up for the problems, once it is idle: for each package set the problems
// use (the first problem's first), it starts the same worker the problem pages use
// (pyworker.js, with the protocol's "init" message), which boots and stores the memory snapshot
// (snapshot.js); the service worker (sw.js) keeps the Pyodide files it fetched. Then it is
// terminated. So the first problem opened from the index restores in about a second instead of
// booting cold. Skipped on a connection that asks to save data (or a 2G one): it downloads the
// Pyodide core and wheels (tens of MB) and takes ~40 MB of storage per package set.
//
// Performance marks for tests and bench/: "staticjudge:prewarm-done" ({detail: {sets: [{packages,
// boot, ms}]}}) or "staticjudge:prewarm-skipped" ({detail: {why}}).

const BOOT_LIMIT_MS = 180_000; // a warm-up that takes longer is abandoned (the page boots as before)

/** Whether to warm up on this connection: not when it asks to save data, nor on 2G. */
export function shouldWarm(nav = navigator) {
  const connection = nav.connection;
  if (connection?.saveData) return "the connection asks to save data";
  if (/(^|-)2g$/.test(connection?.effectiveType || "")) return "the connection is slow (2G)";
  return "";
}

/** Resolves once the page has loaded and the browser is idle. */
function idle() {
  const loaded = document.readyState === "complete" ? Promise.resolve()
    : new Promise((resolve) => addEventListener("load", resolve, { once: true }));
  return loaded.then(() => new Promise((resolve) => {
    if (globalThis.requestIdleCallback) requestIdleCallback(resolve, { timeout: 1000 });
    else setTimeout(resolve, 200);
  }));
}

/** One worker: boots (restores, or makes and stores the snapshot), then is terminated: {boot, ms}. */
function warmOne(workerUrl, packages) {
  const started = performance.now();
  const worker = new Worker(workerUrl, { type: "module" });
  // Leaving the index (a learner picked a problem) ends the warm-up at once; a page kept in the
  // back-forward cache keeps its worker.
  const leave = (event) => { if (!event.persisted) worker.terminate(); };
  addEventListener("pagehide", leave, { once: true });
  return new Promise((resolve) => {
    const end = (boot) => { clearTimeout(timer); removeEventListener("pagehide", leave); worker.terminate(); resolve({ packages, boot, ms: Math.round(performance.now() - started) }); };
    const timer = setTimeout(() => end("abandoned"), BOOT_LIMIT_MS);
    worker.onerror = (event) => { event.preventDefault(); end("failed"); };
    worker.onmessage = ({ data }) => {
      if (data.type === "boot-failed") end("failed");
      else if (data.type === "progress" && data.stage === "ready" && data.boot !== "made") end(data.boot);
      else if (data.type === "snapshot") end(data.saved ? "made" : "cold"); // stored (or could not be)
    };
    worker.postMessage({ type: "init", packages });
  });
}

/**
 * Warm up each package set of `sets` in turn once the page is idle and `offline` (the service
 * worker's registration, or null) is active; not at all unless `wanted` (the learner removed the
 * offline copy: offline.js). say(text) updates the index's status line.
 */
export async function prewarm(sets, { offline = null, wanted = true, say = () => {} } = {}) {
  const why = shouldWarm() || (!wanted && "the learner removed the offline copy") || (!sets.length && "no problems");
  if (why) {
    performance.mark("staticjudge:prewarm-skipped", { detail: { why } });
    return;
  }
  await idle();
  // With the service worker active, the worker's downloads (the CDN's too) are kept for offline use.
  // A first visit waits (10 s at most) for the copy to be made and to control this page.
  const waited = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const registration = await Promise.race([offline, waited(5000)]);
  if (registration && !navigator.serviceWorker.controller) {
    const controlled = new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    await Promise.race([controlled, waited(10_000)]);
  }
  say("Preparing Python for the problems…");
  const done = [];
  for (const packages of sets) done.push(await warmOne(new URL("./pyworker.js", import.meta.url), packages));
  performance.mark("staticjudge:prewarm-done", { detail: { sets: done } });
  const ok = done.every((set) => set.boot === "made" || set.boot === "restored");
  if (done.some((set) => set.boot === "made" || set.boot === "restored")) {
    try { // as pyclient.js's rememberSnapshot: problem pages then preload nothing (boot-downloads.js)
      localStorage.setItem(`staticjudge:booted|${new URL("../", import.meta.url).href}`, new Date().toISOString());
    } catch (_) { /* no storage */ }
  }
  say(ok ? "Python is ready: problems open in about a second." : "");
}
