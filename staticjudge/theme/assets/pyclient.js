// The page side of the Python worker protocol (documented at the top of pyworker.js).
//
// Owns the worker's life: starts it at once, queues a run asked for before Python is ready,
// enforces the time limit by terminating the worker (code stuck in a C loop cannot be
// interrupted, and SharedArrayBuffer needs COOP/COEP headers most static hosts cannot send),
// then carries on with a spare worker booted in the background (or a fresh one), so the next
// run works without a reload and, usually, without waiting. A killed run is reported
// like the native runner does: finished tests keep their results, the running one gets the
// reason, the rest "Not run". Such a Report's `stopped` is "timeout", "crash" (the worker
// died), "cancelled" (the learner pressed Stop) or "unavailable" (Python never loaded).
//
// The spare is started only once the active worker is ready, has warmed up and, on a first visit,
// has saved its memory snapshot: it then restores from that snapshot (~0.5 s) rather than
// competing with the first boot for the CPU. Nor does it compete with the learner's runs: it starts
// only after the active worker has been idle for SPARE_IDLE_MS (on WebKit, a spare booting right
// after a time limit made the next run take 3 s instead of 0.1 s). Where memory is short (a device
// reporting < 4 GB, or, where none is reported, a touch-only phone or tablet) there is no spare:
// a restart then restores the snapshot in a fresh worker (~1 s). Each worker that becomes ready leaves a performance
// mark "staticjudge:python-ready" ({detail: {boot, phases, heap_bytes, not_restored}}), that has warmed up
// "staticjudge:warmed-up" ({detail: {spare}}), a saved snapshot "staticjudge:snapshot-saved"
// ({detail: {written, take_ms, store_ms, bytes}}) and a terminated worker
// "staticjudge:worker-killed"; also "staticjudge:run-started" and "staticjudge:run-finished" around
// each run and "staticjudge:spare-started", for tests and bench/ to read.

// A stopped run's texts, as native grading writes them: messages.js is written by the site build
// from staticjudge/runtime/messages.json, which staticjudge/grading/report.py reads.
import MESSAGES from "./messages.js";

export const TIME_LIMIT_MESSAGE = (limit) => MESSAGES.time_limit.replaceAll("{limit}", String(limit));
export const CRASH_MESSAGE = MESSAGES.crash_in_page;
const CANCEL_MESSAGE = "Stopped by you.";
const NOT_RUN = MESSAGES.not_run;
const SPARE_IDLE_MS = 1000;
// Set once this site has a memory snapshot here: boot-downloads.js then preloads nothing.
const BOOTED = `staticjudge:booted|${new URL("../", import.meta.url).href}`;

export function rememberSnapshot() {
  try {
    localStorage.setItem(BOOTED, new Date().toISOString());
  } catch (_) { /* nowhere to keep it: the next visit preloads again */ }
}
// How long after the time limit a run still going gets its worker terminated: Python loops stop
// by themselves at the limit (pyworker.js); code stuck in C does not.
const KILL_GRACE_MS = 1500;
const STDLIB_FETCH_ALLOWANCE_MS = 125_000; // the worker's own timeout on that download, and a little more

/**
 * Whether this device can hold a second interpreter (0.2-0.3 GB). Chromium reports its memory;
 * Firefox and Safari do not, and there a touch-only device (a phone, a tablet without a
 * trackpad) is taken for one with little memory.
 */
export function roomForSpare(nav = navigator, media = globalThis.matchMedia) {
  if (nav.deviceMemory) return nav.deviceMemory >= 4;
  const touchOnly = media?.("(pointer: coarse)").matches && !media("(any-pointer: fine)").matches;
  return !touchOnly;
}

/**
 * The Report of a run that had to be stopped (staticjudge/runtime/report.schema.json), as
 * staticjudge/grading/report.py's stopped_report (and, for "shapes", stopped_shapes) makes it natively.
 */
