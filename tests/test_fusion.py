"""Encoders, fusion modules and the (encoders, fusion, head) composition of chapters 6-7."""
import pytest
import torch
import torch.nn.functional as F

import mmfuse_lite.nn as mnn
from mmfuse_lite.data import Batches, ShapesWorld, WordTokenizer, spectrogram, task_tensors
from mmfuse_lite.nn import Features

TOK = WordTokenizer()
B = 5


def batch(image_shape=(16, 8), sound=False):
    g = torch.Generator().manual_seed(0)
    out = {"image": torch.rand(B, image_shape[0], image_shape[1], image_shape[1], generator=g),
           "text": TOK(["a red circle", "a big blue box on the left", "a tiny green disc",
                        "there is a purple diamond", "a yellow triangle at the top"]),
           "label": torch.tensor([0, 1, 0, 1, 1])}
    if sound:
        out["sound"] = torch.randn(B, 3000, generator=g) * 0.1
    return out


@pytest.mark.parametrize("strategy", mnn.STRATEGIES)
@pytest.mark.parametrize("image_shape", [(16, 8), (3, 32)])
def test_every_strategy_gives_logits(strategy, image_shape):
    torch.manual_seed(0)
    model = mnn.build_model(strategy, ("image", "text"), 2, len(TOK), image_shape=image_shape).eval()
    logits = model(batch(image_shape))
    assert logits.shape == (B, 2) and torch.isfinite(logits).all()
    loss = F.cross_entropy(model.train()(batch(image_shape)), batch(image_shape)["label"])
    loss.backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if "encoders" in n and "pos" not in n)


@pytest.mark.parametrize("strategy", ["intermediate", "late-mean", "late-product", "tensor", "low-rank",
                                      "transformer"])
def test_three_modalities_and_missing_ones(strategy):
    torch.manual_seed(0)
    model = mnn.build_model(strategy, ("image", "text", "sound"), 3, len(TOK), image_shape=(16, 8)).eval()
    full = batch(sound=True)
    assert model(full).shape == (B, 3)
    for drop in ("image", "text", "sound"):
        out = model({k: (None if k == drop else v) for k, v in full.items()})
        assert out.shape == (B, 3) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match="none of this model's modalities"):
        model({"label": full["label"]})


@pytest.mark.parametrize("strategy", ["early", "film", "cross-attention"])
def test_strategies_that_need_the_image_refuse_clearly(strategy):
    model = mnn.build_model(strategy, ("image", "text"), 2, len(TOK), image_shape=(16, 8)).eval()
    with pytest.raises(ValueError, match="needs the 'image' modality, but it is missing"):
        model({"text": batch()["text"]})


def test_film_without_text_is_the_identity_modulation():
    torch.manual_seed(0)
    fusion = mnn.FiLMFusion(8, 4, blocks=2).eval()
    with torch.no_grad():
        fusion.film.weight.normal_()
    image = Features(torch.randn(3, 16, 8), None, torch.randn(3, 8))
    zero_text = Features(torch.zeros(3, 2, 4), None, torch.zeros(3, 4))
    fusion.film.bias.data.zero_()
    assert torch.allclose(fusion({"image": image, "text": None}), fusion({"image": image, "text": zero_text}))


def test_bad_inputs_get_clear_errors():
    model = mnn.build_model("intermediate", ("image", "text"), 2, len(TOK), image_shape=(16, 8))
    with pytest.raises(TypeError, match="expected a dict"):
        model(torch.rand(2, 16, 8, 8))
    with pytest.raises(ValueError, match="LongTensor"):
        model({"image": torch.rand(2, 16, 8, 8), "text": torch.rand(2, 5)})
    with pytest.raises(ValueError, match="16 channels"):
        model({"image": torch.rand(2, 3, 8, 8), "text": batch()["text"][:2]})
    with pytest.raises(ValueError, match="unknown strategy"):
        mnn.build_model("sum", ("image", "text"), 2, len(TOK))
    with pytest.raises(ValueError, match="exactly image and text"):
        mnn.build_model("film", ("image", "sound"), 2, len(TOK))
    with pytest.raises(ValueError, match="waveforms"):
        mnn.SoundEncoder()(torch.rand(2, 7, 10))
    fusion = mnn.ConcatFusion({"image": 4})
    with pytest.raises(ValueError, match="built for modalities"):
        fusion({"image": Features(torch.zeros(1, 1, 4), None, torch.zeros(1, 4)),
                "text": Features(torch.zeros(1, 1, 4), None, torch.zeros(1, 4))})


