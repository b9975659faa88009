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
import shutil
import tempfile
from pathlib import Path

import jinja2

from ..content import markup
from ..content.parser import load_course, parse_or_error
from ..model import BuildError, Problem, ProblemError
from ..project import Paths, RuntimeOptions, SiteConfig
from ..runtime import RUNTIME_DIR, RUNTIME_FILES, messages
from .csp import content_security_policy, origin
from .frontend import BUNDLE_NAME, FrontendError, editor_bundle
from .module_graph import static_imports
from .offline import SERVICE_WORKER, service_worker
from .parallel import parallel_map
from .pyodide_assets import PyodideAssetsError, distribution_name, normalized_name, runtime_config
from .theme import Theme
from .views import (GENERATOR, LAUNCH_PAGE, boot_downloads, index_tracks, lms_view, package_sets, page_view,
                    problem_data, problem_launch_page, problem_view, site_view)

def _environment(theme: Theme) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in theme.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _line_containing(path: Path, snippet: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if snippet in line:
            return number
    return None


def _problem_page(problem: Problem, prev: Problem | None, nxt: Problem | None, config: SiteConfig,
                  template: jinja2.Template, base_url: str, csp: str,
                  preload: tuple[str, ...], runtime: dict) -> tuple[str, str] | ProblemError:
    """The page and problem.json of one problem, or the located error that stops it."""
    try:
        view = problem_view(problem, prev, nxt, config)
    except markup.MathError as exc:
        return ProblemError(problem.source_path, _line_containing(problem.source_path, exc.tex), str(exc))
    except ProblemError as exc:  # a ```matrix figure that did not evaluate
        return exc
    page = page_view("../", f"{problem.title} · {config.name}", base_url, f"{problem.slug}/", csp, preload,
                     boot_downloads(runtime, problem.packages, "../"))
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
        wanted = {normalized_name(name) for p in problems for name in p.packages}
        if wanted <= given:
            return []
    return [origin(config.pyodide_cdn)]


PAGE_MESSAGES = "messages.js"  # written into the output's assets/, imported by pyclient.js


def messages_module() -> str:
    """``runtime/messages.json`` as the ES module the page imports: a stopped run's texts."""
    return ("// Written by the site build from staticjudge/runtime/messages.json, which native grading\n"
            "// reads too: the texts of a stopped run's Report.\n"
            f"export default Object.freeze({json.dumps(messages(), indent=1, ensure_ascii=False)});\n")


def _write_assets(paths: Paths, theme: Theme, config: SiteConfig, out: Path, runtime: RuntimeOptions) -> None:
    assets = out / "assets"
    for name, source in theme.assets().items():
        (assets / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, assets / name)
    for name in RUNTIME_FILES:
        shutil.copyfile(RUNTIME_DIR / name, assets / name)
    (assets / PAGE_MESSAGES).write_text(messages_module(), encoding="utf-8")
    (assets / "pygments.css").write_text(markup.pygments_css(), encoding="utf-8")
    try:
        shutil.copyfile(editor_bundle(), assets / BUNDLE_NAME)
        data = runtime_config(out, config.pyodide_version, config.pyodide_cdn, RUNTIME_FILES,
                              self_host=runtime.self_host, packages_dir=runtime.packages_dir,
                              dist_dir=runtime.pyodide_dist)
    except (FrontendError, PyodideAssetsError) as exc:
        raise BuildError([ProblemError(paths.config, None, str(exc))]) from None
    data["generator"] = GENERATOR
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
        self.theme = Theme(paths.site)
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
    def _page_modules(self) -> dict[str, str]:
        """{path under assets/: source} of every page module the site ships, the built ones too."""
        modules = {name: path.read_text(encoding="utf-8") for name, path in self.theme.assets().items()
                   if name.endswith(".js")}
        modules[PAGE_MESSAGES] = messages_module()
        return modules

    def _render_pages(self, problems: list[Problem], config: SiteConfig, env: jinja2.Environment,
                      csp: str, runtime: dict, preload: tuple[str, ...]) -> list:
        template = env.get_template("problem.html")
        setting = (repr(config), _fingerprint(*self.theme.templates()),
                   self.base_url, csp, preload, json.dumps(runtime, sort_keys=True))

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
            return _problem_page(problems[i], prev, nxt, config, template, self.base_url, csp, preload, runtime)

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

    def _pages_and_index(self, problems: list[Problem], config: SiteConfig, runtime: dict) -> dict[str, bytes]:
        """Every rendered file of the site but the assets: {relative path: content}. runtime: the
        worker's runtime.json (problem pages start its downloads from their head)."""
        env = _environment(self.theme)
        try:
            csp = content_security_policy(external_origins(self.runtime, config, problems))
        except ValueError as exc:
            raise BuildError([ProblemError(self.paths.config, None, f"pyodide_cdn: {exc}")]) from None
        modules = self._page_modules()  # read once: both entry scripts' preloads come from it
        problem_preload = tuple(static_imports(modules, "app.js"))
        files = {}
        for problem, (html, data) in zip(problems, self._render_pages(problems, config, env, csp, runtime,
                                                                      problem_preload)):
            files[f"{problem.slug}/index.html"] = html.encode()
            files[f"{problem.slug}/problem.json"] = data.encode()
        site = site_view(config)
        preload = tuple(static_imports(modules, "index.js"))
        index = env.get_template("index.html").render(page=page_view("", config.name, self.base_url, "", csp, preload),
                                                      site=site,
                                                      tracks=index_tracks(problems, config),
                                                      package_sets=package_sets(problems))
        files["index.html"] = index.encode()
        if self.runtime.lms:  # a SCORM package's launch page: frames the course, talks to the LMS (lms.js)
            frames = content_security_policy(external_origins(self.runtime, config, problems), frames=True)
            # The course's, then each problem's (the packages of scorm --per-problem): (file, root, title, problems).
            launches = [(LAUNCH_PAGE, "", config.name, problems)] + [
                (problem_launch_page(p.slug), "../", f"{p.title} · {config.name}", [p]) for p in problems]
            for name, root, title, scope in launches:
                launch = env.get_template("lms.html").render(
                    page=page_view(root, title, self.base_url, name if root else "", frames, ()),
                    site=site, lms=lms_view(scope, self.runtime.lms))
                files[name] = launch.encode()
        return files

    def _assets(self, config: SiteConfig, scratch: Path) -> dict[str, bytes]:
        _write_assets(self.paths, self.theme, config, scratch, self.runtime)
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
        config = SiteConfig.load(self.paths.config)
        if not self.runtime.offline or self.runtime.lms:  # no offline copy inside an LMS's frame
            config = dataclasses.replace(config, offline=False)
        problems = load_course(self.paths, self._parse_many)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{out.name}-assets-", dir=out.parent) as scratch:
            assets = self._assets(config, Path(scratch))
        try:
            files = self._pages_and_index(problems, config, json.loads(assets["assets/runtime.json"]))
        except jinja2.TemplateError as exc:
            raise BuildError([_template_error(self.theme, exc)]) from None
        files.update(assets)
        worker = config.offline and service_worker(self.theme.service_worker, files, self._cdn(config, problems))
        if worker:
            files[SERVICE_WORKER] = worker
        digests = {path: hashlib.blake2b(data, digest_size=16).digest() for path, data in files.items()}
        if self._written is not None and self._written[0] == out and out.is_dir():
            _update_in_place(out, files, digests, self._written[1])
        else:
            _write_fresh(out, files)
        self._written = (out, digests)
        return out, problems


def _template_error(theme: Theme, exc: jinja2.TemplateError) -> ProblemError:
    """A template mistake, located where Jinja2 knows the place."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    path = Path(name) if name and Path(name).is_absolute() else theme.template_dirs[0] / (name or "")
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
