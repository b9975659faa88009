"""``serve``: build, serve the output on localhost, rebuild on every change of the sources.

A broken problem prints its error and the last good build keeps being served (builds are
written aside and swapped in only when they succeed).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
import time
from pathlib import Path

from watchfiles import watch

from ..model import BuildError
from ..project import Paths, RuntimeOptions
from .build import SiteBuilder
from .theme import THEME_DIR

# Types that Python's table may lack but a module worker and WebAssembly need exactly.
MIME_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
              ".json": "application/json", ".whl": "application/zip", ".py": "text/plain; charset=utf-8"}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def log_message(self, format, *args):  # noqa: A002 - quiet: only errors
        if args and str(args[1]).startswith(("4", "5")):
            super().log_message(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser that navigates away mid-download (or a worker that is terminated) resets
        # the connection: routine, not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def make_server(directory: Path, host: str, port: int, handler: type[SiteHandler] = SiteHandler) -> SiteServer:
    return SiteServer((host, port), functools.partial(handler, directory=str(directory)))


@contextlib.contextmanager
def serving(directory: Path, host: str = "127.0.0.1", handler: type[SiteHandler] = SiteHandler):
    """Serve ``directory`` over HTTP on a free port in a background thread (with ``handler``, a
    SiteHandler of another behaviour, for tests); yields the root URL."""
    server = make_server(directory, host, 0, handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def rebuild(builder: SiteBuilder, out: Path) -> bool:
    started = time.perf_counter()
    try:
        _, problems = builder.build(out)
    except BuildError as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr, flush=True)
        print("build failed; still serving the last good build", file=sys.stderr, flush=True)
        return False
    print(f"built {len(problems)} problem(s) in {time.perf_counter() - started:.2f} s", flush=True)
    return True


def serve(paths: Paths, port: int = 8000, host: str = "127.0.0.1", out: Path | None = None,
          stop_event: threading.Event | None = None, runtime: RuntimeOptions = RuntimeOptions()) -> int:
    out = Path(out or paths.default_out).resolve()
    builder = SiteBuilder(paths, runtime=runtime)  # kept: rebuilds redo only what changed
    if not rebuild(builder, out) and not out.exists():
        return 1
    server = make_server(out, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"serving {out} at http://{host}:{server.server_address[1]}/ (Ctrl+C to stop)", flush=True)
    # The theme too where it is being worked on (a checkout: its sources are there).
    theme = [THEME_DIR] if (THEME_DIR / "src").is_dir() else []
    watched = [str(p) for p in (paths.problems, paths.hidden_tests, paths.site, *theme) if p.exists()]
    try:
        for _changes in watch(*watched, stop_event=stop_event, watch_filter=_source_filter):
            rebuild(builder, out)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def _source_filter(_change, path: str) -> bool:
    """Ignore editor swap files and installed packages; react to real sources."""
    name = Path(path).name
    return "node_modules" not in Path(path).parts and not name.startswith((".", "#")) and not name.endswith("~")
