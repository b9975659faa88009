import numpy as np

from judge import tolerance, as_float_array, assert_close, assert_dtype, assert_shape, assert_true, assert_inputs_unchanged

def reference(Q, K, V):
    """Full attention with a stable softmax."""
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    s = Q @ K.T / np.sqrt(K.shape[-1])
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ V


def _tiled(Q, K, V, b, mistake):
    """The online-softmax recurrence with one classic mistake in it."""
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    T, S = Q.shape[0], K.shape[0]
    m = np.zeros(T) if mistake == "zero_start" else np.full(T, -np.inf)
    l, acc = np.zeros(T), np.zeros((T, V.shape[1]))
    stops = range(0, (S // b) * b or b, b) if mistake == "drop_partial" else range(0, S, b)
    outs = []
    with np.errstate(all="ignore"):
        for start in stops:
            d = {"scale_S": S, "scale_T": T, "scale_block": len(K[start:start + b])}.get(mistake, K.shape[1])
            s = Q @ K[start:start + b].T / np.sqrt(d)
            if mistake == "per_block":
                w = np.exp(s - s.max(axis=1, keepdims=True))
                outs.append(w / w.sum(axis=1, keepdims=True) @ V[start:start + b])
                continue
            m_new = s.max(axis=1) if mistake == "block_max" else np.maximum(m, s.max(axis=1))
            p = np.exp(s - m_new[:, None])
            alpha = np.exp(m - m_new)
            keep = np.ones(T)
            l = (keep if mistake == "no_rescale_sum" else alpha) * l + p.sum(axis=1)
            acc = (keep if mistake == "no_rescale_acc" else alpha)[:, None] * acc + p @ V[start:start + b]
            m = m_new
        return np.mean(outs, axis=0) if mistake == "per_block" else acc / l[:, None]


HINTS = {
    "no_rescale_acc": "the accumulated output seems not rescaled when the maximum grows: multiply it "
                      "by exp(m_old - m_new) before adding the new block",
    "no_rescale_sum": "the running sum seems not rescaled when the maximum grows: multiply it by "
                      "exp(m_old - m_new) before adding the new block",
    "drop_partial": "the keys of the last, shorter block seem skipped: use range(0, S, block_size) "
                    "so a block size that does not divide S still visits every key",
    "block_max": "the maximum seems to be each block's own: keep a running maximum, "
                 "m_new = max(m_old, block max), so exp(m_old - m_new) never overflows",
    "zero_start": "with every score far below 0, starting the running maximum at 0 underflows "
                  "exp() to 0 (0 / 0 = nan): start it at -inf",
    "per_block": "each block seems normalised on its own and then averaged: the softmax must be "
                 "over all keys, so carry the running max and sum across blocks",
    "scale_S": "the scores look divided by sqrt(S), the number of keys: divide by sqrt(d_k) = K.shape[1]",
    "scale_T": "the scores look divided by sqrt(T), the number of queries: divide by sqrt(d_k) = K.shape[1]",
    "scale_block": "the scores look divided by the square root of the block's length: divide by "
                   "sqrt(d_k) = K.shape[1], the same for every block",
}


def mistakes(Q, K, V, b):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    right = reference(Q, K, V)
    found = {}
    for key, hint in HINTS.items():
        wrong = _tiled(Q, K, V, b, key)
        if wrong.shape != right.shape or not np.allclose(wrong, right, equal_nan=True):
            found[hint] = wrong
    return found


def check(tiled_attention, Q, K, V, b, **options):
    got, expected = tiled_attention(Q, K, V, b), reference(Q, K, V)
    name = f"your result (block_size={b})"  # compared to within the declared 1e-9 unless options say
    try:
        assert_close(got, expected, name=name, **options)
    except AssertionError:  # only now work out which classic mistake it resembles
        assert_close(got, expected, name=name, mistakes=lambda: mistakes(Q, K, V, b), **options)
    return got


def random_qkv(T, S, d_k, d_v, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    return ((scale * rng.standard_normal((T, d_k))).astype(dtype),
            (scale * rng.standard_normal((S, d_k))).astype(dtype),
            rng.standard_normal((S, d_v)).astype(dtype))


def test_worked_example(tiled_attention):
    """Worked example from the statement (blocks of 2 and of 1)"""
    Q = np.array([[1.0], [0.0]])
    K = np.log(np.array([[1.0], [2.0], [4.0]]))
    V = np.array([[1.0], [2.0], [3.0]])
    check(tiled_attention, Q, K, V, 2)
    check(tiled_attention, Q, K, V, 1)


def test_output_shape(tiled_attention):
    """Output has shape (T, d_v) with T, S, d_k and d_v all different"""
    Q, K, V = random_qkv(T=3, S=8, d_k=5, d_v=2, seed=1)
    assert_shape(tiled_attention(Q, K, V, 4), (3, 2))


def test_matches_full_attention(tiled_attention):
    """Equals full attention to 1e-9 when the block size divides S (T, S, d_k and the blocks all differ)

    Guards: rescale, full_softmax, scaling
    """
    Q, K, V = random_qkv(T=5, S=12, d_k=8, d_v=3, seed=2, scale=1.5)
    check(tiled_attention, Q, K, V, 4)
    check(tiled_attention, Q, K, V, 6)


def test_block_size_not_dividing_keys(tiled_attention):
    """Block sizes that do not divide S (the last block is shorter)

    Guards: partial_block
    """
    Q, K, V = random_qkv(T=4, S=10, d_k=4, d_v=3, seed=3, scale=1.5)
    for b in (3, 4, 7):
        check(tiled_attention, Q, K, V, b)


def test_one_key_per_block_and_one_block(tiled_attention):
    """block_size = 1 and block_size >= S both give full attention

    Guards: full_softmax
    """
    Q, K, V = random_qkv(T=3, S=6, d_k=4, d_v=2, seed=4, scale=1.5)
    for b in (1, 6, 50):
        check(tiled_attention, Q, K, V, b)


def test_max_grows_block_after_block(tiled_attention):
    """Rescales the running sum and output whenever a later block holds a larger score

    Guards: rescale
    """
    rng = np.random.default_rng(5)
    Q = np.abs(rng.standard_normal((3, 4))) + 0.5
    K = np.linspace(-2.0, 4.0, 9)[:, None] * np.ones((1, 4)) + 0.1 * rng.standard_normal((9, 4))
    V = rng.standard_normal((9, 3))
    check(tiled_attention, Q, K, V, 2)
    check(tiled_attention, Q, K, V, 4)


def test_huge_scores_stay_finite(tiled_attention):
    """Scores in the thousands, with very different block maxima, do not overflow

    Guards: running_max
    """
    rng = np.random.default_rng(6)
    Q = 40.0 * rng.standard_normal((4, 4))
    K = 40.0 * rng.standard_normal((8, 4))
    K[4:] *= 0.01  # the second block's scores are far smaller than the first's
    V = rng.standard_normal((8, 2))
    check(tiled_attention, Q, K, V, 4)
    check(tiled_attention, Q, K[::-1], V[::-1], 4)


def test_very_negative_scores(tiled_attention):
    """Every score far below zero (around -1000) still gives the right answer

    Guards: start_minus_inf
    """
    rng = np.random.default_rng(7)
    Q = np.full((3, 2), 30.0) + rng.standard_normal((3, 2))
    K = np.full((7, 2), -25.0) + rng.standard_normal((7, 2))
    V = rng.standard_normal((7, 3))
    check(tiled_attention, Q, K, V, 3)


def test_float32_inputs(tiled_attention):
    """Accepts float32 inputs and returns float64

    Guards: dtype
    """
    Q, K, V = random_qkv(T=4, S=9, d_k=4, d_v=3, seed=8, dtype=np.float32)
    assert_dtype(check(tiled_attention, Q, K, V, 4, **tolerance("float32")), np.float64)


def test_scores_below_minus_1e9(tiled_attention):
    """Scores far below -1e9 still give the right answer (the running maximum starts at -inf)

    Guards: start_minus_inf
    """
    rng = np.random.default_rng(11)
    Q = np.full((3, 2), 1e5) + rng.standard_normal((3, 2))
    K = np.full((6, 2), -1e5) + 1e3 * rng.standard_normal((6, 2))
    V = rng.standard_normal((6, 2))
    got = as_float_array(tiled_attention(Q, K, V, 2))
    assert_true(np.all(np.isfinite(got)), "your result is not finite for scores around -1e10: a running maximum "
                "started at a finite number (such as -1e9) stays above every score, so every exp() underflows to "
                "0 and the division is 0 / 0. Start the running maximum at -np.inf")
    check(tiled_attention, Q, K, V, 2)


def test_inputs_not_mutated(tiled_attention):
    """Q, K and V are left unchanged

    Guards: inputs_not_mutated
    """
    arguments = dict(zip("QKV", random_qkv(T=4, S=7, d_k=3, d_v=2, seed=21)))
    before = {name: a.copy() for name, a in arguments.items()}
    tiled_attention(*arguments.values(), 3)
    assert_inputs_unchanged(arguments, before)
