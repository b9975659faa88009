"""The page's JavaScript dependencies: `npm ci` when needed, then the esbuild editor bundle.

The versions are pinned by ``site/package.json`` + ``site/package-lock.json``; ``node_modules``
and the bundle are build products, never committed. ``npm ci`` runs only when ``node_modules``
is missing or older than the lockfile, under a file lock so concurrent builds do not race.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

EDITOR_ENTRY = Path("src") / "editor.js"
EDITOR_BUNDLE = "editor.js"  # written into the output's assets/


class FrontendError(Exception):
    """The JavaScript build could not run; the message says what to install or fix."""


@contextlib.contextmanager
def _locked(path: Path):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no advisory locks (Windows): builds do not overlap there
        yield
        return
    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _installed_marker(site: Path) -> Path:
    return site / "node_modules" / ".package-lock.json"  # npm rewrites it on every install


def needs_install(site: Path) -> bool:
    marker, lock = _installed_marker(site), site / "package-lock.json"
    return not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime


def _run(command: list[str], cwd: Path, what: str) -> None:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise FrontendError(f"{what}: `{command[0]}` was not found; install Node.js 18+ with npm")
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise FrontendError(f"{what} failed (exit {done.returncode}):\n{tail}")


def ensure_node_modules(site: Path) -> Path:
    """Install the pinned packages into ``site/node_modules`` if they are missing or stale."""
    lock = site / "package-lock.json"
    if not lock.exists():
        raise FrontendError(f"{lock} is missing: the page's JavaScript dependencies are not pinned")
    if needs_install(site):
        with _locked(lock):
            if needs_install(site):  # another build may have installed while we waited
                npm = shutil.which("npm") or "npm"
                _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], site, "npm ci")
                _installed_marker(site).touch()
    return site / "node_modules"


def bundle_editor(site: Path, assets_out: Path) -> Path:
    """Bundle the CodeMirror editor (site/src/editor.js) into ``assets_out/editor.js``, minified."""
    modules = ensure_node_modules(site)
    esbuild = modules / ".bin" / "esbuild"
    out = assets_out / EDITOR_BUNDLE
    _run([str(esbuild), str(EDITOR_ENTRY), "--bundle", "--format=esm", "--minify", "--target=es2020",
          "--legal-comments=eof", "--log-level=error", f"--outfile={out}"], site, "esbuild (editor bundle)")
    return out
