"""Markdown → HTML at build time: math as MathML, code highlighted by Pygments.

Math is rendered here, not in the browser, so pages show formulas without JavaScript. What scrolls
sideways (a code block, a display formula, wider than a phone) is a Tab stop, so the keyboard can
scroll it too; headings are fitted into the page's outline below its title (``top_heading``).
"""

from __future__ import annotations

import re

import markdown
from latex2mathml.converter import convert as latex_to_mathml
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

PYGMENTS_STYLE_LIGHT = "default"
PYGMENTS_STYLE_DARK = "monokai"

# $$…$$ (display) before $…$ (inline); a '$' followed by a space or digit-only money is not math.
DISPLAY_MATH_RE = r"\$\$(.+?)\$\$"
INLINE_MATH_RE = r"(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])"


class MathError(ValueError):
    def __init__(self, tex: str, reason: str):
        self.tex = tex
        super().__init__(f"cannot render math ${tex}$: {reason}")


UNKNOWN_COMMAND_RE = re.compile(r">(\\[A-Za-z]+)<")
# A display formula wider than the screen scrolls sideways (style.css): the keyboard reaches it.
DISPLAY_MATH_TAG = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
FOCUSABLE_DISPLAY_MATH_TAG = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block" tabindex="0">'


class _MathProcessor(InlineProcessor):
    def __init__(self, pattern, md, display: bool):
        super().__init__(pattern, md)
        self.display = display

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API)
        tex = m.group(1).strip()
        try:
            mathml = latex_to_mathml(tex, display="block" if self.display else "inline")
        except Exception as exc:  # latex2mathml raises many kinds; all mean "bad TeX"
            raise MathError(tex, type(exc).__name__) from None
        unknown = UNKNOWN_COMMAND_RE.search(mathml)  # latex2mathml passes unknown commands through
        if unknown:
            raise MathError(tex, f"unknown command {unknown.group(1)}")
        if ">&<" in mathml:  # an alignment '&' outside array/matrix/cases comes out as raw text
            raise MathError(tex, "'&' only aligns inside \\begin{array}, matrix or cases "
                                 "(aligned/align are not supported)")
        if self.display:
            mathml = mathml.replace(DISPLAY_MATH_TAG, FOCUSABLE_DISPLAY_MATH_TAG, 1)
        return self.md.htmlStash.store(mathml), m.start(0), m.end(0)


class MathExtension(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802
        # Above backticks (190) would break `$x$` in code; above escapes (180) keeps \\ in TeX.
        md.inlinePatterns.register(_MathProcessor(DISPLAY_MATH_RE, md, True), "display_math", 186)
        md.inlinePatterns.register(_MathProcessor(INLINE_MATH_RE, md, False), "inline_math", 185)


MATRIX_FENCE_RE = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*matrix[ \t]*\n(?P<code>.*?)\n(?P=fence)[ \t]*$",
                             re.MULTILINE | re.DOTALL)


class _MatrixFigures(Preprocessor):
    """```matrix blocks → the figures rendered for them (figures.py), keyed by their source.

    Runs before fenced code (priority 25); a block with no figure given (a hint, a document
    rendered without its problem) stays a code block.
    """

    def run(self, lines):
        figures = getattr(self.md, "matrix_figures", None) or {}
        if not figures:
            return lines

        def swap(match):
            figure = figures.get(match.group("code").strip())
            return self.md.htmlStash.store(figure) if figure is not None else match.group(0)

        return MATRIX_FENCE_RE.sub(swap, "\n".join(lines)).split("\n")


class MatrixExtension(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802
        md.preprocessors.register(_MatrixFigures(md), "matrix_figures", 30)


class _Outline(Treeprocessor):
    """Headings fitted below the page's own: the highest becomes ``md.top_heading`` (2 for a
    statement, under the page's <h1>), the rest keep their depth below it but never skip a level
    (a statement's headings start at ###: ## names the problem file's sections). Off when
    ``top_heading`` is None."""

    def run(self, root):
        top = getattr(self.md, "top_heading", None)
        headings = [el for el in root.iter() if re.fullmatch(r"h[1-6]", el.tag)]
        if top is None or not headings:
            return
        shift = min(int(el.tag[1]) for el in headings) - top
        above = top - 1
        for el in headings:
            level = min(int(el.tag[1]) - shift, above + 1, 6)
            el.tag, above = f"h{level}", level


class OutlineExtension(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802
        md.treeprocessors.register(_Outline(md), "outline", 5)


class FocusableHtmlFormatter(HtmlFormatter):
    """Pygments' HTML, its <pre> a Tab stop: a line wider than the screen scrolls it sideways, and
    the keyboard must reach it (WCAG 2.1.1); named, so a screen reader says what took focus."""

    def wrap(self, source):
        for index, (kind, piece) in enumerate(super().wrap(source)):
            if index == 0 and piece.startswith("<pre"):
                piece = '<pre tabindex="0" role="group" aria-label="Code"' + piece[len("<pre"):]
            yield kind, piece


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["fenced_code", "codehilite", "tables", "sane_lists", "attr_list", MathExtension(),
                    MatrixExtension(), OutlineExtension()],
        extension_configs={"codehilite": {"css_class": "highlight", "guess_lang": False,
                                          "pygments_formatter": FocusableHtmlFormatter}},
        output_format="html",
    )


_converter: markdown.Markdown | None = None


def render_markdown(text: str, figures: dict[str, str] | None = None, top_heading: int | None = None) -> str:
    """``figures``: {```matrix block source: its HTML} (figures.render_figures); ``top_heading``:
    the level the document's highest heading takes on the page (None: as written)."""
    global _converter
    if _converter is None:  # one converter, reset between documents: building it is the slow part
        _converter = _markdown()
    try:
        _converter.reset()
        _converter.matrix_figures = figures
        _converter.top_heading = top_heading
        return _converter.convert(text)
    except BaseException:
        _converter = None  # a half-converted document must not leak into the next one
        raise


def render_inline(text: str) -> str:
    """Markdown for a short piece of text (a hint, a summary) without the wrapping <p>."""
    out = render_markdown(text)
    match = re.fullmatch(r"<p>(.*)</p>", out.strip(), flags=re.S)
    return match.group(1) if match else out


_PYTHON_LEXER = get_lexer_by_name("python")
_HTML_FORMATTER = FocusableHtmlFormatter(cssclass="highlight")


def highlight_python(code: str) -> str:
    return highlight(code, _PYTHON_LEXER, _HTML_FORMATTER)


def pygments_css() -> str:
    light = HtmlFormatter(style=PYGMENTS_STYLE_LIGHT).get_style_defs(".highlight")
    dark = HtmlFormatter(style=PYGMENTS_STYLE_DARK).get_style_defs(".highlight")
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