@pytest.mark.parametrize("dims", [{"a": 3, "b": 5}, {"a": 2, "b": 3, "c": 4}])
def test_low_rank_is_tensor_fusion_with_a_factorised_weight(dims):
    torch.manual_seed(0)
    low, full = mnn.LowRankFusion(dims, 6, rank=3), mnn.TensorFusion(dims, 6)
    letters = "ijk"[:len(dims)]
    spec = ",".join(f"r{c}o" for c in letters) + "->" + letters + "o"
    with torch.no_grad():
        w = torch.einsum(spec, *low.factors.values())
        full.proj.weight.copy_(w.reshape(-1, 6).T)
        full.proj.bias.copy_(low.bias)
    feats = {k: Features(torch.zeros(4, 1, d), None, torch.randn(4, d)) for k, d in dims.items()}
    assert torch.allclose(low(feats), full(feats), atol=1e-5)
    feats["a"] = None                               # a missing modality reads as zeros in both
    assert torch.allclose(low(feats), full(feats), atol=1e-5)


def test_late_fusion_mean_and_product_of_experts():
    torch.manual_seed(0)
    late = mnn.LateFusion({"a": 4, "b": 4}, 3, "product")
    feats = {k: Features(torch.zeros(2, 1, 4), None, torch.randn(2, 4)) for k in "ab"}
    per = late.per_modality(feats)
    expected = F.log_softmax(per["a"], -1) + F.log_softmax(per["b"], -1)
    assert torch.allclose(late(feats), expected)
    late.combine = "mean"
    assert torch.allclose(late(feats), (per["a"] + per["b"]) / 2)
    assert torch.allclose(late({"a": feats["a"], "b": None}), per["a"])
    with pytest.raises(ValueError, match="combine"):
        mnn.LateFusion({"a": 4}, 3, "max")


def test_cross_attention_ignores_masked_tokens_and_keeps_maps():
    torch.manual_seed(0)
    fusion = mnn.CrossAttentionFusion(4, 6, dim=8, heads=2, layers=2).eval()
    q = Features(torch.randn(2, 3, 4), torch.tensor([[1, 1, 0], [1, 1, 1]]).bool(), torch.zeros(2, 4))
    ctx = torch.randn(2, 5, 6)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]).bool()
    out = fusion({"text": q, "image": Features(ctx, mask, ctx.mean(1))})
    changed = ctx.clone()
    changed[0, 3:] = 100.0                           # masked context tokens: no effect
    out2 = fusion({"text": q, "image": Features(changed, mask, ctx.mean(1))})
    assert torch.allclose(out, out2, atol=1e-5)
    assert len(fusion.attention) == 2 and fusion.attention[0].shape == (2, 2, 3, 5)
    assert torch.allclose(fusion.attention[0].sum(-1), torch.ones(2, 2, 3))
    assert fusion.attention[0][0, :, :, 3:].abs().max() == 0


def test_transformer_attention_maps_walk_the_same_layers_as_forward():
    torch.manual_seed(0)
    fusion = mnn.TransformerFusion({"image": 4, "text": 4}, dim=8, heads=2, layers=3, positions={"text": 6}).eval()
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]]).bool()
    feats = {"image": Features(torch.randn(2, 5, 4), None, torch.zeros(2, 4)),
             "text": Features(torch.randn(2, 4, 4), mask, torch.zeros(2, 4))}
    x, maps, spans = fusion._walk(feats)
    assert torch.allclose(fusion.norm(x[:, 0]), fusion(feats), atol=1e-5)
    assert spans == [("image", 5), ("text", 4)] and len(maps) == 3 and maps[0].shape == (2, 2, 10, 10)
    assert torch.allclose(maps[0].sum(-1), torch.ones(2, 2, 10), atol=1e-5)
    assert maps[0][0, :, :, 8:].abs().max() == 0                   # padded words get no attention
    # the learned positions matter: the same words in another order give another output
    flipped = {"image": feats["image"], "text": Features(feats["text"].tokens.flip(1), None, torch.zeros(2, 4))}
    plain = {"image": feats["image"], "text": Features(feats["text"].tokens, None, torch.zeros(2, 4))}
    assert not torch.allclose(fusion(flipped), fusion(plain), atol=1e-4)
    no_pos = mnn.TransformerFusion({"image": 4, "text": 4}, dim=8, heads=2).eval()
    assert len(no_pos.position) == 0 and sum(p.numel() for p in fusion.position.parameters()) == 6 * 8


def test_transformer_fusion_ignores_padding_and_uses_modality_embeddings():
    torch.manual_seed(0)
    fusion = mnn.TransformerFusion({"image": 4, "text": 4}, dim=8, heads=2).eval()
    image = Features(torch.randn(2, 3, 4), None, torch.zeros(2, 4))
    tokens = torch.randn(2, 4, 4)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]]).bool()
    out = fusion({"image": image, "text": Features(tokens, mask, tokens.mean(1))})
    tokens2 = tokens.clone()
    tokens2[0, 2:] = 50.0
    out2 = fusion({"image": image, "text": Features(tokens2, mask, tokens.mean(1))})
    assert torch.allclose(out, out2, atol=1e-5)
    # the same tokens as the other modality give a different result: the modality embedding tells them apart
    swapped = fusion({"image": Features(tokens[:, :3], None, tokens[:, 0]), "text": Features(image.tokens, None, image.vector)})
    assert not torch.allclose(swapped, fusion({"image": image, "text": Features(tokens[:, :3], None, tokens[:, 0])}))


