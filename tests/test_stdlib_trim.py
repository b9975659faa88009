"""The trimmed standard library (staticjudge/site/stdlib.py) and its fallback (stdlib_fallback.py).

Natively: the trim of Pyodide's real python_stdlib.zip (the theme's npm package, when installed)
holds what the traced imports need, is a valid zip and smaller; the fallback finder imports what
was left out from the full zip, once, and leaves other misses alone.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from staticjudge.site import stdlib, stdlib_fallback
from staticjudge.site.pyodide_assets import FRONTEND_DIR, slim_wheel

ROOT = Path(__file__).resolve().parent.parent
REAL_STDLIB = FRONTEND_DIR / "node_modules" / "pyodide" / "python_stdlib.zip"
real = pytest.mark.skipif(not REAL_STDLIB.is_file(), reason="the theme's npm package is not installed (npm ci)")


def modules_in(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return {m for m in map(stdlib.module_of, archive.namelist()) if m}


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory):
    out = tmp_path_factory.mktemp("stdlib") / "python_stdlib.zip"
    return out, stdlib.trim(REAL_STDLIB, out)


@real
def test_the_trimmed_zip_is_valid_smaller_and_holds_every_traced_module(trimmed):
    out, done = trimmed
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
    assert done["bytes"] < 0.5 * done["full_bytes"], done["bytes"]
    full, held = modules_in(REAL_STDLIB), modules_in(out)
    missing = {m for m in stdlib.TRACED | stdlib.ENCODINGS if m in full} - held
    assert not missing
    common = {"math", "re", "itertools", "functools", "collections", "random", "fractions", "decimal",
              "statistics", "dataclasses", "typing", "json", "string", "heapq", "copy", "datetime", "enum"}
    assert {m for m in common if m in full} <= held
    assert {"xml", "email.message", "unittest", "http", "multiprocessing", "encodings.cp1250"} <= set(done["omitted"])
    assert held | set(done["omitted"]) == full | {stdlib.FALLBACK_MODULE}
    for module in held:  # every package above a kept module is kept
        parts = module.split(".")
        assert {".".join(parts[:i]) for i in range(1, len(parts))} <= held


def test_the_worker_and_harness_imports_are_all_traced():
    """What the harness files and the snapshot's warm-up import is in TRACED (a new import there
    must be traced again: bench/stdlib_trace.py)."""
    imported = set()
    for name in ("harness.py", "judge.py", "shapes.py", "warmup.py", "bridge.py"):
        source = (ROOT / "staticjudge" / "runtime" / name).read_text()
        imported |= set(re.findall(r"^\s*import ([\w.]+)", source, re.M))
        imported |= set(re.findall(r"^\s*from ([\w.]+) import", source, re.M))
    warmup = re.search(r'export const WARMUP = "([^"]*)"', (ROOT / "staticjudge/theme/assets/snapshot.js").read_text())
    imported |= set(warmup.group(1).replace("import ", "").replace(" ", "").split(","))
    ours = {"harness", "judge", "shapes", "warmup", "bridge", "numpy", "numpy.fft", "numpy.linalg", "numpy.random"}
    stdlib_names = set(sys.stdlib_module_names)
    needed = {m for m in imported - ours if m.split(".")[0] in stdlib_names}
    kept = stdlib.TRACED | stdlib.KEPT_WHOLE
    assert {m for m in needed if m not in kept and m.split(".")[0] not in stdlib.KEPT_WHOLE} <= {
        "builtins", "sys", "time", "itertools", "math", "signal"}  # built into the interpreter


@real
def test_the_fallback_module_in_the_zip_names_what_was_left_out(trimmed):
    out, done = trimmed
    with zipfile.ZipFile(out) as archive:
        source = archive.read(f"{stdlib.FALLBACK_MODULE}.py").decode()
    namespace = {}
    exec(compile(source, "fallback", "exec"), namespace)
    assert namespace["OMITTED"] == frozenset(done["omitted"])


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture
def isolated_imports():
    """sys.path, sys.meta_path and sys.modules as they were, after the test."""
    path, meta, modules = list(sys.path), list(sys.meta_path), dict(sys.modules)
    yield
    sys.path[:], sys.meta_path[:] = path, meta
    for name in set(sys.modules) - set(modules):
        del sys.modules[name]
    importlib.invalidate_caches()


def test_an_import_left_out_fetches_the_full_library_once_and_carries_on(tmp_path, isolated_imports):
    trimmed = make_zip(tmp_path / "trimmed.zip", {"sjpkg/__init__.py": "", "sjpkg/kept.py": "X = 1\n"})
    full = make_zip(tmp_path / "full.zip", {"sjpkg/__init__.py": "", "sjpkg/kept.py": "X = 1\n",
                                            "sjpkg/gone.py": "from . import kept\nY = kept.X + 1\n",
                                            "sjgone/__init__.py": "", "sjgone/sub.py": "Z = 3\n"})
    sys.path.append(str(trimmed))
    fetched = []

    def fetch_full():
        fetched.append(1)
        return full

    stdlib_fallback.install(fetch_full, {"sjpkg.gone", "sjgone", "sjgone.sub"}, str(trimmed))
    import sjpkg.kept  # noqa: F401 - in the trimmed zip: nothing fetched
    assert not fetched
    with pytest.raises(ModuleNotFoundError):
        import sj_not_in_any_library  # noqa: F401 - not left out: the plain error, nothing fetched
    assert not fetched
    from sjpkg import gone  # a submodule of a package the trimmed zip has
    assert gone.Y == 2
    import sjgone.sub  # a whole package left out
    assert sjgone.sub.Z == 3
    assert fetched == [1]


def test_a_fetch_that_fails_gives_the_plain_error_with_the_reason(tmp_path, isolated_imports):
    trimmed = make_zip(tmp_path / "trimmed.zip", {"sjother.py": ""})
    sys.path.append(str(trimmed))

    def offline():
        raise OSError("the network is gone")

    stdlib_fallback.install(offline, {"sjleft"}, str(trimmed))
    with pytest.raises(ModuleNotFoundError, match="No module named 'sjleft'.*the network is gone"):
        import sjleft  # noqa: F401


def test_a_slim_wheel_has_no_stubs_or_headers_and_a_record_that_matches(tmp_path):
    wheel = make_zip(tmp_path / "pkg-1.0-py3-none-any.whl", {
        "pkg/__init__.py": "A = 1\n", "pkg/__init__.pyi": "A: int\n", "pkg/py.typed": "", "pkg/include/pkg.h": "",
        "pkg-1.0.dist-info/METADATA": "Name: pkg\n",
        "pkg-1.0.dist-info/RECORD": "pkg/__init__.py,sha256=x,6\npkg/__init__.pyi,sha256=y,7\npkg/py.typed,,\n"
                                    "pkg/include/pkg.h,,\n"
                                    "pkg-1.0.dist-info/METADATA,,\npkg-1.0.dist-info/RECORD,,\n"})
    slim = tmp_path / "out" / wheel.name
    slim.parent.mkdir()
    slim_wheel(wheel, slim)
    with zipfile.ZipFile(slim) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        record = {line.split(",")[0] for line in archive.read("pkg-1.0.dist-info/RECORD").decode().splitlines()}
    assert not {"pkg/__init__.pyi", "pkg/include/pkg.h"} & names
    assert record == names


def test_a_slim_numpy_wheel_leaves_out_what_cannot_work_in_a_browser(tmp_path):
    wheel = make_zip(tmp_path / "numpy-2.4.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl", {
        "numpy/__init__.py": "", "numpy/f2py/__init__.py": "", "numpy/f2py/crackfortran.py": "",
        "numpy/_pyinstaller/hook-numpy.py": "", "numpy/random/_examples/numba/extending.py": "",
        "numpy/random/__init__.py": "", "numpy/testing/__init__.py": "",
        "numpy-2.4.3.dist-info/RECORD": "numpy/__init__.py,,\nnumpy/f2py/__init__.py,,\nnumpy/random/__init__.py,,\n"})
    slim = tmp_path / "out" / wheel.name
    slim.parent.mkdir()
    slim_wheel(wheel, slim)
    with zipfile.ZipFile(slim) as archive:
        names = set(archive.namelist())
        record = archive.read("numpy-2.4.3.dist-info/RECORD").decode()
    assert names == {"numpy/__init__.py", "numpy/random/__init__.py", "numpy/testing/__init__.py",
                     "numpy-2.4.3.dist-info/RECORD"}  # numpy.testing stays: learners use it
    assert "f2py" not in record


def test_importing_numpy_reads_none_of_what_a_slim_wheel_leaves_out():
    """NumPy (natively, the same version line as Pyodide's) imports without f2py, its PyInstaller
    hooks and random's examples, and with np.random and np.testing in use."""
    code = ("import sys, numpy as np; np.random.default_rng(0).random(3); np.testing.assert_allclose(1, 1); "
            "print(sorted(m for m in sys.modules if m.startswith(('numpy.f2py', 'numpy._pyinstaller', "
            "'numpy.random._examples'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
