"""The VAE and CVAE of chapter 2: each term of the ELBO checked against its definition."""
import math

import pytest
import torch

from mmfuse_lite.data import ShapesWorld, image_tensor
from mmfuse_lite.nn.vae import (CONDITION_DIM, VAE, active_units, attribute_condition, gaussian_kl, gaussian_nll,
                                reparameterize, scene_condition, vae_loss)
from mmfuse_lite.train import fit


def test_kl_matches_its_closed_form_by_sampling():
    """E_q[log q(z) - log p(z)] estimated from 200,000 samples agrees with the formula."""
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.tensor([[0.5, -1.0, 2.0]]), torch.tensor([[0.0, -2.0, 1.0]])
    z = reparameterize(mu.expand(200_000, 3), logvar.expand(200_000, 3), generator=g)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(0.0, 1.0)
    sampled = (q.log_prob(z) - p.log_prob(z)).sum(1).mean()
    assert gaussian_kl(mu, logvar).item() == pytest.approx(sampled.item(), abs=0.02)
    assert gaussian_kl(mu, logvar).item() == pytest.approx(
        torch.distributions.kl_divergence(q, p).sum().item(), rel=1e-6)


def test_kl_is_zero_only_at_the_prior():
    assert gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4)).tolist() == [0.0, 0.0]
    assert (gaussian_kl(torch.randn(5, 4), torch.randn(5, 4)) > 0).all()


def test_reparameterized_sample_has_the_right_moments_and_gradients():
    mu = torch.full((100_000, 1), 2.0, requires_grad=True)
    logvar = torch.full((100_000, 1), math.log(0.25), requires_grad=True)
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(1))
    assert z.mean().item() == pytest.approx(2.0, abs=0.01) and z.std().item() == pytest.approx(0.5, abs=0.01)
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None and torch.all(mu.grad == 1)


def test_gaussian_nll_is_the_squared_error_over_two_sigma_squared():
    x, y = torch.rand(3, 3, 8, 8), torch.rand(3, 3, 8, 8)
    sse = (x - y).pow(2).flatten(1).sum(1)
    assert torch.allclose(gaussian_nll(y, x, sigma=0.1), sse / 0.02)
    assert torch.equal(gaussian_nll(x, x), torch.zeros(3))


def test_vae_loss_adds_beta_times_kl():
    x, x_hat = torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)
    mu, logvar = torch.randn(4, 8), torch.randn(4, 8)
    out = vae_loss(x_hat, x, mu, logvar, beta=4.0)
    assert out["loss"].item() == pytest.approx(out["nll"].item() + 4.0 * out["kl"].item(), rel=1e-6)
    with pytest.raises(ValueError, match="beta must be in"):
        vae_loss(x_hat, x, mu, logvar, beta=-1.0)
    with pytest.raises(ValueError, match="sigma must be in"):
        vae_loss(x_hat, x, mu, logvar, sigma=0.0)


def test_active_units_counts_dimensions_that_move_with_the_input():
    mu = torch.zeros(100, 4)
    mu[:, 1] = torch.linspace(-1, 1, 100)
    assert active_units(mu).tolist() == [False, True, False, False]
    with pytest.raises(ValueError, match="at least 2 images"):
        active_units(torch.zeros(1, 4))


def test_vae_shapes_and_samples_are_images():
    m = VAE(latent_dim=6, width=4)
    x = torch.rand(5, 3, 32, 32)
    x_hat, mu, logvar = m(x)
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (5, 6)
    s = m.eval().sample(7, generator=torch.Generator().manual_seed(0))
    assert s.shape == (7, 3, 32, 32) and s.min() >= 0 and s.max() <= 1


def test_cvae_conditions_reach_the_decoder():
    m = VAE(latent_dim=4, width=4, cond_dim=CONDITION_DIM).eval()
    z = torch.zeros(2, 4)
    red, blue = attribute_condition("red", "circle"), attribute_condition("blue", "square", "small", (0, 2))
    a = m.decode(z, torch.stack([red, red]))
    b = m.decode(z, torch.stack([red, blue]))
    assert torch.equal(a[0], b[0]) and not torch.equal(a[1], b[1])
    x = torch.rand(2, 3, 32, 32)
    assert not torch.equal(m.encode(x, torch.stack([red, red]))[0][1], m.encode(x, torch.stack([red, blue]))[0][1])


def test_conditions_are_one_hot_per_attribute():
    c = attribute_condition("green", "triangle", "small", (2, 0))
    assert c.shape == (CONDITION_DIM,) and c.sum() == 4
    world = ShapesWorld("val", n=6, seed=0, max_objects=1)
    cs = scene_condition(world)
    assert cs.shape == (6, CONDITION_DIM) and torch.all(cs.sum(1) == 4)
    d = world.describe(3)[0]
    assert torch.equal(cs[3], attribute_condition(d["colour"], d["shape"], d["size"], (d["row"], d["col"])))


@pytest.mark.parametrize("call, error, match", [
    (lambda: VAE(width=4)(torch.rand(2, 3, 32, 32), torch.zeros(2, CONDITION_DIM)), ValueError, "takes no condition"),
    (lambda: VAE(width=4, cond_dim=CONDITION_DIM)(torch.rand(2, 3, 32, 32)), ValueError, "needs a condition"),
    (lambda: VAE(width=4, cond_dim=3)(torch.rand(2, 3, 32, 32), torch.zeros(2, 4)), ValueError, r"shape \(2, 3\)"),
    (lambda: VAE(width=4)(torch.rand(2, 3, 16, 16)), ValueError, "must be 32x32"),
    (lambda: VAE(width=4)(torch.rand(2, 3, 32, 32) * 255), ValueError, "divide by 255"),
    (lambda: VAE(latent_dim=4, width=4).decode(torch.zeros(2, 5)), ValueError, "4 columns"),
    (lambda: VAE(image_size=36), ValueError, "divisible by 2\\*\\*downsamples"),
    (lambda: attribute_condition("pink", "circle"), ValueError, "colour"),
    (lambda: attribute_condition("red", "circle", position=(3, 0)), ValueError, "position"),
    (lambda: reparameterize(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError, "same shape"),
])
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_short_training_run_lowers_the_reconstruction_term():
    """200 steps on one-object scenes: the reconstruction term halves, the KL rises from the prior's 0 and stays finite."""
    torch.manual_seed(0)
    x = image_tensor(ShapesWorld("train", n=256, seed=0, max_objects=1))
    m = VAE(latent_dim=8, width=4)

    def loss(model, batch):
        x_hat, mu, logvar = model(batch)
        out = vae_loss(x_hat, batch, mu, logvar)
        return out["loss"], {"nll": out["nll"].item(), "kl": out["kl"].item()}

    h = fit(m, loss, [x[i:i + 64] for i in range(0, 256, 64)], steps=200, lr=3e-3, progress=False, log_every=10)
    assert h["nll"][-1] < 0.5 * h["nll"][0] and h["kl"][0] < h["kl"][-1] < 1e3
