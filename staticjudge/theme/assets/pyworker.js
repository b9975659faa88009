// The Python worker: boots Pyodide, loads the problem's packages, then runs and grades learner
// code with the shared harness (harness.py + judge.py, called through bridge.py). A module worker,
// because Pyodide 314 ships as an ES module. The page side of this protocol is pyclient.js.
//
// Message protocol (every message is a plain object with a `type`):
//
//   page → worker
//     {type: "init", packages: [name, …]}            once, right after the worker is created
//     {type: "warm", code, tests_source, entries, tolerance}    optional, once: the problem's starter code and
//                                                    hidden tests, graded in the background to warm
//                                                    up (warmup.py), with stand-ins and the starter
//     {type: "grade", id, code, tests_source, entries: [name, …], tolerance, time_limit, mutants}
//                                                    mutants: the problem's, [{name, description,
//                                                    code, entries}], run only when a check fails
//                                                    to name its mistake (harness.MutantHints)
//     {type: "script", id, code, time_limit}         run the code as a script, no grading
//                                                    time_limit: seconds for the whole run
//     {type: "shapes", id, code, tests_source, entries, tolerance, test, time_limit}
//                                                    "Show shapes": run the hidden test named `test`
//                                                    (null: the first that fails) with the learner's
//                                                    lines traced (harness.trace_shapes, shapes.py)
//
//   worker → page
//     {type: "progress", stage: "python" | "package" | "ready", text}
//         with stage "ready" also `boot`: "restored" (from the memory snapshot), "made" (cold
//         boot that made the snapshot, being saved now) or "cold" (no snapshot), and `phases`:
//         [step, ms since time_origin (the worker's performance.timeOrigin)], where its time went;
//         heap_bytes: the size of Python's WebAssembly memory; not_restored: why a snapshot
//         that was expected could not be used (null when none was stored yet)
//     {type: "snapshot", saved: bool, written, take_ms, store_ms, bytes}
//                                                    after boot "made": the snapshot is stored (or
//                                                    not); a spare worker started now restores it.
//                                                    written: false when another tab had stored it.
//                                                    take_ms/store_ms: making and storing it; bytes:
//                                                    its memory's size
//     {type: "warmed"}                               the background warm-up is over (once)
//     {type: "boot-failed", message}                 Python could not be loaded at all
//     {type: "test_start", id, name, title}          a hidden test starts…
//     {type: "test_end", id, result}                 …and ends (result as in a Report)
//     {type: "stdout", id, text}                     the learner printed (already capped)
//     {type: "report", id, report}                   the run is over: a harness Report
//     {type: "shapes", id, result}                   a "shapes" job is over: trace_shapes' result
//                                                    {test, lines, raised, calls, call, stopped, error}
//     {type: "timed-out", id}                        the run passed its time limit and was stopped
//                                                    inside Python (the worker stays usable)
//     {type: "crashed", id, message}                 the interpreter itself failed mid-run
//     {type: "stdlib-fetch", id, stage: "start" | "end", ms}
//                                                    the run imported a module the trimmed library
//                                                    left out: the full library is being fetched
//                                                    (once). Its time does not count against the
//                                                    run's limit: the worker moves its deadline by
//                                                    `ms`, and the page its own kill timer
//
// The standard library: when the build trimmed it (runtime.json's "stdlib", site/stdlib.py), the
// worker boots from that copy (loadPyodide's stdLibURL) and, once its snapshot is taken, installs
// the fallback the copy carries (_staticjudge_fullstdlib): importing a module it left out fetches
// Pyodide's full python_stdlib.zip once (a synchronous request, as imports are), and goes on.
//
// Jobs are handled one at a time, in order; the page sends one only after "ready". Once ready,
// and whenever no job waits, the worker warms up (warmup.py): a few short background runs, so the
// learner's first run does not pay for compiling the interpreter's hot paths.
//
// Runaway code: CPython polls Pyodide's "interrupt buffer" every few dozen bytecodes, and the
// worker hands it an object whose [0] reads SIGINT once the job's time limit has passed, so a
// Python loop stops by itself (harness.TimeUp) and the worker stays usable. No SharedArrayBuffer
// is needed, since the deadline is a clock, not a message. Code stuck in C (a huge NumPy call)
// does not poll: for that the page terminates the whole worker a moment later. Stopping by
// itself matters most on WebKit (2.50), where a terminated worker stuck in a WebAssembly loop
// went on spinning a CPU core for good.
//
// Booting: when every package the problem needs is a wheel without dependencies (shipped with the
// site, or named by Pyodide's lock file), the worker
// restores an interpreter with them imported and the harness loaded from a memory snapshot
// (snapshot.js). Without one, it boots cold with the wheels preloaded so that it can take that
// snapshot right after posting "ready", in the same task, so before any job (learner code) runs;
// any snapshot error means a plain cold boot (loadPackage) and the bad stored entry is deleted.

