import numpy as np

from judge import tolerance, assert_batched, assert_close, assert_dtype, assert_shape, assert_inputs_unchanged, assert_true, as_float_array


def dot_slack(a, b):
    """How far a @ b.T may move when the rows a and b each move within the declared tolerance
    (atol + rtol·|value| per entry)."""
    t = tolerance()
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    ta, tb = t["atol"] + t["rtol"] * np.abs(a), t["atol"] + t["rtol"] * np.abs(b)
    return ta @ np.abs(b).T + np.abs(a) @ tb.T + ta @ tb.T


def _rotate(x, positions, base, pairs="interleaved", exponent=lambda D: -np.arange(0, D, 2) / D, sign=1.0):
    x = np.asarray(x, dtype=np.float64)
    T, D = x.shape[-2:]
    positions = np.arange(T, dtype=np.float64) if positions is None else np.asarray(positions, dtype=np.float64)
    angles = sign * positions[:, None] * base ** exponent(D)[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    if pairs == "interleaved":
        a, b = x[..., 0::2], x[..., 1::2]
    else:
        a, b = x[..., : D // 2], x[..., D // 2:]
    ya, yb = a * cos - b * sin, a * sin + b * cos
    if pairs == "interleaved":
        return np.stack([ya, yb], axis=-1).reshape(x.shape)
    return np.concatenate([ya, yb], axis=-1)


def reference(x, positions=None, base=10000.0):
    return _rotate(x, positions, base)


def mistakes(x, positions=None, base=10000.0):
    """Outputs of the classic mistakes, so a wrong answer gets a pointed hint."""
    T = np.shape(x)[-2]
    out = {
        "the pairs look like split halves (i, i + D/2): pair interleaved coordinates (2i, 2i+1), "
        "i.e. x[..., 0::2] with x[..., 1::2]": _rotate(x, positions, base, pairs="halves"),
        "the pairs turn the wrong way (by -angle): y[2i] = x[2i] cos - x[2i+1] sin, "
        "y[2i+1] = x[2i] sin + x[2i+1] cos": _rotate(x, positions, base, sign=-1.0),
        "the frequencies look like base ** (-i / D): the exponent is -2i/D, "
        "e.g. base ** (-np.arange(0, D, 2) / D)": _rotate(x, positions, base, exponent=lambda D: -np.arange(D // 2) / D),
        "the frequencies grow instead of shrinking: theta_i = base ** (-2i / D) has a minus sign":
            _rotate(x, positions, base, exponent=lambda D: np.arange(0, D, 2) / D),
    }
    if positions is None:
        out["the default positions look like 1..T: they start at 0, so row 0 is left unchanged"] = \
            _rotate(x, np.arange(1, T + 1), base)
    return out


def test_worked_example(rope):
    """Worked example from the statement

    Guards: interleaved
    """
    x = np.tile([1.0, 0.0, 1.0, 0.0], (3, 1))
    assert_close(rope(x), reference(x), mistakes=lambda: mistakes(x))
    y = np.array([[0.0, 2.0]])
    p = np.array([np.pi / 2])
    assert_close(rope(y, positions=p), reference(y, p), mistakes=lambda: mistakes(y, p))


def test_single_pair_turns_counter_clockwise(rope):
    """With D = 2, the vector at position m turns counter-clockwise by m radians

    Guards: counter_clockwise
    """
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, -4.0]])
    positions = np.array([1.0, 2.0, 1.0, 0.5])
    expected = np.stack([np.cos(positions), np.sin(positions)], axis=-1)
    expected[2] = [-np.sin(1.0), np.cos(1.0)]
    expected[3] = [3 * np.cos(0.5) + 4 * np.sin(0.5), 3 * np.sin(0.5) - 4 * np.cos(0.5)]
    assert_close(rope(x, positions=positions), expected, mistakes=lambda: mistakes(x, positions))


def test_position_zero_is_identity(rope):
    """A vector at position 0 comes back unchanged

    Guards: default_positions
    """
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8))
    assert_close(rope(x, positions=np.zeros(4)), x, name="rope(x, positions=zeros)",
                 mistakes=lambda: mistakes(x, np.zeros(4)))
    out = as_float_array(rope(x))
    assert_shape(out, x.shape)
    assert_close(out[0], x[0], name="row 0 of rope(x) (default positions)",
                 mistakes=lambda: {hint: wrong[0] for hint, wrong in mistakes(x).items()})


def test_random_inputs(rope):
    """Matches a reference on random inputs (T = 6, D = 8)

    Guards: interleaved, frequency
    """
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 8))
    assert_close(rope(x), reference(x), mistakes=lambda: mistakes(x))


