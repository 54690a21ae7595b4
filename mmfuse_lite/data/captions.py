"""Captions and questions from a small English grammar, and a word tokenizer.

Captions are templated but varied: synonyms ("big"/"large", "box"/"square"),
several sentence frames, absolute positions ("at the top left") or relations
("left of", "above"). Because the grammar is finite, so is the vocabulary: the
:class:`WordTokenizer` knows every word a caption or question can contain.
"""
from __future__ import annotations

import re

import numpy as np

from .world import COLOURS, SHAPES, SIZES

SHAPE_WORDS = {"circle": ("circle", "disc"), "square": ("square", "box"),
               "triangle": ("triangle",), "diamond": ("diamond", "rhombus")}
SIZE_WORDS = {"small": ("small", "little", "tiny"), "large": ("large", "big")}
# grid cell (row, col) -> phrase
POSITION_WORDS = {
    (0, 0): ("at the top left", "in the top left corner"),
    (0, 1): ("at the top", "at the top centre"),
    (0, 2): ("at the top right", "in the top right corner"),
    (1, 0): ("on the left", "at the middle left"),
    (1, 1): ("in the centre", "in the middle"),
    (1, 2): ("on the right", "at the middle right"),
    (2, 0): ("at the bottom left", "in the bottom left corner"),
    (2, 1): ("at the bottom", "at the bottom centre"),
    (2, 2): ("at the bottom right", "in the bottom right corner"),
}
RELATION_WORDS = {"left": ("left of", "to the left of"), "right": ("right of", "to the right of"),
                  "above": ("above",), "below": ("below", "under")}
OPPOSITE = {"left": "right", "right": "left", "above": "below", "below": "above"}
ONE_OBJECT = ("a {0} {p0}", "there is a {0} {p0}", "{p0} there is a {0}", "a picture of a {0} {p0}")
LIST_FRAMES = ("a {objs}", "there is a {objs}", "this picture shows a {objs}")
RELATION_FRAMES = ("a {0} is {rel} a {1}", "there is a {0} {rel} a {1}")
QUESTIONS = {
    "relation": ("is the {0} {rel} the {1} ?", "is the {0} {rel} the {1} in the picture ?"),
    "colour": ("what colour is the {s} ?", "which colour does the {s} have ?"),
    # "side" questions name the axis, so the answer (left / right / above / below) is never ambiguous
    "side": {"x": ("is the {0} left or right of the {1} ?", "is the {0} on the left or on the right ?"),
             "y": ("is the {0} above or below the {1} ?", "is the {0} at the top or at the bottom ?")},
    # "hop" questions name one object and ask about another, found by where it is relative to the first
    "hop": ("what colour is the shape {near} to the {0} ?", "which colour does the shape {near} to the {0} have ?"),
    "count": ("how many shapes are there ?", "how many shapes are in the picture ?"),
}
SIDES = ("left", "right", "above", "below")
# Words that only the "where" questions use. They stay out of the default vocabulary, so the
# chapters that never ask them keep their tokenizer (and with it their random initialisations):
# ask for them with ``WordTokenizer(extra_words=WHERE_WORDS)``.
WHERE_WORDS = ("or",)
# The word only the two-hop colour questions use (see :func:`hop_question`).
NEAR_WORDS = ("nearest", "closest")
HOP_WORDS = ("shape", *NEAR_WORDS)
# The words only the counting questions use (see :func:`count_question`).
COUNT_WORDS = ("how", "many", "shapes", "are")
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


def pick(rng: np.random.Generator, options):
    """A random element of a sequence (faster than ``rng.choice`` on short tuples)."""
    return options[int(rng.integers(len(options)))]


def object_phrase(scene: dict, i: int, k: int, rng: np.random.Generator) -> str:
    """'<size> <colour> <shape>' for object k of scene i, with random synonyms."""
    size = SIZE_WORDS[SIZES[scene["size"][i, k]]]
    shape = SHAPE_WORDS[SHAPES[scene["shape"][i, k]]]
    return f"{pick(rng, size)} {COLOURS[scene['colour'][i, k]]} {pick(rng, shape)}"


def relation(scene: dict, i: int, a: int, b: int, axis: str) -> str:
    """Where object a is relative to object b along 'x' or 'y': left/right/above/below."""
    if axis == "x":
        d = scene["col"][i, a] - scene["col"][i, b]
        return "left" if d < 0 else "right"
    d = scene["row"][i, a] - scene["row"][i, b]
    return "above" if d < 0 else "below"


def differing_axes(scene: dict, i: int, a: int, b: int) -> list[str]:
    """The axes along which objects a and b are in different grid cells."""
    return [ax for ax, key in (("x", "col"), ("y", "row")) if scene[key][i, a] != scene[key][i, b]]


def caption_order(seed: int, count: int) -> np.ndarray:
    """The order in which :func:`caption` with ``default_rng(seed)`` mentions the objects."""
    return np.random.default_rng(seed).permutation(count)


