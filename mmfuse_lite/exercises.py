"""Checkers for the code exercises: instant, specific feedback.

Each ``check_*`` runs a learner's function on a few cases. On the first failure
it raises :class:`ExerciseError` naming the case, what was expected and what
arrived, with a hint. On success it prints how many cases passed and returns None, so a
checker called last in a cell leaves no ``True`` echoed under its message.
"""
from __future__ import annotations


import functools
import math

import numpy as np
import torch

from .checks import describe


class ExerciseError(AssertionError):
    """A learner's function gave a wrong answer; the message explains which and why."""


def _call(name: str, fn, *args):
    try:
        return fn(*args)
    except NotImplementedError:
        raise ExerciseError(f"{name}: your function raised NotImplementedError. "
                            "Replace the stub with your solution, then run this check again.") from None
    except Exception as e:  # report the learner's error with the case it happened on
        raise ExerciseError(f"{name}: your function raised {type(e).__name__}: {e}") from e


def _expect_close(name: str, case: str, got, expected: torch.Tensor, atol: float, hint: str = "") -> None:
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"{name} [{case}]: expected a torch.Tensor, got {type(got).__name__}")
    if got.shape != expected.shape:
        raise ExerciseError(f"{name} [{case}]: expected shape {tuple(expected.shape)}, "
                            f"got {tuple(got.shape)}. {hint}".strip())
    if not torch.allclose(got.detach().float(), expected.float(), atol=atol, rtol=0):
        raise ExerciseError(f"{name} [{case}]: expected {expected.flatten()[:4].tolist()}, "
                            f"got {got.detach().flatten()[:4].tolist()} (tolerance {atol}). {hint}".strip())


def _passed(name: str, n: int) -> None:
    print(f"{name}: all {n} cases passed.")


def check_psnr(fn) -> None:
    """Check ``fn(x, y)`` -> PSNR in dB per image, for images in [0, 1]."""
    name = "check_psnr"
    x = torch.full((1, 3, 4, 4), 0.5)
    got = _call(name, fn, x + 0.1, x)
    _expect_close(name, "every pixel off by 0.1 -> MSE 0.01 -> 20 dB", got, torch.tensor([20.0]), 1e-3,
                  "PSNR = 10 * log10(1 / MSE) with MSE the mean squared error per image.")
    a = torch.zeros(2, 3, 4, 4)
    b = a.clone()
    b[0] += 0.1
    b[1] += 0.01
    got = _call(name, fn, b, a)
    _expect_close(name, "two images with errors 0.1 and 0.01", got, torch.tensor([20.0, 40.0]), 1e-3,
                  "Return one value per image: average the squared error over (C, H, W), not over the batch.")
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(3, 3, 8, 8, generator=g), torch.rand(3, 3, 8, 8, generator=g)
    mse = (x - y).pow(2).flatten(1).mean(1)
    got = _call(name, fn, x, y)
    _expect_close(name, "random images", got, 10 * torch.log10(1 / mse), 1e-3)
    return _passed(name, 3)


def check_interpolate(fn) -> None:
    """Check ``fn(z0, z1, t)`` -> the straight-line mix (1 - t) z0 + t z1."""
    name = "check_interpolate"
    g = torch.Generator().manual_seed(1)
    z0, z1 = torch.randn(1, 4, 8, 8, generator=g), torch.randn(1, 4, 8, 8, generator=g)
    for t, hint in ((0.0, "At t = 0 the result must be z0."), (1.0, "At t = 1 the result must be z1."),
                    (0.25, "At t = 0.25 the result is three quarters z0 and one quarter z1.")):
        _expect_close(name, f"t = {t}", _call(name, fn, z0, z1, t), (1 - t) * z0 + t * z1, 1e-5, hint)
    return _passed(name, 3)


