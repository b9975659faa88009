import numpy as np

from judge import tolerance, as_float_array, assert_close, assert_dtype, assert_shape, assert_true, assert_inputs_unchanged


def _softmax(s):
    with np.errstate(all="ignore"):
        w = np.exp(s - s.max(axis=-1, keepdims=True))
        return w / w.sum(axis=-1, keepdims=True)


def _mha(x, params, H, kv=None, attn_mask=None, key_padding_mask=None, *, scale="head", split="transpose",
         pad="keys", mask_as_bool=False, zero_after=False, out_proj=True, biases=True):
    """(y, probabilities (B, H, T, S)); the keyword-only options reproduce classic mistakes."""
    p = {name: np.asarray(value, dtype=np.float64) for name, value in params.items()}
    b = {name: (p[name] if biases else 0.0) for name in ("b_q", "b_k", "b_v")}
    x = np.asarray(x, dtype=np.float64)
    kv = x if kv is None else np.asarray(kv, dtype=np.float64)
    B, T, E = x.shape
    S, Dh = kv.shape[1], E // H

    def heads(a, L):
        if split == "transpose":
            return a.reshape(B, L, H, Dh).transpose(0, 2, 1, 3)
        return a.reshape(B, H, L, Dh)  # the bare-reshape mistake

    q = heads(x @ p["W_q"] + b["b_q"], T)
    k = heads(kv @ p["W_k"] + b["b_k"], S)
    v = heads(kv @ p["W_v"] + b["b_v"], S)
    s = np.einsum("bhtd,bhsd->bhts", q, k) / np.sqrt({"head": Dh, "embedding": E, "none": 1, "queries": T,
                                                       "keys": S}[scale])
    allowed = np.ones(s.shape, dtype=bool)
    added = np.zeros(s.shape)
    if attn_mask is not None:
        m = np.asarray(attn_mask)
        if m.dtype == bool or mask_as_bool:
            allowed &= m.astype(bool)
        elif zero_after:
            allowed &= m == 0
        else:
            added = added + m
    if key_padding_mask is not None:
        keep = np.asarray(key_padding_mask, dtype=bool)
        if pad == "keys":
            allowed &= keep[:, None, None, :]
    if zero_after:
        A = _softmax(s) * allowed
    else:
        with np.errstate(all="ignore"):
            logits = np.where(allowed, s + added, -np.inf)
            if key_padding_mask is not None and pad == "queries":  # rows of padded queries replaced
                logits = np.where(keep[:, None, :, None], logits, -1e9)
            A = _softmax(logits)
    o = A @ v
    merged = o.transpose(0, 2, 1, 3).reshape(B, T, E) if split == "transpose" else o.reshape(B, T, E)
    y = merged @ p["W_o"] + p["b_o"] if out_proj else merged
    return y, A


def reference(x, params, H, **masks):
    y, A = _mha(x, params, H, **masks)
    return y, A.mean(axis=1)


VARIANTS = {
    "scores look scaled by sqrt(E): scale by sqrt(Dh), the per-head dimension E // num_heads":
        {"scale": "embedding"},
    "scores look unscaled: divide them by sqrt(Dh), the per-head dimension": {"scale": "none"},
    "the scores look divided by sqrt(T), the sequence length: divide them by sqrt(Dh), the per-head "
    "dimension E // num_heads": {"scale": "queries"},
    "the heads look split with a bare reshape to (B, H, T, Dh): reshape to (B, T, H, Dh) and swap "
    "axes 1 and 2 (merging undoes both)": {"split": "bare"},
    "the output projection seems to be missing: apply W_o and b_o after merging the heads":
        {"out_proj": False},
    "the biases seem to be missing: each projection is x @ W + b": {"biases": False},
    "the key padding mask seems to be lined up with the queries (rows): it describes keys, so give "
    "it the shape (B, 1, 1, S) with key_padding_mask[:, None, None, :]": {"pad": "queries"},
    "the key padding mask seems to have no effect: block padded keys in the scores before the "
    "softmax, lined up with the key axis (key_padding_mask[:, None, None, :])": {"pad": "ignored"},
    "an additive mask seems to be read as boolean: only a mask of dtype bool means True = may attend; "
    "add a mask of any other dtype (floats or integers) to the scores": {"mask_as_bool": True},
    "blocked weights look zeroed after the softmax without renormalising: block the keys in the "
    "scores before the softmax so each row still sums to 1": {"zero_after": True},
}


