"""One sequence first, then the batch: wrong solutions written as learners write them
(tests/solutions/<slug>/wrong/; the correct ones are the course's solutions/<slug>/) get one batch message naming the real cause, and every other
test reports its own cause, on one sequence."""

from pathlib import Path

import numpy as np
import pytest

from staticjudge.runtime import harness, judge
from staticjudge.content.parser import load_problems

ROOT = Path(__file__).resolve().parent.parent
WRONG = Path(__file__).resolve().parent / "solutions"
PROBLEMS, _ERRORS = load_problems(ROOT / "problems", ROOT / "hidden_tests")
BY_SLUG = {p.slug: p for p in PROBLEMS}
BATCH_MESSAGE = "correct for one sequence; on a batch of"
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN from the wrong solutions


def grade(slug: str, code: str) -> dict[str, dict]:
    problem = BY_SLUG[slug]
    report = harness.grade(code, problem.tests_source, problem.entry, tolerance=problem.tolerance)
    assert report["error"] is None, report["error"]
    return {t["name"]: t for t in report["tests"]}


def wrong(slug: str, name: str) -> dict[str, dict]:
    return grade(slug, (WRONG / slug / "wrong" / f"{name}.py").read_text())


def failing(tests: dict[str, dict]) -> dict[str, str]:
    return {name: t["message"] for name, t in tests.items() if t["status"] != "pass"}


def only_the_batch_test_fails(tests, batch_test="test_batches") -> str:
    failed = failing(tests)
    assert list(failed) == [batch_test], failed
    assert tests[batch_test]["status"] == "fail", "one message, not an error with a bare traceback"
    message = failed[batch_test]
    assert message.startswith(BATCH_MESSAGE), message
    assert message.count(BATCH_MESSAGE) == 1
    return message


@pytest.mark.parametrize("slug", ["masked_attention", "attention_weights", "rope"])
def test_the_reference_solution_passes_everything(slug):
    tests = grade(slug, BY_SLUG[slug].solution.code)
    assert not failing(tests)


# --- masked_attention ------------------------------------------------------------------------
def test_k_dot_T_gets_one_batch_message_naming_K_T():
    message = only_the_batch_test_fails(wrong("masked_attention", "k_dot_T"))
    assert "on a batch of 3 sequences (Q of shape (3, 4, 5)) it raised ValueError: matmul" in message
    assert "(line 12: `scores = Q @ K.T / np.sqrt(d_k)`)" in message
    assert message.endswith("because `K.T` reverses all three axes of a 3-D array, not just the last two: "
                            "use np.swapaxes(K, -1, -2)")


def test_np_dot_with_swapaxes_is_blamed_on_np_dot_not_on_K_T():
    message = only_the_batch_test_fails(wrong("masked_attention", "np_dot"))
    assert "because `np.dot(Q, np.swapaxes(K, -1, -2))`: np.dot on 3-D arrays is not a batched matrix product" in message
    assert "use @ or np.matmul (line 12)" in message
    assert ".T`" not in message and "reverses" not in message


def test_unpacking_a_batched_shape_says_so():
    message = only_the_batch_test_fails(wrong("masked_attention", "unpacks_shape"))
    assert "it raised ValueError: too many values to unpack (expected 2) (line 6: `seq_len, d_k = Q.shape`)" in message
    assert "because `seq_len, d_k = Q.shape` unpacks the shape of a batch, which has three axes, into 2 names: " \
           "use `Q.shape[-2:]` or `Q.shape[-1]`" in message
    assert ".T`" not in message and "np.dot" not in message


def test_softmax_over_axis_1_is_wrong_only_on_a_batch():
    message = only_the_batch_test_fails(wrong("masked_attention", "softmax_axis_1"))
    assert "the result is wrong: your result differs" in message
    assert "Probable cause: `axis=1` counts axes from the front" in message and "(line 7)" in message


