"""Direct tests of the small public helpers that the larger tests use indirectly."""
import numpy as np
import pytest
import torch

from mmfuse_lite import checkpoints, runtime, viz
from mmfuse_lite.checks import check_image_batch, check_positive_int, check_same_shape
from mmfuse_lite.data import captions, sounds
from mmfuse_lite.data.world import sample_scenes
from mmfuse_lite.nn import Autoencoder


def test_relation_and_axes():
    s = {k: np.array([v]) for k, v in dict(row=[0, 2, -1], col=[0, 0, -1]).items()}
    assert captions.differing_axes(s, 0, 0, 1) == ["y"]
    assert captions.relation(s, 0, 0, 1, "y") == "above" and captions.relation(s, 0, 1, 0, "y") == "below"


def test_object_phrase_and_grammar_words():
    sc = sample_scenes(5, "val")
    phrase = captions.object_phrase(sc, 0, 0, np.random.default_rng(0))
    assert len(phrase.split()) == 3 and all(w in captions.grammar_words() for w in phrase.split())
    assert captions.pick(np.random.default_rng(0), ("only",)) == "only"
    q, a = captions.relation_question(sample_scenes(5, "val", min_objects=2), 0, np.random.default_rng(1))
    assert q.endswith("?") and a in (0, 1)


def test_note_table():
    table = sounds.note_table()
    assert table.shape == (4, 6, 2, sounds.NOTE_LEN) and table.dtype == np.float32
    assert np.abs(table[:, :, 1]).max() > np.abs(table[:, :, 0]).max()      # large is louder


def test_seed_everything_and_default_profile():
    runtime.seed_everything(11)
    a = np.random.rand()
    runtime.seed_everything(11)
    assert a == np.random.rand()
    assert runtime.default_profile() in ("cpu", "gpu")


def test_checks():
    assert check_positive_int(3, "n") == 3
    with pytest.raises(TypeError):
        check_positive_int(True, "n")
    with pytest.raises(ValueError, match="same shape"):
        check_same_shape(torch.zeros(2), torch.zeros(3))
    assert check_image_batch(torch.zeros(1, 1, 4, 4), channels=1).shape == (1, 1, 4, 4)


def test_to_numpy_image():
    img = viz.to_numpy_image(torch.full((3, 2, 2), 255, dtype=torch.uint8))
    assert img.shape == (2, 2, 3) and img.max() == 1.0
    with pytest.raises(ValueError, match="one image"):
        viz.to_numpy_image(torch.zeros(1, 3, 2, 2))


def test_load_card(tmp_path):
    checkpoints.save(Autoencoder(width=4, latent_channels=1), tmp_path / "m", metrics={"psnr": 1.0})
    assert checkpoints.load_card(tmp_path / "m.safetensors")["metrics"] == {"psnr": 1.0}
