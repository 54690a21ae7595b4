"""Chapter 8's Siamese network: the pairs, the shared encoder, the threshold, the margin loss."""
import numpy as np
import torch

import mmfuse_lite.nn as mnn
from mmfuse_lite.data.pairs import scene_pairs


def test_scene_pairs_are_deterministic_and_honest():
    p, q = scene_pairs("val", 40, seed=3), scene_pairs("val", 40, seed=3)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    assert not np.array_equal(p["a"], scene_pairs("val", 40, seed=4)["a"])
    assert p["a"].shape == p["b"].shape == p["c"].shape == (40, 3, 32, 32) and p["a"].dtype == np.uint8
    assert set(p["change"]) <= {"colour", "shape", "size", "position"} and len(set(p["change"])) == 4
    assert (p["a"] != p["b"]).any(axis=(1, 2, 3)).all(), "a second rendering differs in its pixels"
    # b shows a's scene and c a changed one: per pixel, b lies closer to a than c does
    a, b, c = (p[k].astype(np.float32) for k in "abc")
    assert np.abs(a - b).mean() < 0.95 * np.abs(a - c).mean()


def test_siamese_shares_and_untied_does_not():
    torch.manual_seed(0)
    x, y = torch.randn(6, 16, 8, 8), torch.randn(6, 16, 8, 8)
    shared = mnn.Siamese(mnn.GridConv(dim=8), 4)
    assert shared.shared and len(list(shared.parameters())) == len(list(mnn.GridConv(dim=8).parameters())) + 1
    assert torch.allclose(shared(x, y), shared(y, x)) and torch.allclose(shared(x, x), torch.ones(6))
    untied = mnn.Siamese(mnn.GridConv(dim=8), 4, mnn.GridConv(dim=8))
    assert not untied.shared and not torch.allclose(untied(x, y), untied(y, x))
    assert sum(p.numel() for p in untied.parameters()) == 2 * sum(p.numel() for p in shared.parameters())


def test_siamese_loss_prefers_the_right_rendering():
    torch.manual_seed(0)
    model = mnn.Siamese(mnn.GridConv(dim=8), 4)
    a = torch.randn(4, 16, 8, 8)
    good = mnn.siamese_loss(model, {"a": a, "b": a, "c": torch.randn(4, 16, 8, 8)})[0]
    bad = mnn.siamese_loss(model, {"a": a, "b": torch.randn(4, 16, 8, 8), "c": a})[0]
    assert good < bad
    # b == a: each row's own column has cosine 1, the maximum, so the loss is below ln(2B)
    assert good < np.log(8)


def test_best_threshold_maximises_accuracy():
    g = torch.Generator().manual_seed(0)
    same, diff = torch.rand(50, generator=g) * 0.6 + 0.4, torch.rand(50, generator=g) * 0.6
    t = mnn.best_threshold(same, diff)
    best = max(mnn.verification_accuracy(same, diff, v.item()) for v in torch.cat([same, diff]))
    assert abs(mnn.verification_accuracy(same, diff, t) - best) < 1e-9
    sep_same, sep_diff = torch.tensor([0.9, 0.8]), torch.tensor([0.1, 0.3])
    assert mnn.verification_accuracy(sep_same, sep_diff, mnn.best_threshold(sep_same, sep_diff)) == 1.0


def test_margin_loss_terms():
    d, same = torch.tensor([0.5, 0.5, 2.0]), torch.tensor([1, 0, 0])
    assert torch.isclose(mnn.margin_loss(d, same, 1.0), torch.tensor((0.25 + 0.25 + 0.0) / 3))
