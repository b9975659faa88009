"""Resource limits of a grading process: an address-space cap, so a memory bomb raises
MemoryError instead of swapping (the time limit is the caller's)."""

from __future__ import annotations

MEMORY_HEADROOM = 2 * 1024**3  # bytes a run may allocate beyond what the grader itself uses


def limit_memory(headroom: int = MEMORY_HEADROOM) -> None:
    """Cap the child's address space so a memory bomb raises MemoryError instead of swapping."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (size + headroom, size + headroom))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still stops the run
