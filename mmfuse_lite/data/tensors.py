"""A task as a dict of tensors in memory, and a shuffling batch iterator over it.

Small models train faster from tensors than through a per-item ``Dataset``: a
batch is one indexing operation instead of 32 Python calls and a collate.
"""
from __future__ import annotations

import torch

from .captions import WordTokenizer
from .datasets import MODALITIES, ShapesWorld


def task_tensors(world: ShapesWorld, task: str, modalities=MODALITIES, tokenizer: WordTokenizer | None = None,
                 raw_text: bool = False) -> dict:
    """The scenes of ``task`` as ``{"image", "text", "sound", "label", "index"}``.

    ``image`` float (N, 3, H, W) in [0, 1]; ``text`` token ids (N, L), L the longest
    text, or the strings themselves with ``raw_text=True``; ``sound`` (N, T) waves.
    """
    if not isinstance(world, ShapesWorld):
        raise TypeError(f"expected a ShapesWorld, got {type(world).__name__}")
    bad = [m for m in modalities if m not in MODALITIES]
    if bad or isinstance(modalities, str):
        raise ValueError(f"unknown modalities {bad or modalities!r}: expected a subset of {MODALITIES}")
    idx, texts, labels = world.task(task)
    out = {"index": torch.from_numpy(idx), "label": torch.from_numpy(labels)}
    if "image" in modalities:
        out["image"] = torch.from_numpy(world.images[idx]).float().div_(255)
    if "text" in modalities:
        if raw_text:
            out["text"] = list(texts)
        else:
            tokenizer = tokenizer or WordTokenizer()
            tokenizer.require(texts, f"the {task!r} texts")
            ids = tokenizer(texts)
            out["text"] = ids[:, :int((ids != 0).sum(1).max())]
    if "sound" in modalities:
        out["sound"] = torch.from_numpy(world.sounds[idx])
    return out


class Batches:
    """Shuffled mini-batches of a dict of equally long tensors (or lists), one pass per
    iteration; the order of pass ``e`` is fixed by ``(seed, e)``."""

    def __init__(self, data: dict, batch_size: int = 64, seed: int = 0, shuffle: bool = True):
        if not isinstance(data, dict) or not data:
            raise TypeError(f"data must be a non-empty dict of name -> tensor or list (e.g. from task_tensors), "
                            f"got {type(data).__name__}" + (" (empty)" if isinstance(data, dict) else ""))
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        bad = {k: type(v).__name__ for k, v in data.items() if not (torch.is_tensor(v) or isinstance(v, list))}
        if bad:
            raise TypeError(f"every entry must be a tensor or a list, got {bad}")
        lengths = {k: len(v) for k, v in data.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"every entry must have the same length, got {lengths}")
        if not next(iter(lengths.values())):
            raise ValueError(f"data has no rows (lengths {lengths}): Batches would yield nothing")
        self.data, self.batch_size, self.seed, self.shuffle = data, batch_size, seed, shuffle
        self.n, self.epoch = next(iter(lengths.values())), 0

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 10007 + self.epoch)
        self.epoch += 1
        order = torch.randperm(self.n, generator=g) if self.shuffle else torch.arange(self.n)
        for i in range(0, self.n, self.batch_size):
            idx = order[i:i + self.batch_size]
            yield {k: v[idx] if torch.is_tensor(v) else [v[j] for j in idx.tolist()] for k, v in self.data.items()}
