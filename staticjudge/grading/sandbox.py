"""Confine the learner's process (Linux): its own user, no files but Python's, no network.

``confine`` runs in the learner's process after it was forked from the clean zygote and before
the learner's code loads. Each step is independent, and ``status()`` says which took effect:

- **limits** (``resource``): address space (the runner's headroom), CPU seconds (the time limit
  plus a margin, a backstop if the grader that should kill the process is gone), no new
  processes (``RLIMIT_NPROC`` 0, which root ignores: hence seccomp), files of at most 64 MB,
  64 open files; a private working directory (0700, removed after the run);
- **capabilities**: started as root, it keeps uid 0 (Python's files may be readable by root
  only) but drops every capability, so it is an ordinary user to the kernel;
- **seccomp** (x86_64): no ``fork``/``clone`` (no processes, no threads), no ``exec``, no
  ``ptrace`` or ``process_vm_readv``;
- **Landlock** (Linux ≥ 5.13, no privileges needed): reading is allowed only beneath Python's own
  library folders and the system's shared libraries, writing only in the private working
  directory; no TCP (ABI ≥ 4); no signals to, or abstract sockets of, processes outside the
  sandbox (ABI ≥ 6); no ``ptrace`` of them (any ABI). A library folder that holds the project
  (or the current directory) is left out, so hidden tests and reference solutions are never
  beneath a readable folder.

Without Landlock (another OS, an old kernel) the process still runs in its own directory with
the limits, but can read any file its user can: ``status()["landlock"]`` is then 0 and the
README says what that means.
"""

from __future__ import annotations

import ctypes
import os
import sys
import sysconfig
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024**2

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # x86_64 and arm64 alike
_PR_SET_NO_NEW_PRIVS, _PR_SET_PDEATHSIG, _PR_SET_DUMPABLE = 38, 1, 4
_RULE_PATH_BENEATH = 1
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ABI1 = (1 << 13) - 1
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2

_status: dict = {}


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where there is none."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        abi = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(abi, 0)


def prctl(option: int, value: int) -> bool:
    try:
        return _libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def readable_roots(private: list[Path]) -> list[Path]:
    """Folders the learner may read: Python's library folders and the system's shared
    libraries, less any that contains a private path (the project, the current directory)."""
    paths = sysconfig.get_paths()
    candidates = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    candidates |= {"/usr/lib", "/lib", "/lib64", "/usr/lib64", "/usr/local/lib"}
    roots = []
    for candidate in sorted(c for c in candidates if c):
        try:
            root = Path(candidate).resolve(strict=True)
        except OSError:
            continue
        if root in roots or any(p == root or root in p.parents for p in private):
            continue
        roots.append(root)
    return roots


def _landlock(workdir: Path, roots: list[Path]) -> int:
    abi = landlock_abi()
    if abi < 1:
        return 0
    libc = _libc()
    fs = _FS_ABI1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0) | (_IOCTL_DEV if abi >= 5 else 0)
    attr = _RulesetAttr(fs, (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    try:
        read = fs & (_EXECUTE | _READ_FILE | _READ_DIR)
        rules = [(root, read) for root in roots] + [(workdir, fs & ~_REFER)]
        for path, allowed in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(allowed, fd)
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                    return 0
            finally:
                os.close(fd)
        if not prctl(_PR_SET_NO_NEW_PRIVS, 1) or libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _limits(time_limit: float) -> list[str]:
    try:
        import resource
    except ImportError:
        return []
    from .limits import limit_memory

    limit_memory()
    done = ["memory"]
    cpu = int(time_limit) + 3
    for name, value in (("RLIMIT_CPU", cpu), ("RLIMIT_NPROC", 0), ("RLIMIT_FSIZE", MAX_FILE_BYTES),
                        ("RLIMIT_NOFILE", 64), ("RLIMIT_CORE", 0)):
        limit = getattr(resource, name, None)
        if limit is None:
            continue
        try:
            resource.setrlimit(limit, (value, value))
            done.append(name)
        except (OSError, ValueError):
            pass
    return done


def _drop_capabilities() -> bool:
    """Root keeps its uid (Python's own files may be readable by root only) but loses every
    capability: it is then an ordinary user to the kernel, confined by Landlock and seccomp."""
    libc = _libc()
    for cap in range(64):
        libc.prctl(24, ctypes.c_ulong(cap), 0, 0, 0)  # PR_CAPBSET_DROP (EINVAL past the last cap)
    libc.prctl(47, ctypes.c_ulong(4), 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    return libc.capset(header, data) == 0


# seccomp: no new processes or threads, no exec, no tracing (x86_64 system call numbers)
_DENIED_SYSCALLS = {56: "clone", 57: "fork", 58: "vfork", 59: "execve", 101: "ptrace", 310: "process_vm_readv",
                    311: "process_vm_writev", 322: "execveat", 435: "clone3"}


def _seccomp() -> bool:
    import platform

    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        return False

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]

    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    allow, deny, kill = 0x7FFF0000, 0x00050000 | 1, 0x80000000  # ALLOW, ERRNO(EPERM), KILL_PROCESS
    numbers = sorted(_DENIED_SYSCALLS)
    n = len(numbers)
    code = [(ld, 0, 0, 4), (jeq, 1, 0, 0xC000003E), (ret, 0, 0, kill), (ld, 0, 0, 0),
            (jge, n + 1, 0, 0x40000000)]  # x32 system calls: refused
    code += [(jeq, n - i, 0, nr) for i, nr in enumerate(numbers)]
    code += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    filters = (Filter * len(code))(*[Filter(*c) for c in code])
    program = Program(len(code), filters)
    if not prctl(_PR_SET_NO_NEW_PRIVS, 1):
        return False
    return _libc().prctl(22, ctypes.c_ulong(2), ctypes.byref(program), 0, 0) == 0  # PR_SET_SECCOMP, FILTER


def confine(workdir: Path, time_limit: float, roots: list[Path]) -> dict:
    """Confine this process (see the module docstring); returns what took effect.

    ``roots``: the folders it may read (``readable_roots``, computed once in the zygote)."""
    os.chdir(workdir)
    status = {"workdir": True, "capabilities_dropped": None, "landlock": 0, "seccomp": False, "limits": []}
    prctl(_PR_SET_PDEATHSIG, 9)
    status["limits"] = _limits(time_limit)
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        status["capabilities_dropped"] = _drop_capabilities()
    status["landlock"] = _landlock(workdir, roots)
    status["seccomp"] = _seccomp()
    _status.clear()
    _status.update(status)
    return status


def status() -> dict:
    return dict(_status)


def protect_grader() -> None:
    """In the tests' process: not dumpable, so no process of its user may read its memory."""
    prctl(_PR_SET_DUMPABLE, 0)
