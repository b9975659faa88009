"""A course on disk: where its parts are (Paths), its settings (SiteConfig), and how a build
gets Pyodide (RuntimeOptions). Typed and checked once, here; imports only ``model``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model import BuildError, ProblemError

CONFIG_FILE = "config.yaml"
DEFAULT_SITE_DIR = Path(__file__).resolve().parent.parent / "site"  # templates + page assets of this checkout


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
        """The project's own site/ (templates, assets, config), else this checkout's."""
        own = self.root / "site"
        return own if own.exists() or not DEFAULT_SITE_DIR.exists() else DEFAULT_SITE_DIR

    @property
    def config(self) -> Path:
        return self.site / CONFIG_FILE

    @property
    def default_out(self) -> Path:
        return self.root / "_site"


# What each setting holds, in the words an author reads in an error.
_KINDS = {str: "text", bool: "true or false", dict: "a mapping (key: value lines)"}


@dataclass
class SiteConfig:
    """``site/config.yaml``: every setting optional."""

    name: str = "Problems"
    description: str = ""
    tracks: dict = field(default_factory=dict)  # track key -> heading, in index order
    pyodide_version: str = ""
    pyodide_cdn: str = ""
    offline: bool = True  # write sw.js: the site works offline after one visit

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
            if not isinstance(value, kind):
                errors.append(ProblemError(path, lines.get(key), f"`{key}` must be {_KINDS[kind]}, not "
                                           f"{type(value).__name__} ({value!r}); quote it if it is text"))
        for key, heading in (data.get("tracks") or {}).items() if isinstance(data.get("tracks"), dict) else ():
            if not isinstance(key, str) or not isinstance(heading, str):
                errors.append(ProblemError(path, lines.get("tracks"), f"tracks: `{key}: {heading}` must be "
                                           "a track key and its heading, both text"))
        if errors:
            raise BuildError(errors)
        return cls(**data)


@dataclass(frozen=True)
class RuntimeOptions:
    """Where the browser gets Pyodide from (site/pyodide_assets.py)."""

    self_host: bool = False
    packages_dir: Path | None = None
    offline: bool = True  # False: no sw.js whatever site/config.yaml says (`serve`: reloads show the latest build)
