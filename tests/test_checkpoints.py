"""Every shipped checkpoint reloads and still scores what its card says."""
import functools
import json
import pathlib

import pytest

import mmfuse_lite.nn as mnn
from mmfuse_lite import checkpoints
from mmfuse_lite.data import ShapesWorld, image_tensor
from mmfuse_lite.metrics import reconstruction_report
from mmfuse_lite.nn.perceptual import attribute_accuracy, attribute_targets, load_feature_net

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.stem for p in (ROOT / "data" / "checkpoints").glob("*.safetensors"))


def test_the_expected_checkpoints_are_shipped_with_cards():
    assert {"shapes_features", "shapes_judge", "vqgan_shapes", "vqgan_512", "prior_image", "prior_text",
            "fusion_caption_film", "fusion_caption_late", "fusion_caption_image", "fusion_caption_text",
            "fusion_where_concatenation", "fusion_where_film", "fusion_where_attention", "clip_shapes",
            "vae_beta1", "vae_beta4", "vae_beta16", "vae_beta64", "cvae",
            "fusion_hop_concatenation", "fusion_hop_film", "fusion_hop_attention", "fusion_hop_transformer",
            "vqa_seen", "vqa_all", *MULTITASK, *PAIR_MODELS} <= set(SHIPPED)
    for name in SHIPPED:
        card = json.loads((ROOT / "data" / "checkpoints" / f"{name}.json").read_text())
        assert card["command"].startswith("python scripts/") and card["metrics"] and card["config"]
        assert (ROOT / card["command"].split()[1]).exists(), f"{name}: the script on its card does not exist"
        size = (ROOT / "data" / "checkpoints" / f"{name}.safetensors").stat().st_size
        assert size < 5 * 2**20, f"{name} is {size / 2**20:.1f} MiB; shipped checkpoints must stay small"


@pytest.mark.parametrize("name", ["shapes_features", "shapes_judge"])
def test_feature_nets_reload_and_rescore(name):
    card = checkpoints.load_card(checkpoints.shipped(name))
    net = load_feature_net(name)
    test = ShapesWorld("test", n=2000, seed=0)
    acc = attribute_accuracy(net, image_tensor(test), attribute_targets(test.scenes))
    assert acc == pytest.approx(card["metrics"]["attribute_accuracy"], abs=2e-3)


def test_vqgan_checkpoint_reloads_and_rescores():
    path = checkpoints.shipped("vqgan_shapes")
    card = checkpoints.load_card(path)
    model = mnn.VQVAE(**card["config"])
    checkpoints.load(model, path)
    report = reconstruction_report(model, image_tensor(ShapesWorld("test", n=1000, seed=0)),
                                   load_feature_net("shapes_judge"))
    for key, value in report.items():
        assert value == pytest.approx(card["metrics"][key], rel=0.02, abs=1e-3), key



@pytest.mark.parametrize("name", ["pair_vqvae", "pair_vqgan", "vqgan_512"])
def test_vq_pair_checkpoints_reload_and_rescore(name):
    """Chapter 5's converged pair and chapter 9's tokenizer (scripts/train_vq_pair.py): every card
    metric, measured again."""
    from mmfuse_lite.metrics import vq_report
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    model = mnn.VQVAE(**card["config"])
    checkpoints.load(model, path)
    got = {}
    for split, prefix in (("test", ""), ("val", "val_")):
        report = vq_report(model, image_tensor(ShapesWorld(split, n=1000, seed=0)), load_feature_net("shapes_judge"))
        got.update({prefix + k: v for k, v in report.items()})
    assert set(got) == set(card["metrics"])
    for key, value in got.items():
        assert value == pytest.approx(card["metrics"][key], rel=0.02, abs=1e-3), key


def test_converged_vq_pair_scores_what_chapter_5_asserts():
    """Issue 17's target for chapters 3 and 5, at one code rate: usage >= 95 % for both and the
    VQGAN's Fréchet distance at most half the VQ-VAE's (met, on val and test); PSNR within 1 dB
    of each other is NOT met (1.5 dB: the VQGAN draws noise of its own, chapter 5.9)."""
    v, g = (checkpoints.load_card(checkpoints.shipped(n))["metrics"] for n in ("pair_vqvae", "pair_vqgan"))
    for prefix in ("", "val_"):
        assert min(v[prefix + "usage"], g[prefix + "usage"]) >= 0.95
        assert g[prefix + "frechet"] <= 0.5 * v[prefix + "frechet"]
        assert g[prefix + "sharpness"] >= v[prefix + "sharpness"] + 0.05
    assert v["psnr"] - g["psnr"] < 2.0

