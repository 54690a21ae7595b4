"""Fusion over time: the mean is order-blind, the transformer is not."""
import pytest
import torch

from mmfuse_lite.data import Batches
from mmfuse_lite.nn import temporal as TM
from mmfuse_lite.train import fit

CODEBOOK = torch.randn(32, 6)


def test_frame_encoder_shapes_and_errors():
    enc = TM.FrameEncoder(CODEBOOK, dim=16)
    codes = torch.randint(0, 32, (3, 8, 8, 8))
    assert enc(codes).shape == (3, 8, 16)
    assert not enc.embed.weight.requires_grad, "the codebook stays frozen"
    with pytest.raises(ValueError, match=r"codes must lie in \[0, 32\)"):
        enc(codes + 32)
    with pytest.raises(ValueError, match=r"\(B, T, 8, 8\) code maps"):
        enc(codes[:, :, :4])
    with pytest.raises(TypeError):
        enc(codes.float())
    with pytest.raises(ValueError, match="fusion must be 'mean' or 'transformer'"):
        TM.ClipClassifier(CODEBOOK, "max")


def test_mean_is_order_blind_and_transformer_is_not():
    torch.manual_seed(0)
    codes = torch.randint(0, 32, (4, 8, 8, 8))
    mean, tr = TM.ClipClassifier(CODEBOOK, "mean", dim=16), TM.ClipClassifier(CODEBOOK, "transformer", dim=16)
    with torch.no_grad():
        for k in ("motion", "change"):
            assert torch.allclose(mean(codes)[k], mean(codes.flip(1))[k], atol=1e-5)
            assert not torch.allclose(tr(codes)[k], tr(codes.flip(1))[k], atol=1e-3)
    with pytest.raises(ValueError, match="expected 8 frames, got 5"):
        tr(codes[:, :5])


def _walking_code(n: int, seed: int) -> dict:
    """Clips of random codes in which code 1 walks along a random row, one cell a frame,
    to the left (motion 1) or to the right (motion 2)."""
    g = torch.Generator().manual_seed(seed)
    direction = torch.randint(1, 3, (n,), generator=g)
    row = torch.randint(0, 8, (n,), generator=g)
    codes = torch.randint(2, 32, (n, 8, 8, 8), generator=g)
    for f in range(8):
        col = torch.where(direction == 1, 7 - f, f)
        codes[torch.arange(n), f, row, col] = 1
    return {"codes": codes, "motion": direction, "change": torch.zeros(n, dtype=torch.long)}


def test_transformer_learns_direction():
    torch.manual_seed(0)
    codebook = torch.randn(32, 6) * 0.1        # background codes alike, the walking code apart: what a
    codebook[1] = 2.0                          # trained codebook gives; with random vectors it memorises
    model = TM.ClipClassifier(codebook, "transformer", dim=16)
    fit(model, TM.clip_loss, Batches(_walking_code(256, 0), 32, 0), 250, lr=3e-3, progress=False)
    fresh = _walking_code(200, 1)
    assert (TM.clip_predictions(model, fresh["codes"])["motion"] == fresh["motion"]).float().mean() > 0.9
