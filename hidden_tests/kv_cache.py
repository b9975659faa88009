import numpy as np

from judge import tolerance, assert_close, assert_dtype, assert_shape, assert_true


def _softmax(s):
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)


def _heads(a, H):
    B, T, E = a.shape
    return a.reshape(B, T, H, E // H).transpose(0, 2, 1, 3)


def _full(x, params, H, visible="causal", scale="head"):
    """Attention over a whole sequence where query t sees the keys `visible` allows.

    "causal" is the right answer; the others are what classic decoding mistakes compute.
    """
    x = np.asarray(x, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    B, T, E = x.shape
    Dh = E // H
    q, k, v = (_heads(x @ p[f"W_{n}"] + p[f"b_{n}"], H) for n in "qkv")
    t, j = np.arange(T)[:, None], np.arange(T)[None, :]
    allowed = {"causal": j <= t, "past": (j < t) | ((t == 0) & (j == 0)), "first": j == 0,
               "self": j == t}[visible]
    # scale="length": query t divided by sqrt(t + 1), the length of the cache it attends to
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt({"head": Dh, "model": E, "length": t + 1}[scale])
    o = _softmax(np.where(allowed, s, -np.inf)) @ v
    return o.transpose(0, 2, 1, 3).reshape(B, T, E) @ p["W_o"] + p["b_o"]


def reference(x, params, H):
    return _full(x, params, H)


def mistakes(x, params, H):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    return {
        "each token seems to attend only to the tokens before it: append its own key and value "
        "to the cache before attending": _full(x, params, H, "past"),
        "each token seems to see only the first cached position: a causal mask built for query 0 "
        "blocks everything else (no mask is needed, the cache holds only the past)":
            _full(x, params, H, "first"),
        "each token seems to see only itself: return the updated cache (with the new key and "
        "value appended), not the one you received": _full(x, params, H, "self"),
        "the scores look divided by sqrt(E): scale by sqrt(Dh), the size of one head":
            _full(x, params, H, scale="model"),
        "the scores look divided by sqrt(L + 1), the number of cached positions: scale by sqrt(Dh), the "
        "size of one head (E // num_heads)": _full(x, params, H, scale="length"),
    }


def random_problem(B, T, E, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    params = {}
    for n in "qkvo":
        params[f"W_{n}"] = (rng.standard_normal((E, E)) / np.sqrt(E)).astype(dtype)
        params[f"b_{n}"] = (0.1 * rng.standard_normal(E)).astype(dtype)
    return (scale * rng.standard_normal((B, T, E))).astype(dtype), params


def decode(decode_step, x, params, H, cache=None):
    """Feed the tokens of x one at a time; return the stacked outputs and the last cache."""
    ys = []
    for t in range(x.shape[1]):
        result = decode_step(x[:, t], params, H, cache)
        assert_true(isinstance(result, tuple) and len(result) == 2,
                    lambda: f"decode_step should return a pair (y_t, cache), but it returned {type(result).__name__}")
        y, cache = result
        assert_shape(y, (x.shape[0], x.shape[2]), name=f"y_t at step {t}")
        assert_true(cache is not None, lambda: f"decode_step returned None as the cache at step {t}: return the "
                    "updated cache (with the new key and value appended), not the one you received")
        assert_true(isinstance(cache, dict) and "k" in cache and "v" in cache,
                    lambda: f"the cache returned at step {t} should be a dict with keys 'k' and 'v', "
                    f"not {type(cache).__name__}")
        ys.append(np.asarray(y, dtype=np.float64))
    return np.stack(ys, axis=1), cache


def check_cache(cache, x, params, H, what="the cache", **options):
    B, T, E = x.shape
    for n in "kv":
        expected = _heads(np.asarray(x, dtype=np.float64) @ params[f"W_{n}"] + params[f"b_{n}"], H)
        got = cache[n]
        assert_shape(got, expected.shape, name=f'{what}["{n}"]')
        assert_close(got, expected, name=f'{what}["{n}"]', **options, mistakes=lambda: {
            "the positions look reversed: append the new token at the end of axis 2 "
            "(np.concatenate([old, new], axis=2))": expected[:, :, ::-1]})


def test_worked_example(decode_step):
    """Worked example from the statement"""
    params = {f"W_{n}": np.eye(2) for n in "qkvo"}
    params.update({f"b_{n}": np.zeros(2) for n in "qkvo"})
    x = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    ys, cache = decode(decode_step, x, params, 1)
    assert_close(ys, reference(x, params, 1), mistakes=lambda: mistakes(x, params, 1))
    check_cache(cache, x, params, 1)


def test_first_token_attends_to_itself(decode_step):
    """The first token (cache=None) attends only to itself and starts a cache of length 1

    Guards: returns_new_cache
    """
    x, params = random_problem(B=2, T=1, E=8, seed=1)
    y, cache = decode(decode_step, x, params, 2)
    assert_close(y, reference(x, params, 2))
    check_cache(cache, x, params, 2, what="the first cache")


def test_cache_holds_keys_and_values(decode_step):
    """After 5 steps the cache holds the 5 projected keys and values, split into heads, in order

    Guards: returns_new_cache, cache_order
    """
    x, params = random_problem(B=2, T=5, E=12, seed=2)
    _, cache = decode(decode_step, x, params, 3)
    check_cache(cache, x, params, 3)


def test_matches_full_causal_attention(decode_step):
    """Decoding token by token equals causal attention over the whole sequence

    Guards: attends_to_itself, no_mask, head_scale
    """
    x, params = random_problem(B=2, T=7, E=12, seed=3)
    ys, _ = decode(decode_step, x, params, 3)
    assert_close(ys, reference(x, params, 3), mistakes=lambda: mistakes(x, params, 3), **tolerance("decoding"))


def test_continues_from_prompt_cache(decode_step):
    """Continues from a cache filled with a 4-token prompt

    Guards: cache_order
    """
    x, params = random_problem(B=2, T=7, E=8, seed=4)
    prompt = np.asarray(x[:, :4], dtype=np.float64)
    cache = {n: _heads(prompt @ params[f"W_{n}"] + params[f"b_{n}"], 2) for n in "kv"}
    ys, cache = decode(decode_step, x[:, 4:], params, 2, cache)
    full = reference(x, params, 2)
    assert_close(ys, full[:, 4:], name="your output for tokens 4-6", **tolerance("decoding"),
                 mistakes=lambda: {m: w[:, 4:] for m, w in mistakes(x, params, 2).items()})
    check_cache(cache, x, params, 2, what="the final cache")


def test_branches_are_independent(decode_step):
    """Two different next tokens decoded from one cache give two independent continuations

    Guards: cache_read_only
    """
    x, params = random_problem(B=1, T=5, E=8, seed=5)
    other = np.random.default_rng(6).standard_normal((1, 1, 8))
    _, cache = decode(decode_step, x[:, :4], params, 2)
    y_a, _ = decode_step(x[:, 4], params, 2, cache)
    y_b, _ = decode_step(other[:, 0], params, 2, cache)
    y_a_again, _ = decode_step(x[:, 4], params, 2, cache)
    expected_a = reference(x, params, 2)[:, 4]
    expected_b = reference(np.concatenate([x[:, :4], other], axis=1), params, 2)[:, 4]
    assert_close(y_a, expected_a, name="the continuation with token A", **tolerance("decoding"))
    assert_close(y_b, expected_b, name="the continuation with token B from the same cache", **tolerance("decoding"))
    assert_close(y_a_again, expected_a, name="token A decoded again from the same cache", **tolerance("decoding"))


def test_large_inputs_stay_finite(decode_step):
    """Large scores do not overflow (subtract the max before exponentiating)"""
    x, params = random_problem(B=1, T=5, E=8, seed=7, scale=40.0)
    ys, _ = decode(decode_step, x, params, 2)
    assert_close(ys, reference(x, params, 2), mistakes=lambda: mistakes(x, params, 2), **tolerance("decoding"))


def test_float32_inputs(decode_step):
    """Accepts float32 inputs and returns float64 arrays

    Guards: dtype
    """
    x, params = random_problem(B=2, T=4, E=8, seed=8, dtype=np.float32)
    ys, cache = decode(decode_step, x, params, 4)
    assert_close(ys, reference(x, params, 4), **tolerance("float32"), mistakes=lambda: mistakes(x, params, 4))
    check_cache(cache, x, params, 4, **tolerance("float32"))
    y_t, _ = decode_step(x[:, 0], params, 4)
    assert_dtype(y_t, np.float64, name="y_t")
    for n in "kv":
        assert_dtype(cache[n], np.float64, name=f'the cache["{n}"]')
