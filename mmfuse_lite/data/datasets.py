"""One split of the Shapes world as arrays, PyTorch ``Dataset``s and loaders."""
from __future__ import annotations

import functools

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .captions import WordTokenizer, caption
from .sounds import synthesise
from .tasks import TASKS, check_task, make_task
from .world import COLOURS, SHAPES, SIZES, SPLITS, digest, render, sample_scenes, split_rng

MODALITIES = ("image", "text", "sound")


class ShapesWorld:
    """One split of the Shapes world, generated in memory from ``(split, seed)``.

    Attributes:
        scenes: dict of int arrays (n, 3): shape, colour, size, row, col; and count (n,).
        images: uint8 array (n, 3, H, W).
        captions: list of n strings.
        sounds: float32 array (n, 3000) at 8 kHz, made on first use.

    Example::

        world = ShapesWorld("train", n=1000)
        world.images.shape, world.captions[0]
    """

    def __init__(self, split: str = "train", n: int = 1000, seed: int = 0, image_size: int = 32,
                 min_objects: int = 1, max_objects: int = 3):
        rng = split_rng(split, seed)
        self.split, self.seed, self.image_size = split, seed, image_size
        self.scenes = sample_scenes(n, split, rng=rng, min_objects=min_objects, max_objects=max_objects)
        self.images = render(self.scenes, image_size, rng)
        self.caption_seeds = rng.integers(2**63, size=n)
        self.captions = [caption(self.scenes, i, np.random.default_rng(s)) for i, s in enumerate(self.caption_seeds)]
        self._sound_seed = int(rng.integers(2**63))

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        return f"ShapesWorld(split={self.split!r}, n={len(self)}, seed={self.seed}, image_size={self.image_size})"

    @functools.cached_property
    def sounds(self) -> np.ndarray:
        return synthesise(self.scenes, np.random.default_rng(self._sound_seed))

    @functools.lru_cache(maxsize=None)
    def task(self, name: str) -> tuple[np.ndarray, list[str], np.ndarray]:
        """``(indices, texts, labels)`` of a task; see :mod:`mmfuse_lite.data.tasks`."""
        task_id = list(TASKS).index(check_task(name))
        rng = np.random.default_rng([self.seed, SPLITS.index(self.split), 100 + task_id])
        return make_task(self.scenes, self.caption_seeds, name, rng, self.split)

    def describe(self, i: int) -> list[dict]:
        """The objects of scene i as readable dicts."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -len(self) <= i < len(self):
            raise IndexError(f"scene index must be an int in [0, {len(self)}) for this {self!r}, got {i!r}")
        s = self.scenes
        return [dict(shape=SHAPES[s["shape"][i, k]], colour=COLOURS[s["colour"][i, k]],
                     size=SIZES[s["size"][i, k]], row=int(s["row"][i, k]), col=int(s["col"][i, k]))
                for k in range(int(s["count"][i]))]

    def digest(self) -> str:
        """SHA-256 over images, sounds and scenes: equal seeds give equal digests."""
        return digest(self.images, self.sounds, *(self.scenes[k] for k in sorted(self.scenes)))


class ShapesDataset(Dataset):
    """Items of a :class:`ShapesWorld` as dicts of tensors.

    With ``task=None`` every scene is used and ``text`` is its caption. With a task
    name, only the scenes the task applies to are used, ``text`` is the task's text
    input and ``label`` its label. ``image`` is float32 in [0, 1], (3, H, W);
    ``text`` is a LongTensor of token ids; ``sound`` is a float32 waveform.
    """

    def __init__(self, world: ShapesWorld, task: str | None = None,
                 modalities=MODALITIES, tokenizer: WordTokenizer | None = None):
        if not isinstance(world, ShapesWorld):
            raise TypeError(f"expected a ShapesWorld, got {type(world).__name__}")
        bad = [m for m in modalities if m not in MODALITIES]
        if bad or isinstance(modalities, str):
            raise ValueError(f"unknown modalities {bad or modalities!r}: expected a subset of {MODALITIES}")
        self.world, self.task, self.modalities = world, task, tuple(modalities)
        self.tokenizer = tokenizer or WordTokenizer()
        if task is None:
            self.indices, self.texts, self.labels = np.arange(len(world)), world.captions, None
        else:
            self.indices, self.texts, self.labels = world.task(task)
        if "text" in self.modalities:
            self.tokenizer.require(self.texts, f"the {task or 'caption'!r} texts")
        self.num_classes = None if task is None else TASKS[task]["num_classes"]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, j: int) -> dict:
        if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not -len(self) <= j < len(self):
            raise IndexError(f"item index must be an int in [0, {len(self)}), got {j!r}")
        i = int(self.indices[j])
        item = {"index": i}
        if "image" in self.modalities:
            item["image"] = torch.from_numpy(self.world.images[i]).float().div_(255)
        if "text" in self.modalities:
            item["text"] = self.tokenizer(self.texts[j])[0]
        if "sound" in self.modalities:
            item["sound"] = torch.from_numpy(self.world.sounds[i])
        if self.labels is not None:
            item["label"] = int(self.labels[j])
        return item


def make_loader(dataset: Dataset, batch_size: int = 64, shuffle: bool = True, seed: int = 0,
                drop_last: bool = False, num_workers: int = 0) -> DataLoader:
    """A ``DataLoader`` whose shuffling order is fixed by ``seed``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(dataset, Dataset) or not hasattr(dataset, "__len__"):
        raise TypeError(f"dataset must be a torch Dataset (e.g. ShapesDataset), got {type(dataset).__name__}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty: a loader over it would yield no batch")
    if drop_last and len(dataset) < batch_size:
        raise ValueError(f"drop_last=True with {len(dataset)} items and batch_size={batch_size} yields no batch; "
                         "lower batch_size or set drop_last=False")
    g = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=g,
                      drop_last=drop_last, num_workers=num_workers)


def noise_free_images(split: str, n: int, seed: int = 0) -> torch.Tensor:
    """The images of ``ShapesWorld(split, n, seed)`` rendered without the pixel noise: the same
    scenes with the same random draws, so ``psnr(noise_free, noisy)`` is a perfect denoiser's score."""
    from . import world as world_module
    std, world_module.NOISE_STD = world_module.NOISE_STD, 0.0
    try:
        return image_tensor(ShapesWorld(split, n=n, seed=seed))
    finally:
        world_module.NOISE_STD = std


def image_tensor(world: ShapesWorld, indices=None) -> torch.Tensor:
    """Images of a world as one float32 tensor in [0, 1], (n, 3, H, W)."""
    if not isinstance(world, ShapesWorld):
        raise TypeError(f"expected a ShapesWorld, got {type(world).__name__}")
    if indices is not None:
        idx = np.asarray(indices.cpu() if torch.is_tensor(indices) else indices)
        if idx.dtype == bool:
            if idx.shape != (len(world),):
                raise ValueError(f"a boolean mask must have shape ({len(world)},), got {idx.shape}")
        elif not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"indices must be integers or a boolean mask, got dtype {idx.dtype}")
        elif idx.size and (idx.min() < -len(world) or idx.max() >= len(world)):
            raise IndexError(f"indices must be in [0, {len(world)}) for {world!r}, got range [{idx.min()}, {idx.max()}]")
    images = world.images if indices is None else world.images[indices]
    return torch.from_numpy(images).float().div_(255)
