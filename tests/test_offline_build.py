"""The build's service worker (staticjudge/site/offline.py): its version and its list of files to copy."""

import hashlib
import json
import shutil

from staticjudge.project import Paths, RuntimeOptions
from staticjudge.site.build import SiteBuilder

from conftest import ROOT


def build_constant(out):
    head = (out / "sw.js").read_text().split("\n", 1)[0]
    assert head.startswith("const BUILD = ") and head.endswith(";")
    return json.loads(head[len("const BUILD = "):-1])


def test_sw_lists_every_built_file_with_its_sha256(project):
    out, _ = SiteBuilder(Paths(project)).build(project / "_site")
    build = build_constant(out)
    files = dict(build["files"])
    built = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"sw.js"}
    assert set(files) == built
    for path in ("index.html", "self_attention/index.html", "self_attention/problem.json", "assets/app.js",
                 "assets/offline.js", "assets/runtime.json", "assets/harness.py"):
        assert files[path] == hashlib.sha256((out / path).read_bytes()).hexdigest()
    assert build["cdn"].startswith("https://"), "pages load Pyodide from the CDN: its files are kept at run time"
    assert '<body data-site-name="' in (out / "index.html").read_text() and 'data-offline="on"' in (out / "index.html").read_text()


def test_self_hosted_core_and_wheels_are_listed_and_no_cdn(project, tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "numpy-2.0.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl").write_bytes(b"not really a wheel")
    out, _ = SiteBuilder(Paths(project), runtime=RuntimeOptions(self_host=True, packages_dir=wheels)).build(project / "_site")
    build = build_constant(out)
    files = dict(build["files"])
    assert {"pyodide/pyodide.asm.wasm", "pyodide/pyodide.mjs", "pyodide/python_stdlib.zip",
            "pyodide-packages/numpy-2.0.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"} <= set(files)
    assert build["cdn"] == "", "nothing comes from the CDN"


def test_any_change_gives_a_new_version_and_the_same_sources_the_same(project):
    builder = SiteBuilder(Paths(project))
    out, _ = builder.build(project / "_site")
    first = build_constant(out)["version"]
    again, _ = SiteBuilder(Paths(project)).build(project / "_other")
    assert build_constant(again)["version"] == first, "a version names the content, not the moment of the build"
    md = project / "problems" / "self_attention.md"
    md.write_text(md.read_text().replace("## Hints\n", "## Hints\n\n- A new first hint.\n"))
    builder.build(out)
    assert build_constant(out)["version"] != first


def test_offline_false_writes_no_service_worker_and_tells_pages(project):
    site = project / "site"
    site.unlink()
    site.mkdir()
    shutil.copyfile(ROOT / "site" / "config.yaml", site / "config.yaml")
    config = site / "config.yaml"
    config.write_text(config.read_text() + "offline: false\n")
    out, _ = SiteBuilder(Paths(project)).build(project / "_site")
    assert not (out / "sw.js").exists()
    assert 'data-offline="off"' in (out / "index.html").read_text()


def test_serve_builds_without_an_offline_copy(project):
    """While authoring, a reload must show the latest build, not a cached one."""
    out, _ = SiteBuilder(Paths(project), runtime=RuntimeOptions(offline=False)).build(project / "_site")
    assert not (out / "sw.js").exists() and 'data-offline="off"' in (out / "index.html").read_text()
