"""What the browser benchmarks share: a built site served on 127.0.0.1, a bare page, the engines.

Every browser bench takes `--engines chromium,firefox,webkit` (default: all three) and measures
each engine in the same run, one after the other, through the tests' driver layer
(tests/browser/engines); an engine that cannot start here is reported and left out.

With PYODIDE_PACKAGES naming a folder that holds NumPy's Pyodide wheel, the site is the shipped
catalogue with that wheel and the bare page imports NumPy. Without it, the site is the browser
tests' pure-Python fixture (tests/fixtures/browser_site, plus its tiny wheel) and the bare page
only boots the core interpreter: every table says which.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from staticjudge.content.parser import load_problems  # noqa: E402
from staticjudge.site.serve import serving  # noqa: E402,F401  (re-exported for the benches)
from tests.browser.engines import ENGINES, EngineUnavailable, launch  # noqa: E402,F401  (launch: re-exported)
from tests.browser.helpers import set_code  # noqa: E402,F401  (re-exported for the benches)
from tests.browser.tinywheel import build_wheel  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "browser_site"
SUB_PATH = "site/"
BOOT_MS = 180_000

# The baseline of "time to ready": the same Pyodide, from the same server, and nothing else.
BARE_HTML = """<!doctype html><meta charset="utf-8"><title>bare</title><p id="state">loading</p>
<script type="module">
const worker = new Worker("worker.js", {type: "module"});
worker.onmessage = ({data}) => {
  performance.mark("bare:ready", {detail: data});
  document.getElementById("state").textContent = data.ok ? "ready" : "failed: " + data.error;
};
</script>
"""
BARE_WORKER = """const PYODIDE = new URL("../%(sub)spyodide/", import.meta.url).href;
const WHEEL = %(wheel)s;
try {
  const { loadPyodide } = await import(PYODIDE + "pyodide.mjs");
  const pyodide = await loadPyodide({ indexURL: PYODIDE });
  if (WHEEL) {
    await pyodide.loadPackage(new URL(WHEEL, import.meta.url).href);
    pyodide.runPython("import numpy");
  }
  self.postMessage({ ok: true });
} catch (error) {
  self.postMessage({ ok: false, error: String(error) });
}
"""


def numpy_folder() -> Path | None:
    folder = os.environ.get("PYODIDE_PACKAGES")
    return Path(folder) if folder and any(Path(folder).glob("numpy-*.whl")) else None


@dataclass
class Site:
    www: Path
    numpy: bool
    slugs: list[str]  # problems of the site, in catalogue order
    problems_root: Path  # has problems/ and hidden_tests/
    pure_wheels: list[Path]  # pure-Python wheels the problems import (importable natively as zips)

    @property
    def label(self) -> str:
        return ("with NumPy (PYODIDE_PACKAGES): shipped problems" if self.numpy else
                "without NumPy (PYODIDE_PACKAGES unset): core interpreter, pure-Python fixture problems")

    @property
    def ready_slug(self) -> str:
        return "self_attention" if self.numpy else "add_numbers"

    def problems(self):
        problems, errors = load_problems(self.problems_root / "problems", self.problems_root / "hidden_tests")
        assert not errors, errors
        return problems


@contextlib.contextmanager
def built_site():
    """Build the site self-hosted (no network) into a temporary folder, plus the bare page."""
    numpy = numpy_folder()
    with tempfile.TemporaryDirectory(prefix="sj-bench-") as scratch:
        scratch = Path(scratch)
        wheels = scratch / "wheels"
        if numpy:
            project = ROOT
            wheels.mkdir()
            for wheel in numpy.glob("*.whl"):
                (wheels / wheel.name).symlink_to(wheel)
        else:
            project = scratch / "project"
            shutil.copytree(FIXTURE / "problems", project / "problems")
            shutil.copytree(FIXTURE / "hidden_tests", project / "hidden_tests")
            build_wheel(wheels)
        www = scratch / "www"
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(project), "build",
                               "--out", str(www / SUB_PATH), "--self-host", "--pyodide-packages", str(wheels)],
                              capture_output=True, text=True, timeout=900)
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)
        runtime = json.loads((www / SUB_PATH / "assets" / "runtime.json").read_text())
        wheel = runtime["wheels"].get("numpy") if numpy else None
        (www / "bare").mkdir()
        (www / "bare" / "index.html").write_text(BARE_HTML)
        (www / "bare" / "worker.js").write_text(BARE_WORKER % {
            "sub": SUB_PATH, "wheel": json.dumps(f"../{SUB_PATH}assets/{wheel}" if wheel else None)})
        site = Site(www, bool(numpy), [], project, [] if numpy else sorted(wheels.glob("*.whl")))
        site.slugs = [p.slug for p in site.problems()]
        yield site


def add_engines_argument(parser) -> None:
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"comma-separated engines to measure, in this order (default: {','.join(ENGINES)})")


def engines(names: str):
    """Yield each engine's browser in turn, launched and closed; print why one cannot start."""
    for name in names.split(","):
        try:
            with launch(name) as browser:
                yield browser
        except EngineUnavailable as exc:
            print(f"\n{name}: not measured: {exc}", flush=True)


def machine(browser=None) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    browser_text = f", {browser.name} {browser.version}" if browser else ""
    return f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()}{browser_text}; load average now {load}"


# ---- Driving a page --------------------------------------------------------------------------
def mark_time(page, name: str, timeout: int = BOOT_MS, index: int = 0) -> float:
    """startTime (ms since navigation) of the index-th performance mark called name, once it exists."""
    page.wait_for_function(f"() => performance.getEntriesByName({json.dumps(name)}).length > {index}",
                           timeout=timeout)
    return page.evaluate(f"() => performance.getEntriesByName({json.dumps(name)})[{index}].startTime")


def mark_details(page, name: str) -> list:
    return page.evaluate(f"() => performance.getEntriesByName({json.dumps(name)}).map((m) => m.detail)")


def open_problem(page, base: str, slug: str) -> None:
    page.goto(f"{base}{SUB_PATH}{slug}/index.html")
    page.wait_for_selector("#problem[data-ready=true]")


def wait_until_warmed_up(page, timeout: int = BOOT_MS) -> None:
    """Both workers ready and warmed up (the spare starts after the active one has warmed up)."""
    page.wait_for_function("() => performance.getEntriesByName('staticjudge:warmed-up')"
                           ".some((m) => m.detail.spare)", timeout=timeout)


# Click a button, then time until the run is over (Stop hidden again), from inside the page.
TIMED_RUN = """async (button) => {
  const stop = document.getElementById("stop-run");
  const started = performance.now();
  document.getElementById(button).click();
  await new Promise((resolve) => {
    const observer = new MutationObserver(() => { if (stop.hidden) { observer.disconnect(); resolve(); } });
    observer.observe(stop, { attributes: true });
  });
  return { ms: performance.now() - started, summary: document.getElementById("summary").textContent };
}"""


def timed_run(page, button: str = "run-tests") -> tuple[float, str]:
    result = page.evaluate(TIMED_RUN, button)
    return result["ms"], result["summary"]


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
