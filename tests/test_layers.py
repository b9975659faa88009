"""The package's architecture, held by its imports (those inside functions included).

Layers, each importing only those below it:

- ``runtime`` (what the browser's worker loads) imports nothing of ours;
- ``model`` imports nothing of ours, ``project`` only ``model``;
- ``content`` and ``grading`` import only those;
- ``authoring``, ``classroom`` and ``site`` import anything below them, not each other;
- ``cli`` (and ``__main__``) import anything;
- all but ``runtime`` may read the package's version (``staticjudge/__init__.py``).

No module uses another module's private name, and no two modules import each other, however
indirectly. Each failure names the file and line of the import that breaks the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "staticjudge"

BELOW = {
    "runtime": set(),
    "model": set(),
    "project": {"model"},
    "content": {"runtime", "model", "project"},
    "grading": {"runtime", "model", "project"},
    "authoring": {"runtime", "model", "project", "content", "grading"},
    "classroom": {"runtime", "model", "project", "content", "grading"},
    "site": {"runtime", "model", "project", "content", "grading"},
    "cli": {"runtime", "model", "project", "content", "grading", "authoring", "classroom", "site"},
}
BELOW["__main__"] = BELOW["cli"] | {"cli"}
BELOW["__init__"] = set()
for allowed in BELOW.values():  # the package's own __init__ holds only its version: anyone may read it
    allowed.add("__init__")
BELOW["runtime"].discard("__init__")  # in the browser there is no package around the runtime

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    """'staticjudge.grading.runner' → 'grading'; 'staticjudge' → '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _package_of(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def _imports(path: Path):
    """(line, imported module, names taken from it) for every import of ours in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "staticjudge":
                    yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(path).split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "staticjudge":
                continue
            names = [a.name for a in node.names]
            # `from . import judge` imports a module: count it as that module
            submodules = [n for n in names if (PACKAGE.parent / Path(*module.split("."), n)).with_suffix(".py").exists()
                          or (PACKAGE.parent / Path(*module.split("."), n) / "__init__.py").exists()]
            for name in submodules:
                yield node.lineno, f"{module}.{name}", []
            if len(submodules) < len(names):
                yield node.lineno, module, [n for n in names if n not in submodules]


def _private_attributes(path: Path, modules: dict[str, str]):
    """(line, text) for every ``alias._name`` where ``alias`` is a module of ours imported here."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("staticjudge")):
            aliases.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            aliases.update((a.asname or a.name) for a in node.names if a.name.startswith("staticjudge"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__") and node.value.id in modules):
            yield node.lineno, f"{node.value.id}.{node.attr}"


SOURCES = sorted(PACKAGE.rglob("*.py"))
ALL_MODULES = {_module_name(p) for p in SOURCES}


def test_the_sources_are_found():
    assert len(SOURCES) > 20 and "staticjudge.runtime.harness" in ALL_MODULES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_import_goes_to_a_layer_below(path):
    here = _layer(_module_name(path))
    wrong = []
    for line, module, _names in _imports(path):
        there = _layer(module)
        if there != here and there not in BELOW[here]:
            wrong.append(f"{path}:{line}: {here} imports {module} ({there} is not below {here})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_of_another_module_is_used(path):
    me = _module_name(path)
    wrong = [f"{path}:{line}: takes {name!r} from {module}" for line, module, names in _imports(path)
             for name in names if name.startswith("_") and not name.startswith("__") and module != me]
    modules = {}
    for _line, module, names in _imports(path):
        if not names:
            modules[module.rsplit(".", 1)[-1]] = module
    wrong += [f"{path}:{line}: uses {text}" for line, text in _private_attributes(path, modules)]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {_module_name(p): {m for _l, m, _n in _imports(p) if m in ALL_MODULES} for p in SOURCES}
    # A package's __init__ is imported with any of its modules; it does not make a cycle by itself.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if not state.get(nxt):
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if not state.get(name):
            cycle = visit(name)
            assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_top_of_the_package_stays_small():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top
    for folder in (p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
        assert doc, f"{folder}/__init__.py: say what the folder does and what it may import"
