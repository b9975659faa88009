"""The offline copy: ``sw.js`` at the site's root, the service worker of theme/sw.js with its build.

The build writes one line in front of the worker's source: the build's version (a hash of every
built file's path and content) and the list of files to copy, each with its SHA-256, which the
worker checks before it keeps a file. Any change to any file gives a new version, hence a new
``sw.js``: browsers notice it on the learner's next visit and install it beside the old one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

SERVICE_WORKER = "sw.js"


def manifest(files: dict[str, bytes]) -> list[list[str]]:
    """[[relative path, sha256 hex], …] of every built file, sorted."""
    return [[path, hashlib.sha256(data).hexdigest()] for path, data in sorted(files.items())]


def build_version(entries: list[list[str]]) -> str:
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:20]


def service_worker(source: Path, files: dict[str, bytes], cdn: str = "") -> bytes | None:
    """The site's ``sw.js``: ``source`` with this build's BUILD constant; None without a source."""
    if not source.is_file():
        return None
    entries = manifest({path: data for path, data in files.items() if path != SERVICE_WORKER})
    build = {"version": build_version(entries), "cdn": cdn, "files": entries}
    return f"const BUILD = {json.dumps(build, separators=(',', ':'))};\n".encode() + source.read_bytes()
