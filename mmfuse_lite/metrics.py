"""Quality measures shared by the chapters."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .checks import check_image_batch, check_number, check_positive_int, check_same_shape, check_tensor, describe


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, one value per image: 10 log10(range^2 / MSE).

    ``x`` and ``y`` are image batches of equal shape (B, ...). Reconstructions are
    clamped to ``[0, data_range]`` first, as a saved image would be.
    """
    data_range = check_number(data_range, "data_range", low=0, low_open=True)
    check_same_shape(x, y, ("x", "y"))
    if x.dim() < 2:
        raise ValueError(f"x and y must be batches (B, ...), got shape {tuple(x.shape)}")
    check_tensor(x, "x", kind="float")
    check_tensor(y, "y", kind="float")
    top = min(float(x.max()), float(y.max()))
    if top > 1.5 * data_range:      # both far above the range: pixels in 0..255, not a bad reconstruction
        raise ValueError(f"x and y have values up to {top:.4g}, above data_range={data_range}: scale images "
                         f"to [0, {data_range}] (0..255 pixels: divide by 255) or pass data_range=255")
    x = x.detach().float().clamp(0, data_range)
    y = y.detach().float().clamp(0, data_range)
    mse = (x - y).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(data_range**2 / mse)


@torch.no_grad()
def evaluate_psnr(model, images: torch.Tensor, batch_size: int = 256, device: str = "cpu") -> float:
    """Mean PSNR of ``model(images)[0]`` against ``images`` over a whole split."""
    check_image_batch(images)
    check_positive_int(batch_size, "batch_size")
    model.eval().to(device)
    scores = [psnr(model(b.to(device))[0].cpu(), b) for b in images.split(batch_size)]
    return torch.cat(scores).mean().item()


@torch.no_grad()
def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows whose argmax equals the label."""
    check_tensor(logits, "logits (N, C)", dims=2)
    check_tensor(labels, "labels (N,)", dims=1, kind="int")
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"expected logits (N, C) and labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    return (logits.argmax(1) == labels).float().mean().item()


def probe_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                   weight_decay: float = 1e-3, max_iter: int = 200) -> float:
    """Test accuracy of a linear probe trained on fixed features.

    The probe is multinomial logistic regression on standardised features, with a
    small L2 penalty, fitted full-batch by L-BFGS: deterministic and fast.
    """
    for name, x, y in (("train", train_x, train_y), ("test", test_x, test_y)):
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or y.shape != x.shape[:1]:
            raise ValueError(f"{name} features must be (N, D) with labels (N,), "
                             f"got {tuple(getattr(x, 'shape', ()))} and {tuple(getattr(y, 'shape', ()))}")
    for name, x in (("train", train_x), ("test", test_x)):
        check_tensor(x, f"{name} features", kind="float")
    for name, y in (("train", train_y), ("test", test_y)):
        check_tensor(y, f"{name} labels", kind="int")
    if train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f"train and test features differ in width: {train_x.shape[1]} vs {test_x.shape[1]}")
    mean, std = train_x.float().mean(0), train_x.float().std(0).clamp_min(1e-6)
    x, xt = (train_x.float() - mean) / std, (test_x.float() - mean) / std
    y = train_y.long()
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    probe = torch.nn.Linear(x.shape[1], n_classes)
    torch.nn.init.zeros_(probe.weight), torch.nn.init.zeros_(probe.bias)
    opt = torch.optim.LBFGS(probe.parameters(), max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(probe(x), y) + weight_decay * probe.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    with torch.no_grad():
        return accuracy(probe(xt), test_y.long())


def codebook_stats(indices: torch.Tensor, num_codes: int) -> dict:
    """Usage and perplexity of a codebook over *all* the indices given (e.g. a whole split).

    Returns ``counts`` (num_codes,), ``usage`` (fraction of codes used at least once)
    and ``perplexity`` = exp(entropy of the code frequencies): K when all K codes are
    used equally often, 1 when a single code is used.
    """
    if not isinstance(indices, torch.Tensor) or torch.is_floating_point(indices):
        raise TypeError(f"indices must be an integer tensor, got {getattr(indices, 'dtype', type(indices))}")
    check_positive_int(num_codes, "num_codes")
    flat = indices.reshape(-1).long()
    if flat.numel() == 0:
        raise ValueError("no indices given")
    if flat.min() < 0 or flat.max() >= num_codes:
        raise ValueError(f"indices must be in [0, {num_codes}), got range [{flat.min().item()}, {flat.max().item()}]")
    counts = torch.bincount(flat, minlength=num_codes).float()
    p = counts / counts.sum()
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return {"counts": counts, "usage": (counts > 0).float().mean().item(), "perplexity": entropy.exp().item()}


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D) and (M, D).

    ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2): the formula of FID
    (Heusel et al., 2017), here on any features. Computed in float64 with symmetric
    eigendecompositions, so no complex square roots appear.
    """
    for name, f in (("a", a), ("b", b)):
        if not isinstance(f, torch.Tensor) or f.dim() != 2 or f.shape[0] < 2:
            raise ValueError(f"{name} must be features (N, D) with N >= 2, got {tuple(getattr(f, 'shape', ()))}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature widths differ: {a.shape[1]} vs {b.shape[1]}")
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T).reshape(a.shape[1], -1), torch.cov(b.T).reshape(b.shape[1], -1)
    vals, vecs = torch.linalg.eigh(cov_a)
    root_a = vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T
    middle = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp_min(0).sqrt().sum()
    return ((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * middle).item()


def sharpness(images: torch.Tensor, top: float = 0.05) -> torch.Tensor:
    """Edge sharpness per image: mean Sobel gradient magnitude over its strongest ``top`` pixels.

    A blurred edge spreads the same step over more pixels, so its steepest gradients
    drop. Restricting to the top few percent measures the edges, not the flat background
    or its pixel noise. Images (B, C, H, W) in [0, 1]; the gradient is taken on the
    channel mean.
    """
    check_image_batch(images, channels=None)
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    grey = images.detach().float().clamp(0, 1).mean(1, keepdim=True)
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
    kernels = torch.stack([sobel, sobel.T])[:, None].to(grey)
    g = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), kernels).pow(2).sum(1).sqrt().flatten(1)
    k = max(1, int(top * g.shape[1]))
    return g.topk(k, dim=1).values.mean(1)


