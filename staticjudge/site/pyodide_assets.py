"""Where the browser gets Pyodide and its packages: the CDN, or files copied into the site.

- default: the Pyodide core and named packages come from the CDN of the pinned version;
- ``self_host``: the core is copied into ``<out>/pyodide/`` from ``--pyodide-dist DIR`` (an
  unpacked Pyodide release or npm package), else from the theme's pinned npm package (a
  checkout), else from the npm registry's package of that version (``npm pack``, cached per
  user); packages named by problems still come from the CDN;
- ``packages_dir``: every wheel found there is copied into ``<out>/pyodide-packages/`` and the
  worker loads it by its own file URL. Loading by name would go through the lock file, which
  may name another version than the wheel at hand (314.0.7's names numpy 2.4.6).

Wheels are copied without the files only a compiler or a type checker reads (BUILD_ONLY: type
stubs, C headers and sources, static libraries, Cython declarations; 350 KB of NumPy's 2.9 MB),
their ``RECORD`` rewritten to match (slim_wheel). The standard library the worker
boots from is a trimmed copy (stdlib.py) written to ``assets/stdlib/`` whenever the Pyodide
distribution is at hand without a download (self-hosting, ``--pyodide-dist``, the theme's npm
package or the user's cache); the full one stays where the core is, fetched only on a miss.

The worker keys its memory snapshot (theme/assets/snapshot.js) by each wheel's sha256, written
next to its URL: a wheel replaced under the same name never restores a stale interpreter.

The result is ``runtime.json`` (written into ``assets/``); its URLs are either absolute or
relative to ``runtime.json`` itself, so the site works under any URL prefix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote, unquote

from . import stdlib
from .frontend import FRONTEND_DIR, FrontendError, ensure_node_modules

CORE_DIR = "pyodide"
PACKAGES_DIR = "pyodide-packages"
# What a module worker needs from the npm package to boot (no packages, no node-only files).
CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")


class PyodideAssetsError(Exception):
    pass


def normalized_name(name: str) -> str:
    """A project name as PEP 503 compares them: 'Foo_Bar.baz' → 'foo-bar-baz'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_name(wheel: Path) -> str:
    """The normalised project name of a wheel file (PEP 427 + PEP 503): 'Foo_Bar-1.0-…' → 'foo-bar'."""
    return normalized_name(wheel.name.split("-", 1)[0])


