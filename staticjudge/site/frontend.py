"""The page's JavaScript build: the CodeMirror editor, bundled and minified by esbuild.

The theme's npm project (``theme/package.json`` + ``theme/package-lock.json``, sources in
``theme/src/``) pins every version. The bundle is written to ``theme/bundle/editor.js`` when
the wheel or sdist is built (``wheel_hook.py``), so an installed ``staticjudge`` needs no
Node.js; in a checkout it is rebuilt whenever its sources are newer than it. ``node_modules``
and the bundle are build products, never committed. ``npm ci`` runs only when ``node_modules``
is missing or older than the lockfile, under a file lock so concurrent builds do not race.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from .theme import THEME_DIR

FRONTEND_DIR = THEME_DIR  # the npm project
EDITOR_ENTRY = Path("src") / "editor.js"
EDITOR_BUNDLE = THEME_DIR / "bundle" / "editor.js"
BUNDLE_NAME = "editor.js"  # in the built site's assets/


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


def _installed_marker(project: Path) -> Path:
    return project / "node_modules" / ".package-lock.json"  # npm rewrites it on every install


def needs_install(project: Path) -> bool:
    marker, lock = _installed_marker(project), project / "package-lock.json"
    return not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime


def _run(command: list[str], cwd: Path, what: str) -> None:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise FrontendError(f"{what}: `{command[0]}` was not found; install Node.js 18+ with npm") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise FrontendError(f"{what} failed (exit {done.returncode}):\n{tail}")


def ensure_node_modules(project: Path = FRONTEND_DIR) -> Path:
    """Install the pinned packages into ``project/node_modules`` if they are missing or stale."""
    lock = project / "package-lock.json"
    if not lock.exists():
        raise FrontendError(f"{lock} is missing: the page's JavaScript dependencies are not pinned")
    if needs_install(project):
        with _locked(lock):
            if needs_install(project):  # another build may have installed while we waited
                npm = shutil.which("npm") or "npm"
                _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], project, "npm ci")
                _installed_marker(project).touch()
    return project / "node_modules"


def _sources() -> list[Path]:
    return [FRONTEND_DIR / EDITOR_ENTRY, FRONTEND_DIR / "package-lock.json"]


def bundle_is_current() -> bool:
    """The bundle exists and no source it is built from (when they are here at all) is newer."""
    if not EDITOR_BUNDLE.exists():
        return False
    sources = [p for p in _sources() if p.exists()]
    return all(p.stat().st_mtime <= EDITOR_BUNDLE.stat().st_mtime for p in sources)


def build_editor_bundle() -> Path:
    """Bundle the CodeMirror editor (theme/src/editor.js) into ``theme/bundle/editor.js``, minified."""
    if not all(p.exists() for p in _sources()):
        raise FrontendError(f"the editor bundle {EDITOR_BUNDLE} is missing, and so are its sources: this "
                            "installation of staticjudge is incomplete; reinstall it")
    modules = ensure_node_modules(FRONTEND_DIR)
    esbuild = modules / ".bin" / "esbuild"
    EDITOR_BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    partial = EDITOR_BUNDLE.with_name(f".{EDITOR_BUNDLE.name}.{os.getpid()}.partial")
    _run([str(esbuild), str(EDITOR_ENTRY), "--bundle", "--format=esm", "--minify", "--target=es2020",
          "--legal-comments=eof", "--log-level=error", f"--outfile={partial}"], FRONTEND_DIR,
         "esbuild (editor bundle)")
    os.replace(partial, EDITOR_BUNDLE)
    return EDITOR_BUNDLE


def editor_bundle() -> Path:
    """The minified editor bundle, built first if it is missing or older than its sources."""
    if not bundle_is_current():
        with _locked(FRONTEND_DIR / "package.json") if (FRONTEND_DIR / "package.json").exists() \
                else contextlib.nullcontext():
            if not bundle_is_current():
                build_editor_bundle()
    return EDITOR_BUNDLE