def mistakes(x, params, H, part="y", **masks):
    """{hint: what a classic mistake returns}, for y (part="y") or for the weights (part="weights")."""
    found = {}

    def add(hint, **options):
        try:
            y, A = _mha(x, params, H, **{**masks, **options})
        except ValueError:  # this mistake would not even broadcast with these shapes
            return
        found[hint] = y if part == "y" else A.mean(axis=1)

    if masks.get("attn_mask") is not None:
        add("the attention mask seems to be ignored: block keys in the scores before the softmax",
            attn_mask=None)
    if masks.get("kv") is not None:
        add("the keys and values seem to come from x: in cross-attention they are projections of kv",
            kv=None)
        add("the scores look divided by sqrt(S), the number of keys: divide them by sqrt(Dh), the per-head "
            "dimension E // num_heads", scale="keys")
    for hint, options in VARIANTS.items():
        add(hint, **options)
    if part == "weights":
        A = _mha(x, params, H, **masks)[1]
        found.update({
            "the weights look averaged over the batch axis: average over the heads, axis 1 of the "
            "(B, H, T, S) probabilities": A.mean(axis=0),
            "the weights look summed over the heads: average them (divide by H)": A.sum(axis=1),
            "the weights look like those of head 0 only: average over all heads": A[:, 0],
        })
    return found


