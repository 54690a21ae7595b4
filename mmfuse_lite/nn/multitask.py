"""Multi-task learning: one shared multimodal trunk, one small head per task.

Hard parameter sharing (Caruana 1997): the encoders and the fusion are shared, each task
only owns its head. The tasks' losses are summed with fixed weights, or with weights
learned from each task's homoscedastic uncertainty (Kendall, Gal & Cipolla 2018).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_positive_int, describe
from ..data.tensors import Batches
from ..metrics import accuracy


class MultiTaskModel(nn.Module):
    """heads[task](fusion(encoders(batch))) for the rows of each task.

    ``batch`` holds the modalities and ``task``, a (B,) long tensor: each row's index in
    :attr:`tasks`. The output is ``{task: logits of that task's rows}``, in batch order.
    All rows go through the trunk together, so that BatchNorm's running statistics
    describe the same mixture of tasks that its batch statistics saw in training.
    ``weighting`` (a :class:`FixedWeights` or :class:`UncertaintyWeights`) combines the
    tasks' losses; it lives here so the optimiser trains its parameters too.
    """

    def __init__(self, encoders: dict[str, nn.Module], fusion: nn.Module, heads: dict[str, nn.Module],
                 weighting: nn.Module | None = None):
        super().__init__()
        if not isinstance(heads, dict) or not heads:
            raise TypeError(f"heads must be a non-empty dict of task -> head module, got {describe(heads)}")
        self.encoders, self.fusion, self.heads = nn.ModuleDict(encoders), fusion, nn.ModuleDict(heads)
        self.weighting = weighting if weighting is not None else FixedWeights(list(heads))
        if list(self.weighting.tasks) != list(heads):
            raise ValueError(f"the weighting's tasks {list(self.weighting.tasks)} must be the heads' {list(heads)}")

    @property
    def tasks(self) -> list[str]:
        return list(self.heads)

    def forward(self, batch: dict) -> dict[str, torch.Tensor]:
        if not isinstance(batch, dict) or "task" not in batch:
            raise ValueError(f"expected a dict with the modalities {list(self.encoders)} and 'task' (each row's "
                             f"task index in {self.tasks}), got {describe(batch) if not isinstance(batch, dict) else list(batch)}")
        task = batch["task"]
        if not torch.is_tensor(task) or task.dim() != 1 or task.dtype != torch.long:
            raise ValueError(f"batch['task'] must be a 1-D long tensor of task indices, got {describe(task)}")
        if len(task) and (task.min() < 0 or task.max() >= len(self.heads)):
            raise ValueError(f"batch['task'] holds {task.unique().tolist()}; this model has tasks 0..{len(self.heads) - 1} "
                             f"({self.tasks})")
        z = self.fusion({k: e(batch[k]) for k, e in self.encoders.items()})
        return {t: head(z[task == i]) for i, (t, head) in enumerate(self.heads.items()) if (task == i).any()}


class FixedWeights(nn.Module):
    """total = sum_t w_t L_t with weights chosen by hand (default 1 for every task)."""

    def __init__(self, tasks, weights: dict[str, float] | None = None):
        super().__init__()
        self.tasks = list(tasks)
        weights = weights or {t: 1.0 for t in self.tasks}
        if sorted(weights) != sorted(self.tasks) or any(not w >= 0 for w in weights.values()):
            raise ValueError(f"weights must give every task {self.tasks} a number >= 0, got {weights}")
        self.register_buffer("w", torch.tensor([float(weights[t]) for t in self.tasks]))

    def forward(self, losses: torch.Tensor) -> torch.Tensor:
        return (self.w * losses).sum()

    def weights(self) -> dict[str, float]:
        return dict(zip(self.tasks, self.w.tolist()))


def uncertainty_total(losses: torch.Tensor, log_vars: torch.Tensor) -> torch.Tensor:
    """sum_t exp(-s_t) L_t + s_t / 2 for task losses L and log-variances s, both (T,)."""
    if not (torch.is_tensor(losses) and torch.is_tensor(log_vars)) or losses.shape != log_vars.shape \
            or losses.dim() != 1:
        raise ValueError(f"losses and log_vars must be 1-D tensors of the same length (one per task), got "
                         f"{describe(losses)} and {describe(log_vars)}")
    return (torch.exp(-log_vars) * losses + 0.5 * log_vars).sum()


class UncertaintyWeights(nn.Module):
    """Kendall, Gal & Cipolla (2018) for classification: total = sum_t exp(-s_t) L_t + s_t / 2.

    s_t = log sigma_t^2 is learned with the model. For a fixed L_t the best s_t is
    log(2 L_t), so the weight exp(-s_t) = 1 / (2 L_t): a task weighs in inversely to its
    current loss, and the s_t / 2 term stops every weight from falling to 0.
    """

    def __init__(self, tasks):
        super().__init__()
        self.tasks = list(tasks)
        self.log_vars = nn.Parameter(torch.zeros(len(self.tasks)))

    def forward(self, losses: torch.Tensor) -> torch.Tensor:
        return uncertainty_total(losses, self.log_vars)

    def weights(self) -> dict[str, float]:
        return dict(zip(self.tasks, torch.exp(-self.log_vars.detach()).tolist()))


def multitask_loss(model: MultiTaskModel, batch: dict):
    """The model's weighting of the tasks' cross-entropies, and each task's loss for the history."""
    logits = model(batch)
    missing = [t for t in model.tasks if t not in logits]
    if missing:
        raise ValueError(f"the batch has no rows of the tasks {missing}: use MixedBatches, which gives every task rows")
    losses = torch.stack([F.cross_entropy(logits[t], batch["label"][batch["task"] == i])
                          for i, t in enumerate(model.tasks)])
    metrics = {f"loss_{t}": v for t, v in zip(model.tasks, losses.detach().tolist())}
    metrics.update({f"weight_{t}": w for t, w in model.weighting.weights().items()})
    return model.weighting(losses), metrics


# chapter 7's three questions: task name here -> task in mmfuse_lite.data.tasks
QUESTIONS = {"colour": "query", "count": "count", "where": "where"}


def question_tokenizer():
    """The grammar's words, plus those of the where- and the counting questions."""
    from ..data import COUNT_WORDS, WHERE_WORDS, WordTokenizer
    return WordTokenizer(extra_words=WHERE_WORDS + COUNT_WORDS)


def multitask_data(split: str, n: int, seed: int, vqgan: nn.Module | None = None,
                   tasks=tuple(QUESTIONS)) -> dict[str, dict]:
    """``{task: task tensors}`` for the three questions on one world of ``n`` scenes (1 to 3
    objects); ``image`` is the VQGAN's latent grid (``vqgan`` defaults to the shipped one)."""
    from ..data import ShapesWorld, task_tensors
    from .multimodal import vq_latents
    unknown = [t for t in tasks if t not in QUESTIONS]
    if unknown or isinstance(tasks, str):
        raise ValueError(f"tasks must be a list of {list(QUESTIONS)}, got {tasks!r}")
    world = ShapesWorld(split, n=n, seed=seed)
    grids = vq_latents(torch.from_numpy(world.images).float().div(255), vqgan)
    tokenizer, out = question_tokenizer(), {}
    for task in tasks:
        d = task_tensors(world, QUESTIONS[task], ("text",), tokenizer)
        d["image"] = grids[d["index"]]
        d["question"] = world.task(QUESTIONS[task])[1]
        out[task] = d
    return out


def _pad(ids: torch.Tensor, length: int) -> torch.Tensor:
    return F.pad(ids, (0, length - ids.shape[1]))


class MixedBatches:
    """Batches of every task at once: each one holds ``batch_size`` rows of each task (in
    the order of ``data``), a ``task`` column, and the texts padded to one length.

    ``data`` is ``{task: task-tensor dict}`` with ``image``, ``text`` and ``label``. Each
    task is shuffled and cycled on its own, so a small task repeats sooner than a large one.
    """

    def __init__(self, data: dict[str, dict], batch_size: int = 64, seed: int = 0):
        if not isinstance(data, dict) or not data:
            raise TypeError(f"data must be a non-empty dict of task -> task-tensor dict, got {describe(data)}")
        check_positive_int(batch_size, "batch_size")
        for t, d in data.items():
            missing = {"image", "text", "label"} - set(d)
            if missing:
                raise ValueError(f"data[{t!r}] lacks {sorted(missing)}; it has {list(d)}")
        self.tasks = list(data)
        self.length = max(d["text"].shape[1] for d in data.values())
        self.parts = [Batches({k: d[k] for k in ("image", "text", "label")}, batch_size, seed=seed + i)
                      for i, d in enumerate(data.values())]

    def __iter__(self):
        passes = [iter(p) for p in self.parts]
        while True:
            rows = []
            for i, part in enumerate(self.parts):
                try:
                    rows.append(next(passes[i]))
                except StopIteration:                # this task's pass is over: start its next one
                    passes[i] = iter(part)
                    rows.append(next(passes[i]))
            yield {"image": torch.cat([r["image"] for r in rows]),
                   "text": torch.cat([_pad(r["text"], self.length) for r in rows]),
                   "label": torch.cat([r["label"] for r in rows]),
                   "task": torch.cat([torch.full((len(r["label"]),), i) for i, r in enumerate(rows)])}


@torch.no_grad()
def evaluate_tasks(model: MultiTaskModel, data: dict[str, dict], batch_size: int = 500) -> dict[str, float]:
    """Accuracy of each task of ``data`` (``{task: task-tensor dict}``) that the model has a head for."""
    unknown = [t for t in data if t not in model.tasks]
    if unknown:
        raise ValueError(f"the model has no head for {unknown}; its tasks are {model.tasks}")
    model.eval()
    out = {}
    for t, d in data.items():
        i, n = model.tasks.index(t), len(d["label"])
        logits = torch.cat([model({"image": d["image"][j:j + batch_size], "text": d["text"][j:j + batch_size],
                                   "task": torch.full((len(d["label"][j:j + batch_size]),), i)})[t]
                            for j in range(0, n, batch_size)])
        out[t] = accuracy(logits, d["label"])
    return out


def build_multitask(tasks: dict[str, int], vocab_size: int, dim: int = 32, width: int = 32,
                    weighting: str = "fixed", weights: dict[str, float] | None = None) -> MultiTaskModel:
    """The chapter's shared trunk (a CNN on the VQGAN grid, a GRU on the question, two FiLM
    blocks) with one MLP head per task; ``tasks`` maps each task to its number of answers.
    ``weighting`` is ``"fixed"`` (``weights``, default all 1) or ``"uncertainty"``."""
    from .fusion import FiLMFusion, mlp_head
    from .image import ImageEncoder
    from .text import TextEncoder
    if not isinstance(tasks, dict) or not tasks or any(not isinstance(k, int) or k < 2 for k in tasks.values()):
        raise ValueError(f"tasks must map each task to its number of answers (>= 2), got {tasks!r}")
    if weighting not in ("fixed", "uncertainty"):
        raise ValueError(f"weighting must be 'fixed' or 'uncertainty', got {weighting!r}")
    if weighting == "uncertainty" and weights is not None:
        raise ValueError("weights are for weighting='fixed'; uncertainty weighting learns its own")
    encoders = {"image": ImageEncoder(dim, width, 0, 8, 16), "text": TextEncoder(vocab_size, dim)}
    heads = {t: mlp_head(dim, k) for t, k in tasks.items()}
    scheme = UncertaintyWeights(tasks) if weighting == "uncertainty" else FixedWeights(tasks, weights)
    return MultiTaskModel(encoders, FiLMFusion(dim, dim, 2), heads, scheme)


def load_multitask(name: str) -> tuple[MultiTaskModel, dict]:
    """A shipped multi-task (or single-task) model and its card, in eval mode."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    c = card["config"]
    model = build_multitask(c["tasks"], c["vocab_size"], c["dim"], c["width"], c["weighting"])
    checkpoints.load(model, path)
    return model.eval(), card
