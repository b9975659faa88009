"""Which standard library modules a grading run imports in Pyodide: the trace behind the trimmed
standard library (staticjudge/site/stdlib.py's TRACED).

    PYODIDE_PACKAGES=/path/to/wheels python bench/stdlib_trace.py

In Chromium, a worker boots the site's Pyodide with its full standard library, loads NumPy, the
harness (as pyworker.js does), the snapshot's warm-up imports, runs warmup.py's sample, then
grades every shipped problem's solution, starter and mutants, runs each as a script and traces
its shapes. It prints every module then imported from the standard library's zip, as top-level
names (what TRACED lists), and the encodings used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from browser_site import SUB_PATH, built_site, engines, serving
from staticjudge.runtime import RUNTIME_FILES

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_JS = (ROOT / "staticjudge" / "theme" / "assets" / "snapshot.js").read_text()
WARMUP = re.search(r'export const WARMUP = "([^"]*)"', SNAPSHOT_JS).group(1)

PAGE = """<!doctype html><meta charset="utf-8"><script type="module">
const worker = new Worker("trace-worker.js", {type: "module"});
worker.onmessage = ({data}) => { window.traced = data; };
</script>"""
WORKER = """const PYODIDE = new URL("../%(sub)spyodide/", import.meta.url).href;
const JOBS = await (await fetch("trace-jobs.json")).json();
try {
  const { loadPyodide } = await import(PYODIDE + "pyodide.mjs");
  const py = await loadPyodide({ indexURL: PYODIDE });
  await py.loadPackage(new URL(JOBS.wheel, import.meta.url).href);
  py.FS.mkdirTree("/home/pyodide");
  for (const [name, source] of Object.entries(JOBS.files)) py.FS.writeFile("/home/pyodide/" + name, source);
  py.globals.set("JOBS", py.toPy(JOBS));
  self.postMessage({ ok: true, result: py.runPython(JOBS.script) });
} catch (error) {
  self.postMessage({ ok: false, error: String(error) });
}
"""
SCRIPT = """
import sys
sys.path.insert(0, "/home/pyodide")
import numpy, numpy.fft, numpy.linalg, numpy.random
import judge, harness
exec(JOBS["warmup"])
import bridge
bridge.warm("sample")
for p in JOBS["problems"]:
    for code in [p["solution"], p["starter"], *p["mutants"]]:
        bridge.grade(code, p["tests_source"], p["entries"], lambda e: None)
        bridge.script(code, lambda e: None)
        bridge.shapes(code, p["tests_source"], p["entries"], None, 10)
zipped = sorted(name for name, m in list(sys.modules.items())
                if (getattr(m, "__file__", None) or "").startswith("/lib/python3"))
import json
json.dumps({"modules": zipped, "paths": sys.path})
"""


def main() -> None:
    with built_site() as site:
        runtime = json.loads((site.www / SUB_PATH / "assets" / "runtime.json").read_text())
        problems = [{"solution": p.solution.code, "starter": p.starter.code,
                     "mutants": [m.code for m in getattr(p, "mutants", ())],
                     "tests_source": p.tests_source, "entries": json.dumps(list(p.entry))} for p in site.problems()]
        folder = site.www / "trace"
        folder.mkdir()
        (folder / "index.html").write_text(PAGE)
        (folder / "trace-worker.js").write_text(WORKER % {"sub": SUB_PATH})
        assets = site.www / SUB_PATH / "assets"
        (folder / "trace-jobs.json").write_text(json.dumps({
            "wheel": f"../{SUB_PATH}assets/{runtime['wheels']['numpy']}", "script": SCRIPT,
            "warmup": WARMUP, "problems": problems,
            "files": {name: (assets / name).read_text() for name in RUNTIME_FILES}}))
        with serving(site.www) as base:
            for browser in engines("chromium"):
                page = browser.new_context().new_page()
                page.goto(f"{base}trace/index.html")
                page.wait_for_function("() => window.traced", timeout=600_000)
                traced = page.evaluate("() => window.traced")
                if not traced["ok"]:
                    raise SystemExit(traced["error"])
                found = json.loads(traced["result"])
                print("sys.path:", found["paths"])
                print("top-level:", sorted({m.split(".")[0] for m in found["modules"]}))
                print("encodings:", sorted(m for m in found["modules"] if m.startswith("encodings.")))
                print("all:", found["modules"])


if __name__ == "__main__":
    main()