def check_bottleneck(fn) -> None:
    """Check ``fn(image_size, latent_channels, downsamples)`` -> numbers in the latent."""
    name = "check_bottleneck"
    for args in ((32, 8, 2), (32, 1, 3), (64, 4, 2)):
        s, c, d = args
        expected = c * (s // 2**d) ** 2
        got = _call(name, fn, *args)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            raise ExerciseError(f"{name} [image_size={s}, latent_channels={c}, downsamples={d}]: expected a number "
                                f"({expected}), got {type(got).__name__}")
        if got != expected:
            raise ExerciseError(f"{name} [image_size={s}, latent_channels={c}, downsamples={d}]: expected "
                                f"{expected}, got {got}. Each downsample halves height and width; the latent "
                                f"has latent_channels numbers per position.")
    return _passed(name, 3)


def check_gaussian_kl(fn) -> None:
    """Check ``fn(mu, logvar)`` -> KL(N(mu, exp(logvar)) || N(0, I)) in nats, one value per row."""
    name = "check_gaussian_kl"
    g = torch.Generator().manual_seed(2)
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    want = lambda m, lv: 0.5 * (m.pow(2) + lv.exp() - 1 - lv).sum(1)   # noqa: E731
    cases = ((torch.zeros(2, 3), torch.zeros(2, 3), "The prior itself: its KL to the prior is 0 for every row."),
             (torch.tensor([[2.0, 0.0]]), torch.zeros(1, 2), "Only the mean moves: the KL is mu^2 / 2, summed."),
             (torch.zeros(1, 1), torch.tensor([[math.log(4.0)]]),
              "Only the variance moves: sigma^2 = 4 gives (4 - 1 - ln 4) / 2. logvar is log sigma^2, not sigma."),
             (mu, logvar, "One value per row: sum over the latent dimensions, not over the batch."))
    for i, (m, lv, hint) in enumerate(cases):
        _expect_close(name, f"case {i + 1}", _call(name, fn, m, lv), want(m, lv), 1e-4, hint)
    return _passed(name, len(cases))


def check_bag_of_words(fn) -> None:
    """Check ``fn(ids, vocab_size)`` -> (B, vocab_size) float word counts, padding (id 0) not counted."""
    name = "check_bag_of_words"
    ids = torch.tensor([[1, 5, 7, 5, 2, 0, 0], [1, 6, 2, 0, 0, 0, 0]])
    expected = torch.zeros(2, 9)
    for row, seq in enumerate(ids):
        for i in seq.tolist():
            if i != 0:
                expected[row, i] += 1
    got = _call(name, fn, ids, 9)
    _expect_close(name, "two padded sentences", got, expected, 1e-6,
                  "Count each id per row; the padding id 0 must not be counted (its column stays 0).")
    got = _call(name, fn, torch.zeros(1, 4, dtype=torch.long), 3)
    _expect_close(name, "a sentence that is all padding", got, torch.zeros(1, 3), 1e-6,
                  "Padding is not a word: an all-padding row has no counts.")
    return _passed(name, 2)


def check_nearest_code(fn) -> None:
    """Check ``fn(z, codebook)`` -> index of the nearest codebook row for each row of z."""
    name = "check_nearest_code"
    g = torch.Generator().manual_seed(2)
    codebook = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    z = torch.tensor([[0.1, 0.1], [0.9, -0.2], [0.2, 0.7], [2.0, 0.1]])
    got = _call(name, fn, z, codebook)
    _expect_close(name, "four 2-D points, three codes", got, torch.tensor([0, 1, 2, 1]), 0,
                  "Return, for each row of z, the index (argmin) of the closest codebook row.")
    z, codebook = torch.randn(300, 16, generator=g), torch.randn(40, 16, generator=g)
    brute = (z[:, None, :] - codebook[None]).pow(2).sum(-1).argmin(1)
    got = _call(name, fn, z, codebook)
    _expect_close(name, "300 random vectors, 40 codes of dim 16", got, brute, 0,
                  "Squared distance = ||z||^2 - 2 z.e + ||e||^2; take the argmin over codes (dim 1).")
    return _passed(name, 2)


def check_straight_through(fn) -> None:
    """Check ``fn(z, z_q)``: forward value z_q, gradient passed to z unchanged."""
    name = "check_straight_through"
    g = torch.Generator().manual_seed(3)
    z = torch.randn(5, 4, generator=g, requires_grad=True)
    z_q = torch.randn(5, 4, generator=g, requires_grad=True)
    upstream = torch.randn(5, 4, generator=g)
    out = _call(name, fn, z, z_q)
    _expect_close(name, "forward value", out, z_q.detach(), 1e-6,
                  "The forward pass must return the quantised vectors z_q.")
    if not out.requires_grad:
        raise ExerciseError(f"{name} [gradient]: your output carries no gradient at all (it is detached from z), so "
                            "nothing can reach the encoder. Build it from z: z + (z_q - z).detach().")
    out.backward(upstream)
    if z.grad is None:
        raise ExerciseError(f"{name} [gradient]: no gradient reached z. Build the output from z so that autograd "
                            "sees it: z + (z_q - z).detach().")
    _expect_close(name, "gradient reaching z", z.grad, upstream, 1e-6,
                  "The gradient at the output must be copied to z unchanged (the estimator's identity backward).")
    if z_q.grad is not None and z_q.grad.abs().max() > 0:
        raise ExerciseError(f"{name} [gradient]: z_q received a gradient through the straight-through path; "
                            "detach the (z_q - z) difference so only z gets it.")
    return _passed(name, 3)


def check_perplexity(fn) -> None:
    """Check ``fn(indices, num_codes)`` -> exp(entropy of the code frequencies)."""
    name = "check_perplexity"
    cases = [("4 codes used equally", torch.arange(4).repeat(5), 4, 4.0),
             ("one code only", torch.full((10,), 2), 4, 1.0),
             ("codes 0,0,0,1 out of 8", torch.tensor([0, 0, 0, 1]), 8,
              math.exp(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25))))]
    for case, idx, k, expected in cases:
        got = _call(name, fn, idx, k)
        value = float(got)
        if not math.isclose(value, expected, rel_tol=1e-4):
            raise ExerciseError(f"{name} [{case}]: expected {expected:.4f}, got {value:.4f}. Count each code "
                                "(torch.bincount), divide by the total, skip zero counts, then exp(-sum p log p).")
    return _passed(name, len(cases))


