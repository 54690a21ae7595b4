"""Multi-task learning (chapter 7, section 7.8): the shared trunk, the weightings, the mixed batches."""
import pytest
import torch

from mmfuse_lite.data import COUNT_WORDS, ShapesWorld, WordTokenizer
from mmfuse_lite.nn import multitask as MT
from mmfuse_lite.train import fit

TASKS = {"colour": 6, "count": 3, "where": 4}


def toy_data(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {t: {"image": torch.randn(n, 16, 8, 8, generator=g), "text": torch.randint(1, 20, (n, 4 + i), generator=g),
                "label": torch.randint(0, k, (n,), generator=g)} for i, (t, k) in enumerate(TASKS.items())}


def test_count_questions_ask_the_number_of_objects():
    world = ShapesWorld("test", n=60, seed=1)
    idx, texts, labels = world.task("count")
    assert len(idx) == 60 and (labels == world.scenes["count"][idx] - 1).all()
    assert all(t.startswith("how many shapes are") for t in texts)
    with pytest.raises(ValueError, match="COUNT_WORDS"):
        WordTokenizer().require(texts)
    WordTokenizer(extra_words=COUNT_WORDS).require(texts)


def test_mixed_batches_hold_every_task_and_pad_the_texts():
    data = toy_data()
    batch = next(iter(MT.MixedBatches(data, batch_size=5, seed=0)))
    assert batch["task"].tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert batch["text"].shape == (15, 6) and batch["image"].shape == (15, 16, 8, 8)
    # a small task cycles on its own: many batches never run dry
    small = dict(data, colour={k: v[:3] for k, v in data["colour"].items()})
    it = iter(MT.MixedBatches(small, batch_size=5))
    for _ in range(7):
        b = next(it)
    assert (b["task"] == 0).sum() <= 5 and (b["task"] == 1).sum() == 5


def test_each_task_gets_its_rows_and_only_its_head_trains_on_them():
    torch.manual_seed(0)
    model = MT.build_multitask(TASKS, 20, width=8)
    batch = next(iter(MT.MixedBatches(toy_data(), 4)))
    out = model(batch)
    assert {t: v.shape for t, v in out.items()} == {"colour": (4, 6), "count": (4, 3), "where": (4, 4)}
    loss, metrics = MT.multitask_loss(model, batch)
    loss.backward()
    assert set(metrics) == {f"loss_{t}" for t in TASKS} | {f"weight_{t}" for t in TASKS}
    assert all(p.grad is not None for p in model.heads.parameters())
    model.zero_grad()
    only = {k: v[:4] for k, v in batch.items()}                       # colour rows only
    assert set(model(only)) == {"colour"}
    with pytest.raises(ValueError, match="no rows of the tasks"):
        MT.multitask_loss(model, only)


def test_uncertainty_weights_go_to_one_over_twice_the_loss():
    losses = torch.tensor([2.0, 0.1, 0.5])
    w = MT.UncertaintyWeights(TASKS)
    opt = torch.optim.Adam(w.parameters(), 0.05)
    for _ in range(1500):
        total = w(losses)
        opt.zero_grad(); total.backward(); opt.step()
    assert torch.allclose(torch.exp(-w.log_vars.detach()), 1 / (2 * losses), rtol=0.01)
    assert MT.FixedWeights(TASKS, {"colour": 1, "count": 0.5, "where": 2})(losses) == pytest.approx(2 + 0.05 + 1)


def test_a_short_shared_run_learns_and_checkpoints_round_trip(tmp_path):
    from mmfuse_lite import checkpoints
    torch.manual_seed(0)
    data = toy_data(24)
    model = MT.build_multitask(TASKS, 20, width=8, weighting="uncertainty")
    hist = fit(model, MT.multitask_loss, MT.MixedBatches(data, 8), 60, lr=3e-3, progress=False, log_every=5)
    assert hist["loss_count"][-1] < hist["loss_count"][0]
    assert model.weighting.log_vars.requires_grad and (model.weighting.log_vars != 0).all()
    scores = MT.evaluate_tasks(model, data)
    assert set(scores) == set(TASKS) and all(0 <= v <= 1 for v in scores.values())
    checkpoints.save(model, tmp_path / "m", config=dict(tasks=TASKS, vocab_size=20, dim=32, width=8,
                                                         weighting="uncertainty"))
    again = MT.build_multitask(TASKS, 20, width=8, weighting="uncertainty")
    checkpoints.load(again, tmp_path / "m")
    assert MT.evaluate_tasks(again, data) == scores


def test_bad_input_is_named():
    model = MT.build_multitask(TASKS, 20, width=8)
    batch = next(iter(MT.MixedBatches(toy_data(), 4)))
    with pytest.raises(ValueError, match="'task'"):
        model({k: v for k, v in batch.items() if k != "task"})
    with pytest.raises(ValueError, match="1-D long tensor"):
        model(dict(batch, task=batch["task"].float()))
    with pytest.raises(ValueError, match=r"tasks 0..2"):
        model(dict(batch, task=batch["task"] + 1))
    with pytest.raises(ValueError, match="number of answers"):
        MT.build_multitask({"colour": 1}, 20)
    with pytest.raises(ValueError, match="weighting must be"):
        MT.build_multitask(TASKS, 20, weighting="gradnorm")
    with pytest.raises(ValueError, match="learns its own"):
        MT.build_multitask(TASKS, 20, weighting="uncertainty", weights={t: 1.0 for t in TASKS})
    with pytest.raises(ValueError, match="every task"):
        MT.FixedWeights(TASKS, {"colour": 1.0})
    with pytest.raises(ValueError, match="same length"):
        MT.uncertainty_total(torch.ones(3), torch.zeros(2))
    with pytest.raises(ValueError, match="lacks"):
        MT.MixedBatches({"colour": {"image": torch.zeros(2, 16, 8, 8), "label": torch.zeros(2)}})
    with pytest.raises(TypeError, match="non-empty dict"):
        MT.MixedBatches([])
    with pytest.raises(ValueError, match="no head for"):
        MT.evaluate_tasks(model, {"hop": toy_data()["colour"]})
    with pytest.raises(ValueError, match="tasks must be a list"):
        MT.multitask_data("test", 10, 0, tasks=("colour", "hop"))
