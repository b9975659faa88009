"""View models: everything a template shows, computed here so templates hold no logic."""

from __future__ import annotations

import json
import posixpath

from markupsafe import Markup

from .. import __version__
from ..content import markup
from ..model import Problem, mutant_data, problem_hash
from ..project import SiteConfig
from .pyodide_assets import normalized_name

GENERATOR = f"staticjudge {__version__}"
LAUNCH_PAGE = "lms.html"  # a SCORM package's launch page (theme/templates/lms.html)


def problem_launch_page(slug: str) -> str:
    """The launch page of a one-problem SCORM package (``staticjudge scorm --per-problem``)."""
    return f"{slug}/{LAUNCH_PAGE}"


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
        "tolerance": problem.tolerance,  # judge's assert_close defaults (harness.grade's tolerance)
        "hash": problem_hash(problem),  # carried into exported answers (classroom/answers.py)
        # known-wrong code with learner-facing descriptions: run when a check fails, to name the
        # mistake (harness.MutantHints); the solution is never shipped
        "mutants": mutant_data(problem),
    }


def site_view(config: SiteConfig) -> dict:
    # offline: "off" makes pages remove an offline copy an earlier build installed (offline.js).
    return {"name": config.name, "description": config.description, "offline": "on" if config.offline else "off",
            "generator": GENERATOR,
            # a checked colour (project.ACCENT_RE), so it cannot close the style element
            "style": f":root{{--accent:{config.accent}}}" if config.accent else ""}


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
        # The statement's headings go under the page's <h1>; a hint's under the <h2> "Hints".
        "statement_html": Markup(markup.render_markdown(problem.statement, _figures(problem), top_heading=2)),
        "starter_html": Markup(markup.highlight_python(problem.starter.code)),
        "solution_html": Markup(markup.highlight_python(problem.solution.code)),
        "hints": [Markup(markup.render_markdown(h, top_heading=3)) for h in problem.hints],
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


def page_view(root: str, title: str, base_url: str, path: str, csp: str, preload: tuple[str, ...],
              downloads: tuple[str, ...] = ()) -> dict:
    """preload: the modules the page's script imports (module_graph), fetched along with it;
    downloads: what the Python worker will fetch first (boot_downloads), space-separated: started
    from the head (theme/assets/boot-downloads.js)."""
    canonical = f"{base_url.rstrip('/')}/{path}" if base_url else ""
    return {"root": root, "title": title, "canonical": canonical, "csp": csp, "preload": preload,
            "downloads": " ".join(downloads)}


def boot_downloads(runtime: dict, packages, root: str) -> tuple[str, ...]:
    """The URLs a problem page's worker fetches before Python is ready (runtime.json: its Pyodide
    core, the standard library it boots from, the problem's shipped wheels), as the page links
    them: the page preloads them (boot-downloads.js), so they download while its own scripts and
    the worker load."""
    def href(url: str) -> str:
        return url if "://" in url or url.startswith("/") else posixpath.normpath(f"{root}assets/{url}")

    core = runtime["pyodide_url"]
    stdlib = runtime.get("stdlib", {}).get("url")
    urls = [href(core + name) for name in ("pyodide.asm.wasm", "pyodide.asm.mjs", "pyodide.mjs")]
    urls.append(href(stdlib) if stdlib else href(core + "python_stdlib.zip"))
    wheels = runtime.get("wheels", {})
    urls += [href(wheels[key]) for key in (normalized_name(p) for p in packages) if key in wheels]
    return tuple(urls)


def lms_view(problems: list[Problem], version: str) -> dict:
    """A SCORM package's launch page: the SCORM version it speaks, its problems in course order (the
    order of cmi.objectives), the page it frames (the index beside it: the course's at the root,
    a problem's in that problem's folder)."""
    return {"version": version, "problems": " ".join(p.slug for p in problems), "start": "index.html"}
