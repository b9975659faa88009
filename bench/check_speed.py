"""Time `build.py check` over the whole catalogue (target: <= 30 s on 2 cores).

    python bench/check_speed.py
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(ROOT), "check"],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    problems = sum(1 for line in done.stdout.splitlines() if line.startswith(("ok ", "FAIL ")))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'problems':>8}  {'check (s)':>9}  {'target (s)':>10}  {'exit':>4}")
    print(f"{problems:>8}  {elapsed:>9.2f}  {30:>10}  {done.returncode:>4}")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
