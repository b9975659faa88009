import numpy as np

import re
import traceback

from judge import (tolerance, as_float_array, assert_close, assert_dtype, assert_equal, assert_inputs_unchanged, assert_shape,
                   assert_true, batch_cause, with_hint)


def ref_padding_mask(lengths, S):
    return np.arange(S)[None, :] < np.asarray(lengths)[:, None]


def _softmax(s, axis=-1):
    with np.errstate(all="ignore"):
        w = np.exp(s - s.max(axis=axis, keepdims=True))
        return w / w.sum(axis=axis, keepdims=True)


def _scores(Q, K):
    Q, K = np.asarray(Q, dtype=np.float64), np.asarray(K, dtype=np.float64)
    return Q @ np.swapaxes(K, -1, -2) / np.sqrt(K.shape[-1])


def reference(Q, K, V, keep):
    keep = np.asarray(keep, dtype=bool)[:, None, :]
    return _softmax(np.where(keep, _scores(Q, K), -np.inf)) @ np.asarray(V, dtype=np.float64)


def mistakes(Q, K, V, keep):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    keep = np.asarray(keep, dtype=bool)
    V = np.asarray(V, dtype=np.float64)
    s = _scores(Q, K)
    found = {
        "the padding mask seems to have no effect: block the padded keys in the scores, lined up "
        "with the key axis (key_padding_mask[:, None, :]); a mask on the query axis shifts whole "
        "rows of scores, which the softmax ignores": _softmax(s) @ V,
        "padded keys look zeroed after the softmax without renormalising: block them in the "
        "scores before the softmax, so the real keys' weights still sum to 1":
            (_softmax(s) * keep[:, None, :]) @ V,
        "the mask looks inverted: True marks a real key that may be attended to, False marks padding":
            _softmax(np.where(keep[:, None, :], -1e9, s)) @ V,
        "the scores look divided by sqrt(S), the number of keys: divide by sqrt(d_k) = K.shape[-1]":
            _softmax(np.where(keep[:, None, :], s * np.sqrt(np.shape(K)[-1] / np.shape(K)[-2]), -np.inf)) @ V,
        "the scores look divided by sqrt(T), the number of queries: divide by sqrt(d_k) = K.shape[-1]":
            _softmax(np.where(keep[:, None, :], s * np.sqrt(np.shape(K)[-1] / np.shape(Q)[-2]), -np.inf)) @ V,
    }
    try:  # the mask lined up with the queries broadcasts without an error when T == S or T == 1
        found[QUERY_AXIS] = _softmax(s + np.where(keep[:, :, None], 0.0, -1e9)) @ V
    except ValueError:
        pass
    return found


QUERY_AXIS = ("the mask seems to be lined up with the queries (rows) instead of the keys (columns): "
              "use key_padding_mask[:, None, :] so it broadcasts over the last axis of the (B, T, S) scores")


def call(attention_with_padding, Q, K, V, keep):
    try:
        return attention_with_padding(Q, K, V, keep)
    except ValueError as exc:
        if "broadcast" not in str(exc):
            raise
        hint = batch_cause(attention_with_padding, exc, kinds=("transpose", "dot"))
        if not hint:  # the line that failed: a mask lined up with the queries, or not expanded at all
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "solution.py"]
            remote = getattr(exc, "error", None)  # raised in the learner's own process: its traceback
            shown = str(remote.get("traceback", "")).split('File "solution.py"') if isinstance(remote, dict) else [""]
            line = (frames[-1].line or "") if frames else "".join(shown[-1].splitlines()[1:2])
            if re.search(r"\[\s*:\s*,\s*:\s*,\s*(None|np\.newaxis)\s*\]|\[\s*\.\.\.\s*,\s*(None|np\.newaxis)\s*\]", line):
                hint = QUERY_AXIS
            elif re.search(r"\[\s*:\s*,\s*(None|np\.newaxis)\s*(,\s*:\s*)?\]", line):
                hint = ("the (B, 1, S) mask is lined up right, so the scores it meets do not have the shape "
                        "(B, T, S): compute them with Q @ np.swapaxes(K, -1, -2)")
            else:
                hint = ("the (B, S) mask must line up with the key axis, the last one of the (B, T, S) scores: "
                        "insert a query axis, key_padding_mask[:, None, :]")
        raise AssertionError(f"ValueError: {str(exc).strip()}\n  Hint: {hint}") from None


