"""The Content-Security-Policy of every page: the site itself, plus Pyodide's origin when used.

Delivered as a ``<meta>`` tag, since a static host may not let authors set headers. Pages run
no inline script and no ``eval``; Python runs in a module worker from the site (``worker-src``),
which compiles WebAssembly (``'wasm-unsafe-eval'``). The editor injects its styles at run time
(``style-src 'unsafe-inline'``: styles cannot run code). Images are the site's or ``data:``
URLs (the SVG icons of the stylesheet). A meta policy cannot set ``frame-ancestors``.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def origin(url: str) -> str:
    """'https://cdn.example.org/pyodide/v1/full/' → 'https://cdn.example.org'."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(extra_origins: list[str] | tuple[str, ...] = (), frames: bool = False) -> str:
    """The policy allowing 'self' and ``extra_origins`` (the Pyodide CDN, when the site uses it).

    ``frames``: the page may frame the site's own pages (a SCORM package's launch page, lms.html)."""
    hosts = " ".join(["'self'", *sorted(set(extra_origins))])
    directives = [
        "default-src 'none'",
        f"script-src {hosts} 'wasm-unsafe-eval'",
        "worker-src 'self'",
        f"connect-src {hosts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "object-src 'none'",
    ]
    if frames:
        directives.append("frame-src 'self'")
    return "; ".join(directives)
