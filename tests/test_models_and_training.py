import math

import pytest
import torch
import torch.nn.functional as F

from mmfuse_lite import checkpoints
from mmfuse_lite.metrics import accuracy, evaluate_psnr, probe_accuracy, psnr
from mmfuse_lite.nn import Autoencoder, Decoder, Encoder
from mmfuse_lite.train import fit, to_device


def test_autoencoder_shapes():
    m = Autoencoder(width=8, latent_channels=4, downsamples=2)
    x = torch.rand(2, 3, 32, 32)
    y, z = m(x)
    assert y.shape == x.shape and z.shape == (2, 4, 8, 8) and m.bottleneck_size(32) == 256
    assert m.decoder.last_layer.shape[0] == 3


@pytest.mark.parametrize("x, error, match", [
    (torch.rand(3, 32, 32), ValueError, "add a batch dimension"),
    (torch.rand(2, 32, 32, 3), ValueError, "channels last"),
    (torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8), TypeError, "floating point"),
    (torch.rand(2, 3, 30, 30), ValueError, "multiples of 4"),
    ([[1.0]], TypeError, "torch.Tensor"),
])
def test_encoder_rejects_bad_images(x, error, match):
    with pytest.raises(error, match=match):
        Encoder(width=8, downsamples=2)(x)


def test_decoder_rejects_wrong_latent_channels():
    with pytest.raises(ValueError, match="8 channels"):
        Decoder(width=8, latent_channels=8)(torch.rand(1, 4, 8, 8))


def test_negative_sizes_are_rejected():
    with pytest.raises(ValueError, match="width must be >= 1, got -8"):
        Autoencoder(width=-8)
    with pytest.raises(TypeError, match="latent_channels must be an int"):
        Autoencoder(latent_channels=2.0)


def test_fit_reduces_loss_and_logs():
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.randn(4, 1)
    model = torch.nn.Linear(4, 1)
    data = [(x, y)]
    h = fit(model, lambda m, b: (F.mse_loss(m(b[0]), b[1]), {"mae": (m(b[0]) - b[1]).abs().mean()}),
            data, steps=200, lr=0.05, log_every=20, progress=False)
    assert h["loss"][-1] < 0.01 * h["loss"][0] and len(h["mae"]) == len(h["step"]) == 10
    assert h["seconds"][0] > 0


def test_fit_nan_guard_names_the_step():
    model = torch.nn.Linear(2, 1)
    calls = {"n": 0}

    def loss_fn(m, batch):
        calls["n"] += 1
        return m(batch).sum() * (float("nan") if calls["n"] == 3 else 1.0)

    with pytest.raises(FloatingPointError, match="at step 3 of 10"):
        fit(model, loss_fn, [torch.ones(1, 2)], steps=10, progress=False)


@pytest.mark.parametrize("cosine", [False, True])
def test_fit_warmup_raises_the_learning_rate_linearly(cosine):
    seen = []
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def loss_fn(m, batch):
        seen.append(opt.param_groups[0]["lr"])       # the rate the previous step used
        return m(batch).sum()

    fit(model, loss_fn, [torch.ones(1, 1)], steps=8, lr=0.1, optimizer=opt, warmup=4, cosine=cosine, progress=False)
    used = seen[1:] + [opt.param_groups[0]["lr"]]
    decay = [0.5 * (1 + math.cos(math.pi * s / 8)) if cosine else 1.0 for s in range(8)]
    want = [0.1 * min(1, (s + 1) / 4) * d for s, d in enumerate(decay)]
    assert used == pytest.approx(want)
    with pytest.raises(ValueError, match="warmup.*9"):
        fit(model, loss_fn, [torch.ones(1, 1)], steps=8, warmup=9, progress=False)


def test_fit_bad_steps():
    with pytest.raises(ValueError, match="steps"):
        fit(torch.nn.Linear(1, 1), lambda m, b: m(b).sum(), [torch.ones(1, 1)], steps=0)


def test_to_device_nested():
    b = to_device({"a": torch.ones(1), "b": [torch.zeros(1), 3]}, "cpu")
    assert b["b"][1] == 3 and b["a"].device.type == "cpu"


def test_psnr_known_values():
    x = torch.full((2, 3, 4, 4), 0.5)
    y = x.clone()
    y[0] += 0.1
    y[1] += 0.01
    assert torch.allclose(psnr(y, x), torch.tensor([20.0, 40.0]), atol=1e-3)
    with pytest.raises(ValueError, match="same shape"):
        psnr(x, x[:1])


def test_evaluate_psnr_of_identity():
    class Identity(torch.nn.Module):
        def forward(self, x):
            return x + 0.1, None
    x = torch.full((5, 3, 8, 8), 0.5)
    assert math.isclose(evaluate_psnr(Identity(), x, batch_size=2), 20.0, abs_tol=1e-3)