def check(attention_with_padding, Q, K, V, keep, **options):
    got = call(attention_with_padding, Q, K, V, keep)
    assert_close(got, reference(Q, K, V, keep), mistakes=lambda: mistakes(Q, K, V, keep), **options)
    return got


def random_qkv(B, T, S, d_k, d_v, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((B, T, d_k)).astype(dtype), rng.standard_normal((B, S, d_k)).astype(dtype),
            rng.standard_normal((B, S, d_v)).astype(dtype))


def test_padding_mask_worked_example(padding_mask):
    """padding_mask([3, 1], 4) from the statement: a (B, S) boolean array

    Guards: mask_definition, mask_bool
    """
    expected = np.array([[True, True, True, False], [True, False, False, False]])
    assert_equal(padding_mask([3, 1], 4), expected, name="padding_mask([3, 1], 4)", dtype_kind="b")


def test_padding_mask_edge_lengths(padding_mask):
    """Lengths 0 and S give all-False and all-True rows (lengths as a NumPy array)

    Guards: mask_definition
    """
    lengths = np.array([0, 5, 2, 4, 1])
    assert_equal(padding_mask(lengths, 5), ref_padding_mask(lengths, 5),
                 name="padding_mask(np.array([0, 5, 2, 4, 1]), 5)", dtype_kind="b")


def test_attention_worked_example(attention_with_padding):
    """Worked example: zero scores average only the real values"""
    Q, K = np.zeros((2, 1, 2)), np.zeros((2, 4, 2))
    V = np.array([[[1.0], [2.0], [3.0], [100.0]], [[5.0], [50.0], [500.0], [5000.0]]])
    keep = ref_padding_mask([3, 1], 4)
    assert_close(call(attention_with_padding, Q, K, V, keep), np.array([[[2.0]], [[5.0]]]),
                 mistakes=lambda: mistakes(Q, K, V, keep))


def test_matches_reference(attention_with_padding):
    """Matches the reference on a batch with T != S and different lengths

    Guards: keys_not_queries, scaling
    """
    Q, K, V = random_qkv(3, 4, 6, d_k=5, d_v=3, seed=1)
    check(attention_with_padding, Q, K, V, ref_padding_mask([6, 2, 4], 6))


def test_padded_keys_get_zero_weight(attention_with_padding):
    """Padded keys get zero weight, and each query's weights sum to 1

    Guards: keys_not_queries, true_is_real, zero_weight
    """
    B, S = 3, 5
    Q, K, _ = random_qkv(B, S, S, d_k=4, d_v=1, seed=2)
    V = np.broadcast_to(np.eye(S), (B, S, S)).copy()  # with V = I the output *is* the weight matrix
    keep = ref_padding_mask([5, 3, 1], S)
    weights = as_float_array(call(attention_with_padding, Q, K, V, keep))
    assert_shape(weights, (B, S, S), name="the result with V = identity (the weights)")
    leaked = np.abs(weights) * ~keep[:, None, :]
    b, i, j = np.unravel_index(int(np.argmax(leaked)), leaked.shape)
    assert_true(leaked.max() <= 1e-12,
                lambda: f"sequence {b}: query {i} gives weight {weights[b, i, j]:.6g} to key {j}, which is "
                f"padding (the mask is False there); padded keys must get exactly 0. The mask must "
                f"line up with the key axis, the last axis of the scores")
    sums = weights.sum(axis=-1)
    b, i = np.unravel_index(int(np.argmax(np.abs(sums - 1))), sums.shape)
    assert_true(np.allclose(sums, 1.0, atol=1e-9),
                lambda: f"sequence {b}: the weights of query {i} sum to {sums[b, i]:.6g}, not 1; block the "
                f"padded keys in the scores before the softmax instead of zeroing weights after it")
    check(attention_with_padding, Q, K, V, keep)


