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
CLIP_VQGAN = "vqgan_512"     # chapter 10's VQGAN (the image_to_sound card's), which codes its clips


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
    val: object = None           # a lab that keeps its best state on validation: the val split

    def loader(self, batch_size: int | None = None):
        """Shuffled training batches in a seeded order: {"image": (B, 3, H, W)} for a lab on
        images, the task tensors' rows (image, text, label) for a lab on fusion. ``batch_size``
        defaults to the profile's."""
        from .data import Batches, make_loader
        batch_size = self.batch_size if batch_size is None else batch_size
        if isinstance(self.train, dict) and all(isinstance(d, dict) for d in self.train.values()):
            from .nn.multitask import MixedBatches         # chapter 7's questions of several tasks
            return MixedBatches(self.train, batch_size, seed=self.seed)
        if isinstance(self.train, dict):
            return Batches(self.train, batch_size, seed=self.seed)
        images = self.train

        class _Images(torch.utils.data.Dataset):
            def __len__(self):
                return len(images)

            def __getitem__(self, i):
                return {"image": images[i]}

        return make_loader(_Images(), batch_size=batch_size, seed=self.seed)


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
    on_train: tuple[str, ...] = ()   # scores taken on data.train (a lab about memorising), not data.eval
    sizes: Callable = lambda cfg: (cfg.n_train, cfg.n_test)   # run_lab's training and evaluation sizes
    loss_key: str = "loss"            # the history entry that must fall ("l1" for a VQGAN, whose
                                      # total gains an adversarial term half-way), or "val": the
                                      # validation score of fit_on_val, which must rise


def _psnr(model, images) -> float:
    from .metrics import evaluate_psnr
    return evaluate_psnr(model, images)


def _usage(model, images) -> float:
    from .metrics import codebook_stats
    from .nn.vqvae import encode_codes
    return codebook_stats(encode_codes(model, images), model.quantizer.num_codes)["usage"]


def _where_accuracy(objects: str):
    """Chapter 7's where-questions: the accuracy on those about one object, or on those comparing two."""
    def score(model, data) -> float:
        from .nn.multimodal import predict
        logits = predict(model.cpu(), {k: data[k] for k in ("image", "text", "label")})
        correct = (logits.argmax(1) == data["label"]).float()
        return correct[data["one_object"] if objects == "one" else ~data["one_object"]].mean().item()
    return score


def _task_accuracy(task: str):
    """Chapter 7.8's multi-task model: one task's accuracy, or the "mean" of the three."""
    def score(model, data) -> float:
        from .nn.multitask import evaluate_tasks
        scores = evaluate_tasks(model.cpu(), data)
        return sum(scores.values()) / len(scores) if task == "mean" else scores[task]
    return score


def _recall_at_1(model, data) -> float:
    """Chapter 8's exact-pair Recall@1, image -> text, over the split's pairs."""
    from .nn.contrastive import embed, recall_at_k
    model.cpu()
    return recall_at_k(embed(model, data["image"], "image") @ embed(model, data["text"], "text").t(), (1,))[1]


def _semantic_r1(model, data) -> float:
    """Chapter 8.10's semantic Recall@1 (both directions' mean): a caption true of the image counts."""
    from .data import WordTokenizer
    from .nn.contrastive import alignment_scores
    from .nn.transfer import semantic_r1
    pairs = {"image": data["image"], "text": data["text"]}
    return semantic_r1(alignment_scores(model.cpu(), data["world"], pairs, WordTokenizer(), true=data["true"]))


@functools.lru_cache(maxsize=1)
def _sound_judge():
    from .nn.sound_judge import load_sound_judge
    return load_sound_judge()


def _sound_score(key: str):
    """Chapter 10.2's sound tokenizer: the spectrogram error (of the variance), or how often the
    sound judge hears a slot's timbre ("shape"), pitch ("colour"), loudness ("size") or "note" right."""
    @torch.no_grad()
    def score(model, data) -> float:
        import torch.nn.functional as F
        from .nn.sound_judge import heard_accuracy
        recon = torch.cat([model.cpu().eval()(s)[0] for s in data["spec"].split(500)])
        if key == "error":
            return (F.mse_loss(recon, data["spec"]) / data["spec"].var()).item()
        return heard_accuracy(_sound_judge().hear(recon), data["truth"])[key]
    return score


