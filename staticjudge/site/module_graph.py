"""The page modules a page's entry script imports statically, so the page can preload them all.

A browser finds a module's imports only once it has fetched that module; listed as
``<link rel="modulepreload">`` they are fetched together with the entry script instead, and the
entry runs (and starts the Python worker) one round trip per level of the graph sooner.
Dynamic ``import()`` calls are left out: they load on demand by design.
"""

from __future__ import annotations

import re
from pathlib import Path

# `import … from "./x.js";` and `import "./x.js";` at the start of a line: how the page's own
# modules import each other (relative, one per line).
STATIC_IMPORT = re.compile(r"""^\s*import\s+(?:[^'"()]*?\s+from\s+)?["'](\./[^"']+\.js)["']""", re.MULTILINE)


def static_imports(sources: dict[str, str], entry: str) -> list[str]:
    """Every module reachable from ``entry`` through static imports, in the order found, entry excluded.

    ``sources`` maps each page module's path (relative to assets/) to its source text."""
    found: list[str] = []
    todo = [entry]
    while todo:
        name = todo.pop(0)
        if name not in sources:
            continue
        for target in STATIC_IMPORT.findall(sources[name]):
            module = (Path(name).parent / target).as_posix().removeprefix("./")
            if module != entry and module not in found:
                found.append(module)
                todo.append(module)
    return found
