import numpy as np

from judge import tolerance, assert_close, assert_dtype, assert_shape, assert_inputs_unchanged


def _softmax(s):
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)


def _gqa(x, params, H, G, mask=None, *, mapping="repeat", kv_split="transpose", scale="head",
         mask_mode="before"):
    """Grouped-query attention, or one of its classic mistakes when an option is changed."""
    x = np.asarray(x, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    B, T, E = x.shape
    Dh = E // H

    def heads(a, n, bare=False):
        return a.reshape(B, n, T, Dh) if bare else a.reshape(B, T, n, Dh).transpose(0, 2, 1, 3)

    q = heads(x @ p["W_q"] + p["b_q"], H)
    k = heads(x @ p["W_k"] + p["b_k"], G, kv_split == "reshape")
    v = heads(x @ p["W_v"] + p["b_v"], G, kv_split == "reshape")
    if mapping == "repeat":
        kv_of = [h // (H // G) for h in range(H)]
    elif mapping == "tile":
        kv_of = [h % G for h in range(H)]
    else:  # h // G, clipped into range
        kv_of = [min(h // G, G - 1) for h in range(H)]
    k, v = k[:, kv_of], v[:, kv_of]
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt({"head": Dh, "model": E, "sequence": T}[scale])
    if mask is not None and mask_mode == "before":
        s = np.where(np.asarray(mask, dtype=bool), s, -1e30)
    w = _softmax(s)
    if mask is not None and mask_mode == "after":
        w = w * np.asarray(mask, dtype=bool)
    return (w @ v).transpose(0, 2, 1, 3).reshape(B, T, E) @ p["W_o"] + p["b_o"]


def reference(x, params, H, G, mask=None):
    return _gqa(x, params, H, G, mask)


def mistakes(x, params, H, G, mask=None):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    options = {
        "query heads look paired with key/value heads in the order 0, 1, 0, 1, ... (np.tile): "
        "consecutive query heads share a key/value head, 0, 0, 1, 1, ... (np.repeat)":
            dict(mapping="tile"),
        "query head h seems to use key/value head h // G: the group size is H // G, so use "
        "h // (H // G)": dict(mapping="h_over_G"),
        "the key/value heads look split by a bare reshape: reshape to (B, T, G, Dh), then "
        "transpose to (B, G, T, Dh)": dict(kv_split="reshape"),
        "the scores look divided by sqrt(E): scale by sqrt(Dh), the size of one head":
            dict(scale="model"),
        "the scores look divided by sqrt(T), the sequence length: scale by sqrt(Dh), the size of one "
        "head (E // num_heads)": dict(scale="sequence"),
    }
    if mask is not None:
        options["blocked weights look zeroed after the softmax, so rows no longer sum to 1: "
                "block the scores before the softmax instead"] = dict(mask_mode="after")
    found = {}
    for message, option in options.items():
        wrong = _gqa(x, params, H, G, mask, **option)
        if not np.allclose(wrong, reference(x, params, H, G, mask)):
            found[message] = wrong
    return found


def random_problem(B, T, E, H, G, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    Dh = E // H
    shapes = {"q": E, "k": G * Dh, "v": G * Dh, "o": E}
    params = {}
    for n, out in shapes.items():
        params[f"W_{n}"] = (rng.standard_normal((E, out)) / np.sqrt(E)).astype(dtype)
        params[f"b_{n}"] = (0.1 * rng.standard_normal(out)).astype(dtype)
    x = (scale * rng.standard_normal((B, T, E))).astype(dtype)
    return x, params


def check(gqa, x, params, H, G, mask=None, **options):
    got = gqa(x, params, H, G) if mask is None else gqa(x, params, H, G, mask=mask)
    assert_close(got, reference(x, params, H, G, mask), mistakes=lambda: mistakes(x, params, H, G, mask),
                 **options)
    return got


def test_worked_example(grouped_query_attention):
    """Worked example from the statement (two query heads share one key/value head)"""
    params = {"W_q": np.eye(2), "b_q": np.zeros(2), "W_k": np.array([[1.0], [0.0]]), "b_k": np.zeros(1),
              "W_v": np.array([[1.0], [2.0]]), "b_v": np.zeros(1), "W_o": np.eye(2), "b_o": np.zeros(2)}
    x = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    check(grouped_query_attention, x, params, 2, 1)
    check(grouped_query_attention, x, params, 2, 1, np.array([[True, False], [True, True]]))


def test_output_shape(grouped_query_attention):
    """Output has shape (B, T, E)"""
    x, params = random_problem(B=2, T=5, E=8, H=4, G=2, seed=1)
    assert_shape(grouped_query_attention(x, params, 4, 2), (2, 5, 8))


def test_matches_reference(grouped_query_attention):
    """Matches a reference: 6 query heads in 2 groups of 3

    Guards: groups, kv_heads, head_scale
    """
    x, params = random_problem(B=2, T=4, E=12, H=6, G=2, seed=2)
    check(grouped_query_attention, x, params, 6, 2)


def test_consecutive_heads_share(grouped_query_attention):
    """Query heads 2g and 2g+1 share key/value head g (8 query heads, 4 key/value heads)

    Guards: groups
    """
    x, params = random_problem(B=1, T=5, E=16, H=8, G=4, seed=3, scale=1.5)
    check(grouped_query_attention, x, params, 8, 4)


def test_all_kv_heads_is_multi_head(grouped_query_attention):
    """With G = H it is ordinary multi-head attention

    Guards: kv_heads
    """
    B, T, E, H = 2, 4, 8, 4
    x, params = random_problem(B=B, T=T, E=E, H=H, G=H, seed=4)
    p, Dh = params, E // H
    heads = lambda a: a.reshape(B, T, H, Dh).transpose(0, 2, 1, 3)
    q, k, v = heads(x @ p["W_q"] + p["b_q"]), heads(x @ p["W_k"] + p["b_k"]), heads(x @ p["W_v"] + p["b_v"])
    o = _softmax(q @ k.transpose(0, 1, 3, 2) / np.sqrt(Dh)) @ v
    expected = o.transpose(0, 2, 1, 3).reshape(B, T, E) @ p["W_o"] + p["b_o"]
    assert_close(grouped_query_attention(x, params, H, H), expected, mistakes=lambda: mistakes(x, params, H, H))


def test_one_kv_head_is_multi_query(grouped_query_attention):
    """With G = 1 every query head uses the same keys and values (multi-query attention)

    Guards: head_scale
    """
    B, T, E, H = 2, 5, 12, 3
    x, params = random_problem(B=B, T=T, E=E, H=H, G=1, seed=5)
    p, Dh = params, E // H
    k, v = x @ p["W_k"] + p["b_k"], x @ p["W_v"] + p["b_v"]  # (B, T, Dh): one shared head
    q = x @ p["W_q"] + p["b_q"]
    outs = [_softmax(q[..., h * Dh:(h + 1) * Dh] @ k.transpose(0, 2, 1) / np.sqrt(Dh)) @ v for h in range(H)]
    expected = np.concatenate(outs, axis=-1) @ p["W_o"] + p["b_o"]
    assert_close(grouped_query_attention(x, params, H, 1), expected, mistakes=lambda: mistakes(x, params, H, 1))


def test_causal_mask(grouped_query_attention):
    """Honours a causal mask: changing later tokens does not change earlier outputs

    Guards: mask_before_softmax
    """
    x, params = random_problem(B=2, T=6, E=8, H=4, G=2, seed=6)
    causal = np.tril(np.ones((6, 6), dtype=bool))
    check(grouped_query_attention, x, params, 4, 2, causal)
    changed = x.copy()
    changed[:, 3:] = np.random.default_rng(7).standard_normal((2, 3, 8))
    got = np.asarray(grouped_query_attention(changed, params, 4, 2, mask=causal), dtype=np.float64)
    assert_shape(got, (2, 6, 8))
    assert_close(got[:, :3], reference(x, params, 4, 2, causal)[:, :3],
                 name="your output at positions 0-2 after changing positions 3-5")


def test_large_inputs_stay_finite(grouped_query_attention):
    """Large scores do not overflow (subtract the row max before exponentiating)

    Guards: stable
    """
    x, params = random_problem(B=1, T=4, E=8, H=4, G=2, seed=8, scale=40.0)
    check(grouped_query_attention, x, params, 4, 2, np.tril(np.ones((4, 4), dtype=bool)))


def test_float32_inputs(grouped_query_attention):
    """Accepts float32 inputs and returns float64

    Guards: dtype
    """
    x, params = random_problem(B=2, T=4, E=8, H=4, G=2, seed=9, dtype=np.float32)
    got = check(grouped_query_attention, x, params, 4, 2, np.tril(np.ones((4, 4), dtype=bool)),
                **tolerance("float32"))
    assert_dtype(got, np.float64)


def test_inputs_not_mutated(grouped_query_attention):
    """x, params and the mask are left unchanged

    Guards: inputs_not_mutated
    """
    x, params = random_problem(B=2, T=4, E=8, H=4, G=2, seed=14)
    mask = np.tril(np.ones((4, 4), dtype=bool))

    def given():  # read again after the call: a replaced entry of params counts as a change
        return {"x": x, "mask": mask, **{f"params['{name}']": params.get(name) for name in sorted(before_params)}}

    before_params = {name: a.copy() for name, a in params.items()}
    before = {name: np.array(a, copy=True) for name, a in given().items()}
    grouped_query_attention(x, params, 4, 2, mask=mask)
    assert_inputs_unchanged(given(), before)
