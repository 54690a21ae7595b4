"""Train chapter 7's multi-task models to convergence, and the one-task models they are compared with.

    python scripts/train_multitask.py                              # every run, shipped (about 40 min on one core)
    python scripts/train_multitask.py --runs colour --steps 200 --out /tmp/m   # a quick try

Three questions on the same scenes (1 to 3 objects), from the shipped VQGAN's latent grid:
colour ("what colour is the square ?"), count ("how many shapes are there ?") and where
("is the red circle left or right of the box ?"). Every run has the same trunk (a CNN on
the grid, a GRU on the question, two FiLM blocks) and an MLP head per task, and the same
budget: ``--steps`` steps of ``--batch-size`` questions *of each task it learns*, Adam with a
cosine decay. So a task sees the same questions, as often, alone or shared.

Runs (each is shipped as ``multitask_<run>``):
  colour, count, where       one task, one model
  shared                     the three tasks, fixed weights 1, 1, 1
  uncertainty                the three tasks, weights learned (Kendall et al. 2018)
  colour_small               colour alone, from --small questions only
  shared_small               the three tasks, colour from the same --small questions
  shared_double              as shared, for twice the steps: is what sharing costs a delay?
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import TASKS
from mmfuse_lite.nn import load_vqgan
from mmfuse_lite.nn.multitask import (QUESTIONS, MixedBatches, build_multitask, evaluate_tasks, multitask_data,
                                      multitask_loss, question_tokenizer)
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNS = {"colour": ["colour"], "count": ["count"], "where": ["where"], "shared": list(QUESTIONS),
        "uncertainty": list(QUESTIONS), "colour_small": ["colour"], "shared_small": list(QUESTIONS),
        "shared_double": list(QUESTIONS)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", choices=tuple(RUNS), default=list(RUNS))
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--scenes", type=int, default=40000)
    ap.add_argument("--small", type=int, default=2000, help="colour questions for the *_small runs")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    tokenizer, vqgan, t0 = question_tokenizer(), load_vqgan(), time.perf_counter()
    train = multitask_data("train", args.scenes, args.seed, vqgan)
    val = multitask_data("val", 2000, args.seed, vqgan)
    test = multitask_data("test", 4000, args.seed, vqgan)
    print(f"data: {args.scenes} training scenes in {time.perf_counter() - t0:.0f} s; questions "
          + ", ".join(f"{t} {len(d['label'])}" for t, d in train.items()), flush=True)
    for run in args.runs:
        tasks = RUNS[run]
        data = {t: train[t] for t in tasks}
        if run.endswith("_small"):
            data["colour"] = {k: v[:args.small] for k, v in data["colour"].items()}
        config = dict(tasks={t: TASKS[QUESTIONS[t]]["num_classes"] for t in tasks}, vocab_size=len(tokenizer),
                      dim=32, width=args.width, weighting="uncertainty" if run == "uncertainty" else "fixed",
                      questions={t: len(d["label"]) for t, d in data.items()})
        torch.manual_seed(args.seed)
        model = build_multitask(config["tasks"], config["vocab_size"], config["dim"], config["width"],
                                config["weighting"])
        steps = 2 * args.steps if run == "shared_double" else args.steps
        t0 = time.perf_counter()
        fit(model, multitask_loss, MixedBatches(data, args.batch_size, args.seed), steps, lr=args.lr,
            desc=run, cosine=True)
        seconds = time.perf_counter() - t0
        scores = {"val": evaluate_tasks(model, {t: val[t] for t in tasks}),
                  "test": evaluate_tasks(model, {t: test[t] for t in tasks})}
        metrics = {**{f"{split}_{t}": round(v, 4) for split, s in scores.items() for t, v in s.items()},
                   "loss_weights": {t: round(w, 4) for t, w in model.weighting.weights().items()},
                   "steps": steps, "batch_size_per_task": args.batch_size, "scenes": args.scenes,
                   "lr": args.lr, "train_seconds": round(seconds, 1),
                   "parameters": sum(p.numel() for p in model.parameters())}
        checkpoints.save(model, pathlib.Path(args.out) / f"multitask_{run}", config=config, metrics=metrics,
                         command="python scripts/train_multitask.py " + " ".join(sys.argv[1:]),
                         notes=f"Adam, cosine decay from lr {args.lr} to 0, on {platform.machine()} with "
                               f"{torch.get_num_threads()} threads; val: ShapesWorld('val', 2000), test: "
                               f"ShapesWorld('test', 4000), seed {args.seed}")
        print(f"multitask_{run}: test " + ", ".join(f"{t} {v:.4f}" for t, v in scores["test"].items())
              + f"; weights {metrics['loss_weights']}; {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
