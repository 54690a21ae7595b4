"""Train the GPT priors chapter 9 ships: text -> image codes, and image codes -> caption.

    python scripts/train_prior.py --target image          # the shipped text-to-image prior
    python scripts/train_prior.py --target text           # the shipped captioner
    python scripts/train_prior.py --steps 100 --out /tmp/prior   # a quick try

Both are ``mmfuse_lite.nn.prior.build_prior`` GPT-2s over one-object Shapes scenes of the
train split (which never shows the held-out red triangle), with the images turned into
codes by the shipped VQGAN. The text-to-image prior drops 20% of the captions, for
classifier-free guidance. Writes ``data/checkpoints/prior_<target>.safetensors`` and a card.
"""
import argparse
import pathlib
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import Batches, ShapesWorld, WordTokenizer
from mmfuse_lite.nn import load_vqgan
from mmfuse_lite.nn import prior as P
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


@torch.no_grad()
def codes_of(vqgan, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    return torch.cat([vqgan.encode(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", choices=("image", "text"), default="image")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--scenes", type=int, default=20000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--p-drop", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    tokenizer, vqgan = WordTokenizer(), load_vqgan()
    layout = P.Layout(len(tokenizer), vqgan.quantizer.num_codes, caption_len=16)
    world = ShapesWorld("train", n=args.scenes, seed=args.seed, max_objects=1)
    codes = codes_of(vqgan, torch.from_numpy(world.images).float() / 255)
    captions = P.caption_ids(layout, tokenizer, world.captions)
    if args.target == "image":
        seqs = P.text_to_image_sequences(layout, captions, codes)
    else:
        seqs = P.image_to_text_sequences(layout, codes, captions)
    model = P.build_prior(layout, dim=args.dim, layers=args.layers)
    t0 = time.perf_counter()
    history = fit(model, P.loss_fn(layout, args.p_drop if args.target == "image" else 0.0, args.target),
                  Batches({"seq": seqs}, args.batch_size, args.seed), args.steps, lr=args.lr, log_every=50,
                  desc=f"prior ({args.target})")
    last = history["loss"][-10:]                      # the loss is logged every 50 steps
    out = pathlib.Path(args.out) if args.out else ROOT / "data" / "checkpoints" / f"prior_{args.target}"
    config = dict(target=args.target, dim=args.dim, layers=args.layers, heads=4, caption_len=layout.caption_len,
                  text_vocab=layout.text_vocab, num_codes=layout.num_codes, p_drop=args.p_drop)
    checkpoints.save(model, out, config=config, command="python scripts/train_prior.py " + " ".join(sys.argv[1:]),
                     metrics={"final_loss": round(sum(last) / len(last), 4),
                              "train_seconds": round(time.perf_counter() - t0, 1), "steps": args.steps,
                              "scenes": args.scenes, "batch_size": args.batch_size, "lr": args.lr})
    print(f"wrote {out}.safetensors; mean logged loss of the last {50 * len(last)} steps {sum(last) / len(last):.3f}")


if __name__ == "__main__":
    main()
