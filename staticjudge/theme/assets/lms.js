// The course inside an LMS, as a SCORM package (staticjudge scorm; site/scorm.py). Two roles:
//
// - On the package's launch page (lms.html) it is the session: it finds the LMS's API, initializes,
//   restores the learner's code from suspend_data, frames the course index, and on leaving sets
//   exit = suspend and finishes. One session for the whole visit, however many pages the learner
//   opens in the frame (a SCORM 1.2 session cannot start again once finished).
// - On the course's pages (app.js, index.js) connectProblem/connectIndex find that session up the
//   frame chain. After each run the page reports the score; the session sets score, status,
//   cmi.objectives (one per problem) and suspend_data, then commits.
//
// Without an LMS (no launch page above the page) both return null and pages behave as ever.

export const LIMITS = { "1.2": 4096, "2004": 64000 }; // suspend_data characters per version
const SESSION = "staticjudgeLMS"; // the launch page's window property the course's pages look for
const FORMAT = "sj1:"; // suspend_data: FORMAT + base64url(deflate-raw(JSON)), or "sj0:" + JSON
const PLAIN = "sj0:";

// ---- finding the LMS's API: up through window.parent, then the opener chain (the reference algorithm) ----
function inParents(win, name) {
  for (let tries = 0; win && tries < 500; tries++) {
    try {
      if (win[name]) return win[name];
    } catch (_) { /* a cross-origin ancestor: keep climbing */ }
    let parent = null;
    try { parent = win.parent; } catch (_) { return null; }
    if (!parent || parent === win) return null;
    win = parent;
  }
  return null;
}

export function findAPI(name, win = window) {
  for (let tries = 0; win && tries < 20; tries++) {
    const found = inParents(win, name);
    if (found) return found;
    try { win = win.top.opener; } catch (_) { return null; }
  }
  return null;
}

// ---- the two versions' calls and element names, behind one interface ----
const DIALECTS = {
  "1.2": {
    api: "API", init: "LMSInitialize", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit",
    finish: "LMSFinish", error: "LMSGetLastError",
    entry: "cmi.core.entry", exit: "cmi.core.exit", score: "cmi.core.score", time: "cmi.core.session_time",
  },
  "2004": {
    api: "API_1484_11", init: "Initialize", get: "GetValue", set: "SetValue", commit: "Commit",
    finish: "Terminate", error: "GetLastError",
    entry: "cmi.entry", exit: "cmi.exit", score: "cmi.score", time: "cmi.session_time",
  },
};

function sessionTime(ms, version) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (version === "2004") return `PT${seconds}S`;
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(Math.floor(seconds / 3600), 4)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

