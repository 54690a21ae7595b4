"""Train-and-compare exercises ("labs"): a scaffold, a check, and the range to expect.

A lab asks a student to train two (or more) *arms* that differ in one thing and compare
them. The student writes one function with a fixed contract::

    def my_lab(data: LabData, steps: int) -> dict:
        # train every arm for `steps` steps on data.train, score it on data.eval
        return {arm: {"model": model, "history": fit(...), "psnr": ...}, ...}

``check_lab(my_lab, "ch2-batchnorm")`` runs it small (a few hundred images, a few dozen
steps) and checks what can be checked without the full run: the arms are the ones asked
for, every arm returns a model and its training history, the loss fell, and every score
is what the returned model scores *on the split the lab names* (recomputed here, so a
score taken on the training images is caught). It then prints the range that the
reference solution reached at full size over several seeds, from ``data/seed_ranges.json``
(written by ``scripts/seed_ranges.py``), for the student to compare a full run with:
``run_lab(my_lab, "ch2-batchnorm", cfg)``.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import torch

from . import seed_ranges
from .checks import describe
from .exercises import ExerciseError, _call

RANGES = seed_ranges.FILE


@dataclass(frozen=True)
class LabData:
    """What a lab function gets: training images, the images it is scored on, and sizes."""
    train: torch.Tensor          # (N, 3, H, W) in [0, 1]
    eval: torch.Tensor           # the split the comparison is scored on
    eval_split: str              # its name: "val" or "test"
    batch_size: int
    width: int                   # the profile's model width
    seed: int
    device: str = "cpu"          # where to train (fit(..., device=data.device))

    def loader(self):
        """Shuffled training batches in a seeded order: {"image": (B, 3, H, W)} for a lab on
        images, the task tensors' rows (image, text, label) for a lab on fusion."""
        from .data import Batches, make_loader
        if isinstance(self.train, dict):
            return Batches(self.train, self.batch_size, seed=self.seed)
        images = self.train

        class _Images(torch.utils.data.Dataset):
            def __len__(self):
                return len(images)

            def __getitem__(self, i):
                return {"image": images[i]}

        return make_loader(_Images(), batch_size=self.batch_size, seed=self.seed)


@dataclass(frozen=True)
class Lab:
    name: str
    arms: tuple[str, ...]
    scores: dict[str, Callable]       # score name -> score(model, eval data), recomputed by the check
    units: dict[str, str]
    eval_split: str = "test"
    check_steps: int = 60
    check_n: int = 384                # training images of the short run
    check_eval: int = 256             # and images it is scored on
    data: str = "images"              # "images" (train/eval image tensors), or chapter 6's "synergistic"
                                      # or "redundant" task tensors, or its "colour" check, or
                                      # chapter 7's "vqa" questions (every kind; scored on two-hop ones)
    learners: tuple[str, ...] | None = None   # arms whose loss must fall in the short run; default all
    budget: Callable = lambda cfg: cfg.steps  # the `steps` that run_lab passes, from the profile
    loss_key: str = "loss"            # the history entry that must fall ("l1" for a VQGAN, whose
                                      # total gains an adversarial term half-way)


def _psnr(model, images) -> float:
    from .metrics import evaluate_psnr
    return evaluate_psnr(model, images)


def _usage(model, images) -> float:
    from .metrics import codebook_stats
    from .nn.vqvae import encode_codes
    return codebook_stats(encode_codes(model, images), model.quantizer.num_codes)["usage"]


def _accuracy(model, data, drop=()) -> float:
    from .nn.multimodal import evaluate
    return evaluate(model, data, drop=drop)


@functools.lru_cache(maxsize=1)
def _judge():
    from .nn.perceptual import load_feature_net
    return load_feature_net("shapes_judge")


def _report(key: str):
    """A score from chapter 5's reconstruction_report (PSNR, Fréchet distance, sharpness) on shapes_judge."""
    def score(model, images) -> float:
        from .metrics import reconstruction_report
        with torch.no_grad():
            return reconstruction_report(model.eval(), images, _judge())[key]
    return score