def _motion_accuracy(model, data) -> float:
    """Chapter 10.7's clip classifier: how often it names the object's motion."""
    from .nn.temporal import clip_predictions
    return (clip_predictions(model.cpu(), data["codes"])["motion"] == data["motion"]).float().mean().item()


def _cvae_score(key: str):
    """Chapter 2.9's CVAE: how often the judge finds the asked-for colour, shape or position in
    one sample per one-object scene of the split (judging.cvae_report)."""
    def score(model, data) -> float:
        from .judging import cvae_report
        with torch.no_grad():
            return cvae_report(model.cpu(), _judge(), n=data["n"], seed=data["seed"], split=data["split"])[key]
    return score


def _none_or_colour(model, data) -> float:
    """Chapter 10.8's hard question: the change named right on the clips with no change or a colour change."""
    from .nn.temporal import clip_predictions
    rows = data["change"] <= 1
    return (clip_predictions(model.cpu(), data["codes"])["change"] == data["change"])[rows].float().mean().item()


def _perplexity(model, images) -> float:
    from .metrics import codebook_stats
    from .nn.vqvae import encode_codes
    return codebook_stats(encode_codes(model, images), model.quantizer.num_codes)["perplexity"]


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

# chapter 10.7's live run (its N_CLIPS, N_EVAL and CLIP_STEPS): clips to train on and to score, and steps
_clip_sizes = lambda cfg: {"ci": (1200, 300), "cpu": (4000, 500)}.get(cfg.profile, (cfg.n_train, cfg.n_val))  # noqa: E731
_clip_steps = lambda cfg: {"ci": 400, "cpu": 1200}.get(cfg.profile, 2 * cfg.steps)                          # noqa: E731

