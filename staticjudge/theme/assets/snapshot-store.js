// Where the memory snapshots are kept (snapshot.js makes and restores them): one record
// {id, meta, memory, bundle} per site and slot (package set). Two stores, one chosen per context:
//
// - The origin private file system (OPFS), where workers have sync access handles (Chromium,
//   Firefox, Safari): one file per record. Reading the 48 MB record is on a warm start's critical
//   path, and there it takes 40-100 ms, against 130-280 ms from IndexedDB (Firefox ESR 153:
//   ~40 ms vs ~280 ms; Chromium 156: ~80 vs ~150 ms, measured in a worker on the development machine).
// - IndexedDB, where there is no OPFS (WebKitGTK 2.50 has no navigator.storage; not a secure
//   context; private modes that refuse OPFS).
//
// The OPFS file: "SJS1" (4 bytes), the header's length (u32, little-endian), the header (JSON
// {id, meta}, padded with spaces so that the memory starts at a multiple of 16), the memory, the
// bundle. Its first 4 bytes are written last: a file without them is still being written, or was
// cut short, and counts as absent. A writer holds the file's exclusive sync access handle, so two
// workers (two tabs that both made the snapshot) never write it at once: the second one sees it
// busy, or finds the same id stored, and writes nothing.

const DB_NAME = "staticjudge-snapshots";
const STORE = "snapshots";
const FOLDER = "staticjudge-snapshots"; // in the OPFS root: a folder per site, a file per slot
const MAGIC = new TextEncoder().encode("SJS1");
const READ_BUSY_MS = 2000; // how long a reader waits for a writer (another tab) to finish
const HEAD_BYTES = 64 * 1024; // enough for any header: its meta lists a few .so files

export class Damaged extends Error {}

const siteKey = (base) => new URL("snapshot/", base).href;
const recordKey = (base, slot) => `${siteKey(base)}${slot}`;

// ---- The OPFS file format ----

/** The record as the bytes of one file (magic included). */
export function encodeRecord({ id, meta, memory, bundle }) {
  const json = new TextEncoder().encode(JSON.stringify({ id, meta }));
  const start = Math.ceil((8 + json.length) / 16) * 16; // where the memory starts
  const file = new Uint8Array(start + memory.length + bundle.length);
  file.set(MAGIC, 0);
  new DataView(file.buffer).setUint32(4, start - 8, true);
  file.fill(0x20, 8, start);
  file.set(json, 8);
  file.set(memory, start);
  file.set(bundle, start + memory.length);
  return file;
}

/** A file's header {id, meta, start} (start: where the memory begins); null if it is incomplete. */
function decodeHeader(file) {
  if (file.length < 8 || MAGIC.some((byte, i) => file[i] !== byte)) return null;
  const length = new DataView(file.buffer, file.byteOffset).getUint32(4, true);
  let head;
  try {
    head = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length)));
  } catch (_) {
    throw new Damaged("snapshot file header is damaged");
  }
  return { id: head.id, meta: head.meta, start: 8 + length };
}

/** A file's record (memory and bundle are views into `file`), null if it is incomplete, Damaged if its sizes are wrong. */
export function decodeRecord(file) {
  const header = decodeHeader(file);
  if (!header) return null;
  const { id, meta, start } = header;
  const { memoryBytes, filesBytes } = meta ?? {};
  if (start % 16 || file.length !== start + memoryBytes + filesBytes) throw new Damaged("snapshot file has the wrong size");
  return { id, meta, memory: file.subarray(start, start + memoryBytes), bundle: file.subarray(start + memoryBytes) };
}

// ---- OPFS ----
async function opfsRoot() {
  if (!globalThis.navigator?.storage?.getDirectory || typeof FileSystemFileHandle === "undefined") return null;
  try {
    return await navigator.storage.getDirectory();
  } catch (_) {
    return null; // refused (private modes): IndexedDB then
  }
}

async function siteFolder(root, base, create) {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(siteKey(base)));
  const name = [...new Uint8Array(hash).subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  try {
    return await (await root.getDirectoryHandle(FOLDER, { create })).getDirectoryHandle(name, { create });
  } catch (error) {
    if (error.name === "NotFoundError") return null;
    throw error;
  }
}

