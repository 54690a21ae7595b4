"""The Shapes world: images, captions, sounds and tasks, generated from a seed."""
from .captions import COUNT_WORDS, HOP_WORDS, SIDES, WHERE_WORDS, WordTokenizer
from .datasets import MODALITIES, ShapesDataset, ShapesWorld, image_tensor, make_loader, noise_free_images
from .motion import CHANGES, MOTION_WORDS, MOTIONS, ShapesClips
from .real import REAL_DATASETS, OfflineError, load_real
from .sounds import SAMPLE_RATE, spectrogram
from .tasks import TASKS
from .tensors import Batches, task_tensors
from .world import COLOURS, HELDOUT, SHAPES, SIZES, SPLITS

__all__ = ["COUNT_WORDS", "HOP_WORDS", "SIDES", "WHERE_WORDS", "WordTokenizer", "MODALITIES", "ShapesDataset", "ShapesWorld", "image_tensor", "make_loader", "noise_free_images",
           "CHANGES", "MOTION_WORDS", "MOTIONS", "ShapesClips", "REAL_DATASETS", "OfflineError", "load_real", "SAMPLE_RATE", "spectrogram", "TASKS", "Batches", "task_tensors",
           "COLOURS", "HELDOUT", "SHAPES", "SIZES", "SPLITS"]
