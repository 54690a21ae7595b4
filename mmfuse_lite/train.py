"""A small training loop: progress bar, loss history, AMP on CUDA, NaN guard."""
from __future__ import annotations

import contextlib
import itertools
import math
import time

import torch
from tqdm.auto import tqdm

from .checks import check_batches, check_device, check_number, check_positive_int, check_scalar_loss, describe


def to_device(batch, device):
    """Move a tensor, or the tensors inside a dict / list / tuple, to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def autocast(device: str, enabled: bool = True):
    """bfloat16 autocast on CUDA (no gradient scaler needed); a no-op elsewhere."""
    if enabled and str(device).startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def adam(params, lr: float, betas=(0.9, 0.999)) -> torch.optim.Optimizer:
    """Adam with the fused kernel where this torch has one.

    The course's models are small, so the optimiser step is a visible share of a step:
    on 2 CPU cores the fused kernel cut it from 1.4 to 0.2 ms for a width-8 VQ-VAE
    (a whole training step from about 17.5 to 16 ms).
    """
    params = [p for p in params if p.requires_grad]
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    except (RuntimeError, TypeError, ValueError):      # older torch, or a device without the kernel
        return torch.optim.Adam(params, lr=lr, betas=betas)


def cycle(data):
    """The batches of a re-iterable, forever (a shuffling DataLoader reshuffles each pass).

    A pass that yields no batch raises instead of looping forever: an empty loader, or a
    generator that was used up in the first pass.
    """
    check_batches(data)
    first = True
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise ValueError("data yielded no batch" + (
                "" if first else " on its second pass: it is a one-shot iterator (a generator?); "
                                 "pass a re-iterable such as a list, a DataLoader or Batches"))
        first = False


def forward_state(*modules: torch.nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Copies of what a forward pass may write: buffers (BatchNorm statistics, EMA codebook
    sums) and parameters without gradients (an EMA codebook). Gradient-trained parameters
    only change in ``optimizer.step``, so they need no copy."""
    return [(t, t.detach().clone()) for m in modules for t in itertools.chain(
        m.buffers(), (p for p in m.parameters() if not p.requires_grad))]


@torch.no_grad()
def restore(state: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Undo a forward pass's writes recorded by :func:`forward_state`."""
    for t, saved in state:
        t.copy_(saved)


def split_output(out, who: str = "loss_fn") -> tuple[torch.Tensor, dict]:
    """``loss`` or ``(loss, metrics)`` -> (scalar loss, dict), checked."""
    loss, metrics = out if isinstance(out, tuple) and len(out) == 2 else (out, {})
    if not isinstance(metrics, dict):
        raise TypeError(f"{who} must return a loss or (loss, metrics dict), got metrics as {describe(metrics)}")
    return check_scalar_loss(loss, who), metrics


def record(history: dict[str, list], step: int, metrics: dict) -> None:
    """Append one logged row to ``history``; a metric absent from a row reads NaN there.

    Every column except ``seconds`` (one entry per training call) stays as long as
    ``history["step"]``, so terms that switch on later (VQGAN's adversarial loss) plot
    against the right steps.
    """
    n = len(history["step"])
    history["step"].append(step)
    for k in (set(history) | set(metrics)) - {"step", "seconds"}:
        v = metrics.get(k, float("nan"))
        history.setdefault(k, [float("nan")] * n).append(float(v.detach() if torch.is_tensor(v) else v))


def fit(model: torch.nn.Module, loss_fn, data, steps: int, lr: float = 1e-3, device: str = "cpu",
        optimizer: torch.optim.Optimizer | None = None, amp: bool | None = None,
        log_every: int = 10, desc: str = "training", progress: bool = True,
        cosine: bool = False, warmup: int = 0) -> dict[str, list]:
    """Train ``model`` for ``steps`` optimiser steps and return the history.

    Args:
        loss_fn: ``loss_fn(model, batch)`` returns a scalar loss, or ``(loss, metrics)``
            with a dict of floats to log.
        data: any re-iterable of batches (e.g. a DataLoader); it is cycled.
        amp: mixed precision; default on for CUDA, off on CPU.
        log_every: record the history every this many steps.
        cosine: decay the learning rate from ``lr`` to 0 along a half cosine over the
            ``steps`` (what the shipped, converged models use); default constant.
        warmup: raise the learning rate linearly from ``lr / warmup`` to ``lr`` over this many
            first steps (a transformer can stall on a plateau without it); default 0, none.

    Returns:
        dict of lists: ``step``, ``loss``, any logged metrics, and ``seconds`` (total).

    Raises:
        FloatingPointError: the loss became NaN or infinite; the message names the step.
            Nothing was updated by that step: the model's buffers (BatchNorm statistics,
            EMA codebooks) are restored to what they were before its forward pass.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function loss_fn(model, batch), got {describe(loss_fn)}")
    check_positive_int(steps, "steps")
    check_positive_int(log_every, "log_every")
    if not isinstance(warmup, int) or isinstance(warmup, bool) or not 0 <= warmup <= steps:
        raise ValueError(f"warmup must be an int of steps from 0 to steps={steps}, got {warmup!r}")
    check_number(lr, "lr", low=0, low_open=True)
    device = check_device(device)
    check_batches(data)
    amp = str(device).startswith("cuda") if amp is None else amp
    model.to(device).train()
    optimizer = optimizer or adam(model.parameters(), lr)
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    history: dict[str, list] = {"step": [], "loss": []}
    batches = cycle(data)
    start = time.perf_counter()
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=False)
    for step in bar:
        batch = to_device(next(batches), device)
        saved = forward_state(model)
        try:
            with autocast(device, amp):
                loss, metrics = split_output(loss_fn(model, batch))
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"loss became {loss.item()} at step {step} of {steps} ({desc}); nothing was updated. "
                    f"Try a lower learning rate than lr={lr} or check the inputs for NaN")
        except BaseException:
            restore(saved)          # a failed step leaves the model as it was
            raise
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cosine or warmup:
            scale = 0.5 * (1 + math.cos(math.pi * (step - 1) / steps)) if cosine else 1.0
            scale *= min(1.0, step / warmup) if warmup else 1.0
            for group, base in zip(optimizer.param_groups, base_lrs):
                group["lr"] = base * scale
        optimizer.step()
        if step % log_every == 0 or step == steps:
            record(history, step, {"loss": loss, **metrics})
            bar.set_postfix(loss=f"{loss.item():.4g}")
    history["seconds"] = [time.perf_counter() - start]
    model.eval()
    if progress:
        print(f"{desc}: {steps} steps in {history['seconds'][0]:.1f} s, final loss {history['loss'][-1]:.4g}")
    return history
