"""Scoring chapter 9's priors against the Shapes world: drawn images by the judge, written
captions by the grammar's own word lists.

A drawn image is right on an attribute when the ``shapes_judge`` network (trained on real
images of another world seed) reads the caption's value of it; a written caption is right
when its words name the scene's value. One-object scenes only.
"""
from __future__ import annotations

import re

import numpy as np
import torch

from .checks import check_image_batch
from .data import COLOURS, SHAPES, SIZES
from .data.captions import POSITION_WORDS, SHAPE_WORDS, SIZE_WORDS
from .nn.vqvae import encode_codes

CHANCE = {"colour": 1 / len(COLOURS), "shape": 1 / len(SHAPES), "position": 1 / 9}


@torch.no_grad()
def judged(judge, pixels: torch.Tensor, batch_size: int = 500) -> dict:
    """The judge's colour, shape and grid cell (row * 3 + col) for each one-object image."""
    check_image_batch(pixels, name="pixels")
    device = next(judge.parameters()).device
    logits = torch.cat([judge(pixels[i:i + batch_size].to(device)).cpu() for i in range(0, len(pixels), batch_size)])
    n_col, n_shp = len(COLOURS), len(SHAPES)
    return {"colour": logits[:, :n_col].argmax(1), "shape": logits[:, n_col:n_col + n_shp].argmax(1),
            "position": logits[:, n_col + n_shp:].argmax(1)}


def truth(world, idx) -> dict:
    """The colour, shape and grid cell of the first object of scenes ``idx``."""
    s = world.scenes
    return {"colour": torch.from_numpy(s["colour"][idx, 0]), "shape": torch.from_numpy(s["shape"][idx, 0]),
            "position": torch.from_numpy(s["row"][idx, 0] * 3 + s["col"][idx, 0])}


def image_scores(judge, pixels: torch.Tensor, world, idx) -> dict:
    """Fraction of images judged to carry scene ``idx``'s colour, shape and position."""
    if len(pixels) != len(idx):
        raise ValueError(f"pixels and idx must have the same length, got {len(pixels)} and {len(idx)}")
    got, want = judged(judge, pixels), truth(world, idx)
    return {k: (got[k] == want[k]).float().mean().item() for k in want}


def read_caption(text: str) -> dict:
    """Colour, shape, size and grid cell (row, col) named by a one-object caption (None where missing)."""
    words = text.split()
    find = lambda table: next((k for k, syn in table.items() if any(w in words for w in syn)), None)   # noqa: E731
    colour = next((c for c in COLOURS if c in words), None)
    # longest phrases first: "at the top left" must not be read as "at the top"
    cell = next((k for k, phrases in sorted(POSITION_WORDS.items(), key=lambda kv: -max(map(len, kv[1])))
                 if any(re.search(rf"\b{p}\b", text) for p in phrases)), None)
    return {"colour": colour, "shape": find(SHAPE_WORDS), "size": find(SIZE_WORDS), "position": cell}


def scene_attributes(world, i: int) -> dict:
    """Scene ``i``'s first object in the words of :func:`read_caption`."""
    s = world.scenes
    return {"colour": COLOURS[s["colour"][i, 0]], "shape": SHAPES[s["shape"][i, 0]], "size": SIZES[s["size"][i, 0]],
            "position": (int(s["row"][i, 0]), int(s["col"][i, 0]))}


def caption_scores(texts, world, idx) -> dict:
    """Fraction of written captions that name scene ``idx``'s colour, shape, size and position."""
    if len(texts) != len(idx):
        raise ValueError(f"texts and idx must have the same length, got {len(texts)} and {len(idx)}")
    read = [read_caption(t) for t in texts]
    truths = [scene_attributes(world, i) for i in idx]
    return {k: float(np.mean([r[k] == t[k] for r, t in zip(read, truths)]))
            for k in ("colour", "shape", "size", "position")}


GUIDANCE_SCALES = (1.0, 2.0, 3.0, 5.0)


