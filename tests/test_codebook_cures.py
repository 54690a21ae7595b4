"""The collapse cures of chapter 4: EMA, k-means init, restarts, cosine codes, FSQ."""
import pathlib
import subprocess
import sys

import pytest
import torch

import mmfuse_lite.nn as mnn

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ema_update_moves_used_codes_to_their_mean_and_unused_ones_only_for_a_while():
    k = 4
    size, total = torch.ones(k), torch.tensor([[0.0, 0], [1, 1], [2, 2], [3, 3]])
    start = total.clone()
    h = torch.tensor([[10.0, 0], [12, 0]])
    idx = torch.tensor([0, 0])
    unused = {}
    for step in range(1, 2001):
        book = mnn.ema_update(size, total, h, idx, decay=0.99)
        unused[step] = book[3].norm().item() / start[3].norm().item()
        if step == 500:   # unused codes keep their place while their count is large against eps ...
            assert torch.allclose(book[1:], start[1:], rtol=1e-2)
    assert torch.allclose(book[0], torch.tensor([11.0, 0]), atol=1e-3)        # the mean of its vectors
    # ... then slide to the origin once 0.99**t falls to eps = 1e-5 (t about 1,150):
    # a code at (3, 3) keeps 81% of its norm after 1,000 steps, 3% after 1,500
    assert 0.75 < unused[1000] < 0.87 and unused[1500] < 0.05 and unused[2000] < 1e-3


def test_ema_update_one_step_by_hand():
    size, total = torch.tensor([2.0, 2.0]), torch.tensor([[2.0], [4.0]])
    book = mnn.ema_update(size, total, torch.tensor([[3.0]]), torch.tensor([0]), decay=0.5, eps=0.0)
    assert torch.allclose(size, torch.tensor([1.5, 1.0])) and torch.allclose(total, torch.tensor([[2.5], [2.0]]))
    assert torch.allclose(book, torch.tensor([[2.5 / 1.5], [2.0]]))


def test_kmeans_converges_to_a_fixed_point_better_than_its_seeds():
    torch.manual_seed(0)
    x = torch.randn(500, 3)
    torch.manual_seed(1)
    found = mnn.kmeans(x, 8, iters=50)
    torch.manual_seed(1)
    seeds = x[torch.randperm(500)[:8]]
    idx = mnn.nearest_code(x, found)
    means = torch.stack([x[idx == j].mean(0) for j in range(8)])
    assert torch.allclose(found, means, atol=1e-5)                    # each centroid is the mean of its points
    inertia = lambda c: (x - c[mnn.nearest_code(x, c)]).pow(2).sum()
    assert inertia(found) < 0.8 * inertia(seeds)


def test_ema_quantizer_codebook_has_no_gradient_but_encoder_does():
    q = mnn.VectorQuantizer(8, 4, ema_decay=0.99).train()
    z = torch.randn(2, 4, 3, 3, requires_grad=True)
    out = q(z)
    (out.quantized.sum() + out.loss).backward()
    assert q.codebook.weight.grad is None and z.grad.abs().sum() > 0
    assert "cluster_size" in q.state_dict() and "code_sum" in q.state_dict()


def test_default_quantizer_state_dict_is_unchanged():
    assert list(mnn.VectorQuantizer(8, 4).state_dict()) == ["codebook.weight"]


def test_kmeans_init_happens_once_in_training_only():
    torch.manual_seed(0)
    z = 5 + torch.randn(4, 3, 6, 6)
    q = mnn.VectorQuantizer(16, 3, kmeans_init=True)
    q.eval()(z)
    assert not q.initialised and q.codebook.weight.abs().max() < 1
    q.train()(z)
    assert q.initialised and q.codebook.weight.mean() > 3
    before = q.codebook.weight.clone()
    q(z + 100)
    assert torch.equal(before, q.codebook.weight)


def test_restart_moves_dead_codes_onto_data():
    torch.manual_seed(0)
    q = mnn.VectorQuantizer(32, 2, restart_below=1.0, restart_grace=0).train()
    q.codebook.weight.data[1:] += 1000                      # all but code 0 far away: dead
    z = torch.randn(1, 2, 8, 8)
    q(z)
    data = z.permute(0, 2, 3, 1).reshape(-1, 2)
    restarted = q.codebook.weight[1:]
    assert (restarted[:, None] - data[None]).abs().sum(-1).min(1).values.max() == 0   # each is a data vector


def test_restart_waits_for_the_grace_period():
    """No restart at step 1 (it would be a data initialisation), nor right after a restart."""
    torch.manual_seed(0)
    q = mnn.VectorQuantizer(32, 2, restart_below=1.0, restart_grace=20).train()
    q.codebook.weight.data[1:] += 1000                      # all but code 0 far away: unused
    start = q.codebook.weight.detach().clone()
    moved_at = []
    for step in range(1, 31):
        before = q.codebook.weight.detach().clone()
        q(torch.randn(1, 2, 8, 8) + 1000 * (step > 21))     # after the restart, data far from every code
        moved = (q.codebook.weight != before).any(1)
        moved_at.append(int(moved[1:].sum()))
        if step < 20:
            assert torch.equal(q.codebook.weight[1:], start[1:]), f"restarted at step {step}"
    assert sum(moved_at[19:21]) == 31                       # all 31 unused codes, once their grace ran out
    assert sum(moved_at[21:]) == 0                          # restarted codes that miss a batch get the grace again


