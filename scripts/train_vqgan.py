"""Train the VQGAN the later chapters use (chapter 9 turns images into its codes).

    python scripts/train_vqgan.py                      # the shipped checkpoint, CPU or GPU
    python scripts/train_vqgan.py --steps 200 --out /tmp/ckpt   # a quick try
    torchrun --standalone --nproc_per_node=4 scripts/train_vqgan.py --out /tmp/ckpt   # 4 GPUs (or CPU processes)

Under ``torchrun`` each process trains a replica with PyTorch
``DistributedDataParallel`` (NCCL on GPUs, gloo on CPUs): a ``DistributedSampler``
gives each process its own shard of the data, gradients are averaged across processes
after every backward pass, and ``--batch-size`` stays the *global* batch (each of N
processes takes batch-size / N). Rank 0 measures and writes the checkpoint.

The generator is ``mmfuse_lite.nn.VQVAE`` (8x8 codes from a 128-code book for a 32x32
image), trained with L1 + the Shapes perceptual loss + a PatchGAN hinge loss with the
adaptive weight; the discriminator trains from step 0, its gradient reaches the
generator from ``--disc-start``. Writes ``data/checkpoints/vqgan_shapes.safetensors``
and a card with PSNR, Fréchet distance (judge network) and sharpness on a fixed test split,
which ``tests/test_checkpoints.py`` re-measures.

The shipped checkpoint was trained before the discriminator step scored real and fake
images in separate forwards (it scored ``cat([real, fake])`` in one, so the critic's
BatchNorm statistics in that step differed from those the generator step sees; see
``VQGANLoss.discriminator_loss``). Its card's metrics still hold, as measured. Retraining
it with this script trains it the taming-transformers way; then the two GPT priors that
were trained on its codes (``scripts/train_prior.py --target text`` and
``--target image``) must be retrained as well, and chapters 9 and 10 re-run.
"""
import argparse
import os
import pathlib
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler

from mmfuse_lite import checkpoints
from mmfuse_lite.data import ShapesDataset, ShapesWorld, image_tensor, make_loader
from mmfuse_lite.nn import VQVAE, PatchDiscriminator, PerceptualLoss, VQGANLoss, VQGANTrainer
from mmfuse_lite.metrics import reconstruction_report
from mmfuse_lite.nn.perceptual import load_feature_net

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "data" / "checkpoints"
TEST_SEED, TEST_N = 0, 1000             # the card's metrics are measured on this split


def init_distributed(device: str) -> tuple[int, int, str]:
    """Join the process group when torchrun started us; returns (rank, world size, device)."""
    if "RANK" not in os.environ:                     # a plain `python` run: one process
        return 0, 1, device
    if device.startswith("cuda"):
        device = f"cuda:{int(os.environ['LOCAL_RANK'])}"
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


class Epochs:
    """Iterates a loader with a DistributedSampler, reshuffling at every pass (set_epoch)."""

    def __init__(self, loader: DataLoader, sampler: DistributedSampler):
        self.loader, self.sampler, self.epoch = loader, sampler, 0

    def __iter__(self):
        self.sampler.set_epoch(self.epoch)
        self.epoch += 1
        return iter(self.loader)


def ranks_agree(model: torch.nn.Module) -> float:
    """Largest difference between any rank's weights and rank 0's (0 when DDP kept them in step)."""
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    copies = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(copies, flat)
    return max((c - copies[0]).abs().max().item() for c in copies)


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
    p.add_argument("--test-n", type=int, default=TEST_N, help="test images the card's metrics use")
    p.add_argument("--out", default=str(CHECKPOINTS))
    args = p.parse_args(argv)

    rank, world_size, device = init_distributed(args.device)
    if args.batch_size % world_size:
        raise SystemExit(f"--batch-size {args.batch_size} must be divisible by the {world_size} processes")
    torch.manual_seed(args.seed)                     # the same initial weights on every rank
    dataset = ShapesDataset(ShapesWorld("train", n=args.n_train, seed=args.seed), modalities=("image",))
    if world_size == 1:
        loader = make_loader(dataset, batch_size=args.batch_size, seed=args.seed)
    else:
        sampler = DistributedSampler(dataset, world_size, rank, shuffle=True, seed=args.seed, drop_last=True)
        loader = Epochs(DataLoader(dataset, batch_size=args.batch_size // world_size, sampler=sampler), sampler)
    config = dict(width=args.width, dim=args.dim, num_codes=args.num_codes, downsamples=args.downsamples)
    model = VQVAE(**config)
    perceptual = PerceptualLoss(load_feature_net("shapes_features"))
    disc = PatchDiscriminator(width=args.width, n_layers=2)
    trainer = VQGANTrainer(model, VQGANLoss(disc, perceptual, args.perceptual_weight, args.disc_weight,
                                            disc_start=args.disc_start), lr=args.lr, device=device)
    if world_size > 1:
        # DDP broadcasts rank 0's weights, then averages gradients in every backward pass;
        # the optimisers keep pointing at the same parameters, which DDP does not copy
        ids = [torch.device(device).index] if device.startswith("cuda") else None
        trainer.model = DDP(trainer.model, device_ids=ids)
        trainer.loss.discriminator = DDP(trainer.loss.discriminator, device_ids=ids)
    start = time.perf_counter()
    trainer.fit(loader, args.steps, desc=f"VQGAN rank {rank}" if world_size > 1 else "VQGAN", progress=rank == 0)
    minutes = (time.perf_counter() - start) / 60
    if world_size > 1:
        gap = ranks_agree(model)
        if rank == 0:
            print(f"{world_size} processes, {args.batch_size // world_size} images each per step; "
                  f"largest weight difference between ranks: {gap:.2e}")
        if gap > 1e-5:
            raise SystemExit(f"rank {rank}: replicas drifted apart by {gap:.2e}; DDP should keep them equal")
        dist.destroy_process_group()
        if rank != 0:
            return

    test = image_tensor(ShapesWorld("test", n=args.test_n, seed=TEST_SEED))
    metrics = reconstruction_report(model.cpu(), test, load_feature_net("shapes_judge"))
    print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    launcher = f"torchrun --nproc_per_node={world_size}" if world_size > 1 else "python"
    command = f"{launcher} scripts/train_vqgan.py " + " ".join(argv if argv is not None else sys.argv[1:])
    path = checkpoints.save(
        model, pathlib.Path(args.out) / "vqgan_shapes", config=config,
        metrics={k: round(v, 4) for k, v in metrics.items()}, command=command.strip(),
        notes=f"{args.steps} steps of {args.batch_size} images (ShapesWorld train, n={args.n_train}, seed "
              f"{args.seed}) on {world_size} x {device.split(':')[0]}, {minutes:.1f} min; lr {args.lr}; perceptual weight "
              f"{args.perceptual_weight}, adversarial weight {args.disc_weight} from step {args.disc_start}; "
              f"metrics on ShapesWorld('test', n={args.test_n}, seed={TEST_SEED}): PSNR in dB, Fréchet distance "
              f"on shapes_judge features, sharpness relative to the real images")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