// ---- suspend_data: the learner's answers, compressed, most recent first when they do not all fit ----
function toBase64Url(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function through(stream, bytes) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

async function encode(value) {
  const json = JSON.stringify(value);
  if (typeof CompressionStream === "undefined") return PLAIN + json;
  return FORMAT + toBase64Url(await through(new CompressionStream("deflate-raw"), new TextEncoder().encode(json)));
}

/** The value suspend_data holds ({scores, answers}), or null for "" or anything not ours. */
export async function unpack(text) {
  try {
    let value = null;
    if (text.startsWith(FORMAT)) {
      const bytes = await through(new DecompressionStream("deflate-raw"), fromBase64Url(text.slice(FORMAT.length)));
      value = JSON.parse(new TextDecoder().decode(bytes));
    } else if (text.startsWith(PLAIN)) {
      value = JSON.parse(text.slice(PLAIN.length));
    }
    if (!value || typeof value.s !== "object" || !Array.isArray(value.a)) return null;
    const answers = {};
    for (const [slug, code, t, solved] of value.a) {
      if (typeof slug === "string" && typeof code === "string") answers[slug] = { code, t: Number(t) || 0, solved: Boolean(solved) };
    }
    const scores = {};
    for (const [slug, score] of Object.entries(value.s)) if (Number.isFinite(score)) scores[slug] = score;
    return { scores, answers };
  } catch (_) {
    return null;
  }
}

/**
 * suspend_data for {scores, answers} within `limit` characters: every score, and as many answers as
 * fit, the most recently saved first. Returns {text, kept: [slug…], left: [slug…]} (left: only in this browser).
 */
export async function pack(scores, answers, limit) {
  const order = Object.keys(answers).sort((a, b) => answers[b].t - answers[a].t);
  const value = (slugs) => ({ s: scores, a: slugs.map((s) => [s, answers[s].code, answers[s].t, answers[s].solved ? 1 : 0]) });
  let text = await encode(value(order));
  if (text.length <= limit) return { text, kept: order, left: [] };
  const kept = [];
  const left = [];
  text = await encode(value([]));
  if (text.length > limit) return { text: "", kept, left: order }; // cannot happen with a few hundred problems
  for (const slug of order) {
    const candidate = await encode(value([...kept, slug]));
    if (candidate.length <= limit) {
      kept.push(slug);
      text = candidate;
    } else {
      left.push(slug);
    }
  }
  return { text, kept, left };
}

// ---- the session, on the launch page ----
class Session {
  constructor(api, version, problems) {
    this.api = api;
    this.version = version;
    this.words = DIALECTS[version];
    this.problems = problems;
    this.scores = {};
    this.answers = {};
    this.left = [];
    this.started = Date.now();
    this.open = false;
    this.packing = Promise.resolve();
    this.timer = null;
  }

  call(name, ...args) {
    try {
      return String(this.api[name](...args));
    } catch (error) {
      console.warn(`LMS ${name} failed:`, error);
      return "";
    }
  }

  get(element) { return this.call(this.words.get, element); }

  set(element, value) {
    if (this.call(this.words.set, element, String(value)) !== "true") {
      console.warn(`LMS refused ${element} = ${String(value).slice(0, 80)} (error ${this.call(this.words.error)})`);
    }
  }

  async start() {
    this.open = this.call(this.words.init, "") === "true";
    if (!this.open) return false;
    const saved = await unpack(this.get("cmi.suspend_data"));
    if (saved) {
      this.scores = saved.scores;
      this.answers = saved.answers;
    }
    const status = this.version === "1.2" ? this.get("cmi.core.lesson_status") : this.get("cmi.completion_status");
    if (!["passed", "completed", "failed"].includes(status)) this.writeStatus();
    this.writeObjectiveIds();
    this.call(this.words.commit, "");
    return true;
  }

  // -- what the course's pages call (from their own frames) --
  answer(slug) { return this.answers[slug] || null; }

  solved(slug) { return Boolean(this.answers[slug]?.solved || this.scores[slug] >= 100); }

  noteCode(slug, code) {
    if (!this.open) return;
    const before = this.answers[slug];
    this.answers[slug] = { code, t: Date.now(), solved: Boolean(before?.solved) };
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.saveAnswers(), 1000);
  }

  /** After a run of the tests: best score per problem, the course's score and status, saved code; commit. */
  async report(slug, { passed, total, code }) {
    if (!this.open) return { left: this.left };
    const score = total > 0 ? Math.round((10000 * passed) / total) / 100 : 0;
    const solved = total > 0 && passed === total;
    this.scores[slug] = Math.max(this.scores[slug] ?? 0, score);
    this.answers[slug] = { code, t: Date.now(), solved: solved || Boolean(this.answers[slug]?.solved) };
    this.writeScore();
    this.writeStatus();
    this.writeObjective(slug);
    clearTimeout(this.timer);
    await this.saveAnswers();
    this.call(this.words.commit, "");
    return { left: this.left };
  }

  // -- the data model --
  courseScore() {
    if (!this.problems.length) return 0;
    const sum = this.problems.reduce((total, slug) => total + (this.scores[slug] ?? 0), 0);
    return Math.round((100 * sum) / this.problems.length) / 100;
  }

  allSolved() { return this.problems.length > 0 && this.problems.every((slug) => this.solved(slug)); }

  writeScore() {
    const { score } = this.words;
    const raw = this.courseScore();
    this.set(`${score}.min`, 0);
    this.set(`${score}.max`, 100);
    this.set(`${score}.raw`, raw);
    if (this.version === "2004") this.set(`${score}.scaled`, raw / 100);
  }

  writeStatus() {
    const done = this.allSolved();
    if (this.version === "1.2") {
      this.set("cmi.core.lesson_status", done ? "passed" : "incomplete");
    } else {
      this.set("cmi.completion_status", done ? "completed" : "incomplete");
      this.set("cmi.success_status", done ? "passed" : "unknown");
    }
  }

  writeObjectiveIds() {
    const count = Number(this.get("cmi.objectives._count")) || 0;
    this.problems.forEach((slug, n) => { if (n >= count) this.set(`cmi.objectives.${n}.id`, slug); });
  }

  writeObjective(slug) {
    const n = this.problems.indexOf(slug);
    if (n < 0) return;
    const at = `cmi.objectives.${n}`;
    const score = this.scores[slug] ?? 0;
    this.set(`${at}.score.min`, 0);
    this.set(`${at}.score.max`, 100);
    this.set(`${at}.score.raw`, score);
    if (this.version === "1.2") {
      this.set(`${at}.status`, this.solved(slug) ? "passed" : "incomplete");
    } else {
      this.set(`${at}.score.scaled`, score / 100);
      this.set(`${at}.success_status`, this.solved(slug) ? "passed" : "unknown");
      this.set(`${at}.completion_status`, this.solved(slug) ? "completed" : "incomplete");
    }
  }

  /** suspend_data from the answers, within the version's limit (no commit: that follows runs and the end). */
  saveAnswers() {
    this.packing = this.packing.then(async () => {
      if (!this.open) return;
      const { text, left } = await pack(this.scores, this.answers, LIMITS[this.version]);
      this.left = left;
      this.set("cmi.suspend_data", text);
    });
    return this.packing;
  }

  end() {
    if (!this.open) return;
    this.set(this.words.exit, "suspend");
    this.set(this.words.time, sessionTime(Date.now() - this.started, this.version));
    this.call(this.words.commit, "");
    this.call(this.words.finish, "");
    this.open = false;
  }
}