def check_ema_update(fn) -> None:
    """Check ``fn(cluster_size, code_sum, h, indices, decay, eps)`` -> new codebook (K, D).

    It must update ``cluster_size`` and ``code_sum`` in place as moving averages, and
    return code_sum / Laplace-smoothed cluster sizes.
    """
    name = "check_ema_update"
    size, total = torch.tensor([2.0, 2.0]), torch.tensor([[2.0], [4.0]])
    got = _call(name, fn, size, total, torch.tensor([[3.0]]), torch.tensor([0]), 0.5, 0.0)
    _expect_close(name, "cluster_size after one step (decay 0.5, one vector to code 0)", size,
                  torch.tensor([1.5, 1.0]), 1e-6,
                  "Update in place: N_k <- decay * N_k + (1 - decay) * (number of vectors assigned to k).")
    _expect_close(name, "code_sum after one step", total, torch.tensor([[2.5], [2.0]]), 1e-6,
                  "Update in place: m_k <- decay * m_k + (1 - decay) * (sum of the vectors assigned to k).")
    _expect_close(name, "returned codebook (eps = 0)", got, torch.tensor([[2.5 / 1.5], [2.0]]), 1e-5,
                  "Each code is m_k / N_k (with Laplace smoothing when eps > 0).")
    g = torch.Generator().manual_seed(4)
    k, d = 6, 3
    size, total = torch.rand(k, generator=g) + 0.5, torch.randn(k, d, generator=g)
    h, idx = torch.randn(40, d, generator=g), torch.randint(0, 3, (40,), generator=g)   # codes 3..5 get nothing
    ref_size, ref_total = size.clone(), total.clone()
    from .nn.quantize import ema_update
    expected = ema_update(ref_size, ref_total, h, idx, 0.9, 1e-2)
    got = _call(name, fn, size, total, h, idx, 0.9, 1e-2)
    _expect_close(name, "random case with eps = 0.01 and three unused codes", got, expected, 1e-5,
                  "Laplace smoothing: N'_k = (N_k + eps) / (n + K eps) * n with n = sum of N_k; codes = m_k / N'_k.")
    return _passed(name, 4)