def test_text_encoder_is_padding_invariant():
    torch.manual_seed(0)
    for enc in (mnn.TextEncoder(len(TOK), 8), mnn.BagOfWords(len(TOK), 8)):
        alone = enc(TOK(["a red circle"])).vector
        padded = enc(TOK(["a red circle", "there is a big blue box at the top left"])).vector[:1]
        assert torch.allclose(alone, padded, atol=1e-6)
    with pytest.raises(ValueError, match="even"):
        mnn.TextEncoder(10, 7)


def test_sound_encoder_takes_waves_or_spectrograms():
    torch.manual_seed(0)
    enc = mnn.SoundEncoder(8).eval()
    waves = 0.1 * torch.randn(3, 3000)
    a, b = enc(waves), enc(spectrogram(waves))
    assert torch.allclose(a.vector, b.vector, atol=1e-5) and a.tokens.shape == (3, 12, 8)


def test_modality_dropout_drops_only_in_training():
    seen = []

    class Spy(torch.nn.Module):
        out_dim = 4

        def forward(self, feats):
            n = next(f.vector.shape[0] for f in feats.values() if f is not None)
            seen.append((tuple(k for k, v in feats.items() if v is None), n))
            return torch.zeros(n, 4)

    encoders = {"image": mnn.GridTokens(16), "text": mnn.BagOfWords(len(TOK), 4)}
    model = mnn.MultimodalModel(encoders, Spy(), torch.nn.Linear(4, 2), modality_dropout=0.5)
    torch.manual_seed(0)
    for _ in range(200):
        assert model.train()(batch()).shape == (B, 2)
    lost = {k: sum(n for s, n in seen if s == k) for k in ((), ("image",), ("text",))}
    assert sum(lost.values()) == 200 * B and all(len(s) <= 1 for s, _ in seen), "at most one modality per sample"
    assert 0.4 < (lost["image",] + lost["text",]) / (200 * B) < 0.6          # a fraction p of the samples
    assert abs(lost["image",] - lost["text",]) < 0.2 * 200 * B
    seen.clear()
    for _ in range(20):
        model.eval()(batch())
    assert not any(s for s, _ in seen)
    with pytest.raises(ValueError, match="modality_dropout"):
        mnn.MultimodalModel(encoders, Spy(), torch.nn.Identity(), modality_dropout=1.0)


class _Linear(torch.nn.Module):
    """An encoder without batch statistics: train and eval mode compute the same features."""

    def __init__(self, d_in, dim):
        super().__init__()
        self.lin, self.dim = torch.nn.Linear(d_in, dim), dim

    def forward(self, x):
        v = self.lin(x)
        return Features(torch.stack([v, -v], 1), None, v)


@pytest.mark.parametrize("fusion", ["concat", "late-mean", "late-product", "transformer"])
def test_modality_dropout_is_per_sample_and_looks_like_a_missing_modality(fusion):
    # ModDrop: within one batch some samples lose the image, others the text, the rest
    # keep both; a dropped sample gets exactly the output it would get with that
    # modality missing at test time (zeros for concat, left out for late and transformer)
    torch.manual_seed(0)
    dims = {"image": 6, "text": 6}
    module = {"concat": lambda: mnn.ConcatFusion(dims), "late-mean": lambda: mnn.LateFusion(dims, 3, "mean"),
              "late-product": lambda: mnn.LateFusion(dims, 3, "product"),
              "transformer": lambda: mnn.TransformerFusion(dims, 8, layers=1)}[fusion]()
    head = torch.nn.Identity() if fusion.startswith("late") else torch.nn.Linear(module.out_dim, 3)
    model = mnn.MultimodalModel({"image": _Linear(5, 6), "text": _Linear(4, 6)}, module, head, modality_dropout=0.6)
    g = torch.Generator().manual_seed(1)
    data = {"image": torch.randn(64, 5, generator=g), "text": torch.randn(64, 4, generator=g)}
    out = model.train()(data)
    out.sum().backward()                                               # differentiable through the regrouping
    model.eval()
    with torch.no_grad():
        cases = {"both": model(data), "no image": model({"text": data["text"]}),
                 "no text": model({"image": data["image"]})}
    match = {k: torch.isclose(out.detach(), v, atol=1e-5).all(1) for k, v in cases.items()}
    assert (sum(m.int() for m in match.values()) >= 1).all(), "every row is one of the three cases"
    counts = {k: int(m.sum()) for k, m in match.items()}
    assert all(n >= 10 for n in counts.values()), counts               # all three within one batch