export function stoppedReport(job, message, why) {
  if (job.kind === "shapes") {
    return { test: null, lines: [], raised: [], calls: 0, call: null, stopped: why, error: { kind: why, message, line: null, traceback: "" } };
  }
  if (job.kind === "script") {
    return { status: "error", stdout: job.stdout, stdout_truncated: false, stopped: why,
      error: { kind: why, message, line: null, traceback: "" } };
  }
  const tests = job.tests.map(({ name, title }) => job.finished[name] || {
    name, title, status: "error", message: name === job.running ? message : NOT_RUN,
    duration_ms: 0, line: null, traceback: "",
  });
  return {
    status: "error", passed: tests.filter((t) => t.status === "pass").length, total: tests.length, tests,
    stdout: job.stdout, stdout_truncated: false, stopped: why,
    error: job.running ? null : { kind: why, message, line: null, traceback: "" },
  };
}

/** A worker's boot phases, [step, ms], on this page's clock (ms since navigation started). */
function pageTime({ phases = [], time_origin: origin = performance.timeOrigin }) {
  return phases.map(([step, ms]) => [step, Math.round(ms + origin - performance.timeOrigin)]);
}

export class PythonRunner {
  /**
   * workerUrl: URL of pyworker.js. onStatus({state: "loading"|"ready"|"failed", text, spare})
   * follows the worker's progress (spare: "ready", a standby worker is; "none", not yet; "off",
   * this device gets none). Call setPackages() once
   * the problem's packages are known, warmUp() once its tests are. spare: keep a second worker
   * booted, so that stopping runaway code costs no wait (off on devices that report little memory).
   */
  constructor({ workerUrl, onStatus, spare = true }) {
    this.workerUrl = workerUrl;
    this.onStatus = onStatus || (() => {});
    this.useSpare = spare && roomForSpare();
    this.spareTimer = null;
    this.init = null; // the "init" and "warm" messages every worker gets
    this.warm = null;
    this.pending = null; // a job asked for before Python was ready
    this.current = null; // the job the active worker is running
    this.spare = null; // {worker, ready}: a standby worker, promoted when the active one is killed
    this.snapshotSaving = false; // the active worker is still storing its snapshot: no spare yet
    this.nextId = 1;
    this.status = { state: "loading", text: "Loading Python…" };
    this.spawn("Loading Python…");
  }

  get ready() { return Boolean(this.active?.ready); }

  get queued() { return this.pending !== null; }

  startWorker() {
    const handle = { worker: new Worker(this.workerUrl, { type: "module" }), ready: false, warmed: false };
    handle.worker.onmessage = ({ data }) => this.fromWorker(handle, data);
    handle.worker.onerror = (event) => {
      event.preventDefault();
      this.fromWorker(handle, { type: "boot-failed", message: event.message || "the Python worker failed" });
    };
    for (const message of [this.init, this.warm]) if (message) handle.worker.postMessage(message);
    return handle;
  }

  /** Make a new active worker: the ready spare if there is one, else a fresh one. */
  spawn(text) {
    this.failed = false;
    if (this.spare) {
      this.active = this.spare;
      this.spare = null;
    } else {
      this.active = this.startWorker();
    }
    this.report(this.active.ready ? { state: "ready", text: "Ready" } : { state: "loading", text });
    if (this.active.ready) this.afterReady();
  }

  report(status) {
    this.status = status;
    this.onStatus({ ...status, spare: !this.useSpare ? "off" : this.spare?.ready ? "ready" : "none" });
  }

  afterReady() {
    this.dispatch();
    this.spareWhenIdle();
  }

  /** Start the spare once the active worker has been ready, warmed up and idle for SPARE_IDLE_MS. */
  spareWhenIdle() {
    clearTimeout(this.spareTimer);
    const wanted = () => this.useSpare && !this.spare && !this.snapshotSaving && this.active?.ready
      && this.active.warmed && !this.current && !this.pending;
    if (!wanted()) return;
    this.spareTimer = setTimeout(() => {
      if (!wanted()) return;
      this.spare = this.startWorker();
      performance.mark("staticjudge:spare-started");
    }, SPARE_IDLE_MS);
  }