def test_shipped_path_explains_a_missing_checkpoint(monkeypatch, tmp_path):
    monkeypatch.setenv("MMFUSE_OFFLINE", "1")
    monkeypatch.setattr(pathlib.Path, "home", lambda: tmp_path)
    monkeypatch.setattr(checkpoints, "_SHIPPED", tmp_path / "not_a_clone")     # as on Colab: no data/
    with pytest.raises(FileNotFoundError, match="cannot be reached"):
        checkpoints.shipped("vqgan_shapes")
    with pytest.raises(ValueError, match="unknown shipped checkpoint 'no_such_checkpoint'.*vqgan_shapes"):
        checkpoints.shipped("no_such_checkpoint")


def test_every_shipped_file_has_its_sha256_pinned():
    """A retrained checkpoint must update its pin, or Colab's download would be refused."""
    files = sorted(p.name for p in (ROOT / "data" / "checkpoints").iterdir() if p.suffix in (".json", ".safetensors"))
    assert sorted(checkpoints.SHIPPED_SHA256) == files
    for name in files:
        assert checkpoints.sha256(ROOT / "data" / "checkpoints" / name) == checkpoints.SHIPPED_SHA256[name], (
            f"{name} changed: update mmfuse_lite.checkpoints.SHIPPED_SHA256")


def test_checkpoint_weights_are_safetensors_not_pickles():
    for name in SHIPPED:
        data = (ROOT / "data" / "checkpoints" / f"{name}.safetensors").read_bytes()
        header_len = int.from_bytes(data[:8], "little")
        assert 0 < header_len < 10**6                      # safetensors: 8-byte header length, then JSON
        header = json.loads(data[8:8 + header_len])        # a pickle or a torch zip would not parse
        assert all("dtype" in v for k, v in header.items() if k != "__metadata__")
        assert not data.startswith(b"PK")                 # torch.save's zip archive


@pytest.mark.parametrize("target", ["image", "text"])
def test_priors_reload_and_rescore(target):
    """Every metric on a prior's card, measured again by mmfuse_lite.judging (sampling is seeded)."""
    from mmfuse_lite import judging
    from mmfuse_lite.data import WordTokenizer
    from mmfuse_lite.nn import prior as P
    card = checkpoints.load_card(checkpoints.shipped(f"prior_{target}"))
    model, layout = P.load_prior(target)
    vqgan, n = mnn.load_vqgan(card["config"]["vqgan"]), card["metrics"]["eval_scenes"]
    card = card["metrics"]
    if target == "image":
        got = judging.text_to_image_report(model, layout, vqgan, load_feature_net("shapes_judge"), WordTokenizer(), n=n)
    else:
        got = judging.captioner_report(model, layout, vqgan, WordTokenizer(), n=n)
    assert set(got) <= set(card)
    for key, value in got.items():             # a token may flip with the thread count: 1% of the scenes
        assert value == pytest.approx(card[key], abs=0.01), key


def test_converged_priors_score_what_chapter_9_says():
    """Issue 17's targets for chapter 9, on the cards (seed 0, 500 scenes): guided colour >= 0.95,
    held-out red triangles red and triangular >= 0.60 (0.61: met, without room), captioner colour,
    size and position >= 0.95 are met; guided shape >= 0.90 is NOT (0.87; vqgan_512's own ceiling is
    0.92) and captioner shape >= 0.95 is NOT (0.86)."""
    img = checkpoints.load_card(checkpoints.shipped("prior_image"))["metrics"]
    txt = checkpoints.load_card(checkpoints.shipped("prior_text"))["metrics"]
    assert img["test_colour_guided"] >= 0.95 and img["heldout_both"] >= 0.60
    assert img["test_shape_guided"] >= max(0.80, img["test_shape_plain"] + 0.10)
    assert min(txt["test_colour"], txt["test_size"], txt["test_position"]) >= 0.95 and txt["test_shape"] >= 0.80


FUSION = [n for n in SHIPPED if n.startswith("fusion_caption_")]


