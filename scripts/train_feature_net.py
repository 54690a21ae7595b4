"""Train the Shapes feature network behind chapter 5's perceptual loss and Fréchet distance.

    python scripts/train_feature_net.py --name shapes_features --seed 0 --width 8
    python scripts/train_feature_net.py --name shapes_judge --seed 1 --width 12

Two networks: ``shapes_features`` is the perceptual *loss* VQGAN trains with;
``shapes_judge`` (another seed and width) only *evaluates*, as FID uses Inception while
LPIPS uses VGG, so a model is not graded by the network it was trained against.
Writes ``data/checkpoints/<name>.safetensors`` and its JSON card.
"""
import argparse
import pathlib
import sys
import time

import torch
import torch.nn.functional as F

from mmfuse_lite import checkpoints
from mmfuse_lite.data import ShapesWorld, image_tensor
from mmfuse_lite.nn.perceptual import FeatureNet, attribute_accuracy, attribute_targets
from mmfuse_lite.train import fit

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEST_SEED, TEST_N = 0, 2000          # the card's metric is measured on this split


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", default="shapes_features")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--n-train", type=int, default=20000)
    p.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = p.parse_args(argv)

    torch.manual_seed(args.seed)
    world = ShapesWorld("train", n=args.n_train, seed=100 + args.seed)   # not the notebooks' worlds
    x, y = image_tensor(world), attribute_targets(world.scenes)
    test = ShapesWorld("test", n=TEST_N, seed=TEST_SEED)
    net = FeatureNet(width=args.width)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=args.batch_size,
                                       shuffle=True, generator=torch.Generator().manual_seed(args.seed))

    def loss_fn(model, batch):
        images, targets = batch
        return F.binary_cross_entropy_with_logits(model(images), targets)

    start = time.perf_counter()
    fit(net, loss_fn, data, args.steps, lr=2e-3, desc=args.name)
    acc = attribute_accuracy(net, image_tensor(test), attribute_targets(test.scenes))
    print(f"{args.name}: attribute accuracy {acc:.4f} on {TEST_N} test images "
          f"(seed {TEST_SEED}), {time.perf_counter() - start:.0f} s")
    config = dict(width=args.width, stages=len(net.stages))
    path = checkpoints.save(net, pathlib.Path(args.out) / args.name, config=config,
                            metrics={"attribute_accuracy": round(acc, 4)},
                            command="python scripts/train_feature_net.py " + " ".join(argv or sys.argv[1:]),
                            notes=f"multi-label attributes (colours, shapes, occupied cells); {args.steps} steps "
                                  f"of {args.batch_size} on {args.n_train} train images of world seed "
                                  f"{100 + args.seed}; metric on ShapesWorld('test', n={TEST_N}, seed={TEST_SEED})")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
