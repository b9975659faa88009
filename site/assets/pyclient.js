// The page side of the Python worker protocol (documented at the top of pyworker.js).
//
// Owns the worker's life: starts it at once, queues a run asked for before Python is ready,
// enforces the time limit by terminating the worker (code stuck in a C loop cannot be
// interrupted, and SharedArrayBuffer needs COOP/COEP headers most static hosts cannot send),
// then starts a fresh worker so the next run works without a reload. A killed run is reported
// like the native runner does: finished tests keep their results, the running one gets the
// reason, the rest "Not run". Such a Report's `stopped` is "timeout", "crash" (the worker
// died), "cancelled" (the learner pressed Stop) or "unavailable" (Python never loaded).

export const TIME_LIMIT_MESSAGE = (limit) =>
  `Time limit exceeded (${limit} s): is there an endless loop, or a much too slow step?`;
const CRASH_MESSAGE = "Python stopped unexpectedly: your code may have used too much memory. "
  + "Python has been restarted; run again when it is ready.";
const CANCEL_MESSAGE = "Stopped by you.";
const NOT_RUN = "Not run: an earlier test did not finish.";

/** The Report of a run that had to be stopped (mirrors staticjudge/runner.py's stopped_report). */
export function stoppedReport(job, message, why) {
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

export class PythonRunner {
  /**
   * workerUrl: URL of pyworker.js. onStatus({state: "loading"|"ready"|"failed", text}) follows
   * the worker's progress. Call setPackages() once the problem's packages are known.
   */
  constructor({ workerUrl, onStatus }) {
    this.workerUrl = workerUrl;
    this.onStatus = onStatus || (() => {});
    this.packages = null;
    this.pending = null; // a job asked for before Python was ready
    this.current = null; // the job the worker is running
    this.nextId = 1;
    this.spawn("Loading Python…");
  }

  spawn(text) {
    this.ready = false;
    this.failed = false;
    const worker = new Worker(this.workerUrl, { type: "module" });
    worker.onmessage = ({ data }) => { if (worker === this.worker) this.handle(data); };
    worker.onerror = (event) => {
      event.preventDefault();
      if (worker === this.worker) this.workerFailed(event.message || "the Python worker failed");
    };
    this.worker = worker;
    this.onStatus({ state: "loading", text });
    if (this.packages) worker.postMessage({ type: "init", packages: this.packages });
  }

  setPackages(packages) {
    this.packages = [...packages];
    this.worker.postMessage({ type: "init", packages: this.packages });
  }

  /**
   * Run a job: {kind: "grade"|"script", code, tests_source, entries, tests, timeLimit, onEvent}.
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

  get queued() { return this.pending !== null; }

  /** Stop for good (the page cannot run anything, e.g. its problem data did not load). */
  dispose() {
    this.worker.terminate();
    this.worker = null;
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
    const message = job.kind === "grade"
      ? { type: "grade", id: job.id, code: job.code, tests_source: job.tests_source, entries: job.entries }
      : { type: "script", id: job.id, code: job.code };
    this.worker.postMessage(message);
    job.timer = setTimeout(() => this.kill(TIME_LIMIT_MESSAGE(job.timeLimit), "timeout"), job.timeLimit * 1000);
  }

  handle(message) {
    if (message.type === "progress") {
      const ready = message.stage === "ready";
      this.onStatus({ state: ready ? "ready" : "loading", text: message.text });
      if (ready) { this.ready = true; this.dispatch(); }
      return;
    }
    if (message.type === "boot-failed") return this.workerFailed(message.message);
    const job = this.current;
    if (!job || message.id !== job.id) return;
    if (message.type === "test_start") job.running = message.name;
    else if (message.type === "test_end") { job.finished[message.result.name] = message.result; job.running = null; }
    else if (message.type === "stdout") job.stdout += message.text;
    else if (message.type === "report") return this.finish(message.report);
    else if (message.type === "crashed") return this.kill(CRASH_MESSAGE, "crash");
    job.onEvent?.(message);
  }

  finish(report) {
    const job = this.current;
    clearTimeout(job.timer);
    this.current = null;
    job.resolve(report);
    this.dispatch();
  }

  /** Terminate the worker mid-run, report why, and start a fresh one at once. */
  kill(message, why) {
    const job = this.current;
    this.worker.terminate();
    this.spawn("Restarting Python…");
    if (job) this.finish(stoppedReport(job, message, why));
  }

  workerFailed(reason) {
    if (this.current) return this.kill(CRASH_MESSAGE, "crash");
    this.failed = true;
    this.worker.terminate();
    this.onStatus({ state: "failed", text: `Python could not be loaded (${reason}). Check your connection, then run again to retry.` });
    if (this.pending) {
      const job = this.pending;
      this.pending = null;
      job.resolve(stoppedReport({ ...job, running: null }, `Python could not be loaded: ${reason}`, "unavailable"));
    }
  }
}
