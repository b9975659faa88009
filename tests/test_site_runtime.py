"""Build output for the browser: the editor bundle, and where Pyodide and its wheels come from."""

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from staticjudge.cli import main
from staticjudge.site.build import messages_module
from staticjudge.site.frontend import EDITOR_BUNDLE, needs_install
from staticjudge.site.theme import THEME_DIR
from staticjudge.site.module_graph import static_imports
from staticjudge.site.pyodide_assets import CORE_FILES, distribution_name

from browser.tinywheel import build_wheel
from conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "browser_site"


def build(tmp_path, *flags) -> tuple[int, Path]:
    out = tmp_path / "out"
    code = main(["--root", str(FIXTURE), "build", "--out", str(out), *flags])
    return code, out


def runtime(out: Path) -> dict:
    return json.loads((out / "assets" / "runtime.json").read_text())


def test_default_build_loads_pyodide_from_the_cdn_and_ships_a_minified_editor_bundle(tmp_path):
    code, out = build(tmp_path)
    assert code == 0
    data = runtime(out)
    assert data["pyodide_url"].startswith("https://") and data["pyodide_version"] in data["pyodide_url"]
    assert data["wheels"] == {} and data["harness"] == ["harness.py", "judge.py", "warmup.py", "shapes.py", "bridge.py"]
    assert (out / "assets" / "messages.js").read_text() == messages_module(), "a stopped run's texts, for pyclient.js"
    assert not (THEME_DIR / "assets" / "messages.js").exists(), "written from runtime/messages.json only"
    assert not (out / "pyodide").exists()
    bundle = (out / "assets" / "editor.js").read_text()
    assert len(bundle) > 50_000 and bundle.count("\n") < 50, "the editor bundle is minified"
    assert "as createEditor}" in bundle, "an ES module exporting createEditor"
    assert not (THEME_DIR / "assets" / "editor.js").exists(), "the bundle is build output only"
    assert subprocess.run(["git", "ls-files", "--error-unmatch", str(EDITOR_BUNDLE)], cwd=ROOT,
                          capture_output=True).returncode != 0, "the bundle is never committed"
    for name in ("app.js", "pyworker.js", "pyclient.js", "style.css"):
        assert (out / "assets" / name).stat().st_size > 0


def test_self_host_copies_the_pinned_pyodide_core_into_the_site(tmp_path):
    code, out = build(tmp_path, "--self-host")
    assert code == 0
    assert runtime(out)["pyodide_url"] == "../pyodide/"  # relative to assets/runtime.json
    for name in CORE_FILES:
        assert (out / "pyodide" / name).stat().st_size > 0
    pinned = json.loads((THEME_DIR / "package.json").read_text())["dependencies"]["pyodide"]
    assert pinned == runtime(out)["pyodide_version"]


def test_pyodide_packages_copies_each_wheel_and_maps_it_by_name(tmp_path):
    wheel = build_wheel(tmp_path / "wheels")
    code, out = build(tmp_path, "--pyodide-packages", str(wheel.parent))
    assert code == 0
    url = runtime(out)["wheels"]["sjtiny"]
    assert url == f"../pyodide-packages/{wheel.name}"
    assert (out / "assets" / url).resolve().read_bytes() == wheel.read_bytes()


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "is not a folder"),
    (lambda p: p.mkdir() or p, "no .whl files"),
])
def test_pyodide_packages_without_wheels_stops_the_build(tmp_path, capsys, make, message):
    folder = make(tmp_path / "wheels")
    code, out = build(tmp_path, "--pyodide-packages", str(folder))
    assert code == 1 and not out.exists()
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("filename, name", [
    ("numpy-2.4.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "numpy"),
    ("Foo_Bar.baz-1.0-py3-none-any.whl", "foo-bar-baz"),
])
def test_wheel_names_are_normalised(filename, name):
    assert distribution_name(Path(filename)) == name


def test_npm_install_is_needed_only_when_node_modules_is_missing_or_stale(tmp_path):
    (tmp_path / "package-lock.json").write_text("{}")
    assert needs_install(tmp_path)
    marker = tmp_path / "node_modules" / ".package-lock.json"
    marker.parent.mkdir()
    marker.write_text("{}")
    assert not needs_install(tmp_path)
    later = time.time() + 10
    os.utime(tmp_path / "package-lock.json", (later, later))
    assert needs_install(tmp_path)


def test_each_page_preloads_every_module_its_script_imports_statically(tmp_path):
    code, out = build(tmp_path)
    assert code == 0
    for page, entry in ((next(out.glob("*/index.html")), "app.js"), (out / "index.html", "index.js")):
        html = page.read_text()
        preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
        imported = set(re.findall(r'^import .* from "\./([^"]+)";', (out / "assets" / entry).read_text(), re.M))
        assert imported and {f"{'../' if page.parent != out else ''}assets/{m}" for m in imported} <= preloaded
        for href in preloaded:
            assert (page.parent / href).resolve().is_file(), href
        assert "editor.js" not in " ".join(preloaded), "the editor is imported on demand, not preloaded"
        assert html.index(f'assets/{entry}"') < html.index("</head>"), "the script starts loading in the head"


def test_static_imports_follow_the_graph_and_skip_dynamic_imports(tmp_path):
    (tmp_path / "a.js").write_text('import { b } from "./b.js";\nimport "./c.js";\nconst e = import("./e.js");\n')
    (tmp_path / "b.js").write_text('import { d } from "./sub/d.js";\nexport const b = 1;\n')
    (tmp_path / "c.js").write_text('import { a } from "./a.js";\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.js").write_text("export const d = 1;\n")
    sources = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*.js")}
    assert static_imports(sources, "a.js") == ["b.js", "c.js", "sub/d.js"]
