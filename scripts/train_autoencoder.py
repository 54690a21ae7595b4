"""Train chapter 2's autoencoders to convergence, one per bottleneck width, and ship them.

    python scripts/train_autoencoder.py                        # the shipped models (see the cards for times)
    python scripts/train_autoencoder.py --steps 300 --out /tmp/ae   # a quick try

The chapter's Autoencoder (one downsample, so a 16 x 16 latent grid) with
``latent_channels`` 1, 2 and 4: 256, 512 and 1024 numbers per image. Each trains on the
mean squared error with Adam and a cosine learning-rate decay, and is scored by PSNR
on ShapesWorld("val", n=1000) and ("test", n=2000) against the noisy images it was
given, beside the perfect denoiser's score (the clean render of the same scenes against
the noisy one), which the chapter calls the noise ceiling. Shipped, with cards, as
``data/checkpoints/autoencoder_c<channels>``.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch
import torch.nn.functional as F

from mmfuse_lite import checkpoints
from mmfuse_lite.data import Batches, ShapesWorld, image_tensor, noise_free_images
from mmfuse_lite.metrics import evaluate_psnr, psnr
from mmfuse_lite.nn import Autoencoder
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


def noise_ceiling(split: str, n: int, seed: int) -> float:
    """PSNR of the clean render of the scenes against the noisy images (a perfect denoiser)."""
    return psnr(noise_free_images(split, n, seed), image_tensor(ShapesWorld(split, n=n, seed=seed))).mean().item()


def reconstruction_loss(model, batch):
    x = batch["image"].float().div(255)
    return F.mse_loss(model(x)[0], x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", nargs="+", type=int, default=[1, 2, 4])
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--scenes", type=int, default=50000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    train = {"image": torch.from_numpy(ShapesWorld("train", n=args.scenes, seed=args.seed).images)}   # uint8
    images = {s: image_tensor(ShapesWorld(s, n=n, seed=args.seed)) for s, n in (("val", 1000), ("test", 2000))}
    ceilings = {s: noise_ceiling(s, n, args.seed) for s, n in (("val", 1000), ("test", 2000))}
    print(f"noise ceiling: val {ceilings['val']:.2f} dB, test {ceilings['test']:.2f} dB", flush=True)
    for c in args.channels:
        config = dict(width=args.width, latent_channels=c, downsamples=1)
        torch.manual_seed(args.seed)
        model = Autoencoder(**config)
        t0 = time.perf_counter()
        fit(model, reconstruction_loss, Batches(train, args.batch_size, args.seed), args.steps, lr=args.lr,
            desc=f"latent_channels={c}", cosine=True)
        seconds = time.perf_counter() - t0
        metrics = {"val_psnr": round(evaluate_psnr(model, images["val"]), 3),
                   "test_psnr": round(evaluate_psnr(model, images["test"]), 3),
                   "val_noise_ceiling": round(ceilings["val"], 3), "test_noise_ceiling": round(ceilings["test"], 3),
                   "bottleneck": model.bottleneck_size(), "steps": args.steps, "batch_size": args.batch_size,
                   "scenes": args.scenes, "lr": args.lr, "train_seconds": round(seconds, 1)}
        checkpoints.save(model, pathlib.Path(args.out) / f"autoencoder_c{c}", config=config, metrics=metrics,
                         command="python scripts/train_autoencoder.py " + " ".join(sys.argv[1:]),
                         notes=f"MSE, Adam, cosine decay from lr {args.lr} to 0, on {platform.machine()} with "
                               f"{torch.get_num_threads()} threads; PSNR against the noisy images of "
                               f"ShapesWorld('val', n=1000) and ('test', n=2000), seed {args.seed}")
        print(f"latent_channels={c}: val {metrics['val_psnr']:.2f} dB, test {metrics['test_psnr']:.2f} dB "
              f"(ceiling {ceilings['test']:.2f}), {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