def _vqa_answers(model, data) -> tuple[list[str], list[str]]:
    """What a VQA model says to the two-hop questions of ``data``, and the true answers."""
    from .nn.vqa import answer, vqa_tokenizer
    hop = data["hop"] if "hop" in data else data          # the training data holds every kind
    with torch.no_grad():
        return answer(model.cpu().eval(), hop, vqa_tokenizer()), list(hop["answer"])


def _vqa_exact(model, data) -> float:
    from .nn.vqa import exact_match
    return exact_match(*_vqa_answers(model, data))


def _vqa_one_colour(model, data) -> float:
    from .data import COLOURS
    said, _ = _vqa_answers(model, data)
    return sum(s in COLOURS for s in said) / len(said)


VQGAN_SCORES = {"psnr": _report("psnr"), "sharpness": _report("sharpness"), "frechet": _report("frechet")}
VQGAN_UNITS = {"psnr": "dB", "sharpness": "", "frechet": ""}

LABS = {
    "ch2-batchnorm": Lab("ch2-batchnorm", ("with BN", "without BN"), {"psnr": _psnr}, {"psnr": "dB"}),
    "ch3-beta": Lab("ch3-beta", ("paper", "legacy"), {"psnr": _psnr, "usage": _usage},
                    {"psnr": "dB", "usage": ""}),
    "ch5-patch": Lab("ch5-patch", ("n_layers=2", "n_layers=1"), VQGAN_SCORES, VQGAN_UNITS, loss_key="l1",
                     check_steps=40, check_n=192, check_eval=128),
    "ch5-ablation": Lab("ch5-ablation", ("chapter: perceptual 0.1, adversarial 0.15", "perceptual 0.1, adversarial 0.3",
                                         "perceptual 1.0, no critic", "perceptual 0.1, no critic", "adversarial 0.3 only"),
                        VQGAN_SCORES, VQGAN_UNITS, eval_split="val", loss_key="l1",
                        check_steps=40, check_n=192, check_eval=128),
    "ch6-longer": Lab("ch6-longer", tuple(f"{s} x{k}" for s in ("concatenation", "tensor") for k in (2, 4, 8)),
                      {"accuracy": _accuracy}, {"accuracy": ""}, data="synergistic", check_steps=40,
                      learners=("tensor x2", "tensor x4", "tensor x8"), budget=lambda cfg: cfg.steps * 3 // 2),
    "ch6-dropout": Lab("ch6-dropout", ("rate 0.1", "rate 0.3", "rate 0.7"),
                       {"both": _accuracy, "image missing": lambda m, d: _accuracy(m, d, ("image",)),
                        "text missing": lambda m, d: _accuracy(m, d, ("text",))},
                       {"both": "", "image missing": "", "text missing": ""}, data="redundant",
                       budget=lambda cfg: cfg.steps * 3 // 8),
    "ch7-few-hops": Lab("ch7-few-hops", ("fine-tuned, 50", "fine-tuned, 500", "from scratch, 50", "from scratch, 500"),
                        {"exact match": _vqa_exact, "one colour word": _vqa_one_colour},
                        {"exact match": "", "one colour word": ""}, data="vqa", check_steps=40, check_eval=256),
    "ch6-sound": Lab("ch6-sound", ("text + sound", "image + text + sound"), {"accuracy": _accuracy},
                     {"accuracy": ""}, data="colour", budget=lambda cfg: cfg.steps * 3 // 8),
}


def lab_data(name: str, n_train: int, n_eval: int, batch_size: int, width: int, seed: int,
             device: str = "cpu") -> LabData:
    """The images of a lab: ``n_train`` training scenes and ``n_eval`` of its evaluation split."""
    from .data import ShapesWorld, image_tensor
    lab = _lab(name)
    split = lab.eval_split
    if lab.data == "vqa":        # chapter 7.9: every kind of question to train on, two-hop ones to score
        from .nn.vqa import vqa_data
        return LabData(vqa_data("train", n_train, seed), vqa_data(split, n_eval, seed, kinds=("hop",))["hop"],
                       split, batch_size, width, seed, device)
    if lab.data in ("synergistic", "redundant", "colour"):
        return LabData(*(_task(lab.data, s, n, seed) for s, n in (("train", n_train), (split, n_eval))),
                       split, batch_size, width, seed, device)
    return LabData(image_tensor(ShapesWorld("train", n=n_train, seed=seed)),
                   image_tensor(ShapesWorld(split, n=n_eval, seed=seed)), split, batch_size, width, seed, device)


def _task(task: str, split: str, n: int, seed: int) -> dict:
    """Chapter 6's data on one-object scenes, the image as the shipped VQGAN's latents: the
    "synergistic" or "redundant" task tensors, or section 6.7's "colour" check (grey image,
    caption, sound; its test split drawn with seed + 1, as the chapter draws it)."""
    from .data import ShapesWorld
    from .nn.multimodal import colour_check_data, task_data
    if task == "colour":
        return colour_check_data(ShapesWorld(split, n=n, seed=seed, max_objects=1),
                                 seed if split == "train" else seed + 1)
    return task_data(task, split, n, seed)


def _lab(name: str) -> Lab:
    if name not in LABS:
        raise KeyError(f"no lab named {name!r}; the labs are {', '.join(LABS)}")
    return LABS[name]


def _check_result(lab: Lab, result, data: LabData, steps: int) -> int:
    """The checks of one lab result; returns how many passed, raises ExerciseError on the first failure."""
    who = f"check_lab({lab.name!r})"
    if not isinstance(result, dict):
        raise ExerciseError(f"{who}: expected a dict {{arm: run}}, got {describe(result)}")
    if set(result) != set(lab.arms):
        raise ExerciseError(f"{who}: expected the arms {list(lab.arms)}, got {list(result)}")
    n = 1
    for arm in lab.arms:
        run = result[arm]
        need = {"model", "history", *lab.scores}
        if not isinstance(run, dict) or not need <= set(run):
            raise ExerciseError(f"{who} [{arm}]: expected a dict with {sorted(need)}, got "
                                f"{sorted(run) if isinstance(run, dict) else describe(run)}")
        if not isinstance(run["model"], torch.nn.Module):
            raise ExerciseError(f"{who} [{arm}]: 'model' must be the trained torch.nn.Module, got {describe(run['model'])}")
        losses = [float(x) for x in run["history"].get(lab.loss_key, [])] if isinstance(run["history"], dict) else []
        if len(losses) < 4 or not all(math.isfinite(x) for x in losses):
            raise ExerciseError(f"{who} [{arm}]: 'history' must be what fit() returned, with at least 4 finite "
                                f"logged losses; got {len(losses)} (did it train for `steps` = {steps} steps?)")
        q = max(1, len(losses) // 3)
        first, last = sum(losses[:q]) / q, sum(losses[-q:]) / q
        if arm in (lab.learners or lab.arms) and not last < first:
            raise ExerciseError(f"{who} [{arm}]: the training loss ({lab.loss_key!r}) did not fall ({first:.4g} in the first third, "
                                f"{last:.4g} in the last); check the optimiser steps and the learning rate")
        for key, score in lab.scores.items():
            value = run[key]
            value = value.item() if hasattr(value, "item") else value
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ExerciseError(f"{who} [{arm}]: {key!r} must be a finite number, got {describe(value)}")
            model = run["model"].cpu()
            on_eval = score(model, data.eval)
            if abs(value - on_eval) > 1e-3 * max(1.0, abs(on_eval)):
                on_train = score(model, data.train)
                hint = (" It is the score on the training images: score on data.eval."
                        if abs(value - on_train) <= 1e-3 * max(1.0, abs(on_train)) else "")
                raise ExerciseError(f"{who} [{arm}]: {key!r} is {value:.4g}, but the returned model scores "
                                    f"{on_eval:.4g} on data.eval (the {data.eval_split} split).{hint}")
            n += 3
    return n


def reference_range(name: str, profile: str) -> dict | None:
    """The reference solution's scores over seeds at one profile's sizes, from data/seed_ranges.json."""
    entry = seed_ranges.load().get("labs", {}).get(name, {}).get(profile)
    if entry is not None and set(entry["scores"]) != set(_lab(name).arms):
        return None              # measured for other arms: stale, as good as none
    return entry


def describe_range(name: str, profile: str) -> str:
    ref = reference_range(name, profile)
    if ref is None:
        return f"(no reference range measured for {name!r} at the {profile!r} profile yet)"
    lab = _lab(name)
    seeds = ref["seeds"]
    lines = [f"The reference solution at the {profile!r} profile's sizes ({ref['steps']} steps), "
             f"seeds {', '.join(map(str, seeds))}, on the {lab.eval_split} split:"]
    for arm in lab.arms:
        parts = []
        for key in lab.scores:
            lo, hi = min(ref["scores"][arm][key]), max(ref["scores"][arm][key])
            span = f"{lo:.3g}" if f"{lo:.3g}" == f"{hi:.3g}" else f"{lo:.3g} to {hi:.3g}"
            parts.append(f"{key} {span} {lab.units[key]}".rstrip())
        lines.append(f"  {arm:12s} " + ", ".join(parts))
    return "\n".join(lines)


def show_lab_ranges(name: str, profile: str, result: dict | None = None):
    """The reference range of every arm and score (a bar from the lowest to the highest seed,
    a dot per seed), with a run's own scores as red diamonds when ``result`` is given."""
    import matplotlib.pyplot as plt
    lab, ref = _lab(name), reference_range(name, profile)
    if ref is None:
        raise LookupError(f"no reference range for {name!r} at the {profile!r} profile; "
                          f"measure it with python scripts/seed_ranges.py {name} --profile {profile}")
    keys = list(lab.scores)
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 0.45 * len(lab.arms) + 1.2), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for y, arm in enumerate(lab.arms):
            vals = ref["scores"][arm][key]
            ax.plot([min(vals), max(vals)], [y, y], color="C0", lw=6, alpha=0.35, solid_capstyle="round")
            ax.plot(vals, [y] * len(vals), "o", color="C0", ms=4, label="reference, one seed" if y == 0 else None)
            if result is not None:
                ax.plot([float(result[arm][key])], [y], "D", color="C3", ms=7, label="your run" if y == 0 else None)
        ax.set_yticks(range(len(lab.arms)), lab.arms)
        ax.invert_yaxis()
        ax.set_xlabel(f"{key} on {lab.eval_split}" + (f" ({lab.units[key]})" if lab.units[key] else ""))
    axes[0][0].set_title(f"{name}: reference over {len(ref['seeds'])} seeds ({profile})", fontsize=9, loc="left")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def check_lab(fn, name: str) -> None:
    """Run a lab function small and check its contract; then print the reference range."""
    lab = _lab(name)
    data = lab_data(name, lab.check_n, lab.check_eval, batch_size=32, width=8, seed=0)
    torch.manual_seed(0)
    result = _call(f"check_lab({name!r})", fn, data, lab.check_steps)
    n = _check_result(lab, result, data, lab.check_steps)
    print(f"check_lab({name!r}): all {n} checks passed on a short run ({lab.check_steps} steps, {lab.check_n} images).")
    for profile in ("ci", "cpu"):      # the sizes of make test and of the book, where measured
        if reference_range(name, profile) is not None:
            print(describe_range(name, profile))


def run_lab(fn, name: str, cfg) -> dict:
    """Run a lab function at the profile's sizes, print its scores beside the reference range."""
    lab = _lab(name)
    data = lab_data(name, cfg.n_train, cfg.n_test, cfg.batch_size, cfg.width, cfg.seed, cfg.device)
    result = fn(data, lab.budget(cfg))
    _check_result(lab, result, data, lab.budget(cfg))
    print(f"your run ({cfg.profile} profile, seed {cfg.seed}):")
    for arm in lab.arms:
        print(f"  {arm:12s} " + ", ".join(f"{k} {result[arm][k]:.3g} {lab.units[k]}".rstrip() for k in lab.scores))
    profile = cfg.profile if reference_range(name, cfg.profile) is not None else "ci"
    if reference_range(name, profile) is None:
        print(describe_range(name, cfg.profile))
        return result
    if profile != cfg.profile:
        print(f"No reference range was measured at the {cfg.profile!r} profile's sizes; below is the 'ci' one, "
              f"measured with fewer steps and images: run with MMFUSE_PROFILE=ci to compare like with like, or "
              f"measure it with python scripts/seed_ranges.py {name} --profile {cfg.profile}.")
    print(describe_range(name, profile))
    import matplotlib.pyplot as plt
    show_lab_ranges(name, profile, result)
    plt.show()
    return result
