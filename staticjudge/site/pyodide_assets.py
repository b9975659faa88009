"""Where the browser gets Pyodide and its packages: the CDN, or files copied into the site.

- default: the Pyodide core and named packages come from the CDN of the pinned version;
- ``self_host``: the core is copied from the pinned npm package (site/node_modules/pyodide)
  into ``<out>/pyodide/``; packages named by problems still come from the CDN;
- ``packages_dir``: every wheel found there is copied into ``<out>/pyodide-packages/`` and the
  worker loads it by its own file URL. Loading by name would go through the lock file, which
  may name another version than the wheel at hand (314.0.7's names numpy 2.4.6).

The worker keys its memory snapshot (site/assets/snapshot.js) by each wheel's sha256, written
next to its URL: a wheel replaced under the same name never restores a stale interpreter.

The result is ``runtime.json`` (written into ``assets/``); its URLs are either absolute or
relative to ``runtime.json`` itself, so the site works under any URL prefix.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

from .frontend import ensure_node_modules

CORE_DIR = "pyodide"
PACKAGES_DIR = "pyodide-packages"
# What a module worker needs from the npm package to boot (no packages, no node-only files).
CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")


class PyodideAssetsError(Exception):
    pass


def distribution_name(wheel: Path) -> str:
    """The normalised project name of a wheel file (PEP 427 + PEP 503): 'Foo_Bar-1.0-…' → 'foo-bar'."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-", 1)[0]).lower()


def copy_core(site: Path, out: Path, version: str) -> None:
    package = ensure_node_modules(site) / "pyodide"
    found = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    if version and found != version:
        raise PyodideAssetsError(f"site/package.json pins pyodide {found}, but site/config.yaml says "
                                 f"pyodide_version: {version}; make them agree")
    target = out / CORE_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name in CORE_FILES:
        shutil.copyfile(package / name, target / name)


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
        shutil.copyfile(wheel, target / wheel.name)
        found[name] = f"../{PACKAGES_DIR}/{quote(wheel.name)}"
    return found


def wheel_digests(out: Path, wheels: dict[str, str]) -> dict[str, str]:
    """{distribution name: sha256 hex} of the wheels copied into ``out``."""
    assets = out / "assets"
    return {name: hashlib.sha256((assets / unquote(url)).resolve().read_bytes()).hexdigest()
            for name, url in wheels.items()}


def runtime_config(site: Path, out: Path, version: str, cdn: str, harness: tuple[str, ...],
                   self_host: bool = False, packages_dir: Path | None = None) -> dict:
    """Copy what was asked for into ``out`` and return the worker's runtime.json."""
    if self_host:
        copy_core(site, out, version)
    wheels = copy_wheels(packages_dir, out) if packages_dir else {}
    return {
        "pyodide_version": version,
        "pyodide_url": f"../{CORE_DIR}/" if self_host else cdn,
        # Packages named by problems (and not given as wheels) come from the CDN's lock file.
        "package_base_url": cdn,
        "wheels": wheels,
        "wheel_sha256": wheel_digests(out, wheels),
        "harness": list(harness),
    }