def caption(scene: dict, i: int, rng: np.random.Generator) -> str:
    """One caption for scene i. Every object is named; positions are absolute or relational."""
    k = int(scene["count"][i])
    order = rng.permutation(k)  # first draw: caption_order() relies on it
    objs = [object_phrase(scene, i, j, rng) for j in order]
    pos = [pick(rng, POSITION_WORDS[(scene["row"][i, j], scene["col"][i, j])]) for j in order]
    if k == 1:
        return pick(rng, ONE_OBJECT).format(objs[0], p0=pos[0])
    if rng.random() < 0.5:  # absolute positions for every object
        parts = [f"{o} {p}" for o, p in zip(objs, pos)]
        body = ", a ".join(parts[:-1]) + " and a " + parts[-1]
        return pick(rng, LIST_FRAMES).format(objs=body)
    a, b = order[0], order[1]
    rel = relation(scene, i, a, b, pick(rng, differing_axes(scene, i, a, b)))
    text = pick(rng, RELATION_FRAMES).format(objs[0], objs[1], rel=pick(rng, RELATION_WORDS[rel]))
    if k == 3:
        text += f" , and a {objs[2]} {pos[2]}"
    return text


def relation_question(scene: dict, i: int, rng: np.random.Generator) -> tuple[str, int]:
    """A yes/no question about two objects of scene i (needs count >= 2). Balanced 50/50."""
    a, b = rng.permutation(int(scene["count"][i]))[:2]
    rel = relation(scene, i, a, b, pick(rng, differing_axes(scene, i, a, b)))
    answer = int(rng.random() < 0.5)
    asked = rel if answer else OPPOSITE[rel]
    def name(j):
        return f"{COLOURS[scene['colour'][i, j]]} {pick(rng, SHAPE_WORDS[SHAPES[scene['shape'][i, j]]])}"
    q = pick(rng, QUESTIONS["relation"]).format(name(a), name(b), rel=pick(rng, RELATION_WORDS[asked]))
    return q, answer


