"""VQGAN pieces (chapter 5): discriminator, hinge losses, adaptive weight, perceptual and quality metrics."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F

import mmfuse_lite.nn as mnn
from mmfuse_lite.metrics import frechet_distance, sharpness
from mmfuse_lite.nn.perceptual import NUM_ATTRIBUTES, attribute_targets


def test_patch_discriminator_gives_one_logit_per_patch_and_its_receptive_field():
    d = mnn.PatchDiscriminator(width=8, n_layers=2)
    out = d(torch.rand(2, 3, 32, 32))
    assert out.shape == (2, 1, 6, 6)                       # 32 -> 16 -> 8 -> 7 -> 6
    assert d.receptive_field() == 34
    assert mnn.PatchDiscriminator(width=4, n_layers=3).receptive_field() == 70    # pix2pix's 70x70 PatchGAN
    # the receptive field is right: a logit does not move when pixels outside its patch change
    x = torch.rand(1, 3, 64, 64)
    y = x.clone()
    y[..., 40:, :] = torch.rand_like(y[..., 40:, :])
    d.eval()
    with torch.no_grad():
        assert torch.equal(d(x)[..., 0, 0], d(y)[..., 0, 0])


def test_patch_discriminator_spectral_norm_bounds_each_layer():
    d = mnn.PatchDiscriminator(width=8, n_layers=2, spectral_norm=True)
    d.train()
    for _ in range(30):                                    # power iterations run in training forwards
        d(torch.rand(2, 3, 32, 32))
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert sigma < 1.05
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())


def test_discriminator_rejects_wrong_input():
    with pytest.raises(ValueError, match="3 channels"):
        mnn.PatchDiscriminator(width=4)(torch.rand(1, 1, 32, 32))


def test_hinge_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.5])
    assert mnn.hinge_d_loss(real, fake).item() == pytest.approx(0.5 * (0.5 + 0.75))
    assert mnn.hinge_g_loss(fake).item() == pytest.approx(0.75)


def test_adaptive_weight_balances_gradients_whatever_the_scale():
    layer = torch.nn.Parameter(torch.randn(4, 4))
    x = torch.randn(8, 4)
    rec = (x @ layer).pow(2).mean()
    g = -(x @ layer).sum()
    w1 = mnn.adaptive_weight(rec, g, layer)
    w100 = mnn.adaptive_weight(rec, 100 * g, layer)
    assert w1.item() == pytest.approx(100 * w100.item(), rel=1e-3)       # scale-free
    grad_rec, = torch.autograd.grad(rec, layer, retain_graph=True)
    grad_g, = torch.autograd.grad(w1 * g, layer, retain_graph=True)
    assert grad_g.norm().item() == pytest.approx(grad_rec.norm().item(), rel=1e-3)
    assert not w1.requires_grad
    assert mnn.adaptive_weight(rec, 0 * g, layer, max_weight=7.0).item() == 7.0   # clamped


def test_feature_net_and_perceptual_distance():
    torch.manual_seed(0)
    net = mnn.FeatureNet(width=4)
    x = torch.rand(3, 3, 32, 32)
    feats = net.features(x)
    assert [f.shape[-1] for f in feats] == [32, 16, 8, 4]
    assert net(x).shape == (3, NUM_ATTRIBUTES)
    d = mnn.perceptual_distance(net, x, x)
    assert torch.allclose(d, torch.zeros(3), atol=1e-6)
    assert (mnn.perceptual_distance(net, x, x.flip(-1)) > 0).all()
    loss = mnn.PerceptualLoss(net)
    loss.train()
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    with pytest.raises(ValueError, match="same shape"):
        mnn.perceptual_distance(net, x, x[:2])


def test_attribute_targets_mark_colours_shapes_and_cells():
    scenes = {"colour": torch.tensor([[0, 5, -1]]).numpy(), "shape": torch.tensor([[1, 3, -1]]).numpy(),
              "row": torch.tensor([[0, 2, -1]]).numpy(), "col": torch.tensor([[1, 2, -1]]).numpy()}
    t = attribute_targets(scenes)
    assert t.shape == (1, NUM_ATTRIBUTES) and t.sum() == 6
    assert t[0, 0] == 1 and t[0, 5] == 1 and t[0, 6 + 1] == 1 and t[0, 6 + 3] == 1
    assert t[0, 10 + 1] == 1 and t[0, 10 + 8] == 1


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    torch.manual_seed(0)
    a = torch.randn(20000, 3)
    b = torch.randn(20000, 3) * 2 + torch.tensor([1.0, 0, 0])
    # identity vs 4*identity covariances: ||mu||^2 + tr(I + 4I - 2*2I) = 1 + 3
    assert frechet_distance(a, b) == pytest.approx(4.0, abs=0.15)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="widths differ"):
        frechet_distance(a, b[:, :2])


def test_sharpness_drops_when_an_edge_is_blurred():
    img = torch.zeros(1, 3, 32, 32)
    img[..., 16:] = 1.0
    blurred = F.avg_pool2d(F.pad(img, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    assert sharpness(img).item() > 1.5 * sharpness(blurred).item()
    with pytest.raises(ValueError):
        sharpness(img[0])


def tiny_vqgan(disc_start=0, d_start=0):
    torch.manual_seed(0)
    model = mnn.VQVAE(width=4, dim=4, num_codes=16, downsamples=1)
    loss = mnn.VQGANLoss(mnn.PatchDiscriminator(width=4, n_layers=2), mnn.PerceptualLoss(mnn.FeatureNet(width=4)),
                         disc_start=disc_start, d_start=d_start)
    return model, loss


def test_trainer_warm_up_then_adversarial_term_and_branching():
    model, loss = tiny_vqgan(disc_start=3)
    trainer = mnn.VQGANTrainer(model, loss, lr=1e-3)
    data = [torch.rand(4, 3, 16, 16) for _ in range(2)]
    h = trainer.fit(data, 5, log_every=1, progress=False)
    assert h["step"] == [1, 2, 3, 4, 5]
    assert math.isnan(h["g_loss"][0]) and math.isnan(h["g_loss"][1]) and not math.isnan(h["g_loss"][2])
    assert not math.isnan(h["d_loss"][0])                  # the discriminator trains from step 1
    assert all(w > 0 for w in h["adaptive_weight"][2:])
    branch = copy.deepcopy(trainer)
    branch.reset_discriminator()
    branch.fit(data, 2, log_every=1, progress=False)
    assert trainer.step == 5 and branch.step == 7
    h = branch.history
    assert len(h["seconds"]) == 2                           # one per fit call, never NaN-padded
    assert all(len(v) == len(h["step"]) for k, v in h.items() if k != "seconds")
    before = dict(trainer.loss.discriminator.named_parameters())
    after = dict(branch.loss.discriminator.named_parameters())
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_fit_vqgan_late_discriminator_start_as_in_taming():
    model, loss = tiny_vqgan(disc_start=3, d_start=3)
    h = mnn.fit_vqgan(model, loss, [torch.rand(4, 3, 16, 16)], 4, progress=False)
    assert h["step"] == [4] and not math.isnan(h["d_loss"][0])
    model, loss = tiny_vqgan(disc_start=10, d_start=10)
    h = mnn.fit_vqgan(model, loss, [torch.rand(4, 3, 16, 16)], 2, progress=False)
    assert "d_loss" not in h                               # nothing adversarial ran


def test_reconstruction_report_of_a_perfect_model():
    from mmfuse_lite.metrics import reconstruction_report

    class Identity(torch.nn.Module):
        def forward(self, x):
            return x, None

    torch.manual_seed(0)
    images = torch.rand(40, 3, 32, 32)
    r = reconstruction_report(Identity(), images, mnn.FeatureNet(width=4), batch_size=16)
    assert r["frechet"] == pytest.approx(0.0, abs=1e-6) and r["sharpness"] == pytest.approx(1.0)
    assert r["psnr"] > 90



def test_vq_report_adds_usage_and_perplexity_over_the_whole_split():
    from mmfuse_lite.metrics import codebook_stats, reconstruction_report, vq_report
    torch.manual_seed(0)
    model, judge = mnn.VQVAE(width=8, dim=4, num_codes=16).eval(), mnn.FeatureNet(width=4)
    images = torch.rand(40, 3, 32, 32)
    r = vq_report(model, images, judge, batch_size=16)
    stats = codebook_stats(model.encode(images), 16)
    assert r == {**reconstruction_report(model, images, judge, 16), "usage": stats["usage"],
                 "perplexity": stats["perplexity"]}


def test_noise_free_images_are_the_same_scenes_without_noise_and_restore_the_noise():
    import mmfuse_lite.data.world as world_module
    from mmfuse_lite.data import ShapesWorld, image_tensor, noise_free_images
    from mmfuse_lite.metrics import psnr
    clean, noisy = noise_free_images("test", 200, 3), image_tensor(ShapesWorld("test", n=200, seed=3))
    assert world_module.NOISE_STD == 0.035
    assert 28 < psnr(clean, noisy).mean().item() < 31          # only the noise differs

def test_discriminator_step_scores_fakes_as_the_generator_step_does():
    """BatchNorm in train mode normalises with the batch it is given: the D step must score
    the fakes alone, as the G step does (taming-transformers), not inside cat([real, fake])."""
    torch.manual_seed(0)
    loss = mnn.VQGANLoss(mnn.PatchDiscriminator(width=8, n_layers=2)).train()
    real, fake = torch.rand(8, 3, 32, 32), 0.5 + 0.1 * torch.randn(8, 3, 32, 32)   # two different worlds
    _, metrics = loss.discriminator_loss(real, fake)
    with torch.no_grad():
        g_step_fake = loss.discriminator(fake).mean()        # what the generator step sees
        d_step_real = loss.discriminator(real).mean()
    assert torch.allclose(metrics["logits_fake"], g_step_fake, atol=1e-6)
    assert torch.allclose(metrics["logits_real"], d_step_real, atol=1e-6)
