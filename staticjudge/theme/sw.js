// The site's offline copy: a service worker at the site's root, so its scope is the site's
// folder under any URL prefix. The build writes it as `sw.js` with one line in front of this
// source: `const BUILD = {version, files: [[path, sha256], …], cdn}`: version hashes every built
// file, files lists each one (pages, assets, problem.json, the self-hosted Pyodide core, the
// wheels) with its content's SHA-256, cdn is the Pyodide CDN's URL prefix when pages load from it.
//
// - install: copies every file of this build into one cache named by its version. A file whose
//   content an older version's cache already holds (same SHA-256) is copied from there; any other
//   is fetched revalidated (never a stale HTTP cache entry) and kept only if its SHA-256 is the
//   manifest's, so a copy made while the host was half-way through a deploy fails and is retried on
//   the next visit instead of mixing two builds.
// - activate (on the first visit at once; later only when the learner presses "Reload" in the
//   page's notice, offline.js): deletes the older versions' caches of this site.
// - fetch: a GET inside the scope is answered from this version's cache only (the network
//   Response as stored: its URL and `application/wasm` type intact, so browsers compile
//   Pyodide's WebAssembly while streaming and may reuse compiled code); a miss goes to the
//   network as is. Files from the Pyodide CDN are kept once fetched, in a cache that outlives
//   builds (their URLs name the Pyodide version). Nothing is ever answered with a fallback page.

const SITE = `staticjudge-offline|${self.registration.scope}|`; // this site's caches, none of another
const CACHE = `${SITE}${BUILD.version}`;
const CDN_CACHE = `${SITE}cdn|${BUILD.cdn}`;
const MANIFEST = new URL(".offline-manifest", self.registration.scope).href; // each cache's own list
const MATCH = { ignoreVary: true }; // a CDN answer that varies on Origin is the same file

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (response) => hex(await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer()));

/** {url: [cache, sha256]} of the files older versions of this site hold. */
async function olderCopies() {
  const found = {};
  for (const name of await caches.keys()) {
    if (!name.startsWith(SITE) || name === CACHE || name === CDN_CACHE) continue;
    const cache = await caches.open(name);
    const manifest = await cache.match(MANIFEST);
    if (!manifest) continue;
    for (const [url, digest] of await manifest.json()) found[url] ??= [cache, digest];
  }
  return found;
}

async function copyFile(cache, older, url, digest) {
  if (await cache.match(url, MATCH)) return; // an earlier, interrupted install of this version
  const [oldCache, oldDigest] = older[url] || [];
  const kept = oldDigest === digest && await oldCache.match(url, MATCH);
  if (kept) return cache.put(url, kept);
  const response = await fetch(new Request(url, { cache: "no-cache", credentials: "same-origin" }));
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  if (await sha256(response) !== digest) throw new Error(`${url} is not this build's (being deployed?)`);
  return cache.put(url, response);
}

async function install() {
  const cache = await caches.open(CACHE);
  const older = await olderCopies();
  const files = BUILD.files.map(([path, digest]) => [new URL(path, self.registration.scope).href, digest]);
  // A few at a time: the wheels and the WebAssembly module are megabytes each.
  const queue = [...files];
  const copier = async () => { while (queue.length) await copyFile(cache, older, ...queue.shift()); };
  await Promise.all(Array.from({ length: 4 }, copier));
  await cache.put(MANIFEST, new Response(JSON.stringify(files), { headers: { "Content-Type": "application/json" } }));
}

async function activate() {
  for (const name of await caches.keys()) {
    if (name.startsWith(SITE) && name !== CACHE && name !== CDN_CACHE) await caches.delete(name);
  }
  // The first visit's page (and a Python worker it starts later) fetch through this copy at once.
  await self.clients.claim();
}

async function fromCopy(request) {
  const url = new URL(request.url);
  url.hash = "";
  if (url.pathname.endsWith("/")) url.pathname += "index.html"; // what a static host answers
  // caches.match, not caches.open: an offline copy the learner removed is not made again here.
  return (await caches.match(url.href, { ...MATCH, cacheName: CACHE })) || fetch(request);
}

/** A file of the Pyodide CDN: kept once fetched (CORS answers only, never a page for a .wasm). */
async function fromCdn(event) {
  const hit = await caches.match(event.request.url, { ...MATCH, cacheName: CDN_CACHE });
  if (hit) return hit;
  const response = await fetch(event.request);
  const type = response.headers.get("Content-Type") || "";
  const wasmOk = !new URL(response.url).pathname.endsWith(".wasm") || type.startsWith("application/wasm");
  if (response.ok && response.type === "cors" && wasmOk && await caches.has(CACHE)) { // not once removed
    const copy = response.clone();
    event.waitUntil(caches.open(CDN_CACHE).then((cache) => cache.put(event.request.url, copy)).catch(() => {}));
  }
  return response;
}

self.addEventListener("install", (event) => event.waitUntil(install()));
self.addEventListener("activate", (event) => event.waitUntil(activate()));
self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting(); // the learner pressed "Reload"
});
self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || request.headers.has("Range")) return;
  if (request.url.startsWith(self.registration.scope)) event.respondWith(fromCopy(request));
  else if (BUILD.cdn && request.url.startsWith(BUILD.cdn)) event.respondWith(fromCdn(event));
});
