"""Input checks that fail early with a message saying what was expected and what arrived.

Every public entry point of the package calls these, so a learner's mistake (a batch in
the wrong layout, a typo in a name, an empty loader) gets one line naming the argument,
what it should be and what it was, never an error from deep inside torch, a silently
wrong result or a hang. Each check is one cheap look at shapes and dtypes.
"""
from __future__ import annotations

import re

import torch


def describe(x) -> str:
    """A short description of a value for error messages: its type, and shape/dtype for tensors."""
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}, dtype {x.dtype}, on {x.device}"
    if hasattr(x, "shape") and hasattr(x, "dtype"):       # numpy arrays
        return f"a {type(x).__name__} of shape {tuple(x.shape)}, dtype {x.dtype}"
    if isinstance(x, (str, int, float, bool)) or x is None:
        return f"{type(x).__name__} {x!r}"
    try:
        return f"a {type(x).__name__} of length {len(x)}"
    except TypeError:
        return f"a {type(x).__name__}"


def check_tensor(x, name: str, dims=None, kind: str | None = None, nonempty: bool = True) -> torch.Tensor:
    """A torch.Tensor with ``dims`` dimensions (an int or a tuple of allowed ints),
    of ``kind`` "float" or "int" (bool excluded), and at least one row when ``nonempty``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {describe(x)}")
    if dims is not None:
        allowed = (dims,) if isinstance(dims, int) else tuple(dims)
        if x.dim() not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if kind == "float" and not torch.is_floating_point(x):
        raise TypeError(f"{name} must be floating point (e.g. x.float()), got dtype {x.dtype}")
    if kind == "int" and (torch.is_floating_point(x) or torch.is_complex(x) or x.dtype == torch.bool):
        raise TypeError(f"{name} must be an integer tensor (e.g. x.long()), got dtype {x.dtype}")
    if nonempty and x.dim() and x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(x.shape)}): at least one item is needed")
    return x


def check_image_batch(x, channels: int | None = 3, multiple: int = 1, name: str = "images") -> torch.Tensor:
    """Check a non-empty float image batch (B, C, H, W); H and W divisible by ``multiple``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {describe(x)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must be floating point (e.g. images.float() / 255), got dtype {x.dtype}")
    if x.dim() != 4:
        hint = " (add a batch dimension with x[None])" if x.dim() == 3 else ""
        raise ValueError(f"{name} must have shape (B, C, H, W), got {tuple(x.shape)}{hint}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(x.shape)}): at least one image is needed")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels in dim 1, got shape {tuple(x.shape)}"
                         + (" (channels last? use x.permute(0, 3, 1, 2))" if x.shape[-1] == channels else ""))
    if x.shape[2] % multiple or x.shape[3] % multiple:
        raise ValueError(f"{name} height and width must be multiples of {multiple}, got {tuple(x.shape[2:])}")
    return x


def check_fits_module(x: torch.Tensor, module: torch.nn.Module, name: str = "input") -> torch.Tensor:
    """``x`` has the float dtype and the device of ``module``'s parameters (float64 into a
    float32 model, or a CPU tensor into a CUDA model, fail here instead of inside a layer)."""
    p = next(module.parameters(), None)
    if p is None:
        return x
    if x.device != p.device:
        raise ValueError(f"{name} is on {x.device} but {type(module).__name__} is on {p.device}: "
                         f"move one of them, e.g. {name}.to('{p.device}')")
    if torch.is_floating_point(x) and x.dtype != p.dtype and not torch.is_autocast_enabled(x.device.type):
        raise TypeError(f"{name} has dtype {x.dtype} but {type(module).__name__} has dtype {p.dtype}: "
                        f"convert with {name}.to({p.dtype})")
    return x


def check_pixel_range(x: torch.Tensor, name: str = "images", low: float = -0.5, high: float = 1.5) -> torch.Tensor:
    """Pixel values in about [0, 1] (a slack for noise); catches images left in 0..255."""
    lo, hi = float(x.min()), float(x.max())
    if lo < low or hi > high:
        hint = " (0..255 pixels? divide by 255)" if hi > 2 else ""
        raise ValueError(f"{name} must hold pixel values in [0, 1], got values in [{lo:.3g}, {hi:.3g}]{hint}")
    return x


