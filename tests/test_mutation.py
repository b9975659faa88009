"""Each AST operator of mutation.py, on a small function: the mutant is exactly the classic mistake."""

import ast
import textwrap

import pytest

from staticjudge.authoring.mutation import MAX_GENERATED, OPERATORS, count_sites, generate, mutate


def body(code: str) -> str:
    """``code`` as ast.unparse prints it, so expectations read like the source."""
    return ast.unparse(ast.parse(textwrap.dedent(code))) + "\n"


CASES = [
    # (operator, source, site, mutated source, the changed line as reported)
    ("input_dtype", """
        def f(x, y):
            x = np.asarray(x, dtype=np.float64)
            return x + y.astype(np.float64) + np.array(y, np.float64)
     """, None, """
        def f(x, y):
            x = np.asarray(x)
            return x + y + np.array(y)
     """, "x = np.asarray(x)"),
    ("in_place_update", """
        def f(x):
            y = x - x.max()
            return y
     """, 0, """
        def f(x):
            x -= x.max()
            y = x
            return y
     """, "x -= x.max(); y = x"),
    ("store_into_argument", """
        def f(x, cache):
            k = np.concatenate([cache['k'], x])
            return k
     """, 0, """
        def f(x, cache):
            k = np.concatenate([cache['k'], x])
            cache['k'] = k
            return k
     """, "k = np.concatenate([cache['k'], x]); cache['k'] = k"),
    ("alias_argument", """
        def f(x):
            out = np.empty_like(x)
            out[...] = 2 * x
            return out
     """, 0, """
        def f(x):
            out = x
            out[...] = 2 * x
            return out
     """, "out = x"),
    ("drop_scale", """
        def f(q, k):
            return q @ k.T / np.sqrt(k.shape[-1])
     """, 0, """
        def f(q, k):
            return q @ k.T
     """, "return q @ k.T"),
    ("wrong_length", """
        def f(q, k):
            return q @ k.T / np.sqrt(k.shape[-1])
     """, 0, """
        def f(q, k):
            return q @ k.T / np.sqrt(k.shape[-2])
     """, "return q @ k.T / np.sqrt(k.shape[-2])"),
    ("other_axis", """
        def f(s):
            return s / s.sum(axis=-1, keepdims=True)
     """, 0, """
        def f(s):
            return s / s.sum(axis=-2, keepdims=True)
     """, "return s / s.sum(axis=-2, keepdims=True)"),
    ("diagonal_up", """
        def f(T):
            return np.tril(np.ones((T, T)), k=1)
     """, 0, """
        def f(T):
            return np.tril(np.ones((T, T)), k=2)
     """, "return np.tril(np.ones((T, T)), k=2)"),
    ("diagonal_down", """
        def f(T):
            return np.triu(np.ones((T, T)), 1)
     """, 0, """
        def f(T):
            return np.triu(np.ones((T, T)), 0)
     """, "return np.triu(np.ones((T, T)), 0)"),
    ("finite_minus_inf", """
        def f(s, mask):
            return np.where(mask, s, -np.inf)
     """, 0, """
        def f(s, mask):
            return np.where(mask, s, -1000000000.0)
     """, "return np.where(mask, s, -1000000000.0)"),
    ("transpose_2d", """
        def f(q, k):
            return q @ np.swapaxes(k, -1, -2) + q @ k.transpose(0, 2, 1)
     """, 1, """
        def f(q, k):
            return q @ np.swapaxes(k, -1, -2) + q @ k.T
     """, "return q @ np.swapaxes(k, -1, -2) + q @ k.T"),
]


def test_every_operator_has_a_case():
    assert {case[0] for case in CASES} == set(OPERATORS)


@pytest.mark.parametrize("operator, source, site, expected, changed", CASES, ids=[c[0] for c in CASES])
def test_operator_makes_the_mistake(operator, source, site, expected, changed):
    source = textwrap.dedent(source).lstrip("\n")
    mutant = mutate(source, operator, site, entry=("f",))
    assert mutant.code == body(expected)
    assert mutant.changed == changed
    assert mutant.operator == operator and mutant.line == 2  # the site is on the function's first line
    assert mutant.key == f"{operator}@{source.splitlines()[1].strip()}"
    compile(mutant.code, "<mutant>", "exec")


def test_writing_into_a_helpers_parameter_is_no_site():
    """Only the entry function's parameters come from the caller: a helper may update its own arrays."""
    source = "def helper(x):\n    x = x - x.max()\n    return x\n\n\ndef f(s):\n    return helper(s * 2)\n"
    assert count_sites(source, "in_place_update", entry=("f",)) == 0
    assert count_sites(source, "in_place_update", entry=("helper",)) == 1


def test_operators_leave_what_they_do_not_match_alone():
    source = "def f(x):\n    return x.T @ x / len(x)\n"
    assert all(count_sites(source, name, entry=("f",)) == 0 for name in OPERATORS if name != "transpose_2d")
    assert generate(source, ("f",)) == []  # .T is already 2-D-only; nothing else applies


def test_generation_is_bounded_and_gives_distinct_programs():
    lines = "".join(f"    x{i} = np.sum(x, axis=-1) / np.sqrt(x.shape[-1])\n" for i in range(30))
    source = f"def f(x):\n{lines}    return x0\n"
    mutants = generate(source, ("f",))
    assert len(mutants) == MAX_GENERATED
    assert len({m.code for m in mutants}) == len(mutants)
    assert len(generate(source, ("f",), limit=5)) == 5


def test_a_trailing_comment_is_not_part_of_the_key():
    source = "def f(q, k):\n    s = q @ k.T / np.sqrt(k.shape[-1])  # (T, S): '#' here\n    return s\n"
    assert mutate(source, "drop_scale", 0).key == "drop_scale@s = q @ k.T / np.sqrt(k.shape[-1])"