def test_padding_cannot_change_output(attention_with_padding):
    """Whatever the padded keys and values hold, the output is the same

    Guards: zero_weight
    """
    Q, K, V = random_qkv(2, 5, 5, d_k=4, d_v=3, seed=3)
    keep = ref_padding_mask([3, 4], 5)
    rng = np.random.default_rng(30)
    K2 = np.where(keep[:, :, None], K, 10 * rng.standard_normal(K.shape))
    V2 = np.where(keep[:, :, None], V, 1000 * rng.standard_normal(V.shape))
    assert_close(call(attention_with_padding, Q, K2, V2, keep), reference(Q, K, V, keep),
                 mistakes=lambda: mistakes(Q, K2, V2, keep))


def test_padded_key_scoring_far_above_real_keys(attention_with_padding):
    """A padded key scoring about 750 above every real key changes nothing

    Guards: padded_scores_ignored
    """
    rng = np.random.default_rng(12)
    Q = np.array([[[1.0, 0.0], [1.0, 1.0], [1.0, -1.0]]])
    real = 0.5 * rng.standard_normal((1, 3, 2))
    K = np.concatenate([real, [[[1060.0, 0.0]]]], axis=1)  # its score: 1060 / sqrt(2), about 750
    V = np.concatenate([rng.standard_normal((1, 3, 2)), [[[1000.0, -1000.0]]]], axis=1)
    keep = np.array([[True, True, True, False]])
    try:
        check(attention_with_padding, Q, K, V, keep)
    except AssertionError as exc:
        raise with_hint(exc, "the padded key 3 scores about 750 above every real key here, so a maximum "
                        "taken over all keys makes every real weight exp(-750) = 0: block the padded keys "
                        "in the scores (-inf) before taking each row's maximum and the softmax") from None


def test_any_boolean_pattern(attention_with_padding):
    """Works for any keep pattern, e.g. padding at the start of a sequence

    Guards: true_is_real
    """
    Q, K, V = random_qkv(2, 3, 5, d_k=4, d_v=2, seed=4)
    keep = np.array([[False, False, True, True, True], [True, False, True, False, True]])
    check(attention_with_padding, Q, K, V, keep)


def test_no_padding_is_plain_attention(attention_with_padding):
    """With no padding at all, the result is plain attention"""
    Q, K, V = random_qkv(2, 4, 4, d_k=3, d_v=3, seed=5)
    keep = np.ones((2, 4), dtype=bool)
    assert_close(call(attention_with_padding, Q, K, V, keep), _softmax(_scores(Q, K)) @ V,
                 mistakes=lambda: mistakes(Q, K, V, keep))


def test_float32_inputs(attention_with_padding):
    """Accepts float32 inputs and returns float64

    Guards: dtype
    """
    Q, K, V = random_qkv(2, 4, 6, d_k=4, d_v=3, seed=6, dtype=np.float32)
    got = check(attention_with_padding, Q, K, V, ref_padding_mask([6, 3], 6), **tolerance("float32"))
    assert_dtype(got, np.float64)


def test_inputs_not_mutated(attention_with_padding):
    """Q, K, V and the mask are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip("QKV", random_qkv(2, 3, 4, 5, 2, seed=41)))
    arguments["key_padding_mask"] = np.array([[True, True, False, False], [True, True, True, False]])
    before = {name: a.copy() for name, a in arguments.items()}
    attention_with_padding(*arguments.values())
    assert_inputs_unchanged(arguments, before)