def check_fsq_bound(fn) -> None:
    """Check ``fn(h, levels)`` -> values that round to exactly ``levels[i]`` integers per channel."""
    name = "check_fsq_bound"
    from .nn.fsq import fsq_bound
    for levels in ([5, 5], [8, 6, 3]):
        lv = torch.tensor(levels)
        h = torch.linspace(-12, 12, 2001)[:, None].expand(-1, len(levels)).contiguous()
        got = _call(name, fn, h, lv)
        if not isinstance(got, torch.Tensor) or got.shape != h.shape:
            raise ExerciseError(f"{name} [levels {levels}]: expected a tensor of shape {tuple(h.shape)}, "
                                f"got {getattr(got, 'shape', type(got).__name__)}")
        for i, L in enumerate(levels):
            values = got[:, i].round().unique().tolist()
            want = list(range(-(L // 2), L - L // 2))
            if values != want:
                raise ExerciseError(f"{name} [levels {levels}, channel {i}]: rounding should give the {L} integers "
                                    f"{want}, got {values}. Use tanh(h + shift) * (L - 1) / 2 - offset, with "
                                    "offset 0.5 for even L and shift = atanh(offset / ((L - 1) / 2)).")
        _expect_close(name, f"levels {levels}", got, fsq_bound(h, lv), 1e-2,
                      "Squash with tanh and shift even levels by half a step, as in the FSQ paper.")
    return _passed(name, 2)


def check_hinge_d_loss(fn) -> None:
    """Check ``fn(real_logits, fake_logits)`` -> the discriminator's hinge loss (a scalar)."""
    name = "check_hinge_d_loss"
    cases = [
        ("confident and right: real logits > 1, fake < -1 -> loss 0", torch.tensor([3.0, 1.5]), torch.tensor([-2.0, -1.0]), 0.0),
        ("all logits 0 -> 0.5 * (1 + 1) = 1", torch.zeros(4), torch.zeros(4), 1.0),
        ("real [2, 0], fake [-2, 0.5] -> 0.5 * (mean[0, 1] + mean[0, 1.5])", torch.tensor([2.0, 0.0]),
         torch.tensor([-2.0, 0.5]), 0.625),
        ("patch logits (B, 1, H, W): average over every patch", torch.full((2, 1, 3, 3), 0.5),
         torch.full((2, 1, 3, 3), -3.0), 0.25),
    ]
    for case, real, fake, want in cases:
        got = _call(name, fn, real, fake)
        if not isinstance(got, torch.Tensor) or got.dim() != 0:
            raise ExerciseError(f"{name} [{case}]: expected a scalar tensor, got "
                                f"{getattr(got, 'shape', type(got).__name__)}. Average with .mean().")
        if abs(got.item() - want) > 1e-5:
            raise ExerciseError(f"{name} [{case}]: expected {want:.4f}, got {got.item():.4f}. The loss is "
                                "0.5 * (mean(relu(1 - real)) + mean(relu(1 + fake))): no penalty once a real "
                                "logit is above +1 or a fake one below -1.")
    return _passed(name, len(cases))


def check_adaptive_weight(fn) -> None:
    """Check ``fn(rec_loss, g_loss, last_layer)`` -> ||grad rec|| / (||grad g|| + 1e-4), clamped to [0, 1e4], detached."""
    name = "check_adaptive_weight"
    g = torch.Generator().manual_seed(5)
    layer = torch.nn.Parameter(torch.randn(3, 3, generator=g))
    x = torch.randn(6, 3, generator=g)
    rec, adv = (x @ layer).pow(2).mean(), -(x @ layer).sum()
    r, = torch.autograd.grad(rec, layer, retain_graph=True)
    a, = torch.autograd.grad(adv, layer, retain_graph=True)
    want = (r.norm() / (a.norm() + 1e-4)).clamp(0, 1e4)
    got = _call(name, fn, rec, adv, layer)
    _expect_close(name, "ratio of gradient norms at the last layer", got, want, 1e-4 * max(1.0, want.item()),
                  "Take torch.autograd.grad of each loss w.r.t. last_layer (retain_graph=True), then "
                  "norm(rec grad) / (norm(adversarial grad) + 1e-4).")
    if got.requires_grad:
        raise ExerciseError(f"{name} [detached]: the weight must not carry a gradient (call .detach()); "
                            "otherwise the generator would learn to change the weight itself.")
    got = _call(name, fn, rec, 0 * adv, layer)
    _expect_close(name, "adversarial gradient zero -> clamped at 1e4", got, torch.tensor(1e4), 1e-2,
                  "Clamp the ratio to [0, 1e4]: with a vanishing adversarial gradient it would explode.")
    return _passed(name, 3)


__all__ = ["ExerciseError", "check_psnr", "check_interpolate", "check_bottleneck", "check_bag_of_words",
           "check_nearest_code", "check_straight_through", "check_perplexity",
           "check_ema_update", "check_fsq_bound", "check_hinge_d_loss", "check_adaptive_weight",
           "check_product_of_experts", "check_tensor_fusion", "check_attention_readout", "check_info_nce",
           "check_guidance", "check_join_tokens", "check_gaussian_kl", "check_margin_loss",
           "check_uncertainty_weighting", "check_greedy_decoding", "check_flip_captions",
           "check_translation_sequences"]


def _reject_average(name: str, case: str, got, averaged: torch.Tensor) -> None:
    if isinstance(got, torch.Tensor) and got.shape == averaged.shape and torch.allclose(got, averaged, atol=1e-5):
        raise ExerciseError(f"{name} [{case}]: you averaged the logits (late fusion by mean); "
                            "a product of experts adds the experts' log-probabilities instead.")


def check_product_of_experts(fn) -> None:
    """Check ``fn(logits)`` -> normalised log-probabilities of the product of the experts' distributions."""
    name = "check_product_of_experts"
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    got = _call(name, fn, [a])
    _expect_close(name, "one expert", got, torch.log_softmax(a, -1), 1e-5,
                  "With one expert the result is its own log-probabilities: log_softmax(logits).")
    got = _call(name, fn, [a, torch.zeros(4, 5)])
    _reject_average(name, "an expert with uniform logits", got, torch.log_softmax(a / 2, -1))
    _expect_close(name, "an expert with uniform logits", got, torch.log_softmax(a, -1), 1e-5,
                  "A uniform expert must change nothing: renormalise after adding log-probabilities.")
    expected = torch.log_softmax(torch.log_softmax(a, -1) + torch.log_softmax(b, -1), -1)
    got = _call(name, fn, [a, b])
    _reject_average(name, "two experts", got, torch.log_softmax((a + b) / 2, -1))
    _expect_close(name, "two experts", got, expected, 1e-5,
                  "Add log_softmax of each expert, then log_softmax the sum to renormalise.")
    got = _call(name, fn, [a, b, 3 * b])
    rows = torch.logsumexp(got.detach().float(), -1) if isinstance(got, torch.Tensor) else None
    if rows is None or not torch.allclose(rows, torch.zeros(4), atol=1e-4):
        raise ExerciseError(f"{name} [three experts]: the probabilities of each row must sum to 1 "
                            f"(logsumexp 0), got logsumexp {None if rows is None else rows.tolist()}")
    return _passed(name, 4)


def check_tensor_fusion(fn) -> None:
    """Check ``fn(a, b)`` -> flattened outer product of [a; 1] and [b; 1], (B, (m+1)(n+1))."""
    name = "check_tensor_fusion"
    a, b = torch.tensor([[2.0, 3.0]]), torch.tensor([[5.0, 7.0, 11.0]])
    expected = torch.tensor([[10.0, 14, 22, 2, 15, 21, 33, 3, 5, 7, 11, 1]])
    got = _call(name, fn, a, b)
    if isinstance(got, torch.Tensor) and got.shape == (1, 6):
        raise ExerciseError(f"{name} [a=[2, 3], b=[5, 7, 11]]: got {got.shape[1]} entries, the outer product of a "
                            "and b alone; append a 1 to each vector first, so the unimodal terms survive.")
    _expect_close(name, "a=[2, 3], b=[5, 7, 11]", got, expected, 1e-5,
                  "Entries of [a; 1] vary slowest: row i of the (m+1) x (n+1) grid is a1[i] * b1.")
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 3, generator=g), torch.randn(4, 2, generator=g)
    a1, b1 = torch.cat([a, torch.ones(4, 1)], 1), torch.cat([b, torch.ones(4, 1)], 1)
    _expect_close(name, "a batch of 4", _call(name, fn, a, b), (a1[:, :, None] * b1[:, None, :]).flatten(1), 1e-5,
                  "Each example's outer product is separate: keep the batch dimension first.")
    return _passed(name, 2)


def check_attention_readout(fn) -> None:
    """Check ``fn(q, k, v)`` -> (out, weights): weights = softmax over the patches of
    q k^T / sqrt(d), shape (B, Q, N); out = weights @ v, shape (B, Q, D)."""
    name = "check_attention_readout"
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 3, 4, generator=g), torch.randn(2, 5, 4, generator=g), torch.randn(2, 5, 4, generator=g)
    weights = (q @ k.transpose(1, 2) / 2.0).softmax(-1)
    got = _call(name, fn, q, k, v)
    if not (isinstance(got, tuple) and len(got) == 2):
        raise ExerciseError(f"{name}: expected a pair (out, weights), got {type(got).__name__}")
    out, w = got
    if isinstance(w, torch.Tensor) and w.shape == (2, 3, 5) and torch.allclose(w.sum(1), torch.ones(2, 5), atol=1e-5):
        raise ExerciseError(f"{name} [3 queries, 5 patches]: your weights sum to 1 over the queries; each query "
                            "needs its own distribution over the patches: softmax over the last axis.")
    _expect_close(name, "3 queries, 5 patches, d = 4: weights", w, weights, 1e-5,
                  "Scale the scores by 1 / sqrt(d) before the softmax (d = 4 here), or the softmax saturates.")
    _expect_close(name, "3 queries, 5 patches, d = 4: out", out, weights @ v, 1e-5,
                  "Each output is the attention-weighted sum of the values: weights @ v.")
    return _passed(name, 2)


def check_join_tokens(fn) -> None:
    """Check ``fn(cls, parts)`` -> (sequence, pad): ``cls`` (1, 1, D); ``parts`` a list of
    (tokens (B, L_m, D), mask (B, L_m) bool with True = a real token, or None = all real).
    ``sequence`` = [CLS, tokens of part 1, tokens of part 2, ...], (B, 1 + sum L_m, D);
    ``pad`` (B, 1 + sum L_m) bool, True where a token is padding (what
    ``nn.TransformerEncoder`` takes as ``src_key_padding_mask``)."""
    name = "check_join_tokens"
    g = torch.Generator().manual_seed(0)
    cls = torch.randn(1, 1, 4, generator=g)
    image, words = torch.randn(2, 3, 4, generator=g), torch.randn(2, 5, 4, generator=g)
    keep = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]).bool()
    cases = [("CLS + 3 image tokens + 5 words, the first text padded after 3", [(image, None), (words, keep)]),
             ("CLS + 5 words only (the image is missing)", [(words, keep)])]
    for case, parts in cases:
        b = 2
        want_seq = torch.cat([cls.expand(b, -1, -1)] + [t for t, _ in parts], 1)
        want_pad = ~torch.cat([torch.ones(b, 1, dtype=torch.bool)]
                              + [m if m is not None else torch.ones(t.shape[:2], dtype=torch.bool) for t, m in parts], 1)
        got = _call(name, fn, cls, parts)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise ExerciseError(f"{name}: expected a pair (sequence, pad), got {type(got).__name__}")
        seq, pad = got
        _expect_close(name, f"{case}: sequence", seq, want_seq, 1e-6,
                      "Put [CLS] first (expanded to the batch: cls.expand(B, -1, -1)), then each part's tokens "
                      "in order, joined along the token axis (dim 1).")
        if not isinstance(pad, torch.Tensor) or pad.dtype != torch.bool:
            raise ExerciseError(f"{name} [{case}]: pad must be a bool tensor, got {describe(pad)}")
        if pad.shape == want_pad.shape and torch.equal(pad, ~want_pad):
            raise ExerciseError(f"{name} [{case}]: your pad is the keep-mask: True must mark the *padding* "
                                "(nn.TransformerEncoder ignores the keys where src_key_padding_mask is True).")
        if pad.shape != want_pad.shape or not torch.equal(pad, want_pad):
            raise ExerciseError(f"{name} [{case}]: expected pad {want_pad.int().tolist()}, got "
                                f"{pad.int().tolist() if pad.dim() == 2 else tuple(pad.shape)}. [CLS] is never "
                                "padding; a part without a mask has no padding.")
    return _passed(name, len(cases))


