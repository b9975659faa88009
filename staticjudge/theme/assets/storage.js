// Learners' saved work: one localStorage entry per problem, keyed by site + slug, plus export
// to and import from one JSON file.
//
// The site is identified by the URL path of its root folder, so two sites on one origin (say
// two projects on the same static host) never mix their answers. Entries that cannot be read
// (corrupt, or written by something else) are skipped and reported, never fatal.

const PREFIX = "staticjudge:v1:";
export const EXPORT_FORMAT = "staticjudge-answers";
// Version 2 adds site_root, learner and each answer's problem_hash; the format is documented by
// staticjudge/classroom/answers.schema.json. Import reads versions 1 and 2.
export const EXPORT_VERSION = 2;
const HASH = /^[0-9a-f]{8,64}$/;

function storageOrNull() {
  try {
    const storage = window.localStorage; // throws where storage is blocked
    const probe = `${PREFIX}probe`;
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch (_) {
    return null;
  }
}

function validRecord(value) {
  return value && typeof value === "object" && typeof value.code === "string"
    && (value.solved === undefined || typeof value.solved === "boolean");
}

function hashOrNull(value) {
  return typeof value === "string" && HASH.test(value) ? value : null;
}

function parseRecord(text) {
  try {
    const value = JSON.parse(text);
    return validRecord(value) ? { code: value.code, solved: Boolean(value.solved), saved_at: value.saved_at || null,
      problem_hash: hashOrNull(value.problem_hash) } : null;
  } catch (_) {
    return null;
  }
}

/** The problem this page shows, {slug, hash}, from the footer the build wrote (null elsewhere). */
function pageProblem() {
  const section = typeof document === "undefined" ? null : document.getElementById("my-work");
  const slug = section?.dataset.problem;
  return slug ? { slug, hash: hashOrNull(section.dataset.problemHash) } : null;
}

export class Store {
  /** siteRoot: the URL of the site's root folder (e.g. new URL("../", import.meta.url)). */
  constructor(siteRoot) {
    this.site = new URL(siteRoot).pathname;
    this.prefix = `${PREFIX}${this.site}|`;
    this.storage = storageOrNull();
    this.page = pageProblem();
    this.learnerKey = `${PREFIX}learner:${this.site}`; // never under this.prefix: not a record
  }

  get available() { return this.storage !== null; }

  key(slug) { return this.prefix + slug; }

  /** {record: {code, solved, saved_at} | null, unreadable: bool} for one problem. */
  load(slug) {
    const text = this.storage?.getItem(this.key(slug));
    if (text == null) return { record: null, unreadable: false };
    const record = parseRecord(text);
    return { record, unreadable: record === null };
  }

  write(slug, record) {
    if (!this.storage) return false;
    const problem_hash = hashOrNull(record.problem_hash);
    try {
      this.storage.setItem(this.key(slug), JSON.stringify({ ...record, problem_hash, saved_at: new Date().toISOString() }));
      return true;
    } catch (_) {
      return false; // quota exceeded: the page says so, the work stays in the editor
    }
  }

  /** The version of the problem code is being written against: this page's, or the one it had. */
  hashFor(slug, record) {
    return this.page?.slug === slug ? this.page.hash : hashOrNull(record?.problem_hash);
  }

  saveCode(slug, code) {
    const { record } = this.load(slug);
    return this.write(slug, { code, solved: Boolean(record?.solved), problem_hash: this.hashFor(slug, record) });
  }

  markSolved(slug, code) {
    const { record } = this.load(slug);
    return this.write(slug, { code, solved: true, problem_hash: this.hashFor(slug, record) });
  }

  /** The name or id the learner typed for the export ("" when none). */
  learnerName() {
    try {
      return this.storage?.getItem(this.learnerKey) || "";
    } catch (_) {
      return "";
    }
  }

  setLearnerName(name) {
    try {
      if (name) this.storage?.setItem(this.learnerKey, name);
      else this.storage?.removeItem(this.learnerKey);
    } catch (_) { /* quota: the name is still used for this export */ }
  }

  /** Every readable record of this site: {records: {slug: record}, unreadable: count}. */
  all() {
    const records = {};
    let unreadable = 0;
    if (!this.storage) return { records, unreadable };
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (!key || !key.startsWith(this.prefix)) continue;
      const record = parseRecord(this.storage.getItem(key));
      if (record) records[key.slice(this.prefix.length)] = record;
      else unreadable++;
    }
    return { records, unreadable };
  }

  exportData(siteName, learner = this.learnerName()) {
    const name = String(learner || "").trim().slice(0, 200);
    return { format: EXPORT_FORMAT, version: EXPORT_VERSION, site: siteName, site_root: this.site,
      learner: name || null, exported_at: new Date().toISOString(), problems: this.all().records };
  }

  /** Restore an export; returns {imported: [slug…], skipped: count}. Throws Error with a message for a foreign file. */
  importData(data) {
    if (!data || data.format !== EXPORT_FORMAT || typeof data.problems !== "object" || data.problems === null) {
      throw new Error("This file is not an export of answers from this kind of site; nothing was changed.");
    }
    if (!this.storage) throw new Error("This browser does not let the page save anything; nothing was imported.");
    const imported = [];
    let skipped = 0;
    for (const [slug, value] of Object.entries(data.problems)) {
      if (!/^[A-Za-z0-9_-]+$/.test(slug) || !validRecord(value)) { skipped++; continue; }
      const { record } = this.load(slug);
      // Solved stays solved: importing an older file does not take a success away.
      const problem_hash = hashOrNull(value.problem_hash) ?? record?.problem_hash ?? null;
      if (this.write(slug, { code: value.code, solved: Boolean(value.solved || record?.solved), problem_hash })) imported.push(slug);
      else skipped++;
    }
    return { imported, skipped };
  }
}
