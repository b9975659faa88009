"""What a statement promises is tested, and the failure names the broken promise (graded natively)."""

import pytest

from staticjudge.runtime import harness
from staticjudge.content.parser import load_problems
from staticjudge.grading.runner import run_in_child

from conftest import ROOT

PROBLEMS, _ = load_problems(ROOT / "problems", ROOT / "hidden_tests")
BY_SLUG = {p.slug: p for p in PROBLEMS}
FLOAT64_PROMISED = [p for p in PROBLEMS if any(m.name == "float32_output" for m in p.mutants)]


def grade(slug, code):
    problem = BY_SLUG[slug]
    titles = [(t.name, t.title) for t in problem.tests]
    return run_in_child(code, problem.tests_source, problem.entry, problem.time_limit, titles,
                        tolerance=problem.tolerance)


def not_passed(report):
    return {t["name"]: t for t in report["tests"] if t["status"] != "pass"}


def problem_arguments(problem):
    """The parameters of the problem's entry functions, as the solution writes them."""
    import ast

    tree = ast.parse(problem.solution.code)
    return [a.arg for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in problem.entry
            for a in n.args.args]


@pytest.mark.parametrize("problem", FLOAT64_PROMISED, ids=[p.slug for p in FLOAT64_PROMISED])
def test_a_float32_result_fails_only_the_float32_test_saying_why(problem):
    code = next(m.code for m in problem.mutants if m.name == "float32_output")
    failed = not_passed(grade(problem.slug, code))
    assert len(failed) == 1, sorted(failed)
    (test,) = failed.values()
    assert "float32" in test["name"] and test["status"] == "fail"
    # the fix names the problem's own arguments (judge.assert_dtype reads the entry's parameters)
    message = test["message"]
    assert "is float32; the statement asks for float64: convert the" in message, message
    assert any(f"{name} = np.asarray({name}, dtype=np.float64)" in message
               for name in problem_arguments(problem)), message


SELF_ATTENTION_IN_INPUT_DTYPE = """import numpy as np

def self_attention(Q, K, V):
    s = (Q @ K.T) / K.shape[-1] ** 0.5   # a Python float keeps float32 inputs float32
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ V
"""


def test_self_attention_returning_float32_for_float32_inputs_fails():
    failed = not_passed(grade("self_attention", SELF_ATTENTION_IN_INPUT_DTYPE))
    assert list(failed) == ["test_float32_inputs"]
    assert failed["test_float32_inputs"]["message"] == (
        "your result is float32; the statement asks for float64: convert the inputs first: "
        "Q = np.asarray(Q, dtype=np.float64) (and K, V the same way)")


KV_CACHE_GROWN_IN_PLACE = """import numpy as np

def decode_step(x_t, params, num_heads, cache=None):
    B, E = x_t.shape
    Dh = E // num_heads
    q, k, v = ((x_t @ params[f"W_{n}"] + params[f"b_{n}"]).reshape(B, num_heads, 1, Dh) for n in "qkv")
    if cache is None:
        cache = {"k": k, "v": v}
    else:
        cache["k"] = np.concatenate([cache["k"], k], axis=2)
        cache["v"] = np.concatenate([cache["v"], v], axis=2)
    s = q @ cache["k"].transpose(0, 1, 3, 2) / np.sqrt(Dh)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    o = (w / w.sum(axis=-1, keepdims=True)) @ cache["v"]
    return o.reshape(B, E) @ params["W_o"] + params["b_o"], cache
"""


def test_kv_cache_that_stores_into_the_cache_it_was_given_fails_at_that_line():
    report = grade("kv_cache", KV_CACHE_GROWN_IN_PLACE)
    failed = not_passed(report)
    # Every test that hands decode_step a cache catches it; the first token alone has none.
    assert "test_branches_are_independent" in failed and "test_first_token_attends_to_itself" not in failed
    for test in failed.values():
        assert test["status"] == "error" and test["line"] == 10, test
        assert test["message"].startswith("Your function changed a dict it was given")
    assert report["status"] == "error"



