"""``build.py grade-class``: grade every answer of every exported file, write a gradebook.

Every (file, problem) pair is graded as ``grade`` does (``grading.grade``), on every core.
Outputs, in ``--out`` (default ``gradebook/``):

- ``grades.csv``: one row per file (learner), one column per problem holding the number of
  tests passed (the header says out of how many; empty: not attempted), then the totals and
  notes (broken file, older version of a problem, code that is not UTF-8…). UTF-8 with a BOM,
  so spreadsheets read names right; cells that a spreadsheet would run as a formula are quoted.
- ``grades.json``: every report, per learner and problem (durations left out: the same file
  graded twice gives the same gradebook; pictures too: up to 3 × 64 × 64 cells per failed test,
  which the gradebook does not draw).
- ``reports/NNN-name.html``: per learner, what the page would have shown for each answer.

A file that cannot be used becomes a row whose notes say why; it never stops the run.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..grading import grade
from ..grading.report import report_html
from ..model import problem_hash
from . import answers as answers_module

GRADEBOOK_FORMAT = "staticjudge-gradebook"


@dataclass
class Row:
    path: Path
    answers: answers_module.Answers | None
    error: str | None
    results: dict  # slug -> {"status", "passed", "total", "note", "report"}


def answer_files(inputs: list[Path]) -> list[Path]:
    """Files given, and the ``*.json`` files of folders given, sorted; duplicates once."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found.extend(sorted(p for p in item.rglob("*.json") if p.is_file()))
        else:
            found.append(item)
    seen, unique = set(), []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


_LEFT_OUT = ("duration_ms", "picture")


def _strip_durations(report: dict) -> dict:
    report = dict(report)
    report["tests"] = [{k: v for k, v in t.items() if k not in _LEFT_OUT} for t in report["tests"]]
    return report


def _grade_one(problem, code: str) -> dict:
    return _strip_durations(grade(problem, code))


def grade_class(problems: list, files: list[Path], jobs: int | None = None) -> list[Row]:
    by_slug = {p.slug: p for p in problems}
    hashes = {p.slug: problem_hash(p) for p in problems}
    rows: list[Row] = []
    work = []
    for path in files:
        try:
            parsed = answers_module.load(path)
        except answers_module.AnswersError as exc:
            rows.append(Row(path, None, str(exc), {}))
            continue
        row = Row(path, parsed, None, {})
        rows.append(row)
        for slug, answer in sorted(parsed.problems.items()):
            if slug not in by_slug:
                row.results[slug] = {"status": "unknown", "note": f"{slug}: no such problem on this site"}
            elif answer.unreadable:
                total = len(by_slug[slug].tests)
                row.results[slug] = {"status": "error", "passed": 0, "total": total,
                                     "note": f"{slug}: {answer.unreadable}", "report": None}
            else:
                work.append((row, slug, answer))
    workers = max(1, jobs or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each run is two processes of its own
        reports = list(pool.map(lambda item: _grade_one(by_slug[item[1]], item[2].code), work))
    for (row, slug, answer), report in zip(work, reports):
        note = None
        if answer.problem_hash and answer.problem_hash != hashes[slug]:
            note = f"{slug}: answered an older version of the problem"
        elif not answer.problem_hash:
            note = None if row.answers.version < 2 else f"{slug}: no problem version recorded"
        row.results[slug] = {"status": report["status"], "passed": report["passed"], "total": report["total"],
                             "note": note, "report": report, "current_version": answer.problem_hash == hashes[slug],
                             "claimed_solved": answer.solved}
    return rows


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------
def _learner(row: Row) -> str:
    return (row.answers.learner if row.answers and row.answers.learner else "") or ""


def _cell(value) -> str | int:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _notes(row: Row) -> str:
    if row.error:
        return f"not graded: {row.error}"
    return "; ".join(r["note"] for _, r in sorted(row.results.items()) if r.get("note"))


def write_csv(rows: list[Row], problems: list, path: Path) -> None:
    totals = {p.slug: len(p.tests) for p in problems}
    with path.open("w", newline="", encoding="utf-8-sig", errors="replace") as handle:  # lone surrogates
        writer = csv.writer(handle)
        writer.writerow(["learner", "file", *[f"{p.slug} (of {totals[p.slug]})" for p in problems],
                         "tests passed", "tests in all", "notes"])
        for row in rows:
            cells, passed = [], 0
            for problem in problems:
                result = row.results.get(problem.slug)
                if result is None or "passed" not in result:
                    cells.append("")
                else:
                    cells.append(result["passed"])
                    passed += result["passed"]
            writer.writerow([_cell(_learner(row)), _cell(row.path.name), *cells, passed, sum(totals.values()),
                             _cell(_notes(row))])


def gradebook_data(rows: list[Row], problems: list, site: str) -> dict:
    return {
        "format": GRADEBOOK_FORMAT, "version": 1, "site": site,
        "problems": {p.slug: {"title": p.title, "hash": problem_hash(p), "tests": len(p.tests)}
                     for p in problems},
        "learners": [{
            "learner": _learner(row) or None, "file": str(row.path), "sha256": row.answers.sha256 if row.answers else None,
            "export_version": row.answers.version if row.answers else None,
            "site": row.answers.site if row.answers else None, "error": row.error, "notes": _notes(row),
            "problems": row.results,
        } for row in rows],
    }


_STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:.6rem;overflow:auto;white-space:pre-wrap}li{margin:.3rem 0}
.pass{color:#176b2c}.fail,.error{color:#a31515}.note{color:#7a5b00}"""


def _answer_html(slug: str, title: str, result: dict, code: str | None) -> str:
    e = html.escape
    parts = [f"<section><h2>{e(title)} <small>({e(slug)})</small></h2>"]
    if result.get("note"):
        parts.append(f"<p class=note>{e(result['note'])}</p>")
    if result.get("report"):
        parts.append(report_html(result["report"]))
    if code is not None:
        parts.append(f"<details><summary>Code</summary><pre>{e(code)}</pre></details>")
    parts.append("</section>")
    return "\n".join(parts)


def write_reports(rows: list[Row], problems: list, folder: Path, site: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    titles = {p.slug: p.title for p in problems}
    written = []
    for number, row in enumerate(rows, start=1):
        name = _learner(row) or row.path.stem
        safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60] or "learner"
        path = folder / f"{number:03d}-{safe}.html"
        e = html.escape
        body = [f"<h1>{e(name)}</h1><p>{e(site)} — {e(row.path.name)}</p>"]
        if row.error:
            body.append(f"<p class=error>Not graded: {e(row.error)}</p>")
        for slug, result in sorted(row.results.items()):
            answer = row.answers.problems.get(slug) if row.answers else None
            body.append(_answer_html(slug, titles.get(slug, slug), result, answer.code if answer else None))
        path.write_text(f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(name)}</title>"
                        f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n",
                        encoding="utf-8", errors="replace")
        written.append(path)
    return written


def write_gradebook(rows: list[Row], problems: list, out: Path, site: str) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, problems, out / "grades.csv")
    (out / "grades.json").write_text(json.dumps(gradebook_data(rows, problems, site), indent=1, ensure_ascii=False)
                                     + "\n", encoding="utf-8", errors="replace")
    write_reports(rows, problems, out / "reports", site)
    return {"csv": out / "grades.csv", "json": out / "grades.json", "reports": out / "reports"}
