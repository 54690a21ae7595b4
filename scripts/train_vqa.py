"""Train chapter 7's open-ended VQA models to convergence.

    python scripts/train_vqa.py                                    # both runs, shipped (about 30 min each on one core)
    python scripts/train_vqa.py --runs seen --steps 200 --out /tmp/v   # a quick try

Six kinds of question on the same scenes (1 to 3 objects), answered in words by a GRU
decoder over chapter 7's FiLM trunk (a CNN on the shipped VQGAN's grid, a GRU on the
question); see mmfuse_lite.data.vqa for the kinds. Each step draws ``--batch-size``
questions of every kind the run learns; Adam with a cosine decay.

Runs (each is shipped as ``vqa_<run>``):
  seen    colour, shape, count, where and nearest; the two-hop kind ("what colour is the
          shape nearest to the red circle ?") is never shown, so it can be asked as new
  all     the same five and the two-hop kind: what the trunk reaches when it is taught
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data.vqa import VQA_KINDS
from mmfuse_lite.nn import load_vqgan
from mmfuse_lite.nn.multitask import MixedBatches
from mmfuse_lite.nn.vqa import build_vqa, evaluate_vqa, vqa_data, vqa_loss, vqa_tokenizer
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNS = {"seen": [k for k in VQA_KINDS if k != "hop"], "all": list(VQA_KINDS)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", choices=tuple(RUNS), default=list(RUNS))
    ap.add_argument("--steps", type=int, default=16000)
    ap.add_argument("--scenes", type=int, default=40000)
    ap.add_argument("--batch-size", type=int, default=64, help="questions of each kind per step")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    tokenizer, vqgan, t0 = vqa_tokenizer(), load_vqgan(), time.perf_counter()
    train = vqa_data("train", args.scenes, args.seed, vqgan)
    val, test = vqa_data("val", 2000, args.seed, vqgan), vqa_data("test", 4000, args.seed, vqgan)
    print(f"data: {args.scenes} training scenes in {time.perf_counter() - t0:.0f} s; questions "
          + ", ".join(f"{k} {len(d['answer'])}" for k, d in train.items()), flush=True)
    for run in args.runs:
        kinds = RUNS[run]
        config = dict(kinds=kinds, vocab_size=len(tokenizer), dim=32, width=args.width, hidden=64)
        torch.manual_seed(args.seed)
        model = build_vqa(config["vocab_size"], config["dim"], config["width"], config["hidden"])
        t0 = time.perf_counter()
        fit(model, vqa_loss, MixedBatches({k: train[k] for k in kinds}, args.batch_size, args.seed), args.steps,
            lr=args.lr, desc=run, cosine=True)
        seconds = time.perf_counter() - t0
        scores = {"val": evaluate_vqa(model, val, tokenizer), "test": evaluate_vqa(model, test, tokenizer)}
        metrics = {**{f"{split}_{k}": round(v, 4) for split, s in scores.items() for k, v in s.items()},
                   "steps": args.steps, "batch_size_per_kind": args.batch_size, "scenes": args.scenes,
                   "lr": args.lr, "train_seconds": round(seconds, 1),
                   "parameters": sum(p.numel() for p in model.parameters())}
        checkpoints.save(model, pathlib.Path(args.out) / f"vqa_{run}", config=config, metrics=metrics,
                         command="python scripts/train_vqa.py " + " ".join(sys.argv[1:]),
                         notes=f"Adam, cosine decay from lr {args.lr} to 0, on {platform.machine()} with "
                               f"{torch.get_num_threads()} threads; exact match on val: ShapesWorld('val', 2000), "
                               f"test: ShapesWorld('test', 4000), seed {args.seed}")
        print(f"vqa_{run}: test " + ", ".join(f"{k} {v:.4f}" for k, v in scores["test"].items())
              + f"; {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
