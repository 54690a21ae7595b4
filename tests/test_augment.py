"""Caption-true augmentations (chapter 8, section 8.10) and the transfer experiment's parts."""
import itertools

import numpy as np
import pytest
import torch

import mmfuse_lite.nn as mnn
from mmfuse_lite.data import ShapesWorld, WordTokenizer
from mmfuse_lite.data import augment as A
from mmfuse_lite.data.parse import truth_matrix
from mmfuse_lite.data.world import RGB
from mmfuse_lite.nn import transfer as T


def mirrored(scenes):
    return dict(scenes, col=np.where(scenes["col"] >= 0, 2 - scenes["col"], -1))


def test_flipped_captions_are_true_of_the_mirrored_scenes_and_the_kept_ones_are_not():
    world = ShapesWorld("test", n=300, seed=1)
    flipped = A.flip_captions(world.captions)
    assert np.diagonal(truth_matrix(flipped, mirrored(world.scenes))).all()
    kept = np.diagonal(truth_matrix(world.captions, mirrored(world.scenes)))
    sided = np.array([bool({"left", "right"} & set(c.replace(",", " ").split())) for c in world.captions])
    assert sided.mean() > 0.5 and not kept[sided].any(), "a caption that says left or right is false in the mirror"
    assert kept[~sided].all()
    assert A.flip_captions(flipped) == list(world.captions)
    assert A.flip_captions(["the red disc, on the left, is right of the box"]) == [
        "the red disc, on the right, is left of the box"]
    with pytest.raises(TypeError, match="list of strings"):
        A.flip_captions("a red circle on the left")


def test_hflip_and_shift_move_the_pixels_as_claimed():
    x = torch.rand(3, 3, 32, 32)
    assert torch.equal(A.hflip(A.hflip(x)), x)
    assert torch.equal(A.shift(x, torch.zeros(3, dtype=torch.long), torch.zeros(3, dtype=torch.long)), x)
    moved = A.shift(x, torch.tensor([2, -1, 0]), torch.tensor([0, 1, -2]))
    assert torch.equal(moved[0, :, :, 2:], x[0, :, :, :-2])          # two pixels to the right
    assert torch.equal(moved[1, :, 1:, :-1], x[1, :, :-1, 1:])       # one left, one down
    assert torch.equal(moved[2, :, :-2], x[2, :, 2:])                # two up
    assert torch.equal(moved[0, :, :, 0], x[0, :, :, 0])             # the edge is repeated
    with pytest.raises(ValueError, match="dx and dy"):
        A.shift(x, torch.zeros(2, dtype=torch.long), torch.zeros(3, dtype=torch.long))


def test_hue_rotation_keeps_grey_and_brightness_and_a_small_turn_keeps_every_named_colour():
    grey = torch.full((2, 3, 4, 4), 0.4)
    assert torch.allclose(A.hue_rotate(grey, torch.tensor([90.0, -40.0])), grey, atol=1e-5)
    x = torch.rand(4, 3, 8, 8) * 0.5 + 0.25
    assert torch.allclose(A.hue_rotate(x, torch.zeros(4)), x, atol=1e-5)
    assert torch.allclose(A.hue_rotate(x, torch.full((4,), 360.0)), x, atol=1e-4)
    # the renderer jitters each channel by up to 0.06: the corners of that cube, turned by the safe hue
    corners = np.array([RGB[c] + np.array(j) for c in range(6) for j in itertools.product((-0.06, 0, 0.06), repeat=3)])
    names = np.repeat(np.arange(6), 27)
    assert (A.named_colour(corners.clip(0, 1)) == names).all()
    pix = torch.tensor(corners.clip(0, 1), dtype=torch.float32)[:, :, None, None]
    for turn in (A.SAFE_HUE, -A.SAFE_HUE):
        kept = A.named_colour(A.hue_rotate(pix, torch.full((len(pix),), turn))[:, :, 0, 0].numpy()) == names
        assert kept.mean() >= 0.99, (turn, kept.mean())
        assert (A.named_colour(A.hue_rotate(pix[::27], torch.full((6,), turn))[:, :, 0, 0].numpy()) == np.arange(6)).all()
    far = A.named_colour(A.hue_rotate(pix, torch.full((len(pix),), 60.0))[:, :, 0, 0].numpy())
    assert (far != names).mean() > 0.9, "a turn of 60 degrees renames colours"