@functools.lru_cache(maxsize=None)
def caption_matching(split, n):
    from mmfuse_lite.nn.multimodal import caption_matching_data
    return caption_matching_data(split, n, seed=0)


def test_converged_fusion_meets_chapter_6s_target():
    """Issue 17's target: fusion >= 0.95 on caption matching, each modality alone and late fusion <= 0.55."""
    acc = {n.removeprefix("fusion_caption_"): checkpoints.load_card(checkpoints.shipped(n))["metrics"]["test_accuracy"]
           for n in FUSION}
    assert acc["film"] >= 0.95
    assert max(acc["image"], acc["text"], acc["late"]) <= 0.55


WHERE = [n for n in SHIPPED if n.startswith("fusion_where_")]
HOP = [n for n in SHIPPED if n.startswith("fusion_hop_")]


@functools.lru_cache(maxsize=None)
def questions(task, split, n):
    from mmfuse_lite.nn.multimodal import question_data
    data = question_data(task, split, n, seed=0)
    return {k: data[k] for k in ("image", "text", "label")}


# each fusion card's task: its val and test data, at the sizes its script scored
CARD_DATA = {"fusion_caption_": (caption_matching, 1000, 2000),
             "fusion_where_": (functools.partial(questions, "where"), 2000, 4000),
             "fusion_hop_": (functools.partial(questions, "hop"), 2000, 4000)}


@pytest.mark.parametrize("name", FUSION + WHERE + HOP)
def test_fusion_checkpoints_reload_and_rescore(name):
    from mmfuse_lite.nn.multimodal import load_fusion
    data, n_val, n_test = next(v for k, v in CARD_DATA.items() if name.startswith(k))
    model, card = load_fusion(name)
    for split, n in (("val", n_val), ("test", n_test)):
        acc = mnn.evaluate(model, data(split, n))
        assert acc == pytest.approx(card["metrics"][f"{split}_accuracy"], abs=1e-3), split
    for key in ("steps", "batch_size", "scenes", "train_seconds"):
        assert card["metrics"][key] > 0, key


def test_converged_where_models_meet_chapter_7s_target():
    """Issue 17's target: attention >= 0.97 on the where-questions, concatenation <= 0.60."""
    acc = {n.removeprefix("fusion_where_"): checkpoints.load_card(checkpoints.shipped(n))["metrics"]["test_accuracy"]
           for n in WHERE}
    assert acc["attention"] >= 0.97 and acc["concatenation"] <= 0.60


def test_converged_where_transformer_says_how_it_started():
    """Chapter 7, section 7.6: the where-transformer left the words-alone plateau only from
    the two-hop transformer's weights; its card must say so, and it answers like attention."""
    card = checkpoints.load_card(checkpoints.shipped("fusion_where_transformer"))
    assert card["metrics"]["init"] == "fusion_hop_transformer" and "--init fusion_hop_transformer" in card["command"]
    assert card["metrics"]["test_accuracy"] >= 0.97


SIAMESE = ["siamese_scenes", "siamese_scenes_untied"]


@functools.lru_cache(maxsize=None)
def twin_pairs(split, n):
    from mmfuse_lite.nn.siamese import scene_pair_latents
    return scene_pair_latents(split, n, seed=0)


def test_siamese_checkpoints_reload_and_rescore():
    from mmfuse_lite.nn.siamese import load_siamese, verification_scores
    (val, _), (test, pairs) = twin_pairs("val", 2000), twin_pairs("test", 4000)
    scores = {}
    for name in SIAMESE:
        model, card = load_siamese(name)
        scores[name] = verification_scores(model, val, test, pairs["change"])
        for key, value in scores[name].items():
            assert value == pytest.approx(card["metrics"][f"test_{key}"], abs=2e-3), (name, key)
        assert card["config"]["shared"] == (name == "siamese_scenes")
    # chapter 8, section 8.9: one encoder does at least as well as two, and only it is symmetric
    shared, untied = scores["siamese_scenes"], scores["siamese_scenes_untied"]
    assert shared["accuracy"] >= untied["accuracy"] - 0.01 and shared["accuracy"] >= 0.9
    assert shared["asymmetry"] < 1e-5 and untied["asymmetry"] > 0.01


