"""Captions parse back into exactly what they claim (chapter 8's semantic recall rests on it)."""
import numpy as np
import pytest
import torch

from mmfuse_lite.data import ShapesWorld
from mmfuse_lite.data.parse import parse_caption, true_of, truth_matrix
from mmfuse_lite.nn.contrastive import exact_recall_ceiling, semantic_recall_at_1


def one(scenes, i):
    return {k: v[i:i + 1] for k, v in scenes.items()}


def test_every_caption_is_true_of_its_own_scene():
    world = ShapesWorld("train", n=3000, seed=5)
    truth = truth_matrix(world.captions, world.scenes)
    assert truth.diagonal().all()
    assert truth.mean() < 0.01            # and of few others


def test_a_caption_with_one_attribute_changed_is_false():
    world = ShapesWorld("val", n=1000, seed=2, max_objects=1)
    idx, texts, labels = world.task("synergistic")       # half true, half with one attribute changed
    said = np.array([true_of(t, one(world.scenes, i))[0] for i, t in zip(idx, texts)])
    assert (said == labels.astype(bool)).all() and 0.3 < labels.mean() < 0.7


def test_relations_and_positions_are_read():
    claim = parse_caption("a small purple triangle is left of a big red circle")
    assert claim.relation == (0, "left", 1) and claim.cells == [None, None]
    assert parse_caption("at the top left there is a tiny red box").cells == [(0, 0)]
    assert parse_caption("a big red box at the top , a small blue disc at the top right and a big red circle "
                         "at the bottom").cells == [(0, 1), (0, 2), (2, 1)]
    scenes = {"count": np.array([2, 2]), "size": np.array([[0, 1], [0, 1]]), "colour": np.array([[5, 0], [5, 0]]),
              "shape": np.array([[2, 0], [2, 0]]), "row": np.array([[1, 1], [1, 1]]), "col": np.array([[0, 2], [2, 0]])}
    assert true_of(claim, scenes).tolist() == [True, False]


@pytest.mark.parametrize("text", ["", "a red circle", "hello world", "a tiny red circle is left of"])
def test_text_outside_the_grammar_is_refused(text):
    with pytest.raises(ValueError, match="caption|object"):
        parse_caption(text)


def test_semantic_recall_and_the_exact_ceiling():
    true = torch.tensor([[True, True, False], [True, True, False], [False, False, True]])
    sim = torch.tensor([[0.1, 0.9, 0.0], [0.9, 0.1, 0.0], [0.0, 0.0, 1.0]])   # first two swapped
    assert semantic_recall_at_1(sim, true) == 1.0
    assert exact_recall_ceiling(true) == pytest.approx((0.5 + 0.5 + 1) / 3)
    with pytest.raises(ValueError, match="bool matrix"):
        semantic_recall_at_1(sim, true.float())
