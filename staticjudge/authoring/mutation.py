"""Mutants derived mechanically from a reference solution: one small AST operator per classic mistake.

Each operator looks at one node at a time and returns its wrong replacement, or None where it does
not apply. Every site of every operator gives one mutant (the whole module with that one node
replaced), so ``check`` can grade it like an author's mutant and report a survivor by its line.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Callable

MAX_GENERATED = 40  # per problem, so `check` over every problem stays fast
# Operators applied at every site at once: forgetting one float64 conversion of several is no
# mistake (the others promote the result), forgetting them all is.
EVERYWHERE_AT_ONCE = ("input_dtype",)
FLOAT64_NAMES = ("float64", "double", "float_")
COPYING_CALLS = ("empty_like", "zeros_like", "ones_like", "copy", "array")
IN_PLACE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)  # what NumPy can do in place, keeping the shape


@dataclass(frozen=True)
class GeneratedMutant:
    operator: str
    line: int  # line of the site in the solution's source (1-based)
    original: str  # that source line, stripped
    changed: str  # the mutated statement, as Python prints it
    code: str  # the whole mutated module

    @property
    def key(self) -> str:
        """How a problem file marks it equivalent: ``operator@source line``."""
        return f"{self.operator}@{self.original}"


@dataclass
class Site:
    """Where an operator looks: the node, and the parameters of the entry function around it.

    Only an entry function's parameters come from the caller, so only writing into those is the
    learner's mistake (a helper's parameter may be an array the solution made itself).
    """

    node: ast.AST
    params: frozenset[str]


Operator = Callable[[Site], "ast.AST | list[ast.stmt] | None"]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def _is_np(node: ast.AST, *names: str) -> bool:
    """``np.<name>`` / ``numpy.<name>`` for one of ``names``."""
    return (isinstance(node, ast.Attribute) and node.attr in names and isinstance(node.value, ast.Name)
            and node.value.id in ("np", "numpy"))


def _is_float64(node: ast.AST) -> bool:
    return (_is_np(node, *FLOAT64_NAMES) or (isinstance(node, ast.Name) and node.id == "float")
            or (isinstance(node, ast.Constant) and node.value in ("float64", "f8", "double")))


def _call_name(node: ast.AST) -> str | None:
    """``f`` for ``np.f(...)`` or ``x.f(...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _int_constant(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int):
        return -node.operand.value
    return None


def _int_node(value: int) -> ast.expr:
    return ast.UnaryOp(ast.USub(), ast.Constant(-value)) if value < 0 else ast.Constant(value)


def _is_inf(node: ast.AST) -> bool:
    return _is_np(node, "inf", "Inf", "infty") or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
        and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and node.args[0].value == "inf")


def _without_keyword(call: ast.Call, name: str) -> ast.Call:
    new = copy.copy(call)
    new.keywords = [k for k in call.keywords if k.arg != name]
    return new


# ---------------------------------------------------------------------------------------------
# Operators
# ---------------------------------------------------------------------------------------------
def input_dtype(site: Site):
    """Compute in the inputs' dtype: drop ``dtype=np.float64`` and ``.astype(np.float64)`` (everywhere)."""
    node = site.node
    if not isinstance(node, ast.Call):
        return None
    if any(k.arg == "dtype" and _is_float64(k.value) for k in node.keywords):
        return _without_keyword(node, "dtype")
    if (_call_name(node) == "astype" and len(node.args) == 1 and _is_float64(node.args[0])):
        return node.func.value
    if _is_np(node.func, "asarray", "array") and len(node.args) == 2 and _is_float64(node.args[1]):
        new = copy.copy(node)
        new.args = node.args[:1]
        return new
    return None


def in_place_update(site: Site):
    """Write into an argument: ``y = x - e`` with ``x`` a parameter becomes ``x -= e; y = x``."""
    node = site.node
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, IN_PLACE_OPS)
            and isinstance(node.value.left, ast.Name) and node.value.left.id in site.params):
        return None
    argument = node.value.left.id
    update = ast.AugAssign(ast.Name(argument, ast.Store()), node.value.op, node.value.right)
    if node.targets[0].id == argument:
        return [update]
    return [update, ast.Assign([node.targets[0]], ast.Name(argument, ast.Load()))]