const busy = (error) => error.name === "NoModificationAllowedError" || error.name === "InvalidStateError";
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The file's bytes: through a sync access handle in a worker (fastest), else File.arrayBuffer(). */
async function readFile(handle) {
  if (handle.createSyncAccessHandle) {
    // "read-only": readers share the file (Chromium); elsewhere the option is ignored and the handle is exclusive.
    const access = await handle.createSyncAccessHandle({ mode: "read-only" });
    try {
      const bytes = new Uint8Array(access.getSize());
      if (access.read(bytes, { at: 0 }) !== bytes.length) return new Uint8Array(0);
      return bytes;
    } finally {
      access.close();
    }
  }
  return new Uint8Array(await (await handle.getFile()).arrayBuffer());
}

async function opfsRead(root, base, slot) {
  const folder = await siteFolder(root, base, false);
  if (!folder) return null;
  let handle;
  try {
    handle = await folder.getFileHandle(slot);
  } catch (error) {
    if (error.name === "NotFoundError") return null;
    throw error;
  }
  for (const deadline = performance.now() + READ_BUSY_MS; ;) {
    try {
      return decodeRecord(await readFile(handle));
    } catch (error) {
      if (!busy(error) || performance.now() > deadline) throw error; // held longer: a cold boot then
      await pause(50);
    }
  }
}

/** A view that covers its whole buffer (WebKit's OPFS writes a view's whole buffer, whatever its offset). */
const whole = (view) => (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : view.slice());

async function opfsWrite(root, base, slot, record) {
  const handle = await (await siteFolder(root, base, true)).getFileHandle(slot, { create: true });
  let access;
  try {
    access = await handle.createSyncAccessHandle();
  } catch (error) {
    if (busy(error)) return false; // another worker holds it: it is writing this snapshot now
    throw error;
  }
  try {
    const head = new Uint8Array(Math.min(access.getSize(), HEAD_BYTES));
    access.read(head, { at: 0 });
    if (storedId(head) === record.id) return false; // another tab stored it meanwhile
    const file = encodeRecord(record);
    file.fill(0, 0, MAGIC.length); // "complete" is written last, once the rest is on disk
    access.truncate(0);
    if (access.write(whole(file), { at: 0 }) !== file.length) throw new Error("the snapshot file was cut short (no room?)");
    access.flush();
    access.write(MAGIC.slice(), { at: 0 });
    access.flush();
    return true;
  } catch (error) {
    try { access.truncate(0); } catch (_) { /* nothing more to free */ }
    throw error;
  } finally {
    access.close();
  }
}

/** The id in a complete file's first bytes, or null. */
function storedId(head) {
  try {
    return decodeHeader(head)?.id ?? null;
  } catch (_) {
    return null; // a damaged header: written over
  }
}

async function opfsDelete(root, base, slot) {
  const folder = await siteFolder(root, base, false);
  if (folder) await folder.removeEntry(slot).catch(() => {}); // absent, or being read: replaced once remade
}

async function opfsSlots(root, base) {
  const folder = await siteFolder(root, base, false);
  const slots = [];
  if (folder) for await (const name of folder.keys()) slots.push(name);
  return { folder, slots };
}

async function opfsDeleteSite(root, base) {
  const { folder, slots } = await opfsSlots(root, base);
  for (const slot of slots) await folder.removeEntry(slot);
}

// ---- IndexedDB: per site and slot, the record {id, meta, memory, bundle} and, apart, its id ----
const idKey = (base, slot) => `${recordKey(base, slot)}#id`; // read alone: no 40 MB read to compare ids
const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/** The snapshot database, or a rejection where this browser gives the page none (private modes). */
function openDb() {
  if (typeof indexedDB === "undefined") return Promise.reject(new Error("this browser has no IndexedDB"));
  const request = indexedDB.open(DB_NAME, 1);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE);
  return done(request);
}

/**
 * work(db) on a connection of its own, closed as soon as its transactions end: a worker keeps no
 * connection open, so terminating it (a time limit) never leaves one behind, which WebKit (2.50)
 * did not clean up: later transactions waited behind it for minutes.
 */