def side_question(scene: dict, i: int, rng: np.random.Generator, absolute: float = 0.5) -> tuple[str, int]:
    """'is the <A> left or right of the <B> ?' (or above or below) about two objects of scene i;
    answer = index in :data:`SIDES`. With probability ``absolute`` (when A is not in the
    middle row / column) it asks about A and the picture instead: 'is the <A> on the left or
    on the right ?'. Those one-object questions teach a model to find objects; the
    two-object ones need it to compare them."""
    a, b = rng.permutation(int(scene["count"][i]))[:2]
    axis = pick(rng, differing_axes(scene, i, a, b))
    cell = int(scene["col" if axis == "x" else "row"][i, a])
    def name(j):
        return f"{COLOURS[scene['colour'][i, j]]} {pick(rng, SHAPE_WORDS[SHAPES[scene['shape'][i, j]]])}"
    relative, single = QUESTIONS["side"][axis]
    if cell != 1 and rng.random() < absolute:
        side = ("left", "right") if axis == "x" else ("above", "below")
        return single.format(name(a)), SIDES.index(side[cell // 2])
    return relative.format(name(a), name(b)), SIDES.index(relation(scene, i, a, b, axis))


def hop_targets(scene: dict, i: int) -> list[tuple[int, int]]:
    """Every (named, target) of scene i in which ``target`` is strictly the nearest other
    object to ``named`` (grid cells, Euclidean). A scene of two or more objects always has
    one: the closest pair, or, when two pairs tie, the object both are measured from."""
    k = int(scene["count"][i])
    rc = np.stack([scene["row"][i, :k], scene["col"][i, :k]], 1).astype(np.int64)
    d2 = ((rc[:, None] - rc[None]) ** 2).sum(-1)
    out = []
    for a in range(k):
        others = sorted((int(d2[a, b]), b) for b in range(k) if b != a)
        if len(others) == 1 or others[0][0] < others[1][0]:
            out.append((a, others[0][1]))
    return out


def hop_question(scene: dict, i: int, rng: np.random.Generator) -> tuple[str, int]:
    """'what colour is the shape nearest to the red circle ?' about scene i; answer = colour index.

    Two hops: find the named object, then the object nearest to it, and read its colour.
    The asked object is never named, and which one it is depends on where the named one
    is, so a look guided by the question alone cannot find it."""
    options = hop_targets(scene, i)
    if not options:
        raise ValueError(f"scene {i} has {int(scene['count'][i])} object(s); a hop question needs two or more")
    a, target = pick(rng, options)
    name = f"{COLOURS[scene['colour'][i, a]]} {pick(rng, SHAPE_WORDS[SHAPES[scene['shape'][i, a]]])}"
    return pick(rng, QUESTIONS["hop"]).format(name, near=pick(rng, NEAR_WORDS)), int(scene["colour"][i, target])


def colour_question(scene: dict, i: int, rng: np.random.Generator) -> tuple[str, int]:
    """'what colour is the <shape> ?' about a random object of scene i; answer = colour index."""
    j = rng.integers(int(scene["count"][i]))
    q = pick(rng, QUESTIONS["colour"]).format(s=pick(rng, SHAPE_WORDS[SHAPES[scene["shape"][i, j]]]))
    return q, int(scene["colour"][i, j])


def count_question(scene: dict, i: int, rng: np.random.Generator) -> tuple[str, int]:
    """'how many shapes are there ?' about scene i; answer = number of objects - 1 (0, 1, 2)."""
    return pick(rng, QUESTIONS["count"]), int(scene["count"][i]) - 1


def grammar_words() -> list[str]:
    """Every word the grammar can produce, sorted."""
    texts = [*COLOURS, *(w for v in SHAPE_WORDS.values() for w in v),
             *(w for v in SIZE_WORDS.values() for w in v), *(w for v in POSITION_WORDS.values() for w in v),
             *(w for v in RELATION_WORDS.values() for w in v), *ONE_OBJECT, *LIST_FRAMES,
             *RELATION_FRAMES, *QUESTIONS["relation"], *QUESTIONS["colour"], ", and a"]
    words = set()
    for t in texts:
        words.update(w for w in _split(re.sub(r"\{[^}]*\}", " ", t)))
    return sorted(words)


def _split(text: str) -> list[str]:
    return re.findall(r"[a-z]+|[,?]", text.lower())


class WordTokenizer:
    """A word-level tokenizer with a fixed vocabulary taken from the grammar.

    ``encode`` maps a sentence to ids, ``decode`` maps back; calling the tokenizer
    on a list of sentences returns a padded ``(B, max_len)`` LongTensor.
    """

    def __init__(self, max_len: int = 40, extra_words=()):
        if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 3:
            raise ValueError(f"max_len must be an int >= 3, got {max_len!r}")
        if isinstance(extra_words, str) or any(_split(w) != [w] for w in extra_words):
            raise ValueError(f"extra_words must be a sequence of lower-case words, got {extra_words!r}")
        self.max_len = max_len
        base = grammar_words()
        # extra words go last, so the ids of the grammar's words do not move
        self.vocab = list(SPECIALS) + base + [w for w in dict.fromkeys(extra_words) if w not in base]
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = range(4)

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, add_special: bool = True) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"expected a str, got {type(text).__name__}")
        ids = [self.index.get(w, self.unk_id) for w in _split(text)]
        return [self.bos_id, *ids, self.eos_id] if add_special else ids

    def unknown_words(self, texts) -> list[str]:
        """The words of ``texts`` outside the vocabulary, sorted."""
        return sorted({w for t in ([texts] if isinstance(texts, str) else texts) for w in _split(t)} - set(self.index))

    def require(self, texts, what: str = "the texts") -> None:
        """Raise a clear ValueError if ``texts`` use a word outside the vocabulary."""
        unknown = self.unknown_words(texts)
        if unknown:
            fix = next((f"extra_words={name}" for name, words in (("WHERE_WORDS", WHERE_WORDS), ("HOP_WORDS", HOP_WORDS),
                                                                            ("COUNT_WORDS", COUNT_WORDS))
                        if set(unknown) <= set(words)), f"extra_words={unknown}")
            raise ValueError(f"{what} use words outside the tokenizer's vocabulary: {unknown}; "
                             f"build it with WordTokenizer({fix})")

    def decode(self, ids) -> str:
        """Token ids (a list or a 1-D tensor) -> the sentence; <pad>, <bos>, <eos> are left out."""
        if isinstance(ids, str) or not hasattr(ids, "__iter__"):
            raise TypeError(f"ids must be a list or 1-D tensor of token ids, got {type(ids).__name__} {ids!r}")
        if getattr(ids, "dim", lambda: 1)() != 1:
            raise ValueError(f"ids must be one sentence (1-D), got shape {tuple(ids.shape)}; decode each row")
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < len(self.vocab)]
        if bad:
            raise ValueError(f"token ids must be in [0, {len(self.vocab)}) for this vocabulary, got {bad[:5]}")
        return " ".join(self.vocab[i] for i in ids if i not in (self.pad_id, self.bos_id, self.eos_id))

    def __call__(self, texts):
        import torch
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts) if hasattr(texts, "__iter__") and not torch.is_tensor(texts) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            inner = next((type(t).__name__ for t in texts if not isinstance(t, str)), None) \
                if isinstance(texts, list) else None
            raise TypeError(f"the tokenizer takes a string or a list of strings, got {type(texts).__name__}"
                            + (f" holding {inner}" if inner else ""))
        if not texts:
            raise ValueError("the tokenizer got an empty list of texts: at least one is needed")
        out = torch.full((len(texts), self.max_len), self.pad_id, dtype=torch.long)
        for row, t in enumerate(texts):
            ids = self.encode(t)
            if len(ids) > self.max_len:
                raise ValueError(f"sentence has {len(ids)} tokens, more than max_len={self.max_len}: {t!r}")
            out[row, :len(ids)] = torch.tensor(ids)
        return out

    def bag_of_words(self, texts) -> "torch.Tensor":
        """(B, vocab) float word counts of a list of sentences; padding is not counted."""
        import torch
        counts = torch.nn.functional.one_hot(self(texts), len(self)).sum(1).float()
        counts[:, self.pad_id] = 0
        return counts
