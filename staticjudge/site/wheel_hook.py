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


class SdistWithEditor(sdist):
    def run(self):
        editor_bundle()
        super().run()
