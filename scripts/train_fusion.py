"""Train chapter 6's fusion models to convergence on caption matching, and ship them.

    python scripts/train_fusion.py                        # the shipped models (about an hour on 2 CPU cores)
    python scripts/train_fusion.py --steps 200 --out /tmp/fusion   # a quick try

Caption matching is chapter 6's synergistic task: a one-object scene and a caption that
is either true or has one attribute (colour, shape, size or position) changed; neither
modality alone says which. Each model reads the shipped VQGAN's latent grid and a
bag-of-words caption, trains with Adam and a cosine learning-rate decay at the same
budget, and is scored on ShapesWorld("test", n=2000, seed=0). The fusion strategies are
compared on the val split; every model is shipped, with a card, as
``data/checkpoints/fusion_caption_<name>``.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import Batches, WordTokenizer
from mmfuse_lite.nn import evaluate, fit_classifier, load_vqgan
from mmfuse_lite.nn.multimodal import build_from_card, caption_matching_data

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNS = {"film": ("film", ("image", "text")), "tensor": ("tensor", ("image", "text")),
        "late": ("late-mean", ("image", "text")), "image": ("intermediate", ("image",)),
        "text": ("intermediate", ("text",))}
SHIPPED = ("film", "late", "image", "text")     # the best fusion on val, and the three that cannot see agreement


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", choices=tuple(RUNS), default=list(SHIPPED))
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--scenes", type=int, default=60000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    vqgan, vocab = load_vqgan(), len(WordTokenizer())
    t0 = time.perf_counter()
    data = {split: caption_matching_data(split, n, args.seed, vqgan)
            for split, n in (("train", args.scenes), ("val", 1000), ("test", 2000))}
    print(f"data: {args.scenes} train scenes encoded in {time.perf_counter() - t0:.0f} s", flush=True)
    for name in args.runs:
        strategy, modalities = RUNS[name]
        config = dict(task="synergistic", strategy=strategy, modalities=list(modalities), num_classes=2,
                      vocab_size=vocab, text_dim=32, width=args.width, dim=args.dim, depth=args.depth,
                      image_shape=[16, 8])
        torch.manual_seed(args.seed)
        model = build_from_card(config)
        batches = Batches({k: data["train"][k] for k in (*modalities, "label")}, args.batch_size, args.seed)
        t0 = time.perf_counter()
        fit_classifier(model, batches, args.steps, lr=args.lr, desc=name, cosine=True)
        seconds = time.perf_counter() - t0
        metrics = {"val_accuracy": round(evaluate(model, data["val"]), 4),
                   "test_accuracy": round(evaluate(model, data["test"]), 4),
                   "steps": args.steps, "batch_size": args.batch_size, "scenes": args.scenes, "lr": args.lr,
                   "train_seconds": round(seconds, 1)}
        checkpoints.save(model, pathlib.Path(args.out) / f"fusion_caption_{name}", config=config, metrics=metrics,
                         command="python scripts/train_fusion.py " + " ".join(sys.argv[1:]),
                         notes=f"Adam, cosine decay from lr {args.lr} to 0, on {platform.machine()} with "
                               f"{torch.get_num_threads()} threads; metrics on ShapesWorld('val', n=1000) and "
                               f"('test', n=2000), seed {args.seed}, one object per scene")
        print(f"{name}: val {metrics['val_accuracy']:.4f}, test {metrics['test_accuracy']:.4f}, {seconds:.0f} s",
              flush=True)


if __name__ == "__main__":
    main()
