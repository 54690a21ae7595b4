"""Input checks that fail early with a message saying what was expected and what arrived."""
from __future__ import annotations

import torch


def check_image_batch(x, channels: int | None = 3, multiple: int = 1, name: str = "images") -> torch.Tensor:
    """Check a float image batch (B, C, H, W); H and W divisible by ``multiple``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must be floating point (e.g. images.float() / 255), got dtype {x.dtype}")
    if x.dim() != 4:
        hint = " (add a batch dimension with x[None])" if x.dim() == 3 else ""
        raise ValueError(f"{name} must have shape (B, C, H, W), got {tuple(x.shape)}{hint}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels in dim 1, got shape {tuple(x.shape)}"
                         + (" (channels last? use x.permute(0, 3, 1, 2))" if x.shape[-1] == channels else ""))
    if x.shape[2] % multiple or x.shape[3] % multiple:
        raise ValueError(f"{name} height and width must be multiples of {multiple}, got {tuple(x.shape[2:])}")
    return x


def check_positive_int(value, name: str) -> int:
    """An int >= 1 (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def check_same_shape(a: torch.Tensor, b: torch.Tensor, names=("a", "b")) -> None:
    """Both tensors, with equal shapes."""
    for t, n in zip((a, b), names):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{n} must be a torch.Tensor, got {type(t).__name__}")
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def check_indices(indices, num_codes: int) -> torch.Tensor:
    """An integer tensor of code indices, all in [0, num_codes)."""
    if not isinstance(indices, torch.Tensor) or torch.is_floating_point(indices) or indices.dtype == torch.bool:
        raise TypeError(f"indices must be an integer tensor, got {getattr(indices, 'dtype', type(indices))}")
    if indices.numel() and (indices.min() < 0 or indices.max() >= num_codes):
        raise ValueError(f"indices must be in [0, {num_codes}), got range "
                         f"[{indices.min().item()}, {indices.max().item()}]")
    return indices