def test_probe_accuracy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 5, generator=g)
    y = (x[:, 0] > 0).long()
    assert probe_accuracy(x[:300], y[:300], x[300:], y[300:]) > 0.95
    noise = torch.randint(0, 2, (400,), generator=g)
    assert abs(probe_accuracy(x[:300], noise[:300], x[300:], noise[300:]) - 0.5) < 0.15
    with pytest.raises(ValueError, match="differ in width"):
        probe_accuracy(x, y, x[:, :2], y)
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        accuracy(torch.zeros(3), torch.zeros(3))


def test_checkpoint_roundtrip(tmp_path):
    m = Autoencoder(width=4, latent_channels=2)
    path = checkpoints.save(m, tmp_path / "ae", config={"width": 4}, metrics={"psnr": 20.0}, command="pytest")
    assert path.suffix == ".safetensors" and (tmp_path / "ae.json").exists()
    m2 = Autoencoder(width=4, latent_channels=2)
    card = checkpoints.load(m2, tmp_path / "ae.safetensors")
    assert card["metrics"]["psnr"] == 20.0 and card["model"] == "Autoencoder" and card["command"] == "pytest"
    for k, v in m.state_dict().items():
        assert torch.equal(v, m2.state_dict()[k])


def test_checkpoint_mismatch_is_explained(tmp_path):
    checkpoints.save(Autoencoder(width=4, latent_channels=2), tmp_path / "ae", config={"width": 4})
    with pytest.raises(ValueError, match="(?s)does not match Autoencoder.*shape mismatch"):
        checkpoints.load(Autoencoder(width=8, latent_channels=2), tmp_path / "ae")
    with pytest.raises(FileNotFoundError):
        checkpoints.load(Autoencoder(), tmp_path / "missing")


def test_vector_quantizer_maps_and_sequences():
    from mmfuse_lite.nn import VectorQuantizer, nearest_code
    vq = VectorQuantizer(num_codes=16, dim=4)
    out = vq(torch.randn(2, 4, 5, 6))
    assert out.quantized.shape == (2, 4, 5, 6) and out.indices.shape == (2, 5, 6)
    assert torch.allclose(out.loss, out.codebook_loss + 0.25 * out.commitment_loss)
    assert torch.allclose(vq.lookup(out.indices), out.quantized, atol=1e-6)
    seq = vq(torch.randn(3, 7, 4))
    assert seq.quantized.shape == (3, 7, 4) and seq.indices.shape == (3, 7)
    z, book = torch.randn(100, 4), torch.randn(16, 4)
    assert torch.equal(nearest_code(z, book), torch.cdist(z, book).argmin(1))


@pytest.mark.parametrize("z, error, match", [
    (torch.randn(2, 8, 4, 4), ValueError, "8 channels in dim 1.*dim=4"),
    (torch.randn(2, 5, 8), ValueError, "8 channels in dim 2"),
    (torch.randn(4, 4), ValueError, r"\(B, C, H, W\) or a sequence"),
    (torch.ones(2, 4, 3, 3, dtype=torch.long), TypeError, "floating-point"),
])
def test_vector_quantizer_rejects_bad_input(z, error, match):
    from mmfuse_lite.nn import VectorQuantizer
    with pytest.raises(error, match=match):
        VectorQuantizer(num_codes=16, dim=4)(z)


def test_vector_quantizer_lookup_and_args():
    from mmfuse_lite.nn import VectorQuantizer
    vq = VectorQuantizer(num_codes=8, dim=4)
    with pytest.raises(ValueError, match=r"in \[0, 8\)"):
        vq.lookup(torch.tensor([[9]]))
    with pytest.raises(TypeError, match="integer"):
        vq.lookup(torch.tensor([[1.0]]))
    with pytest.raises(ValueError, match="num_codes"):
        VectorQuantizer(num_codes=0)


def test_vqvae_encode_decode_and_loss():
    from mmfuse_lite.nn import VQVAE, vqvae_loss
    m = VQVAE(width=4, dim=4, num_codes=8, downsamples=1)
    x = torch.rand(2, 3, 32, 32)
    codes = m.encode(x)
    assert codes.shape == (2, 16, 16) and codes.dtype == torch.long
    assert m.decode(codes).shape == x.shape
    loss, parts = vqvae_loss(m, {"image": x})
    assert loss.dim() == 0 and set(parts) == {"reconstruction", "codebook", "commitment", "batch_usage"}


def test_codebook_stats():
    from mmfuse_lite.metrics import codebook_stats
    s = codebook_stats(torch.arange(4).repeat(3), 8)
    assert s["usage"] == 0.5 and abs(s["perplexity"] - 4) < 1e-5 and s["counts"].sum() == 12
    assert abs(codebook_stats(torch.zeros(5, dtype=torch.long), 8)["perplexity"] - 1) < 1e-6
    with pytest.raises(ValueError, match=r"in \[0, 8\)"):
        codebook_stats(torch.tensor([8]), 8)
    with pytest.raises(TypeError):
        codebook_stats(torch.tensor([0.5]), 8)
