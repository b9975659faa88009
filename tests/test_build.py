"""The built folder: pages, data, assets; relative links only; math and code rendered at build time."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from staticjudge.model import BuildError
from staticjudge.project import Paths
from staticjudge.site.build import build_site
from staticjudge.site.theme import THEME_DIR

from conftest import ROOT, line_of


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))


def links_of(html: str):
    collector = LinkCollector()
    collector.feed(html)
    return collector.links


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("built") / "_site"
    build_site(Paths(ROOT), out, base_url="https://example.org/course/")
    return out


def test_writes_index_pages_data_and_harness(site):
    problems = sorted(p.stem for p in (ROOT / "problems").glob("*.md"))
    assert (site / "index.html").is_file()
    for slug in problems:
        assert (site / slug / "index.html").is_file()
        data = json.loads((site / slug / "problem.json").read_text())
        assert data["slug"] == slug and data["entry"] and data["tests"] and "def test_" in data["tests_source"]
        # The page names its packages too, so Python starts loading them before problem.json arrives.
        main = re.search(r'<main [^>]*id="problem"[^>]*>', (site / slug / "index.html").read_text()).group(0)
        assert f'data-packages="{" ".join(data["packages"])}"' in main and data["packages"] == ["numpy"]
    assert (site / "assets" / "harness.py").read_text() == (ROOT / "staticjudge" / "runtime" / "harness.py").read_text()
    assert (site / "assets" / "judge.py").is_file()


def test_every_link_is_relative_and_resolves(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 2
    for page in pages:
        for tag, attribute, value in links_of(page.read_text()):
            if tag == "link" and value.startswith("https://example.org/course/"):
                continue  # the canonical link is the one absolute URL, by design
            assert not urlparse(value).scheme and not value.startswith("/"), f"{page}: {value}"
            target = urlparse(urljoin(page.relative_to(site).as_posix(), value)).path
            assert (site / target).exists(), f"{page}: {attribute}={value} points at nothing"


def test_base_url_only_sets_canonical_links(site):
    page = (site / "self_attention" / "index.html").read_text()
    assert '<link rel="canonical" href="https://example.org/course/self_attention/">' in page
    assert 'href="../assets/style.css"' in page


def test_index_lists_problems_in_order_with_difficulty_and_tags(site):
    html = (site / "index.html").read_text()
    slugs = re.findall(r'data-slug="([a-z0-9_]+)"', html)
    from staticjudge.content.parser import load_problems
    problems, _ = load_problems(ROOT / "problems", ROOT / "hidden_tests")
    assert sorted(slugs) == sorted(p.slug for p in problems)
    assert "difficulty-easy" in html and "<li>attention</li>" in html


def test_math_is_rendered_to_mathml_not_left_as_tex(site):
    page = (site / "self_attention" / "index.html").read_text()
    statement = page.split('<article class="statement">')[1].split("</article>")[0]
    # A display formula is a Tab stop: on a narrow screen it scrolls sideways.
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block" tabindex="0">' in statement
    assert "<msqrt>" in statement
    assert "$" not in statement and "\\frac" not in statement


def test_code_is_highlighted(site):
    page = (site / "self_attention" / "index.html").read_text()
    # A code block is a Tab stop, named: a long line scrolls it sideways.
    assert '<div class="highlight"><pre tabindex="0" role="group" aria-label="Code">' in page
    assert re.search(r'<span class="k">def</span>', page)
    assert (site / "assets" / "pygments.css").read_text().count(".highlight") > 10


def test_statement_headings_sit_under_the_page_title_without_skipping_a_level(site):
    from staticjudge.content.markup import render_markdown

    # A statement's headings start at ### (## names the file's sections): under the page's <h1>,
    # they are <h2>.
    page = (site / "self_attention" / "index.html").read_text()
    statement = page.split('<article class="statement">')[1].split("</article>")[0]
    assert "<h2>Example</h2>" in statement and "<h3" not in statement
    outline = render_markdown("### Example\n\nx\n\n##### Deeper\n\ny\n\n#### Back\n", top_heading=2)
    assert re.findall(r"<(h[1-6])>", outline) == ["h2", "h3", "h3"]
    assert re.findall(r"<(h[1-6])>", render_markdown("### Example\n")) == ["h3"]  # as written, by default


def test_page_without_javascript_shows_statement_starter_and_hints(site):
    page = (site / "self_attention" / "index.html").read_text()
    text = re.sub(r"<[^>]+>", "", page)
    assert "every position of a sequence looks at every other position" in text
    assert "raise NotImplementedError" in text  # the starter code
    assert "Hint 1" in text and "Divide it by" in text
    assert "1.6604769" in text  # the worked example


def test_broken_problem_stops_the_build_and_keeps_the_previous_site(project):
    out = project / "_site"
    build_site(Paths(project), out)
    before = (out / "self_attention" / "index.html").read_text()
    md = project / "problems" / "self_attention.md"
    md.write_text(md.read_text().replace("difficulty: easy", "difficulty: easy\nbogus: 1"))
    with pytest.raises(BuildError) as info:
        build_site(Paths(project), out)
    assert "unknown front-matter key 'bogus'" in str(info.value)
    assert (out / "self_attention" / "index.html").read_text() == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("bad, reason", [("$S_{ij}^$", "cannot render math $S_{ij}^$"),
                                         ("$\\begin{aligned} a &= b \\end{aligned}$", "only aligns inside"),
                                         ("$\\dk$", "unknown command \\dk")])
def test_bad_math_is_an_error_naming_file_and_line(project, bad, reason):
    md = project / "problems" / "self_attention.md"
    md.write_text(md.read_text().replace("$S_{ij}$", bad))
    with pytest.raises(BuildError) as info:
        build_site(Paths(project), project / "_site")
    [error] = info.value.errors
    assert error.path == md and error.line == line_of(md, bad) and reason in error.message


def test_index_groups_tracks_and_keeps_sequence_numbers(site):
    html = (site / "index.html").read_text()
    tracks = re.findall(r'<section class="track" id="track-([a-z-]+)">', html)
    assert tracks[:2] == ["foundations", "masking"] and len(tracks) == len(set(tracks))
    numbers = dict((slug, int(n)) for n, slug in re.findall(r'value="(\d+)" data-slug="([a-z_]+)"', html))
    assert numbers["softmax"] == 1 and numbers["self_attention"] == 2
    assert sorted(numbers.values()) == list(range(1, len(numbers) + 1))
    assert html.count('class="summary"') == len(numbers)


def test_every_problem_links_to_previous_and_next(site):
    from staticjudge.content.parser import load_problems
    problems, _ = load_problems(ROOT / "problems", ROOT / "hidden_tests")
    for before, after in zip(problems, problems[1:]):
        assert f'<a rel="next" href="../{after.slug}/index.html">' in (site / before.slug / "index.html").read_text()
        assert f'<a rel="prev" href="../{before.slug}/index.html">' in (site / after.slug / "index.html").read_text()


def test_rebuild_with_one_builder_rewrites_only_what_changed(project):
    from staticjudge.site.build import SiteBuilder

    md = project / "problems" / "self_attention.md"
    other = project / "problems" / "second.md"
    other.write_text(md.read_text().replace("order: 2", "order: 3").replace("title: Self-attention", "title: Second"))
    (project / "hidden_tests" / "second.py").write_text((project / "hidden_tests" / "self_attention.py").read_text())
    builder, out = SiteBuilder(Paths(project)), project / "_site"
    builder.build(out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    other.write_text(other.read_text().replace("## Hints\n", "## Hints\n\n- A new first hint.\n"))
    builder.build(out)
    changed = {p.relative_to(out).as_posix() for p in stamps if p.stat().st_mtime_ns != stamps[p]}
    assert changed == {"second/index.html", "sw.js"}  # sw.js: the build's version changed
    assert "A new first hint." in (out / "second" / "index.html").read_text()
    other.unlink()
    (project / "hidden_tests" / "second.py").unlink()
    builder.build(out)
    assert not (out / "second").exists() and "Second" not in (out / "self_attention" / "index.html").read_text()


def test_template_mistakes_are_located_errors(tmp_path, project):
    import shutil as _shutil

    site = tmp_path / "own_site"
    (site / "templates").mkdir(parents=True)
    _shutil.copyfile(ROOT / "site" / "config.yaml", site / "config.yaml")
    (project / "site").unlink()
    (project / "site").symlink_to(site)
    page = site / "templates" / "problem.html"  # the course's own, over the theme's
    page.write_text((THEME_DIR / "templates" / "problem.html").read_text().replace("{{ problem.title }}",
                                                                                  "{{ problem.title }"))
    with pytest.raises(BuildError) as info:
        build_site(Paths(project), project / "_site")
    [error] = info.value.errors
    assert error.path.name == "problem.html" and error.line == line_of(page, "{{ problem.title }")
    assert "template error" in error.message
    page.write_text(page.read_text().replace("{{ problem.title }", "{{ problem.no_such_field }}"))
    with pytest.raises(BuildError, match="template error: .*no_such_field"):
        build_site(Paths(project), project / "_site")


def test_problem_pages_start_the_workers_downloads_from_their_head(site):
    page = (site / "self_attention" / "index.html").read_text()
    head = page.split("</head>")[0]
    preloads = re.search(r'<meta name="staticjudge-downloads" content="([^"]+)">', head).group(1).split()
    assert '<script src="../assets/boot-downloads.js" async></script>' in head
    assert [url.rsplit("/", 1)[-1] for url in preloads[:3]] == ["pyodide.asm.wasm", "pyodide.asm.mjs", "pyodide.mjs"]
    assert any(url.endswith("python_stdlib.zip") for url in preloads)
    assert "staticjudge-downloads" not in (site / "index.html").read_text()  # the index warms up once idle instead
