"""``init DIR``: a new course, from the template shipped beside this module (``course_template/``).

It writes ``site/config.yaml``, one small example problem that ``check`` proves sound (with
requirements, mutants and hints), a ``.gitignore``, a README, and a GitHub Pages workflow that
installs this very version of staticjudge, checks, builds and publishes.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..project import PYODIDE_VERSION

TEMPLATE_DIR = Path(__file__).resolve().parent / "course_template"
# Files whose names start with a dot are stored without it (packaging tools skip dotfiles).
DOTTED = {"gitignore": ".gitignore", "github": ".github"}


class CourseError(Exception):
    """The course could not be written; the message says why and what to do."""


def _target_name(relative: Path) -> Path:
    first, *rest = relative.parts
    return Path(DOTTED.get(first, first), *rest)


def course_files() -> dict[Path, str]:
    """{path in the new course: its text}, with this version of staticjudge and of Pyodide filled in."""
    files = {}
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            text = source.read_text(encoding="utf-8")
            text = text.replace("@VERSION@", __version__).replace("@PYODIDE_VERSION@", PYODIDE_VERSION)
            files[_target_name(source.relative_to(TEMPLATE_DIR))] = text
    return files


def init_course(folder: Path, force: bool = False) -> list[Path]:
    """Write a new course into ``folder``; refuse a folder that holds anything unless ``force``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CourseError(f"{folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise CourseError(f"{folder} is not empty; pick a new folder, or add --force to write into it "
                          "(files of the same name are replaced)")
    written = []
    for relative, text in course_files().items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
