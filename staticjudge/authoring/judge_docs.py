"""The reference page of the ``judge`` helpers (docs/judge.md), made from their docstrings.

Each public helper of ``staticjudge/runtime/judge.py`` (its ``__all__``) gets its signature, what
it checks, the message a learner sees ("Learner sees:") and an example ("Example::"), all read off
the code, so the page cannot drift from it: ``tests/test_judge_docs.py`` fails when the page is
not what this module makes. Write it anew with::

    python -m staticjudge.authoring.judge_docs docs/judge.md
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from pathlib import Path

from ..runtime import judge

HEAD = """\
# The `judge` helpers

Hidden tests import these checks as `from judge import assert_close, …`: standard library and
NumPy only, so they run in the browser (Pyodide) as natively. Each failure is a message the
learner reads: what was expected, what came back, where they differ and, when it can tell, how
to fix it. See [Writing a problem](authoring.md#hidden-tests) for how tests use them.

<!-- Made from the docstrings of staticjudge/runtime/judge.py by
     `python -m staticjudge.authoring.judge_docs docs/judge.md`: edit those, not this page
     (tests/test_judge_docs.py fails when the two differ). -->
"""


def signature(name: str) -> str:
    """``name(parameters)`` as a test writes the call: defaults shown, annotations left out."""
    obj = getattr(judge, name)
    sig = inspect.signature(obj)
    parameters = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    text = f"{name}{sig.replace(parameters=parameters, return_annotation=inspect.Signature.empty)}"
    return f"class {text}" if inspect.isclass(obj) else text


def _markdown(doc: str) -> str:
    """A docstring as markdown: each ``Label::`` paragraph's indented block becomes a python block."""
    out: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.rstrip().endswith("::"):
            out.append(line)
            continue
        out.append(line.rstrip()[:-1])
        block = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
            block.append(lines[i])
            i += 1
        out += ["", "```python", textwrap.dedent("\n".join(block)).strip("\n"), "```"]
        if i < len(lines):
            out.append("")
    return "\n".join(out).strip() + "\n"


def render() -> str:
    """The whole page."""
    names = list(judge.__all__)
    parts = [HEAD, "\n".join(f"- [`{n}`](#{n.lower()})" for n in names) + "\n"]
    for name in names:
        doc = inspect.getdoc(getattr(judge, name)) or ""
        parts.append(f"## {name}\n\n```python\n{signature(name)}\n```\n\n{_markdown(doc)}")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    if argv:
        Path(argv[0]).write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
