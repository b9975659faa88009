"""The site's look: the theme shipped in the package (``staticjudge/theme/``), with a course's
own files over it, one by one, as MkDocs' ``custom_dir`` does.

A course's ``site/templates/NAME.html`` replaces the theme's template of that name (and may
``{% extends %}`` or ``{% include %}`` any of the others); ``site/assets/NAME`` replaces the
theme's asset of that name or adds one; ``site/sw.js`` replaces the service worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

THEME_DIR = Path(__file__).resolve().parent.parent / "theme"


@dataclass(frozen=True)
class Theme:
    course_site: Path  # the course's site/ folder (it may not exist)

    @property
    def template_dirs(self) -> list[Path]:
        """Where templates are looked up, the course's first."""
        own = self.course_site / "templates"
        return [own, THEME_DIR / "templates"] if own.is_dir() else [THEME_DIR / "templates"]

    def templates(self) -> list[Path]:
        """Every template file in effect, sorted by name."""
        found: dict[str, Path] = {}
        for folder in reversed(self.template_dirs):
            found.update({p.name: p for p in folder.glob("*.html")})
        return [found[name] for name in sorted(found)]

    def assets(self) -> dict[str, Path]:
        """{path relative to assets/: the file in effect}: the theme's, then the course's over them."""
        found: dict[str, Path] = {}
        for folder in (THEME_DIR / "assets", self.course_site / "assets"):
            if folder.is_dir():
                found.update({p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()})
        return found

    @property
    def service_worker(self) -> Path:
        own = self.course_site / "sw.js"
        return own if own.is_file() else THEME_DIR / "sw.js"
