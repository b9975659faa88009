import numpy as np

from judge import as_float_array, assert_close, assert_shape, assert_true


def ref_split(x, H):
    B, T, E = x.shape
    return x.reshape(B, T, H, E // H).transpose(0, 2, 1, 3)


def ref_merge(xh):
    B, H, T, Dh = xh.shape
    return xh.transpose(0, 2, 1, 3).reshape(B, T, H * Dh)


def split_mistakes(x, H):
    """What split_heads returns after the classic mistakes, so a wrong answer gets a pointed hint."""
    B, T, E = x.shape
    Dh = E // H
    return {
        "looks like a bare reshape to (B, H, T, Dh), which cuts the sequence instead of the features: "
        "reshape to (B, T, H, Dh) first, then swap axes 1 and 2": x.reshape(B, H, T, Dh),
        "head h seems to hold every H-th feature (h, h+H, ...): it should hold the consecutive "
        "features h*Dh:(h+1)*Dh, so reshape to (B, T, H, Dh)": x.reshape(B, T, Dh, H).transpose(0, 3, 1, 2),
        "the head axis is still after the positions: the result must be (B, H, T, Dh), so swap "
        "axes 1 and 2 after the reshape": x.reshape(B, T, H, Dh),
    }


def merge_mistakes(xh):
    B, H, T, Dh = xh.shape
    return {
        "looks like a bare reshape to (B, T, H*Dh): swap the H and T axes back first "
        "(transpose(0, 2, 1, 3)), then reshape": xh.reshape(B, T, H * Dh),
        "the heads look interleaved feature by feature: put head 0's Dh features first, then "
        "head 1's, and so on": xh.transpose(0, 2, 3, 1).reshape(B, T, H * Dh),
    }


def numbered(shape):
    """Every entry different, so any misplaced value shows up."""
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


def test_worked_example(split_heads):
    """Worked example: two positions of four features, two heads"""
    x = np.arange(8).reshape(1, 2, 4)
    assert_close(split_heads(x, 2), ref_split(x, 2), name="split_heads(x, 2)", mistakes=lambda: split_mistakes(x, 2))


def test_split_shape(split_heads):
    """split_heads turns (B, T, E) into (B, H, T, E // H)

    Guards: split_layout
    """
    x = numbered((2, 5, 12))
    out = split_heads(x, 3)
    assert_close(out, ref_split(x, 3), name="split_heads(x, 3) for x of shape (2, 5, 12)",
                 mistakes=lambda: split_mistakes(x, 3))


def test_head_h_holds_its_features(split_heads):
    """Head h holds features h*Dh to (h+1)*Dh of every position

    Guards: split_layout
    """
    x = np.random.default_rng(1).standard_normal((2, 4, 12))
    out = as_float_array(split_heads(x, 4), "split_heads(x, 4)")
    assert_shape(out, (2, 4, 4, 3), name="split_heads(x, 4) for x of shape (2, 4, 12)")
    mistakes = {k: v[:, 1] for k, v in split_mistakes(x, 4).items() if v.shape == out.shape}
    assert_close(out[:, 1], x[:, :, 3:6], name="head 1 (split_heads(x, 4)[:, 1])", mistakes=lambda: mistakes)
    for h in range(4):
        assert_close(out[:, h], x[:, :, 3 * h:3 * (h + 1)], name=f"head {h} (split_heads(x, 4)[:, {h}])")


def test_merge_shape_and_order(merge_heads):
    """merge_heads turns (B, H, T, Dh) into (B, T, H*Dh), head 0's features first

    Guards: merge_layout
    """
    xh = numbered((2, 3, 5, 4))
    assert_close(merge_heads(xh), ref_merge(xh), name="merge_heads(xh) for xh of shape (2, 3, 5, 4)",
                 mistakes=lambda: merge_mistakes(xh))


def test_merge_undoes_split(split_heads, merge_heads):
    """merge_heads(split_heads(x, H)) gives x back exactly

    Guards: split_layout, merge_layout
    """
    x = np.random.default_rng(2).standard_normal((3, 6, 8))
    assert_close(merge_heads(split_heads(x, 4)), x, rtol=0, atol=0, name="merge_heads(split_heads(x, 4))")


def test_split_undoes_merge(split_heads, merge_heads):
    """split_heads(merge_heads(xh), H) gives xh back exactly

    Guards: split_layout, merge_layout
    """
    xh = np.random.default_rng(3).standard_normal((2, 4, 3, 5))
    assert_close(split_heads(merge_heads(xh), 4), xh, rtol=0, atol=0, name="split_heads(merge_heads(xh), 4)")


def test_one_head_and_one_feature_per_head(split_heads, merge_heads):
    """Edge cases: one head (Dh = E) and one feature per head (H = E)"""
    x = numbered((2, 3, 6))
    assert_close(split_heads(x, 1), x[:, None], name="split_heads(x, 1)", mistakes=lambda: split_mistakes(x, 1))
    assert_close(split_heads(x, 6), ref_split(x, 6), name="split_heads(x, 6) for E = 6",
                 mistakes=lambda: split_mistakes(x, 6))
    assert_close(merge_heads(ref_split(x, 6)), x, name="merge_heads of 6 heads of one feature")


def test_e_not_divisible_raises(split_heads):
    """E not a multiple of num_heads raises ValueError

    Guards: not_divisible
    """
    x = numbered((1, 2, 10))
    try:
        out = split_heads(x, 3)
    except ValueError:
        return
    shape = getattr(out, "shape", None)
    assert_true(False, lambda: f"split_heads(x, 3) with E = 10 returned {'an array of shape ' + str(shape) if shape else repr(out)} "
                       "instead of raising ValueError: 10 features cannot be shared equally by 3 heads, "
                       "and none may be dropped (check E % num_heads)")


def test_float32_values_unchanged(split_heads, merge_heads):
    """Values are only moved, never changed (float64 and float32 inputs)

    Guards: values_unchanged
    """
    for dtype in (np.float64, np.float32):
        x = np.random.default_rng(4).standard_normal((2, 3, 8)).astype(dtype)
        xh = split_heads(x, 2)
        assert_close(xh, ref_split(x, 2), rtol=0, atol=0, name=f"split_heads(x, 2) of a {dtype.__name__} x",
                     mistakes=lambda: split_mistakes(x, 2))
        assert_close(merge_heads(ref_split(x, 2)), x, rtol=0, atol=0, name=f"merge_heads(xh) of a {dtype.__name__} xh",
                     mistakes=lambda: merge_mistakes(ref_split(x, 2)))
