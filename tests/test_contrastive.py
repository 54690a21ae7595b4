import math

import pytest
import torch

import mmfuse_lite.nn as mnn
from mmfuse_lite.data import WordTokenizer
from mmfuse_lite.train import fit
from mmfuse_lite.nn.contrastive import (CLIP, INIT_TEMPERATURE, MAX_LOGIT_SCALE, class_embeddings, clip_loss, embed,
                                        info_nce, multi_positive_info_nce, recall_at_k)


def tiny_clip(**kw):
    torch.manual_seed(0)
    return CLIP(mnn.ImageEncoder(dim=8, width=4, image_size=8, in_channels=16),
                mnn.TextEncoder(len(WordTokenizer()), 8), dim=6, **kw)


def test_info_nce_is_symmetric_and_bounded():
    logits = torch.randn(6, 6)
    assert torch.allclose(info_nce(logits), info_nce(logits.t()))
    assert torch.allclose(info_nce(torch.zeros(5, 5)), torch.tensor(math.log(5)))      # no signal: ln B
    assert info_nce(50 * torch.eye(4)) < 1e-6                                           # perfect pairs
    with pytest.raises(ValueError, match=r"square \(B, B\)"):
        info_nce(torch.randn(3, 4))



def test_multi_positive_info_nce_is_info_nce_with_one_positive_and_stops_pushing_true_captions_apart():
    logits = torch.randn(5, 5)
    assert torch.allclose(multi_positive_info_nce(logits, torch.eye(5, dtype=torch.bool)), info_nce(logits))
    # texts 0 and 1 both describe images 0 and 1: plain InfoNCE pushes image 0 away from text 1,
    # the multi-positive loss pulls it closer
    positives = torch.eye(4, dtype=torch.bool)
    positives[0, 1] = positives[1, 0] = True
    for loss, sign in ((lambda l: info_nce(l), 1), (lambda l: multi_positive_info_nce(l, positives), -1)):
        l = torch.zeros(4, 4, requires_grad=True)
        loss(l).backward()
        assert sign * l.grad[0, 1] > 0            # gradient descent lowers (info_nce) or raises the logit
    with pytest.raises(ValueError, match="diagonal"):
        multi_positive_info_nce(logits, torch.zeros(5, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="bool tensor of the logits' shape"):
        multi_positive_info_nce(logits, torch.eye(5))

def test_logit_scale_starts_at_clip_value_and_is_clipped_at_100():
    model = tiny_clip()
    assert math.isclose(model.logit_scale.item(), math.log(1 / INIT_TEMPERATURE), rel_tol=1e-6)
    assert math.isclose(model.scale.item(), 1 / 0.07, rel_tol=1e-5)
    fixed = tiny_clip(temperature=1.0, learn_temperature=False)
    assert not fixed.logit_scale.requires_grad and math.isclose(fixed.scale.item(), 1.0)
    with pytest.raises(ValueError, match="at least 0.01"):
        tiny_clip(temperature=0.001)


def test_logit_scale_is_clipped_in_place_and_stays_trainable():
    # as if an optimiser step had pushed the logit scale past ln 100
    model, tok = tiny_clip(), WordTokenizer()
    images = torch.randn(4, 16, 8, 8, generator=torch.Generator().manual_seed(0))
    texts = tok(["a red circle", "a blue box", "a big green square", "a disc"])
    with torch.no_grad():
        model.logit_scale.fill_(MAX_LOGIT_SCALE + 1)
    loss = info_nce(model(images, texts))
    assert model.logit_scale.item() == pytest.approx(MAX_LOGIT_SCALE)   # the forward clipped the parameter itself
    assert model.scale.item() == pytest.approx(100, rel=1e-5)
    loss.backward()
    # a clip inside the forward (logit_scale.clamp(max=...).exp()) gave exactly 0 here, for good
    assert model.logit_scale.grad.abs().item() > 1e-4
    # so a loss that wants a softer softmax can bring it back below the ceiling
    opt = torch.optim.SGD([model.logit_scale], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(images, texts)
        model.scale.backward()                                      # d scale / d logit_scale = scale > 0
        opt.step()
    model(images, texts)
    assert model.logit_scale.item() < MAX_LOGIT_SCALE - 1


def test_clip_forward_embeddings_and_errors():
    model, tok = tiny_clip(), WordTokenizer()
    images, texts = torch.randn(4, 16, 8, 8), tok(["a red circle", "a blue box", "a big green square", "a disc"])
    logits = model.eval()(images, texts)           # eval: the image encoder's batch norm uses its running stats
    assert logits.shape == (4, 4)
    emb = embed(model, images, "image", batch_size=3)
    assert emb.shape == (4, 6) and torch.allclose(emb.norm(dim=1), torch.ones(4), atol=1e-5)
    assert torch.allclose(logits, model.scale * emb @ embed(model, texts, "text").t(), atol=1e-4)
    with pytest.raises(ValueError, match="as many images as texts"):
        model(images, texts[:3])
    with pytest.raises(ValueError, match="'image' or 'text'"):
        embed(model, images, "sound")


def test_recall_at_k():
    assert recall_at_k(torch.eye(5)) == {1: 1.0, 5: 1.0, 10: 1.0}
    sim = torch.tensor([[0.1, 0.9, 0.5], [0.0, 1.0, 0.2], [0.9, 0.8, 0.1]])     # ranks 2, 0, 2
    assert recall_at_k(sim, ks=(1, 2, 3)) == pytest.approx({1: 1 / 3, 2: 1 / 3, 3: 1.0})
    with pytest.raises(ValueError, match="square"):
        recall_at_k(torch.randn(2, 3))


def test_class_embeddings_and_clear_errors():
    model, tok = tiny_clip(), WordTokenizer()
    w = class_embeddings(model, {"red": ["a red circle", "a red box"], "blue": ["a blue disc"]}, tok)
    assert w.shape == (2, 6) and torch.allclose(w.norm(dim=1), torch.ones(2), atol=1e-5)
    with pytest.raises(ValueError, match="non-empty list"):
        class_embeddings(model, {"red": []}, tok)
    with pytest.raises(ValueError, match=r"outside the tokenizer's vocabulary: \['zebra'\]"):
        class_embeddings(model, {"red": ["a red zebra"]}, tok)


def test_clip_loss_learns_pairs():
    # 8 distinct captions, each with its own random "image": the loss must fall well below ln 8
    tok = WordTokenizer()
    texts = tok([f"a {s} {c} circle" for s in ("big", "small") for c in ("red", "blue", "green", "cyan")])
    images = torch.randn(8, 16, 8, 8, generator=torch.Generator().manual_seed(1))
    model = tiny_clip()
    hist = fit(model, clip_loss, [{"image": images, "text": texts}], 150, lr=1e-2, progress=False)
    assert hist["loss"][-1] < 0.3 * math.log(8) and hist["acc"][-1] == 1.0


def test_grid_mlp_keeps_positions_and_checks_its_input():
    enc = mnn.GridMLP(4, 3, dim=5, hidden=7)
    grid = torch.zeros(2, 4, 3, 3)
    grid[0, :, 0, 0], grid[1, :, 2, 2] = 1, 1          # the same content in two places
    out = enc(grid)
    assert out.vector.shape == (2, 5) and out.tokens is None
    assert not torch.allclose(out.vector[0], out.vector[1])
    with pytest.raises(ValueError, match="3 x 3 grid"):
        enc(torch.zeros(2, 4, 4, 4))
    with pytest.raises(ValueError, match="4 channels"):
        enc(torch.zeros(2, 3, 3, 3))
