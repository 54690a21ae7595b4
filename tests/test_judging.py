"""mmfuse_lite.judging: how chapter 9 scores drawn images and written captions."""
import numpy as np
import pytest
import torch

from mmfuse_lite import judging
from mmfuse_lite.data import ShapesWorld, image_tensor
from mmfuse_lite.nn.perceptual import load_feature_net


@pytest.fixture(scope="module")
def world():
    return ShapesWorld("test", n=200, seed=5, max_objects=1)


def test_the_judge_reads_real_images_right(world):
    scores = judging.image_scores(load_feature_net("shapes_judge"), image_tensor(world), world, np.arange(200))
    assert min(scores.values()) > 0.99


def test_a_wrong_image_is_scored_wrong(world):
    judge, idx = load_feature_net("shapes_judge"), np.arange(200)
    shuffled = image_tensor(world)[torch.randperm(200, generator=torch.Generator().manual_seed(0))]
    scores = judging.image_scores(judge, shuffled, world, idx)
    assert max(scores.values()) < 0.5                 # other scenes' images share few attributes


def test_read_caption_reads_back_every_true_caption(world):
    for i, caption in enumerate(world.captions):
        assert judging.read_caption(caption) == judging.scene_attributes(world, i), caption
    assert judging.caption_scores(world.captions, world, np.arange(200)) == {
        "colour": 1.0, "shape": 1.0, "size": 1.0, "position": 1.0}


def test_read_caption_prefers_the_longer_position_phrase():
    assert judging.read_caption("a big red circle at the top left")["position"] == (0, 0)
    assert judging.read_caption("a big red circle at the top")["position"] == (0, 1)
    assert judging.read_caption("a red thing") == {"colour": "red", "shape": None, "size": None, "position": None}


def test_a_caption_with_one_wrong_word_loses_only_that_attribute(world):
    attrs = judging.scene_attributes(world, 0)
    other = "blue" if attrs["colour"] != "blue" else "red"
    caption = world.captions[0].replace(attrs["colour"], other)
    scores = judging.caption_scores([caption], world, [0])
    assert scores == {"colour": 0.0, "shape": 1.0, "size": 1.0, "position": 1.0}


@pytest.mark.parametrize("call, message", [
    (lambda w: judging.caption_scores(["a red circle"], w, [0, 1]), "same length, got 1 and 2"),
    (lambda w: judging.image_scores(load_feature_net("shapes_judge"), image_tensor(w)[:3], w, [0]),
     "same length, got 3 and 1"),
])
def test_mismatched_lengths_are_refused(world, call, message):
    with pytest.raises(ValueError, match=message):
        call(world)