def test_task_tensors_and_batches():
    world = ShapesWorld("train", n=60, seed=0)
    data = task_tensors(world, "query", ("image", "text", "sound"))
    n = len(data["label"])
    assert data["image"].shape == (n, 3, 32, 32) and data["sound"].shape == (n, 3000)
    assert (data["text"] != 0).any(0).all(), "no all-padding columns"
    raw = task_tensors(world, "query", ("text",), raw_text=True)
    assert isinstance(raw["text"], list) and len(raw["text"]) == n
    batches = Batches({**raw, "image": data["image"]}, batch_size=7, seed=1)
    first = torch.cat([b["index"] for b in batches])
    second = torch.cat([b["index"] for b in batches])
    assert sorted(first.tolist()) == sorted(data["index"].tolist()) and not torch.equal(first, second)
    assert len(batches) == -(-n // 7)
    b = next(iter(batches))
    assert len(b["text"]) == len(b["label"]) == 7
    with pytest.raises(ValueError, match="same length"):
        Batches({"a": torch.zeros(3), "b": torch.zeros(4)})


def test_vq_latents_match_the_shipped_vqgan():
    images = torch.from_numpy(ShapesWorld("test", n=4, seed=0).images).float() / 255
    z = mnn.vq_latents(images)
    assert z.shape == (4, 16, 8, 8)
    with pytest.raises(TypeError, match="floating point"):
        mnn.vq_latents(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))


def test_pretrained_text_encoder_offline_mean_pooling():
    enc = mnn.PretrainedTextEncoder()
    assert not any(p.requires_grad for p in enc.parameters())
    f = enc(["a red circle", "a large blue square at the top left"])
    assert f.tokens.shape[0] == 2 and f.vector.shape == (2, 384)
    manual = (f.tokens * f.mask[..., None]).sum(1) / f.mask.sum(1, keepdim=True)
    assert torch.allclose(f.vector, manual, atol=1e-5)
    alone = enc(["a red circle"]).vector
    assert torch.allclose(alone, f.vector[:1], atol=1e-4), "padding must not change the sentence vector"
    enc.train()
    assert not enc.model.training, "a frozen encoder keeps dropout off"
    with pytest.raises(TypeError, match="list of strings"):
        enc(TOK(["a red circle"]))
    assert enc.embed(["a", "b", "c"], batch_size=2, progress=False).shape == (3, 384)


def test_patch_tokens_know_where_they_are():
    pos = mnn.sincos_2d(8, 32)
    assert pos.shape == (64, 32)
    sim = F.cosine_similarity(pos[:1], pos, dim=1)
    assert sim[1] > sim[63] and sim[8] > sim[63]            # neighbours in x and in y are closer than corners
    with pytest.raises(ValueError, match="divisible by 4"):
        mnn.sincos_2d(8, 30)
    enc = mnn.PatchTokens(16, 32, 8)
    grid = torch.zeros(2, 16, 8, 8)
    f = enc(grid)
    assert f.tokens.shape == (2, 64, 32) and f.vector.shape == (2, 32)
    assert not torch.allclose(f.tokens[0, 0], f.tokens[0, 63])   # same content, different places
    assert "pos" not in enc.state_dict()                         # fixed codes are not weights
    with pytest.raises(ValueError, match="8 x 8 grid"):
        enc(torch.zeros(2, 16, 4, 4))
    with pytest.raises(ValueError):
        enc(torch.zeros(2, 3, 8, 8))


def test_question_attention_retrieves_per_query_and_refuses_missing_inputs():
    torch.manual_seed(0)
    fusion = mnn.QuestionAttentionFusion(6, 8, dim=4, queries=3)
    q = Features(None, None, torch.randn(2, 6))
    ctx = torch.randn(2, 5, 8)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]).bool()
    out = fusion({"text": q, "image": Features(ctx, mask, None)})
    assert out.shape == (2, fusion.out_dim) == (2, 3 * 4 + 6)
    assert fusion.attention.shape == (2, 3, 5)
    assert torch.allclose(fusion.attention.sum(-1), torch.ones(2, 3))
    assert fusion.attention[0, :, 3:].abs().max() == 0         # masked patches get no attention
    with pytest.raises(ValueError, match="image"):
        fusion({"text": q, "image": None})
    with pytest.raises(ValueError, match="queries"):
        mnn.QuestionAttentionFusion(6, 8, queries=0)
    model = mnn.MultimodalModel({"image": mnn.PatchTokens(16, 32, 8), "text": mnn.TextEncoder(len(TOK), 32)},
                                mnn.QuestionAttentionFusion(32, 32), mnn.mlp_head(2 * 32 + 32, 4))
    assert model(batch()).shape == (B, 4)