def test_ema_unused_code_slides_to_the_origin_inside_the_quantizer():
    q = mnn.VectorQuantizer(2, 2, ema_decay=0.99).train()
    q.codebook.weight.data.copy_(torch.tensor([[0.0, 0.0], [3.0, 3.0]]))
    q.code_sum.copy_(q.codebook.weight * q.cluster_size[:, None])
    for step in range(1, 1501):
        q(torch.zeros(1, 2, 2, 2) + 0.01 * torch.randn(1, 2, 2, 2))       # everything goes to code 0
        if step == 500:
            assert q.codebook.weight[1].norm() > 0.99 * 18 ** 0.5
    assert q.codebook.weight[1].norm() < 0.05 * 18 ** 0.5


def test_lookup_runs_in_float32_under_autocast():
    torch.manual_seed(0)
    q = mnn.VectorQuantizer(512, 8)
    q.codebook.weight.data.normal_()
    z = 2 * torch.randn(16, 8, 16, 16)
    expected = q(z)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = q(z)
    assert torch.equal(got.indices, expected.indices)     # in bfloat16 about 1.6% of them changed
    assert got.loss.dtype == torch.float32 and torch.allclose(got.loss, expected.loss)


def test_cosine_and_projection_lookup_matches_forward():
    q = mnn.VectorQuantizer(16, 8, code_dim=3, cosine=True).train()
    out = q(torch.randn(2, 8, 4, 4))
    assert torch.allclose(q.codes().norm(dim=1), torch.ones(16))
    assert torch.allclose(q.lookup(out.indices), out.quantized, atol=1e-6)
    assert out.quantized.shape == (2, 8, 4, 4)


def test_fsq_reaches_every_code_and_round_trips():
    f = mnn.FSQ((8, 5, 3))
    grid = torch.stack(torch.meshgrid(*[torch.linspace(-6, 6, 60)] * 3, indexing="ij"), -1).reshape(1, -1, 3)
    out = f(grid)
    assert out.indices.unique().numel() == f.num_codes == 120
    assert torch.allclose(f.lookup(out.indices), out.quantized)
    values = out.quantized.reshape(-1, 3)
    assert values.min(0).values.tolist() == [-1, -1, -1] and values.max(0).values.tolist() == [0.75, 1, 1]


def test_fsq_bound_gives_exactly_the_levels():
    levels = torch.tensor([8, 5])
    rounded = mnn.fsq_bound(torch.linspace(-20, 20, 4001)[:, None].expand(-1, 2), levels).round()
    assert rounded[:, 0].unique().tolist() == list(range(-4, 4))
    assert rounded[:, 1].unique().tolist() == list(range(-2, 3))


def test_fsq_straight_through_gradient():
    f = mnn.FSQ((5, 5))
    z = torch.randn(3, 7, 2, requires_grad=True)
    f(z).quantized.sum().backward()
    assert z.grad.abs().sum() > 0


@pytest.mark.parametrize("levels, match", [((2, 4), ">= 3"), ((), ">= 3"), ((4.0, 4), ">= 3")])
def test_fsq_rejects_bad_levels(levels, match):
    with pytest.raises(ValueError, match=match):
        mnn.FSQ(levels)


def test_fsq_rejects_wrong_channels():
    with pytest.raises(ValueError, match="expects 8 channels in dim 1"):
        mnn.FSQ((8, 8), dim=8)(torch.randn(1, 4, 2, 2))


def test_quantizer_options_are_checked():
    with pytest.raises(ValueError, match="ema_decay must be in"):
        mnn.VectorQuantizer(8, 4, ema_decay=1.5)
    with pytest.raises(ValueError, match="restart_below"):
        mnn.VectorQuantizer(8, 4, restart_below=-1)
    with pytest.raises(ValueError, match="restart_grace"):
        mnn.VectorQuantizer(8, 4, restart_below=1.0, restart_grace=-1)


def test_vqvae_accepts_a_quantizer_and_checks_its_dim():
    m = mnn.VQVAE(width=4, dim=8, downsamples=1, quantizer=mnn.FSQ((5, 5), dim=8))
    x = torch.rand(2, 3, 8, 8)
    codes = m.encode(x)
    assert codes.max() < 25 and m.decode(codes).shape == x.shape
    loss, parts = mnn.vqvae_loss(m.train(), x)
    assert 0 < parts["batch_usage"] <= 1
    with pytest.raises(ValueError, match="dim=4 channels"):
        mnn.VQVAE(dim=8, quantizer=mnn.VectorQuantizer(16, 4))


def test_speed_benchmark_runs():
    from mmfuse_lite import vq_speed
    results = vq_speed.main(["--quick"])
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "vq_speed.py"), "--quick"],
                         capture_output=True, text=True, check=True).stdout
    assert "ratio" in out and "ema" in out
    assert {r["codebook"] for r in results} == {"gradient", "ema"}
    assert all(r["ratio"] > 0 and r["package_ms"] > 0 for r in results)