def make_params(E, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = {name: rng.standard_normal((E, E)) / np.sqrt(E) for name in ("W_q", "W_k", "W_v", "W_o")}
    params.update({name: 0.5 * rng.standard_normal(E) for name in ("b_q", "b_k", "b_v", "b_o")})
    return {name: value.astype(dtype) for name, value in params.items()}


def make_input(shape, seed, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def unpack(result, call):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"{call} should return a tuple (y, weights), but it returned "
                             f"{type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result


def run(multi_head_attention, x, params, H, **kwargs):
    call = f"multi_head_attention(x, params, {H}{''.join(f', {k}=...' for k in kwargs)})"
    return unpack(multi_head_attention(x, params, H, **kwargs), call)


def close(got, expected, name, hints, rtol=None, atol=None):
    """assert_close, working out the mistakes' outputs (the slow part) only when the check fails."""
    try:
        assert_close(got, expected, name=name, rtol=rtol, atol=atol)
    except AssertionError:
        assert_close(got, expected, name=name, rtol=rtol, atol=atol, mistakes=lambda: hints())
        raise


def check(multi_head_attention, x, params, H, weights=True, rtol=None, atol=None, dtype=None, **masks):
    """Compare y (and, with weights=True, the head-averaged weights) with the reference; with
    ``dtype``, check that they have it too."""
    y, w = run(multi_head_attention, x, params, H, **masks, need_weights=weights)
    y_ref, w_ref = reference(x, params, H, **masks)
    close(y, y_ref, "y", lambda: mistakes(x, params, H, **masks), rtol, atol)
    if weights:
        close(w, w_ref, "weights", lambda: mistakes(x, params, H, part="weights", **masks), rtol, atol)
    if dtype is not None:
        assert_dtype(y, dtype, name="y")
        if weights:
            assert_dtype(w, dtype, name="weights")
    return as_float_array(y, "y"), (as_float_array(w, "weights") if weights else None)


def causal(T):
    return np.tril(np.ones((T, T), dtype=bool))


def test_output_shapes(multi_head_attention):
    """Shapes: y is (B, T, E); weights are (B, T, S) or None, for self- and cross-attention"""
    x, params = make_input((2, 3, 8), seed=1), make_params(8, seed=2)
    y, w = run(multi_head_attention, x, params, 2, need_weights=True)
    assert_shape(y, (2, 3, 8), name="y (self-attention)")
    assert_shape(w, (2, 3, 3), name="weights (self-attention)")
    y, w = run(multi_head_attention, x, params, 2)
    assert_shape(y, (2, 3, 8), name="y (need_weights=False)")
    assert_true(w is None, lambda: f"with need_weights=False (the default) the weights must be None, got "
                           f"{type(w).__name__}")
    kv = make_input((2, 5, 8), seed=3)
    y, w = run(multi_head_attention, x, params, 2, kv=kv, need_weights=True)
    assert_shape(y, (2, 3, 8), name="y (cross-attention, T = 3, S = 5)")
    assert_shape(w, (2, 3, 5), name="weights (cross-attention, T = 3, S = 5)")


def test_matches_reference(multi_head_attention):
    """Self-attention matches the reference (T = 5, E = 8, two heads), also with huge scores

    Guards: head_scale, head_split, output_projection
    """
    x, params = make_input((2, 5, 8), seed=4), make_params(8, seed=5)
    check(multi_head_attention, x, params, 2, weights=False)
    check(multi_head_attention, 40 * x, params, 2, weights=False)  # scores in the thousands


def test_cross_attention_matches_reference(multi_head_attention):
    """Cross-attention (T = 3 queries, S = 5 keys) matches the reference

    Guards: head_split
    """
    x, kv, params = make_input((2, 3, 12), seed=6), make_input((2, 5, 12), seed=7), make_params(12, seed=8)
    check(multi_head_attention, x, params, 3, kv=kv)


def test_weights_are_head_averaged(multi_head_attention):
    """need_weights returns the attention averaged over the heads; each row sums to 1

    Guards: head_average
    """
    x, params = make_input((3, 4, 8), seed=9), make_params(8, seed=10)
    _, w = check(multi_head_attention, x, params, 2)
    sums = w.sum(axis=-1)
    assert_true(np.allclose(sums, 1.0, atol=1e-9), lambda: f"a row of weights sums to "
                f"{sums.flat[np.argmax(np.abs(sums - 1))]:.6g}, not 1")


def test_padded_keys_get_no_weight(multi_head_attention):
    """Padded keys get no weight, also together with an attention mask

    Guards: padding_keys, blocked_zero
    """
    B, T, E, H = 2, 5, 8, 2
    x, params = make_input((B, T, E), seed=11), make_params(E, seed=12)
    keep = np.arange(T)[None, :] < np.array([5, 3])[:, None]
    _, w = check(multi_head_attention, x, params, H, key_padding_mask=keep)
    leaked = w * ~keep[:, None, :]
    b, i, j = np.unravel_index(int(np.argmax(leaked)), leaked.shape)
    assert_true(leaked.max() <= 1e-12, lambda: f"sequence {b}: query {i} gives weight {w[b, i, j]:.6g} to key {j}, "
                                       "which is padding; padded keys must get 0 in every head")
    # Cross-attention: whatever the padded positions of kv hold, y is the same.
    kv = make_input((B, 4, E), seed=13)
    keep_kv = np.array([[True, True, False, False], [True, True, True, False]])
    garbage = np.where(keep_kv[:, :, None], kv, 50 * make_input(kv.shape, seed=14))
    y, _ = run(multi_head_attention, x, params, H, kv=garbage, key_padding_mask=keep_kv)
    close(y, reference(x, params, H, kv=kv, key_padding_mask=keep_kv)[0], "y",
          lambda: mistakes(x, params, H, kv=garbage, key_padding_mask=keep_kv))
    # Both masks at once: a per-sequence boolean (B, 1, T, S) mask and the padding mask.
    rng = np.random.default_rng(15)
    per_sequence = rng.random((B, 1, T, 4)) < 0.6
    per_sequence[..., 0] = True  # every query keeps key 0, which is never padding
    check(multi_head_attention, x, params, H, kv=kv, attn_mask=per_sequence, key_padding_mask=keep_kv)


def test_causal_mask_blocks_the_future(multi_head_attention):
    """A causal mask blocks the future: no weight on later keys, later inputs change nothing

    Guards: blocked_zero
    """
    B, T, E, H = 2, 5, 8, 4
    x, params = make_input((B, T, E), seed=16), make_params(E, seed=17)
    y, w = check(multi_head_attention, x, params, H, attn_mask=causal(T))
    future = np.triu(w, k=1)
    assert_true(np.abs(future).max() <= 1e-12, lambda: "with a causal mask a query gives weight "
                f"{np.abs(future).max():.6g} to a later key; blocked keys must get 0")
    changed = x.copy()
    changed[:, 3:] = make_input((B, 2, E), seed=18)
    y2, _ = run(multi_head_attention, changed, params, H, attn_mask=causal(T))
    y2 = as_float_array(y2, "y")
    assert_shape(y2, (B, T, E), name="y")
    assert_true(np.allclose(y2[:, :3], y[:, :3], **tolerance(times=2)),  # two of your results: each within
                "under a causal mask, changing the inputs at positions 3-4 changed the outputs of positions "
                "0-2: the mask must block later keys in every head")


def test_additive_masks(multi_head_attention):
    """Additive masks work with -inf and -1e9, as (T, S) or per-sequence (B, 1, T, S)

    Guards: additive_mask
    """
    B, T, E, H = 2, 4, 8, 2
    x, params = make_input((B, T, E), seed=19), make_params(E, seed=20)
    minus_inf = np.where(causal(T), 0.0, -np.inf)
    check(multi_head_attention, x, params, H, attn_mask=minus_inf)
    kv = make_input((B, 3, E), seed=21)
    rng = np.random.default_rng(22)
    blocked = rng.random((B, 1, T, 3)) < 0.5
    blocked[..., 1] = False  # every query keeps key 1
    check(multi_head_attention, x, params, H, kv=kv, attn_mask=np.where(blocked, -1e9, 0.0))


def test_all_zero_input_is_finite(multi_head_attention):
    """All-zero input gives a finite output (uniform weights, y = b_v @ W_o + b_o)"""
    x, params = np.zeros((2, 3, 8)), make_params(8, seed=23)
    y, w = check(multi_head_attention, x, params, 2)
    assert_close(w, np.full((2, 3, 3), 1 / 3), name="weights")


def test_one_head_is_single_head_attention(multi_head_attention):
    """One head, W_o = I and b_o = 0: plain attention on the projections"""
    E = 4
    x, params = make_input((2, 3, E), seed=24), make_params(E, seed=25)
    params["W_o"], params["b_o"] = np.eye(E), np.zeros(E)
    expected = []
    for seq in x:
        q, k, v = (seq @ params[f"W_{n}"] + params[f"b_{n}"] for n in "qkv")
        expected.append(_softmax(q @ k.T / np.sqrt(E)) @ v)
    y, _ = run(multi_head_attention, x, params, 1)
    close(y, np.array(expected), "y with num_heads=1", lambda: mistakes(x, params, 1))


def test_float32_inputs(multi_head_attention):
    """Accepts float32 inputs, parameters and masks, and returns float64

    Guards: dtype
    """
    x = make_input((2, 3, 8), seed=26, dtype=np.float32)
    kv = make_input((2, 4, 8), seed=27, dtype=np.float32)
    params = make_params(8, seed=28, dtype=np.float32)
    mask = np.where(np.tril(np.ones((3, 4), dtype=bool)), 0.0, -1e9).astype(np.float32)
    keep = np.array([[True, True, True, True], [True, True, True, False]])
    check(multi_head_attention, x, params, 2, kv=kv, attn_mask=mask, key_padding_mask=keep,
          **tolerance("float32"), dtype=np.float64)


def test_mask_kind_follows_dtype(multi_head_attention):
    """An attn_mask's dtype says how it is read: bool keeps or blocks, float32 and integer masks are added

    Guards: mask_kind_by_dtype
    """
    B, T, E, H = 2, 4, 8, 2
    x, params = make_input((B, T, E), seed=29), make_params(E, seed=30)
    ones = np.tril(np.ones((T, T), dtype=np.int64))  # 0/1 integers: added, blocking nothing
    check(multi_head_attention, x, params, H, attn_mask=ones)
    check(multi_head_attention, x, params, H, attn_mask=np.where(causal(T), 0, -10**9))  # integer, additive
    check(multi_head_attention, x, params, H, attn_mask=np.where(causal(T), 0.0, -np.inf).astype(np.float32))
    check(multi_head_attention, x, params, H, attn_mask=causal(T))


def test_inputs_not_mutated(multi_head_attention):
    """x, kv, params and both masks are left unchanged

    Guards: inputs_not_mutated
    """
    B, T, S, E, H = 2, 3, 4, 8, 2
    x, kv, params = make_input((B, T, E), seed=31), make_input((B, S, E), seed=32), make_params(E, seed=33)
    attn_mask = np.where(np.tril(np.ones((T, S), dtype=bool)), 0.0, -np.inf)
    keep = np.array([[True, True, True, True], [True, True, True, False]])

    def given():  # read again after the call: a replaced entry of params counts as a change
        return {"x": x, "kv": kv, "attn_mask": attn_mask, "key_padding_mask": keep,
                **{f"params['{name}']": params.get(name) for name in sorted(before_params)}}

    before_params = {name: a.copy() for name, a in params.items()}
    before = {name: np.array(a, copy=True) for name, a in given().items()}
    multi_head_attention(x, params, H, kv=kv, attn_mask=attn_mask, key_padding_mask=keep, need_weights=True)
    assert_inputs_unchanged(given(), before)