def test_scaling_by_sqrt_T_is_reported_on_one_sequence():
    tests = wrong("masked_attention", "scaled_by_sqrt_T")
    failed = failing(tests)
    hint = "Hint: the scores look divided by sqrt(T), the sequence length: divide by sqrt(d_k) = K.shape[-1]"
    for name in ("test_causal_mask_large_negative", "test_causal_mask_minus_inf", "test_float32_inputs",
                 "test_zero_mask_is_plain_attention", "test_blocked_positions_cannot_leak"):
        assert hint in failed[name], (name, failed.get(name))
    # Wrong on each sequence too (K.shape[0] is B on a batch): the batch test says what it sees, no batch story.
    assert BATCH_MESSAGE not in failed["test_batches"]
    assert tests["test_worked_example"]["status"] == "pass"  # a one-hot softmax: any scale gives it


def test_an_all_zero_mask_read_as_block_everything_is_reported_on_one_sequence():
    failed = failing(wrong("masked_attention", "zero_mask_blocks_everything"))
    assert list(failed) == ["test_zero_mask_is_plain_attention"], failed
    message = failed["test_zero_mask_is_plain_attention"]
    assert "Hint: every key looks blocked: in an additive mask 0 means \"may attend\"" in message
    assert "overflows" not in message, "NaN from a fully blocked row is no overflow"


def test_every_behaviour_is_also_tested_on_one_sequence():
    """The batch tests are the only ones a one-sequence-only solution fails."""
    for slug, name in [("masked_attention", "k_dot_T"), ("attention_weights", "k_dot_T"), ("rope", "unpacks_shape")]:
        titles = {t.name: t.title for t in BY_SLUG[slug].tests}
        failed = failing(wrong(slug, name))
        assert len(failed) == 1, failed
        title = titles[next(iter(failed))]
        assert "batch" in title.lower() or "(B, H, T, Dh)" in title, title


# --- attention_weights -----------------------------------------------------------------------
def test_attention_weights_k_dot_T():
    message = only_the_batch_test_fails(wrong("attention_weights", "k_dot_T"))
    assert "(q of shape (3, 4, 5))" in message
    assert "because `k.T` reverses all three axes of a 3-D array" in message


def test_attention_weights_transpose_of_three_axes_on_four():
    message = only_the_batch_test_fails(wrong("attention_weights", "three_axes_only"))
    assert "on a batch of 2×3 = 6 sequences (q of shape (2, 3, 4, 6)) it raised ValueError" in message
    assert "because `k.transpose(0, 2, 1)` names three axes, but this batch has four: use np.swapaxes(k, -1, -2)" \
        in message
    assert "`k.T`" not in message, "k.T is there, but only for 2-D k"


def test_attention_weights_sqrt_S():
    failed = failing(wrong("attention_weights", "scaled_by_sqrt_S"))
    hint = "Hint: the scores look divided by sqrt(S), the number of keys: divide by sqrt(d_k) = k.shape[-1]"
    for name in ("test_worked_examples", "test_matches_reference", "test_additive_mask_values", "test_float32_inputs"):
        assert hint in failed[name], (name, failed.get(name))


# --- rope ------------------------------------------------------------------------------------
def test_rope_unpacks_shape():
    message = only_the_batch_test_fails(wrong("rope", "unpacks_shape"), "test_batched_heads")
    assert "on a batch of 2×3 = 6 sequences (x of shape (2, 3, 4, 6))" in message
    assert "because `T, D = x.shape` unpacks the shape of a batch, which has four axes, into 2 names" in message


def test_rope_slices_axis_1():
    message = only_the_batch_test_fails(wrong("rope", "slices_axis_1"), "test_batched_heads")
    assert "indexes axes from the front" in message and "`x[..., 0::2]`" in message


# --- judge.assert_batched on its own -------------------------------------------------------
def _check_double(result, x):
    judge.assert_close(result, 2 * np.asarray(x, dtype=float))


