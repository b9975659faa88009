"""`build.py grade-class`: exported answer files in, a gradebook out (CSV, JSON, HTML)."""

import csv
import json
import subprocess
import sys

import jsonschema
import pandas
import pytest

from staticjudge.classroom import answers
from staticjudge.model import problem_hash
from staticjudge.classroom.gradebook import answer_files, grade_class, write_gradebook
from staticjudge.content.parser import parse_problem
from staticjudge.site.theme import THEME_DIR

from conftest import ROOT

SLUGS = ["softmax", "self_attention"]
PROBLEMS = [parse_problem(ROOT / "problems" / f"{s}.md", ROOT / "hidden_tests") for s in SLUGS]
BY_SLUG = {p.slug: p for p in PROBLEMS}
HASH = {p.slug: problem_hash(p) for p in PROBLEMS}
SCHEMA = json.loads(answers.SCHEMA_PATH.read_text())


def export(learner, problems, version=2):
    data = {"format": "staticjudge-answers", "version": version, "site": "Attention", "exported_at": "2025-01-01T00:00:00Z",
            "problems": {slug: {"code": code, "solved": True, "saved_at": "2025-01-01T00:00:00Z",
                                **({"problem_hash": digest} if version == 2 else {})}
                         for slug, (code, digest) in problems.items()}}
    if version == 2:
        data.update(site_root="/course/", learner=learner)
    return data


def write(folder, name, data):
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    good, wrong = BY_SLUG["softmax"].solution.code, BY_SLUG["softmax"].mutants[0].code
    write(folder, "01-ada.json", export("Ada Lovelace", {"softmax": (good, HASH["softmax"]),
                                                         "self_attention": (BY_SLUG["self_attention"].solution.code, HASH["self_attention"])}))
    write(folder, "02-bob.json", export("=HYPERLINK(\"http://x\")", {"softmax": (wrong, "0" * 32)}))
    write(folder, "03-old.json", export(None, {"softmax": (good, None)}, version=1))
    write(folder, "04-broken.json", b'{"format": "staticjudge-answers", "version": 2, "problems": {')
    write(folder, "05-foreign.json", {"hello": "world"})
    write(folder, "06-tampered.json", {**export("Eve", {}), "problems": {"softmax": {"code": 42}}})
    write(folder, "07-latin1.json", "{\"format\": \"staticjudge-answers\", \"version\": 2, \"learner\": \"Jos\xe9\", "
                                    "\"problems\": {}}".encode("latin-1"))
    write(folder, "08-surrogate.json", b'{"format": "staticjudge-answers", "version": 2, "learner": "Sam", '
                                       b'"problems": {"softmax": {"code": "x = \\"\\ud800\\"\\n"}}}')
    write(folder, "09-unknown.json", export("Zed", {"no_such_problem": ("pass\n", None),
                                                    "softmax": ("def softmax(x):\n    while True: pass\n", HASH["softmax"])}))
    write(folder, "10-future.json", {**export("Fut", {}), "version": 99})
    files = answer_files([folder])
    rows = grade_class(PROBLEMS, files)
    out = tmp_path_factory.mktemp("gradebook")
    write_gradebook(rows, PROBLEMS, out, "Attention")
    return folder, files, rows, out