def check_positive_int(value, name: str) -> int:
    """An int >= 1 (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def check_number(value, name: str, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A real number (bools rejected) in the interval given; ``*_open`` excludes that end."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if not (isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype == torch.bool):
            raise TypeError(f"{name} must be a number, got {describe(value)}")
        value = value.item()
    value = float(value)
    bad = value != value or (low is not None and (value < low or (low_open and value == low))) \
        or (high is not None and (value > high or (high_open and value == high)))
    if bad:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        rng = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    return value


def check_choice(value, options, name: str):
    """One of ``options`` (e.g. a strategy, a split, a modality name)."""
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value


def check_names(values, options, name: str) -> tuple:
    """A list or tuple of names, each one of ``options`` (a bare string is refused:
    ``"image"`` would read as the letters i, m, a, g, e)."""
    options = tuple(options)
    if isinstance(values, str):
        raise TypeError(f"{name} must be a list or tuple of names from {options}, got the string {values!r} "
                        f"(write ({values!r},) for one name)")
    try:
        values = tuple(values)
    except TypeError:
        raise TypeError(f"{name} must be a list or tuple of names from {options}, got {describe(values)}") from None
    unknown = [v for v in values if v not in options]
    if unknown:
        raise ValueError(f"{name}: unknown {unknown}; expected names from {options}")
    return values


def check_same_batch(sizes: dict, who: str) -> int:
    """All inputs hold the same number of items (``sizes``: name -> batch size)."""
    if len(set(sizes.values())) > 1:
        raise ValueError(f"{who}: every input must have the same batch size, got "
                         + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    return next(iter(sizes.values()))


def check_same_shape(a: torch.Tensor, b: torch.Tensor, names=("a", "b")) -> None:
    """Both tensors, with equal shapes."""
    for t, n in zip((a, b), names):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{n} must be a torch.Tensor, got {describe(t)}")
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def check_indices(indices, num_codes: int, name: str = "indices") -> torch.Tensor:
    """An integer tensor of code (or token) indices, all in [0, num_codes)."""
    if not isinstance(indices, torch.Tensor) or torch.is_floating_point(indices) or indices.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor, got {getattr(indices, 'dtype', describe(indices))}")
    if indices.numel() and (indices.min() < 0 or indices.max() >= num_codes):
        raise ValueError(f"{name} must be in [0, {num_codes}), got range "
                         f"[{indices.min().item()}, {indices.max().item()}]")
    return indices


_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?|mps|meta)$")


def check_device(device, name: str = "device") -> str:
    """A device this machine has: 'cpu', 'cuda', 'cuda:N', 'mps' (or a torch.device)."""
    text = str(device) if isinstance(device, torch.device) else device
    if not isinstance(text, str) or not _DEVICE.match(text):
        raise ValueError(f"{name} must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"{name}={text!r} but this machine has no CUDA GPU; use device='cpu'")
        index = int(text.split(":")[1]) if ":" in text else 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"{name}={text!r} but this machine has {torch.cuda.device_count()} CUDA device(s)")
    if text == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"{name}='mps' but this machine has no Apple GPU; use device='cpu'")
    return text


def check_batches(data, name: str = "data"):
    """A re-iterable of batches (a DataLoader, :class:`~mmfuse_lite.data.Batches`, a list
    of batches). A dict, a tensor or a string is refused with what to use instead, and a
    source that says it is empty is refused before training starts."""
    hints = {dict: "a dict of tensors is one dataset, not a stream of batches: wrap it in "
                   "mmfuse_lite.data.Batches(data, batch_size=64)",
             str: "a string is not a stream of batches"}
    for kind, hint in hints.items():
        if isinstance(data, kind):
            raise TypeError(f"{name} must be a re-iterable of batches (a DataLoader, Batches or list), "
                            f"got {describe(data)}: {hint}")
    if isinstance(data, torch.Tensor):
        raise TypeError(f"{name} must be a re-iterable of batches, got {describe(data)}: a tensor iterates "
                        "over single items; use a DataLoader or a list of batch tensors")
    if data is None or not hasattr(data, "__iter__"):
        raise TypeError(f"{name} must be a re-iterable of batches (a DataLoader, Batches or list), got {describe(data)}")
    try:
        n = len(data)
    except TypeError:
        n = None
    if n == 0:
        raise ValueError(f"{name} yields no batch (length 0): an empty list, or a DataLoader with "
                         "drop_last=True and fewer items than one batch")
    return data


def check_scalar_loss(loss, who: str = "loss_fn") -> torch.Tensor:
    """A 0-d tensor: a loss that is one number per example must be reduced first."""
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"{who} must return a scalar tensor (or (loss, metrics)), got {describe(loss)}")
    if loss.dim() != 0:
        raise ValueError(f"{who} must return a scalar loss, got shape {tuple(loss.shape)}: "
                         "reduce it, e.g. with .mean()")
    if not torch.is_floating_point(loss):
        raise TypeError(f"{who} must return a floating-point loss, got dtype {loss.dtype}")
    return loss
