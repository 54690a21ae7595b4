"""Train chapter 2's VAEs (one per KL weight beta) and its CVAE to convergence, and ship them.

    python scripts/train_vae.py --betas 1 4 16 64 --steps 8000 --width 16            # the shipped VAEs
    python scripts/train_vae.py --betas --cvae --cvae-beta 16 --steps 6000 --width 32  # the shipped CVAE
    python scripts/train_vae.py --betas 1 --steps 500 --out /tmp/vae                   # a quick try

Every model is ``mmfuse_lite.nn.vae.VAE`` on one-object scenes (so that a sample can be
judged, and a scene's attributes are the CVAE's whole condition), trained on
``vae_loss`` (Gaussian reconstruction term with fixed sigma, plus beta times the KL) with
Adam and a cosine learning-rate decay. A VAE is scored by ``metrics.vae_report`` on
ShapesWorld("val", n=1000) and ("test", n=2000), one object each: PSNR of the posterior
mean's reconstruction, KL in nats, active units, and the Fréchet distance of prior samples
on the ``shapes_judge``'s features. The CVAE (``--cvae-beta``) is scored by ``judging.cvae_report``:
the judge's colour, shape and position of one sample per scene. Shipped, with cards, as
``data/checkpoints/vae_beta<beta>`` and ``data/checkpoints/cvae``.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints, judging
from mmfuse_lite.data import Batches, ShapesWorld, image_tensor
from mmfuse_lite.metrics import vae_report
from mmfuse_lite.nn.perceptual import load_feature_net
from mmfuse_lite.nn.vae import CONDITION_DIM, VAE, scene_condition, vae_loss
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]


def beta_name(beta: float) -> str:
    return f"vae_beta{beta:g}".replace(".", "p")


def make_loss(beta: float, sigma: float, conditional: bool):
    def loss(model, batch):
        x = batch["image"].float().div(255)
        c = batch["condition"] if conditional else None
        x_hat, mu, logvar = model(x, c)
        out = vae_loss(x_hat, x, mu, logvar, beta=beta, sigma=sigma)
        return out["loss"], {"nll": out["nll"].item(), "kl": out["kl"].item()}
    return loss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--betas", nargs="*", type=float, default=[0.1, 1.0, 4.0])
    ap.add_argument("--cvae", action="store_true", help="also train the CVAE")
    ap.add_argument("--cvae-beta", type=float, default=16.0)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--scenes", type=int, default=50000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--latent-dim", type=int, default=16)
    ap.add_argument("--sigma", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    world = ShapesWorld("train", n=args.scenes, seed=args.seed, max_objects=1)
    train = {"image": torch.from_numpy(world.images), "condition": scene_condition(world)}   # uint8 images
    images = {s: image_tensor(ShapesWorld(s, n=n, seed=args.seed, max_objects=1)) for s, n in (("val", 1000),
                                                                                             ("test", 2000))}
    judge = load_feature_net("shapes_judge")
    runs = [(beta_name(b), b, False) for b in args.betas] + ([("cvae", args.cvae_beta, True)] if args.cvae else [])
    for name, beta, conditional in runs:
        config = dict(latent_dim=args.latent_dim, width=args.width, cond_dim=CONDITION_DIM if conditional else 0)
        torch.manual_seed(args.seed)
        model = VAE(**config)
        t0 = time.perf_counter()
        fit(model, make_loss(beta, args.sigma, conditional), Batches(train, args.batch_size, args.seed), args.steps,
            lr=args.lr, desc=name, cosine=True)
        seconds = time.perf_counter() - t0
        if conditional:
            metrics = {f"{split}_{k}": round(v, 4) for split, n in (("val", 1000), ("test", 2000))
                       for k, v in judging.cvae_report(model, judge, n=n, seed=args.seed, split=split).items()}
        else:
            metrics = {f"{split}_{k}": round(v, 4) for split in ("val", "test")
                       for k, v in vae_report(model, images[split], judge, seed=args.seed).items()}
        metrics.update(beta=beta, sigma=args.sigma, steps=args.steps, batch_size=args.batch_size,
                       scenes=args.scenes, lr=args.lr, train_seconds=round(seconds, 1))
        checkpoints.save(model, pathlib.Path(args.out) / name, config=config, metrics=metrics,
                         command="python scripts/train_vae.py " + " ".join(sys.argv[1:]),
                         notes=f"vae_loss (sigma {args.sigma}, beta {beta:g}), Adam, cosine decay from lr {args.lr} "
                               f"to 0, on {platform.machine()} with {torch.get_num_threads()} threads; one-object "
                               f"ShapesWorld('val', n=1000) and ('test', n=2000), seed {args.seed}")
        print(name, {k: v for k, v in metrics.items() if k.startswith("test_")}, f"{seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