def test_converged_two_hop_models_order_as_chapter_7_says():
    """Chapter 7, section 7.6: at one budget the transformer answers the two-hop questions,
    FiLM is far behind, attention and concatenation barely beat a guess between two objects."""
    acc = {n.removeprefix("fusion_hop_"): checkpoints.load_card(checkpoints.shipped(n))["metrics"] for n in HOP}
    assert {m["steps"] for m in acc.values()} == {10000}, "the chapter compares them at one budget"
    test = {k: m["test_accuracy"] for k, m in acc.items()}
    assert test["transformer"] >= 0.97 and test["transformer"] >= test["film"] + 0.08
    assert test["film"] >= test["attention"] + 0.1 and test["attention"] <= 0.72 and test["concatenation"] <= 0.58


@functools.lru_cache(maxsize=None)
def caption_pairs(split, n):
    from mmfuse_lite.nn.contrastive import caption_pairs
    return caption_pairs(split, n, seed=0)


def test_clip_checkpoint_reloads_and_rescores():
    from mmfuse_lite.data import WordTokenizer
    from mmfuse_lite.nn.contrastive import alignment_scores, load_clip
    model, card = load_clip()
    for split in ("val", "test"):
        world, data = caption_pairs(split, 2000)
        for key, value in alignment_scores(model, world, data, WordTokenizer()).items():
            assert value == pytest.approx(card["metrics"][f"{split}_{key}"], abs=2e-3), (split, key)
    for key in ("steps", "batch_size", "pairs", "train_seconds"):
        assert card["metrics"][key] > 0, key


def test_converged_clip_scores_what_chapter_8_asserts():
    """Chapter 8's asserts on the shipped model (multi-positive InfoNCE). Issue 17's target: semantic
    R@1 >= 0.90 is met (0.915 / 0.928 among 2,000 test pairs), zero-shot >= 0.90 on colour, size
    and position too; zero-shot shape is NOT (0.89 at seed 0, 0.83-0.90 over seeds); the chapter says so."""
    m = checkpoints.load_card(checkpoints.shipped("clip_shapes"))["metrics"]
    for split in ("val", "test"):
        assert min(m[f"{split}_semantic_r1_i2t"], m[f"{split}_semantic_r1_t2i"]) >= 0.90
        assert min(m[f"{split}_zero_shot_{a}"] for a in ("colour", "size", "position")) >= 0.90
        assert m[f"{split}_zero_shot_shape"] >= 0.80


AUTOENCODERS = [n for n in SHIPPED if n.startswith("autoencoder_c")]


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_autoencoder_checkpoints_reload_and_rescore(name):
    """Chapter 2's converged autoencoders (scripts/train_autoencoder.py): PSNR against the noisy images."""
    from mmfuse_lite.metrics import evaluate_psnr
    card = checkpoints.load_card(checkpoints.shipped(name))
    model = mnn.Autoencoder(**card["config"])
    checkpoints.load(model, checkpoints.shipped(name))
    for split, n in (("val", 1000), ("test", 2000)):
        got = evaluate_psnr(model, image_tensor(ShapesWorld(split, n=n, seed=0)))
        assert got == pytest.approx(card["metrics"][f"{split}_psnr"], abs=0.01), split
    assert card["metrics"]["bottleneck"] == model.bottleneck_size()


def test_converged_autoencoders_meet_chapter_2s_target():
    """Issue 17's target: PSNR grows with the bottleneck, and the largest is within 1 dB of the noise
    ceiling (the perfect denoiser's PSNR against the noisy images). Converged, it passes the ceiling:
    a 1,024-number bottleneck starts to copy the noise."""
    cards = [checkpoints.load_card(checkpoints.shipped(n))["metrics"] for n in AUTOENCODERS]
    cards.sort(key=lambda m: m["bottleneck"])
    psnrs = [m["test_psnr"] for m in cards]
    assert len(cards) == 3 and psnrs == sorted(psnrs)
    assert abs(psnrs[-1] - cards[-1]["test_noise_ceiling"]) <= 1.0


VAES = [n for n in SHIPPED if n.startswith("vae_beta")]


def _load_vae(name):
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    model = mnn.VAE(**card["config"])
    checkpoints.load(model, path)
    return model, card["metrics"]