def _decode(vqgan, codes: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    device = next(vqgan.parameters()).device
    with torch.no_grad():
        return torch.cat([vqgan.decode(codes[i:i + batch_size].to(device)).clamp(0, 1).cpu()
                          for i in range(0, len(codes), batch_size)])


def text_to_image_report(prior, layout, vqgan, judge, tokenizer, n: int = 500, seed: int = 0,
                         scales=GUIDANCE_SCALES) -> dict:
    """What chapter 9 measures of a text-to-image prior, on ``n`` one-object captions per split.

    The guidance scale with the best mean of colour, shape and position on val is chosen;
    test is reported at scale 1 and at that scale, and the held-out red triangles at that
    scale (``heldout_both``: judged red and triangular).
    """
    from .data import ShapesWorld
    from .nn import prior as P
    worlds = {split: ShapesWorld(split, n=n, seed=seed, max_objects=1) for split in ("val", "test", "heldout")}
    idx = np.arange(n)

    def scores(split, scale):
        ids = P.caption_ids(layout, tokenizer, worlds[split].captions)
        pixels = _decode(vqgan, P.sample_images(prior, layout, ids, guidance=scale, seed=seed))
        return image_scores(judge, pixels, worlds[split], idx), pixels

    val = {s: scores("val", s)[0] for s in scales}
    best = max(scales, key=lambda s: np.mean(list(val[s].values())))
    report = {"guidance": best}
    report.update({f"val_{k}_at_{s:g}": v for s in scales for k, v in val[s].items()})
    for s, tag in ((1.0, "plain"), (best, "guided")):
        report.update({f"test_{k}_{tag}": v for k, v in scores("test", s)[0].items()})
    got = judged(judge, scores("heldout", best)[1])
    report["heldout_both"] = ((got["colour"] == COLOURS.index("red")) &
                              (got["shape"] == SHAPES.index("triangle"))).float().mean().item()
    return report


def captioner_report(captioner, layout, vqgan, tokenizer, n: int = 500, seed: int = 0) -> dict:
    """The fraction of greedy captions of ``n`` one-object test images right on each attribute."""
    from .data import ShapesWorld, image_tensor
    from .nn import prior as P
    world = ShapesWorld("test", n=n, seed=seed, max_objects=1)
    codes = encode_codes(vqgan, image_tensor(world))
    written = [tokenizer.decode(ids) for ids in P.sample_captions(captioner, layout, codes)]
    return {f"test_{k}": v for k, v in caption_scores(written, world, np.arange(n)).items()}


def cvae_report(cvae, judge, n: int = 500, seed: int = 0, split: str = "test") -> dict:
    """The judge's reading of one CVAE sample per one-object scene of ``split``: the fraction
    drawn with the scene's colour, shape and position (chance 1/6, 1/4, 1/9)."""
    from .data import ShapesWorld
    from .nn.vae import scene_condition
    world = ShapesWorld(split, n=n, seed=seed, max_objects=1)
    cvae.eval()
    g = torch.Generator(device=next(cvae.parameters()).device).manual_seed(seed)
    pixels = torch.cat([cvae.sample(len(c), c, generator=g).cpu() for c in scene_condition(world).split(500)])
    return image_scores(judge, pixels, world, np.arange(n))


def pipeline_sounds(texts, seed: int = 0) -> np.ndarray:
    """Chapter 9's image-to-sound pipeline, from the words on: the Shapes world plays each
    one-object caption as a scene of that one object (its colour, shape and size; red,
    circle, small where a word is missing), with the world's own faint noise. Float32 (n, 3000)."""
    from .data.sounds import synthesise
    read = [read_caption(t) for t in texts]
    n = len(read)
    scenes = {k: np.full((n, 3), -1) for k in ("shape", "colour", "size", "row", "col")}
    for k, table in (("shape", SHAPES), ("colour", COLOURS), ("size", SIZES)):
        scenes[k][:, 0] = [table.index(r[k]) if r[k] else 0 for r in read]
    scenes["row"][:, 0] = scenes["col"][:, 0] = 1          # one object: its place does not change its sound
    scenes["count"] = np.ones(n, dtype=int)
    return synthesise(scenes, np.random.default_rng(seed))


def sound_scores(judge, spec: torch.Tensor, world) -> dict:
    """How a sound judge hears spectrograms against ``world``'s true sounds: per-slot
    accuracy of shape (timbre), colour (pitch), size (loudness) and the whole note over the
    slots that play one, and ``mse``, the mean squared spectrogram distance."""
    from .nn.sound_judge import heard_accuracy, slot_labels
    from .nn.sound_vq import sound_spectrogram
    true = sound_spectrogram(torch.from_numpy(world.sounds))
    if spec.shape != true.shape:
        raise ValueError(f"spec must be {tuple(true.shape)} for this world, got {tuple(spec.shape)}")
    return {**heard_accuracy(judge.hear(spec), slot_labels(world.scenes)),
            "mse": torch.nn.functional.mse_loss(spec.cpu(), true).item()}


def image_to_sound_report(translator, layout, vqgan, sound_vq, judge, n: int = 500, seed: int = 0,
                          split: str = "test", max_objects: int = 3) -> dict:
    """The sound judge's scores (:func:`sound_scores`) of greedy image-to-sound translations of
    ``n`` scenes of ``split``, decoded by ``sound_vq``; with ``max_objects=1``, one-object scenes."""
    from .data import ShapesWorld, image_tensor
    from .nn.translate import translate
    world = ShapesWorld(split, n=n, seed=seed, max_objects=max_objects)
    with torch.no_grad():
        codes = encode_codes(vqgan, image_tensor(world))
        spec = sound_vq.decode(translate(translator, layout, codes).to(next(sound_vq.parameters()).device)).cpu()
    return sound_scores(judge, spec, world)


def read_clip_caption(text: str) -> dict:
    """What a one-object clip caption says: its colour, shape and size at the start, its
    motion (one of ``MOTIONS``) and its change ("none", "grows", "shrinks" or "turns <colour>");
    None where the caption does not say it, or says it in words the grammar does not make
    (a caption cut short gets no credit for "none")."""
    from .data.motion import MOTIONS
    words = text.split()
    verb = next((i for i, w in enumerate(words) if w in ("moves", "stays", "turns", "grows", "shrinks")), len(words))
    start = read_caption(" ".join(words[:verb]))          # the noun phrase before the first verb
    rest, motion, change = words[verb:], None, None
    if rest[:2] == ["stays", "still"]:
        motion, change, rest = "stays", "none", rest[2:]
    elif rest[:1] == ["moves"] and len(rest) > 1 and rest[1] in MOTIONS[1:]:
        motion, rest = rest[1], rest[2:]
        change, rest = ("none", rest) if not rest else (None, rest[1:] if rest[0] == "and" else ["?"])
    if change is None and rest:
        if len(rest) == 2 and rest[0] == "turns" and rest[1] in COLOURS:
            change = f"turns {rest[1]}"
        elif rest in (["grows"], ["shrinks"]):
            change = rest[0]
        # an object that stays and changes is captioned by its change alone ("the red circle grows")
        motion = motion if motion or change is None else "stays"
    return {"colour": start["colour"], "shape": start["shape"], "size": start["size"], "motion": motion,
            "change": change}


def clip_attributes(clips, i: int) -> dict:
    """Clip ``i``'s first object in the words of :func:`read_clip_caption`."""
    from .data.motion import CHANGES, MOTIONS
    c = clips.clips
    change = CHANGES[c["change"][i, 0]]
    change = f"turns {COLOURS[c['new_colour'][i, 0]]}" if change == "colour" else change
    return {"colour": COLOURS[c["colour"][i, 0]], "shape": SHAPES[c["shape"][i, 0]], "size": SIZES[c["size"][i, 0]],
            "motion": MOTIONS[c["motion"][i, 0]], "change": change}


def clip_caption_scores(texts, clips) -> dict:
    """Fraction of written captions of one-object ``clips`` (a ShapesClips) that name each
    attribute right (colour, shape, size at the start; the motion verb; the change, new colour
    included), and ``all``: every one of them right."""
    if len(texts) != len(clips):
        raise ValueError(f"texts and clips must have the same length, got {len(texts)} and {len(clips)}")
    if (clips.clips["count"] != 1).any():
        raise ValueError("clip_caption_scores reads one-object captions: build the clips with max_objects=1")
    read = [read_clip_caption(t) for t in texts]
    truths = [clip_attributes(clips, i) for i in range(len(clips))]
    keys = ("colour", "shape", "size", "motion", "change")
    scores = {k: float(np.mean([r[k] == t[k] for r, t in zip(read, truths)])) for k in keys}
    scores["all"] = float(np.mean([all(r[k] == t[k] for k in keys) for r, t in zip(read, truths)]))
    return scores
