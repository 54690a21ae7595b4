"""Optional real data sets through torchvision. They need the network the first time.

Each loader first looks for the files under ``root``; if they are missing it
checks, with a short timeout, that the download host answers. Offline it raises
:class:`OfflineError` at once instead of hanging inside a download.
"""
from __future__ import annotations

from ..runtime import is_online

# torchvision class name -> the host its files come from
REAL_DATASETS = {
    "mnist": ("MNIST", "ossci-datasets.s3.amazonaws.com"),
    "fashion_mnist": ("FashionMNIST", "fashion-mnist.s3-website.eu-central-1.amazonaws.com"),
    "cifar10": ("CIFAR10", "www.cs.toronto.edu"),
}


class OfflineError(RuntimeError):
    """A real data set was asked for, it is not on disk, and the network is not there."""


def load_real(name: str, root: str = "data/real", train: bool = True, transform=None):
    """Return a torchvision data set (``mnist``, ``fashion_mnist`` or ``cifar10``).

    Raises:
        ValueError: unknown name.
        OfflineError: not on disk and no network. The Shapes world works offline.
    """
    key = name.lower().replace("-", "_")
    if key not in REAL_DATASETS:
        raise ValueError(f"unknown real data set {name!r}: expected one of {', '.join(REAL_DATASETS)}")
    import torchvision
    import torchvision.transforms as T

    cls_name, host = REAL_DATASETS[key]
    cls = getattr(torchvision.datasets, cls_name)
    transform = transform or T.ToTensor()
    try:
        return cls(root, train=train, transform=transform, download=False)
    except RuntimeError:
        pass  # not on disk yet
    if not is_online(host):
        raise OfflineError(
            f"{cls_name} is not in {root!r} and needs the network to download from {host}, "
            "which cannot be reached. Run this cell where you are online (for example on Colab); "
            "the Shapes world (mmfuse_lite.data.ShapesWorld) works offline.")
    return cls(root, train=train, transform=transform, download=True)