@pytest.mark.parametrize("name", VAES)
def test_vae_checkpoints_reload_and_rescore(name):
    """Chapter 2's converged VAEs (scripts/train_vae.py): every card metric, on val and test, measured again."""
    from mmfuse_lite.metrics import vae_report
    model, card = _load_vae(name)
    judge = load_feature_net("shapes_judge")
    for split, n in (("val", 1000), ("test", 2000)):
        got = vae_report(model, image_tensor(ShapesWorld(split, n=n, seed=0, max_objects=1)), judge, seed=0)
        for key, value in got.items():
            assert value == pytest.approx(card[f"{split}_{key}"], rel=0.01, abs=1e-3), f"{split}_{key}"


def test_cvae_checkpoint_reloads_and_rescores():
    from mmfuse_lite import judging
    model, card = _load_vae("cvae")
    judge = load_feature_net("shapes_judge")
    for split, n in (("val", 1000), ("test", 2000)):
        for key, value in judging.cvae_report(model, judge, n=n, seed=0, split=split).items():
            assert value == pytest.approx(card[f"{split}_{key}"], abs=0.01), f"{split}_{key}"   # a sample may flip


def test_converged_vaes_show_what_chapter_2_asserts():
    """Issue 20: the KL weight trades reconstruction for a usable prior, and the CVAE draws what it is asked."""
    cards = {int(n.removeprefix("vae_beta")): _load_vae(n)[1] for n in VAES}
    betas = sorted(cards)
    assert betas == [1, 4, 16, 64]
    psnr, kl = [cards[b]["test_psnr"] for b in betas], [cards[b]["test_kl"] for b in betas]
    assert psnr == sorted(psnr, reverse=True) and kl == sorted(kl, reverse=True)
    assert cards[1]["test_active_units"] == 16 and cards[64]["test_active_units"] <= 8
    cvae = checkpoints.load_card(checkpoints.shipped("cvae"))["metrics"]
    assert cvae["test_colour"] >= 0.9 and cvae["test_shape"] >= 0.6 and cvae["test_position"] >= 0.9


def test_data_readme_says_where_each_kilobyte_goes():
    import re
    table = dict(re.findall(r"^\s*\| `(\w+)` \| (\d+) \|", (ROOT / "data" / "README.md").read_text(), re.M))
    assert set(table) == set(SHIPPED)
    for name, kib in table.items():
        size = (ROOT / "data" / "checkpoints" / f"{name}.safetensors").stat().st_size / 1024
        assert abs(size - int(kib)) <= 1, f"{name}: {size:.0f} KiB, the table says {kib}"


def test_saved_checkpoints_are_ordinary_files_readable_by_others(tmp_path):
    """mkstemp and safetensors both make private files; a checkpoint gets the umask's mode."""
    import os
    import torch
    old = os.umask(0o022)
    try:
        checkpoints.save(torch.nn.Linear(2, 2), tmp_path / "m", config={}, metrics={"x": 1})
    finally:
        os.umask(old)
    for suffix in (".safetensors", ".json"):
        assert (tmp_path / f"m{suffix}").stat().st_mode & 0o777 == 0o644, suffix


MULTITASK = ["multitask_colour", "multitask_count", "multitask_where", "multitask_shared", "multitask_uncertainty",
             "multitask_colour_small", "multitask_shared_small", "multitask_shared_double"]


def test_multitask_checkpoints_reload_and_rescore():
    from mmfuse_lite.nn.multitask import evaluate_tasks, load_multitask, multitask_data
    test = multitask_data("test", 4000, seed=0)
    scores, cards = {}, {}
    for name in MULTITASK:
        model, cards[name] = load_multitask(name)
        scores[name] = evaluate_tasks(model, {t: test[t] for t in model.tasks})
        for task, value in scores[name].items():
            assert value == pytest.approx(cards[name]["metrics"][f"test_{task}"], abs=2e-3), (name, task)
    assert {cards[n]["metrics"]["steps"] for n in MULTITASK if n != "multitask_shared_double"} == {12000}
    # chapter 7, section 7.8: what sharing costs and what the weighting does
    alone = {t: scores[f"multitask_{t}"][t] for t in ("colour", "count", "where")}
    shared, unc = scores["multitask_shared"], scores["multitask_uncertainty"]
    assert min(alone.values()) >= 0.98
    assert shared["colour"] >= alone["colour"] - 0.02 and shared["count"] >= 0.99
    assert shared["where"] <= alone["where"] - 0.1, "negative transfer on the where-questions"
    assert unc["where"] <= 0.6 and cards["multitask_uncertainty"]["metrics"]["loss_weights"]["count"] > 100
    assert scores["multitask_shared_small"]["colour"] >= scores["multitask_colour_small"]["colour"] + 0.03
    assert scores["multitask_shared_double"]["where"] >= 0.97, "with twice the steps the where-gap closes"


