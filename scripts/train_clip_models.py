"""Train chapter 10's converged clip models: the transformer-over-frames classifier (motion
and change of a clip's object) and the clip captioner, on one-object Shapes clips.

    python scripts/train_clip_models.py                      # both shipped models
    python scripts/train_clip_models.py --clips 2000 --steps 300 --out /tmp/clips   # a quick try

Every frame is coded by the shipped VQGAN of chapters 9 and 10 (``vqgan_512``); both models read those code
maps through the VQGAN's frozen codebook (``mmfuse_lite.nn.temporal``). The cards record the
classifier's accuracy (motion, direction of moving objects, change, colour change against
none) and the captioner's per-attribute caption scores (``judging.clip_caption_scores``) on
val and test clips; ``tests/test_checkpoints.py`` re-measures them. Writes
``data/checkpoints/clip_classifier`` and ``clip_captioner`` (.safetensors and a card).
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints, judging
from mmfuse_lite.data import Batches, ShapesClips, WordTokenizer
from mmfuse_lite.data.motion import MOTION_WORDS
from mmfuse_lite.nn import load_vqgan
from mmfuse_lite.nn import temporal as TM
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]
MAX_WORDS = 11          # <bos> and up to 10 words: a one-object clip caption has at most 9


def labels(clips) -> dict:
    return {k: torch.from_numpy(clips.clips[k][:, 0]) for k in ("motion", "change")}


def classifier_metrics(model, codes, clips) -> dict:
    p, t = TM.clip_predictions(model, codes), labels(clips)
    right = {k: (p[k] == t[k]).float() for k in p}
    moving, quiet = t["motion"] > 0, t["change"] <= 1
    return {"motion": right["motion"].mean().item(), "direction": right["motion"][moving].mean().item(),
            "change": right["change"].mean().item(), "none_or_colour": right["change"][quiet].mean().item(),
            "grows_or_shrinks": right["change"][~quiet].mean().item()}


def captioner_metrics(model, tokenizer, codes, clips) -> dict:
    texts = [tokenizer.decode(ids) for ids in TM.write_captions(model, codes, tokenizer.bos_id, tokenizer.eos_id)]
    return judging.clip_caption_scores(texts, clips)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=20000, help="one-object training clips")
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--only", choices=("classifier", "captioner"), default=None)
    ap.add_argument("--eval-n", type=int, default=2000, help="clips per split in the cards' metrics")
    ap.add_argument("--vqgan", default="vqgan_512", help="the image tokenizer: chapter 10 codes frames with vqgan_512")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="a folder for the two checkpoints (default data/checkpoints)")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    vqgan = load_vqgan(args.vqgan)
    t0 = time.perf_counter()
    train = ShapesClips("train", n=args.clips, seed=args.seed, max_objects=1)
    evals = {s: ShapesClips(s, n=args.eval_n, seed=0, max_objects=1) for s in ("val", "test")}
    codes = TM.clip_codes(vqgan, train.frames)
    eval_codes = {s: TM.clip_codes(vqgan, c.frames) for s, c in evals.items()}
    print(f"{args.clips + 2 * args.eval_n:,} clips coded in {time.perf_counter() - t0:.0f} s", flush=True)
    codebook = vqgan.quantizer.codebook.weight
    base = {"vqgan": args.vqgan, "num_codes": codebook.shape[0], "code_dim": codebook.shape[1], "dim": args.dim}
    tokenizer = WordTokenizer(max_len=MAX_WORDS + 1, extra_words=MOTION_WORDS)
    out_dir = pathlib.Path(args.out) if args.out else ROOT / "data" / "checkpoints"
    out_dir.mkdir(parents=True, exist_ok=True)

    for name in ("classifier", "captioner"):
        if args.only and name != args.only:
            continue
        torch.manual_seed(args.seed)
        if name == "classifier":
            config = {**base, "fusion": "transformer"}
            model = TM.ClipClassifier(codebook, "transformer", args.dim)
            data, loss = {"codes": codes, **labels(train)}, TM.clip_loss
            measure = lambda m, s: classifier_metrics(m, eval_codes[s], evals[s])   # noqa: E731
        else:
            config = {**base, "vocab_size": len(tokenizer), "max_words": MAX_WORDS, "layers": 2}
            model = TM.ClipCaptioner(codebook, len(tokenizer), MAX_WORDS, args.dim, layers=2)
            data = {"codes": codes, "ids": tokenizer(train.captions)}
            loss = lambda m, b: TM.caption_loss(m, b, tokenizer.pad_id)   # noqa: E731
            measure = lambda m, s: captioner_metrics(m, tokenizer, eval_codes[s], evals[s])   # noqa: E731
        t0 = time.perf_counter()
        history = fit(model, loss, Batches(data, args.batch_size, args.seed), args.steps, lr=args.lr, log_every=50,
                      cosine=True, desc=f"clip {name}")
        seconds = time.perf_counter() - t0
        metrics = {f"{s}_{k}": round(v, 4) for s in ("val", "test") for k, v in measure(model, s).items()}
        print(name, metrics, flush=True)
        last = history["loss"][-10:]
        path = out_dir / f"clip_{name}"
        checkpoints.save(model, path, config=config,
                         command="python scripts/train_clip_models.py " + " ".join(sys.argv[1:]),
                         metrics={**metrics, "final_loss": round(sum(last) / len(last), 4),
                                  "train_seconds": round(seconds, 1), "eval_clips": args.eval_n, "steps": args.steps,
                                  "clips": args.clips, "batch_size": args.batch_size, "lr": args.lr},
                         notes=f"one-object ShapesClips('train', n={args.clips}, seed={args.seed}), frames coded by "
                               f"{args.vqgan}; {platform.machine()} cpu, {torch.get_num_threads()} threads, "
                               f"{seconds / 60:.1f} min of training, cosine learning-rate decay; metrics on "
                               f"{args.eval_n} one-object clips per split (seed 0)")
        print(f"wrote {path}.safetensors", flush=True)


if __name__ == "__main__":
    main()
