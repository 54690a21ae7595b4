"""VQGAN training: a PatchGAN discriminator, hinge losses and the adaptive weight.

Esser, Rombach and Ommer, 2021, "Taming Transformers for High-Resolution Image
Synthesis". The generator is the VQ-VAE of chapter 3, unchanged; what changes is the
loss: L1 + a perceptual distance + the codebook loss + an adversarial term whose weight
balances its gradient against the reconstruction gradient at the decoder's last layer.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..checks import (check_batches, check_device, check_image_batch, check_number, check_positive_int, check_tensor,
                      describe)
from ..train import adam, autocast, cycle, forward_state, record, restore, to_device


class PatchDiscriminator(nn.Module):
    """PatchGAN (Isola et al., 2017): one real/fake logit per overlapping image patch.

    ``n_layers`` stride-2 convolutions (4x4 kernels, LeakyReLU 0.2), then a stride-1
    convolution and a 1-channel output convolution, as in taming-transformers'
    NLayerDiscriminator. BatchNorm between layers, or spectral norm on every convolution
    instead when ``spectral_norm=True``.
    """

    def __init__(self, channels: int = 3, width: int = 64, n_layers: int = 3, spectral_norm: bool = False):
        super().__init__()
        for name, v in (("channels", channels), ("width", width), ("n_layers", n_layers)):
            check_positive_int(v, name)
        sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        norm = (lambda c: nn.Identity()) if spectral_norm else nn.BatchNorm2d
        self.channels, self.n_layers = channels, n_layers
        layers, ch = [sn(nn.Conv2d(channels, width, 4, 2, 1)), nn.LeakyReLU(0.2)], width
        for i in range(1, n_layers + 1):
            nxt = width * min(2 ** i, 8)
            stride = 2 if i < n_layers else 1
            layers += [sn(nn.Conv2d(ch, nxt, 4, stride, 1, bias=spectral_norm)), norm(nxt), nn.LeakyReLU(0.2)]
            ch = nxt
        layers.append(sn(nn.Conv2d(ch, 1, 4, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, self.channels, name="discriminator input")
        return self.net(x)

    def receptive_field(self) -> int:
        """Side in pixels of the input patch that one output logit sees."""
        r = 1
        for m in reversed([m for m in self.net.modules() if isinstance(m, nn.Conv2d)]):
            r = r * m.stride[0] + (m.kernel_size[0] - m.stride[0])
        return r


def hinge_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator hinge loss: push real logits above +1 and fake ones below -1."""
    check_tensor(real_logits, "real_logits", kind="float")
    check_tensor(fake_logits, "fake_logits", kind="float")
    return 0.5 * (F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean())


def hinge_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss of the hinge GAN: raise the discriminator's logits on reconstructions."""
    check_tensor(fake_logits, "fake_logits", kind="float")
    return -fake_logits.mean()


def adaptive_weight(rec_loss: torch.Tensor, g_loss: torch.Tensor, last_layer: torch.Tensor,
                    max_weight: float = 1e4) -> torch.Tensor:
    """||grad rec_loss|| / (||grad g_loss|| + 1e-4) at ``last_layer``, clamped and detached.

    Multiplying the adversarial loss by this makes its gradient at the decoder's last
    layer as large as the reconstruction gradient, whatever the two losses' scales.
    """
    for name, loss in (("rec_loss", rec_loss), ("g_loss", g_loss)):
        if not (isinstance(loss, torch.Tensor) and loss.dim() == 0 and loss.requires_grad):
            raise ValueError(f"{name} must be a scalar loss that still has its graph, got {describe(loss)}"
                             + ("" if not isinstance(loss, torch.Tensor) or loss.requires_grad else " without a graph"))
    if not (isinstance(last_layer, torch.Tensor) and last_layer.requires_grad):
        raise ValueError(f"last_layer must be a trainable weight (e.g. model.decoder.last_layer), got {describe(last_layer)}")
    rec_grad, = torch.autograd.grad(rec_loss, last_layer, retain_graph=True)
    g_grad, = torch.autograd.grad(g_loss, last_layer, retain_graph=True)
    return (rec_grad.norm() / (g_grad.norm() + 1e-4)).clamp(0.0, max_weight).detach()


class VQGANLoss(nn.Module):
    """The two losses of VQGAN training, with the discriminator warm-up.

    Generator: L1 + ``perceptual_weight`` * perceptual + codebook/commitment
    + ``disc_weight`` * adaptive weight * hinge generator loss, the last term only from
    step ``disc_start`` on. The discriminator trains from step ``d_start`` (default 0,
    so it is already a useful critic when its gradient reaches the generator;
    taming-transformers starts both at ``disc_start``).
    """

    def __init__(self, discriminator: PatchDiscriminator, perceptual: nn.Module | None = None,
                 perceptual_weight: float = 1.0, disc_weight: float = 0.8, disc_start: int = 0,
                 d_start: int = 0, max_weight: float = 1e4):
        super().__init__()
        self.discriminator, self.perceptual = discriminator, perceptual
        self.perceptual_weight, self.disc_weight, self.max_weight = perceptual_weight, disc_weight, max_weight
        self.disc_start, self.d_start = disc_start, d_start

    def generator_loss(self, model, x: torch.Tensor, step: int) -> tuple[torch.Tensor, dict, torch.Tensor]:
        """Returns ``(loss, metrics, reconstruction)`` for one batch of images."""
        x_hat, vq = model(x)
        l1 = (x_hat - x).abs().mean()
        rec = l1
        metrics = {"l1": l1.detach(), "mse": F.mse_loss(x_hat.detach(), x)}
        if self.perceptual is not None and self.perceptual_weight > 0:
            p = self.perceptual(x_hat, x)
            rec = rec + self.perceptual_weight * p
            metrics["perceptual"] = p.detach()
        loss = rec + vq.loss
        if step >= self.disc_start and self.disc_weight > 0:
            g = hinge_g_loss(self.discriminator(x_hat))
            last_layer = getattr(model, "module", model).decoder.last_layer   # .module: under DDP
            w = adaptive_weight(rec, g, last_layer, self.max_weight) if model.training else x.new_ones(())
            loss = loss + self.disc_weight * w * g
            metrics.update(g_loss=g.detach(), adaptive_weight=w)
        return loss, metrics, x_hat

    def discriminator_loss(self, x: torch.Tensor, x_hat: torch.Tensor) -> tuple[torch.Tensor, dict]:
        # Two forwards, as in taming-transformers, not one over cat([x, x_hat]): in train
        # mode BatchNorm normalises with the statistics of the batch it is given, and the
        # generator step scores a batch of fakes alone. Scoring fakes alone here too means
        # the critic the generator learns against is the critic that was trained.
        real = self.discriminator(x)
        fake = self.discriminator(x_hat.detach())
        loss = hinge_d_loss(real, fake)
        return loss, {"d_loss": loss.detach(), "logits_real": real.mean().detach(),
                      "logits_fake": fake.mean().detach()}