def test_vqa_checkpoints_reload_and_rescore():
    from mmfuse_lite.nn.vqa import evaluate_vqa, load_vqa, vqa_data
    test = vqa_data("test", 4000, seed=0)
    scores = {}
    for run in ("seen", "all"):
        model, card = load_vqa(f"vqa_{run}")
        scores[run] = evaluate_vqa(model, test)
        for kind, value in scores[run].items():
            assert value == pytest.approx(card["metrics"][f"test_{kind}"], abs=2e-3), (run, kind)
    # chapter 7, section 7.9: the five trained kinds are answered; the held-out kind is not, until it is taught
    assert min(scores["seen"][k] for k in ("colour", "shape", "count", "where")) >= 0.95
    assert scores["seen"]["nearest"] >= 0.85 and scores["seen"]["hop"] <= 0.1 and scores["all"]["hop"] >= 0.95


PAIR_MODELS = [f"augment_{a}" for a in ("none", "caption_true", "flip_caption_kept", "any_hue", "resized_crop")] + [
    f"transfer_{side}_{n}" for side in ("frozen", "finetuned", "scratch") for n in (500, 2000, 8000)]


def test_augment_and_transfer_checkpoints_reload_and_rescore():
    import torch
    from mmfuse_lite.data import WordTokenizer
    from mmfuse_lite.data.parse import truth_matrix
    from mmfuse_lite.nn import load_vqgan, vq_latents
    from mmfuse_lite.nn.contrastive import alignment_scores
    from mmfuse_lite.nn.transfer import load_pair_model, semantic_r1
    tok, world = WordTokenizer(), ShapesWorld("test", n=2000, seed=0)
    pixels = torch.from_numpy(world.images).float() / 255
    latents, true = vq_latents(pixels, load_vqgan()), torch.from_numpy(truth_matrix(world.captions, world.scenes))
    got = {}
    for name in PAIR_MODELS:
        model, card = load_pair_model(name)
        data = {"image": latents if card["config"]["image_side"] == "frozen" else pixels, "text": tok(world.captions)}
        got[name] = alignment_scores(model, world, data, tok, true=true)
        for key in ("semantic_r1_i2t", "semantic_r1_t2i", "zero_shot_colour", "zero_shot_position", "zero_shot_size"):
            assert got[name][key] == pytest.approx(card["metrics"][f"test_{key}"], abs=2e-3), (name, key)
    # chapter 8, section 8.10
    sem = {name: semantic_r1(row) for name, row in got.items()}
    assert sem["augment_caption_true"] > sem["augment_none"] + 0.1
    assert got["augment_flip_caption_kept"]["zero_shot_position"] < got["augment_caption_true"]["zero_shot_position"] - 0.2
    assert got["augment_any_hue"]["zero_shot_colour"] < 0.35
    for n in (500, 2000, 8000):
        assert sem[f"transfer_frozen_{n}"] < min(sem[f"transfer_finetuned_{n}"], sem[f"transfer_scratch_{n}"])
    assert sem["transfer_scratch_500"] > sem["transfer_finetuned_500"] + 0.08
    assert sem["transfer_finetuned_2000"] > sem["transfer_scratch_2000"]
    assert sem["transfer_scratch_8000"] > sem["transfer_finetuned_8000"]