def check_margin_loss(fn) -> None:
    """Check ``fn(distance, same, margin)`` -> the contrastive loss of Hadsell, Chopra and
    LeCun (2006): the mean over pairs of d^2 for a same pair and max(0, margin - d)^2 for
    a different one."""
    from .nn.siamese import margin_loss
    name = "check_margin_loss"
    g = torch.Generator().manual_seed(0)
    cases = [("6 pairs, margin 1", torch.rand(6, generator=g) * 2, torch.tensor([1, 0, 1, 0, 0, 1]), 1.0),
             ("8 pairs, margin 0.5", torch.rand(8, generator=g), torch.tensor([0, 0, 1, 1, 0, 1, 0, 0]), 0.5)]
    for case, d, same, m in cases:
        s = same.float()
        want = margin_loss(d, same, m)
        got = _call(name, fn, d.clone(), same.clone(), m)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.reshape(())
            wrong = {"swapped the two terms: a same pair must be pulled together (d^2), a different one pushed "
                     "apart (max(0, margin - d)^2)": ((1 - s) * d ** 2 + s * (m - d).clamp(min=0) ** 2).mean(),
                     "forgot to square the hinge max(0, margin - d)": (s * d ** 2 + (1 - s) * (m - d).clamp(min=0)).mean(),
                     "summed over the pairs: take the mean": (s * d ** 2 + (1 - s) * (m - d).clamp(min=0) ** 2).sum(),
                     "let a different pair beyond the margin push back: clamp margin - d at 0":
                         (s * d ** 2 + (1 - s) * (m - d) ** 2).mean()}
            for why, value in wrong.items():
                if not torch.allclose(value, want, atol=1e-6) and torch.allclose(got, value, atol=1e-5):
                    raise ExerciseError(f"{name} [{case}]: you {why}; expected {want.item():.4f}, got {got.item():.4f}.")
        _expect_close(name, case, got, want, 1e-5, "The loss is same * d**2 + (1 - same) * "
                      "F.relu(margin - d)**2, averaged over the pairs.")
    return _passed(name, len(cases))