def test_norms_preserved(rope):
    """Every vector and every pair keeps its length"""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 6))
    positions = np.array([0, 3, 11, 250, 4096])
    out = as_float_array(rope(x, positions=positions))
    assert_shape(out, x.shape)
    assert_close(np.linalg.norm(out, axis=-1), np.linalg.norm(x, axis=-1), name="the norms of your rows")
    pair_norms = np.hypot(out[:, 0::2], out[:, 1::2])
    halves = _rotate(x, positions, 10000.0, pairs="halves")
    assert_close(pair_norms, np.hypot(x[:, 0::2], x[:, 1::2]),
                 name="the lengths of your pairs (out[:, 2i], out[:, 2i+1])",
                 mistakes=lambda: {"each pair must keep its length: rotate the interleaved pairs (2i, 2i+1), "
                           "not the split halves (i, i + D/2)": np.hypot(halves[:, 0::2], halves[:, 1::2])})


def test_scores_depend_on_offset_only(rope):
    """Scores between rotated queries and keys depend only on the offset m - n"""
    rng = np.random.default_rng(4)
    q, k = rng.standard_normal((1, 8)), rng.standard_normal((1, 8))
    # Scores are products of two of your results: each may move by what the tolerance allows them
    # (dot_slack), so two scores may differ by the sum of their slacks.
    for offset in (0, 2, 5):
        pairs = [(as_float_array(rope(q, np.array([n + offset])))[0], as_float_array(rope(k, np.array([n])))[0])
                 for n in (0, 3, 17)]
        scores = np.array([a @ b for a, b in pairs])
        slack = np.array([dot_slack(a, b)[0, 0] for a, b in pairs])
        assert_close(scores, np.full(3, scores[0]), **{"rtol": 0.0, "atol": float((slack + slack[0]).max())},
                     name=f"scores q·k at offset {offset} for key positions 0, 3, 17")
    Q, K = rng.standard_normal((5, 8)), rng.standard_normal((5, 8))
    p = np.array([0, 1, 2, 4, 9])
    Qp, Kp = as_float_array(rope(Q, p)), as_float_array(rope(K, p))
    Qs, Ks = as_float_array(rope(Q, p + 13)), as_float_array(rope(K, p + 13))
    slack = dot_slack(Qp, Kp) + dot_slack(Qs, Ks)
    assert_close(Qs @ Ks.T, Qp @ Kp.T, **{"rtol": 0.0, "atol": float(slack.max())},
                 name="scores after shifting every position by 13")


def test_custom_positions_and_base(rope):
    """Uses the given positions (unsorted, repeated) and base

    Guards: frequency
    """
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 6))
    positions = np.array([7, 0, 3, 3, 100])
    assert_close(rope(x, positions=positions), reference(x, positions), mistakes=lambda: mistakes(x, positions))
    assert_close(rope(x, positions=positions, base=100.0), reference(x, positions, 100.0),
                 name="rope(x, positions, base=100.0)", mistakes=lambda: mistakes(x, positions, 100.0))


def test_batched_heads(rope):
    """Works on (B, H, T, Dh) inputs: every head is rotated by the same positions

    Guards: batched
    """
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4, 6))

    def verify(out, x, positions=None):
        assert_close(out, reference(x, positions), mistakes=lambda: mistakes(x, positions))

    assert_batched(rope, (x,), verify, batched=(0,), lead=2)
    assert_batched(rope, (x,), verify, kwargs={"positions": np.array([10, 11, 12, 13])}, batched=(0,), lead=2)


def test_float32_inputs(rope):
    """Accepts float32 inputs and returns float64

    Guards: dtype
    """
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 8)).astype(np.float32)
    out = rope(x)
    assert_close(out, reference(x), **tolerance("float32"), mistakes=lambda: mistakes(x))
    assert_dtype(out, np.float64)


def test_positions_list_or_float32(rope):
    """positions may be a Python list, or a float32 array, of integers or fractions

    Guards: positions_any
    """
    rng = np.random.default_rng(23)
    x = rng.standard_normal((5, 6))
    listed = [7, 0, 3.5, 3, 100]
    assert_close(rope(x, positions=listed), reference(x, listed), name="rope(x, positions=[7, 0, 3.5, 3, 100])",
                 mistakes=lambda: mistakes(x, listed))
    single = [57]
    assert_close(rope(x[:1], positions=single), reference(x[:1], single), name="rope(x[:1], positions=[57])")
    narrow = np.array([1000.5, 57.0, 3.25, 0.0, 4096.0], dtype=np.float32)
    assert_close(rope(x, positions=narrow), reference(x, narrow), name="rope(x, positions) with float32 positions",
                 mistakes=lambda: mistakes(x, narrow))


def test_inputs_not_mutated(rope):
    """x (and the positions) are left unchanged

    Guards: inputs_not_mutated
    """
    rng = np.random.default_rng(21)
    arguments = {"x": rng.standard_normal((5, 6)), "positions": np.array([3.0, 0.0, 7.0, 1.0, 2.0])}
    before = {name: a.copy() for name, a in arguments.items()}
    rope(arguments["x"], arguments["positions"])
    assert_inputs_unchanged(arguments, before)
