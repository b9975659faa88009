"""A course on disk: where its parts are (Paths), its settings (SiteConfig), and how a build
gets Pyodide (RuntimeOptions). Typed and checked once, here; imports only ``model``."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model import BuildError, ProblemError

CONFIG_FILE = "config.yaml"
# The Pyodide the harness is tested with (the theme's package.json pins the same npm package).
PYODIDE_VERSION = "314.0.7"
CDN_TEMPLATE = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"


@dataclass(frozen=True)
class Paths:
    """The folders of a course: ``problems/``, ``hidden_tests/`` and ``site/`` under ``root``."""

    root: Path

    @property
    def problems(self) -> Path:
        return self.root / "problems"

    @property
    def hidden_tests(self) -> Path:
        return self.root / "hidden_tests"

    @property
    def site(self) -> Path:
        """The course's own ``site/``: its config.yaml, and templates or assets that override the theme's."""
        return self.root / "site"

    @property
    def config(self) -> Path:
        return self.site / CONFIG_FILE

    @property
    def default_out(self) -> Path:
        return self.root / "_site"


ACCENT_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# What each setting holds, in the words an author reads in an error.
_KINDS = {str: "text", bool: "true or false", int: "a whole number, 0 or more", dict: "a mapping (key: value lines)"}


@dataclass
class SiteConfig:
    """``site/config.yaml``: every setting optional."""

    name: str = "Problems"
    description: str = ""
    tracks: dict = field(default_factory=dict)  # track key -> heading, in index order
    pyodide_version: str = PYODIDE_VERSION
    pyodide_cdn: str = ""  # default: jsDelivr's copy of pyodide_version
    offline: bool = True  # write sw.js: the site works offline after one visit
    accent: str = ""  # a CSS colour (#1f5fbf) for links and buttons; default: the theme's
    # What `check` asks of every problem of this course, beyond the rules of every course:
    alternative_solutions: int = 0  # correct solutions in other styles, in <solutions>/<slug>/*.py
    solutions: str = "solutions"  # the folder (from the course root) of the alternative solutions
    min_mutants: int = 1
    min_requirements: int = 1

    @classmethod
    def load(cls, path: Path) -> "SiteConfig":
        """The settings of ``path`` (defaults when it does not exist); BuildError naming the key,
        file and line of anything unknown or of the wrong type."""
        if not path.exists():
            return cls()
        try:
            text = path.read_text(encoding="utf-8")
            node = yaml.compose(text)
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise BuildError([ProblemError(path, mark.line + 1 if mark else None, f"invalid YAML: {exc}")]) from None
        if not isinstance(data, dict):
            raise BuildError([ProblemError(path, 1, "expected settings as `key: value` lines")])
        lines = {key.value: key.start_mark.line + 1 for key, _ in getattr(node, "value", [])
                 if isinstance(getattr(key, "value", None), str)}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        errors = []
        for key, value in data.items():
            if key not in fields:
                errors.append(ProblemError(path, lines.get(key), f"unknown setting `{key}` (known: "
                                           f"{', '.join(fields)})"))
                continue
            kind = type(fields[key].default) if fields[key].default is not dataclasses.MISSING else dict
            if not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or value < 0)):
                errors.append(ProblemError(path, lines.get(key), f"`{key}` must be {_KINDS[kind]}, not "
                                           f"{type(value).__name__} ({value!r}); quote it if it is text"))
        for key, heading in (data.get("tracks") or {}).items() if isinstance(data.get("tracks"), dict) else ():
            if not isinstance(key, str) or not isinstance(heading, str):
                errors.append(ProblemError(path, lines.get("tracks"), f"tracks: `{key}: {heading}` must be "
                                           "a track key and its heading, both text"))
        accent = data.get("accent")
        if isinstance(accent, str) and accent and not ACCENT_RE.match(accent):
            errors.append(ProblemError(path, lines.get("accent"), f"accent: {accent!r} is not a colour; write it "
                                       "as #rgb or #rrggbb (for example \"#1f5fbf\", quoted)"))
        if errors:
            raise BuildError(errors)
        return cls(**data)

    def solutions_dir(self, paths: Paths) -> Path:
        """Alternative correct solutions, ``<solutions>/<slug>/*.py``: check grades each (they must pass)."""
        return paths.root / self.solutions

    def __post_init__(self):
        if not self.pyodide_cdn:
            self.pyodide_cdn = CDN_TEMPLATE.format(version=self.pyodide_version)


@dataclass(frozen=True)
class RuntimeOptions:
    """Where the browser gets Pyodide from (site/pyodide_assets.py)."""

    self_host: bool = False
    packages_dir: Path | None = None
    pyodide_dist: Path | None = None  # --pyodide-dist: an unpacked Pyodide to self-host from
    offline: bool = True  # False: no sw.js whatever site/config.yaml says (`serve`: reloads show the latest build)
    lms: str = ""  # "1.2" or "2004": a SCORM package's build (site/scorm.py): no sw.js, plus the launch page
