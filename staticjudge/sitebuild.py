"""Problems → a static folder: index, one page per problem, its data, the harness and assets.

All links are relative, so the output works under any URL prefix. The site is written to a
temporary folder and swapped into place only when everything rendered: a failed build never
leaves a half-written site.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import yaml
from markupsafe import Markup

from . import markup
from .frontend import FrontendError, bundle_editor
from .model import Problem, ProblemError
from .parser import load_problems
from .pyodide_assets import PyodideAssetsError, runtime_config

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SITE_DIR = PACKAGE_DIR.parent / "site"  # templates + page assets of this checkout
HARNESS_FILES = ("harness.py", "judge.py")  # shipped to the browser, loaded by the worker


class BuildError(Exception):
    """The build stopped; ``errors`` says why, one located message each."""

    def __init__(self, errors: list):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Paths:
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
    def default_out(self) -> Path:
        return self.root / "_site"


@dataclass
class SiteConfig:
    name: str = "Problems"
    description: str = ""
    tracks: dict = field(default_factory=dict)
    pyodide_version: str = ""
    pyodide_cdn: str = ""

    @classmethod
    def load(cls, path: Path) -> "SiteConfig":
        if not path.exists():
            return cls()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise BuildError([ProblemError(path, mark.line + 1 if mark else None, f"invalid YAML: {exc}")])
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise BuildError([ProblemError(path, None, f"unknown setting(s): {', '.join(sorted(unknown))}")])
        return cls(**data)


# ---------------------------------------------------------------------------------------------
# View models: everything a template shows, computed here so templates hold no logic
# ---------------------------------------------------------------------------------------------
def problem_href(from_root: str, slug: str) -> str:
    return f"{from_root}{slug}/index.html"


def problem_data(problem: Problem) -> dict:
    """What the page's worker needs to run and grade code (written as problem.json)."""
    return {
        "slug": problem.slug,
        "title": problem.title,
        "entry": list(problem.entry),
        "starter": problem.starter.code,
        "time_limit": problem.time_limit,
        "packages": list(problem.packages),
        "tests": [{"name": t.name, "title": t.title} for t in problem.tests],
        "tests_source": problem.tests_source,
    }


def _neighbour(problem: Problem | None) -> dict | None:
    if problem is None:
        return None
    return {"title": problem.title, "href": problem_href("../", problem.slug)}


def problem_view(problem: Problem, prev: Problem | None, nxt: Problem | None, config: SiteConfig) -> dict:
    return {
        "slug": problem.slug,
        "title": problem.title,
        "difficulty": problem.difficulty,
        "tags": problem.tags,
        "entry": problem.entry,
        "track_title": config.tracks.get(problem.track, problem.track),
        "statement_html": Markup(markup.render_markdown(problem.statement)),
        "starter_html": Markup(markup.highlight_python(problem.starter.code)),
        "solution_html": Markup(markup.highlight_python(problem.solution.code)),
        "hints": [Markup(markup.render_markdown(h)) for h in problem.hints],
        "test_titles": [t.title for t in problem.tests],
        "prev": _neighbour(prev),
        "next": _neighbour(nxt),
    }


def index_tracks(problems: list[Problem], config: SiteConfig) -> list[dict]:
    """Problems grouped by track: configured tracks first, in their order, then the rest.

    Each problem keeps its number in the whole sequence (the order prev/next links follow).
    """
    number = {p.slug: i for i, p in enumerate(problems, start=1)}
    keys = list(config.tracks) + sorted({p.track for p in problems} - set(config.tracks))
    tracks = []
    for key in keys:
        members = [p for p in problems if p.track == key]
        if not members:
            continue
        tracks.append({
            "key": key or "problems",
            "title": config.tracks.get(key, key.replace("-", " ").capitalize() or "Problems"),
            "problems": [{"slug": p.slug, "title": p.title, "difficulty": p.difficulty, "tags": p.tags,
                          "summary": p.summary, "href": problem_href("", p.slug), "number": number[p.slug]}
                         for p in members],
        })
    return tracks


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(root: str, title: str, base_url: str, path: str) -> dict:
    canonical = f"{base_url.rstrip('/')}/{path}" if base_url else ""
    return {"root": root, "title": title, "canonical": canonical}


def _line_containing(path: Path, snippet: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if snippet in line:
            return number
    return None


def _render_all(problems: list[Problem], config: SiteConfig, paths: Paths, out: Path, base_url: str) -> None:
    env = _environment(paths.site / "templates")
    site = {"name": config.name, "description": config.description}
    problem_template = env.get_template("problem.html")
    errors = []
    for i, problem in enumerate(problems):
        prev = problems[i - 1] if i > 0 else None
        nxt = problems[i + 1] if i + 1 < len(problems) else None
        try:
            view = problem_view(problem, prev, nxt, config)
        except markup.MathError as exc:
            errors.append(ProblemError(problem.source_path, _line_containing(problem.source_path, exc.tex), str(exc)))
            continue
        folder = out / problem.slug
        folder.mkdir(parents=True, exist_ok=True)
        page = _page("../", f"{problem.title} · {config.name}", base_url, f"{problem.slug}/")
        (folder / "index.html").write_text(
            problem_template.render(page=page, site=site, problem=view), encoding="utf-8")
        (folder / "problem.json").write_text(json.dumps(problem_data(problem), indent=1), encoding="utf-8")
    if errors:
        raise BuildError(errors)
    page = _page("", config.name, base_url, "")
    (out / "index.html").write_text(
        env.get_template("index.html").render(page=page, site=site, tracks=index_tracks(problems, config)),
        encoding="utf-8")


@dataclass(frozen=True)
class RuntimeOptions:
    """Where the browser gets Pyodide from (see pyodide_assets)."""

    self_host: bool = False
    packages_dir: Path | None = None


def _write_assets(paths: Paths, config: SiteConfig, out: Path, runtime: RuntimeOptions) -> None:
    assets = out / "assets"
    shutil.copytree(paths.site / "assets", assets, dirs_exist_ok=True)
    for name in HARNESS_FILES:
        shutil.copyfile(PACKAGE_DIR / name, assets / name)
    (assets / "pygments.css").write_text(markup.pygments_css(), encoding="utf-8")
    try:
        bundle_editor(paths.site, assets)
        data = runtime_config(paths.site, out, config.pyodide_version, config.pyodide_cdn, HARNESS_FILES,
                              self_host=runtime.self_host, packages_dir=runtime.packages_dir)
    except (FrontendError, PyodideAssetsError) as exc:
        raise BuildError([ProblemError(paths.site / "package.json", None, str(exc))]) from None
    (assets / "runtime.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def load_all(paths: Paths) -> list[Problem]:
    problems, errors = load_problems(paths.problems, paths.hidden_tests)
    if errors:
        raise BuildError(errors)
    if not problems:
        raise BuildError([ProblemError(paths.problems, None, "no problems found (add a <slug>.md file)")])
    return problems


def build_site(paths: Paths, out: Path | None = None, base_url: str = "",
               runtime: RuntimeOptions = RuntimeOptions()) -> tuple[Path, list[Problem]]:
    """Build the whole site into ``out`` (default ``_site/``); raise BuildError on any problem."""
    out = Path(out or paths.default_out).resolve()
    config = SiteConfig.load(paths.site / "config.yaml")
    problems = load_all(paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _render_all(problems, config, paths, staging, base_url)
        _write_assets(paths, config, staging, runtime)
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out, problems


def _swap_into_place(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    out.chmod(0o755)
    shutil.rmtree(old, ignore_errors=True)