async function launch() {
  const body = document.body;
  const version = body.dataset.lmsLaunch === "2004" ? "2004" : "1.2";
  const frame = document.getElementById("lms-course");
  const status = document.getElementById("lms-status");
  const api = findAPI(DIALECTS[version].api);
  if (!api) {
    // No LMS around (the package opened as plain files): the course as it is on its own.
    window.location.replace(body.dataset.start);
    return;
  }
  const session = new Session(api, version, (body.dataset.problems || "").split(" ").filter(Boolean));
  if (!(await session.start())) {
    status.textContent = "Your LMS did not start a session: your work is saved in this browser only.";
  } else {
    window[SESSION] = session;
    status.hidden = true;
  }
  window.addEventListener("pagehide", () => session.end());
  frame.hidden = false;
  frame.src = body.dataset.start;
}

// ---- the course's pages ----
/** The launch page's session above this page, or null (no LMS: the page behaves as the plain site). */
export function findSession(win = typeof window === "undefined" ? null : window) {
  if (!win || win.parent === win) return null;
  const session = inParents(win.parent, SESSION);
  return session && session.open ? session : null;
}

// What a page inside an LMS says when this browser refuses storage: the LMS keeps the code.
const STORAGE_NOTE = "This browser does not keep your code here; your LMS keeps it each time you run the tests.";

function leftNote(left, titleOf) {
  if (!left.length) return "";
  const names = left.map(titleOf).join(", ");
  return `Your LMS has room for only part of your saved code: ${names} ${left.length === 1 ? "is" : "are"} kept only`
    + " in this browser. Use “Export my answers” to keep a copy.";
}

/**
 * A problem page inside an LMS: {restore(record), noteCode(code), report(report, code), storageNote}
 * or null without one. restore() returns the newer of this browser's record and the LMS's.
 */
export function connectProblem(slug, notify) {
  const session = findSession();
  if (!session) return null;
  // Only the note this connection showed is ever cleared: a storage note stays.
  let shown = false;
  const say = (left) => {
    const text = leftNote(left.filter((s) => s === slug), () => "this problem's code");
    if (text || shown) notify(text);
    shown = Boolean(text);
  };
  return {
    storageNote: STORAGE_NOTE,
    restore(record) {
      const theirs = session.answer(slug);
      if (!theirs) return record;
      const ours = record?.saved_at ? Date.parse(record.saved_at) : 0;
      if (record && ours >= theirs.t) return record;
      return { code: theirs.code, solved: Boolean(record?.solved || theirs.solved), saved_at: new Date(theirs.t).toISOString(),
        problem_hash: record?.problem_hash ?? null };
    },
    noteCode(code) { session.noteCode(slug, code); },
    async report(report, code) {
      const { left } = await session.report(slug, { passed: report.passed ?? 0, total: report.total ?? 0, code });
      say(left);
    },
  };
}

/** The index inside an LMS: {solved(slug), note(), storageNote} or null without one. */
export function connectIndex() {
  const session = findSession();
  if (!session) return null;
  const titleOf = (slug) => document.querySelector(`.problem-item[data-slug="${slug}"] a`)?.textContent || slug;
  return { solved: (slug) => session.solved(slug), note: () => leftNote(session.left, titleOf), storageNote: STORAGE_NOTE };
}

if (typeof document !== "undefined" && document.body?.dataset.lmsLaunch) launch();
