// Warm start: restore the interpreter — Python, the problem's wheels (NumPy) imported, the harness
// loaded — from a memory snapshot (kept by snapshot-store.js). A cold boot plus `import numpy`
// takes 3-9 s; a restore about 0.5-1 s. Used by pyworker.js (and offline.js, to delete them).
//
// Why not Cache Storage: WebKit (2.50) dropped Cache Storage entries that a tab's first page wrote
// as soon as that page was reloaded or opened again, so a learner coming back to the same problem
// never got a warm start there; the origin private file system and IndexedDB keep them.
//
// Pyodide 314.0.7 cannot snapshot an interpreter that has loaded binary packages (upstream issues
// #5195, #6254, #6418): NumPy's .so side modules live outside linear memory. So in the run that
// makes the snapshot and in every run that restores it, each .so is instantiated in a preRun hook,
// before the runtime starts. There Emscripten places each one at the next heap and table base,
// which are the same in both runs; the layout is recorded and compared, never assumed.
//
// This relies on private Pyodide and Emscripten APIs (_makeSnapshot, _loadSnapshot,
// makeMemorySnapshot, Module.newDSO, loadWebAssemblyModule, LDSO, growMemory, wasmTable): it is
// used only with the pinned Pyodide version, and pyworker.js falls back to a cold boot (deleting
// the entry) when anything here throws.

import * as store from "./snapshot-store.js";

export { Damaged } from "./snapshot-store.js";

export const PINNED_PYODIDE = "314.0.7";
// Part of the cache key: bump it when WARMUP, the stored format or what is imported changes.
const FORMAT = 3;
const SITE_PACKAGES = "/lib/python3.14/site-packages";
// Everything imported before the snapshot is free after a restore (the harness's own imports too).
export const WARMUP = "import ast, contextlib, inspect, io, json, linecache, math, random, statistics, traceback, types";

/** Whether this browser and runtime can use snapshots at all (a store is looked for when reading). */
export function supported(runtime) {
  return runtime.pyodide_version === PINNED_PYODIDE
    && Boolean(globalThis.crypto?.subtle) && typeof DecompressionStream !== "undefined";
}

async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The record's slot: the package set (one snapshot is kept per set and site). */
export const slotOf = (packages) => encodeURIComponent([...packages].sort().join("+") || "core");

/**
 * The snapshot's key {slot, id}: id hashes the Pyodide version, each wheel's URL and sha256, the
 * standard library booted from (the trimmed one's sha256: the snapshot holds its zip's directory),
 * the harness sources and FORMAT; a stored record is used only when its id is this one.
 */
export async function snapshotKey(runtime, wheels, harnessFiles, packages) {
  const slot = slotOf(packages);
  const id = await sha256(JSON.stringify({
    format: FORMAT, pyodide: runtime.pyodide_version, pyodideUrl: runtime.pyodide_url,
    wheels: wheels.map(({ name, url, sha256 }) => [name, url, sha256]), harness: harnessFiles,
    stdlib: runtime.stdlib ? [runtime.stdlib.url, runtime.stdlib.sha256] : "full",
  }));
  return { slot, id };
}

// ---- Wheels: unpacked once (when the snapshot is made), then kept as one uncompressed bundle ----
async function inflate(raw) {
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A zip's file entries: {name, method, raw} (raw: the stored or deflated bytes). */
function zipEntries(buffer) {
  const bytes = new Uint8Array(buffer), view = new DataView(buffer), names = new TextDecoder();
  let end = bytes.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  if (end < 0) throw new Error("a wheel is not a zip file");
  const entries = [];
  for (let i = 0, at = view.getUint32(end + 16, true); i < view.getUint16(end + 10, true); i++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error("a wheel's zip directory is damaged");
    const method = view.getUint16(at + 10, true), size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true), local = view.getUint32(at + 42, true);
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (name.endsWith("/")) continue;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    entries.push({ name, method, raw: bytes.subarray(start, start + size) });
  }
  return entries;
}

const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Fetch the wheels and unzip only their .so files, which must exist before the runtime starts;
 * Python unpacks the rest after boot (installWheels), faster than hundreds of JS streams.
 * Resolves {archives: [ArrayBuffer], names: [every file], sos: [{name, data, module}] sorted}.
 */
