"""Problems → a static folder: index, one page per problem, its data, the harness and assets.

All links are relative, so the output works under any URL prefix. The site is written to a
temporary folder and swapped into place only when everything rendered: a failed build never
leaves a half-written site.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..content import markup
from ..content.parser import load_course, parse_or_error
from ..model import BuildError, Problem, ProblemError, problem_hash
from ..project import Paths, RuntimeOptions, SiteConfig
from ..runtime import RUNTIME_DIR, RUNTIME_FILES, messages
from .csp import content_security_policy, origin
from .frontend import FrontendError, bundle_editor
from .module_graph import static_imports
from .offline import SERVICE_WORKER, service_worker
from .parallel import parallel_map
from .pyodide_assets import PyodideAssetsError, distribution_name, runtime_config


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
        "hash": problem_hash(problem),  # carried into exported answers (classroom/answers.py)
    }


def site_view(config: SiteConfig) -> dict:
    # offline: "off" makes pages remove an offline copy an earlier build installed (offline.js).
    return {"name": config.name, "description": config.description, "offline": "on" if config.offline else "off"}


def _neighbour(problem: Problem | None) -> dict | None:
    if problem is None:
        return None
    return {"title": problem.title, "href": problem_href("../", problem.slug)}


def _figures(problem: Problem) -> dict[str, str] | None:
    """The statement's ```matrix figures; NumPy and the solution are loaded only when it has some."""
    if not problem.figures:
        return None
    from ..content.figures import render_figures

    return render_figures(problem)


def problem_view(problem: Problem, prev: Problem | None, nxt: Problem | None, config: SiteConfig) -> dict:
    return {
        "slug": problem.slug,
        "title": problem.title,
        "difficulty": problem.difficulty,
        "tags": problem.tags,
        "entry": problem.entry,
        "packages": " ".join(problem.packages),  # for the worker to start loading before problem.json
        "hash": problem_hash(problem),
        "track_title": config.tracks.get(problem.track, problem.track),
        "statement_html": Markup(markup.render_markdown(problem.statement, _figures(problem))),
        "starter_html": Markup(markup.highlight_python(problem.starter.code)),
        "solution_html": Markup(markup.highlight_python(problem.solution.code)),
        "hints": [Markup(markup.render_markdown(h)) for h in problem.hints],
        "test_titles": [t.title for t in problem.tests],
        "prev": _neighbour(prev),
        "next": _neighbour(nxt),
    }


def package_sets(problems: list[Problem]) -> str:
    """The package sets the problems load, the first problem's first (JSON): the index warms each."""
    sets = []
    for problem in problems:
        wanted = sorted(problem.packages)
        if wanted not in sets:
            sets.append(wanted)
    return json.dumps(sets)


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


def _page(root: str, title: str, base_url: str, path: str, csp: str, preload: tuple[str, ...]) -> dict:
    """preload: the modules the page's script imports (module_graph), fetched along with it."""
    canonical = f"{base_url.rstrip('/')}/{path}" if base_url else ""
    return {"root": root, "title": title, "canonical": canonical, "csp": csp, "preload": preload}


