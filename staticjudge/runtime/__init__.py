"""What the browser's worker loads as it is, and native grading runs the same: the harness, the
checks tests use (judge), the shapes tracer and the warm-up. Standard library and NumPy only;
imports nothing else of ours (in the browser these files sit side by side, not in a package)."""

from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent
# Shipped to the browser, loaded by the worker (and part of its memory snapshot's key).
RUNTIME_FILES = ("harness.py", "judge.py", "warmup.py", "shapes.py")