async function withDb(work) {
  const db = await openDb();
  try {
    return await work(db);
  } finally {
    db.close(); // takes effect once its transactions have ended
  }
}

/** Transactions that only hold a snapshot: losing the last one to a crash means a cold boot, no more. */
const transaction = (db, mode) => db.transaction(STORE, mode, { durability: "relaxed" }).objectStore(STORE);

const committed = (store) => new Promise((resolve, reject) => {
  store.transaction.oncomplete = resolve;
  store.transaction.onabort = store.transaction.onerror = () => reject(store.transaction.error);
});

function idbRead(base, slot) {
  return withDb(async (db) => {
    const record = await done(transaction(db, "readonly").get(recordKey(base, slot)));
    if (!record) return null;
    if (record.memory?.length !== record.meta?.memoryBytes || record.bundle?.length !== record.meta?.filesBytes) {
      throw new Damaged("snapshot entry is damaged");
    }
    return record;
  });
}

function idbWrite(base, slot, record) {
  return withDb(async (db) => {
    const store = transaction(db, "readwrite");
    const over = committed(store);
    // Inside the one transaction: a snapshot stored meanwhile by another tab is seen here, and kept.
    const stored = await done(store.get(idKey(base, slot))) === record.id;
    if (!stored) {
      store.put(record, recordKey(base, slot)); // replaces this slot's older snapshot: 40 MB each
      store.put(record.id, idKey(base, slot));
    }
    await over;
    return !stored;
  });
}

function idbDelete(base, slot) {
  return withDb((db) => {
    const store = transaction(db, "readwrite");
    store.delete(idKey(base, slot));
    store.delete(recordKey(base, slot));
    return committed(store);
  });
}

/** Every key of this site's records and ids. */
const siteRange = (base) => IDBKeyRange.bound(siteKey(base), `${siteKey(base)}\uffff`);

function idbSlots(base) {
  return withDb(async (db) => {
    const keys = await done(transaction(db, "readonly").getAllKeys(siteRange(base)));
    return keys.filter((key) => !key.endsWith("#id")).map((key) => key.slice(siteKey(base).length));
  }).catch(() => []);
}

function idbDeleteSite(base) {
  return withDb((db) => {
    const store = transaction(db, "readwrite");
    store.delete(siteRange(base));
    return committed(store);
  });
}

// ---- The store's API ----

/** Which store this context uses: "opfs" or "indexeddb" (rejects where neither is available). */
export async function storeKind() {
  if (await opfsRoot()) return "opfs";
  await withDb(() => {});
  return "indexeddb";
}

/**
 * The stored record for this slot, or null; Damaged if it is not whole (the id and the rest are
 * checked on restore). Rejects where the page may keep nothing.
 */
export async function readRecord(base, slot) {
  const root = await opfsRoot();
  return root ? opfsRead(root, base, slot) : idbRead(base, slot);
}

/** Store unless this site already has this record (another tab made it): resolves whether it wrote. */
export async function writeRecord(base, slot, record) {
  const root = await opfsRoot();
  if (!root) return idbWrite(base, slot, record);
  const written = await opfsWrite(root, base, slot, record);
  idbDelete(base, slot).catch(() => {}); // what an earlier version of the site kept there
  return written;
}

/** Delete one slot's record; never awaited by a boot (a stuck IndexedDB transaction may hold it). */
export async function deleteRecord(base, slot) {
  const root = await opfsRoot();
  if (root) await opfsDelete(root, base, slot);
  else await idbDelete(base, slot);
}

/** The slots this site has records for, in either store. */
export async function storedSlots(base) {
  const root = await opfsRoot();
  return [...new Set([...(root ? (await opfsSlots(root, base)).slots : []), ...await idbSlots(base)])];
}

/** Delete every record of this site, in both stores (the footer's "Remove offline copy"). */
export async function deleteSiteRecords(base) {
  const root = await opfsRoot();
  if (root) await opfsDeleteSite(root, base);
  await idbDeleteSite(base).catch((error) => { if (root) return; throw error; });
}