def test_assert_batched_calls_once_when_the_batch_is_right():
    calls = []

    def double(x):
        calls.append(np.shape(x))
        return 2 * x

    x = np.arange(6.0).reshape(2, 3)
    assert judge.assert_batched(double, (x,), _check_double, batched=(0,)) is not None
    assert calls == [(2, 3)]


def test_assert_batched_reraises_a_failure_that_one_item_has_too():
    def broken(x):
        return x + 1

    with pytest.raises(AssertionError) as info:
        judge.assert_batched(broken, (np.arange(6.0).reshape(2, 3),), _check_double, batched=(0,))
    assert BATCH_MESSAGE not in str(info.value)

    def raises(x):
        raise KeyError("nope")

    with pytest.raises(KeyError):
        judge.assert_batched(raises, (np.ones((2, 3)),), _check_double, batched=(0,))


def test_assert_batched_without_learner_source_still_says_one_thing():
    def one_row_only(x):
        if np.ndim(x) != 1:
            raise ValueError("one row please")
        return 2 * x

    with pytest.raises(AssertionError) as info:
        judge.assert_batched(one_row_only, (np.ones((2, 3)),), _check_double, batched=(0,))
    message = str(info.value)
    assert message.startswith("correct for one sequence; on a batch of 2 sequences (x of shape (2, 3)) it raised "
                              "ValueError: one row please")
    assert "because" not in message  # no learner source to read a cause from


def test_learner_file_names_agree():
    assert judge.LEARNER_FILE == harness.LEARNER_FILE


# --- padding_mask: a broadcasting error gets the hint of its cause -----------------------------
def test_padding_np_dot_is_blamed_on_np_dot():
    failed = failing(wrong("padding_mask", "np_dot"))
    message = failed["test_matches_reference"]
    assert "Hint: `np.dot(Q, np.swapaxes(K, -1, -2))`: np.dot on 3-D arrays is not a batched matrix product" in message
    assert "queries (rows)" not in message


def test_padding_mask_used_as_it_is_is_told_to_insert_the_query_axis():
    message = failing(wrong("padding_mask", "mask_not_expanded"))["test_matches_reference"]
    assert "Hint: the (B, S) mask must line up with the key axis" in message
    assert "queries (rows)" not in message and "np.dot" not in message


def test_causes_are_read_for_a_proxy_of_the_learner_function():
    """Native isolated grading: the entry is a proxy by name; the line comes with the error."""
    namespace = harness.load_learner_code((WRONG / "masked_attention" / "wrong" / "k_dot_T.py").read_text())
    real = namespace["masked_attention"]

    class Remote(ValueError):
        def __init__(self, text, line):
            super().__init__(text)
            self.error = {"message": f"ValueError: {text}", "line": line, "traceback": ""}

    def proxy(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except ValueError as exc:
            raise Remote(str(exc), harness.learner_line(exc)) from None

    proxy.__name__ = "masked_attention"
    tests = harness._load_tests(BY_SLUG["masked_attention"].tests_source, harness.TESTS_FILE)[0]
    with pytest.raises(AssertionError) as info:
        tests.test_batches(proxy)
    message = str(info.value)
    assert message.startswith("correct for one sequence; on a batch of 3 sequences (Q of shape (3, 4, 5))")
    assert "(line 12: `scores = Q @ K.T / np.sqrt(d_k)`) because `K.T` reverses all three axes" in message


def test_isolated_native_grading_names_the_cause_too():
    """build.py grade runs the learner's code in a process of its own; the tests' process still reads
    the learner's lines (as text) to name the cause."""
    from staticjudge.grading.runner import run_in_child

    problem = BY_SLUG["masked_attention"]
    code = (WRONG / "masked_attention" / "wrong" / "k_dot_T.py").read_text()
    titles = [(t.name, t.title) for t in problem.tests]
    report = run_in_child(code, problem.tests_source, problem.entry, problem.time_limit, titles,
                          tolerance=problem.tolerance)
    tests = {t["name"]: t for t in report["tests"]}
    message = only_the_batch_test_fails(tests)
    assert "because `K.T` reverses all three axes of a 3-D array" in message