def check_uncertainty_weighting(fn) -> None:
    """Check ``fn(losses, log_vars)`` -> Kendall, Gal and Cipolla's (2018) total loss for
    classification tasks: sum_t exp(-s_t) L_t + s_t / 2, with s_t = log sigma_t^2."""
    from .nn.multitask import uncertainty_total
    name = "check_uncertainty_weighting"
    g = torch.Generator().manual_seed(0)
    cases = [("3 tasks, s = 0", torch.rand(3, generator=g) * 2, torch.zeros(3)),
             ("4 tasks, mixed s", torch.rand(4, generator=g) * 2, torch.tensor([-1.5, 0.3, 1.2, -0.2]))]
    for case, losses, s in cases:
        want = uncertainty_total(losses, s)
        got = _call(name, fn, losses.clone(), s.clone())
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.reshape(())
            wrong = {"left out the s_t / 2 term: without it every weight exp(-s_t) runs off to 0, and so does "
                     "the loss": (torch.exp(-s) * losses).sum(),
                     "added s_t, not s_t / 2 (log sigma = s / 2 when s = log sigma^2)":
                         (torch.exp(-s) * losses + s).sum(),
                     "weighted by exp(+s_t): the weight is 1 / sigma^2 = exp(-s_t)": (torch.exp(s) * losses + s / 2).sum(),
                     "took the mean over the tasks: Kendall et al. sum them": (torch.exp(-s) * losses + s / 2).mean(),
                     "forgot the weights: exp(-s_t) must multiply L_t": (losses + s / 2).sum()}
            for why, value in wrong.items():
                if not torch.allclose(value, want, atol=1e-6) and torch.allclose(got, value, atol=1e-5):
                    raise ExerciseError(f"{name} [{case}]: you {why}; expected {want.item():.4f}, got {got.item():.4f}.")
        _expect_close(name, case, got, want, 1e-5, "The total is (torch.exp(-log_vars) * losses + log_vars / 2).sum().")
    return _passed(name, len(cases))


def check_greedy_decoding(fn) -> None:
    """Check ``fn(decoder, z, bos_id, eos_id, max_words)`` -> greedy answers (B, <= max_words):
    each row's words, most likely first, fed back with the hidden state, <pad> (0) from <eos> on."""
    from .nn.vqa import AnswerDecoder, greedy_decode
    name = "check_greedy_decoding"
    torch.manual_seed(2)
    decoder = AnswerDecoder(9, 6, 5, 8).eval()
    with torch.no_grad():                     # answers of different lengths, never <pad> (0) or <bos> (1)
        decoder.out.weight.mul_(3)
        decoder.out.bias[2] += 1.0
        decoder.out.bias[:2] -= 10.0
    z = torch.randn(64, 6, generator=torch.Generator().manual_seed(1)) * 2
    want = greedy_decode(decoder, z, 1, 2, 0, 4)

    def variant(feed_back=True, keep_state=True, stop=True, keep_eos=False):
        word, h, out = torch.full((len(z), 1), 1), None, []
        done = torch.zeros(len(z), dtype=torch.bool)
        for _ in range(4):
            logits, h2 = decoder(z, word, h if keep_state else None)
            h, nxt = h2, logits[:, -1].argmax(-1, keepdim=True)
            word = nxt if feed_back else word
            ended = done | (nxt[:, 0] == 2)
            shown = torch.where(done[:, None] if keep_eos else ended[:, None], 0, nxt)
            out.append(shown if stop else torch.where(nxt == 2, 0, nxt))
            done = ended
        return torch.cat(out, 1)

    with torch.no_grad():
        got = _call(name, fn, decoder, z.clone(), 1, 2, 4)
    if isinstance(got, torch.Tensor) and got.shape == (len(z), 4) and want.shape[1] < 4:
        got = got[:, :want.shape[1]] if (got[:, want.shape[1]:] == 0).all() else got
    if isinstance(got, torch.Tensor) and got.shape == want.shape and not torch.equal(got, want):
        wrong = {"fed <bos> at every step instead of the word just written": variant(feed_back=False),
                 "started every step from a fresh hidden state: pass the h the decoder returned": variant(keep_state=False),
                 "kept writing after <eos>: from a row's <eos> on, its answer is <pad>": variant(stop=False),
                 "kept the <eos> itself in the answer: it marks the end, it is not a word": variant(keep_eos=True)}
        for why, value in wrong.items():
            if value.shape == got.shape and not torch.equal(value, want) and torch.equal(got, value):
                raise ExerciseError(f"{name}: you {why}; expected rows {want[:3].tolist()}, got {got[:3].tolist()}.")
    if not isinstance(got, torch.Tensor) or got.shape != want.shape or not torch.equal(got.long(), want):
        raise ExerciseError(f"{name}: expected a ({len(z)}, <= 4) long tensor, rows {want[:3].tolist()} ..., got "
                            f"{describe(got) if not isinstance(got, torch.Tensor) else got[:3].tolist()}. Each step: "
                            "logits, h = decoder(z, word, h); word = logits[:, -1].argmax(-1, keepdim=True).")
    print(f"{name}: the answers of all {len(z)} rows are right.")