def test_augment_relabels_only_the_mirrored_pairs_and_checks_its_arguments():
    world = ShapesWorld("test", n=40, seed=2)
    px = torch.from_numpy(world.images).float() / 255
    out, caps = A.augment(px, world.captions, torch.Generator().manual_seed(0))
    again, caps2 = A.augment(px, world.captions, torch.Generator().manual_seed(0))
    assert torch.equal(out, again) and caps == caps2 and out.shape == px.shape
    assert 0 <= out.min() and out.max() <= 1
    changed = [c != o for c, o in zip(caps, world.captions)]
    assert 0 < sum(changed) < len(caps)
    assert all(c in (o, f) for c, o, f in zip(caps, world.captions, A.flip_captions(world.captions)))
    _, naive = A.augment(px, world.captions, torch.Generator().manual_seed(0), flip="naive")
    assert naive == list(world.captions)
    same, kept = A.augment(px, world.captions, torch.Generator(), flip="none", max_shift=0, max_hue=0, brightness=0)
    assert torch.equal(same, px) and kept == list(world.captions)
    g = torch.Generator()
    with pytest.raises(ValueError, match="flip must be"):
        A.augment(px, world.captions, g, flip="vertical")
    with pytest.raises(ValueError, match="one caption per image"):
        A.augment(px, world.captions[:3], g)
    with pytest.raises(ValueError, match="max_shift"):
        A.augment(px, world.captions, g, max_shift=9)
    with pytest.raises(ValueError, match="max_hue"):
        A.augment(px, world.captions, g, max_hue=200)
    with pytest.raises(ValueError, match="divide by 255"):
        A.augment(px * 255, world.captions, g)
    with pytest.raises(TypeError, match="whole pixels"):
        A.shift(px[:2], torch.tensor([0.5, 1.0]), torch.tensor([0.0, 0.0]))
    images, captions = A.augmented_views(px[:5], world.captions[:5], 3, seed=1)
    assert images.shape == (15, 3, 32, 32) and len(captions) == 15
    with pytest.raises(ValueError, match="views"):
        A.augmented_views(px[:5], world.captions[:5], 0)


def test_a_resized_crop_zooms_in():
    x = torch.zeros(1, 3, 32, 32)
    x[..., 12:20, 12:20] = 1
    out = A.random_resized_crop(x, 0.5, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.mean() > x.mean() * 1.2


def test_pair_models_and_the_val_chosen_training():
    tok = WordTokenizer()
    frozen = T.build_pair_model("frozen", len(tok))
    scratch = T.build_pair_model("scratch", len(tok))
    tuned = T.build_pair_model("finetuned", len(tok))
    vqgan = mnn.load_vqgan()
    for k, v in vqgan.encoder.state_dict().items():
        assert torch.equal(tuned.image_encoder.encoder.state_dict()[k], v)
    assert not torch.equal(scratch.image_encoder.encoder.net[0][0].weight, vqgan.encoder.net[0][0].weight)
    with pytest.raises(ValueError, match="image_side"):
        T.build_pair_model("thawed", len(tok))
    world = ShapesWorld("train", n=64, seed=0)
    val_world = ShapesWorld("val", n=32, seed=0)
    px, vpx = (torch.from_numpy(w.images).float() / 255 for w in (world, val_world))
    train = {"image": mnn.vq_latents(px, vqgan), "text": tok(world.captions)}
    val = {"image": mnn.vq_latents(vpx, vqgan), "text": tok(val_world.captions)}
    history = T.fit_on_val(frozen, train, val_world, val, tok, steps=6, every=2, batch_size=16, progress=False)
    assert history["step"] == [2, 4, 6] and history["best_val"] == max(history["val"])
    assert history["best_step"] == history["step"][int(np.argmax(history["val"]))]
    with pytest.raises(ValueError, match="every"):
        T.fit_on_val(frozen, train, val_world, val, tok, steps=2, every=4)
    logits = scratch(vpx[:4], val["text"][:4])
    assert logits.shape == (4, 4)
    assert T.arm_slug("flip, caption kept") == "flip_caption_kept"
    assert [T.arm_slug(a) for a in T.ARMS] == ["none", "caption_true", "flip_caption_kept", "any_hue", "resized_crop"]