export async function fetchWheels(wheels) {
  const archives = await Promise.all(wheels.map(async ({ url }) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.arrayBuffer();
  }));
  const entries = archives.flatMap(zipEntries).sort(byName);
  const sos = await withModules(await Promise.all(entries.filter((e) => e.name.endsWith(".so"))
    .map(async ({ name, method, raw }) => ({ name, data: method === 0 ? raw.slice() : await inflate(raw) }))));
  return { archives, names: entries.map((e) => e.name), sos };
}

/** After a snapshot-able boot: unpack the wheels' files (the .so files are there already). */
export function installWheels(pyodide, session) {
  for (const archive of session.wheels.archives) pyodide.unpackArchive(archive, "zip", { extractDir: SITE_PACKAGES });
}

/** The .so files compiled ({name, data} → {name, data, module}), sorted by name. */
async function withModules(sos) {
  return Promise.all([...sos].sort(byName).map(async (so) => ({ ...so, module: await WebAssembly.compile(so.data) })));
}

// Bundle: [u32 index length][JSON [[name, size], …]][the files' bytes, in that order].
function pack(files) {
  const index = new TextEncoder().encode(JSON.stringify(files.map(({ name, data }) => [name, data.length])));
  const out = new Uint8Array(4 + index.length + files.reduce((n, f) => n + f.data.length, 0));
  new DataView(out.buffer).setUint32(0, index.length, true);
  out.set(index, 4);
  let at = 4 + index.length;
  for (const { data } of files) { out.set(data, at); at += data.length; }
  return out;
}

function unpack(bytes) {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const index = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  let at = 4 + length;
  const files = index.map(([name, size]) => ({ name, data: bytes.subarray(at, (at += size)) }));
  if (at !== bytes.length) throw new Error("snapshot bundle has the wrong size");
  return files;
}

// ---- The preRun work both runs share ----
function writeFiles(M, files) {
  const made = new Set();
  for (const { name, data } of files) {
    const path = `${SITE_PACKAGES}/${name}`, dir = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(dir)) { M.FS.mkdirTree(dir); made.add(dir); }
    M.FS.writeFile(path, data);
  }
}

/** Instantiate each .so now, in the same order every time; record where each one landed. */
function preloadSos(M, sos) {
  const layout = {};
  const sbrk = () => M.HEAPU32[M._emscripten_get_sbrk_ptr() >>> 2];
  for (const { name, module } of sos) {
    const path = `${SITE_PACKAGES}/${name}`;
    layout[path] = [M.wasmTable.length, sbrk()];
    const dso = M.newDSO(path, undefined, "loading");
    dso.refcount = Infinity; // never unloaded: the snapshot holds pointers into it
    dso.global = false;
    dso.exports = M.loadWebAssemblyModule(module, { global: false, nodelete: true }, path, {});
  }
  return layout;
}

// ---- Making a snapshot (first visit) ----
/**
 * Boot Pyodide able to snapshot, with the wheels' .so modules preloaded (then call installWheels).
 * The wheels are fetched and their .so files compiled while the core downloads and compiles. Resolves {pyodide, session};
 * session.preloaded is false when the wheels could not be prepared (then load them normally).
 */
export async function bootForSnapshot(loadPyodide, createPyodideModule, options, wheelsReady, phase = () => {}) {
  const session = { preloaded: false, module: null, layout: null, wheels: null };
  const pyodide = await loadPyodide({
    ...options, _makeSnapshot: true,
    createPyodideModule: async (settings) => {
      settings.preRun.push((M) => {
        phase("make: wasm instantiated");
        // Emscripten waits for run dependencies before starting the runtime.
        M.addRunDependency("staticjudge-wheels");
        wheelsReady.then((wheels) => {
          writeFiles(M, wheels.sos);
          session.layout = preloadSos(M, wheels.sos);
          phase("make: .so files in place");
          session.wheels = wheels;
          session.preloaded = true;
        }).catch((error) => console.warn("no snapshot: wheels could not be prepared:", error))
          .finally(() => M.removeRunDependency("staticjudge-wheels"));
      });
      session.module = await createPyodideModule(settings);
      phase("make: module created");
      return session.module;
    },
  });
  return { pyodide, session };
}