class VQGANTrainer:
    """Owns the model, the loss and both optimisers, and keeps the step count across calls.

    Adam with betas (0.5, 0.9) for generator and discriminator, as in
    taming-transformers. ``fit`` alternates one generator step and one discriminator step
    per batch and can be called again to continue; ``copy.deepcopy`` of a trainer branches
    a run (model, discriminator and optimiser states together).
    """

    def __init__(self, model, loss: VQGANLoss, lr: float = 1e-3, device: str = "cpu", amp: bool | None = None):
        if not isinstance(model, nn.Module) or not hasattr(model, "decoder"):
            raise TypeError(f"model must be a VQ autoencoder (a VQVAE, with a decoder), got {describe(model)}")
        if not isinstance(loss, VQGANLoss):
            raise TypeError(f"loss must be a VQGANLoss, got {describe(loss)}")
        check_number(lr, "lr", low=0, low_open=True)
        device = check_device(device)
        self.model, self.loss, self.lr, self.device = model.to(device), loss.to(device), lr, device
        self.amp = str(device).startswith("cuda") if amp is None else amp
        self.opt_g = adam(model.parameters(), lr, betas=(0.5, 0.9))
        self.opt_d = adam(loss.discriminator.parameters(), lr, betas=(0.5, 0.9))
        self.step = 0
        self.history: dict[str, list] = {"step": [], "loss": []}

    def reset_discriminator(self) -> None:
        """A fresh, untrained discriminator and optimiser (to replay taming's late start)."""
        for m in self.loss.discriminator.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
        self.opt_d = adam(self.loss.discriminator.parameters(), self.lr, betas=(0.5, 0.9))

    def train_step(self, x: torch.Tensor) -> dict:
        """One generator and one discriminator update on the image batch ``x``; returns the metrics.

        Both losses are computed before either optimiser steps, so a non-finite loss (or any
        error) leaves models, buffers, optimisers and the step count as they were.
        """
        check_image_batch(x)
        saved = forward_state(self.model, self.loss)
        self.step += 1
        try:
            self.model.train()
            self.loss.train()
            with autocast(self.device, self.amp):
                g_loss, metrics, x_hat = self.loss.generator_loss(self.model, x, self.step)
                train_d = self.step >= self.loss.d_start
                if train_d:
                    d_loss, d_metrics = self.loss.discriminator_loss(x, x_hat)
            for name, value in (("generator", g_loss), ("discriminator", d_loss if train_d else g_loss)):
                if not torch.isfinite(value):
                    raise FloatingPointError(f"{name} loss became {value.item()} at step {self.step}; nothing was "
                                             f"updated. Try a lower learning rate than lr={self.lr}")
        except BaseException:
            restore(saved)
            self.step -= 1
            raise
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        if train_d:
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
            metrics.update(d_metrics)
        metrics["loss"] = g_loss.detach()
        return metrics

    def fit(self, data, steps: int, log_every: int = 10, desc: str = "VQGAN", progress: bool = True) -> dict:
        """Train ``steps`` more steps on ``data`` (cycled); returns the whole history so far."""
        check_positive_int(steps, "steps")
        check_positive_int(log_every, "log_every")
        batches = cycle(check_batches(data))
        start, last = time.perf_counter(), self.step + steps
        bar = tqdm(range(steps), desc=desc, disable=not progress, leave=False)
        for _ in bar:
            batch = to_device(next(batches), self.device)
            metrics = self.train_step(batch["image"] if isinstance(batch, dict) else batch)
            if self.step % log_every == 0 or self.step == last:
                record(self.history, self.step, metrics)
                bar.set_postfix(loss=f"{self.history['loss'][-1]:.4g}")
        seconds = time.perf_counter() - start
        self.history.setdefault("seconds", []).append(seconds)
        self.model.eval()
        self.loss.eval()
        if progress:
            print(f"{desc}: {steps} steps in {seconds:.1f} s (now at step {self.step}), "
                  f"final loss {self.history['loss'][-1]:.4g}")
        return self.history


def fit_vqgan(model, loss: VQGANLoss, data, steps: int, lr: float = 1e-3, device: str = "cpu",
              amp: bool | None = None, desc: str = "VQGAN", progress: bool = True) -> dict[str, list]:
    """Train a VQGAN from scratch for ``steps`` steps; the history, like :func:`~mmfuse_lite.train.fit`."""
    return VQGANTrainer(model, loss, lr, device, amp).fit(data, steps, desc=desc, progress=progress)
