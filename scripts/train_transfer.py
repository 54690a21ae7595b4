"""Chapter 8's augmentation and transfer experiments, trained to convergence, and shipped.

    python scripts/train_transfer.py                                  # everything (see the cards for the times)
    python scripts/train_transfer.py --runs augment --steps 200 --out /tmp/t   # a quick try

Every run trains chapter 8's dual encoder (a GridMLP image side and a GRU text side of
width 64) with the symmetric InfoNCE loss, scores ShapesWorld("val", n=2000) every
``--every`` steps (the mean of semantic Recall@1 both ways), keeps the best state, and
stops after ``--patience`` steps without a gain. The kept state is scored on
("test", n=2000) and shipped with a card:

* ``augment_<arm>``: ``--aug-pairs`` training pairs, each drawn ``--views`` times through
  one augmentation arm of :data:`mmfuse_lite.nn.transfer.ARMS`, encoded by the frozen VQGAN;
* ``transfer_<side>_<pairs>``: the image side is the VQGAN encoder of chapter 5, frozen
  (``frozen``) or trained on from its weights (``finetuned``), or the same convolutional
  encoder, fresh, trained end to end (``scratch``); ``pairs`` training pairs, no augmentation.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import ShapesWorld, WordTokenizer
from mmfuse_lite.data.augment import augmented_views
from mmfuse_lite.nn import load_vqgan, vq_latents
from mmfuse_lite.nn.contrastive import alignment_scores
from mmfuse_lite.nn.transfer import ARMS, arm_slug, build_pair_model, fit_on_val

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="augment,frozen,finetuned,scratch", help="any of augment, frozen, finetuned, scratch")
    ap.add_argument("--arms", default=",".join(map(arm_slug, ARMS)), help="augmentation arms (their slugs), comma-separated")
    ap.add_argument("--sizes", default="500,2000,8000", help="training pairs of the transfer runs")
    ap.add_argument("--aug-pairs", type=int, default=1000)
    ap.add_argument("--views", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--every", type=int, default=0, help="steps between val scores; 0: about two epochs of the training rows, 10 to 250")
    ap.add_argument("--patience", type=int, default=750, help="stop after this many steps without a better val score")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()
    runs = args.runs.split(",")
    vqgan, tokenizer = load_vqgan(), WordTokenizer()

    def split(name, n):
        world = ShapesWorld(name, n=n, seed=args.seed)
        return world, torch.from_numpy(world.images).float() / 255

    (val_world, val_px), (test_world, test_px) = split("val", 2000), split("test", 2000)
    latents = {"val": vq_latents(val_px, vqgan), "test": vq_latents(test_px, vqgan)}

    def run(name, side, train, train_pairs, extra):
        config = dict(image_side=side, vocab_size=len(tokenizer), dim=64, hidden=128, width=32)
        model = build_pair_model(**config, seed=args.seed)
        val = {"image": latents["val"] if side == "frozen" else val_px, "text": tokenizer(val_world.captions)}
        test = {"image": latents["test"] if side == "frozen" else test_px, "text": tokenizer(test_world.captions)}
        t0 = time.perf_counter()
        every = args.every or max(10, min(250, 2 * len(train["text"]) // args.batch_size))   # about two epochs
        history = fit_on_val(model, train, val_world, val, tokenizer, args.steps, every, args.batch_size,
                             args.lr, args.seed, patience=max(1, args.patience // every), desc=name)
        seconds = time.perf_counter() - t0
        metrics = {**{f"val_{k}": v for k, v in alignment_scores(model, val_world, val, tokenizer).items()},
                   **{f"test_{k}": v for k, v in alignment_scores(model, test_world, test, tokenizer).items()},
                   "best_step": history["best_step"], "steps_run": history["step"][-1],
                   "val_curve": [round(v, 4) for v in history["val"]], "train_pairs": train_pairs,
                   "train_seconds": round(seconds, 1), **extra}
        checkpoints.save(model, pathlib.Path(args.out) / name, config=config, metrics=metrics,
                         command="python scripts/train_transfer.py " + " ".join(a for a in sys.argv[1:]),
                         notes=(f"Adam lr {args.lr}, batches of {args.batch_size}, val (ShapesWorld('val', n=2000)) "
                                f"scored every {every} steps, best state kept, stopped after {args.patience} "
                                f"steps without a gain (at most {args.steps} steps); test on ('test', n=2000); "
                                f"seed {args.seed}; {platform.machine()} with {torch.get_num_threads()} threads"))
        print(f"{name}: best step {history['best_step']} of {history['step'][-1]}, val {history['best_val']:.3f}, "
              f"test semantic R@1 {(metrics['test_semantic_r1_i2t'] + metrics['test_semantic_r1_t2i']) / 2:.3f}, "
              f"{seconds:.0f} s", flush=True)

    if "augment" in runs:
        world, px = split("train", args.aug_pairs)
        slugs = {arm_slug(a): a for a in ARMS}
        for arm in (slugs[s] for s in args.arms.split(",")):
            if ARMS[arm] is None:
                images, captions = px, world.captions
            else:
                images, captions = augmented_views(px, world.captions, args.views, args.seed, **ARMS[arm])
            train = {"image": vq_latents(images, vqgan), "text": tokenizer(captions)}
            run(f"augment_{arm_slug(arm)}", "frozen", train, args.aug_pairs,
                {"arm": arm, "views": 1 if ARMS[arm] is None else args.views})
    for side in ("frozen", "finetuned", "scratch"):
        if side not in runs:
            continue
        for n in map(int, args.sizes.split(",")):
            world, px = split("train", n)
            train = {"image": vq_latents(px, vqgan) if side == "frozen" else px, "text": tokenizer(world.captions)}
            run(f"transfer_{side}_{n}", side, train, n, {})


if __name__ == "__main__":
    main()