import * as snapshot from "./snapshot.js";
import { compileEarly, withEarlyModule, withoutSecondFetch, withSmallCompilesAtOnce } from "./wasm-early.js";

const HOME = "/home/pyodide";
const runtimeUrl = new URL("runtime.json", import.meta.url);

let pyodide = null;
let bridge = null; // Python functions: grade(code, tests, entries_json, emit, mutants_json), script(code, emit), warm(…), shapes(…)
let packagesWanted;
const packagesGiven = new Promise((resolve) => { packagesWanted = resolve; });
const queue = [];
// The warm-up runs left (warmup.py): [kind, {code, tests_source, entries}?]; the problem's own are
// added by "warm". "warmed" is posted once, when none are left.
const warmUp = { steps: [["sample"], ["sample"]], timer: null, done: false };
// Runs of the page's hidden tests against stand-ins. The browser optimises WebAssembly code in
// the background once it has run often enough; a worker restored from the snapshot has run
// little, so its first learner runs paid for that, ~1.5x slower while it went on. Measured on
// warm visits (4 problems x 3): 12 runs instead of 2 took the first run from 80 to 45 ms and
// the next ones from 51 to 37 ms (a cold boot runs enough Python that it hardly matters).
const STAND_IN_RUNS = 12;
// How long the snapshot store may take to answer before the worker goes on without it (snapshot.js,
// withDeadline): a 40 MB read takes 0.1-0.8 s here, a write 0.2-0.5 s.
const STORE_ANSWERS_MS = 5000;
const STORE_WRITES_MS = 30000;

// Where a boot's time went: [step, ms since this worker started], sent with "ready" (for bench/).
const phases = [];
// Why this boot did not restore a snapshot (none stored yet says nothing): sent with "ready".
let notRestored = null;
const phase = (step) => phases.push([step, Math.round(performance.now())]);

const DISPLAY_NAMES = { numpy: "NumPy", scipy: "SciPy", pandas: "pandas" };
const post = (message) => self.postMessage(message);
const wheelKey = (name) => name.toLowerCase().replace(/[-_.]+/g, "-");
const importName = (name) => name.replace(/-/g, "_");
const displayNames = (names) => names.map((n) => DISPLAY_NAMES[n] || n).join(", ");

async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

