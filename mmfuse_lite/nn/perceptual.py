"""A perceptual distance from a small network trained on the Shapes world.

LPIPS (Zhang et al., 2018) compares two images by the features a pretrained classifier
(VGG, AlexNet) computes for them: at several depths, unit-normalise each position's
feature vector, take squared differences, weight the channels (the weights fitted to
human judgements), average over space and add the depths. Those weights need a
download. The course cannot rely on one, so it trains its own feature network on the
Shapes attributes (which colours, which shapes, which grid cells are occupied) and uses
its features with uniform channel weights.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_fits_module, check_image_batch, check_positive_int, check_same_shape
from ..data.world import COLOURS, GRID, SHAPES

# multi-label targets: colour present, shape present, grid cell occupied
NUM_ATTRIBUTES = len(COLOURS) + len(SHAPES) + GRID * GRID


def attribute_targets(scenes: dict) -> torch.Tensor:
    """(n, NUM_ATTRIBUTES) 0/1 targets from a ShapesWorld's scenes."""
    colour, shape = torch.as_tensor(scenes["colour"]), torch.as_tensor(scenes["shape"])
    cell = torch.as_tensor(scenes["row"]) * GRID + torch.as_tensor(scenes["col"])
    present = colour >= 0
    out = torch.zeros(len(colour), NUM_ATTRIBUTES)
    for offset, values in ((0, colour), (len(COLOURS), shape), (len(COLOURS) + len(SHAPES), cell)):
        rows, slots = present.nonzero(as_tuple=True)
        out[rows, offset + values[rows, slots]] = 1.0
    return out


class FeatureNet(nn.Module):
    """Four conv stages (32 -> 16 -> 8 -> 4 pixels) and a multi-label attribute head.

    ``features(x)`` returns the output of every stage: the depths a perceptual loss compares.
    """

    def __init__(self, width: int = 16, stages: int = 4):
        super().__init__()
        check_positive_int(width, "width")
        check_positive_int(stages, "stages")
        chans = [3] + [width * 2 ** i for i in range(stages)]

        def stage(i):
            c_in, c = chans[i], chans[i + 1]
            if i == 0:          # full resolution: one cheap convolution, it only has to see edges and colours
                return nn.Sequential(nn.Conv2d(c_in, c, 3, padding=1), nn.GroupNorm(math.gcd(8, c), c), nn.SiLU())
            return nn.Sequential(nn.Conv2d(c_in, c, 3, stride=2, padding=1), nn.GroupNorm(math.gcd(8, c), c),
                                 nn.SiLU(), nn.Conv2d(c, c, 3, padding=1), nn.SiLU())

        self.stages = nn.ModuleList(stage(i) for i in range(stages))
        self.head = nn.Linear(chans[-1], NUM_ATTRIBUTES)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        check_image_batch(x)
        check_fits_module(x, self, "images")
        h, feats = 2 * x - 1, []                # images in [0, 1] -> [-1, 1]
        for stage in self.stages:
            h = stage(h)
            feats.append(h)
        return feats

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """One vector per image: the last stage averaged over space (what the head sees)."""
        return self.features(x)[-1].mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pooled(x))


def perceptual_distance(net: FeatureNet, x: torch.Tensor, y: torch.Tensor, depths=None) -> torch.Tensor:
    """LPIPS-style distance per image pair (B,), summed over ``depths`` (default: all stages).

    At each depth: unit-normalise the channel vector at every position, squared
    difference, sum over channels, mean over positions.
    """
    check_same_shape(x, y, ("x", "y"))
    fx, fy = net.features(x), net.features(y)
    depths = range(len(fx)) if depths is None else depths
    total = x.new_zeros(x.shape[0])
    for d in depths:
        a, b = F.normalize(fx[d], dim=1), F.normalize(fy[d], dim=1)
        total = total + (a - b).pow(2).sum(1).mean((1, 2))
    return total


class PerceptualLoss(nn.Module):
    """Mean perceptual distance with a frozen :class:`FeatureNet`, usable as a training loss."""

    def __init__(self, net: FeatureNet, depths=None):
        super().__init__()
        self.net, self.depths = net.eval(), depths
        for p in self.net.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        self.net.eval()                         # the judge never changes
        return self

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return perceptual_distance(self.net, x, y, self.depths).mean()


@torch.no_grad()
def attribute_accuracy(net: FeatureNet, images: torch.Tensor, targets: torch.Tensor, batch_size: int = 500) -> float:
    """Fraction of (image, attribute) pairs whose present/absent is predicted right."""
    net.eval()
    logits = torch.cat([net(b) for b in images.split(batch_size)])
    return ((logits > 0).float() == targets).float().mean().item()


def load_feature_net(name: str = "shapes_features") -> FeatureNet:
    """A shipped, trained :class:`FeatureNet`: ``shapes_features`` (the loss) or ``shapes_judge`` (evaluation)."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    net = FeatureNet(**checkpoints.load_card(path)["config"])
    checkpoints.load(net, path)
    return net.eval()
