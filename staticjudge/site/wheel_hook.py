"""The wheel and sdist carry a built editor bundle: ``build_py`` builds it first (with Node.js),
unless it is there and current already, as in an sdist (then no Node.js is needed).

Named in pyproject.toml (``[tool.setuptools.cmdclass]``); used only while packaging.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

# setuptools loads this file on its own, outside its package: make the package importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from staticjudge.site.frontend import editor_bundle  # noqa: E402


class BuildPyWithEditor(build_py):
    def run(self):
        editor_bundle()
        super().run()


# What the sdist carries beyond the package's Python and data files: the built bundle (so a wheel
# built from it needs no Node.js) and the theme's npm project that builds it (never node_modules).
THEME = Path("staticjudge") / "theme"
SDIST_EXTRA = [THEME / "package.json", THEME / "package-lock.json", THEME / "bundle" / "editor.js"]
SDIST_EXTRA_DIRS = [THEME / "src"]


class SdistWithEditor(sdist):
    def run(self):
        editor_bundle()
        super().run()

    def make_distribution(self):
        root = Path(__file__).resolve().parents[2]
        extra = [*SDIST_EXTRA, *(p.relative_to(root) for d in SDIST_EXTRA_DIRS for p in sorted((root / d).rglob("*"))
                                 if p.is_file() and "__pycache__" not in p.parts)]
        self.filelist.extend(path.as_posix() for path in extra)
        self.filelist.sort()
        self.filelist.remove_duplicates()
        super().make_distribution()
