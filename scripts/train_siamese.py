"""Train chapter 8's Siamese network and its untied twin to convergence, and ship them.

    python scripts/train_siamese.py                          # both, shipped (about 30 min on one core)
    python scripts/train_siamese.py --steps 200 --out /tmp/s # a quick try

Both read the shipped VQGAN's latent grids with GridConv and train with the chapter's
loss (InfoNCE of a scene's second rendering against every other scene and every near
miss; :func:`mmfuse_lite.nn.siamese.siamese_loss`), Adam with a cosine decay, at the same
budget. One shares its encoder between the two inputs (``siamese_scenes``), the other
has a tower per input (``siamese_scenes_untied``). The threshold on the cosine is chosen
on scene_pairs("val", 2000); the accuracy is read on scene_pairs("test", 4000).
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import Batches
from mmfuse_lite.nn import load_vqgan
from mmfuse_lite.nn.siamese import build_siamese_from_card, scene_pair_latents, siamese_loss, verification_scores
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", choices=("shared", "untied"), default=["shared", "untied"])
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--scenes", type=int, default=40000)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    vqgan, t0 = load_vqgan(), time.perf_counter()
    train, _ = scene_pair_latents("train", args.scenes, args.seed, vqgan)
    val, _ = scene_pair_latents("val", 2000, args.seed, vqgan)
    test, pairs = scene_pair_latents("test", 4000, args.seed, vqgan)
    print(f"data: {args.scenes} training scenes, three images each, in {time.perf_counter() - t0:.0f} s", flush=True)
    for run in args.runs:
        config = dict(shared=run == "shared", dim=args.dim, width=args.width, squeeze=8)
        torch.manual_seed(args.seed)
        model = build_siamese_from_card(config)
        t0 = time.perf_counter()
        fit(model, siamese_loss, Batches(train, args.batch_size, args.seed), args.steps, lr=args.lr,
            desc=run, cosine=True)
        seconds = time.perf_counter() - t0
        scores = verification_scores(model, val, test, pairs["change"])
        metrics = {**{f"test_{k}": round(v, 4) for k, v in scores.items()},
                   "steps": args.steps, "batch_size": args.batch_size, "scenes": args.scenes, "lr": args.lr,
                   "train_seconds": round(seconds, 1), "parameters": sum(p.numel() for p in model.parameters())}
        name = "siamese_scenes" if run == "shared" else "siamese_scenes_untied"
        checkpoints.save(model, pathlib.Path(args.out) / name, config=config, metrics=metrics,
                         command="python scripts/train_siamese.py " + " ".join(sys.argv[1:]),
                         notes=f"Adam, cosine decay from lr {args.lr} to 0, on {platform.machine()} with "
                               f"{torch.get_num_threads()} threads; threshold chosen on scene_pairs('val', 2000), "
                               f"metrics on scene_pairs('test', 4000), seed {args.seed}")
        print(f"{name}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()) + f"; {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
