"""Train chapter 8's dual encoder to convergence, and ship it.

    python scripts/train_clip.py                          # the shipped model (see its card for the time)
    python scripts/train_clip.py --steps 200 --out /tmp/clip   # a quick try

The chapter's CLIP: a GridMLP over the shipped VQGAN's latent grid and a GRU over the
caption, each projected to one normalised space, trained with the symmetric InfoNCE
loss and a learned temperature (clipped at 1 / 100), Adam with a cosine learning-rate
decay. Scored on ShapesWorld("val", n=2000) and ("test", n=2000): exact-pair and
semantic Recall@1 both ways (a caption counts when it is true of the image,
:mod:`mmfuse_lite.data.parse`), and zero-shot accuracy per attribute on the one-object
images. Shipped, with a card, as ``data/checkpoints/clip_shapes``.

``--multi-positive`` trains with :func:`mmfuse_lite.nn.multi_positive_info_nce`: every
caption of the batch that is true of an image (not only the one written for it) is a
positive for that image, so captions that describe several scenes are not pushed apart.
"""
import argparse
import pathlib
import platform
import sys
import time

import numpy as np
import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import Batches, WordTokenizer
from mmfuse_lite.data.parse import parse_caption, true_of
from mmfuse_lite.nn import clip_loss, load_vqgan, multi_positive_info_nce
from mmfuse_lite.nn.contrastive import alignment_scores, build_clip_from_card, caption_pairs
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


class TruthTable:
    """Which training captions are true of which training scenes, for in-batch positives.

    Scenes with the same objects in the same cells are the same to every caption, so each
    scene gets a key id, and each caption the set of key ids it is true of."""

    def __init__(self, world):
        s = world.scenes
        objects = np.stack([s[k] for k in ("shape", "colour", "size", "row", "col")], -1)      # (N, 3, 5)
        keys = [tuple(sorted(map(tuple, o[:c]))) for o, c in zip(objects, s["count"])]
        ids = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        self.key = np.array([ids[k] for k in keys])
        first = np.unique(self.key, return_index=True)[1]                 # one scene per key id
        unique = {k: np.asarray(v)[first] for k, v in s.items()}
        self.true_keys = [frozenset(np.flatnonzero(true_of(parse_caption(c), unique)).tolist()) for c in world.captions]

    def positives(self, index: torch.Tensor) -> torch.Tensor:
        """(B, B) bool: entry (a, b) says caption index[b] is true of scene index[a]."""
        idx = index.tolist()
        keys = self.key[idx]
        return torch.tensor([[keys[a] in self.true_keys[b] for b in idx] for a in range(len(idx))])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--pairs", type=int, default=60000)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--multi-positive", action="store_true", help="every caption true of an image is a positive")
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    vqgan, tokenizer = load_vqgan(), WordTokenizer()
    t0 = time.perf_counter()
    (train_world, train), (val_world, val), (test_world, test) = (caption_pairs(s, n, args.seed, vqgan, tokenizer) for s, n in
                                                        (("train", args.pairs), ("val", 2000), ("test", 2000)))
    print(f"data: {args.pairs} training pairs in {time.perf_counter() - t0:.0f} s", flush=True)
    config = dict(vocab_size=len(tokenizer), dim=args.dim, hidden=args.hidden, channels=16, size=8)
    torch.manual_seed(args.seed)
    model = build_clip_from_card(config)
    t0 = time.perf_counter()
    loss = clip_loss
    if args.multi_positive:
        t0 = time.perf_counter()
        truth = TruthTable(train_world)
        train["index"] = torch.arange(len(train["text"]))
        print(f"truth table: {truth.key.max() + 1} distinct scenes, a caption is true of "
              f"{np.mean([len(t) for t in truth.true_keys]):.1f} of them on average ({time.perf_counter() - t0:.0f} s)",
              flush=True)

        def loss(model, batch):
            logits = model(batch["image"], batch["text"])
            positives = truth.positives(batch["index"].cpu()).to(logits.device)
            return multi_positive_info_nce(logits, positives), {"positives": positives.sum(1).float().mean()}
    fit(model, loss, Batches(train, args.batch_size, args.seed), args.steps, lr=args.lr, desc="CLIP", cosine=True)
    seconds = time.perf_counter() - t0
    metrics = {**{f"val_{k}": v for k, v in alignment_scores(model, val_world, val, tokenizer).items()},
               **{f"test_{k}": v for k, v in alignment_scores(model, test_world, test, tokenizer).items()},
               "temperature": round(1 / model.scale.item(), 4), "steps": args.steps, "batch_size": args.batch_size,
               "pairs": args.pairs, "lr": args.lr, "train_seconds": round(seconds, 1)}
    checkpoints.save(model, pathlib.Path(args.out) / "clip_shapes", config=config, metrics=metrics,
                     command="python scripts/train_clip.py " + " ".join(sys.argv[1:]),
                     notes=("multi-positive InfoNCE (every caption true of an image is a positive); "
                            if args.multi_positive else "") + f"Adam, cosine decay from lr {args.lr} to 0, on {platform.machine()} with "
                           f"{torch.get_num_threads()} threads; metrics on ShapesWorld('val', n=2000) and "
                           f"('test', n=2000), seed {args.seed}")
    for k, v in metrics.items():
        print(f"{k:28s} {v}")


if __name__ == "__main__":
    main()