  /** packages: what the problem imports (sent to every worker, which then boots). */
  setPackages(packages) {
    this.init = { type: "init", packages: [...packages] };
    this.active.worker.postMessage(this.init);
  }

  /** problem: {code, tests_source, entries}, the starter code and hidden tests each worker warms up with. */
  warmUp(problem) {
    this.warm = { type: "warm", ...problem };
    this.active.worker.postMessage(this.warm);
  }

  /**
   * Run a job: {kind: "grade"|"script"|"shapes", code, tests_source, entries, tolerance, tests, timeLimit, onEvent}
   * (tolerance: problem.json's, the problem's declared tolerance, or null); a "grade" job may
   * carry the problem's mutants ([{name, description, code, entries}]) for hints.
   * Resolves with a Report, or with null when a newer job replaced this one in the queue.
   */
  run(job) {
    if (this.failed) this.spawn("Loading Python…"); // e.g. the network is back: try again
    return new Promise((resolve) => {
      if (this.pending) this.pending.resolve(null);
      this.pending = { ...job, resolve, id: this.nextId++, running: null, finished: {}, stdout: "" };
      this.dispatch();
    });
  }

  /**
   * "Show shapes": run one hidden test (`test`, or null for the first that fails) with the
   * learner's lines traced. Queued and time-limited like run(); resolves with trace_shapes'
   * result {test, lines, raised, calls, call, stopped, error}, or null when a newer job replaced it.
   */
  shapes({ code, tests_source, entries, tolerance = null, test = null, timeLimit }) {
    return this.run({ kind: "shapes", code, tests_source, entries, tolerance, test, tests: [], timeLimit });
  }

  /** Stop for good (the page cannot run anything, e.g. its problem data did not load). */
  dispose() {
    clearTimeout(this.spareTimer);
    for (const handle of [this.active, this.spare]) handle?.worker.terminate();
    this.active = this.spare = null;
  }

  /** Stop the running job (the learner pressed Stop). */
  stop() {
    if (this.current) this.kill(CANCEL_MESSAGE, "cancelled");
    else if (this.pending) { this.pending.resolve(null); this.pending = null; }
  }

  dispatch() {
    if (!this.ready || this.current || !this.pending) return;
    const job = this.current = this.pending;
    this.pending = null;
    const message = job.kind === "grade" || job.kind === "shapes"
      ? { type: job.kind, id: job.id, code: job.code, tests_source: job.tests_source, entries: job.entries,
        tolerance: job.tolerance ?? null, time_limit: job.timeLimit,
        ...(job.kind === "shapes" ? { test: job.test } : { mutants: job.mutants || [] }) }
      : { type: "script", id: job.id, code: job.code, time_limit: job.timeLimit };
    this.active.worker.postMessage(message);
    performance.mark("staticjudge:run-started");
    this.active.runs = (this.active.runs || 0) + 1;
    // The worker stops Python loops itself at the limit ("timed-out"); this is for code stuck in C.
    job.killAt = performance.now() + job.timeLimit * 1000 + KILL_GRACE_MS;
    this.armKillTimer(job);
  }

