"""The command line: ``staticjudge init | new | check | build | scorm | serve | grade | grade-class``
(``python build.py …`` in this repository is the same)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from . import __version__
from .content.parser import load_course, load_problems, order_errors, parse_problem
from .model import BuildError, ProblemError
from .project import Paths, RuntimeOptions, SiteConfig
from .site.build import build_site

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def _say_errors(errors) -> None:
    for error in errors:
        print(f"error: {error}", file=sys.stderr)


def _stopped(what: str, exc: BuildError) -> int:
    _say_errors(exc.errors)
    print(f"{what} stopped: {len(exc.errors)} error(s); nothing was written", file=sys.stderr)
    return EXIT_FAIL


# ---------------------------------------------------------------------------------------------
def cmd_build(args, paths: Paths) -> int:
    try:
        out, problems = build_site(paths, Path(args.out) if args.out else None, args.base_url,
                                   _runtime_options(args))
    except BuildError as exc:
        return _stopped("build", exc)
    print(f"built {len(problems)} problem(s) into {out}")
    return EXIT_OK


def cmd_scorm(args, paths: Paths) -> int:
    from .site.scorm import build_package

    try:
        written, problems = build_package(paths, Path(args.out), args.scorm_version, args.base_url,
                                          _runtime_options(args), per_problem=args.per_problem)
    except BuildError as exc:
        return _stopped("package", exc)
    if args.per_problem:
        print(f"wrote {len(written)} SCORM {args.scorm_version} package(s), one per problem, to {Path(args.out).resolve()}")
    else:
        print(f"wrote a SCORM {args.scorm_version} package of {len(problems)} problem(s) to {written[0]}")
    return EXIT_OK


def _runtime_options(args) -> RuntimeOptions:
    packages, dist = getattr(args, "pyodide_packages", None), getattr(args, "pyodide_dist", None)
    return RuntimeOptions(self_host=getattr(args, "self_host", False) or bool(dist),
                          packages_dir=Path(packages).resolve() if packages else None,
                          pyodide_dist=Path(dist).resolve() if dist else None)


def cmd_serve(args, paths: Paths) -> int:
    from .site.serve import serve

    # No offline copy while authoring: a reload shows the latest build, not the cached one.
    runtime = dataclasses.replace(_runtime_options(args), offline=False)
    return serve(paths, port=args.port, host=args.host, out=Path(args.out) if args.out else None, runtime=runtime)


def _problems_to_check(paths: Paths, slugs: list[str], solutions: Path):
    """All problems, or only the named ones (so a half-written neighbour does not block them,
    though an order one of them shares with a neighbour does)."""
    from .authoring.rules import orphan_alternatives

    if not slugs:
        problems = load_course(paths)
        orphans = orphan_alternatives(paths, solutions, {p.slug for p in problems})
        if orphans:
            raise BuildError(orphans)
        return problems
    unknown = [s for s in slugs if not (paths.problems / f"{s}.md").exists()]
    if unknown:
        raise LookupError(f"unknown problem(s): {', '.join(unknown)} (no such file in {paths.problems})")
    problems, errors = [], []
    for slug in slugs:
        try:
            problems.append(parse_problem(paths.problems / f"{slug}.md", paths.hidden_tests))
        except ProblemError as exc:
            errors.append(exc)
    if not errors:
        others, _their_errors = load_problems(paths.problems, paths.hidden_tests)
        named = {p.slug for p in problems}
        errors = order_errors(problems + [p for p in others if p.slug not in named], blame=named)
    if errors:
        raise BuildError(errors)
    return problems


def cmd_check(args, paths: Paths) -> int:
    from .authoring.checker import check_problem, generated_report, mutation_report, requirements_report, summary_line
    from .authoring.rules import CourseRules

    try:
        config = SiteConfig.load(paths.config)
        rules = CourseRules.of(paths, config)
        problems = _problems_to_check(paths, args.slugs, config.solutions_dir(paths))
    except BuildError as exc:
        _say_errors(exc.errors)
        return EXIT_FAIL
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    failed = 0
    killed = total = 0
    for problem in problems:
        result = check_problem(problem, rules)
        print(summary_line(result), flush=True)
        for error in result.errors:
            print(f"  {error}")
        if args.report:
            print("\n".join(requirements_report(result) + mutation_report(result) + generated_report(result)))
        killed += result.killed
        total += len(result.mutants)
        failed += not result.ok
    if args.report:
        print(f"mutation score: {killed}/{total} mutants killed")
    print(f"{len(problems) - failed} of {len(problems)} problem(s) ok")
    return EXIT_FAIL if failed else EXIT_OK


def format_shapes(code: str, shapes: dict) -> str:
    """The learner's code with, after each line, the shapes that line assigned (``--shapes``), its
    function's parameters on a ``def`` line, and a line that raised with its operands."""
    from .runtime.shapes import entry_text, raised_text

    test = shapes.get("test")
    if shapes.get("error") and not test:
        return f"--- shapes: none ({shapes['error']['message']}) ---"
    verdict = {"pass": "passes", "fail": "fails", "error": "raises an error"}.get(test["status"], test["status"])
    lines = [f"--- shapes per line, from the test \"{test['title']}\" ({test['name']}), which {verdict} ---"]
    if shapes.get("call") and shapes.get("calls", 0) > 1:
        lines.append(f"(it called your code {shapes['calls']} times; shown: call {shapes['call']}, the one that "
                     + ("was stopped)" if shapes.get("stopped") else "raised an error)"))
    notes: dict[int, list[str]] = {}
    for entry in shapes["lines"]:
        notes.setdefault(entry["line"], []).append(entry_text(entry))
    for entry in shapes.get("raised", []):
        notes.setdefault(entry["line"], []).append(raised_text(entry))
    source = code.splitlines()
    width = min(60, max((len(line) for line in source), default=0))
    for number, line in enumerate(source, 1):
        mark = ">" if number == test.get("line") else " "
        text = f"{mark}{number:4} | {line}"
        if number in notes:
            text = f"{text:<{width + 8}}  # " + " · ".join(notes[number])
        lines.append(text.rstrip())
    if test.get("message"):
        where = f" (line {test['line']})" if test.get("line") else ""
        lines.append(f"{test['message'].splitlines()[0]}{where}")
    return "\n".join(lines)