# --- scaling by a sequence length instead of sqrt(d_k) gets its own hint -------------------------
SEQUENCE_SCALE = [
    # (slug, mutant, a test it fails, the hint, an unrelated wrong answer that must not get it)
    ("multi_head_attention", "scaled_by_sqrt_T", "test_matches_reference",
     "the scores look divided by sqrt(T), the sequence length", "scaled_by_sqrt_E"),
    ("cross_attention", "scaled_by_sqrt_S", "test_scaled_by_head_dim",
     "the scores look divided by sqrt(S), the number of encoder positions (keys)", "scaled_by_sqrt_E"),
    ("grouped_query_attention", "scaled_by_sqrt_T", "test_matches_reference",
     "the scores look divided by sqrt(T), the sequence length", "scaled_by_sqrt_E"),
    ("kv_cache", "scaled_by_cache_length", "test_matches_full_causal_attention",
     "the scores look divided by sqrt(L + 1), the number of cached positions", "scaled_by_sqrt_E"),
    ("tiled_attention", "scaled_by_sqrt_S", "test_matches_full_attention",
     "the scores look divided by sqrt(S), the number of keys", "no_rescale_accumulator"),
    ("attention_backward", "scaled_by_sqrt_T", "test_random_inputs",
     "the scores look divided by sqrt(T), the number of queries", "missing_scale_in_dQ_dK"),
]


def mutant_code(slug, name):
    return next(m.code for m in BY_SLUG[slug].mutants if m.name == name)


@pytest.mark.parametrize("slug, mutant, test, hint, unrelated", SEQUENCE_SCALE, ids=[s[0] for s in SEQUENCE_SCALE])
def test_scaling_by_a_sequence_length_is_named(slug, mutant, test, hint, unrelated):
    failed = not_passed(grade(slug, mutant_code(slug, mutant)))
    assert failed[test]["status"] == "fail" and f"Hint: {hint}" in failed[test]["message"], failed.get(test)
    for other in not_passed(grade(slug, mutant_code(slug, unrelated))).values():
        assert hint not in other["message"], other


def test_tiled_attention_scaled_by_the_block_length_is_named():
    code = mutant_code("tiled_attention", "scaled_by_sqrt_S").replace("np.sqrt(S)", "np.sqrt(len(K[start:start + block_size]))")
    message = not_passed(grade("tiled_attention", code))["test_matches_full_attention"]["message"]
    assert "Hint: the scores look divided by the square root of the block's length" in message


# --- inputs are left unchanged ---------------------------------------------------------------
IN_PLACE = [("softmax", "shifts_input_in_place"), ("rope", "rotates_in_place"),
            ("self_attention", "scales_Q_in_place"), ("masked_attention", "scores_added_into_mask"),
            ("cross_attention", "zeroes_padded_encoder_in_place"),
            ("grouped_query_attention", "folds_scale_into_W_q_in_place"),
            ("multi_head_attention", "replaces_minus_inf_in_mask_in_place"),
            ("sliding_window_attention", "scales_Q_in_place"), ("tiled_attention", "scales_Q_in_place"),
            ("attention_backward", "scales_Q_in_place")]


@pytest.mark.parametrize("slug, mutant", IN_PLACE, ids=[s[0] for s in IN_PLACE])
def test_writing_into_an_argument_is_named(slug, mutant):
    problem = BY_SLUG[slug]
    assert "inputs_not_mutated" in {r.id for r in problem.requirements}
    failed = not_passed(grade(slug, mutant_code(slug, mutant)))
    test = failed["test_inputs_not_mutated"]
    assert test["message"].startswith("Your function modified one of its input arrays in place"), test
    assert "test_inputs_not_mutated" not in not_passed(grade(slug, problem.solution.code))


def test_the_inputs_test_names_the_argument_a_function_changed():
    """Without the harness's read-only copies (e.g. a learner who sets writeable back), the test's own
    comparison names the argument."""
    harness.judge_module()
    namespace = {}
    exec(compile(BY_SLUG["masked_attention"].tests_source, "tests.py", "exec"), namespace)

    def writes_the_mask(Q, K, V, mask):
        mask += 1.0
        return V

    with pytest.raises(AssertionError, match=r"your function changed its argument `mask` in place; compute on a copy"):
        namespace["test_inputs_not_mutated"](writes_the_mask)
