"""Tasks on the Shapes world, and which modalities can solve them.

========== ===================================== ============================ =========
task       text input                            label                        needs
========== ===================================== ============================ =========
redundant  the caption (one-object scenes)       the object's colour (6)      any one
synergistic a caption, true or with one           1 if the caption is true (2) image AND
           attribute changed (hard negative)                                  caption
relational "is the red circle left of the box ?" yes / no (2)                 image AND
                                                                              question
where      "is the red circle left or right of   left / right / above /       image AND
           the box ?" or "... on the left or on   below (4)                    question
           the right ?" (a third ask about
           one object); tokenize with
           WordTokenizer(extra_words=WHERE_WORDS)
query      "what colour is the square ?"         colour of that object (6)    image AND
                                                                              question
hop        "what colour is the shape nearest to  colour of the object        image AND
           the red circle ?" (three objects);    nearest to it (6)            question
           tokenize with
           WordTokenizer(extra_words=HOP_WORDS)
count      "how many shapes are there ?";        number of objects - 1 (3)    image
           tokenize with
           WordTokenizer(extra_words=COUNT_WORDS)
========== ===================================== ============================ =========

Negatives and questions are balanced so that the text alone carries no signal
about the label on the synergistic and relational tasks.
"""
from __future__ import annotations

import numpy as np

from .captions import SIDES, caption, caption_order, colour_question, count_question, hop_question, relation_question, side_question
from .world import COLOURS, GRID, HELDOUT, SHAPES

TASKS = {
    "redundant": dict(num_classes=len(COLOURS), min_objects=1, max_objects=1),
    "synergistic": dict(num_classes=2, min_objects=1, max_objects=3),
    "relational": dict(num_classes=2, min_objects=2, max_objects=3),
    "where": dict(num_classes=len(SIDES), min_objects=2, max_objects=3),
    "query": dict(num_classes=len(COLOURS), min_objects=2, max_objects=3),
    # three objects, so that the named object's partner is not simply "the other one"
    "hop": dict(num_classes=len(COLOURS), min_objects=3, max_objects=3),
    "count": dict(num_classes=3, min_objects=1, max_objects=3),
}
ATTRIBUTES = ("colour", "shape", "size", "position")


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
    return task


def perturb(scene: dict, i: int, attribute: str, rng: np.random.Generator,
            allow_heldout: bool = False, pair: tuple[int, int] = (0, 1)) -> dict:
    """A copy of scene i (as a one-row scene) with one attribute of one object changed.

    The new value is one that keeps the scene valid (distinct colours and shapes,
    free cells) so the changed caption looks like any other caption. ``position``
    swaps the cells of the objects in ``pair`` (the two a caption mentions first,
    which flips its relation) or moves a lone object.
    """
    one = {k: v[i:i + 1].copy() for k, v in scene.items()}
    k = int(one["count"][0])
    j = int(rng.integers(k))
    held_c, held_s = COLOURS.index(HELDOUT[0]), SHAPES.index(HELDOUT[1])
    if attribute in ("colour", "shape"):
        n_values = len(COLOURS) if attribute == "colour" else len(SHAPES)
        other_key = "shape" if attribute == "colour" else "colour"
        forbidden = held_c if attribute == "colour" else held_s   # value that would make the held-out pair
        partner = held_s if attribute == "colour" else held_c
        used = set(one[attribute][0, :k].tolist())
        for j in [j, *rng.permutation(k)]:
            choices = [v for v in range(n_values) if v not in used
                       and (allow_heldout or not (v == forbidden and one[other_key][0, j] == partner))]
            if choices:
                one[attribute][0, j] = rng.choice(choices)
                return one
        attribute = "size"  # every value is taken: change the size instead
    if attribute == "size":
        one["size"][0, j] = 1 - one["size"][0, j]
    elif attribute == "position":
        if k >= 2:
            a, b = pair
            for key in ("row", "col"):
                one[key][0, a], one[key][0, b] = one[key][0, b], one[key][0, a]
        else:
            used = {(one["row"][0, 0], one["col"][0, 0])}
            free = [c for c in range(GRID * GRID) if (c // GRID, c % GRID) not in used]
            cell = rng.choice(free)
            one["row"][0, 0], one["col"][0, 0] = cell // GRID, cell % GRID
    else:
        raise ValueError(f"unknown attribute {attribute!r}: expected one of {', '.join(ATTRIBUTES)}")
    return one


def make_task(scenes: dict, caption_seeds: np.ndarray, task: str, rng: np.random.Generator,
              split: str = "train") -> tuple[np.ndarray, list[str], np.ndarray]:
    """Build a task over the scenes it applies to.

    Returns ``(indices, texts, labels)``: the scenes used, one text input per scene,
    and integer labels.
    """
    spec = TASKS[check_task(task)]
    count = scenes["count"]
    idx = np.flatnonzero((count >= spec["min_objects"]) & (count <= spec["max_objects"]))
    texts, labels = [], []
    for i in idx:
        crng = np.random.default_rng(caption_seeds[i])
        if task == "redundant":
            texts.append(caption(scenes, i, crng))
            labels.append(int(scenes["colour"][i, 0]))
        elif task == "synergistic":
            label = int(rng.random() < 0.5)
            if label:
                texts.append(caption(scenes, i, crng))
            else:
                attr = ATTRIBUTES[rng.integers(len(ATTRIBUTES))]
                order = caption_order(caption_seeds[i], int(count[i]))
                wrong = perturb(scenes, i, attr, rng, split == "heldout", pair=tuple(order[:2]))
                # same caption seed: same frame and word order, one fact changed
                texts.append(caption(wrong, 0, crng))
            labels.append(label)
        elif task == "relational":
            q, a = relation_question(scenes, i, rng)
            texts.append(q)
            labels.append(a)
        elif task == "where":
            q, a = side_question(scenes, i, rng)
            texts.append(q)
            labels.append(a)
        elif task == "hop":
            q, a = hop_question(scenes, i, rng)
            texts.append(q)
            labels.append(a)
        elif task == "count":
            q, a = count_question(scenes, i, rng)
            texts.append(q)
            labels.append(a)
        else:
            q, a = colour_question(scenes, i, rng)
            texts.append(q)
            labels.append(a)
    return idx, texts, np.array(labels, dtype=np.int64)