async function loadPackages(runtime, names) {
  const wheels = runtime.wheels || {};
  for (const name of names) {
    post({ type: "progress", stage: "package", text: `Loading ${displayNames([name])}…` });
    const key = wheelKey(name);
    // A wheel shipped with the site is loaded by its URL: by name, the lock file's version would be
    // requested, which may not be the file we have.
    const target = wheels[key] ? new URL(wheels[key], runtimeUrl).href : name;
    const errors = [];
    await pyodide.loadPackage(target, { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
    try {
      // Pay the import now rather than in the learner's first run.
      pyodide.runPython(`import ${importName(name)}`);
    } catch (_) {
      // Either the package failed to load, or its module has another name than the package.
      if (errors.length) throw new Error(`package ${name} did not load: ${errors.join("; ")}`);
    }
  }
}

/** Wheels preloaded into the snapshot: installed from files, so only imported here. */
function importPreloaded(names) {
  for (const name of names) {
    try {
      pyodide.runPython(`import ${importName(name)}`);
    } catch (_) { /* its module has another name than the package */ }
  }
}

// Loads the harness (before the snapshot is taken, so a restore has it).
const PRELUDE = `
import sys, types
sys.path.insert(0, ${JSON.stringify(HOME)})
try:
    import judge
except ImportError as exc:
    # Problems without NumPy: keep the harness importable; \`from judge import …\` explains.
    judge = types.ModuleType("judge")
    def _missing(name, _why=str(exc)):
        if name.startswith("__"):  # hasattr(judge, "__file__") (inspect, pickle) must stay False
            raise AttributeError(name)
        raise ImportError(f"the judge helpers need NumPy, which this problem does not load ({_why})")
    judge.__getattr__ = _missing
    sys.modules["judge"] = judge
import harness
`;

// Imports that grading needs soon; paid before a snapshot, so a restore has them for free.
const WARMUP = `
${snapshot.WARMUP}
import sys
if "numpy" in sys.modules:
    import numpy.fft, numpy.linalg, numpy.random
`;

// Run after the snapshot: bridge.py (a harness file) makes the JS-facing functions (proxies
// cannot live in a snapshot).
const BRIDGE = "import bridge\n(bridge.grade, bridge.script, bridge.warm, bridge.shapes)";

/**
 * The wheels to preload into a snapshot, [{name, url, sha256}]: shipped with the site, else named
 * by Pyodide's lock file (the CDN's wheels). null when one has dependencies or is unknown: such
 * problems boot cold with loadPackage.
 */
async function snapshotWheels(runtime, names, indexURL, packageBaseUrl) {
  const wheels = [];
  let lock;
  for (const name of names) {
    const shipped = runtime.wheels?.[wheelKey(name)];
    if (shipped) {
      wheels.push({ name, url: new URL(shipped, runtimeUrl).href, sha256: runtime.wheel_sha256?.[wheelKey(name)] || "" });
      continue;
    }
    lock ??= await fetch(new URL("pyodide-lock.json", indexURL)).then((r) => (r.ok ? r.json() : null), () => null);
    const entry = lock?.packages?.[wheelKey(name)];
    if (!entry || !packageBaseUrl || entry.depends?.length) return null;
    wheels.push({ name, url: new URL(entry.file_name, packageBaseUrl).href, sha256: entry.sha256 });
  }
  return wheels;
}

/**
 * What the snapshot store holds for these packages: a record, null, or "damaged". Read as soon as
 * the packages are known, while runtime.json and the loader load. Rejects where the browser lets
 * the page keep nothing (no OPFS or IndexedDB, private modes) or the store does not answer: then the
 * worker boots cold, and takes and writes no snapshot.
 */
async function readSnapshots(packages) {
  const reading = snapshot.readSnapshot(runtimeUrl, snapshot.slotOf(packages));
  const stored = await snapshot.withDeadline(reading, STORE_ANSWERS_MS, "reading the snapshot").catch((error) => {
    if (!(error instanceof snapshot.Damaged)) throw error;
    console.warn("memory snapshot unreadable:", error);
    return "damaged";
  });
  phase(stored && stored !== "damaged" ? "snapshot read" : "no snapshot stored");
  return stored;
}

/** The restored interpreter, or null (no snapshot of this key, or an unusable one: deleted). */
async function tryRestore(load, create, options, key, packages, stored) {
  if (!stored || (stored !== "damaged" && stored.id !== key.id)) return null; // another build's: replaced once made
  try {
    if (stored === "damaged") throw new Error("the stored snapshot is damaged");
    const py = await snapshot.restoreSnapshot(load, create, options, stored, phase);
    phase("restored");
    // Proof it works before trusting it with learner code: the packages and harness are there.
    py.runPython(`import sys\nassert "harness" in sys.modules\n${packages.map((n) => `import ${importName(n)}`).join("\n")}`);
    return py;
  } catch (error) {
    console.warn("memory snapshot unusable, booting cold:", error);
    notRestored = `the stored snapshot was unusable: ${error?.message ?? error}`;
    snapshot.deleteSnapshot(runtimeUrl, key.slot);
    return null;
  }
}

async function boot() {
  phase("worker started");
  post({ type: "progress", stage: "python", text: "Loading Python…" });
  const snapshots = packagesGiven.then(readSnapshots);
  snapshots.catch(() => {}); // awaited below, where snapshots are supported
  const runtime = JSON.parse(await fetchText(runtimeUrl));
  phase("runtime.json");
  const indexURL = new URL(runtime.pyodide_url, runtimeUrl).href;
  const harnessFiles = Promise.all(runtime.harness.map(async (name) => [name, await fetchText(new URL(name, runtimeUrl))]));
  const wasmUrl = new URL("pyodide.asm.wasm", indexURL).href;
  const compiled = compileEarly(wasmUrl);
  compiled.then(() => phase("pyodide.asm.wasm compiled"));
  // Fetched and parsed in parallel: the restore needs both modules, a cold boot the second one too.
  const createModule = import(new URL("pyodide.asm.mjs", indexURL).href).then((m) => {
    phase("pyodide.asm.mjs");
    return withEarlyModule(m.default, compiled);
  });
  createModule.catch(() => {}); // unused when snapshots are not supported
  const loader = withSmallCompilesAtOnce(() => import(new URL("pyodide.mjs", indexURL).href));
  loader.then(() => phase("pyodide.mjs"), () => {}); // awaited below
  const packages = await packagesGiven;
  const options = { indexURL };
  if (runtime.stdlib) options.stdLibURL = new URL(runtime.stdlib.url, runtimeUrl).href;
  if (runtime.package_base_url) options.packageBaseUrl = new URL(runtime.package_base_url, runtimeUrl).href;

  const wheels = snapshot.supported(runtime)
    ? await snapshotWheels(runtime, packages, indexURL, options.packageBaseUrl) : null;
  let how = "cold", session = null, key = null;
  if (wheels) {
    const files = await harnessFiles;
    key = await snapshot.snapshotKey(runtime, wheels, files, packages);
    const found = await snapshots.then((stored) => ({ stored }), (error) => {
      console.warn("no memory snapshots here, booting cold:", error);
      notRestored = `no snapshot store: ${error?.message ?? error}`;
    });
    if (found) {
      const { loadPyodide } = await loader;
      const create = await createModule;
      pyodide = await withoutSecondFetch(wasmUrl, compiled,
        () => tryRestore(loadPyodide, create, options, key, packages, found.stored));
      if (pyodide) {
        how = "restored";
        await setUpHarness(files, false);
      } else {
        try {
          session = await withoutSecondFetch(wasmUrl, compiled,
            () => bootToSnapshot(loadPyodide, create, options, wheels, packages, files, runtime));
        } catch (error) {
          console.warn("snapshot boot failed, booting cold:", error);
          notRestored = `${notRestored ? `${notRestored}; then ` : ""}the boot that makes a snapshot failed: ${error?.message ?? error}`;
          pyodide = null;
        }
      }
    }
  }
  if (!pyodide) {
    const { loadPyodide } = await loader;
    pyodide = await loadPyodide(options);
    await loadPackages(runtime, packages);
    await setUpHarness(await harnessFiles, true);
  }
  // Python, the packages and the harness are loaded. The rest of this function runs in this same
  // task, so no job (learner code) can run before the snapshot, and "ready" need not wait for it:
  // a run asked for at once waits ~0.1-0.3 s.
  phase("harness");
  if (!wheels && !notRestored) notRestored = "these packages cannot be snapshotted";
  post({ type: "progress", stage: "ready", text: "Ready", boot: session ? "made" : how, phases,
    time_origin: performance.timeOrigin, heap_bytes: pyodide._module?.HEAP8?.length ?? null,
    not_restored: how === "restored" ? null : notRestored });
  if (how !== "restored") pyodide.runPython(WARMUP);
  const startedTaking = performance.now();
  const taken = session && takeSnapshot(session);
  const took = performance.now() - startedTaking;
  if (runtime.stdlib) installFullStdlib(new URL("python_stdlib.zip", indexURL).href);
  const [grade, script, warm, shapes] = pyodide.runPython(BRIDGE).toJs({ depth: 1 });
  bridge = { grade, script, warm, shapes };
  if (session) {
    // The learner need not wait for the 40 MB write either.
    if (!taken) post({ type: "snapshot", saved: false });
    else {
      const startedStoring = performance.now();
      const timing = () => ({ take_ms: took, store_ms: performance.now() - startedStoring, bytes: taken.memory.length });
      snapshot.withDeadline(snapshot.storeSnapshot(runtimeUrl, key, taken), STORE_WRITES_MS, "storing the snapshot").then(
        (written) => post({ type: "snapshot", saved: true, written, ...timing() }),
        (error) => { console.warn("memory snapshot not saved:", error); post({ type: "snapshot", saved: false, ...timing() }); });
    }
  }
}

/** The trimmed standard library's fallback (after any snapshot: it holds a JavaScript function). */
function installFullStdlib(url) {
  const path = "/lib/python_stdlib_full.zip";
  const fetchFull = () => {
    // Mid-run, the download is the page's, not the learner's: it does not count against the limit.
    const run = currentRun;
    const started = performance.now();
    if (run) post({ type: "stdlib-fetch", id: run.id, stage: "start" });
    try {
      return fetchInto(path);
    } finally {
      const ms = performance.now() - started;
      if (run) {
        run.deadline += ms;
        post({ type: "stdlib-fetch", id: run.id, stage: "end", ms });
      }
    }
  };
  const fetchInto = (target) => {
    const request = new XMLHttpRequest();
    request.open("GET", url, false); // synchronous: Python's import waits for it
    request.timeout = STDLIB_FETCH_TIMEOUT_MS; // a stalled network fails the import, never hangs the run
    let binary = true;
    try {
      request.responseType = "arraybuffer";
    } catch (_) { // an engine that refuses it for synchronous requests: bytes as x-user-defined text
      binary = false;
      request.overrideMimeType("text/plain; charset=x-user-defined");
    }
    request.send();
    if (request.status !== 200) throw new Error(`${url} answered ${request.status}`);
    const bytes = binary ? new Uint8Array(request.response)
      : Uint8Array.from(request.responseText, (c) => c.charCodeAt(0) & 0xff);
    pyodide.FS.writeFile(target, bytes);
    return target;
  };
  try {
    pyodide.pyimport("_staticjudge_fullstdlib").install(fetchFull);
  } catch (error) {
    console.warn("the standard library's fallback is not installed:", error);
  }
}

function takeSnapshot(session) {
  try {
    return snapshot.takeSnapshot(pyodide, session);
  } catch (error) {
    console.warn("no memory snapshot:", error);
    return null;
  }
}

/** Cold boot with the wheels preloaded; the session to snapshot, or null if they could not be. */
async function bootToSnapshot(load, create, options, wheels, packages, harnessFiles, runtime) {
  if (packages.length) post({ type: "progress", stage: "package", text: `Loading Python and ${displayNames(packages)}…` });
  const wheelsReady = snapshot.fetchWheels(wheels); // unpacked while the core downloads and compiles
  wheelsReady.then(() => phase("wheels fetched, .so compiled"), () => {});
  const { pyodide: py, session } = await snapshot.bootForSnapshot(load, create, options, wheelsReady, phase);
  phase("loadPyodide");
  pyodide = py;
  if (session.preloaded) {
    snapshot.installWheels(pyodide, session);
    phase("wheels installed");
    importPreloaded(packages);
    phase("imported");
  } else {
    await loadPackages(runtime, packages);
  }
  await setUpHarness(harnessFiles, true);
  return session.preloaded ? session : null;
}

/** Write the harness files (a snapshot does not hold files); import them unless restored. */
async function setUpHarness(files, run) {
  pyodide.FS.mkdirTree(HOME);
  for (const [name, source] of files) pyodide.FS.writeFile(`${HOME}/${name}`, source);
  if (run) pyodide.runPython(PRELUDE);
}

const SIGINT = 2;

// The run in progress ({id, deadline}: performance.now() past which it is stopped), else null.
let currentRun = null;
const STDLIB_FETCH_TIMEOUT_MS = 120_000;

/**
 * Pyodide's interrupt "buffer", read by CPython as it runs: SIGINT once, when `run.deadline` has
 * passed. Only once: the TimeUp it raises is turned into a JS error by running Python too, and a
 * second SIGINT there would interrupt that (learner code that swallows TimeUp is terminated by
 * the page instead).
 */
function deadlineSignal(run) {
  let sent = false;
  return {
    get 0() {
      if (sent || performance.now() <= run.deadline) return 0;
      sent = true;
      return SIGINT;
    },
    set 0(_cleared) {}, // CPython clears the buffer after each read
  };
}

function runJob(job) {
  const emit = (json) => post({ ...JSON.parse(json), id: job.id });
  currentRun = { id: job.id, deadline: job.time_limit ? performance.now() + job.time_limit * 1000 : Infinity };
  if (job.time_limit) pyodide.setInterruptBuffer(deadlineSignal(currentRun));
  try {
    if (job.type === "shapes") {
      const result = bridge.shapes(job.code, job.tests_source, JSON.stringify(job.entries), job.test ?? null,
        job.time_limit ?? null, JSON.stringify(job.tolerance ?? null));
      post({ type: "shapes", id: job.id, result: JSON.parse(result) });
      return;
    }
    const reportJson = job.type === "grade"
      ? bridge.grade(job.code, job.tests_source, JSON.stringify(job.entries), emit, JSON.stringify(job.mutants || []),
                     JSON.stringify(job.tolerance ?? null))
      : bridge.script(job.code, emit);
    post({ type: "report", id: job.id, report: JSON.parse(reportJson) });
  } catch (error) {
    if (error?.type === "TimeUp") post({ type: "timed-out", id: job.id });
    // The harness catches everything the learner's code raises; this is the interpreter failing.
    else post({ type: "crashed", id: job.id, message: String(error && error.message || error) });
  } finally {
    currentRun = null;
    pyodide.setInterruptBuffer(undefined);
  }
}

function drain() {
  // Runs are synchronous, so the queue only fills up while Python is booting or warming up.
  if (!bridge) return;
  while (queue.length) runJob(queue.shift());
  scheduleWarmUp();
}

/** One warm-up run per task, and only while no job waits: a job is never held up by more than one. */
function scheduleWarmUp() {
  if (warmUp.done || warmUp.timer !== null) return;
  if (warmUp.steps.length) warmUp.timer = setTimeout(warmUpStep, 0);
  else {
    warmUp.done = true;
    post({ type: "warmed" });
  }
}

function warmUpStep() {
  warmUp.timer = null;
  if (!bridge || queue.length) return; // drain() schedules the rest
  const [kind, problem] = warmUp.steps.shift();
  try {
    if (problem) bridge.warm(kind, problem.tests_source, JSON.stringify(problem.entries), problem.code,
                            JSON.stringify(problem.tolerance ?? null));
    else bridge.warm(kind);
  } catch (error) {
    console.warn("warm-up run failed:", error);
    warmUp.steps = [];
  }
  scheduleWarmUp();
}

self.onmessage = ({ data }) => {
  if (data.type === "init") packagesWanted(data.packages || []);
  else if (data.type === "warm") {
    if (warmUp.done) return; // too late to matter: the learner is running code by now
    for (let run = 0; run < STAND_IN_RUNS; run++) warmUp.steps.push(["stand-ins", data]);
    warmUp.steps.push(["starter", data]);
    scheduleWarmUp();
  }
  else if (data.type === "grade" || data.type === "script" || data.type === "shapes") {
    queue.push(data);
    drain();
  }
};

boot().then(drain, (error) => post({ type: "boot-failed", message: String(error && error.message || error) }));
