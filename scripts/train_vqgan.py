"""Train the VQGAN the later chapters use (chapter 9 turns images into its codes).

    python scripts/train_vqgan.py                      # the shipped checkpoint, CPU or GPU
    python scripts/train_vqgan.py --steps 200 --out /tmp/ckpt   # a quick try

The generator is ``mmfuse_lite.nn.VQVAE`` (8x8 codes from a 128-code book for a 32x32
image), trained with L1 + the Shapes perceptual loss + a PatchGAN hinge loss with the
adaptive weight; the discriminator trains from step 0, its gradient reaches the
generator from ``--disc-start``. Writes ``data/checkpoints/vqgan_shapes.safetensors``
and a card with PSNR, Fréchet distance (judge network) and sharpness on a fixed test split,
which ``tests/test_checkpoints.py`` re-measures.
"""
import argparse
import pathlib
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import ShapesDataset, ShapesWorld, image_tensor, make_loader
from mmfuse_lite.nn import VQVAE, PatchDiscriminator, PerceptualLoss, VQGANLoss, VQGANTrainer
from mmfuse_lite.metrics import reconstruction_report
from mmfuse_lite.nn.perceptual import load_feature_net

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "data" / "checkpoints"
TEST_SEED, TEST_N = 0, 1000             # the card's metrics are measured on this split


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--disc-start", type=int, default=1000)
    p.add_argument("--perceptual-weight", type=float, default=0.1)
    p.add_argument("--disc-weight", type=float, default=0.3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--dim", type=int, default=16)
    p.add_argument("--num-codes", type=int, default=128)
    p.add_argument("--downsamples", type=int, default=2)
    p.add_argument("--n-train", type=int, default=20000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", default=str(CHECKPOINTS))
    args = p.parse_args(argv)

    torch.manual_seed(args.seed)
    world = ShapesWorld("train", n=args.n_train, seed=args.seed)
    loader = make_loader(ShapesDataset(world, modalities=("image",)), batch_size=args.batch_size, seed=args.seed)
    config = dict(width=args.width, dim=args.dim, num_codes=args.num_codes, downsamples=args.downsamples)
    model = VQVAE(**config)
    perceptual = PerceptualLoss(load_feature_net("shapes_features"))
    disc = PatchDiscriminator(width=args.width, n_layers=2)
    trainer = VQGANTrainer(model, VQGANLoss(disc, perceptual, args.perceptual_weight, args.disc_weight,
                                                 disc_start=args.disc_start), lr=args.lr,
                           device=args.device)
    start = time.perf_counter()
    trainer.fit(loader, args.steps, desc="VQGAN")
    minutes = (time.perf_counter() - start) / 60

    test = image_tensor(ShapesWorld("test", n=TEST_N, seed=TEST_SEED))
    metrics = reconstruction_report(model.cpu(), test, load_feature_net("shapes_judge"))
    print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    command = "python scripts/train_vqgan.py " + " ".join(argv if argv is not None else sys.argv[1:])
    path = checkpoints.save(
        model, pathlib.Path(args.out) / "vqgan_shapes", config=config,
        metrics={k: round(v, 4) for k, v in metrics.items()}, command=command.strip(),
        notes=f"{args.steps} steps of {args.batch_size} images (ShapesWorld train, n={args.n_train}, seed "
              f"{args.seed}) on {args.device}, {minutes:.1f} min; lr {args.lr}; perceptual weight "
              f"{args.perceptual_weight}, adversarial weight {args.disc_weight} from step {args.disc_start}; "
              f"metrics on ShapesWorld('test', n={TEST_N}, seed={TEST_SEED}): PSNR in dB, Fréchet distance "
              f"on shapes_judge features, sharpness relative to the real images")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