def _line_containing(path: Path, snippet: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if snippet in line:
            return number
    return None


def _problem_page(problem: Problem, prev: Problem | None, nxt: Problem | None, config: SiteConfig,
                  template: jinja2.Template, base_url: str, csp: str,
                  preload: tuple[str, ...]) -> tuple[str, str] | ProblemError:
    """The page and problem.json of one problem, or the located error that stops it."""
    try:
        view = problem_view(problem, prev, nxt, config)
    except markup.MathError as exc:
        return ProblemError(problem.source_path, _line_containing(problem.source_path, exc.tex), str(exc))
    except ProblemError as exc:  # a ```matrix figure that did not evaluate
        return exc
    page = _page("../", f"{problem.title} · {config.name}", base_url, f"{problem.slug}/", csp, preload)
    site = site_view(config)
    html = template.render(page=page, site=site, problem=view)
    return html, json.dumps(problem_data(problem), indent=1)


def external_origins(runtime: RuntimeOptions, config: SiteConfig, problems: list[Problem]) -> list[str]:
    """The origins pages fetch Pyodide from besides the site: the CDN, unless nothing needs it."""
    if not config.pyodide_cdn:
        return []
    if runtime.self_host:
        given = ({distribution_name(w) for w in Path(runtime.packages_dir).glob("*.whl")}
                 if runtime.packages_dir and Path(runtime.packages_dir).is_dir() else set())
        wanted = {re.sub(r"[-_.]+", "-", name).lower() for p in problems for name in p.packages}
        if wanted <= given:
            return []
    return [origin(config.pyodide_cdn)]


PAGE_MESSAGES = "messages.js"  # written into the output's assets/, imported by pyclient.js


def messages_module() -> str:
    """``runtime/messages.json`` as the ES module the page imports: a stopped run's texts."""
    return ("// Written by the site build from staticjudge/runtime/messages.json, which native grading\n"
            "// reads too: the texts of a stopped run's Report.\n"
            f"export default Object.freeze({json.dumps(messages(), indent=1, ensure_ascii=False)});\n")


def _write_assets(paths: Paths, config: SiteConfig, out: Path, runtime: RuntimeOptions) -> None:
    assets = out / "assets"
    shutil.copytree(paths.site / "assets", assets, dirs_exist_ok=True)
    for name in RUNTIME_FILES:
        shutil.copyfile(RUNTIME_DIR / name, assets / name)
    (assets / PAGE_MESSAGES).write_text(messages_module(), encoding="utf-8")
    (assets / "pygments.css").write_text(markup.pygments_css(), encoding="utf-8")
    try:
        bundle_editor(paths.site, assets)
        data = runtime_config(paths.site, out, config.pyodide_version, config.pyodide_cdn, RUNTIME_FILES,
                              self_host=runtime.self_host, packages_dir=runtime.packages_dir)
    except (FrontendError, PyodideAssetsError) as exc:
        raise BuildError([ProblemError(paths.site / "package.json", None, str(exc))]) from None
    (assets / "runtime.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(path.read_bytes() if path.is_file() else b"\0missing")
    return digest.hexdigest()


class SiteBuilder:
    """Builds the site, remembering parsed problems and rendered pages from one build to the next.

    A one-off ``build`` parses and renders on every core; ``serve`` keeps one builder, so after
    an edit only the changed problem (and the neighbours whose prev/next links name it) is parsed
    and rendered again.
    """

    def __init__(self, paths: Paths, base_url: str = "", runtime: RuntimeOptions | None = None):
        self.paths = paths
        self.base_url = base_url
        self.runtime = runtime or RuntimeOptions()
        self._parsed: dict[Path, tuple[str, Problem | ProblemError]] = {}
        self._pages: dict[str, tuple[tuple, tuple[str, str]]] = {}
        self._written: tuple[Path, dict[str, bytes]] | None = None  # output folder, file digests

    # -- parsing ----------------------------------------------------------------------------------
    def _parse_many(self, md_paths: list[Path], tests_dir: Path) -> list:
        keys = {p: _fingerprint(p, tests_dir / f"{p.stem}.py") for p in md_paths}
        stale = [p for p in md_paths if self._parsed.get(p, (None,))[0] != keys[p]]
        for path, result in zip(stale, parallel_map(lambda p: parse_or_error(p, tests_dir), stale)):
            self._parsed[path] = (keys[path], result)
        self._parsed = {p: self._parsed[p] for p in md_paths}  # forget deleted problems
        return [self._parsed[p][1] for p in md_paths]

    # -- rendering --------------------------------------------------------------------------------
    def _render_pages(self, problems: list[Problem], config: SiteConfig, env: jinja2.Environment,
                      csp: str) -> list:
        template = env.get_template("problem.html")
        preload = tuple(static_imports(self.paths.site / "assets", "app.js"))
        setting = (repr(config), _fingerprint(*sorted((self.paths.site / "templates").glob("*.html"))),
                   self.base_url, csp, preload)

        def key(i: int) -> tuple:
            prev = problems[i - 1] if i > 0 else None
            nxt = problems[i + 1] if i + 1 < len(problems) else None
            around = tuple((p.slug, p.title) if p else None for p in (prev, nxt))
            return (self._parsed[problems[i].source_path][0], around, setting)

        keys = [key(i) for i in range(len(problems))]
        stale = [i for i, p in enumerate(problems) if self._pages.get(p.slug, (None,))[0] != keys[i]]

        def render(i: int):
            prev = problems[i - 1] if i > 0 else None
            nxt = problems[i + 1] if i + 1 < len(problems) else None
            return _problem_page(problems[i], prev, nxt, config, template, self.base_url, csp, preload)

        errors = []
        for i, result in zip(stale, parallel_map(render, stale)):
            if isinstance(result, ProblemError):
                errors.append(result)
                self._pages.pop(problems[i].slug, None)
            else:
                self._pages[problems[i].slug] = (keys[i], result)
        if errors:
            raise BuildError(errors)
        return [self._pages[p.slug][1] for p in problems]

    def _pages_and_index(self, problems: list[Problem], config: SiteConfig) -> dict[str, bytes]:
        """Every rendered file of the site but the assets: {relative path: content}."""
        env = _environment(self.paths.site / "templates")
        try:
            csp = content_security_policy(external_origins(self.runtime, config, problems))
        except ValueError as exc:
            raise BuildError([ProblemError(self.paths.site / "config.yaml", None, f"pyodide_cdn: {exc}")]) from None
        files = {}
        for problem, (html, data) in zip(problems, self._render_pages(problems, config, env, csp)):
            files[f"{problem.slug}/index.html"] = html.encode()
            files[f"{problem.slug}/problem.json"] = data.encode()
        site = site_view(config)
        preload = tuple(static_imports(self.paths.site / "assets", "index.js"))
        index = env.get_template("index.html").render(page=_page("", config.name, self.base_url, "", csp, preload),
                                                      site=site,
                                                      tracks=index_tracks(problems, config),
                                                      package_sets=package_sets(problems))
        files["index.html"] = index.encode()
        return files

    def _assets(self, config: SiteConfig, scratch: Path) -> dict[str, bytes]:
        _write_assets(self.paths, config, scratch, self.runtime)
        return {p.relative_to(scratch).as_posix(): p.read_bytes() for p in sorted(scratch.rglob("*")) if p.is_file()}

    def _cdn(self, config: SiteConfig, problems: list[Problem]) -> str:
        """The Pyodide CDN's URL prefix if pages load anything from it, else ""."""
        return config.pyodide_cdn if external_origins(self.runtime, config, problems) else ""

    def build(self, out: Path | None = None) -> tuple[Path, list[Problem]]:
        """Build the whole site into ``out`` (default ``_site/``); raise BuildError on any problem.

        Everything is rendered before anything is written. A first build writes a fresh folder
        and swaps it in; later builds into the same folder replace only the files that changed.
        """
        out = Path(out or self.paths.default_out).resolve()
        config = SiteConfig.load(self.paths.site / "config.yaml")
        if not self.runtime.offline:
            config = dataclasses.replace(config, offline=False)
        problems = load_course(self.paths, self._parse_many)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            files = self._pages_and_index(problems, config)
        except jinja2.TemplateError as exc:
            raise BuildError([_template_error(self.paths.site / "templates", exc)]) from None
        with tempfile.TemporaryDirectory(prefix=f".{out.name}-assets-", dir=out.parent) as scratch:
            files.update(self._assets(config, Path(scratch)))
        worker = config.offline and service_worker(self.paths.site / SERVICE_WORKER, files, self._cdn(config, problems))
        if worker:
            files[SERVICE_WORKER] = worker
        digests = {path: hashlib.blake2b(data, digest_size=16).digest() for path, data in files.items()}
        if self._written is not None and self._written[0] == out and out.is_dir():
            _update_in_place(out, files, digests, self._written[1])
        else:
            _write_fresh(out, files)
        self._written = (out, digests)
        return out, problems


def _template_error(templates: Path, exc: jinja2.TemplateError) -> ProblemError:
    """A template mistake, located where Jinja2 knows the place."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    path = Path(name) if name and Path(name).is_absolute() else templates / (name or "")
    return ProblemError(path, getattr(exc, "lineno", None), f"template error: {exc.message or exc}")


def _write_fresh(out: Path, files: dict[str, bytes]) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for path, data in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _update_in_place(out: Path, files: dict[str, bytes], digests: dict, previous: dict) -> None:
    """Write the files whose content changed (each replaced atomically), remove the ones gone."""
    for path, data in files.items():
        if previous.get(path) != digests[path] or not (out / path).exists():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(data)
            os.replace(partial, target)
    for path in set(previous) - set(files):
        (out / path).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (out / path).parent.rmdir()  # only if it is now empty


def build_site(paths: Paths, out: Path | None = None, base_url: str = "",
               runtime: RuntimeOptions = RuntimeOptions()) -> tuple[Path, list[Problem]]:
    """Build the whole site into ``out`` (default ``_site/``); raise BuildError on any problem."""
    return SiteBuilder(paths, base_url, runtime).build(out)


def _swap_into_place(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    out.chmod(0o755)
    shutil.rmtree(old, ignore_errors=True)
