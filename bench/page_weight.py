"""Page weight: bytes a problem page transfers, gzip-compressed, excluding Pyodide and its packages.

    python bench/page_weight.py
    PYODIDE_PACKAGES=/path/to/wheels python bench/page_weight.py

Each problem page is opened in a fresh browser context (empty cache) and left until Python and
the spare worker are ready; every response the page and its workers loaded is recorded. Sizes
are of the served files gzip-compressed (level 6, what a static host typically serves), with
everything under pyodide/ and pyodide-packages/ left out (the same for every page, cached once,
and the CDN's in a default build). Target: ≤ 250 KB per problem page.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import unquote, urlsplit

from browser_site import BOOT_MS, SUB_PATH, built_site, launch, machine, median, open_problem, serving, table

EXCLUDED = (f"/{SUB_PATH}pyodide/", f"/{SUB_PATH}pyodide-packages/")
TARGET = 250 * 1024


def loaded_files(browser, base: str, www: Path, slug: str) -> list[Path]:
    context = browser.new_context()
    urls = []
    context.on("response", lambda response: urls.append(response.url))
    page = context.new_page()
    open_problem(page, base, slug)
    page.wait_for_selector("#python-status[data-spare=ready]", timeout=BOOT_MS)
    page.wait_for_load_state("networkidle")
    context.close()
    paths = []
    for url in dict.fromkeys(urls):
        path = unquote(urlsplit(url).path)
        if url.startswith(base) and not path.startswith(EXCLUDED) and (www / path.lstrip("/")).is_file():
            paths.append(www / path.lstrip("/"))
    return paths


def main() -> None:
    # What a page transfers is the site's, not the engine's: Chromium's Playwright records every response.
    with built_site() as site, serving(site.www) as base, launch("chromium") as browser:
        print(machine(browser))
        print(f"site: {site.label}")
        rows, totals, largest = [], [], {}
        for slug in site.slugs:
            files = loaded_files(browser, base, site.www, slug)
            raw = sum(f.stat().st_size for f in files)
            zipped = {f: len(gzip.compress(f.read_bytes(), 6)) for f in files}
            total = sum(zipped.values())
            totals.append(total)
            for f, size in zipped.items():
                largest[f.relative_to(site.www).as_posix().replace(f"{slug}/", "<slug>/")] = size
            rows.append([slug, len(files), f"{raw / 1024:.1f}", f"{total / 1024:.1f}", "yes" if total <= TARGET else "NO"])
    print("\nPage weight per problem page, excluding Pyodide and its packages (KB = 1024 B)")
    print(table(rows, ["problem", "files", "raw KB", "gzip KB", "≤ 250 KB"]))
    print(f"median {median(totals) / 1024:.1f} KB, largest {max(totals) / 1024:.1f} KB (target ≤ 250 KB)")
    top = sorted(largest.items(), key=lambda item: -item[1])[:6]
    print("largest files (gzip KB): " + ", ".join(f"{name} {size / 1024:.1f}" for name, size in top))


if __name__ == "__main__":
    main()
