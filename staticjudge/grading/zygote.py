"""The zygote: a clean interpreter that forks one learner process per grading run.

Started once per grading process (``Zygote.get()``) as ``python -m staticjudge.grading.zygote FD``
with nothing but NumPy and the harness imported, before it is told about any problem, so the
learner processes it forks hold no hidden test, expected value or reference solution (a
learner process forked from the grader itself would, through ``gc``). Forking it costs a few
milliseconds, where starting Python and NumPy afresh costs ~150 ms.

Control protocol over a private socket pair (no path: nothing else can connect), each message
an 8-byte length and JSON (``framing.py``):

- ``{"op": "spawn", code, entries, time_limit, workdir, private}`` plus one file descriptor
  (the learner's end of its socket with the tests' process) → ``{"pid"}``;
- ``{"op": "kill", "pid"}`` → ``{"ok"}``: SIGKILL and reap. The zygote reaps only when asked
  (or when the child is already gone), so a pid it is asked to kill cannot be another process.

The zygote dies with the process that started it (``PR_SET_PDEATHSIG``); its children die with
it, and at worst at their CPU limit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from .framing import Framing

_CONTROL = Framing(">Q")  # an 8-byte length and JSON


# ---------------------------------------------------------------------------------------------
# The zygote process
# ---------------------------------------------------------------------------------------------
def _serve(control: socket.socket) -> None:
    from multiprocessing.connection import Connection

    from . import learner, sandbox

    children: set[int] = set()
    roots: dict[tuple, list[Path]] = {}
    while True:
        try:
            request, fds = _CONTROL.receive(control)
        except (EOFError, OSError):
            return
        if request["op"] == "spawn":
            key = tuple(request["private"])
            if key not in roots:  # computed here once, not in every learner process
                roots[key] = sandbox.readable_roots([Path(p) for p in key])
            request["roots"] = roots[key]
            pid = os.fork()
            if pid == 0:  # the learner's process
                control.close()
                os.setsid()
                learner.main(Connection(fds[0]), request)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            _CONTROL.send(control, {"pid": pid})
        elif request["op"] == "kill":
            pid = request["pid"]
            if pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                children.discard(pid)
            _CONTROL.send(control, {"ok": True})
        for pid in list(children):  # reap those that ended by themselves (never re-used while zombies)
            try:
                done, _status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                children.discard(pid)


def main() -> None:
    from . import sandbox

    sandbox.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grader that started us
    control = socket.socket(fileno=int(sys.argv[1]))
    import numpy
    import numpy.fft
    import numpy.linalg
    import numpy.random  # noqa: F401  (imported once here, not from disk in every learner process)

    from ..runtime import harness
    from . import limits  # noqa: F401  (imported before forking learners)

    try:
        harness.judge_module()  # learner code may `import judge`, as in the browser
    except ImportError:
        pass
    from . import learner, wire  # noqa: F401
    _CONTROL.send(control, {"ready": True})
    _serve(control)


# ---------------------------------------------------------------------------------------------
# The grader's side
# ---------------------------------------------------------------------------------------------
def private_paths(course: Path | None = None) -> list[str]:
    """What the learner's process must never be able to read: the course (its problems, hidden
    tests and solutions) and the current directory. Installed packages stay readable."""
    return sorted({str(Path(p).resolve()) for p in (course, Path.cwd()) if p is not None})


class Zygote:
    _instance: "Zygote | None" = None
    _starting = threading.Lock()  # grading threads (check, grade-class) share one zygote

    def __init__(self):
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = "1"  # one thread per learner: no new threads allowed, and every core is a worker
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "staticjudge.grading.zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("STATICJUDGE_DEBUG_LEARNER") else subprocess.DEVNULL,
            cwd="/", env=env)
        theirs.close()
        self.control = ours
        reply, _ = _CONTROL.receive(ours)
        if not reply.get("ready"):
            raise RuntimeError("the learner-process zygote did not start")

    @classmethod
    def get(cls) -> "Zygote":
        with cls._starting:
            zygote = cls._instance
            if zygote is None or zygote.owner != os.getpid() or zygote.process.poll() is not None:
                zygote = cls._instance = cls()
            return zygote

    def spawn(self, sock: socket.socket, *, code: str, entries: list[str], time_limit: float,
              workdir: str, private: list[str]) -> int:
        request = {"op": "spawn", "code": code, "entries": entries, "time_limit": time_limit,
                   "workdir": workdir, "private": private}
        with self.lock:
            _CONTROL.send(self.control, request, [sock.fileno()])
            return _CONTROL.receive(self.control)[0]["pid"]

    def kill(self, pid: int) -> None:
        with self.lock:
            _CONTROL.send(self.control, {"op": "kill", "pid": pid})
            _CONTROL.receive(self.control)


if __name__ == "__main__":
    main()
