"""The first visit over a throttled network: the product against the bare Pyodide+NumPy page.

    PYODIDE_PACKAGES=/path/to/wheels python bench/network.py [--runs 3] [--engines chromium,firefox,webkit]
        [--networks 10:40,50:20] [--dwell 3]

Both pages come from one server that compresses as static hosts do (GitHub Pages, Netlify,
Cloudflare): gzip for text, JavaScript, JSON and WebAssembly when the browser accepts it, never
for archives (the standard library zip, wheels), with an ETag and `Cache-Control: max-age=600`.
Each network is `Mbit/s:RTT ms`. Chromium is throttled by its own network emulation (CDP
`Network.emulateNetworkConditions` on the page; it covers the page's workers too). Firefox
(WebDriver BiDi) and WebKit (WebKitWebDriver) offer no throttling to automation, so for them the
server shapes instead: one link of that bandwidth shared by every response, each response's first
byte held back by one RTT.

Per network and run, each in a fresh profile (empty HTTP cache and storage), order alternating:
- cold: the problem page opened directly (`self_attention`), navigation start → "Ready";
- bare: the bare page (browser_site.BARE_HTML: the same Pyodide core and the same NumPy wheel as
  released, full standard library), navigation start → its ready mark;
- index → problem: the index opened, left `--dwell` seconds (it may warm Python up:
  prewarm.js), then the first problem clicked; timed from that page's navigation start.
Reported: time to ready, time to first paint of the statement (the page's first contentful paint;
the statement is in the HTML), and the bytes the server sent before "Ready" (bodies as sent, so
compressed, plus headers), from the first request of the visit.
Targets (issue 29): cold ≤ 0.85× the bare page at 10 Mbit/s, ≤ 1.0× at 50 Mbit/s.
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import http.server
import os
import shutil
import threading
import time
from pathlib import Path

from browser_site import (BARE_WORKER, SUB_PATH, add_engines_argument, built_site, engines, machine, mark_details,
                          mark_time, median, numpy_folder, table)
from staticjudge.site.serve import MIME_TYPES, SiteServer

READY = "staticjudge:python-ready"
# What static hosts compress (by type): text, scripts, JSON, WebAssembly. Not zips or wheels.
COMPRESSED = {".html", ".css", ".js", ".mjs", ".json", ".wasm", ".py", ".svg", ".txt", ".map"}
CHUNK = 16 * 1024


class Link:
    """The network the server is behind: bandwidth shared by every response, an RTT before each
    response's first byte; and a log of (wall time, bytes) of everything sent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rate = 0.0  # bytes/s; 0: not shaped
        self.rtt = 0.0
        self.free_at = 0.0
        self.sent: list[tuple[float, int]] = []

    def shape(self, mbit: float = 0, rtt_ms: float = 0) -> None:
        with self.lock:
            self.rate, self.rtt, self.free_at = mbit * 1e6 / 8, rtt_ms / 1000, 0.0

    def send(self, write, data: bytes) -> None:
        for at in range(0, len(data), CHUNK):
            chunk = data[at:at + CHUNK]
            if self.rate:
                with self.lock:
                    start = max(time.time(), self.free_at)
                    self.free_at = start + len(chunk) / self.rate
                    until = self.free_at
                delay = until - time.time()
                if delay > 0:
                    time.sleep(delay)
            write(chunk)
            with self.lock:
                self.sent.append((time.time(), len(chunk)))

    def reset(self) -> None:
        with self.lock:
            self.sent = []

    def bytes_before(self, wall: float, since: float = 0.0) -> int:
        with self.lock:
            return sum(n for t, n in self.sent if since <= t <= wall)


LINK = Link()
_GZIPPED: dict[tuple[str, float], bytes] = {}


class StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_GET(self):  # noqa: N802
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return
        stat = path.stat()
        body = path.read_bytes()
        etag = f'"{hashlib.md5(body).hexdigest()}"'
        gzipped = path.suffix in COMPRESSED and "gzip" in self.headers.get("Accept-Encoding", "")
        if gzipped:
            key = (str(path), stat.st_mtime)
            if key not in _GZIPPED:
                _GZIPPED[key] = gzip.compress(body, compresslevel=6, mtime=0)
            body = _GZIPPED[key]
            etag = etag[:-1] + '-gz"'
        if LINK.rtt:
            time.sleep(LINK.rtt)
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.send_header("ETag", etag)
        self.send_header("Cache-Control", "max-age=600")
        if path.suffix in COMPRESSED:
            self.send_header("Vary", "Accept-Encoding")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        LINK.send(self.wfile.write, body)

    def end_headers(self):
        super().end_headers()
        with LINK.lock:  # the status line and headers (~300 bytes) count as sent too
            LINK.sent.append((time.time(), 300))


class serving_static_host:  # noqa: N801 - a context manager, named like browser_site.serving
    def __init__(self, directory: Path):
        handler = lambda *a, **k: StaticHostHandler(*a, directory=str(directory), **k)  # noqa: E731
        self.server = SiteServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def throttle(browser, context, page, mbit: float, rtt_ms: float) -> None:
    """Chromium: its network emulation on this page (covers its workers); others: the server's link."""
    if browser.name == "chromium":
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": rtt_ms, "downloadThroughput": mbit * 1e6 / 8,
            "uploadThroughput": mbit * 1e6 / 8})
        LINK.shape()
    else:
        LINK.shape(mbit, rtt_ms)


