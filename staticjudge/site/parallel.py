"""Map a function over many items on every core, for cold builds of large sites.

Forked workers inherit the parent's state (parsed problems, templates), so only the items and
results cross the process boundary. Small jobs, or systems without fork, run in-process.
"""

from __future__ import annotations

import multiprocessing
import os

PARALLEL_THRESHOLD = 64  # below this many items a pool costs more than it saves

_job = None  # the function the forked workers call (set before the pool forks)


def _call(item):
    return _job(item)


def parallel_map(function, items: list) -> list:
    global _job
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_THRESHOLD or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    _job = function
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_call, items, chunksize=max(1, len(items) // (workers * 4)))
    finally:
        _job = None
