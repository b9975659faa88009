import numpy as np

from judge import tolerance, assert_close, assert_dtype, assert_shape, assert_inputs_unchanged


def _softmax(s, axis=-1):
    w = np.exp(s - s.max(axis=axis, keepdims=True))
    return w / w.sum(axis=axis, keepdims=True)


def _attend(x_dec, enc, params, H, mask=None, *, kv_source="enc", scale="head", split="transpose",
            mask_mode="before", mask_axis="keys", axis=-1):
    """Cross-attention, or one of its classic mistakes when an option is changed."""
    x = np.asarray(x_dec, dtype=np.float64)
    enc = np.asarray(enc, dtype=np.float64)
    kv = x if kv_source == "dec" else enc
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    B, T, E = x.shape
    Dh = E // H

    def heads(a):
        if split == "reshape":
            return a.reshape(B, H, -1, Dh)
        return a.reshape(B, a.shape[1], H, Dh).transpose(0, 2, 1, 3)

    q, k, v = heads(x @ p["W_q"] + p["b_q"]), heads(kv @ p["W_k"] + p["b_k"]), heads(kv @ p["W_v"] + p["b_v"])
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt({"head": Dh, "model": E, "keys": kv.shape[1], "queries": T}[scale])
    keep = None
    if mask is not None and mask_mode != "ignored":
        m = np.asarray(mask, dtype=bool)
        keep = m[:, None, :, None] if mask_axis == "queries" else m[:, None, None, :]
    if keep is not None and mask_mode == "before":
        s = np.where(keep, s, -1e30)
    w = _softmax(s, axis=axis)
    if keep is not None and mask_mode == "after":
        w = w * keep
    o = w @ v
    o = o.reshape(B, T, E) if split == "reshape" else o.transpose(0, 2, 1, 3).reshape(B, T, E)
    return o @ p["W_o"] + p["b_o"]


def reference(x_dec, enc, params, H, mask=None):
    return _attend(x_dec, enc, params, H, mask)


def mistakes(x_dec, enc, params, H, mask=None):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    options = {
        "keys and values look projected from x_dec: in cross-attention they come from enc":
            dict(kv_source="dec"),
        "the scores look divided by sqrt(E): scale by sqrt(Dh), the size of one head":
            dict(scale="model"),
        "the scores look divided by sqrt(S), the number of encoder positions (keys): scale by sqrt(Dh), "
        "the size of one head (E // num_heads)": dict(scale="keys"),
        "the scores look divided by sqrt(T), the number of decoder positions (queries): scale by "
        "sqrt(Dh), the size of one head (E // num_heads)": dict(scale="queries"),
        "the heads look split by a bare reshape: reshape to (B, L, H, Dh), then transpose to "
        "(B, H, L, Dh)": dict(split="reshape"),
        "the softmax seems to run over the decoder positions: normalise over the encoder keys "
        "(axis=-1)": dict(axis=-2),
    }
    if mask is not None:
        options.update({
            "padded encoder positions still get weight: the key padding mask seems ignored":
                dict(mask_mode="ignored"),
            "padded weights look zeroed after the softmax, so rows no longer sum to 1: block the "
            "scores before the softmax instead": dict(mask_mode="after"),
            "the padding mask seems applied to the query axis: it marks keys, so reshape it to "
            "(B, 1, 1, S)": dict(mask_axis="queries"),
        })
    found = {}
    for message, option in options.items():
        try:
            found[message] = _attend(x_dec, enc, params, H, mask, **option)
        except ValueError:  # the mistake does not even fit these shapes
            pass
    return found