  /** (Re)start the running job's kill timer, to fire at job.killAt (plus `allowance` ms). */
  armKillTimer(job, allowance = 0) {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => this.kill(TIME_LIMIT_MESSAGE(job.timeLimit), "timeout"),
      Math.max(0, job.killAt + allowance - performance.now()));
  }

  fromWorker(handle, message) {
    if (message.type === "warmed" && (handle === this.spare || handle === this.active)) {
      handle.warmed = true;
      performance.mark("staticjudge:warmed-up", { detail: { spare: handle === this.spare } });
      if (handle === this.active && handle.ready) this.afterReady();
      return;
    }
    if (handle === this.spare) {
      if (message.type === "boot-failed") { handle.worker.terminate(); this.spare = null; }
      else if (message.type === "progress" && message.stage === "ready") {
        handle.ready = true;
        performance.mark("staticjudge:python-ready", { detail: { boot: message.boot, spare: true } });
        this.report(this.status);
      }
      return;
    }
    if (handle !== this.active) return; // a terminated worker's last words
    if (message.type === "snapshot") {
      this.snapshotSaving = false;
      const { written, take_ms, store_ms, bytes } = message;
      if (message.saved) {
        performance.mark("staticjudge:snapshot-saved", { detail: { written, take_ms, store_ms, bytes } });
        rememberSnapshot();
      }
      if (handle.ready) this.afterReady();
      return;
    }
    if (message.type === "progress") {
      const ready = message.stage === "ready";
      handle.ready = ready;
      if (ready) {
        this.snapshotSaving = message.boot === "made";
        if (message.boot === "restored") rememberSnapshot();
        performance.mark("staticjudge:python-ready",
          { detail: { boot: message.boot, phases: pageTime(message), heap_bytes: message.heap_bytes,
            not_restored: message.not_restored } });
      }
      this.report({ state: ready ? "ready" : "loading", text: message.text });
      if (ready) this.afterReady();
      return;
    }
    if (message.type === "boot-failed") return this.workerFailed(message.message);
    const job = this.current;
    if (!job || message.id !== job.id) return;
    if (message.type === "test_start") job.running = message.name;
    else if (message.type === "test_end") { job.finished[message.result.name] = message.result; job.running = null; }
    else if (message.type === "stdout") job.stdout += message.text;
    else if (message.type === "report") return this.finish(message.report);
    else if (message.type === "shapes") return this.finish(message.result);
    else if (message.type === "timed-out") return this.timedOut();
    else if (message.type === "stdlib-fetch") {
      // The full standard library's download is not the learner's time: while it lasts the
      // timer allows for it (its own timeout bounds it), then moves on by what it took.
      if (message.stage === "end") job.killAt += message.ms;
      this.armKillTimer(job, message.stage === "start" ? STDLIB_FETCH_ALLOWANCE_MS : 0);
    }
    else if (message.type === "crashed") return this.kill(CRASH_MESSAGE, "crash");
    job.onEvent?.(message);
  }

  /** The running job is over (however it ended): no time limit to enforce any more. */
  endCurrent() {
    const job = this.current;
    clearTimeout(job.timer);
    this.current = null;
    performance.mark("staticjudge:run-finished");
    return job;
  }

  finish(report) {
    const job = this.endCurrent();
    if (report.error?.kind === "tests" && this.active.runs > 1 && !job.retried) {
      // Hidden tests that loaded in this interpreter before and fail now: earlier learner code
      // broke it (e.g. edited its internals through gc). Run once more in a fresh interpreter.
      this.active.worker.terminate();
      this.spawn("Restarting Python…");
      if (this.pending) job.resolve(null); // a newer job replaces this one anyway
      else this.pending = { ...job, retried: true, running: null, finished: {}, stdout: "" };
      return this.dispatch();
    }
    job.resolve(report);
    this.dispatch();
    this.spareWhenIdle();
  }

  /** The worker stopped a run at its time limit and is ready for the next one. */
  timedOut() {
    const job = this.endCurrent();
    performance.mark("staticjudge:run-timed-out");
    job.resolve(stoppedReport(job, TIME_LIMIT_MESSAGE(job.timeLimit), "timeout"));
    this.dispatch();
    this.spareWhenIdle();
  }

  /** Terminate the active worker mid-run, report why, and carry on with the spare or a fresh one. */
  kill(message, why) {
    const job = this.current;
    this.active.worker.terminate();
    performance.mark("staticjudge:worker-killed", { detail: { why } });
    if (job) this.endCurrent();
    this.spawn("Restarting Python…");
    if (job) job.resolve(stoppedReport(job, message, why));
  }

  workerFailed(reason) {
    if (this.current) return this.kill(CRASH_MESSAGE, "crash");
    this.failed = true;
    this.active.worker.terminate();
    this.report({ state: "failed", text: `Python could not be loaded (${reason}). Check your connection, then run again to retry.` });
    if (this.pending) {
      const job = this.pending;
      this.pending = null;
      job.resolve(stoppedReport({ ...job, running: null }, `Python could not be loaded: ${reason}`, "unavailable"));
    }
  }
}