def check_info_nce(fn) -> None:
    """Check ``fn(logits)`` -> the symmetric InfoNCE loss of a (B, B) logit matrix whose
    diagonal holds the matching pairs: the mean of the row-wise and column-wise cross-entropy."""
    name = "check_info_nce"
    g = torch.Generator().manual_seed(0)
    cases = [("3 x 3, random", torch.randn(3, 3, generator=g) * 3),
             ("5 x 5, a strong diagonal", torch.randn(5, 5, generator=g) + 6 * torch.eye(5))]
    for case, logits in cases:
        target = torch.arange(len(logits))
        rows = torch.nn.functional.cross_entropy(logits, target)
        cols = torch.nn.functional.cross_entropy(logits.t(), target)
        got = _call(name, fn, logits.clone())
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            if torch.allclose(got, rows, atol=1e-5) or torch.allclose(got, cols, atol=1e-5):
                raise ExerciseError(f"{name} [{case}]: you computed one direction only ({got.item():.4f}). "
                                    "CLIP's loss is symmetric: average image -> text (rows) and text -> image "
                                    f"(columns); expected {((rows + cols) / 2).item():.4f}.")
            if torch.allclose(got, rows + cols, atol=1e-5):
                raise ExerciseError(f"{name} [{case}]: you added the two directions ({got.item():.4f}); "
                                    f"average them instead: expected {((rows + cols) / 2).item():.4f}.")
        _expect_close(name, case, got.reshape(()) if isinstance(got, torch.Tensor) and got.numel() == 1 else got,
                      (rows + cols) / 2, 1e-5, "The targets are the diagonal: pair i matches pair i, so "
                      "F.cross_entropy(logits, torch.arange(B)), and the same for logits.t().")
    return _passed(name, len(cases))


def _same_distribution(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-4) -> bool:
    """Do logits ``a`` and ``b`` give the same softmax, i.e. differ by a constant per row?"""
    return torch.allclose(a.log_softmax(-1), b.log_softmax(-1), atol=atol, rtol=0)


def check_guidance(fn) -> None:
    """Check ``fn(cond_logits, uncond_logits, scale)`` -> classifier-free guided logits:
    u + scale * (c - u), with c and u the log-softmax of the two.

    Only the sampling distribution softmax(result) matters, so any answer that differs
    from that by a constant per row passes: guidance on the raw logits (log-softmax
    subtracts one constant per row, which the difference and the sum carry through)
    and the renormalised ``(u + scale * (c - u)).log_softmax(-1)`` are both right."""
    name = "check_guidance"
    g = torch.Generator().manual_seed(0)
    cond, uncond = torch.randn(2, 6, generator=g) * 2, torch.randn(2, 6, generator=g) * 2
    c, u = cond.log_softmax(-1), uncond.log_softmax(-1)
    for scale in (1.0, 3.0):
        got = _call(name, fn, cond.clone(), uncond.clone(), scale)
        want = u + scale * (c - u)
        if isinstance(got, torch.Tensor) and got.shape == c.shape:
            got = got.detach().float()
            if not torch.isfinite(got).all():
                raise ExerciseError(f"{name} [scale {scale}]: your result has non-finite entries; "
                                    "work with log-probabilities (log_softmax), not log(softmax).")
            same = _same_distribution
            if not same(got, want):
                if same(got, c + scale * (c - u)) or same(got, u + scale * (u - c)):
                    raise ExerciseError(f"{name} [scale {scale}]: start from the unconditional log-probabilities "
                                        "and move towards the conditional ones: u + scale * (c - u).")
                mixture = (u.exp() + scale * (c.exp() - u.exp())).clamp_min(1e-12).log()
                if scale != 1 and same(got, mixture):
                    raise ExerciseError(f"{name} [scale {scale}]: you extrapolated the probabilities; guidance "
                                        "works on log-probabilities (a product of powers of the two "
                                        "distributions, not a mixture of them).")
                raise ExerciseError(f"{name} [scale {scale}]: softmax of your result starts "
                                    f"{[round(p, 3) for p in got.softmax(-1)[0, :4].tolist()]}, expected "
                                    f"{[round(p, 3) for p in want.softmax(-1)[0, :4].tolist()]}. At scale 1 the "
                                    "result must give the conditional distribution.")
        else:
            _expect_close(name, f"scale {scale}", got, want, 1e-5)
    return _passed(name, 2)


