"""Shared fixtures: a scratch project made from a valid problem, to break in one place at a time."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_SLUG = "self_attention"
SOLUTIONS = "tests/solutions"  # this course's alternative solutions (site/config.yaml: solutions)


@pytest.fixture
def project(tmp_path):
    """A minimal project (one valid problem with its alternative solutions, the real site/) in a
    temporary folder."""
    shutil.copytree(ROOT / SOLUTIONS / BASE_SLUG, tmp_path / SOLUTIONS / BASE_SLUG)
    (tmp_path / "problems").mkdir()
    (tmp_path / "hidden_tests").mkdir()
    shutil.copyfile(ROOT / "problems" / f"{BASE_SLUG}.md", tmp_path / "problems" / f"{BASE_SLUG}.md")
    shutil.copyfile(ROOT / "hidden_tests" / f"{BASE_SLUG}.py", tmp_path / "hidden_tests" / f"{BASE_SLUG}.py")
    (tmp_path / "site").symlink_to(ROOT / "site")
    return tmp_path


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line of ``path`` containing ``needle``."""
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    found = [number for number, line in enumerate(lines, start=1) if needle in line]
    if len(found) < nth:
        raise AssertionError(f"{needle!r} not {nth} time(s) in {path}")
    return found[nth - 1]


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """This checkout's wheel installed into a fresh venv outside it (tests/installed.py), once a session."""
    from installed import install

    return install(tmp_path_factory.mktemp("installed"))