def wall_time(page, mark: str) -> float:
    """The epoch seconds of the first performance mark `mark` (the server's log is in wall time)."""
    return page.evaluate(f"() => (performance.timeOrigin + performance.getEntriesByName({mark!r})[0].startTime) / 1000")


def first_paint(page) -> float | None:
    return page.evaluate("""() => new Promise((resolve) => {
      const found = () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime;
      if (found() !== undefined) return resolve(found());
      try {
        new PerformanceObserver(() => resolve(found())).observe({ type: "paint", buffered: true });
      } catch (_) { resolve(null); }
      setTimeout(() => resolve(found() ?? null), 3000);
    })""")


def visit(browser, url: str, mark: str, network, site: bool, dwell: float = 0.0) -> dict:
    """One visit in a fresh profile: {ready ms, paint ms, bytes, boot}; with dwell, index first."""
    context = browser.new_context(timeout_ms=300_000)
    try:
        page = context.new_page()
        throttle(browser, context, page, *network)
        LINK.reset()
        started = time.time()
        if dwell:
            page.goto(url.rsplit("/", 2)[0] + "/index.html")
            time.sleep(dwell)
            page.click(".problem-item a")
            page.wait_for_selector("#problem[data-ready=true]", timeout=300_000)
        else:
            page.goto(url)
        ready = mark_time(page, mark, timeout=300_000)
        detail = mark_details(page, mark)[0]
        assert (detail.get("boot") if site else detail["ok"]), detail
        return {"ready": ready, "paint": first_paint(page), "bytes": LINK.bytes_before(wall_time(page, mark), started),
                "boot": detail.get("boot", "bare")}
    finally:
        LINK.shape()
        context.close()


def measure(browser, base: str, site, networks, runs: int, dwell: float) -> None:
    print(machine(browser), flush=True)
    how = "Chromium's network emulation (CDP)" if browser.name == "chromium" else "the server's shaping"
    pages = {"bare": (f"{base}bare/index.html", "bare:ready", False, 0.0),
             "cold": (f"{base}{SUB_PATH}{site.ready_slug}/index.html", READY, True, 0.0),
             "index → problem": (f"{base}{SUB_PATH}{site.slugs[0]}/index.html", READY, True, dwell)}
    for network in networks:
        samples = {who: [] for who in pages}
        for run in range(runs):
            order = list(pages) if run % 2 == 0 else list(reversed(pages))
            for who in order:
                url, mark, is_site, wait = pages[who]
                samples[who].append(visit(browser, url, mark, network, is_site, wait))
            print(f"  {network[0]:g} Mbit/s, {network[1]:g} ms, run {run + 1}: " + ", ".join(
                f"{who} {s[-1]['ready']:.0f} ms ({s[-1]['bytes'] / 1e6:.2f} MB, {s[-1]['boot']})"
                for who, s in samples.items()), flush=True)
        m = {who: {k: median([s[k] for s in v if s[k] is not None]) for k in ("ready", "paint", "bytes")}
             for who, v in samples.items()}
        bare = m["bare"]["ready"]
        target = {10: "≤ 0.85×", 50: "≤ 1.0×"}.get(int(network[0]), "")
        rows = [[who, f"{m[who]['ready']:.0f}", f"{m[who]['ready'] / bare:.2f}×", target if who == "cold" else "",
                 f"{m[who]['paint']:.0f}", f"{m[who]['bytes'] / 1e6:.2f}",
                 ", ".join(sorted({s['boot'] for s in samples[who]}))] for who in pages]
        print(f"\n{browser.name} {browser.version}, {network[0]:g} Mbit/s with {network[1]:g} ms RTT ({how}), "
              f"median of {runs} runs; load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(table(rows, ["visit", "ready ms", "÷ bare", "target", "first paint ms", "MB before ready", "boot"]),
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--networks", default="10:40,50:20", help="comma-separated Mbit/s:RTT ms (default 10:40,50:20)")
    parser.add_argument("--dwell", type=float, default=3.0, help="seconds on the index before clicking a problem")
    add_engines_argument(parser)
    args = parser.parse_args()
    networks = [tuple(float(x) for x in n.split(":")) for n in args.networks.split(",")]
    numpy = numpy_folder()
    if not numpy:
        raise SystemExit("set PYODIDE_PACKAGES to a folder holding NumPy's Pyodide wheel")
    with built_site() as site:
        # The bare page loads the wheel as released (the site's copy may be slimmed: pyodide_assets.py).
        wheel = next(numpy.glob("numpy-*.whl"))
        shutil.copyfile(wheel, site.www / "bare" / wheel.name)
        (site.www / "bare" / "worker.js").write_text(BARE_WORKER % {"sub": SUB_PATH, "wheel": repr(wheel.name)})
        with serving_static_host(site.www) as base:
            print(f"site: {site.label}; pages: {SUB_PATH}{site.ready_slug}/ (cold), index → {site.slugs[0]}/")
            for browser in engines(args.engines):
                measure(browser, base, site, networks, args.runs, args.dwell)


if __name__ == "__main__":
    main()
