"""Every page's Content-Security-Policy names the site and, only when it is used, the Pyodide CDN."""

import re
from pathlib import Path

import pytest

from staticjudge.site.csp import content_security_policy, origin
from staticjudge.model import BuildError
from staticjudge.project import Paths, RuntimeOptions, SiteConfig
from staticjudge.site.build import build_site, external_origins

from conftest import ROOT

CDN = "https://cdn.jsdelivr.net"
META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


class _Problem:
    def __init__(self, *packages):
        self.packages = list(packages)


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def hosts(policy: str) -> set[str]:
    """Every source the policy allows, across all directives, but keywords and data:."""
    return {s for values in directives(policy).values() for s in values if not s.startswith("'") and s != "data:"}


def page_policy(html: str) -> str:
    found = META.findall(html)
    assert len(found) == 1, "one policy, in the page's <meta>"
    return found[0].replace("&#39;", "'")


def test_policy_forbids_inline_script_eval_plugins_and_foreign_sources():
    policy = directives(content_security_policy([CDN]))
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'", CDN, "'wasm-unsafe-eval'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["worker-src"] == ["'self'"] and policy["connect-src"] == ["'self'", CDN]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert hosts(content_security_policy()) == set()


def test_origin_keeps_scheme_and_host_only():
    assert origin("https://cdn.jsdelivr.net/pyodide/v314.0.7/full/") == CDN
    assert origin("http://127.0.0.1:8000/x/") == "http://127.0.0.1:8000"
    with pytest.raises(ValueError):
        origin("../pyodide/")


@pytest.mark.parametrize("self_host, wheels, packages, expected", [
    (False, [], [], [CDN]),                                    # the core comes from the CDN
    (True, [], [], []),                                        # nothing from the CDN
    (True, [], ["numpy"], [CDN]),                              # NumPy still comes from the CDN
    (True, ["numpy-2.4.3-cp314-cp314-x.whl"], ["numpy"], []),  # NumPy ships with the site
    (True, ["Foo_Bar-1.0-py3-none-any.whl"], ["foo.bar"], []),  # names compared normalised
])
def test_the_cdn_is_allowed_only_when_something_comes_from_it(tmp_path, self_host, wheels, packages, expected):
    for name in wheels:
        (tmp_path / name).write_bytes(b"")
    runtime = RuntimeOptions(self_host=self_host, packages_dir=tmp_path if wheels else None)
    config = SiteConfig(pyodide_cdn=f"{CDN}/pyodide/v314.0.7/full/")
    assert external_origins(runtime, config, [_Problem(*packages), _Problem()]) == expected


def test_every_built_page_carries_the_policy_of_its_build(tmp_path):
    out, problems = build_site(Paths(ROOT), tmp_path / "_site")
    pages = [out / "index.html"] + [out / p.slug / "index.html" for p in problems]
    policies = {page_policy(page.read_text(encoding="utf-8")) for page in pages}
    assert policies == {content_security_policy([CDN])}
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.index("Content-Security-Policy") < html.index("<link"), "the policy comes before any resource"
    for page in pages:  # what the policy would block: inline scripts and event-handler attributes
        html = page.read_text(encoding="utf-8")
        assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html)), page
        assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html), page


def test_a_cdn_that_is_not_a_url_is_a_located_build_error(tmp_path):
    project = tmp_path / "project"
    (project / "site").mkdir(parents=True)
    for name in ("problems", "hidden_tests"):
        (project / name).symlink_to(ROOT / name)
    for item in (ROOT / "site").iterdir():
        if item.name != "config.yaml":
            (project / "site" / item.name).symlink_to(item)
    (project / "site" / "config.yaml").write_text("pyodide_version: 314.0.7\npyodide_cdn: cdn/pyodide/\n")
    with pytest.raises(BuildError) as raised:
        build_site(Paths(project), tmp_path / "_site")
    assert "config.yaml" in str(raised.value) and "pyodide_cdn" in str(raised.value)
