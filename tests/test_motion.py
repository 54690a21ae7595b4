"""Shapes in motion: clips generated from a seed, captions true of their frames."""
import numpy as np
import pytest

from mmfuse_lite.data import MOTION_WORDS, ShapesClips, WordTokenizer
from mmfuse_lite.data.motion import CHANGES, FRAMES, MOTIONS, object_tracks, sample_clips
from mmfuse_lite.data.world import RGB


@pytest.fixture(scope="module")
def clips():
    return ShapesClips("val", n=300, seed=2)


def test_clips_are_deterministic_and_splits_differ(clips):
    again = ShapesClips("val", n=300, seed=2)
    assert np.array_equal(clips.frames, again.frames) and clips.captions == again.captions
    assert clips.frames.shape == (300, FRAMES, 3, 32, 32) and clips.frames.dtype == np.uint8
    assert not np.array_equal(ShapesClips("test", n=300, seed=2).frames, clips.frames)


def test_every_motion_and_change_occurs_and_objects_stay_apart(clips):
    c = clips.clips
    present = c["shape"] >= 0
    assert set(c["motion"][present]) == set(range(len(MOTIONS))) and set(c["change"][present]) == set(range(len(CHANGES)))
    assert (c["size"][c["change"] == 2] == 0).all() and (c["size"][c["change"] == 3] == 1).all()
    t = object_tracks(c)
    two = c["count"] == 2
    gap = np.hypot(t["x"][two, 0] - t["x"][two, 1], t["y"][two, 0] - t["y"][two, 1]).min()
    assert gap > 0.3, "two objects never overlap"
    inside = (t["x"][present] > 0.15) & (t["x"][present] < 0.85) & (t["y"][present] > 0.15) & (t["y"][present] < 0.85)
    assert inside.all(), "objects stay inside the frame"
    colours = np.concatenate([c["colour"], c["new_colour"]], 1)
    for row in colours:
        row = row[row >= 0]
        assert len(set(row)) == len(row), "all colours of a clip, new ones included, are distinct"


def test_the_pixels_move_the_way_the_caption_says(clips):
    """Where the object's colour is, frame by frame: its centre moves along the caption's direction."""
    c = clips.clips
    one = np.flatnonzero((c["count"] == 1) & (c["change"][:, 0] == 0))[:40]
    for i in one:
        rgb = RGB[c["colour"][i, 0]][None, :, None, None] * 255
        mask = np.abs(clips.frames[i].astype(np.float32) - rgb).sum(1) < 60           # (FRAMES, 32, 32)
        start = np.array([np.nonzero(mask[0])[1].mean(), np.nonzero(mask[0])[0].mean()])
        end = np.array([np.nonzero(mask[-1])[1].mean(), np.nonzero(mask[-1])[0].mean()])
        dx, dy = end - start
        want = MOTIONS[c["motion"][i, 0]]
        got = ("stays" if max(abs(dx), abs(dy)) < 3 else ("left" if dx < 0 else "right") if abs(dx) > abs(dy)
               else ("up" if dy < 0 else "down"))
        assert got == want, (clips.captions[i], dx, dy)


def test_captions_use_the_motion_vocabulary(clips):
    tok = WordTokenizer(extra_words=MOTION_WORDS)
    for text in clips.captions:
        assert tok.decode(tok.encode(text)) == text
    assert any("moves left" in t for t in clips.captions) and any("stays still" in t for t in clips.captions)
    assert any(t.endswith("grows") for t in clips.captions) and any("turns" in t for t in clips.captions)


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="unknown split 'heldout' for clips"):
        ShapesClips("heldout", n=5)
    with pytest.raises(ValueError, match=r"max_objects must be in \[1, 2\], got 3"):
        sample_clips(5, max_objects=3)
    with pytest.raises(ValueError, match="n must be >= 1"):
        sample_clips(0)


def test_clip_captions_read_back_to_the_clips_attributes():
    from mmfuse_lite import judging
    one = ShapesClips("val", n=400, seed=3, max_objects=1)
    assert judging.clip_caption_scores(one.captions, one) == {k: 1.0 for k in
                                                              ("colour", "shape", "size", "motion", "change", "all")}
    read = judging.read_clip_caption
    assert read("the small red circle grows") == {"colour": "red", "shape": "circle", "size": "small",
                                                  "motion": "stays", "change": "grows"}
    assert read("the big blue box moves left and turns red") == {"colour": "blue", "shape": "square",
                                                                 "size": "large", "motion": "left",
                                                                 "change": "turns red"}
    assert read("the red circle")["motion"] is None and read("the red circle")["change"] is None, \
        "a caption without a verb says nothing about motion or change"
    assert read("the red circle moves sideways")["motion"] is None
    # a caption cut short says no "none"
    assert read("the red circle moves left and turns")["change"] is None
    assert read("the red circle moves")["change"] is None and read("the red circle stays")["change"] is None
    assert read("the red circle moves left")["change"] == "none"
    # a wrong new colour is a wrong change; a shifted caption list scores low
    i = next(i for i in range(len(one)) if "turns" in one.captions[i])
    wrong = list(one.captions)
    wrong[i] = wrong[i].rsplit(" ", 1)[0] + " " + ("red" if not wrong[i].endswith("red") else "blue")
    assert judging.read_clip_caption(wrong[i])["change"] in ("turns red", "turns blue")
    assert judging.clip_caption_scores(wrong, one)["change"] == pytest.approx(1 - 1 / len(one))
    assert judging.clip_caption_scores(one.captions[1:] + one.captions[:1], one)["all"] < 0.1
    with pytest.raises(ValueError, match="same length"):
        judging.clip_caption_scores(one.captions[:-1], one)
    with pytest.raises(ValueError, match="max_objects=1"):
        two = ShapesClips("val", n=50, seed=3, min_objects=2)
        judging.clip_caption_scores(two.captions, two)