def store_into_argument(site: Site):
    """Mutate a received dict: after ``k = f(cache["k"])``, also store ``cache["k"] = k``."""
    node = site.node
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    for sub in ast.walk(node.value):
        if (isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and sub.value.id in site.params
                and isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str)):
            store = ast.Subscript(ast.Name(sub.value.id, ast.Load()), ast.Constant(sub.slice.value), ast.Store())
            return [node, ast.Assign([store], ast.Name(node.targets[0].id, ast.Load()))]
    return None


def alias_argument(site: Site):
    """Use the argument itself where the solution makes a new array: ``np.empty_like(x)`` -> ``x``."""
    node = site.node
    if not isinstance(node, ast.Call):
        return None
    name = _call_name(node)
    if _is_np(node.func, *COPYING_CALLS) and node.args and isinstance(node.args[0], ast.Name) \
            and node.args[0].id in site.params and not (name == "array" and node.keywords):
        return node.args[0]
    if name == "copy" and not node.args and isinstance(node.func.value, ast.Name) \
            and node.func.value.id in site.params:
        return node.func.value
    return None


def drop_scale(site: Site):
    """Forget the scale: ``s / np.sqrt(d)`` -> ``s`` (and ``1.0 / np.sqrt(d)`` -> ``1.0``)."""
    node = site.node
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return None
    right = node.right
    if (isinstance(right, ast.Call) and (_is_np(right.func, "sqrt") or (
            isinstance(right.func, ast.Attribute) and right.func.attr == "sqrt"))) or (
            isinstance(right, ast.BinOp) and isinstance(right.op, ast.Pow)
            and isinstance(right.right, ast.Constant) and right.right.value == 0.5):
        return node.left
    return None


def wrong_length(site: Site):
    """Read the wrong dimension: ``x.shape[-1]`` -> ``x.shape[-2]`` (and ``[i]`` -> ``[i + 1]``)."""
    node = site.node
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
            and node.value.attr == "shape"):
        return None
    index = _int_constant(node.slice)
    if index is None:
        return None
    new = copy.copy(node)
    new.slice = _int_node(-2 if index == -1 else -1 if index == -2 else index + 1)
    return new


def other_axis(site: Site):
    """Reduce or normalise over another axis: ``axis=-1`` -> ``axis=-2`` (and ``k`` -> ``k + 1``)."""
    node = site.node
    if not isinstance(node, ast.Call):
        return None
    for keyword in node.keywords:
        index = _int_constant(keyword.value) if keyword.arg == "axis" else None
        if index is not None:
            new = copy.copy(node)
            new.keywords = [ast.keyword("axis", _int_node(-2 if index == -1 else -1 if index == -2 else index + 1))
                            if k is keyword else k for k in node.keywords]
            return new
    return None


def _shift_diagonal(site: Site, by: int):
    node = site.node
    if not (isinstance(node, ast.Call) and _is_np(node.func, "tril", "triu") and node.args):
        return None
    if len(node.args) >= 2:
        k = _int_constant(node.args[1])
        if k is None:
            return None
        new = copy.copy(node)
        new.args = [node.args[0], _int_node(k + by), *node.args[2:]]
        return new
    keyword = next((kw for kw in node.keywords if kw.arg == "k"), None)
    k = 0 if keyword is None else _int_constant(keyword.value)
    if k is None:
        return None
    new = _without_keyword(node, "k")
    new.keywords = [*new.keywords, ast.keyword("k", _int_node(k + by))]
    return new


def diagonal_up(site: Site):
    """Shift a ``tril``/``triu`` diagonal up by one: ``k=0`` -> ``k=1``."""
    return _shift_diagonal(site, 1)


def diagonal_down(site: Site):
    """Shift a ``tril``/``triu`` diagonal down by one: ``k=0`` -> ``k=-1``."""
    return _shift_diagonal(site, -1)


def finite_minus_inf(site: Site):
    """Block with a large finite number: ``-np.inf`` -> ``-1e9``."""
    node = site.node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _is_inf(node.operand):
        return ast.UnaryOp(ast.USub(), ast.Constant(1e9))
    return None


def transpose_2d(site: Site):
    """A transpose that only works in 2-D: ``np.swapaxes(K, -1, -2)`` / ``K.transpose(...)`` -> ``K.T``."""
    node = site.node
    if not isinstance(node, ast.Call):
        return None
    if _is_np(node.func, "swapaxes", "transpose") and node.args and len(node.args) + len(node.keywords) > 1:
        return ast.Attribute(node.args[0], "T", ast.Load())
    if _call_name(node) in ("swapaxes", "transpose") and (node.args or node.keywords) \
            and not _is_np(node.func, "swapaxes", "transpose"):
        return ast.Attribute(node.func.value, "T", ast.Load())
    return None


