"""Open-ended questions: the answer is one or two words, not a class index (chapter 7, section 7.9).

========= =================================================== ============
kind      question                                            answer
========= =================================================== ============
colour    what colour is the square ?                         red
shape     what shape is the red one ?                         square
count     how many shapes are there ?                         two
where     is the red circle left or right of the box ?        left  (or top / bottom)
nearest   what is nearest to the red circle ?                 blue square
hop       what colour is the shape nearest to the red circle ? blue
========= =================================================== ============

``hop`` is made of the others' parts (the frame of ``colour``, the phrase of ``nearest``),
so section 7.9 can hold it out of training and ask whether a model composes them.
Answers use canonical words (``square``, never its synonym ``box``), so exact match is fair.
"""
from __future__ import annotations

import numpy as np

from .captions import (COUNT_WORDS, HOP_WORDS, NEAR_WORDS, SHAPE_WORDS, SIDES, WHERE_WORDS, colour_question,
                       count_question, hop_question, hop_targets, pick, side_question)
from .world import COLOURS, SHAPES

VQA_KINDS = ("colour", "shape", "count", "where", "nearest", "hop")
NUMBER_WORDS = ("one", "two", "three")
# the words the open-ended questions and answers add to the grammar's
VQA_WORDS = (*WHERE_WORDS, *HOP_WORDS, *COUNT_WORDS, *NUMBER_WORDS)
FRAMES = {"shape": ("what shape is the {c} one ?", "which shape is {c} ?"),
          "nearest": ("what is {near} to the {0} ?", "which shape is {near} to the {0} ?")}
ABSOLUTE = {"above": "top", "below": "bottom"}
MIN_OBJECTS = {"colour": 2, "shape": 2, "count": 1, "where": 2, "nearest": 2, "hop": 2}


def check_kinds(kinds) -> tuple[str, ...]:
    if isinstance(kinds, str) or not kinds or any(k not in VQA_KINDS for k in kinds):
        raise ValueError(f"kinds must be a non-empty list of {list(VQA_KINDS)}, got {kinds!r}")
    return tuple(kinds)


def vqa_question(scene: dict, i: int, kind: str, rng: np.random.Generator) -> tuple[str, str]:
    """One question of ``kind`` about scene i, and its answer in words."""
    check_kinds([kind])
    k = int(scene["count"][i])
    if k < MIN_OBJECTS[kind]:
        raise ValueError(f"scene {i} has {k} object(s); a {kind!r} question needs {MIN_OBJECTS[kind]} or more")
    if kind == "colour":
        q, a = colour_question(scene, i, rng)
        return q, COLOURS[a]
    if kind == "shape":
        j = int(rng.integers(k))
        return pick(rng, FRAMES["shape"]).format(c=COLOURS[scene["colour"][i, j]]), SHAPES[scene["shape"][i, j]]
    if kind == "count":
        q, a = count_question(scene, i, rng)
        return q, NUMBER_WORDS[a]
    if kind == "where":
        q, a = side_question(scene, i, rng)
        # answer in the question's own words: "at the top or at the bottom ?" -> "top"
        return q, (ABSOLUTE[SIDES[a]] if q.endswith("at the bottom ?") else SIDES[a])
    if kind == "hop":
        q, a = hop_question(scene, i, rng)
        return q, COLOURS[a]
    a, target = pick(rng, hop_targets(scene, i))
    name = f"{COLOURS[scene['colour'][i, a]]} {pick(rng, SHAPE_WORDS[SHAPES[scene['shape'][i, a]]])}"
    question = pick(rng, FRAMES["nearest"]).format(name, near=pick(rng, NEAR_WORDS))
    return question, f"{COLOURS[scene['colour'][i, target]]} {SHAPES[scene['shape'][i, target]]}"


def vqa_questions(scene: dict, kind: str, seed: int) -> tuple[np.ndarray, list[str], list[str]]:
    """A question of ``kind`` about every scene it applies to: ``(indices, questions, answers)``.
    ``seed`` fixes the wording; each kind draws from its own generator."""
    check_kinds([kind])
    rng = np.random.default_rng([seed, VQA_KINDS.index(kind)])
    idx = np.flatnonzero(scene["count"] >= MIN_OBJECTS[kind])
    pairs = [vqa_question(scene, int(i), kind, rng) for i in idx]
    return idx, [q for q, _ in pairs], [a for _, a in pairs]
