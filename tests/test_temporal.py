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
    with pytest.raises(ValueError, match=r"codes must be in \[0, 32\)"):
        enc(codes + 32)
    with pytest.raises(ValueError, match=r"\(B, T, 8, 8\) code maps"):
        enc(codes[:, :, :4])
    with pytest.raises(TypeError):
        enc(codes.float())
    with pytest.raises(ValueError, match="grid must be a multiple of 4"):
        TM.FrameEncoder(CODEBOOK, grid=6)
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


def test_clip_codes_code_every_frame_like_the_images():
    from mmfuse_lite.nn import VQVAE, encode_codes
    torch.manual_seed(0)
    vq = VQVAE(width=4, dim=4, num_codes=16).eval()
    frames = torch.randint(0, 256, (3, 5, 3, 16, 16), dtype=torch.uint8)
    codes = TM.clip_codes(vq, frames, batch_size=4)
    assert codes.shape[:2] == (3, 5)
    assert torch.equal(codes[1, 2], vq.encode(frames[1, 2:3].float() / 255)[0])
    assert torch.equal(encode_codes(vq, frames[0].float() / 255, batch_size=2), codes[0])
    with pytest.raises(ValueError, match=r"frames must be \(N, T, 3, H, W\)"):
        TM.clip_codes(vq, frames[0])
    with pytest.raises(ValueError, match=r"images must be a tensor \(N, 3, H, W\)"):
        encode_codes(vq, frames[0, 0])
    with pytest.raises(ValueError, match=r"float images must lie in \[0, 1\]"):
        encode_codes(vq, frames[0].float())
    vq.train()
    state = {k: v.clone() for k, v in vq.state_dict().items()}
    encode_codes(vq, frames[0])
    assert not vq.training and all(torch.equal(v, vq.state_dict()[k]) for k, v in state.items()), \
        "coding leaves the model as it was"


def _captioner(vocab=10, max_words=6):
    torch.manual_seed(0)
    return TM.ClipCaptioner(CODEBOOK, vocab, max_words, dim=16, layers=1, heads=2)


def test_clip_captioner_shapes_causality_and_errors():
    model = _captioner().eval()
    codes, ids = torch.randint(0, 32, (3, 8, 8, 8)), torch.randint(0, 10, (3, 5))
    with torch.no_grad():
        logits = model(codes, ids)
        assert logits.shape == (3, 5, 10)
        changed = ids.clone()
        changed[:, 3] = (changed[:, 3] + 1) % 10
        # a word never sees the words after it
        assert torch.allclose(model(codes, changed)[:, :3], logits[:, :3], atol=1e-5)
        assert not torch.allclose(model(codes, changed)[:, 3:], logits[:, 3:], atol=1e-4)
        # and every word sees the frames
        assert not torch.allclose(model(codes.flip(1), ids), logits, atol=1e-4)
    with pytest.raises(ValueError, match="ids has 7 positions, more than max_words=6"):
        model(codes, torch.zeros(3, 7, dtype=torch.long))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 10\)"):
        model(codes, ids + 10)
    with pytest.raises(ValueError, match="expected 8 frames, got 4"):
        model(codes[:, :4], ids)


def test_caption_loss_ignores_padding_and_captioner_learns():
    model = _captioner(vocab=6, max_words=5)
    # captions <bos>=1, a word that names the walking direction (4 or 5), <eos>=2, then padding
    data = _walking_code(256, 0)
    ids = torch.zeros(256, 6, dtype=torch.long)
    ids[:, 0], ids[:, 1], ids[:, 2] = 1, 3 + data["motion"], 2
    loss, _ = TM.caption_loss(model, {"codes": data["codes"][:8], "ids": ids[:8]}, pad_id=0)
    logits = model(data["codes"][:8], ids[:8, :-1])
    scored = torch.nn.functional.cross_entropy(logits[:, :2].flatten(0, 1), ids[:8, 1:3].flatten())
    assert torch.allclose(loss, scored), "only the words and <eos> are scored, not the padding after them"
    torch.manual_seed(0)
    codebook = torch.randn(32, 6) * 0.1
    codebook[1] = 2.0
    model = TM.ClipCaptioner(codebook, 6, 5, dim=16, layers=1, heads=2)
    fit(model, lambda m, b: TM.caption_loss(m, b, 0), Batches({"codes": data["codes"], "ids": ids}, 32, 0), 250,
        lr=3e-3, progress=False)
    fresh = _walking_code(100, 1)
    out = TM.write_captions(model, fresh["codes"], bos_id=1, eos_id=2, batch_size=30)
    assert out.shape == (100, 5) and (out[:, 0] == 1).all()
    assert (out[:, 1] == 3 + fresh["motion"]).float().mean() > 0.9
    assert (out[:, 2] == 2).float().mean() > 0.9 and (out[:, 3:] == 2).all(), "after <eos>, only <eos>"


def test_shipped_clip_models_load_with_their_vqgans_codebook():
    from mmfuse_lite import checkpoints
    from mmfuse_lite.nn import load_vqgan
    model = TM.load_clip_classifier()
    captioner, tokenizer = TM.load_clip_captioner()
    assert not model.training and not captioner.training
    for name, m in (("clip_classifier", model), ("clip_captioner", captioner)):
        vqgan = load_vqgan(checkpoints.load_card(checkpoints.shipped(name))["config"]["vqgan"])
        assert torch.equal(m.encoder.embed.weight, vqgan.quantizer.codebook.weight), f"{name} reads its VQGAN's codes"
    assert tokenizer.decode(tokenizer("the small red circle moves left")[0]) == "the small red circle moves left"