LABS = {
    "ch2-batchnorm": Lab("ch2-batchnorm", ("with BN", "without BN"), {"psnr": _psnr}, {"psnr": "dB"}),
    "ch2-cvae-beta": Lab("ch2-cvae-beta", ("beta 16", "beta 1"), {k: _cvae_score(k) for k in ("colour", "shape", "position")},
                         {k: "" for k in ("colour", "shape", "position")}, data="cvae", eval_split="val",
                         sizes=lambda cfg: (cfg.n_train, cfg.n_val)),
    "ch3-beta": Lab("ch3-beta", ("paper", "legacy"), {"psnr": _psnr, "usage": _usage},
                    {"psnr": "dB", "usage": ""}),
    "ch4-grid": Lab("ch4-grid", ("FSQ (8, 8, 8)", "FSQ (8, 8, 8), 4x steps"), {"usage": _usage, "psnr": _psnr},
                    {"usage": "", "psnr": "dB"}, budget=lambda cfg: cfg.steps * 3 // 8),
    "ch4-combine": Lab("ch4-combine", ("restarts alone", "EMA + k-means + restarts 1.0", "EMA + k-means + restarts 4.0"),
                       {"usage": _usage, "perplexity": _perplexity, "psnr": _psnr},
                       {"usage": "", "perplexity": "", "psnr": "dB"}, budget=lambda cfg: cfg.steps * 3 // 8),
    "ch5-patch": Lab("ch5-patch", ("n_layers=2", "n_layers=1"), VQGAN_SCORES, VQGAN_UNITS, loss_key="l1",
                     check_steps=40, check_n=192, check_eval=128),
    "ch5-ablation": Lab("ch5-ablation", ("chapter: perceptual 0.1, adversarial 0.15", "perceptual 0.1, adversarial 0.3",
                                         "perceptual 1.0, no critic", "perceptual 0.1, no critic", "adversarial 0.3 only"),
                        VQGAN_SCORES, VQGAN_UNITS, eval_split="val", loss_key="l1",
                        check_steps=40, check_n=192, check_eval=128),
    "ch5-weight": Lab("ch5-weight", ("adversarial 0.3", "adversarial 0.1"), VQGAN_SCORES, VQGAN_UNITS,
                      eval_split="val", loss_key="l1", check_steps=40, check_n=192, check_eval=128),
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
    "ch7-one-query": Lab("ch7-one-query", ("two queries", "one query"),
                         {"one object": _where_accuracy("one"), "two objects": _where_accuracy("two")},
                         {"one object": "", "two objects": ""}, data="where", check_steps=40,
                         budget=lambda cfg: 2 * cfg.steps),
    "ch7-bn-passes": Lab("ch7-bn-passes", ("one mixed pass", "a pass per task"),
                         {t: _task_accuracy(t) for t in ("colour", "count", "where")},
                         {t: "" for t in ("colour", "count", "where")}, data="multitask", check_steps=40),
    "ch7-fixed-weights": Lab("ch7-fixed-weights", ("where x1", "where x3", "where x10", "uncertainty"),
                             {t: _task_accuracy(t) for t in ("colour", "count", "where", "mean")},
                             {t: "" for t in ("colour", "count", "where", "mean")}, data="multitask",
                             eval_split="val", check_steps=40),
    "ch8-batch": Lab("ch8-batch", ("chapter's batch", "batch 32"), {"R@1": _recall_at_1}, {"R@1": ""}, data="pairs",
                     check_steps=40, budget=lambda cfg: 2 * cfg.steps),
    "ch8-finetune-lr": Lab("ch8-finetune-lr", ("one rate, 2e-3", "encoder at 2e-4"), {"semantic R@1": _semantic_r1},
                           {"semantic R@1": ""}, data="transfer", check_steps=40, check_eval=128, loss_key="val",
                           budget=lambda cfg: min(cfg.steps // 2, 200)),
    "ch10-codebook": Lab("ch10-codebook", ("128 codes", "16 codes"),
                         {k: _sound_score(k) for k in ("error", "shape", "colour", "size", "note")},
                         {k: "" for k in ("error", "shape", "colour", "size", "note")}, data="sounds",
                         eval_split="val", check_steps=100, loss_key="reconstruction",
                         # the shipped tokenizer's recipe (2 minutes on one core): the live run's 400 steps
                         # leave even 128 codes far from converged, too far to tell the alphabets apart
                         sizes=lambda cfg: (20_000, cfg.n_val), budget=lambda cfg: 4000),
    "ch10-memorise": Lab("ch10-memorise", ("frozen codebook", "learned ids"),
                         {"motion, training clips": _motion_accuracy, "motion, other clips": _motion_accuracy},
                         {"motion, training clips": "", "motion, other clips": ""}, data="clips", check_steps=40,
                         check_n=192, check_eval=128, on_train=("motion, training clips",),
                         sizes=_clip_sizes,
                         budget=_clip_steps),
    "ch10-colour": Lab("ch10-colour", ("one label", "colour heads", "unpooled"),
                       {"none or colour": _none_or_colour}, {"none or colour": ""}, data="clips", check_steps=40,
                       check_n=192, check_eval=128,
                       sizes=_clip_sizes,
                       budget=_clip_steps),
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
    if lab.data == "where":      # chapter 7.4: twice the profile's scenes, as the live run draws
        return LabData(_where("train", min(2 * n_train, 40_000), seed), _where(split, n_eval, seed),
                       split, batch_size, width, seed, device)
    if lab.data == "cvae":       # chapter 2.9: one-object scenes and their conditions; scored by sampling
        from .data import ShapesWorld
        from .nn.vae import scene_condition
        world = ShapesWorld("train", n=n_train, seed=seed, max_objects=1)
        return LabData({"image": image_tensor(world), "condition": scene_condition(world)},
                       {"split": split, "n": n_eval, "seed": seed}, split, batch_size, width, seed, device)
    if lab.data == "sounds":     # chapter 10.2: spectrograms; the evaluation split's with what each slot plays
        from .data import ShapesWorld
        from .nn.sound_judge import slot_labels
        from .nn.sound_vq import sound_spectrogram
        train, held = ShapesWorld("train", n=n_train, seed=seed), ShapesWorld(split, n=n_eval, seed=seed)
        return LabData({"spec": sound_spectrogram(torch.from_numpy(train.sounds))},
                       {"spec": sound_spectrogram(torch.from_numpy(held.sounds)), "truth": slot_labels(held.scenes)},
                       split, batch_size, width, seed, device)
    if lab.data == "clips":      # chapter 10.7: one-object clips as the VQGAN's code maps, motion and change
        import numpy as np
        from .data.motion import ShapesClips
        from .nn.temporal import clip_codes
        from .nn.vqvae import load_vqgan

        def clips(s, n):
            c = ShapesClips(s, n=n, seed=seed, max_objects=1)
            first = c.clips["colour"][:, 0]
            last = np.where(c.clips["change"][:, 0] == 1, c.clips["new_colour"][:, 0], first)
            return {"codes": clip_codes(load_vqgan(CLIP_VQGAN), c.frames),
                    **{k: torch.from_numpy(c.clips[k][:, 0]) for k in ("motion", "change")},
                    "first": torch.from_numpy(first), "last": torch.from_numpy(last)}   # the object's colours
        return LabData(clips("train", n_train), clips(split, n_eval), split, batch_size, width, seed, device)
    if lab.data in ("pairs", "transfer"):   # chapter 8's image-caption pairs
        return _pairs(lab.data, split, n_train, n_eval, batch_size, width, seed, device)
    if lab.data == "multitask":  # chapter 7.8: {task: questions}, the image as the VQGAN's latents
        from .nn.multitask import multitask_data
        return LabData(multitask_data("train", n_train, seed), multitask_data(split, n_eval, seed),
                       split, batch_size, width, seed, device)
    if lab.data in ("synergistic", "redundant", "colour"):
        return LabData(*(_task(lab.data, s, n, seed) for s, n in (("train", n_train), (split, n_eval))),
                       split, batch_size, width, seed, device)
    return LabData(image_tensor(ShapesWorld("train", n=n_train, seed=seed)),
                   image_tensor(ShapesWorld(split, n=n_eval, seed=seed)), split, batch_size, width, seed, device)


def _pairs(kind: str, split: str, n_train: int, n_eval: int, batch_size: int, width: int, seed: int,
           device: str) -> LabData:
    """Chapter 8's pairs. "pairs" (section 8.4's live run): twice the profile's training pairs,
    the image as the VQGAN's latents. "transfer" (section 8.10): 500 training pairs as pixels,
    the val split to keep the best state on, and each split's world and truth matrix to score
    semantic Recall@1 with."""
    from .data import ShapesWorld, WordTokenizer
    from .data.parse import truth_matrix
    from .nn.multimodal import vq_latents
    tokenizer = WordTokenizer()

    def pairs(world, pixels: bool) -> dict:
        images = torch.from_numpy(world.images).float() / 255
        out = {"image": images if pixels else vq_latents(images), "text": tokenizer(world.captions)}
        if kind == "transfer":
            out.update(world=world, true=torch.from_numpy(truth_matrix(world.captions, world.scenes)))
        return out
    if kind == "pairs":
        return LabData(pairs(ShapesWorld("train", n=min(2 * n_train, 40_000), seed=seed), False),
                       pairs(ShapesWorld(split, n=n_eval, seed=seed), False), split, batch_size, width, seed, device)
    train = pairs(ShapesWorld("train", n=min(n_train, 500), seed=seed), True)
    return LabData({"image": train["image"], "text": train["text"]}, pairs(ShapesWorld(split, n=n_eval, seed=seed), True),
                   split, batch_size, width, seed, device, val=pairs(ShapesWorld("val", n=n_eval // 2, seed=seed), True))


def _where(split: str, n: int, seed: int) -> dict:
    """Chapter 7.4's where-questions on scenes of two or more objects: the VQGAN's latents,
    the question's ids, the side, and which questions are about one object."""
    from .data import WHERE_WORDS, ShapesWorld, WordTokenizer, task_tensors
    from .nn.multimodal import vq_latents
    from .nn.vqvae import load_vqgan
    world = ShapesWorld(split, n=n, seed=seed, min_objects=2)
    data = task_tensors(world, "where", ("image", "text"), WordTokenizer(extra_words=WHERE_WORDS))
    questions = world.task("where")[1]
    return {"image": vq_latents(data["image"], load_vqgan()), "text": data["text"], "label": data["label"],
            "one_object": torch.tensor([q.endswith(("on the right ?", "at the bottom ?")) for q in questions])}


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
        # a validation score rises in the short run; at full size it may peak early (the best state is kept)
        learned = (last > first or steps != lab.check_steps) if lab.loss_key == "val" else last < first
        if arm in (lab.arms if lab.learners is None else lab.learners) and not learned:
            what = "validation score ('val') did not rise" if lab.loss_key == "val" else \
                f"training loss ({lab.loss_key!r}) did not fall"
            raise ExerciseError(f"{who} [{arm}]: the {what} ({first:.4g} in the first third, "
                                f"{last:.4g} in the last); check the optimiser steps and the learning rate")
        for key, score in lab.scores.items():
            value = run[key]
            value = value.item() if hasattr(value, "item") else value
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ExerciseError(f"{who} [{arm}]: {key!r} must be a finite number, got {describe(value)}")
            model = run["model"].cpu()
            if key in lab.on_train:
                on_train = score(model, data.train)
                if abs(value - on_train) > 1e-3 * max(1.0, abs(on_train)):
                    raise ExerciseError(f"{who} [{arm}]: {key!r} is {value:.4g}, but the returned model scores "
                                        f"{on_train:.4g} on data.train, the split this score is about.")
                n += 3
                continue
            on_eval = score(model, data.eval)
            if abs(value - on_eval) > 1e-3 * max(1.0, abs(on_eval)):
                try:
                    on_train = score(model, data.train)
                except Exception:        # a lab whose score cannot be taken on the training data
                    on_train = math.nan
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
    lines = [f"The reference solution at the {profile!r} profile's sizes ({ref['steps']} steps),",
             f"seeds {', '.join(map(str, seeds))}, on the {lab.eval_split} split:"]
    width = max(map(len, lab.arms))
    rows = {}
    for arm in lab.arms:
        parts = []
        for key in lab.scores:
            lo, hi = min(ref["scores"][arm][key]), max(ref["scores"][arm][key])
            span = f"{lo:.3g}" if f"{lo:.3g}" == f"{hi:.3g}" else f"{lo:.3g} to {hi:.3g}"
            parts.append(f"{key} {span} {lab.units[key]}".rstrip())
        rows[arm] = parts
    if all(len(f"  {arm:{width}s} " + ", ".join(parts)) <= 80 for arm, parts in rows.items()):
        return "\n".join(lines + [f"  {arm:{width}s} " + ", ".join(parts) for arm, parts in rows.items()])
    for arm, parts in rows.items():      # too wide for a narrow page: the scores under each arm
        lines.append(f"  {arm}")
        line = "   "
        for part in parts:
            if len(line) + len(part) > 78 and line.strip():
                lines.append(line)
                line = "   "
            line += f" {part},"
        lines.append(line.rstrip(","))
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
    data = lab_data(name, *lab.sizes(cfg), cfg.batch_size, cfg.width, cfg.seed, cfg.device)
    result = fn(data, lab.budget(cfg))
    _check_result(lab, result, data, lab.budget(cfg))
    print(f"your run ({cfg.profile} profile, seed {cfg.seed}):")
    for arm in lab.arms:
        print(f"  {arm:{max(map(len, lab.arms))}s} " + ", ".join(f"{k} {result[arm][k]:.3g} {lab.units[k]}".rstrip() for k in lab.scores))
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
