"""Train chapter 10's image-to-sound translator: a GPT from VQGAN image codes to sound codes.

    python scripts/train_image_to_sound.py --device cuda --steps 12000 --scenes 100000   # the shipped one
    python scripts/train_image_to_sound.py --steps 100 --out /tmp/i2s                     # a quick try

The shipped translator was trained on a GPU (2.3 min on an H200); on one CPU thread a step
takes about 0.8 s, so the same command with ``--device cpu`` takes about 2 h 40 min.

A ``mmfuse_lite.nn.translate`` GPT-2 over [<source> 64 image codes <target> 12 sound codes],
trained on 1-3-object scenes of the train split (``--max-objects``): the images become codes by a shipped VQGAN
(``--vqgan``), the sounds by the shipped sound tokenizer (``--sound-vq``). The card records
what chapter 10 measures (``mmfuse_lite.judging.image_to_sound_report``): the shipped sound
judge's per-slot accuracy on greedy translations, and the spectrogram distance to the true
sound, on val and test scenes, all of them and one-object ones.
``tests/test_checkpoints.py`` re-measures them.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints, judging
from mmfuse_lite.data import Batches, ShapesWorld, image_tensor
from mmfuse_lite.nn import encode_codes, load_vqgan
from mmfuse_lite.nn import translate as T
from mmfuse_lite.nn.sound_judge import load_sound_judge
from mmfuse_lite.nn.sound_vq import load_sound_vq, sound_spectrogram
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


@torch.no_grad()
def paired_codes(world, vqgan, sound_vq, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    sounds = torch.from_numpy(world.sounds).split(batch_size)
    return (encode_codes(vqgan, image_tensor(world), batch_size),
            torch.cat([sound_vq.encode(sound_spectrogram(s)) for s in sounds]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--scenes", type=int, default=20000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vqgan", default=None, help="the shipped VQGAN of the image codes (default: chapter 9's)")
    ap.add_argument("--sound-vq", default="sound_vq")
    ap.add_argument("--eval-n", type=int, default=500, help="scenes per split and kind in the card's metrics")
    ap.add_argument("--max-objects", type=int, default=3, help="train on scenes of 1 to this many objects")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    vqgan_name = args.vqgan or checkpoints.load_card(checkpoints.shipped("prior_image"))["config"]["vqgan"]
    vqgan, sound_vq = load_vqgan(vqgan_name), load_sound_vq(args.sound_vq)
    layout = T.CodeLayout(vqgan.quantizer.num_codes, sound_vq.quantizer.num_codes, 64, 12)
    image_codes, sound_codes = paired_codes(ShapesWorld("train", n=args.scenes, seed=args.seed,
                                                                 max_objects=args.max_objects), vqgan, sound_vq)
    seqs = T.translation_sequences(layout, image_codes, sound_codes)
    model = T.build_translator(layout, dim=args.dim, layers=args.layers, heads=args.heads)
    t0 = time.perf_counter()
    history = fit(model, T.loss_fn(layout), Batches({"seq": seqs}, args.batch_size, args.seed), args.steps,
                  lr=args.lr, log_every=50, cosine=True, warmup=args.warmup, device=args.device,
                  desc="image -> sound")
    seconds = time.perf_counter() - t0
    model.eval()
    vqgan.to(args.device)
    judge, metrics = load_sound_judge(), {}
    for split in ("val", "test"):
        for kind, most in (("all", 3), ("one", 1)):
            r = judging.image_to_sound_report(model, layout, vqgan, sound_vq, judge, n=args.eval_n, split=split,
                                              max_objects=most)
            metrics.update({f"{split}_{kind}_{k}": v for k, v in r.items()})
    print(", ".join(f"{k} {v:.3f}" for k, v in metrics.items()), flush=True)
    out = pathlib.Path(args.out) if args.out else ROOT / "data" / "checkpoints" / "image_to_sound"
    last = history["loss"][-10:]
    config = dict(dim=args.dim, layers=args.layers, heads=args.heads, source_codes=layout.source_codes,
                  target_codes=layout.target_codes, source_len=layout.source_len, target_len=layout.target_len,
                  vqgan=vqgan_name, sound_vq=args.sound_vq, max_objects=args.max_objects)
    checkpoints.save(model, out, config=config,
                     command="python scripts/train_image_to_sound.py " + " ".join(sys.argv[1:]),
                     metrics={**{k: round(v, 4) for k, v in metrics.items()},
                              "final_loss": round(sum(last) / len(last), 4), "train_seconds": round(seconds, 1),
                              "eval_scenes": args.eval_n, "steps": args.steps, "scenes": args.scenes,
                              "batch_size": args.batch_size, "lr": args.lr, "warmup": args.warmup},
                     notes=f"ShapesWorld('train', n={args.scenes}, seed={args.seed}), 1-{args.max_objects} objects; image "
                           f"codes from {vqgan_name}, sound codes from {args.sound_vq}; {platform.machine()} "
                           f"{args.device}, {torch.get_num_threads()} threads, {seconds / 60:.1f} min, warmup then cosine decay; "
                           f"metrics on {args.eval_n} scenes per split (seed 0) of 1-3 objects ('all') and of one "
                           f"('one'), greedy decoding, heard by sound_judge")
    print(f"wrote {out}.safetensors; mean logged loss of the last {50 * len(last)} steps {sum(last) / len(last):.3f}")


if __name__ == "__main__":
    main()
