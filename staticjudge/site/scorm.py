"""The course as a SCORM package: the built site (no offline copy, plus the launch page lms.html)
and ``imsmanifest.xml`` at the root of one zip, which Moodle, Canvas, Blackboard or Brightspace import.

One SCO for the whole course: its launch page frames the course index and keeps one LMS session
while the learner moves between problems (a SCO cannot hand over to another SCO, and a SCORM 1.2
session cannot start again once finished). Per-problem detail goes to ``cmi.objectives``
(theme/assets/lms.js). Or, for a gradebook column per problem, one package per problem: the same
files, launched from that problem's own launch page (``<slug>/lms.html``), scored on it alone.
SCORM 1.2 by default (the version every LMS plays best); 2004 4th edition too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..model import Problem
from ..project import Paths, RuntimeOptions, SiteConfig
from .build import build_site
from .views import LAUNCH_PAGE, problem_launch_page

VERSIONS = ("1.2", "2004")
MANIFEST = "imsmanifest.xml"

_HEAD = {
    "1.2": ('<manifest identifier={identifier} version="1.0"'
            ' xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"'
            ' xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd'
            ' http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd'
            ' http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">'),
    "2004": ('<manifest identifier={identifier} version="1.0"'
             ' xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"'
             ' xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"'
             ' xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"'
             ' xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"'
             ' xmlns:imsss="http://www.imsglobal.org/xsd/imsss"'
             ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
             ' xsi:schemaLocation="http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd'
             ' http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd'
             ' http://www.adlnet.org/xsd/adlseq_v1p3 adlseq_v1p3.xsd'
             ' http://www.adlnet.org/xsd/adlnav_v1p3 adlnav_v1p3.xsd'
             ' http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd">'),
}
_SCHEMA_VERSION = {"1.2": "1.2", "2004": "2004 4th Edition"}
_SCORM_TYPE = {"1.2": "adlcp:scormtype", "2004": "adlcp:scormType"}


def manifest(version: str, title: str, files: list[str], identifier: str, launch: str = LAUNCH_PAGE) -> str:
    """imsmanifest.xml of a one-SCO package launching ``launch``, listing ``files`` (paths in the zip)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown SCORM version {version!r} (known: {', '.join(VERSIONS)})")
    listed = "\n".join(f"      <file href={quoteattr(path)}/>" for path in sorted(files))
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        _HEAD[version].format(identifier=quoteattr(identifier)),
        "  <metadata>",
        "    <schema>ADL SCORM</schema>",
        f"    <schemaversion>{_SCHEMA_VERSION[version]}</schemaversion>",
        "  </metadata>",
        '  <organizations default="course">',
        '    <organization identifier="course">',
        f"      <title>{escape(title)}</title>",
        '      <item identifier="course_item" identifierref="course_sco" isvisible="true">',
        f"        <title>{escape(title)}</title>",
        "      </item>",
        "    </organization>",
        "  </organizations>",
        "  <resources>",
        f'    <resource identifier="course_sco" type="webcontent" {_SCORM_TYPE[version]}="sco" href={quoteattr(launch)}>',
        listed,
        "    </resource>",
        "  </resources>",
        "</manifest>",
        "",
    ])


def build_package(paths: Paths, out: Path, version: str = "1.2", base_url: str = "",
                  runtime: RuntimeOptions = RuntimeOptions(), per_problem: bool = False) -> tuple[list[Path], list[Problem]]:
    """Write the course as a SCORM ``version`` package to the zip ``out``, or with ``per_problem``
    one package per problem into the folder ``out`` (``<slug>.zip``); the zips written, and the
    problems. Raise BuildError on any problem."""
    if version not in VERSIONS:
        raise ValueError(f"unknown SCORM version {version!r} (known: {', '.join(VERSIONS)})")
    out = Path(out).resolve()
    folder = out if per_problem else out.parent
    folder.mkdir(parents=True, exist_ok=True)
    runtime = dataclasses.replace(runtime, offline=False, lms=version)
    with tempfile.TemporaryDirectory(prefix=f".{out.stem}-", dir=folder) as scratch:
        site, problems = build_site(paths, Path(scratch) / "site", base_url, runtime)
        files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
        course = SiteConfig.load(paths.config).name
        if not per_problem:
            return [_write_zip(site, files, out, manifest(version, course, files, _identifier(course)))], problems
        written = []
        for problem in problems:
            title = f"{problem.title} · {course}"
            text = manifest(version, title, files, _identifier(f"{course}\n{problem.slug}"),
                            launch=problem_launch_page(problem.slug))
            written.append(_write_zip(site, files, folder / f"{problem.slug}.zip", text))
        return written, problems


def _identifier(key: str) -> str:
    # The same course (or problem), built the same way, keeps its identifier: re-uploading it updates the activity.
    return f"staticjudge-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _write_zip(site: Path, files: list[str], out: Path, manifest_text: str) -> Path:
    partial = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest_text)
        for name in files:
            archive.write(site / name, name)
    partial.replace(out)
    return out
