import time

import pytest
import torch

from mmfuse_lite import runtime
from mmfuse_lite.runtime import Config, banner, get_profile, get_seed, is_colab, is_online, setup


def test_setup_reads_profile_and_seed(monkeypatch, capsys):
    monkeypatch.setenv("MMFUSE_PROFILE", "ci")
    monkeypatch.setenv("MMFUSE_SEED", "3")
    cfg = setup()
    assert isinstance(cfg, Config) and cfg.profile == "ci" and cfg.seed == 3 and cfg.device == "cpu"
    line = capsys.readouterr().out.strip()
    assert "profile=ci" in line and "seed=3" in line and torch.__version__ in line and "device=cpu" in line


def test_setup_seeds_torch():
    setup("ci", seed=5, quiet=True)
    a = torch.rand(3)
    setup("ci", seed=5, quiet=True)
    assert torch.equal(a, torch.rand(3))


def test_profiles_scale_up():
    ci, cpu, gpu = (setup(p, quiet=True) for p in ("ci", "cpu", "gpu"))
    assert ci.steps < cpu.steps < gpu.steps and ci.n_train < cpu.n_train < gpu.n_train
    assert not ci.amp


def test_default_profile_is_the_verified_one_even_with_cuda(monkeypatch):
    monkeypatch.delenv("MMFUSE_PROFILE", raising=False)
    assert get_profile() == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)      # as on Colab with a GPU
    assert get_profile() == "cpu"


def test_banner_says_whether_the_profile_is_verified():
    from mmfuse_lite import runtime
    assert "verified: CI runs it in make book" in runtime.banner(setup("cpu", quiet=True))
    assert "not yet verified on a GPU" in runtime.banner(setup("gpu", quiet=True))


def test_unknown_profile_is_a_clear_error(monkeypatch):
    with pytest.raises(ValueError, match="unknown profile 'fast'.*ci, cpu, gpu"):
        get_profile("fast")
    monkeypatch.setenv("MMFUSE_PROFILE", "laptop")
    with pytest.raises(ValueError, match="laptop"):
        setup()


def test_bad_seeds(monkeypatch):
    with pytest.raises(ValueError, match="non-negative"):
        get_seed(-1)
    with pytest.raises(TypeError):
        get_seed(1.5)
    monkeypatch.setenv("MMFUSE_SEED", "abc")
    with pytest.raises(ValueError, match="MMFUSE_SEED"):
        get_seed()
    monkeypatch.delenv("MMFUSE_SEED")
    assert get_seed() == runtime.DEFAULT_SEED


def test_bad_device():
    with pytest.raises(ValueError, match="device"):
        setup("ci", device="tpu", quiet=True)


def test_banner_and_colab():
    assert banner(setup("ci", seed=1, quiet=True)).startswith("mmfuse | profile=ci")
    assert is_colab() is False


def test_is_online_never_hangs(monkeypatch):
    start = time.perf_counter()
    assert is_online("10.255.255.1", 443, timeout=0.5) is False   # no TLS peer there: never hangs
    assert is_online("nonexistent.invalid", timeout=0.5) is False
    assert time.perf_counter() - start < 2
    monkeypatch.setenv("MMFUSE_OFFLINE", "1")
    assert is_online() is False


def test_a_cpu_run_is_repeatable_to_the_last_bit():
    """Two trainings with the same seed agree exactly (multithreaded CPU kernels otherwise differ)."""
    import torch
    from mmfuse_lite.data import ShapesWorld, image_tensor
    from mmfuse_lite.nn import VQVAE
    from mmfuse_lite.runtime import setup

    def train():
        setup(profile="ci", seed=0, device="cpu", quiet=True)
        x = image_tensor(ShapesWorld("train", n=64, seed=0))
        model = VQVAE(width=8, dim=16, num_codes=64, downsamples=1)
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        for step in range(10):
            xb = x[(step * 16) % 64:(step * 16) % 64 + 16]
            x_hat, vq = model(xb)
            loss = (x_hat - xb).abs().mean() + vq.loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    assert torch.equal(train(), train())
    assert torch.are_deterministic_algorithms_enabled()
