"""Read a caption back into what it claims, and test the claim against scenes.

The grammar of :mod:`.captions` is finite, so a caption can be parsed exactly: its
objects (size, colour, shape), each one's absolute position when it has one, and at
most one relation ("a red circle is left of a blue square"). :func:`true_of` then says
which scenes a caption is true of. Retrieval needs it: a test caption often describes
several test images, so "the one image it was written for" is a stricter score than
"an image it is true of" (chapter 8).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import permutations

import numpy as np

from .captions import POSITION_WORDS, RELATION_WORDS, SHAPE_WORDS, SIZE_WORDS
from .world import COLOURS, SHAPES, SIZES


def _alternatives(phrases: dict) -> tuple[re.Pattern, dict]:
    """A regex of every phrase (longest first, so 'at the top left' wins over 'at the top')."""
    meaning = {p: key for key, options in phrases.items() for p in options}
    words = sorted(meaning, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b"), meaning


_SIZE = {w: SIZES.index(s) for s, ws in SIZE_WORDS.items() for w in ws}
_SHAPE = {w: SHAPES.index(s) for s, ws in SHAPE_WORDS.items() for w in ws}
_OBJECT = re.compile(r"\b(" + "|".join(_SIZE) + r") (" + "|".join(COLOURS) + r") (" + "|".join(_SHAPE) + r")\b")
_POSITION, _CELL = _alternatives(POSITION_WORDS)
_RELATION, _REL = _alternatives(RELATION_WORDS)


@dataclass
class Claim:
    """What a caption says: objects as (size, colour, shape) indices, a grid cell (row, col)
    or None per object, and an optional relation (a, name, b) between objects a and b."""
    objects: list[tuple[int, int, int]]
    cells: list[tuple[int, int] | None]
    relation: tuple[int, str, int] | None = None
    text: str = field(default="", repr=False)


def parse_caption(text: str) -> Claim:
    """The :class:`Claim` of one caption of the course's grammar; ValueError for anything else."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a caption string, got {type(text).__name__}")
    objs = list(_OBJECT.finditer(text))
    if not objs:
        raise ValueError(f"no '<size> <colour> <shape>' object in {text!r}: not a caption of the Shapes grammar")
    positions = list(_POSITION.finditer(text))
    relations = list(_RELATION.finditer(text))
    cells: list[tuple[int, int] | None] = [None] * len(objs)
    for p in positions:
        # a position follows its object ("a red circle at the top"), or comes first in the
        # one-object frame "at the top there is a red circle"
        after = [k for k, o in enumerate(objs) if o.end() <= p.start() and text[o.end():p.start()].strip() == ""]
        k = after[0] if after else (0 if len(objs) == 1 else None)
        if k is None or cells[k] is not None:
            raise ValueError(f"cannot tell which object {p.group(0)!r} places in {text!r}")
        cells[k] = _CELL[p.group(0)]
    relation = None
    if relations:
        r = relations[0]
        a = max(k for k, o in enumerate(objs) if o.end() <= r.start())
        relation = (a, _REL[r.group(0)], a + 1)
    if len(relations) > 1 or sum(c is None for c in cells) != (2 if relation else 0):
        raise ValueError(f"{text!r} does not place every object once: not a caption of the Shapes grammar")
    attrs = [(_SIZE[o.group(1)], COLOURS.index(o.group(2)), _SHAPE[o.group(3)]) for o in objs]
    return Claim(attrs, cells, relation, text)


def true_of(caption: str | Claim, scenes: dict) -> np.ndarray:
    """(N,) bool: for each scene, is ``caption`` true of it? Every object of the scene must be
    named (captions name all of them), with its size, colour and shape, and each stated
    position or relation must hold."""
    claim = caption if isinstance(caption, Claim) else parse_caption(caption)
    count = np.asarray(scenes["count"])
    k = len(claim.objects)
    ok_any = np.zeros(len(count), dtype=bool)
    if k > scenes["shape"].shape[1]:
        return ok_any
    for perm in permutations(range(k)):         # caption object j is scene object perm[j]
        ok = count == k
        for j, m in enumerate(perm):
            size, colour, shape = claim.objects[j]
            ok = ok & (scenes["size"][:, m] == size) & (scenes["colour"][:, m] == colour) \
                & (scenes["shape"][:, m] == shape)
            if claim.cells[j] is not None:
                ok = ok & (scenes["row"][:, m] == claim.cells[j][0]) & (scenes["col"][:, m] == claim.cells[j][1])
        if claim.relation is not None:
            a, name, b = claim.relation
            key = "col" if name in ("left", "right") else "row"
            d = scenes[key][:, perm[a]].astype(int) - scenes[key][:, perm[b]].astype(int)
            ok = ok & ((d < 0) if name in ("left", "above") else (d > 0))
        ok_any |= ok
    return ok_any


def truth_matrix(captions, scenes: dict) -> np.ndarray:
    """(len(captions), N) bool: entry (j, i) says whether caption j is true of scene i."""
    return np.stack([true_of(c, scenes) for c in captions])