def check_flip_captions(fn) -> None:
    """Check ``fn(captions)`` -> the captions of the mirrored pictures: every "left" becomes
    "right" and every "right" "left"; nothing else changes."""
    from .data import ShapesWorld
    from .data.augment import flip_captions
    from .data.parse import truth_matrix
    name = "check_flip_captions"
    world = ShapesWorld("test", n=60, seed=3)
    mirrored = dict(world.scenes, col=np.where(world.scenes["col"] >= 0, 2 - world.scenes["col"], -1))
    cases = [("one caption", ["a small red circle at the top left"]),
             ("relations and corners", list(world.captions))]
    for case, captions in cases:
        want = flip_captions(captions)
        got = _call(name, fn, list(captions))
        if isinstance(got, str) or not isinstance(got, (list, tuple)) or not all(isinstance(c, str) for c in got):
            raise ExerciseError(f"{name} [{case}]: expected a list of strings, one per caption, got {describe(got)}")
        if len(got) != len(captions):
            raise ExerciseError(f"{name} [{case}]: expected {len(captions)} captions, got {len(got)}")
        for before, g, w in zip(captions, got, want):
            if g == w:
                continue
            if g == before:
                raise ExerciseError(f"{name} [{case}]: {before!r} came back unchanged; in the mirrored picture "
                                    f"it is {w!r}. (Replacing 'left' by 'right' and then 'right' by 'left' "
                                    "undoes the first step: swap in one pass, word by word.)")
            if g == before.replace("left", "right").replace("right", "left"):
                raise ExerciseError(f"{name} [{case}]: {before!r} became {g!r}, expected {w!r}. Replacing "
                                    "'left' by 'right' and then 'right' by 'left' turns both into 'left': swap "
                                    "them in one pass, word by word.")
            raise ExerciseError(f"{name} [{case}]: {before!r} became {g!r}, expected {w!r}. Every left and right "
                                "swaps, also one before a comma ('left,'), and only they: a mirror keeps above, "
                                "below, colours, shapes and sizes.")
    true = truth_matrix(list(got), mirrored)
    if not np.diagonal(true).all():
        raise ExerciseError(f"{name}: a flipped caption is not true of its mirrored scene")
    return _passed(name, len(cases))


def check_translation_sequences(fn) -> None:
    """Check ``fn(layout, source, target)`` -> [<source> source codes <target> target codes],
    each block shifted by its offset (chapter 10)."""
    from .nn.translate import CodeLayout, translation_sequences
    name = "check_translation_sequences"
    g = torch.Generator().manual_seed(0)
    cases = [("flat codes", CodeLayout(10, 6, 4, 3), torch.randint(0, 10, (5, 4), generator=g),
              torch.randint(0, 6, (5, 3), generator=g)),
             ("a 2 x 2 code map", CodeLayout(7, 5, 4, 2), torch.randint(0, 7, (3, 2, 2), generator=g),
              torch.randint(0, 5, (3, 2), generator=g))]
    for case, layout, source, target in cases:
        want = translation_sequences(layout, source, target)
        got = _call(name, fn, layout, source.clone(), target.clone())
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            raise ExerciseError(f"{name} [{case}]: expected a tensor of shape {tuple(want.shape)} "
                                f"(N, 2 + source_len + target_len), got {describe(got)}")
        if torch.equal(got, want):
            continue
        if (got[:, 0] != layout.source_token).any() or (got[:, 1 + layout.source_len] != layout.target_token).any():
            raise ExerciseError(f"{name} [{case}]: position 0 must hold <source> (id {layout.source_token}) and "
                                f"position {1 + layout.source_len} <target> (id {layout.target_token})")
        if torch.equal(got[:, 1:1 + layout.source_len], source.flatten(1)) or \
                torch.equal(got[:, 2 + layout.source_len:], target):
            raise ExerciseError(f"{name} [{case}]: a block of codes is not shifted: add layout.source_offset to "
                                "the source codes and layout.target_offset to the target codes, or the two "
                                "codebooks share token ids")
        raise ExerciseError(f"{name} [{case}]: the first sequence is {got[0].tolist()}, expected {want[0].tolist()}")
    return _passed(name, len(cases))


def _never_crash(check):
    """Wrap a checker so that whatever a learner's function returns, the learner gets
    feedback (an :class:`ExerciseError` naming the checker), never torch's own error
    from comparing, differentiating or indexing a wrong answer."""
    @functools.wraps(check)
    def wrapped(fn) -> None:
        if not callable(fn):
            raise ExerciseError(f"{check.__name__}: pass your function itself, e.g. {check.__name__}(my_function), "
                                f"got {type(fn).__name__} {fn!r:.60}")
        try:
            return check(fn)
        except ExerciseError:
            raise
        except Exception as e:      # the answer had the wrong type, shape, dtype or graph
            raise ExerciseError(f"{check.__name__}: your function's answer could not be checked: "
                                f"{type(e).__name__}: {e}. Check that it returns a torch.Tensor of the "
                                "shape the exercise asks for, built from the inputs (not detached).") from None
    return wrapped


for _name in __all__:
    if _name.startswith("check_"):
        globals()[_name] = _never_crash(globals()[_name])