@torch.no_grad()
def reconstruction_report(model, images: torch.Tensor, judge, batch_size: int = 250) -> dict:
    """PSNR (dB), Fréchet distance on ``judge.pooled`` features, and sharpness relative to the originals.

    ``model(x)[0]`` must return reconstructions; ``judge`` is a feature network with a
    ``pooled(images) -> (B, D)`` method (chapter 5's ``shapes_judge``).
    """
    check_image_batch(images)
    check_positive_int(batch_size, "batch_size")
    if not hasattr(judge, "pooled"):
        raise TypeError(f"judge must be a feature network with a pooled(images) method (a FeatureNet), got {describe(judge)}")
    model.eval()
    recon = torch.cat([model(b)[0].float().clamp(0, 1) for b in images.split(batch_size)])
    real_f = torch.cat([judge.pooled(b) for b in images.split(batch_size)])
    fake_f = torch.cat([judge.pooled(b) for b in recon.split(batch_size)])
    return {"psnr": psnr(recon, images).mean().item(), "frechet": frechet_distance(real_f, fake_f),
            "sharpness": (sharpness(recon).mean() / sharpness(images).mean()).item()}


@torch.no_grad()
def vq_report(model, images: torch.Tensor, judge, batch_size: int = 250) -> dict:
    """:func:`reconstruction_report` of a VQ model, plus the codebook ``usage`` and ``perplexity``
    of its codes over all of ``images`` (:func:`codebook_stats`); ``model`` needs ``encode``
    and a ``quantizer.num_codes``."""
    report = reconstruction_report(model, images, judge, batch_size)
    codes = torch.cat([model.encode(b) for b in images.split(batch_size)])
    stats = codebook_stats(codes, model.quantizer.num_codes)
    return {**report, "usage": stats["usage"], "perplexity": stats["perplexity"]}


@torch.no_grad()
def vae_report(model, images: torch.Tensor, judge, batch_size: int = 250, seed: int = 0) -> dict:
    """What chapter 2 measures of a (unconditional) VAE on ``images``.

    ``psnr``, ``frechet`` and ``sharpness`` of the reconstructions decoded from the posterior
    means (as :func:`reconstruction_report`); ``kl``, the mean KL(q(z|x) || N(0, I)) in nats
    per image; ``active_units``, latent dimensions whose mean moves with the input; and
    ``sample_frechet`` and ``sample_sharpness`` of as many images drawn from the prior
    N(0, I) (seeded), against the same real images.
    """
    from .nn.vae import active_units, gaussian_kl
    check_image_batch(images)
    model.eval()
    stats = [model.encode(b) for b in images.split(batch_size)]
    mu, logvar = torch.cat([m for m, _ in stats]), torch.cat([v for _, v in stats])
    recon = torch.cat([model.decode(m) for m in mu.split(batch_size)])
    g = torch.Generator(device=mu.device).manual_seed(seed)
    samples = torch.cat([model.sample(len(m), generator=g) for m in mu.split(batch_size)])
    real_f = torch.cat([judge.pooled(b) for b in images.split(batch_size)])
    feats = {name: torch.cat([judge.pooled(b) for b in x.split(batch_size)]) for name, x in
             (("recon", recon), ("sample", samples))}
    edge = sharpness(images).mean()
    return {"psnr": psnr(recon, images).mean().item(), "frechet": frechet_distance(real_f, feats["recon"]),
            "sharpness": (sharpness(recon).mean() / edge).item(), "kl": gaussian_kl(mu, logvar).mean().item(),
            "active_units": int(active_units(mu).sum()), "sample_frechet": frechet_distance(real_f, feats["sample"]),
            "sample_sharpness": (sharpness(samples).mean() / edge).item()}