def random_problem(B, T, S, E, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    params = {}
    for n in "qkvo":
        params[f"W_{n}"] = (rng.standard_normal((E, E)) / np.sqrt(E)).astype(dtype)
        params[f"b_{n}"] = (0.1 * rng.standard_normal(E)).astype(dtype)
    x_dec = (scale * rng.standard_normal((B, T, E))).astype(dtype)
    enc = (scale * rng.standard_normal((B, S, E))).astype(dtype)
    return x_dec, enc, params


def check(cross_attention, x_dec, enc, params, H, mask=None, **options):
    if mask is None:
        got = cross_attention(x_dec, enc, params, H)
    else:
        got = cross_attention(x_dec, enc, params, H, key_padding_mask=mask)
    assert_close(got, reference(x_dec, enc, params, H, mask), mistakes=lambda: mistakes(x_dec, enc, params, H, mask),
                 **options)
    return got


def test_worked_example(cross_attention):
    """Worked example from the statement (one and two heads, with and without padding)"""
    E = 2
    params = {f"W_{n}": np.eye(E) for n in "qkvo"}
    params.update({f"b_{n}": np.zeros(E) for n in "qkvo"})
    x_dec = np.array([[[1.0, 0.0]]])
    enc = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    check(cross_attention, x_dec, enc, params, 1)
    check(cross_attention, x_dec, enc, params, 2)
    check(cross_attention, x_dec, enc, params, 1, np.array([[True, False]]))


def test_output_shape(cross_attention):
    """Output has shape (B, T, E) when the decoder and encoder lengths differ"""
    x_dec, enc, params = random_problem(B=2, T=3, S=5, E=8, seed=1)
    assert_shape(cross_attention(x_dec, enc, params, 2), (2, 3, 8))
    x_dec, enc, params = random_problem(B=1, T=6, S=2, E=8, seed=2)
    assert_shape(cross_attention(x_dec, enc, params, 4), (1, 6, 8))


def test_matches_reference(cross_attention):
    """Matches a reference implementation (3 heads, T = 4 queries, S = 7 keys)

    Guards: keys_from_encoder, head_split, key_axis
    """
    x_dec, enc, params = random_problem(B=2, T=4, S=7, E=12, seed=3)
    check(cross_attention, x_dec, enc, params, 3)


def test_scaled_by_head_dim(cross_attention):
    """Scores are scaled by sqrt(Dh), the size of one head, not sqrt(E) or a sequence length

    Guards: head_scale
    """
    x_dec, enc, params = random_problem(B=1, T=3, S=5, E=32, seed=4, scale=2.0)
    check(cross_attention, x_dec, enc, params, 8)


def test_one_head_is_single_head_attention(cross_attention):
    """With one head it is softmax(Q K^T / sqrt(E)) V followed by the output layer"""
    x_dec, enc, params = random_problem(B=2, T=2, S=5, E=6, seed=5)
    p = params
    q, k, v = x_dec @ p["W_q"] + p["b_q"], enc @ p["W_k"] + p["b_k"], enc @ p["W_v"] + p["b_v"]
    expected = _softmax(q @ k.transpose(0, 2, 1) / np.sqrt(6)) @ v @ p["W_o"] + p["b_o"]
    assert_close(cross_attention(x_dec, enc, params, 1), expected,
                 mistakes=lambda: mistakes(x_dec, enc, params, 1))


def test_padded_keys_are_ignored(cross_attention):
    """Padded encoder positions get no weight: changing them does not change the output

    Guards: padding_keys
    """
    x_dec, enc, params = random_problem(B=3, T=4, S=6, E=8, seed=6)
    mask = np.array([[True] * 6, [True] * 4 + [False] * 2, [True] + [False] * 5])
    check(cross_attention, x_dec, enc, params, 2, mask)
    garbage = enc.copy()
    garbage[~mask] = 50.0 * np.random.default_rng(7).standard_normal((int((~mask).sum()), 8))
    assert_close(cross_attention(x_dec, garbage, params, 2, key_padding_mask=mask),
                 reference(x_dec, enc, params, 2, mask), name="your result with changed padding",
                 mistakes=lambda: mistakes(x_dec, garbage, params, 2, mask))


def test_padding_mask_marks_keys(cross_attention):
    """The padding mask applies to keys, even when T equals S

    Guards: padding_keys
    """
    x_dec, enc, params = random_problem(B=2, T=5, S=5, E=8, seed=8)
    mask = np.array([[True, True, True, False, False], [True, False, True, True, False]])
    check(cross_attention, x_dec, enc, params, 4, mask)


def test_decoder_positions_are_independent(cross_attention):
    """Each decoder position's output depends only on its own state (no causal mask, no mixing)

    Guards: independent_queries
    """
    x_dec, enc, params = random_problem(B=2, T=4, S=3, E=8, seed=9)
    mask = np.array([[True, True, False], [True, True, True]])
    full = cross_attention(x_dec, enc, params, 2, key_padding_mask=mask)
    assert_shape(full, (2, 4, 8))
    full = np.asarray(full, dtype=np.float64)
    for t in range(4):
        one = x_dec[:, t:t + 1]
        assert_close(full[:, t:t + 1], reference(one, enc, params, 2, mask),
                     name=f"your output at decoder position {t}",
                     mistakes=lambda: {"decoder position t seems to see only some of the encoder keys: "
                               "cross-attention has no causal mask": _causal(x_dec, enc, params, 2, mask)[:, t:t + 1],
                               **{m: w[:, t:t + 1] for m, w in mistakes(x_dec, enc, params, 2, mask).items()}})


def _causal(x_dec, enc, params, H, mask):
    causal = np.tril(np.ones((x_dec.shape[1], enc.shape[1]), dtype=bool))
    out = []
    for t in range(x_dec.shape[1]):
        out.append(reference(x_dec[:, t:t + 1], enc, params, H, mask & causal[t]))
    return np.concatenate(out, axis=1)


def test_large_inputs_stay_finite(cross_attention):
    """Large scores do not overflow (subtract the row max before exponentiating)

    Guards: key_axis
    """
    x_dec, enc, params = random_problem(B=1, T=3, S=4, E=8, seed=10, scale=40.0)
    check(cross_attention, x_dec, enc, params, 2, np.array([[True, True, True, False]]))


def test_float32_inputs(cross_attention):
    """Accepts float32 inputs and returns float64

    Guards: dtype
    """
    x_dec, enc, params = random_problem(B=2, T=3, S=4, E=8, seed=11, dtype=np.float32)
    got = check(cross_attention, x_dec, enc, params, 2, np.array([[True, True, False, True], [True] * 4]),
                **tolerance("float32"))
    assert_dtype(got, np.float64)


def test_inputs_not_mutated(cross_attention):
    """x_dec, enc, params and the padding mask are left unchanged

    Guards: inputs_not_mutated
    """
    x_dec, enc, params = random_problem(B=2, T=3, S=4, E=8, seed=13)
    mask = np.array([[True, True, False, False], [True, True, True, False]])

    def given():  # read again after the call: a replaced entry of params counts as a change
        return {"x_dec": x_dec, "enc": enc, "key_padding_mask": mask,
                **{f"params['{name}']": params.get(name) for name in sorted(before_params)}}

    before_params = {name: a.copy() for name, a in params.items()}
    before = {name: np.array(a, copy=True) for name, a in given().items()}
    cross_attention(x_dec, enc, params, 2, key_padding_mask=mask)
    assert_inputs_unchanged(given(), before)
