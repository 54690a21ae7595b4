"""The components a chapter builds in the open are the package's components."""
import pathlib

import nbformat
import pytest
import torch
from torch import nn

import mmfuse_lite.nn as mnn

ROOT = pathlib.Path(__file__).resolve().parents[1]


def chapter_namespace(name, extra=None):
    """Execute the cells tagged ``package-sync`` of a notebook and return their namespace."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    ns = {"torch": torch, "nn": nn, **(extra or {})}
    cells = [c for c in nb.cells if "package-sync" in c.metadata.get("tags", [])]
    assert cells, f"{name} has no package-sync cells"
    for cell in cells:
        exec(compile(cell.source, name, "exec"), ns)
    return ns


@pytest.mark.parametrize("kwargs", [dict(width=8, latent_channels=4, downsamples=2),
                                    dict(width=16, latent_channels=1, downsamples=1)])
def test_chapter2_autoencoder_matches_package(kwargs):
    ns = chapter_namespace("02_autoencoder.ipynb")
    ours, theirs = ns["Autoencoder"](**kwargs).eval(), mnn.Autoencoder(**kwargs).eval()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    ours.load_state_dict(theirs.state_dict())
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        for a, b in zip(ours(x), theirs(x)):
            assert torch.equal(a, b)
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]


def test_chapter2_conv_block_matches_package():
    ns = chapter_namespace("02_autoencoder.ipynb")
    for args in [(3, 8), (8, 16, 4, 2), (8, 4, 4, 2, True), (4, 8, 1)]:
        a, b = ns["conv_block"](*args), mnn.conv_block(*args)
        assert [repr(m) for m in a] == [repr(m) for m in b]


@pytest.mark.parametrize("kwargs", [dict(latent_dim=6, width=4), dict(latent_dim=4, width=8, cond_dim=21)])
def test_chapter2_vae_matches_package(kwargs):
    ns = chapter_namespace("02_autoencoder.ipynb")
    ours, theirs = ns["VAE"](**kwargs).eval(), mnn.VAE(**kwargs).eval()
    ours.load_state_dict(theirs.state_dict())
    x = torch.rand(3, 3, 32, 32)
    c = torch.eye(21)[:3] if kwargs.get("cond_dim") else None
    with torch.no_grad():
        for a, b in zip(ours(x, c, generator=torch.Generator().manual_seed(0)),
                        theirs(x, c, generator=torch.Generator().manual_seed(0))):
            assert torch.equal(a, b)
        assert torch.equal(ours.sample(2, None if c is None else c[:2], generator=torch.Generator().manual_seed(1)),
                           theirs.sample(2, None if c is None else c[:2], generator=torch.Generator().manual_seed(1)))
    mu, logvar = torch.randn(4, 5), torch.randn(4, 5)
    assert torch.equal(ns["gaussian_kl"](mu, logvar), mnn.gaussian_kl(mu, logvar))
    out_a = ns["vae_loss"](x, x.flip(0), mu[:3], logvar[:3], beta=2.0)
    out_b = mnn.vae_loss(x, x.flip(0), mu[:3], logvar[:3], beta=2.0)
    assert all(torch.equal(out_a[k], out_b[k]) for k in out_b)


def test_chapter3_quantizer_matches_package():
    ns = chapter_namespace("03_vq_vae.ipynb", extra={"F": torch.nn.functional})
    g = torch.Generator().manual_seed(0)
    z, book = torch.randn(50, 8, generator=g), torch.randn(12, 8, generator=g)
    assert torch.equal(ns["nearest_code"](z, book), mnn.nearest_code(z, book))
    for shape in [(2, 8, 4, 4), (3, 7, 8)]:
        ours, theirs = ns["VectorQuantizer"](16, 8), mnn.VectorQuantizer(16, 8)
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(*shape, generator=g)
        for a, b in zip(ours(x), theirs(x)):
            assert torch.equal(a, b)


def test_chapter4_cures_match_package():
    ns = chapter_namespace("04_codebook_lab.ipynb", extra={"F": torch.nn.functional, "mnn": mnn})
    g = torch.Generator().manual_seed(0)
    for k in (4, 16):
        h, idx = torch.randn(60, 3, generator=g), torch.randint(0, k // 2, (60,), generator=g)
        sizes, sums = torch.rand(k, generator=g) + 0.1, torch.randn(k, 3, generator=g)
        a = ns["ema_update"](sizes.clone(), sums.clone(), h, idx, 0.9, 1e-3)
        b = mnn.ema_update(sizes.clone(), sums.clone(), h, idx, 0.9, 1e-3)
        assert torch.equal(a, b)
    x = torch.randn(200, 4, generator=g)
    for cosine in (False, True):
        torch.manual_seed(1); a = ns["kmeans"](x, 10, 5, cosine)
        torch.manual_seed(1); b = mnn.kmeans(x, 10, 5, cosine)
        assert torch.equal(a, b)
    levels = torch.tensor([8, 5, 3])
    h = 3 * torch.randn(50, 3, generator=g)
    assert torch.equal(ns["fsq_bound"](h, levels), mnn.fsq_bound(h, levels))


def test_chapter5_vqgan_pieces_match_package():
    ns = chapter_namespace("05_vqgan.ipynb", extra={"F": torch.nn.functional})
    g = torch.Generator().manual_seed(0)
    for kwargs in (dict(width=8, n_layers=2), dict(width=4, n_layers=3, spectral_norm=True)):
        torch.manual_seed(0); ours = ns["PatchDiscriminator"](**kwargs)
        torch.manual_seed(0); theirs = mnn.PatchDiscriminator(**kwargs)
        assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
        ours.load_state_dict(theirs.state_dict())
        ours.eval(), theirs.eval()
        x = torch.rand(2, 3, 32, 32, generator=g)
        with torch.no_grad():
            assert torch.equal(ours(x), theirs(x))
    real, fake = torch.randn(3, 1, 6, 6, generator=g), torch.randn(3, 1, 6, 6, generator=g)
    assert torch.equal(ns["hinge_d_loss"](real, fake), mnn.hinge_d_loss(real, fake))
    assert torch.equal(ns["hinge_g_loss"](fake), mnn.hinge_g_loss(fake))
    layer = torch.nn.Parameter(torch.randn(4, 4, generator=g))
    x = torch.randn(5, 4, generator=g)
    rec, adv = (x @ layer).abs().mean(), -(x @ layer).mean()
    assert torch.equal(ns["adaptive_weight"](rec, adv, layer), mnn.adaptive_weight(rec, adv, layer))
    net = mnn.FeatureNet(width=4)
    a, b = torch.rand(2, 3, 32, 32, generator=g), torch.rand(2, 3, 32, 32, generator=g)
    for depths in (None, [0], [1, 3]):
        assert torch.equal(ns["perceptual_distance"](net, a, b, depths), mnn.perceptual_distance(net, a, b, depths))


def test_chapter6_fusion_modules_match_package():
    from mmfuse_lite.nn import Features
    ns = chapter_namespace("06_fusion_strategies.ipynb", extra={"F": torch.nn.functional, "np": __import__("numpy")})
    g = torch.Generator().manual_seed(0)
    dims = {"image": 6, "text": 4, "sound": 3}
    feats = {k: Features(torch.zeros(5, 1, d), None, torch.randn(5, d, generator=g)) for k, d in dims.items()}
    pairs = [(ns["ConcatFusion"](dims), mnn.ConcatFusion(dims)),
             (ns["LateFusion"](dims, 3, "mean"), mnn.LateFusion(dims, 3, "mean")),
             (ns["LateFusion"](dims, 3, "product"), mnn.LateFusion(dims, 3, "product")),
             (ns["TensorFusion"](dims, 7), mnn.TensorFusion(dims, 7)),
             (ns["LowRankFusion"](dims, 7, rank=3), mnn.LowRankFusion(dims, 7, rank=3))]
    for ours, theirs in pairs:
        assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
        ours.load_state_dict(theirs.state_dict())
        assert ours.out_dim == theirs.out_dim
        for missing in (None, "text"):
            f = {k: (None if k == missing else v) for k, v in feats.items()}
            assert torch.allclose(ours(f), theirs(f), atol=1e-6), type(theirs).__name__
    assert [repr(m) for m in ns["mlp_head"](5, 3)] == [repr(m) for m in mnn.mlp_head(5, 3)]


def test_chapter7_attention_pieces_match_package():
    from mmfuse_lite.nn import Features
    ns = chapter_namespace("07_attention_fusion.ipynb", extra={"F": torch.nn.functional, "mnn": mnn, "math": __import__("math"),
                                                               "Features": Features})
    g = torch.Generator().manual_seed(0)
    for ours, theirs, args in [(ns["PatchTokens"](), mnn.PatchTokens(), (torch.randn(3, 16, 8, 8, generator=g),)),
                               (ns["PatchTokens"](4, 8, 4), mnn.PatchTokens(4, 8, 4), (torch.randn(2, 4, 4, 4, generator=g),)),
                               (ns["FiLMBlock"](6), mnn.FiLMBlock(6),
                                (torch.randn(2, 6, 5, 5, generator=g), torch.randn(2, 6, generator=g), torch.randn(2, 6, generator=g)))]:
        assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
        ours.load_state_dict(theirs.state_dict())
        a, b = ours(*args), theirs(*args)
        for x, y in ([(a.tokens, b.tokens), (a.vector, b.vector)] if isinstance(a, Features) else [(a, b)]):
            assert torch.allclose(x, y, atol=1e-6)
    for queries in (1, 3):
        ours, theirs = ns["QuestionAttentionFusion"](5, 7, 8, queries), mnn.QuestionAttentionFusion(5, 7, 8, queries)
        ours.load_state_dict(theirs.state_dict())
        feats = {"text": Features(None, None, torch.randn(2, 5, generator=g)),
                 "image": Features(torch.randn(2, 9, 7, generator=g), None, None)}
        assert ours.out_dim == theirs.out_dim
        assert torch.allclose(ours(feats), theirs(feats), atol=1e-6)
        assert torch.allclose(ours.attention, theirs.attention, atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(layers=1), dict(layers=3, heads=2, positions={"text": 9}),
                                    dict(layers=2, positions={"image": 6, "text": 9})])
def test_chapter7_transformer_matches_package(kwargs):
    from mmfuse_lite.nn import Features
    ns = chapter_namespace("07_attention_fusion.ipynb", extra={"F": torch.nn.functional, "mnn": mnn,
                                                               "math": __import__("math"), "Features": Features})
    torch.manual_seed(0)
    dims = {"image": 5, "text": 7}
    ours, theirs = ns["TransformerFusion"](dims, 8, **kwargs).eval(), mnn.TransformerFusion(dims, 8, **kwargs).eval()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    theirs.load_state_dict(ours.state_dict())
    g = torch.Generator().manual_seed(1)
    words = torch.randn(3, 9, 7, generator=g)
    mask = torch.arange(9) < torch.tensor([[4], [9], [6]])
    for feats in ({"image": Features(torch.randn(3, 6, 5, generator=g), None, torch.zeros(3, 5)),
                   "text": Features(words, mask, words.mean(1))},
                  {"image": None, "text": Features(words, mask, words.mean(1))}):      # a missing modality
        assert torch.allclose(ours(feats), theirs(feats), atol=1e-5)


def test_chapter8_clip_pieces_match_package():
    from mmfuse_lite.data import WordTokenizer
    ns = chapter_namespace("08_contrastive_alignment.ipynb", extra={"F": torch.nn.functional, "math": __import__("math")})
    logits = torch.randn(7, 7, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(ns["info_nce"](logits), mnn.info_nce(logits))
    tok = WordTokenizer()
    for temperature, learn in ((0.07, True), (1.0, False)):
        torch.manual_seed(0)
        ours = ns["CLIP"](mnn.GridMLP(16, 8, 12), mnn.TextEncoder(len(tok), 12), 6, temperature, learn)
        torch.manual_seed(0)
        theirs = mnn.CLIP(mnn.GridMLP(16, 8, 12), mnn.TextEncoder(len(tok), 12), 6, temperature, learn)
        assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
        ours.load_state_dict(theirs.state_dict())
        assert ours.logit_scale.requires_grad == theirs.logit_scale.requires_grad == learn
        images, texts = torch.randn(3, 16, 8, 8), tok(["a red circle", "a big blue box at the top", "a disc"])
        assert torch.allclose(ours(images, texts), theirs(images, texts), atol=1e-5)
        with torch.no_grad():
            ours.logit_scale.fill_(9.0)
            theirs.logit_scale.fill_(9.0)
        assert torch.allclose(ours(images, texts), theirs(images, texts), atol=1e-4)   # each forward clips in place
        assert torch.allclose(ours.scale, theirs.scale) and abs(theirs.scale.item() - 100) < 1e-3


def test_chapter8_siamese_matches_package():
    ns = chapter_namespace("08_contrastive_alignment.ipynb", extra={"F": torch.nn.functional, "math": __import__("math")})
    g = torch.Generator().manual_seed(0)
    batch = {k: torch.randn(5, 16, 8, 8, generator=g) for k in "abc"}
    for second in (None, mnn.GridConv(16, 8, 12)):
        torch.manual_seed(0)
        theirs = mnn.Siamese(mnn.GridConv(16, 8, 12), 6, second)
        ours = ns["Siamese"](mnn.GridConv(16, 8, 12), 6, None if second is None else mnn.GridConv(16, 8, 12))
        assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
        ours.load_state_dict(theirs.state_dict())
        assert ours.shared == theirs.shared == (second is None)
        assert torch.allclose(ours(batch["a"], batch["b"]), theirs(batch["a"], batch["b"]), atol=1e-6)
        assert torch.allclose(ns["siamese_loss"](ours, batch)[0], mnn.siamese_loss(theirs, batch)[0], atol=1e-6)
        assert torch.allclose(ns["siamese_loss"](ours, batch, 0.5)[0], mnn.siamese_loss(theirs, batch, 0.5)[0], atol=1e-6)


def test_chapter8_flip_captions_matches_package():
    from mmfuse_lite.data import ShapesWorld
    from mmfuse_lite.data.augment import flip_captions
    ns = chapter_namespace("08_contrastive_alignment.ipynb", extra={"F": torch.nn.functional, "math": __import__("math")})
    captions = list(ShapesWorld("test", n=200, seed=4).captions) + ["the disc, on the left, is right of the box"]
    assert ns["flip_captions"](captions) == flip_captions(captions)
    assert ns["flip_captions"](ns["flip_captions"](captions)) == captions

def test_chapter9_prior_pieces_match_package():
    from mmfuse_lite.nn import prior as P
    ns = chapter_namespace("09_text_to_image.ipynb")
    layout = P.Layout(20, num_codes=7, caption_len=5, grid=3)
    g = torch.Generator().manual_seed(0)
    captions, codes = torch.randint(0, 20, (4, 5), generator=g), torch.randint(0, 7, (4, 3, 3), generator=g)
    assert torch.equal(ns["text_to_image_sequences"](layout, captions, codes),
                       P.text_to_image_sequences(layout, captions, codes))
    scores = torch.randn(3, layout.vocab_size, generator=g)
    for low, high in ((layout.code_offset, layout.vocab_size), (0, layout.text_vocab)):
        assert torch.equal(ns["AllowTokens"](low, high)(None, scores), P.AllowTokens(low, high)(None, scores))


def test_chapter7_multitask_matches_package():
    from mmfuse_lite.nn import multitask as MT
    ns = chapter_namespace("07_attention_fusion.ipynb", extra={"F": torch.nn.functional, "nn": torch.nn})
    tasks = {"colour": 6, "count": 3, "where": 4}
    g = torch.Generator().manual_seed(0)
    batch = {"image": torch.randn(9, 16, 8, 8, generator=g), "text": torch.randint(1, 20, (9, 7), generator=g),
             "label": torch.tensor([0, 5, 2, 1, 0, 2, 3, 1, 0]), "task": torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])}
    torch.manual_seed(0)
    theirs = MT.build_multitask(tasks, 20, width=8, weighting="uncertainty")
    with torch.no_grad():
        theirs.weighting.log_vars.copy_(torch.tensor([0.3, -1.0, 0.5]))
    torch.manual_seed(1)                                      # other weights, then theirs loaded
    fresh = MT.build_multitask(tasks, 20, width=8)
    ours = ns["MultiTaskModel"](dict(fresh.encoders), fresh.fusion, dict(fresh.heads), ns["UncertaintyWeights"](tasks))
    ours.load_state_dict(theirs.state_dict())
    assert ours.tasks == theirs.tasks == list(tasks)
    theirs.train(), ours.train()
    a, b = ours(batch), theirs(batch)
    assert a.keys() == b.keys() and all(torch.allclose(a[t], b[t], atol=1e-6) for t in a)
    (la, ma), (lb, mb) = ns["multitask_loss"](ours, batch), MT.multitask_loss(theirs, batch)
    assert torch.allclose(la, lb, atol=1e-6) and ma == pytest.approx(mb)
    assert ns["UncertaintyWeights"](tasks).weights() == pytest.approx(MT.UncertaintyWeights(tasks).weights())
    only = {k: v[:3] for k, v in batch.items()}              # rows of one task: the others get no logits
    assert set(ours(only)) == set(theirs(only)) == {"colour"}


def test_chapter7_vqa_matches_package():
    from mmfuse_lite.nn import vqa as V
    ns = chapter_namespace("07_attention_fusion.ipynb", extra={"F": torch.nn.functional, "nn": torch.nn,
                                                              "greedy_decode": V.greedy_decode})
    g = torch.Generator().manual_seed(0)
    batch = {"image": torch.randn(6, 16, 8, 8, generator=g), "text": torch.randint(3, 20, (6, 7), generator=g),
             "label": torch.tensor([[1, 5, 2, 0], [1, 7, 9, 2], [1, 4, 2, 0]] * 2), "task": torch.tensor([0, 1, 2] * 2)}
    torch.manual_seed(0)
    theirs = V.build_vqa(20, width=8)
    torch.manual_seed(1)                                      # other weights, then theirs loaded
    fresh = V.build_vqa(20, width=8)
    ours = ns["VQAModel"](dict(fresh.encoders), fresh.fusion, ns["AnswerDecoder"](20, 32))
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    ours.load_state_dict(theirs.state_dict())
    theirs.train(), ours.train()
    assert torch.allclose(ours(batch), theirs(batch), atol=1e-6)
    (la, ma), (lb, mb) = ns["vqa_loss"](ours, batch), V.vqa_loss(theirs, batch)
    assert torch.allclose(la, lb, atol=1e-6) and ma == pytest.approx(mb)
    ours.eval(), theirs.eval()
    assert torch.equal(ours.generate(batch), theirs.generate(batch))


def test_chapter10_sound_tokenizer_and_griffin_lim_match_package():
    from mmfuse_lite.nn import sound_vq as S
    from mmfuse_lite.nn.quantize import VectorQuantizer
    import torch.nn.functional as F
    ns = chapter_namespace("10_sound_and_motion.ipynb",
                           {"VectorQuantizer": VectorQuantizer, "F": F, "BINS": S.BINS, "FRAMES": S.FRAMES,
                            "HOP": S.HOP, "N_FFT": S.N_FFT})
    for kwargs in (dict(), dict(num_codes=16, dim=4, width=8)):
        ours, theirs = ns["SoundVQ"](**kwargs).eval(), S.SoundVQ(**kwargs).eval()
        assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
        ours.load_state_dict(theirs.state_dict())
        spec = torch.rand(3, S.BINS, S.FRAMES)
        with torch.no_grad():
            (a, va), (b, vb) = ours(spec), theirs(spec)
        assert torch.equal(a, b) and torch.equal(va.indices, vb.indices)
    spec = torch.rand(2, S.BINS, S.FRAMES) * 3
    for iters in (0, 5):
        assert torch.equal(ns["griffin_lim"](spec, iters=iters, seed=1), S.griffin_lim(spec, iters=iters, seed=1))


def test_chapter10_temporal_transformer_matches_package():
    from mmfuse_lite.nn.temporal import TemporalTransformer
    ns = chapter_namespace("10_sound_and_motion.ipynb", {"VectorQuantizer": None, "F": None, "BINS": 129, "FRAMES": 24,
                                                         "HOP": 125, "N_FFT": 256})
    for kwargs in (dict(), dict(dim=16, frames=4, layers=1, heads=2)):
        torch.manual_seed(0)
        ours = ns["TemporalTransformer"](**kwargs).eval()
        theirs = TemporalTransformer(**kwargs).eval()
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(3, kwargs.get("frames", 8), kwargs.get("dim", 64))
        with torch.no_grad():
            assert torch.equal(ours(x), theirs(x))


def test_chapter10_write_captions_matches_package():
    from mmfuse_lite.nn import temporal as TM
    ns = chapter_namespace("10_sound_and_motion.ipynb", {"VectorQuantizer": None, "F": torch.nn.functional,
                                                         "BINS": 129, "FRAMES": 24,
                                                         "HOP": 125, "N_FFT": 256})
    torch.manual_seed(0)
    model = TM.ClipCaptioner(torch.randn(32, 6), vocab_size=9, max_words=6, dim=16, layers=1, heads=2)
    codes = torch.randint(0, 32, (7, 8, 8, 8))
    first = TM.write_captions(model, codes, bos_id=1, eos_id=0)
    eos = int(first[0, 2])                  # a word the model writes early: as <eos>, some captions end there
    ours = ns["write_captions"](model, codes, bos_id=1, eos_id=eos, batch_size=3)
    theirs = TM.write_captions(model, codes, bos_id=1, eos_id=eos, batch_size=3)
    assert torch.equal(ours, theirs) and ours.shape == (7, 6)
    assert (ours == eos)[:, 1:-1].any(), "the early-stop branch ran"


def test_chapter6_colour_check_matches_package():
    import re

    import numpy as np

    from mmfuse_lite.data import COLOURS, ShapesWorld, WordTokenizer, spectrogram
    from mmfuse_lite.nn.multimodal import colour_check_data
    vqgan = mnn.load_vqgan()
    ns = chapter_namespace("06_fusion_strategies.ipynb", extra={
        "F": torch.nn.functional, "np": np, "re": re, "COLOURS": COLOURS, "spectrogram": spectrogram,
        "mnn": mnn, "tokenizer": WordTokenizer(), "vqgan": vqgan})
    world = ShapesWorld("val", n=40, seed=3, max_objects=1)
    ours, theirs = ns["colour_check"](world, 5), colour_check_data(world, 5, vqgan)
    assert ours.keys() == theirs.keys()
    for k in ours:
        assert torch.equal(ours[k], theirs[k]), k