def test_sound_checkpoints_reload_and_rescore():
    """The sound tokenizer, the sound judge and the image-to-sound translator, each measured again."""
    import torch
    from mmfuse_lite import judging
    from mmfuse_lite.data import ShapesWorld
    from mmfuse_lite.nn import sound_judge as J
    from mmfuse_lite.nn import sound_vq as S
    from mmfuse_lite.nn.translate import load_translator
    vq, judge = S.load_sound_vq(), J.load_sound_judge()
    vq_card = checkpoints.load_card(checkpoints.shipped("sound_vq"))["metrics"]
    judge_card = checkpoints.load_card(checkpoints.shipped("sound_judge"))["metrics"]
    world = ShapesWorld("test", n=vq_card["eval_sounds"], seed=0)
    spec = S.sound_spectrogram(torch.from_numpy(world.sounds))
    with torch.no_grad():
        recon, out = vq(spec)
    assert torch.nn.functional.mse_loss(recon, spec).item() == pytest.approx(vq_card["test_mse"], abs=2e-4)
    assert out.indices.unique().numel() == vq_card["test_codes_used"]
    truth = J.slot_labels(world.scenes)
    for prefix, s in (("test_", spec), ("test_recon_", recon)):
        for key, value in J.heard_accuracy(judge.hear(s), truth).items():
            assert value == pytest.approx(judge_card[prefix + key], abs=0.002), prefix + key
    card = checkpoints.load_card(checkpoints.shipped("image_to_sound"))
    model, layout = load_translator()
    vqgan = mnn.load_vqgan(card["config"]["vqgan"])
    got = judging.image_to_sound_report(model, layout, vqgan, vq, judge, n=card["metrics"]["eval_scenes"],
                                        max_objects=1)
    for key, value in got.items():             # trained on a GPU: a code may flip on a CPU, 1% of the scenes
        assert value == pytest.approx(card["metrics"][f"test_one_{key}"], abs=0.01), key


def test_converged_sound_models_score_what_chapter_10_says():
    vq = checkpoints.load_card(checkpoints.shipped("sound_vq"))["metrics"]
    judge = checkpoints.load_card(checkpoints.shipped("sound_judge"))["metrics"]
    tr = checkpoints.load_card(checkpoints.shipped("image_to_sound"))["metrics"]
    text = checkpoints.load_card(checkpoints.shipped("prior_text"))["metrics"]
    assert vq["test_mse"] < 0.03 * vq["test_variance"] and vq["test_codes_used"] >= 115
    assert min(v for k, v in judge.items() if k.startswith(("test_shape", "test_colour", "test_size"))) > 0.99
    assert tr["test_one_colour"] >= 0.99 and tr["test_one_shape"] > text["test_shape"]
    assert tr["val_all_note"] > 0.95 and tr["test_all_note"] > 0.95


def test_clip_checkpoints_reload_and_rescore():
    """The shipped clip classifier and clip captioner, measured again on the card's test clips."""
    import importlib.util
    from mmfuse_lite.data import ShapesClips
    from mmfuse_lite.nn import temporal as TM
    spec = importlib.util.spec_from_file_location("train_clip_models", ROOT / "scripts" / "train_clip_models.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    card = checkpoints.load_card(checkpoints.shipped("clip_classifier"))
    cap_card = checkpoints.load_card(checkpoints.shipped("clip_captioner"))
    assert card["config"]["vqgan"] == cap_card["config"]["vqgan"]
    clips = ShapesClips("test", n=card["metrics"]["eval_clips"], seed=0, max_objects=1)
    codes = TM.clip_codes(mnn.load_vqgan(card["config"]["vqgan"]), clips.frames)
    got = script.classifier_metrics(TM.load_clip_classifier(), codes, clips)
    captioner, tokenizer = TM.load_clip_captioner()
    got_caps = script.captioner_metrics(captioner, tokenizer, codes, clips)
    for metrics, c in ((got, card), (got_caps, cap_card)):
        for key, value in metrics.items():
            assert value == pytest.approx(c["metrics"][f"test_{key}"], abs=0.002), key


def test_converged_clip_models_score_what_chapter_10_says():
    clf = checkpoints.load_card(checkpoints.shipped("clip_classifier"))["metrics"]
    cap = checkpoints.load_card(checkpoints.shipped("clip_captioner"))["metrics"]
    for split in ("val", "test"):
        assert clf[f"{split}_direction"] > 0.99 and clf[f"{split}_grows_or_shrinks"] > 0.98
        assert 0.7 < clf[f"{split}_none_or_colour"] < 0.9, "colour changes: better than the live run, still weak"
        assert min(cap[f"{split}_{k}"] for k in ("colour", "size", "motion", "change")) > 0.97
        assert cap[f"{split}_all"] > 0.9 and cap[f"{split}_change"] > clf[f"{split}_none_or_colour"] + 0.05
    assert clf["final_loss"] < 0.01, "it fits its training clips"
