"""The page's exported answer files ("Export my answers"), read and checked for grading.

The format is documented by ``answers.schema.json`` (beside this file) and written by
``theme/assets/storage.js``::

    {"format": "staticjudge-answers", "version": 2, "site": "Attention from first principles",
     "site_root": "/courses/attention/", "learner": "Ada Lovelace" | null,
     "exported_at": "2025-…Z",
     "problems": {"softmax": {"code": "…", "solved": true, "saved_at": "2025-…Z" | null,
                              "problem_hash": "…" | null}}}

Version 1 (before learner names and hashes) is read too. ``problem_hash`` is the content hash
(``model.problem_hash``) of the problem the learner was looking at when the code was last saved, so
a teacher sees who solved an older version. The file is not signed (a static site holds no
secret): the grade comes from running the code again, never from ``solved``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "staticjudge-answers"
VERSIONS = (1, 2)
MAX_FILE_BYTES = 20 * 1024**2
MAX_CODE_CHARS = 1_000_000
SLUG = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
SCHEMA_PATH = Path(__file__).with_name("answers.schema.json")


class AnswersError(ValueError):
    """Why a file is not a usable export (said to the teacher in the gradebook)."""


@dataclass
class Answer:
    code: str
    solved: bool
    saved_at: str | None
    problem_hash: str | None
    problem: str = ""
    unreadable: str | None = None  # why this one answer cannot be graded (e.g. not UTF-8)


@dataclass
class Answers:
    path: Path
    sha256: str
    version: int
    site: str | None
    learner: str | None
    exported_at: str | None
    problems: dict[str, Answer] = field(default_factory=dict)


def _optional_str(data: dict, key: str, limit: int = 500) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise AnswersError(f"its {key!r} field is not a short text")
    return value


def parse(raw: bytes, path: Path) -> Answers:
    """The answers in ``raw`` (a file's bytes); raises AnswersError saying what is wrong."""
    if len(raw) > MAX_FILE_BYTES:
        raise AnswersError(f"the file is larger than {MAX_FILE_BYTES // 1024**2} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswersError(f"the file is not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise AnswersError("the file is not JSON (nested too deeply)") from None
    except ValueError as exc:
        raise AnswersError(f"the file is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AnswersError("the file is not an export of answers from this kind of site "
                           f"(no \"format\": \"{FORMAT}\")")
    version = data.get("version")
    if type(version) is not int or version not in VERSIONS:
        raise AnswersError(f"unknown export version {version!r} (this grader reads versions "
                           f"{', '.join(map(str, VERSIONS))})")
    problems = data.get("problems")
    if not isinstance(problems, dict):
        raise AnswersError("its \"problems\" field is not an object of answers")
    answers = Answers(path, hashlib.sha256(raw).hexdigest(), version, _optional_str(data, "site"),
                      _optional_str(data, "learner", 200), _optional_str(data, "exported_at", 100))
    if answers.learner is not None:
        answers.learner = " ".join(answers.learner.split()) or None
    for slug, record in problems.items():
        if not SLUG.match(slug):
            raise AnswersError(f"it names a problem {slug[:40]!r}, which no site writes")
        if not isinstance(record, dict) or not isinstance(record.get("code"), str):
            raise AnswersError(f"its answer to {slug!r} has no code")
        if not isinstance(record.get("solved", False), bool):
            raise AnswersError(f"its answer to {slug!r} has a \"solved\" that is not true or false")
        saved_at, digest = record.get("saved_at"), record.get("problem_hash")
        if saved_at is not None and not isinstance(saved_at, str):
            raise AnswersError(f"its answer to {slug!r} has a malformed \"saved_at\"")
        if digest is not None and (not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{8,64}", digest)):
            raise AnswersError(f"its answer to {slug!r} has a malformed \"problem_hash\"")
        answer = Answer(record["code"], bool(record.get("solved", False)), saved_at, digest, slug)
        if len(answer.code) > MAX_CODE_CHARS:
            answer.unreadable = f"the code is longer than {MAX_CODE_CHARS:,} characters"
        else:
            try:
                answer.code.encode("utf-8")
            except UnicodeEncodeError as exc:
                answer.unreadable = f"the code is not UTF-8 text (character {exc.start})"
        answers.problems[slug] = answer
    return answers


def load(path: Path) -> Answers:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswersError(f"cannot read the file: {exc.strerror}") from None
    return parse(raw, path)