def _version_of(folder: Path) -> str | None:
    """The Pyodide version a distribution folder holds (its package.json, else its lock file)."""
    for name, read in (("package.json", lambda d: d["version"]), ("pyodide-lock.json", lambda d: d["info"]["version"])):
        try:
            return read(json.loads((folder / name).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def _checked(folder: Path, version: str, where: str) -> Path:
    missing = [name for name in CORE_FILES if not (folder / name).is_file()]
    if missing:
        raise PyodideAssetsError(f"{where}: {folder} is not a Pyodide distribution (no {', '.join(missing)})")
    found = _version_of(folder)
    if version and found and found != version:
        raise PyodideAssetsError(f"{where}: {folder} holds Pyodide {found}, but the site needs {version} "
                                 "(site/config.yaml's pyodide_version); make them agree")
    return folder


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "staticjudge"


def _from_npm_registry(version: str) -> Path:
    """Pyodide's npm package of ``version``, fetched once with `npm pack` and kept in the user's cache."""
    target = _cache_dir() / f"pyodide-{version}"
    if (target / "package" / CORE_FILES[0]).is_file():
        return target / "package"
    npm = shutil.which("npm")
    if not npm:
        raise PyodideAssetsError(
            f"--self-host needs Pyodide {version}'s files, and Node.js is not installed to fetch them: "
            f"pass --pyodide-dist DIR, a folder holding an unpacked Pyodide {version} release "
            f"(pyodide-{version}.tar.bz2 from https://github.com/pyodide/pyodide/releases) or npm package "
            f"(`npm pack pyodide@{version}` on any machine with Node.js), or install Node.js with npm")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        done = subprocess.run([npm, "pack", f"pyodide@{version}", "--pack-destination", scratch,
                               "--loglevel=error"], capture_output=True, text=True, timeout=600)
        packed = sorted(Path(scratch).glob("pyodide-*.tgz"))
        if done.returncode != 0 or not packed:
            raise PyodideAssetsError(f"npm pack pyodide@{version} failed: {(done.stderr or done.stdout).strip()[-500:]}")
        unpacked = Path(scratch) / "unpacked"
        with tarfile.open(packed[0]) as archive:
            archive.extractall(unpacked, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(unpacked, target)
    return target / "package"


def pyodide_distribution(version: str, dist_dir: Path | None = None) -> Path:
    """A folder holding the core files of Pyodide ``version``, from the first source that has it."""
    if dist_dir:
        return _checked(Path(dist_dir), version, "--pyodide-dist")
    pinned = FRONTEND_DIR / "package.json"
    if pinned.exists() and shutil.which("npm"):
        wanted = json.loads(pinned.read_text(encoding="utf-8")).get("dependencies", {}).get("pyodide")
        if wanted == version:
            try:
                return _checked(ensure_node_modules(FRONTEND_DIR) / "pyodide", version, "the theme's npm package")
            except FrontendError as exc:
                raise PyodideAssetsError(str(exc)) from None
    return _checked(_from_npm_registry(version), version, "the npm package")


def local_distribution(version: str, dist_dir: Path | None = None) -> Path | None:
    """The Pyodide distribution of ``version`` if it is here already (no npm, no download), else None."""
    candidates = [Path(dist_dir)] if dist_dir else []
    candidates += [FRONTEND_DIR / "node_modules" / "pyodide", _cache_dir() / f"pyodide-{version}" / "package"]
    for folder in candidates:
        try:
            return _checked(folder, version, "")
        except PyodideAssetsError:
            continue
    return None


STDLIB_DIR = "stdlib"  # under assets/
# Files of a wheel no learner run reads: type stubs, C headers and sources, static libraries,
# Cython declarations and sources, pkg-config files.
BUILD_ONLY = (".pyi", ".h", ".c", ".a", ".pxd", ".pyx", ".pc")
# Parts of a package that cannot work in a browser, and that importing the package never reads:
# NumPy's Fortran wrapper generator (it needs a compiler), its PyInstaller hooks and the examples
# of extending numpy.random with Cython, Numba or cffi (~0.15 MB of NumPy's wheel).
NOT_FOR_THE_BROWSER = ("numpy/f2py/", "numpy/_pyinstaller/", "numpy/random/_examples/")


def _left_out(name: str) -> bool:
    return name.endswith(BUILD_ONLY) or name.startswith(NOT_FOR_THE_BROWSER)


def trimmed_stdlib(out: Path, source: Path) -> dict:
    """Write the trimmed standard library into ``out``/assets/stdlib/; runtime.json's "stdlib"."""
    done = stdlib.trim(source / "python_stdlib.zip", out / "assets" / STDLIB_DIR / stdlib.TRIMMED_NAME)
    return {"url": f"{STDLIB_DIR}/{stdlib.TRIMMED_NAME}", "sha256": done["sha256"], "bytes": done["bytes"],
            "full_bytes": done["full_bytes"]}


def slim_wheel(source: Path, target: Path) -> None:
    """Copy a wheel without its BUILD_ONLY and NOT_FOR_THE_BROWSER files, its RECORD listing only
    what it still holds (one that is no zip is copied as it is: the browser reports it as it would have)."""
    if not zipfile.is_zipfile(source):
        shutil.copyfile(source, target)
        return
    with zipfile.ZipFile(source) as wheel:
        infos = wheel.infolist()
        dropped = {i.filename for i in infos if _left_out(i.filename)}
        if not dropped:
            shutil.copyfile(source, target)
            return
        with zipfile.ZipFile(target, "w") as slim:
            for info in infos:
                if info.filename in dropped:
                    continue
                data = wheel.read(info)
                if info.filename.endswith(".dist-info/RECORD"):
                    rows = [row for row in csv.reader(io.StringIO(data.decode("utf-8"))) if row and row[0] not in dropped]
                    text = io.StringIO()
                    csv.writer(text, lineterminator="\n").writerows(rows)
                    data = text.getvalue().encode("utf-8")
                slim.writestr(info, data, compress_type=info.compress_type)


def copy_core(out: Path, version: str, dist_dir: Path | None = None) -> None:
    source = pyodide_distribution(version, dist_dir)
    target = out / CORE_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name in CORE_FILES:
        shutil.copyfile(source / name, target / name)


def copy_wheels(packages_dir: Path, out: Path) -> dict[str, str]:
    """Copy every ``*.whl`` of ``packages_dir``; return {distribution name: URL relative to assets/}."""
    if not Path(packages_dir).is_dir():
        raise PyodideAssetsError(f"--pyodide-packages: {packages_dir} is not a folder")
    wheels = sorted(Path(packages_dir).glob("*.whl"))
    if not wheels:
        raise PyodideAssetsError(f"--pyodide-packages: no .whl files in {packages_dir}")
    target = out / PACKAGES_DIR
    target.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}
    for wheel in wheels:
        name = distribution_name(wheel)
        if name in found:
            raise PyodideAssetsError(f"--pyodide-packages: two wheels for '{name}' in {packages_dir}; keep one")
        slim_wheel(wheel, target / wheel.name)
        found[name] = f"../{PACKAGES_DIR}/{quote(wheel.name)}"
    return found


def wheel_digests(out: Path, wheels: dict[str, str]) -> dict[str, str]:
    """{distribution name: sha256 hex} of the wheels copied into ``out``."""
    assets = out / "assets"
    return {name: hashlib.sha256((assets / unquote(url)).resolve().read_bytes()).hexdigest()
            for name, url in wheels.items()}


def runtime_config(out: Path, version: str, cdn: str, harness: tuple[str, ...], self_host: bool = False,
                   packages_dir: Path | None = None, dist_dir: Path | None = None) -> dict:
    """Copy what was asked for into ``out`` and return the worker's runtime.json."""
    if self_host:
        copy_core(out, version, dist_dir)
    wheels = copy_wheels(packages_dir, out) if packages_dir else {}
    source = pyodide_distribution(version, dist_dir) if self_host else local_distribution(version, dist_dir)
    extra = {"stdlib": trimmed_stdlib(out, source)} if source else {}
    return {
        "pyodide_version": version,
        "pyodide_url": f"../{CORE_DIR}/" if self_host else cdn,
        # Packages named by problems (and not given as wheels) come from the CDN's lock file.
        "package_base_url": cdn,
        "wheels": wheels,
        "wheel_sha256": wheel_digests(out, wheels),
        "harness": list(harness),
        # The trimmed standard library (relative to runtime.json), when there is one.
        **extra,
    }
