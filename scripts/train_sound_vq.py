"""Train chapter 10's sound tokenizer and sound judge on Shapes sounds.

    python scripts/train_sound_vq.py                        # the shipped sound_vq
    python scripts/train_sound_vq.py --judge --steps 3000   # the shipped sound_judge
    python scripts/train_sound_vq.py --steps 200 --out /tmp/sound_vq   # a quick try

Both read log-magnitude spectrograms (``mmfuse_lite.nn.sound_vq.sound_spectrogram``) of the
sounds of 1-3-object scenes of the train split. The tokenizer's card records its spectrogram
error and codebook usage on val and test sounds; the judge's card records how often it hears
each slot's shape (timbre), colour (pitch) and size (loudness) right on test sounds, and on
the tokenizer's reconstructions of them if ``--sound-vq`` names a shipped tokenizer.
``tests/test_checkpoints.py`` re-measures them. Writes ``data/checkpoints/<name>.safetensors``
and a card.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import Batches, ShapesWorld
from mmfuse_lite.nn import sound_judge as J
from mmfuse_lite.nn import sound_vq as S
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


def spectrograms(split: str, n: int, seed: int = 0) -> tuple[ShapesWorld, torch.Tensor]:
    world = ShapesWorld(split, n=n, seed=seed)
    return world, S.sound_spectrogram(torch.from_numpy(world.sounds))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judge", action="store_true", help="train the sound judge instead of the tokenizer")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--scenes", type=int, default=20000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--num-codes", type=int, default=128)
    ap.add_argument("--sound-vq", default="sound_vq", help="judge only: the tokenizer whose reconstructions it "
                    "is also scored on ('' for none)")
    ap.add_argument("--eval-n", type=int, default=2000, help="sounds per split in the card's metrics")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    world, spec = spectrograms("train", args.scenes, args.seed)
    if args.judge:
        config = {"width": 128}
        model = J.SoundJudge(**config)
        data, loss = {"spec": spec, **J.slot_labels(world.scenes)}, J.sound_judge_loss
    else:
        model, config = S.SoundVQ(num_codes=args.num_codes), {"num_codes": args.num_codes}
        data, loss = {"spec": spec}, S.sound_vq_loss
    name = "sound_judge" if args.judge else "sound_vq"
    t0 = time.perf_counter()
    history = fit(model, loss, Batches(data, args.batch_size, args.seed), args.steps, lr=args.lr, log_every=50,
                  cosine=True, desc=name)
    seconds = time.perf_counter() - t0
    model.eval()
    metrics = {}
    for split in ("val", "test"):
        w, s = spectrograms(split, args.eval_n)
        if args.judge:
            truth = J.slot_labels(w.scenes)
            metrics.update({f"{split}_{k}": v for k, v in J.heard_accuracy(model.hear(s), truth).items()})
            if args.sound_vq:
                vq = S.load_sound_vq(args.sound_vq)
                recon = vq.decode(vq.encode(s))
                metrics.update({f"{split}_recon_{k}": v for k, v in J.heard_accuracy(model.hear(recon), truth).items()})
        else:
            with torch.no_grad():
                recon, vq = model(s)
            metrics[f"{split}_mse"] = torch.nn.functional.mse_loss(recon, s).item()
            metrics[f"{split}_variance"] = s.var().item()
            metrics[f"{split}_codes_used"] = vq.indices.unique().numel()
    print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items()), flush=True)
    out = pathlib.Path(args.out) if args.out else ROOT / "data" / "checkpoints" / name
    last = history["loss"][-10:]
    checkpoints.save(model, out, config=config, command="python scripts/train_sound_vq.py " + " ".join(sys.argv[1:]),
                     metrics={**{k: round(v, 4) for k, v in metrics.items()},
                              "final_loss": round(sum(last) / len(last), 4), "train_seconds": round(seconds, 1),
                              "eval_sounds": args.eval_n, "steps": args.steps, "scenes": args.scenes,
                              "batch_size": args.batch_size, "lr": args.lr},
                     notes=f"sounds of ShapesWorld('train', n={args.scenes}, seed={args.seed}), 1-3 objects; "
                           f"{platform.machine()} cpu, {torch.get_num_threads()} threads, {seconds / 60:.1f} min, "
                           f"cosine learning-rate decay; metrics on {args.eval_n} sounds per split (seed 0)"
                           + (f", and on {args.sound_vq}'s reconstructions of them" if args.judge and args.sound_vq
                              else ""))
    print(f"wrote {out}.safetensors; mean logged loss of the last {50 * len(last)} steps {sum(last) / len(last):.4f}")


if __name__ == "__main__":
    main()
