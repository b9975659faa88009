// The Python worker: boots Pyodide, loads the problem's packages, then runs and grades learner
// code with the shared harness (harness.py + judge.py). A module worker, because Pyodide 314
// ships as an ES module. The page side of this protocol is pyclient.js.
//
// Message protocol (every message is a plain object with a `type`):
//
//   page → worker
//     {type: "init", packages: [name, …]}            once, right after the worker is created
//     {type: "grade", id, code, tests_source, entries: [name, …]}
//     {type: "script", id, code}                     run the code as a script, no grading
//
//   worker → page
//     {type: "progress", stage: "python" | "package" | "ready", text}
//     {type: "boot-failed", message}                 Python could not be loaded at all
//     {type: "test_start", id, name, title}          a hidden test starts…
//     {type: "test_end", id, result}                 …and ends (result as in a Report)
//     {type: "stdout", id, text}                     the learner printed (already capped)
//     {type: "report", id, report}                   the run is over: a harness Report
//     {type: "crashed", id, message}                 the interpreter itself failed mid-run
//
// Jobs are handled one at a time, in order; the page sends one only after "ready". Core loading
// starts as soon as this module is evaluated, before "init" arrives. Runaway code is not this
// module's business: the page terminates the whole worker when a run exceeds its time limit.

const HOME = "/home/pyodide";
const runtimeUrl = new URL("runtime.json", import.meta.url);

let pyodide = null;
let bridge = null; // Python functions: grade(code, tests, entries_json, emit), script(code, emit)
let packagesWanted;
const packagesGiven = new Promise((resolve) => { packagesWanted = resolve; });
const queue = [];

const DISPLAY_NAMES = { numpy: "NumPy", scipy: "SciPy", pandas: "pandas" };
const post = (message) => self.postMessage(message);

async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

async function loadPackages(runtime, names) {
  const wheels = runtime.wheels || {};
  for (const name of names) {
    post({ type: "progress", stage: "package", text: `Loading ${DISPLAY_NAMES[name] || name}…` });
    const key = name.toLowerCase().replace(/[-_.]+/g, "-");
    // A wheel shipped with the site is loaded by its URL: by name, the lock file's version would be
    // requested, which may not be the file we have.
    const target = wheels[key] ? new URL(wheels[key], runtimeUrl).href : name;
    const errors = [];
    await pyodide.loadPackage(target, { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
    try {
      // Pay the import now rather than in the learner's first run.
      pyodide.runPython(`import ${name.replace(/-/g, "_")}`);
    } catch (_) {
      // Either the package failed to load, or its module has another name than the package.
      if (errors.length) throw new Error(`package ${name} did not load: ${errors.join("; ")}`);
    }
  }
}

const BRIDGE = `
import json, sys, types
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

def _grade(code, tests_source, entries_json, emit):
    return harness.grade_json(code, tests_source, entries_json, lambda e: emit(json.dumps(e)))

def _script(code, emit):
    return harness.run_script_json(code, lambda e: emit(json.dumps(e)))

(_grade, _script)
`;

async function boot() {
  post({ type: "progress", stage: "python", text: "Loading Python…" });
  const runtime = JSON.parse(await fetchText(runtimeUrl));
  const indexURL = new URL(runtime.pyodide_url, runtimeUrl).href;
  const { loadPyodide } = await import(new URL("pyodide.mjs", indexURL).href);
  const options = { indexURL };
  if (runtime.package_base_url) options.packageBaseUrl = new URL(runtime.package_base_url, runtimeUrl).href;
  const [py, harnessFiles] = await Promise.all([
    loadPyodide(options),
    Promise.all(runtime.harness.map(async (name) => [name, await fetchText(new URL(name, runtimeUrl))])),
  ]);
  pyodide = py;
  for (const [name, source] of harnessFiles) pyodide.FS.writeFile(`${HOME}/${name}`, source);
  await loadPackages(runtime, await packagesGiven);
  const [grade, script] = pyodide.runPython(BRIDGE).toJs({ depth: 1 });
  bridge = { grade, script };
  post({ type: "progress", stage: "ready", text: "Ready" });
}

function runJob(job) {
  const emit = (json) => post({ ...JSON.parse(json), id: job.id });
  try {
    const reportJson = job.type === "grade"
      ? bridge.grade(job.code, job.tests_source, JSON.stringify(job.entries), emit)
      : bridge.script(job.code, emit);
    post({ type: "report", id: job.id, report: JSON.parse(reportJson) });
  } catch (error) {
    // The harness catches everything the learner's code raises; this is the interpreter failing.
    post({ type: "crashed", id: job.id, message: String(error && error.message || error) });
  }
}

function drain() {
  // Runs are synchronous, so the queue only fills up while Python is still booting.
  if (!bridge) return;
  while (queue.length) runJob(queue.shift());
}

self.onmessage = ({ data }) => {
  if (data.type === "init") packagesWanted(data.packages || []);
  else if (data.type === "grade" || data.type === "script") {
    queue.push(data);
    drain();
  }
};

boot().then(drain, (error) => post({ type: "boot-failed", message: String(error && error.message || error) }));