/** Snapshot the interpreter now (no learner code may have run yet): {memory, meta, files}. */
export function takeSnapshot(pyodide, session) {
  const handles = {}; // dlopen handles are pointers kept in the heap: re-attached on restore
  for (const [handle, dso] of Object.entries(session.module.LDSO.loadedLibsByHandle)) if (+handle) handles[handle] = dso.name;
  const loaded = { ...pyodide.loadedPackages };
  // serializeHiwireState requires pyodide.loadedPackages (hiwire slot 6) to be empty.
  for (const name of Object.keys(loaded)) delete pyodide.loadedPackages[name];
  let memory;
  try {
    memory = pyodide.makeMemorySnapshot();
  } finally {
    Object.assign(pyodide.loadedPackages, loaded);
  }
  const meta = { layout: session.layout, handles, loadedPackages: loaded, soOrder: session.wheels.sos.map((s) => s.name),
    memoryBytes: memory.length };
  // The wheels' files as unpacked (read now, before any learner code could change them).
  const files = session.wheels.names.map((name) => ({ name, data: pyodide.FS.readFile(`${SITE_PACKAGES}/${name}`) }));
  return { memory, meta, files };
}

// ---- Keeping it (snapshot-store.js: the origin private file system, else IndexedDB) ----

/**
 * The store's answer, or a rejection after `ms`. WebKit (2.50) leaves an IndexedDB transaction
 * open for good when the worker that ran it is destroyed mid-way (a learner leaving the page while
 * the spare reads the snapshot): every later transaction behind it then waits for minutes, and a
 * boot must never wait on it.
 */
export class NoAnswer extends Error {}

export function withDeadline(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new NoAnswer(`${what}: no answer in ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Store unless this site already has this snapshot (another tab made it): resolves whether it wrote. */
export function storeSnapshot(base, key, { memory, meta, files }) {
  const bundle = pack(files);
  return store.writeRecord(base, key.slot, { id: key.id, meta: { ...meta, filesBytes: bundle.length }, memory, bundle });
}

/** Delete in the background: never awaited, since the store may wait behind a stuck transaction. */
export function deleteSnapshot(base, slot) {
  store.deleteRecord(base, slot).catch(() => {}); // the remade snapshot replaces it anyway
}

/** Delete every snapshot of this site (the footer's "Remove offline copy"); resolves once done. */
export const deleteSiteSnapshots = (base) => store.deleteSiteRecords(base);

/**
 * The stored snapshot for this slot, or null; Damaged if it is not whole (the id and the rest are
 * checked on restore). Rejects where the page may keep nothing.
 */
export const readSnapshot = (base, slot) => store.readRecord(base, slot);

// ---- Restoring (later visits, spare workers) ----
export async function restoreSnapshot(loadPyodide, createPyodideModule, options, { meta, memory, bundle }, phase = () => {}) {
  const files = unpack(bundle);
  // The .so files compile while Pyodide instantiates its own module; they are needed only in preRun.
  const compiling = withModules(files.filter((f) => f.name.endsWith(".so")));
  compiling.catch(() => {}); // awaited in preRun
  // Pyodide asks for INITIAL_MEMORY = snapshot size, which the module ignores (upstream #6254).
  const heapBytes = memory.length - new Uint32Array(memory.buffer, memory.byteOffset, 4)[1];
  let failed = null;
  const pyodide = await loadPyodide({
    ...options, _loadSnapshot: memory,
    createPyodideModule: async (settings) => {
      settings.preRun.push((M) => {
        phase("restore: wasm instantiated");
        writeFiles(M, files);
        M.addRunDependency("snapshot .so files"); // the runtime starts once it is removed
        compiling.then((sos) => {
          phase("restore: .so compiled");
          if (JSON.stringify(sos.map((s) => s.name)) !== JSON.stringify(meta.soOrder)) throw new Error("snapshot .so set differs");
          const layout = preloadSos(M, sos);
          if (JSON.stringify(layout) !== JSON.stringify(meta.layout)) throw new Error("snapshot .so layout differs");
        }).catch((error) => { failed = error; }).finally(() => M.removeRunDependency("snapshot .so files"));
      });
      const M = await createPyodideModule(settings);
      if (failed) throw failed;
      phase("restore: module created");
      if (M.HEAP8.length < heapBytes) M.growMemory(heapBytes);
      for (const [handle, name] of Object.entries(meta.handles)) {
        const dso = M.LDSO.loadedLibsByName[name];
        if (!dso) throw new Error(`snapshot names an unknown library ${name}`);
        M.LDSO.loadedLibsByHandle[handle] = dso;
      }
      return M;
    },
  });
  phase("restore: memory restored");
  Object.assign(pyodide.loadedPackages, meta.loadedPackages);
  // The snapshot froze every random generator's state: without this, each visit draws the same numbers.
  pyodide.runPython("import random, sys\nrandom.seed()\nif 'numpy' in sys.modules: sys.modules['numpy'].random.seed()");
  return pyodide;
}
