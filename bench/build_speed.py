"""Build time for 10 / 100 / 1000 generated problems, and one incremental rebuild in `serve`.

    python bench/build_speed.py [--sizes 10 100 1000]

Each generated problem is a copy of problems/self_attention.md (with its hidden tests) under a
new slug and order, so every page has math, highlighted code, hints and mutants. Targets: 1000
problems in <= 20 s, time growing linearly; an incremental rebuild after one problem changes in
<= 1 s. Prints a table (time per problem shows linearity).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from staticjudge.project import Paths  # noqa: E402
from staticjudge.site.build import SiteBuilder  # noqa: E402

TEMPLATE = ROOT / "problems" / "self_attention.md"
TESTS = ROOT / "hidden_tests" / "self_attention.py"


def generate(root: Path, count: int) -> None:
    (root / "problems").mkdir(parents=True)
    (root / "hidden_tests").mkdir()
    (root / "site").symlink_to(ROOT / "site")
    text, tests = TEMPLATE.read_text(), TESTS.read_text()
    for i in range(1, count + 1):
        (root / "problems" / f"p{i:04d}.md").write_text(text.replace("order: 2\n", f"order: {i}\n")
                                                         .replace("title: Self-attention", f"title: Problem {i}"))
        (root / "hidden_tests" / f"p{i:04d}.py").write_text(tests)


def measure(count: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        generate(root, count)
        builder = SiteBuilder(Paths(root))
        started = time.perf_counter()
        builder.build(root / "_site")
        cold = time.perf_counter() - started
        changed = root / "problems" / f"p{max(1, count // 2):04d}.md"
        changed.write_text(changed.read_text().replace("## Hints\n", "## Hints\n\n- One more hint.\n"))
        started = time.perf_counter()
        builder.build(root / "_site")
        return cold, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'problems':>8}  {'cold build (s)':>14}  {'ms / problem':>12}  {'incremental rebuild (s)':>23}")
    for count in args.sizes:
        cold, incremental = measure(count)
        print(f"{count:>8}  {cold:>14.2f}  {1000 * cold / count:>12.1f}  {incremental:>23.2f}", flush=True)


if __name__ == "__main__":
    main()
