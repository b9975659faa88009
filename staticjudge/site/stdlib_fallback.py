"""The worker's safety net under a trimmed standard library (stdlib.py): an import of a module the
build left out fetches Pyodide's full ``python_stdlib.zip`` once, and carries on from it.

Written into the trimmed zip as ``_staticjudge_fullstdlib.py``, with ``OMITTED`` filled in by the
build: the dotted names of every module of the full library that the trimmed one lacks. Only those
names fetch anything: ``import scipy`` or a package's optional ``try: import foo`` meet the same
ModuleNotFoundError as in plain Pyodide, at no cost. pyworker.js calls ``install(fetch_full)``
after its memory snapshot (the JavaScript function cannot live in one); ``fetch_full()`` writes the
full zip into Pyodide's file system (a synchronous request: imports are synchronous) and returns
its path, or raises when it cannot (offline with no copy of it): the import then fails with the
ModuleNotFoundError it would have met, the reason added to its message.

Standard library only; runs natively too (tests/test_stdlib_trim.py).
"""

from __future__ import annotations

import sys
from importlib.machinery import PathFinder

OMITTED: frozenset[str] = frozenset()  # the build writes the names here
TRIMMED = f"/lib/python{sys.version_info[0]}{sys.version_info[1]}.zip"  # where Pyodide mounts its library


class FullStdlibFinder:
    """A meta path finder right after the path finder: a miss on an omitted module mounts the
    full library (once) and finds the module there."""

    def __init__(self, fetch_full, omitted=OMITTED, trimmed=TRIMMED):
        self.fetch_full = fetch_full
        self.omitted = frozenset(omitted)
        self.trimmed = trimmed
        self.full = None  # the full zip's path, once mounted
        self.failed = None  # why the last fetch failed (the next miss tries again)

    def mount(self):
        if self.full is None:
            try:
                self.full = str(self.fetch_full())
            except Exception as exc:  # noqa: BLE001 - any failure: the import fails as it would have
                self.failed = f"{type(exc).__name__}: {exc}"
                return None
            self.failed = None
            sys.path.append(self.full)  # after the trimmed zip: what it holds is found there first
        return self.full

    def find_spec(self, name, path=None, target=None):
        if name not in self.omitted:
            return None
        full = self.mount()
        if full is None:
            raise ModuleNotFoundError(f"No module named {name!r} (this page could not fetch the full standard "
                                      f"library: {self.failed})", name=name)
        if path is None:
            search = [full]
        else:  # a submodule of a package the trimmed zip has (part of): look in the full one's copy
            search = [entry.replace(self.trimmed, full, 1) for entry in path
                      if entry == self.trimmed or entry.startswith(self.trimmed + "/")]
            if not search:
                return None
        return PathFinder.find_spec(name, search)

    def invalidate_caches(self):
        pass


def install(fetch_full, omitted=None, trimmed=TRIMMED) -> FullStdlibFinder:
    """Put the finder right after the path finder (before Pyodide's own hooks); returns it."""
    for finder in sys.meta_path:
        if isinstance(finder, FullStdlibFinder) or type(finder).__name__ == "FullStdlibFinder":
            sys.meta_path.remove(finder)
            break
    finder = FullStdlibFinder(fetch_full, OMITTED if omitted is None else omitted, trimmed)
    at = next((i + 1 for i, f in enumerate(sys.meta_path) if f is PathFinder), len(sys.meta_path))
    sys.meta_path.insert(at, finder)
    return finder
