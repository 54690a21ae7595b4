"""Run-time setup: profile, device, seeds and a one-line banner.

Every notebook starts with ``cfg = setup()``. Sizes and step counts come from the
returned :class:`Config`, never from edited cells, so the same notebook runs in
seconds on CI (``ci``) and in minutes on a laptop (``cpu``, the book's profile and the
default everywhere, also on a GPU). The larger ``gpu`` profile runs only when asked for,
and the banner says whether it has been verified.
"""
from __future__ import annotations

import dataclasses
import os
import random
import socket
import ssl
import sys
import threading

import numpy as np
import torch

from .checks import check_device

PROFILES = ("ci", "cpu", "gpu")
DEFAULT_SEED = 0

# Sizes shared by all chapters. A chapter that needs its own knob adds it here,
# so the three profiles stay side by side and comparable.
_SIZES = {
    #        samples per split                  training                 models
    "ci":  dict(n_train=3000, n_val=500, n_test=1000, batch_size=32, steps=400, width=8),
    "cpu": dict(n_train=10000, n_val=1000, n_test=2000, batch_size=64, steps=600, width=16),
    "gpu": dict(n_train=50000, n_val=2000, n_test=5000, batch_size=128, steps=6000, width=64),
}


@dataclasses.dataclass(frozen=True)
class Config:
    """What a notebook needs to size its work. Returned by :func:`setup`."""

    profile: str
    device: str
    seed: int
    n_train: int
    n_val: int
    n_test: int
    batch_size: int
    steps: int
    width: int

    @property
    def amp(self) -> bool:
        """Mixed precision is used on CUDA only."""
        return self.device.startswith("cuda")


# Where each profile's every chapter has been run top to bottom and passed. CI runs
# `ci` (make test) and `cpu` (make book) on 2 CPU cores; `gpu` joins once
# `python scripts/time_labs.py --profile gpu` has passed on a CUDA machine.
VERIFIED = {"ci": "verified: CI runs it in make test", "cpu": "verified: CI runs it in make book"}


def default_profile() -> str:
    """``cpu``, the verified sizes, on every machine: on a GPU they run with CUDA and AMP.

    The larger ``gpu`` profile runs only when asked for (``MMFUSE_PROFILE=gpu`` or
    ``setup("gpu")``) until it is in :data:`VERIFIED`.
    """
    return "cpu"


def get_profile(name: str | None = None) -> str:
    """Return a checked profile name: ``name``, else ``$MMFUSE_PROFILE``, else the default."""
    if name is None:
        name = os.environ.get("MMFUSE_PROFILE") or default_profile()
    if not isinstance(name, str) or name.strip().lower() not in PROFILES:
        raise ValueError(
            f"unknown profile {name!r}: expected one of {', '.join(PROFILES)} "
            "(set MMFUSE_PROFILE or pass profile=...)")
    return name.strip().lower()


def get_seed(seed: int | None = None) -> int:
    """Return a checked seed: ``seed``, else ``$MMFUSE_SEED``, else 0."""
    if seed is None:
        raw = os.environ.get("MMFUSE_SEED", "").strip()
        if not raw:
            return DEFAULT_SEED
        try:
            seed = int(raw)
        except ValueError:
            raise ValueError(f"MMFUSE_SEED must be a non-negative integer, got {raw!r}") from None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return int(seed)


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def setup(profile: str | None = None, seed: int | None = None, device: str | None = None,
          quiet: bool = False) -> Config:
    """Pick profile, seed and device; seed every RNG; print a one-line banner.

    On the CPU it also turns on ``torch.use_deterministic_algorithms``, so that
    the same seed gives the same numbers on every run.

    Args:
        profile: ``ci``, ``cpu`` or ``gpu``. Default: ``$MMFUSE_PROFILE``, else
            ``cpu`` (the verified sizes; on CUDA they run on the GPU).
        seed: default ``$MMFUSE_SEED``, else 0.
        device: default ``cuda`` when available, else ``cpu``.
        quiet: skip the banner.
    """
    profile = get_profile(profile)
    seed = get_seed(seed)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = check_device(device)     # the one device check fit(), predict() and the loaders share
    seed_everything(seed)
    # Multithreaded CPU kernels may sum in a different order on every run, and a GAN
    # amplifies that; deterministic algorithms make a CPU run repeatable. Not on CUDA,
    # where they cost speed and need extra cuBLAS settings.
    torch.use_deterministic_algorithms(not device.startswith("cuda"), warn_only=True)
    cfg = Config(profile=profile, device=device, seed=seed, **_SIZES[profile])
    if not quiet:
        print(banner(cfg))
    return cfg


def banner(cfg: Config) -> str:
    """One line: profile (and whether it is verified), device, seed, torch version."""
    where = " (Colab)" if is_colab() else ""
    status = VERIFIED.get(cfg.profile, "not yet verified on a GPU: its claims may not hold")
    return (f"mmfuse | profile={cfg.profile} ({status}) device={cfg.device} seed={cfg.seed} "
            f"torch={torch.__version__}{where}")


def is_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def is_online(host: str = "huggingface.co", port: int = 443, timeout: float = 2.0) -> bool:
    """True when a TLS handshake with ``host:port`` succeeds within ``timeout`` seconds.

    A TLS handshake with a verified certificate, not just a TCP connect, because
    sandboxes and captive portals often accept any TCP connection. It never hangs:
    the DNS lookup (which ignores socket timeouts), the connect and the handshake
    run in a daemon thread that is abandoned after ``timeout`` seconds. Set
    ``MMFUSE_OFFLINE=1`` to force offline behaviour.
    """
    if os.environ.get("MMFUSE_OFFLINE"):
        return False
    result = []

    def probe():
        try:
            with socket.create_connection((host, port), timeout=timeout) as sock:
                with ssl.create_default_context().wrap_socket(sock, server_hostname=host):
                    result.append(True)
        except (OSError, ssl.SSLError):
            pass

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout)
    return bool(result)