OPERATORS: dict[str, Operator] = {op.__name__: op for op in (
    input_dtype, in_place_update, store_into_argument, alias_argument, drop_scale, wrong_length,
    other_axis, diagonal_up, diagonal_down, finite_minus_inf, transpose_2d)}


# ---------------------------------------------------------------------------------------------
# Applying an operator at one site
# ---------------------------------------------------------------------------------------------
class _AtSite(ast.NodeTransformer):
    """Counts the sites of one operator in traversal order; replaces the ``target``-th (if any), or,
    with ``target=None``, every site (the first one is reported)."""

    def __init__(self, operator: Operator, target: int | None = -1, entry: tuple[str, ...] = ()):
        self.operator, self.target, self.entry = operator, target, entry
        self.count = 0
        self.params: list[frozenset[str]] = [frozenset()]
        self.statements: list[ast.stmt] = []
        self.hit: tuple[int, list[ast.stmt]] | None = None  # (site line, the mutated statements)

    def visit(self, node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            caller_given = isinstance(node, ast.FunctionDef) and node.name in self.entry
            self.params.append(frozenset(a.arg for a in args.posonlyargs + args.args + args.kwonlyargs)
                               if caller_given else frozenset())
        replacement = self.operator(Site(node, self.params[-1]))
        if replacement is not None:
            index, self.count = self.count, self.count + 1
            if index == self.target or (self.target is None and self.hit is None):
                for new in replacement if isinstance(replacement, list) else [replacement]:
                    ast.fix_missing_locations(ast.copy_location(new, node))  # so it unparses and compiles
                if isinstance(replacement, list):  # statements: they replace `node` in its body
                    self.hit = (node.lineno, replacement)
                else:
                    self.hit = (node.lineno, [self.statements[-1]] if self.statements else [])
                return replacement
            if self.target is None:  # every site at once: replace this one too, keep the first as the hit
                for new in replacement if isinstance(replacement, list) else [replacement]:
                    ast.fix_missing_locations(ast.copy_location(new, node))
                return replacement
        is_statement = isinstance(node, ast.stmt)
        if is_statement:
            self.statements.append(node)
        try:
            return self.generic_visit(node)
        finally:
            if is_statement:
                self.statements.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self.params.pop()


def _first_line(statement: ast.stmt) -> str:
    return ast.unparse(statement).splitlines()[0]


def _without_comment(line: str) -> str:
    """The code of one source line, without a trailing ``# comment`` (a ``#`` in a string stays)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:i].rstrip()
    return line.rstrip()


def mutate(source: str, operator: str, site: int | None, entry: tuple[str, ...] = ()) -> GeneratedMutant | None:
    """The mutant of ``source`` made by ``operator`` at its ``site``-th site (None: at every site at
    once), or None if there is no such site.

    ``entry`` names the functions the caller calls: writing into their parameters is a mistake.
    """
    tree = ast.parse(source)
    transformer = _AtSite(OPERATORS[operator], site, entry)
    tree = transformer.visit(tree)
    if transformer.hit is None:
        return None
    line, statements = transformer.hit
    original = _without_comment(source.splitlines()[line - 1].strip())
    changed = "; ".join(_first_line(s) for s in statements) or original
    return GeneratedMutant(operator, line, original, changed, ast.unparse(ast.fix_missing_locations(tree)) + "\n")


def count_sites(source: str, operator: str, entry: tuple[str, ...] = ()) -> int:
    transformer = _AtSite(OPERATORS[operator], entry=entry)
    transformer.visit(ast.parse(source))
    return transformer.count


def generate(source: str, entry: tuple[str, ...] = (), limit: int = MAX_GENERATED) -> list[GeneratedMutant]:
    """Every operator at every site, at most ``limit`` mutants, none the same program as another."""
    unchanged = ast.unparse(ast.parse(source)) + "\n"
    seen, mutants = {unchanged}, []
    for operator in OPERATORS:
        count = count_sites(source, operator, entry)
        for site in ([None] if count else []) if operator in EVERYWHERE_AT_ONCE else range(count):
            mutant = mutate(source, operator, site, entry)
            if mutant is None or mutant.code in seen:
                continue
            seen.add(mutant.code)
            mutants.append(mutant)
            if len(mutants) >= limit:
                return mutants
    return mutants
