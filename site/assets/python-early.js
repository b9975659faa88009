// The problem page's first Python worker, started by a classic script in <head>, before the page
// is laid out and painted: module scripts (even async ones) ran only after the first paint, 0.3-0.8 s
// in (WebKit, Chromium), while the worker could already be booting. The worker is handed over to
// the page's PythonRunner (pyclient.js) with the messages it sent meanwhile:
// globalThis.staticjudgeEarlyWorker = {worker, messages}. The packages come from this script's
// data-packages attribute; the "init" message is the protocol's (pyworker.js).
(() => {
  const script = document.currentScript;
  try {
    const worker = new Worker(new URL("pyworker.js", script.src), { type: "module" });
    const messages = [];
    worker.onmessage = ({ data }) => messages.push(data);
    worker.onerror = (event) => {
      event.preventDefault();
      messages.push({ type: "boot-failed", message: event.message || "the Python worker failed" });
    };
    const packages = (script.dataset.packages || "").split(" ").filter(Boolean);
    worker.postMessage({ type: "init", packages });
    globalThis.staticjudgeEarlyWorker = { worker, messages, packages };
  } catch (error) {
    console.warn("no early Python worker, the page starts one:", error); // e.g. no module workers
  }
})();
