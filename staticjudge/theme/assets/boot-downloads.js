// Starts the Python worker's first downloads (the Pyodide core, the standard library it boots
// from, the problem's wheels: <meta name="staticjudge-downloads">, written by the build from
// runtime.json) while the page's own scripts load, by preloading them: a classic `async` script in
// the head, so it runs as soon as it arrives and never holds up the first paint.
//
// Where the browser shares a download in flight between the page and its workers (Chromium,
// Firefox), the worker's own request then waits for the preload's. WebKit (2.50) does not: there a
// preload would download each file twice (measured with bench/network.py: 15.3 MB before "Ready"
// instead of 7.8), so WebKit-based browsers skip it.
//
// Only until this site has kept a memory snapshot in this browser (pyclient.js and prewarm.js
// then set BOOTED): a visit that restores one needs neither the wheels nor a fresh copy of the
// rest, and reading megabytes from the HTTP cache beside the restore slowed Firefox's warm visits.

(() => {
  const site = new URL("../", document.currentScript.src).href;
  try {
    if (localStorage.getItem(`staticjudge:booted|${site}`)) return;
  } catch (_) { /* no storage: preload */ }
  const listed = document.querySelector('meta[name="staticjudge-downloads"]')?.content.trim();
  const ua = navigator.userAgent;
  const webkit = /AppleWebKit\//.test(ua) && !/(Chrome|Chromium)\//.test(ua);
  if (!listed || webkit) return;
  for (const url of listed.split(/\s+/)) {
    const link = document.createElement("link");
    link.rel = "preload";
    link.as = "fetch";
    link.crossOrigin = "anonymous";
    link.href = url;
    document.head.append(link);
  }
})();
