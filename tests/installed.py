"""staticjudge as a user gets it: this checkout built into a wheel and an sdist, the wheel installed
into a fresh virtual environment outside the checkout, and its commands run as a user runs them.

Every command of the installed tool runs with PATH holding only the venv's bin/ (so no Node.js
and no other Python), HOME and XDG_CACHE_HOME inside a temporary folder, and its working folder
outside the checkout. ``tests/conftest.py`` makes one such installation per session
(the ``installed`` fixture), shared by tests/test_install.py and tests/browser/test_new_course.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Variables that would let the installed tool see this checkout or another Python.
_DROPPED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE", "NODE_PATH")


@dataclass(frozen=True)
class Installed:
    base: Path  # the temporary folder holding all of it
    wheel: Path
    sdist: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self) -> dict[str, str]:
        """The environment of every command of the installed tool."""
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED and not k.startswith("PYENV")}
        home = self.base / "home"
        env.update(PATH=str(self.bin), HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
                   XDG_CONFIG_HOME=str(home / ".config"))
        return env

    def run(self, *args: str, cwd: Path, python: bool = False, timeout: float = 600) -> subprocess.CompletedProcess:
        """``staticjudge ARGS`` (with ``python``: the venv's ``python ARGS``) in ``cwd``."""
        cwd = Path(cwd).resolve()
        assert cwd != ROOT and ROOT not in cwd.parents, f"{cwd}: commands run outside the checkout"
        command = [str(self.python) if python else str(self.bin / "staticjudge"), *args]
        return subprocess.run(command, cwd=cwd, env=self.env(), capture_output=True, text=True, timeout=timeout)


def _run(command: list, cwd: Path, what: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{what} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def install(base: Path) -> Installed:
    """Build this checkout's wheel and sdist into ``base/dist`` and install the wheel into a new venv."""
    dist = base / "dist"
    # `python -m build` from outside the checkout: inside it, the repository's build.py shadows
    # the `build` package. It builds the sdist, then the wheel from the sdist.
    _run([sys.executable, "-m", "build", "--outdir", dist, ROOT], base, "building the wheel and sdist")
    wheels, sdists = list(dist.glob("staticjudge-*.whl")), list(dist.glob("staticjudge-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in dist.iterdir())
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", venv], base, "python -m venv")
    installed = Installed(base, wheels[0], sdists[0], venv)
    (base / "home").mkdir()
    # Dependencies come from the package index; the pip cache is the user's own, to save downloads.
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    _run([installed.python, "-m", "pip", "install", "--quiet", installed.wheel], base, "pip install (the wheel)",
         env=env)
    assert shutil.which("node", path=installed.env()["PATH"]) is None
    return installed


def new_course(installed: Installed, folder: Path) -> Path:
    """``staticjudge init FOLDER`` (run in FOLDER's parent); returns FOLDER."""
    done = installed.run("init", folder.name, cwd=folder.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def code_block(markdown: str, heading: str) -> str:
    """The first fenced code block under ``## HEADING`` of a problem file."""
    match = re.search(rf"^## {re.escape(heading)}\s*\n+```\w*\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)
    assert match, f"no code block under ## {heading}"
    return match.group(1)