def cmd_grade(args, paths: Paths) -> int:
    from .grading import grade, trace_shapes
    from .grading.report import report_text

    problem_path = paths.problems / f"{args.slug}.md"
    if not problem_path.exists():
        print(f"error: no problem named '{args.slug}' ({problem_path} does not exist)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        problem = parse_problem(problem_path, paths.hidden_tests)
    except ProblemError as exc:
        _say_errors([exc])
        return EXIT_BAD_INPUT
    try:
        code = Path(args.file).read_bytes().decode("utf-8")
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UnicodeDecodeError:
        print(f"error: {args.file} is not UTF-8 text", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = grade(problem, code)
    if args.shapes or args.test:
        shapes = trace_shapes(problem, code, args.test)
        if args.test and shapes.get("error", {}) and shapes["error"].get("kind") == "test":
            print(f"error: {shapes['error']['message']}", file=sys.stderr)
            return EXIT_BAD_INPUT
        report["shapes"] = shapes
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(report_text(report))
        if "shapes" in report:
            print(format_shapes(code, report["shapes"]))
    return EXIT_OK if report["status"] == "pass" else EXIT_FAIL


def cmd_grade_class(args, paths: Paths) -> int:
    from .classroom.gradebook import answer_files, grade_class, write_gradebook

    missing = [f for f in args.files if not Path(f).exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    files = answer_files([Path(f) for f in args.files])
    if not files:
        print("error: no answer files found (give exported .json files or folders holding them)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        problems = load_course(paths)
    except BuildError as exc:
        _say_errors(exc.errors)
        return EXIT_BAD_INPUT
    try:
        site = SiteConfig.load(paths.config).name
    except Exception:  # noqa: BLE001 - a project without site/config.yaml still grades
        site = paths.root.name
    rows = grade_class(problems, files, args.jobs)
    out = write_gradebook(rows, problems, Path(args.out), site)
    broken = sum(1 for r in rows if r.error)
    graded = sum(1 for r in rows for v in r.results.values() if v.get("report"))
    print(f"graded {graded} answer(s) from {len(rows) - broken} file(s)"
          + (f"; {broken} file(s) not graded (see notes)" if broken else ""))
    print(f"wrote {out['csv']}, {out['json']} and {out['reports']}/")
    return EXIT_OK


def cmd_new(args, paths: Paths) -> int:
    from .authoring.scaffold import new_alternatives, new_problem

    try:
        config = SiteConfig.load(paths.config)
    except BuildError as exc:
        _say_errors(exc.errors)
        return EXIT_BAD_INPUT
    problems, _errors = load_problems(paths.problems, paths.hidden_tests)
    order = max((p.order for p in problems), default=0) + 1
    try:
        md, tests = new_problem(args.slug, paths.problems, paths.hidden_tests, order, next(iter(config.tracks), ""))
    except ProblemError as exc:
        _say_errors([exc])
        return EXIT_BAD_INPUT
    alternatives = new_alternatives(args.slug, config.solutions_dir(paths), config.alternative_solutions)
    written = ", ".join(map(str, [md, tests, *alternatives]))
    print(f"wrote {written}\n"
          f"next: edit them, then run `staticjudge check {args.slug}` until it says ok")
    return EXIT_OK


def cmd_init(args, paths: Paths) -> int:
    from .authoring.course import CourseError, init_course

    try:
        written = init_course(Path(args.dir), force=args.force)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    where = Path(args.dir)
    print(f"wrote a new course into {where} ({len(written)} files)\n"
          f"next: cd {where} && staticjudge serve    (then open http://127.0.0.1:8000/)")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
def _add_runtime_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--self-host", action="store_true", help="copy the Pyodide core into the output instead "
                   "of loading it from the CDN (from --pyodide-dist, else the pinned npm package: needs Node.js)")
    p.add_argument("--pyodide-dist", metavar="DIR", help="an unpacked Pyodide release or npm package of the "
                   "pinned version to self-host from (implies --self-host; no Node.js needed)")
    p.add_argument("--pyodide-packages", metavar="DIR", help="copy the wheels in DIR (e.g. NumPy's Pyodide "
                   "wheel) into the output and load them from there instead of the CDN")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="staticjudge", description="Build and check a static site of "
                                     "browser-graded coding problems.")
    parser.add_argument("--version", action="version", version=f"staticjudge {__version__}")
    parser.add_argument("--root", default=None, help="course folder holding problems/, hidden_tests/ "
                        "and site/ (default: the current folder, or the nearest one above it that has problems/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="render the site into a folder (default _site/)")
    p.add_argument("--out", help="output folder (default: _site)")
    p.add_argument("--base-url", default="", help="public URL prefix, used only for canonical links: "
                   "pages link relatively and work under any prefix")
    _add_runtime_flags(p)
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("scorm", help="write the course as a SCORM package (a zip) for Moodle, Canvas, "
                       "Blackboard or Brightspace: scores and saved code reach the LMS (see docs/lms.md)")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="the package to write (with --per-problem: "
                   "the folder to write one package per problem into, as SLUG.zip)")
    p.add_argument("--per-problem", action="store_true", help="one package per problem, so the LMS's gradebook "
                   "has a column per problem (default: one package for the whole course)")
    p.add_argument("--scorm-version", choices=("1.2", "2004"), default="1.2", help="SCORM 1.2 (default: "
                   "what every LMS plays best) or 2004 4th edition")
    p.add_argument("--base-url", default="", help="as for build (canonical links only)")
    _add_runtime_flags(p)
    p.set_defaults(run=cmd_scorm)

    p = sub.add_parser("serve", help="build, serve on localhost and rebuild on every change")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--out", help="output folder (default: _site)")
    _add_runtime_flags(p)
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("check", help="prove problems sound: solution passes, mutants fail, examples match")
    p.add_argument("slugs", nargs="*", metavar="SLUG")
    p.add_argument("--report", action="store_true", help="also print each problem's requirements "
                   "(with the tests claiming them and their mutants) and mutation scores")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("grade", help="grade a learner's file natively (exit 0: all pass, 1: some fail, "
                       "2: bad input)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--shapes", action="store_true", help="also run one test with your lines traced and "
                   "show, next to each line, the shapes and dtypes of what it assigned (the first test "
                   "that fails, or --test's)")
    p.add_argument("--test", metavar="NAME", help="the hidden test --shapes traces (implies --shapes)")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("grade-class", help="grade the answer files learners exported into a gradebook "
                       "(CSV, JSON, one HTML report per learner)")
    p.add_argument("files", nargs="+", metavar="FILES_OR_FOLDER")
    p.add_argument("--out", default="gradebook", help="output folder (default: gradebook)")
    p.add_argument("--jobs", type=int, default=None, help="runs at once (default: one per core)")
    p.set_defaults(run=cmd_grade_class)

    p = sub.add_parser("init", help="start a new course in DIR: config, one example problem, a README, "
                       "a .gitignore and a GitHub Pages workflow")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--force", action="store_true", help="write into DIR even if it is not empty "
                   "(files of the same name are replaced)")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("new", help="write a skeleton problem and hidden-test file")
    p.add_argument("slug", metavar="SLUG")
    p.set_defaults(run=cmd_new)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    paths = Paths(Path(args.root).resolve() if args.root else find_course(Path.cwd()))
    return args.run(args, paths)


def find_course(start: Path) -> Path:
    """The course around ``start``: the nearest folder at or above it holding problems/, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "problems").is_dir():
            return folder
    return start