def test_every_file_gets_a_row_with_grades_or_a_reason(classroom):
    _folder, files, rows, out = classroom
    assert len(rows) == len(files) == 10
    with (out / "grades.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    by_file = {r["file"]: r for r in table}
    total = {p.slug: len(p.tests) for p in PROBLEMS}
    ada = by_file["01-ada.json"]
    assert ada["learner"] == "Ada Lovelace"
    assert ada[f"softmax (of {total['softmax']})"] == str(total["softmax"])
    assert ada[f"self_attention (of {total['self_attention']})"] == str(total["self_attention"])
    assert ada["notes"] == ""
    bob = by_file["02-bob.json"]
    assert bob["learner"].startswith("'="), "a formula in a name must not run in a spreadsheet"
    assert 0 <= int(bob[f"softmax (of {total['softmax']})"]) < total["softmax"]
    assert "older version" in bob["notes"] and bob[f"self_attention (of {total['self_attention']})"] == ""
    assert by_file["03-old.json"][f"softmax (of {total['softmax']})"] == str(total["softmax"])
    assert "not JSON" in by_file["04-broken.json"]["notes"]
    assert "not an export of answers" in by_file["05-foreign.json"]["notes"]
    assert "has no code" in by_file["06-tampered.json"]["notes"]
    assert "not UTF-8" in by_file["07-latin1.json"]["notes"]
    assert "softmax: the code is not UTF-8" in by_file["08-surrogate.json"]["notes"]
    zed = by_file["09-unknown.json"]
    assert "no_such_problem: no such problem" in zed["notes"] and zed[f"softmax (of {total['softmax']})"] == "0"
    assert "unknown export version 99" in by_file["10-future.json"]["notes"]


def test_the_csv_opens_in_pandas(classroom):
    out = classroom[3]
    frame = pandas.read_csv(out / "grades.csv")
    assert list(frame.columns)[:2] == ["learner", "file"] and len(frame) == 10
    row = frame[frame["file"] == "01-ada.json"].iloc[0]
    assert int(row["tests passed"]) == sum(len(p.tests) for p in PROBLEMS) == int(row["tests in all"])


def test_json_and_html_reports(classroom):
    _folder, _files, rows, out = classroom
    book = json.loads((out / "grades.json").read_text())
    assert book["format"] == "staticjudge-gradebook" and set(book["problems"]) == set(SLUGS)
    ada = next(item for item in book["learners"] if item["learner"] == "Ada Lovelace")
    report = ada["problems"]["softmax"]["report"]
    assert report["status"] == "pass" and all("duration_ms" not in t for t in report["tests"])
    zed = next(item for item in book["learners"] if item["learner"] == "Zed")
    assert zed["problems"]["softmax"]["report"]["stopped"] == "timeout"
    pages = sorted((out / "reports").glob("*.html"))
    assert len(pages) == 10
    bob = next(p for p in pages if p.name.startswith("002-")).read_text()
    assert "=HYPERLINK(&quot;http://x&quot;)" in bob and "<pre>" in bob and "FAIL" in bob
    assert "older version" in bob


def test_the_same_files_give_the_same_gradebook(classroom, tmp_path):
    _folder, files, _rows, out = classroom
    again = grade_class(PROBLEMS, files)
    write_gradebook(again, PROBLEMS, tmp_path, "Attention")
    assert (tmp_path / "grades.csv").read_bytes() == (out / "grades.csv").read_bytes()
    assert (tmp_path / "grades.json").read_text() == (out / "grades.json").read_text()


def test_exports_follow_the_schema_and_the_reader_agrees(classroom):
    folder = classroom[0]
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
            jsonschema.validate(data, SCHEMA)
            valid = True
        except (UnicodeDecodeError, ValueError, jsonschema.ValidationError):
            valid = False
        try:
            answers.load(path)
            read = True
        except answers.AnswersError:
            read = False
        assert read == valid, path.name


def test_the_page_writes_what_the_schema_documents():
    """storage.js's exportData, run by Node with a localStorage stand-in, validates."""
    script = """
const store = new Map();
globalThis.window = { localStorage: { getItem: k => store.has(k) ? store.get(k) : null,
  setItem: (k, v) => store.set(k, String(v)), removeItem: k => store.delete(k),
  key: i => [...store.keys()][i], get length() { return store.size; } } };
globalThis.document = { getElementById: () => ({ dataset: { problem: "softmax", problemHash: "%s" } }) };
const { Store } = await import(process.argv[1]);
const s = new Store("http://host/course/");
s.saveCode("softmax", "def softmax(x):\\n    return x\\n");
s.importData({ format: "staticjudge-answers", version: 1, problems: { rope: { code: "pass", solved: true } } });
s.setLearnerName("Ada");
console.log(JSON.stringify(s.exportData("Attention")));
""" % HASH["softmax"]
    result = subprocess.run(["node", "--input-type=module", "-e", script, str(THEME_DIR / "assets" / "storage.js")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    assert data["version"] == 2 and data["learner"] == "Ada" and data["site_root"] == "/course/"
    assert data["problems"]["softmax"]["problem_hash"] == HASH["softmax"]
    assert data["problems"]["rope"]["problem_hash"] is None
    parsed = answers.parse(result.stdout.encode(), ROOT / "x.json")
    assert parsed.learner == "Ada" and set(parsed.problems) == {"softmax", "rope"}


def test_problem_json_carries_the_hash(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--out", str(tmp_path / "site")], check=True,
                   capture_output=True, cwd=ROOT, timeout=300)
    data = json.loads((tmp_path / "site" / "softmax" / "problem.json").read_text())
    assert data["hash"] == HASH["softmax"]
    page = (tmp_path / "site" / "softmax" / "index.html").read_text()
    assert f'data-problem-hash="{HASH["softmax"]}"' in page and 'id="learner-name"' in page


def test_cli_grade_class(classroom, tmp_path):
    folder = classroom[0]
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "grade-class", str(folder / "01-ada.json"),
                             str(folder / "04-broken.json"), "--out", str(tmp_path / "book")],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "1 file(s) not graded" in result.stdout
    assert (tmp_path / "book" / "grades.csv").exists() and len(list((tmp_path / "book" / "reports").glob("*.html"))) == 2
    empty = subprocess.run([sys.executable, str(ROOT / "build.py"), "grade-class", str(tmp_path / "nothing")],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert empty.returncode == 2 and "no such file or folder" in empty.stderr
    (tmp_path / "empty").mkdir()
    none = subprocess.run([sys.executable, str(ROOT / "build.py"), "grade-class", str(tmp_path / "empty"), "--out",
                           str(tmp_path / "book2")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert none.returncode == 2 and "no answer files" in none.stderr and not (tmp_path / "book2").exists()


def test_a_class_of_200_grades_in_bounded_time():
    """bench/grade_class.py's generated class (200 exports, softmax: solution, mutant, starter in
    turn): ~18 s on the 2-core machine under load; the bound leaves room for a slower CI."""
    sys.path.insert(0, str(ROOT / "bench"))
    from grade_class import time_class

    elapsed, graded = time_class([BY_SLUG["softmax"]], 200)
    assert graded == 200
    assert elapsed < 120, f"200 answers took {elapsed:.1f} s"
