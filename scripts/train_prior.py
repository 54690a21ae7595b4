"""Train the GPT priors chapter 9 ships: text -> image codes, and image codes -> caption.

    python scripts/train_prior.py --target image          # the shipped text-to-image prior
    python scripts/train_prior.py --target text           # the shipped captioner
    python scripts/train_prior.py --steps 100 --out /tmp/prior   # a quick try

The card records what chapter 9 measures (``mmfuse_lite.judging``): for the image prior the
guidance scale chosen on val captions, the judge's scores on test captions at scale 1 and at
that scale, and the held-out red triangles; for the captioner the attributes its captions
get right on test images. ``tests/test_checkpoints.py`` re-measures them.

Both are ``mmfuse_lite.nn.prior.build_prior`` GPT-2s over one-object Shapes scenes of the
train split (which never shows the held-out red triangle), with the images turned into
codes by a shipped VQGAN (``--vqgan``, recorded in the card). The text-to-image prior drops 20% of the captions, for
classifier-free guidance. Writes ``data/checkpoints/prior_<target>.safetensors`` and a card.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints, judging
from mmfuse_lite.data import Batches, ShapesWorld, WordTokenizer
from mmfuse_lite.nn import encode_codes, load_vqgan
from mmfuse_lite.nn import prior as P
from mmfuse_lite.nn.perceptual import load_feature_net
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", choices=("image", "text"), default="image")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--scenes", type=int, default=20000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vqgan", default="vqgan_shapes", help="the shipped VQGAN whose codes the prior models")
    ap.add_argument("--eval-n", type=int, default=500, help="captions or images per split in the card's metrics")
    ap.add_argument("--p-drop", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    tokenizer, vqgan = WordTokenizer(), load_vqgan(args.vqgan)
    layout = P.Layout(len(tokenizer), vqgan.quantizer.num_codes, caption_len=16)
    world = ShapesWorld("train", n=args.scenes, seed=args.seed, max_objects=1)
    codes = encode_codes(vqgan, torch.from_numpy(world.images))
    captions = P.caption_ids(layout, tokenizer, world.captions)
    if args.target == "image":
        seqs = P.text_to_image_sequences(layout, captions, codes)
    else:
        seqs = P.image_to_text_sequences(layout, codes, captions)
    model = P.build_prior(layout, dim=args.dim, layers=args.layers, heads=args.heads)
    t0 = time.perf_counter()
    history = fit(model, P.loss_fn(layout, args.p_drop if args.target == "image" else 0.0, args.target),
                  Batches({"seq": seqs}, args.batch_size, args.seed), args.steps, lr=args.lr, log_every=50,
                  cosine=True, desc=f"prior ({args.target})")
    seconds = time.perf_counter() - t0
    last = history["loss"][-10:]                      # the loss is logged every 50 steps
    model.eval()
    if args.target == "image":
        metrics = judging.text_to_image_report(model, layout, vqgan, load_feature_net("shapes_judge"), tokenizer,
                                               n=args.eval_n, seed=0)
    else:
        metrics = judging.captioner_report(model, layout, vqgan, tokenizer, n=args.eval_n, seed=0)
    print(", ".join(f"{k} {v:.3f}" for k, v in metrics.items()), flush=True)
    out = pathlib.Path(args.out) if args.out else ROOT / "data" / "checkpoints" / f"prior_{args.target}"
    config = dict(target=args.target, dim=args.dim, layers=args.layers, heads=args.heads,
                  caption_len=layout.caption_len, text_vocab=layout.text_vocab, num_codes=layout.num_codes,
                  p_drop=args.p_drop, vqgan=args.vqgan)
    checkpoints.save(model, out, config=config, command="python scripts/train_prior.py " + " ".join(sys.argv[1:]),
                     metrics={**{k: round(v, 4) for k, v in metrics.items()},
                              "final_loss": round(sum(last) / len(last), 4), "train_seconds": round(seconds, 1),
                              "eval_scenes": args.eval_n, "steps": args.steps, "scenes": args.scenes,
                              "batch_size": args.batch_size, "lr": args.lr},
                     notes=f"one-object scenes of ShapesWorld('train', n={args.scenes}, seed={args.seed}), codes "
                           f"from {args.vqgan}; {platform.machine()} cpu, {torch.get_num_threads()} threads, "
                           f"{seconds / 60:.1f} min, cosine learning-rate decay; metrics on {args.eval_n} one-object "
                           f"scenes per split (seed 0), scored by mmfuse_lite.judging")
    print(f"wrote {out}.safetensors; mean logged loss of the last {50 * len(last)} steps {sum(last) / len(last):.3f}")


if __name__ == "__main__":
    main()
