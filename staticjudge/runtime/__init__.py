"""What the browser's worker loads as it is, and native grading runs the same: the harness, the
checks tests use (judge), the shapes tracer, the warm-up and the worker's glue (bridge). Standard
library and NumPy only; imports nothing else of ours (in the browser these files sit side by side,
not in a package).

Beside them: the Report's JSON Schema (``report.schema.json``) and the texts a stopped run's
Report says (``messages.json``), read by native grading and written into the page by the site build.
"""

import json
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent
# Shipped to the browser, loaded by the worker (and part of its memory snapshot's key).
RUNTIME_FILES = ("harness.py", "judge.py", "warmup.py", "shapes.py", "bridge.py")
REPORT_SCHEMA = RUNTIME_DIR / "report.schema.json"
MESSAGES_FILE = RUNTIME_DIR / "messages.json"


def messages() -> dict[str, str]:
    """The texts of a stopped run's Report, by name (``$comment`` left out)."""
    found = json.loads(MESSAGES_FILE.read_text(encoding="utf-8"))
    return {name: text for name, text in found.items() if not name.startswith("$")}
