"""Train chapter 5's converged comparison: a VQ-VAE and a VQGAN at one code rate.

    python scripts/train_vq_pair.py --model vqvae     # data/checkpoints/pair_vqvae
    python scripts/train_vq_pair.py --model vqgan     # data/checkpoints/pair_vqgan
    python scripts/train_vq_pair.py --model vqgan --steps 200 --out /tmp/pair   # a quick try
    python scripts/train_vq_pair.py --model vqgan --num-codes 512 --name vqgan_512   # chapter 9's tokenizer

Both are ``mmfuse_lite.nn.VQVAE`` with the geometry of the shipped ``vqgan_shapes`` (an 8 x 8
grid of codes from a 128-code book for a 32 x 32 image: 64 x 7 = 448 bits per image), the same
data, batch, steps, optimiser (Adam, betas 0.5 and 0.9, taming-transformers' choice) and
the same quantiser with chapter 4's cures (k-means initialisation on the first batch, and
restarts of codes whose use falls below one vector per batch). They differ only in the
loss, which is what chapter 5 compares:

* ``vqvae``: chapter 3's loss, squared error + codebook + commitment;
* ``vqgan``: L1 + the Shapes perceptual loss + a PatchGAN hinge loss with the adaptive
  weight (the discriminator trains from step 0 and its gradient reaches the generator
  from ``--disc-start``), each batch scored by the critic in separate real and fake
  forwards, as in taming-transformers.

The restart statistics are training state: the shipped weights load into a plain
``VQVAE(**card["config"])``. The card records PSNR, Fréchet distance (``shapes_judge``
features), sharpness, codebook usage and perplexity on ShapesWorld("test", n=1000, seed=0),
and the same on ShapesWorld("val", n=1000, seed=0), where settings are chosen;
``tests/test_checkpoints.py`` re-measures both.

``--num-codes`` changes only the codebook size: chapter 9's prior draws with a 512-code
VQGAN trained this way, because 128 codes lose the outline of small objects (9.1).
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import ShapesDataset, ShapesWorld, image_tensor, make_loader
from mmfuse_lite.metrics import vq_report
from mmfuse_lite.nn import (VQVAE, PatchDiscriminator, PerceptualLoss, VectorQuantizer, VQGANLoss, VQGANTrainer,
                            vqvae_loss)
from mmfuse_lite.nn.perceptual import load_feature_net
from mmfuse_lite.train import adam, fit

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEST_SEED, TEST_N = 0, 1000
TRAINING_STATE = ("quantizer.cluster_size", "quantizer.initialised")   # restart statistics, not weights


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=("vqvae", "vqgan"), required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--disc-start", type=int, default=1000)
    ap.add_argument("--perceptual-weight", type=float, default=0.1)
    ap.add_argument("--disc-weight", type=float, default=0.3)
    ap.add_argument("--restart-below", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--n-train", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--num-codes", type=int, default=None, help="codebook size (default: vqgan_shapes')")
    ap.add_argument("--name", default=None, help="checkpoint name (default: pair_<model>)")
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    config = checkpoints.load_card(checkpoints.shipped("vqgan_shapes"))["config"]   # the same code rate
    if args.num_codes is not None:
        config["num_codes"] = args.num_codes
    torch.manual_seed(args.seed)
    quantizer = VectorQuantizer(config["num_codes"], config["dim"], kmeans_init=True, restart_below=args.restart_below)
    model = VQVAE(**config, quantizer=quantizer)
    loader = make_loader(ShapesDataset(ShapesWorld("train", n=args.n_train, seed=args.seed), modalities=("image",)),
                         batch_size=args.batch_size, seed=args.seed)
    start = time.perf_counter()
    if args.model == "vqvae":
        opt = adam(model.parameters(), args.lr, betas=(0.5, 0.9))
        fit(model, vqvae_loss, loader, args.steps, lr=args.lr, device=args.device, optimizer=opt, desc="VQ-VAE")
        loss = "squared error + codebook + 0.25 x commitment"
    else:
        perceptual = PerceptualLoss(load_feature_net("shapes_features"))
        disc = PatchDiscriminator(width=config["width"], n_layers=2)
        trainer = VQGANTrainer(model, VQGANLoss(disc, perceptual, args.perceptual_weight, args.disc_weight,
                                                disc_start=args.disc_start), lr=args.lr, device=args.device)
        trainer.fit(loader, args.steps, desc="VQGAN")
        loss = (f"L1 + {args.perceptual_weight} x perceptual (shapes_features) + adaptive {args.disc_weight} x "
                f"PatchGAN hinge from step {args.disc_start}")
    minutes = (time.perf_counter() - start) / 60

    plain = VQVAE(**config)                                           # what the card's config rebuilds
    state = {k: v for k, v in model.cpu().state_dict().items() if k not in TRAINING_STATE}
    plain.load_state_dict(state)
    judge = load_feature_net("shapes_judge")
    metrics = vq_report(plain, image_tensor(ShapesWorld("test", n=TEST_N, seed=TEST_SEED)), judge)
    val = vq_report(plain, image_tensor(ShapesWorld("val", n=TEST_N, seed=TEST_SEED)), judge)   # for choosing settings
    metrics.update({f"val_{k}": v for k, v in val.items()})
    print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items()), flush=True)
    path = checkpoints.save(
        plain, pathlib.Path(args.out) / (args.name or f"pair_{args.model}"), config=config,
        metrics={k: round(v, 4) for k, v in metrics.items()},
        command="python scripts/train_vq_pair.py " + " ".join(sys.argv[1:]),
        notes=f"{args.steps} steps of {args.batch_size} images (ShapesWorld train, n={args.n_train}, seed "
              f"{args.seed}) on {platform.machine()} {args.device} with {torch.get_num_threads()} threads, "
              f"{minutes:.1f} min; Adam lr {args.lr}, betas (0.5, 0.9); loss: {loss}; quantizer: k-means init, "
              f"restarts below {args.restart_below} uses per batch; metrics on ShapesWorld('test', n={TEST_N}, "
              f"seed={TEST_SEED}), val_ ones on ('val', n={TEST_N}, seed={TEST_SEED}): PSNR in dB, Fréchet "
              f"distance on shapes_judge features, sharpness relative to the real images, codebook usage and "
              f"perplexity")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
