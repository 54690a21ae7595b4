"""Faults leave no damage: a non-finite loss, a save that fails half-way, a damaged or
foreign checkpoint, a download that does not match its pin, a checker fed a wrong answer."""
from __future__ import annotations

import inspect
import json
import threading

import pytest
import torch

import mmfuse_lite.nn as mnn
from mmfuse_lite import checkpoints, exercises
from mmfuse_lite.train import fit


def state(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def assert_unchanged(before: dict, module: torch.nn.Module):
    after = module.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert not changed, f"a failed step changed {changed}"


def nan_images(b=4):
    x = torch.rand(b, 3, 32, 32)
    x[0, 0, 0, 0] = float("nan")
    return x


def vqvae_loss_on(model, batch):
    return mnn.vqvae_loss(model, batch)


@pytest.mark.parametrize("quantizer", [
    dict(),                                                    # chapter 3: BatchNorm statistics only
    dict(ema_decay=0.99),                                      # an EMA codebook written in the forward pass
    dict(ema_decay=0.99, restart_below=0.5),                   # and restarts
    dict(kmeans_init=True),                                    # k-means writes the codebook on the first step
])
def test_a_nan_batch_changes_nothing(quantizer):
    torch.manual_seed(0)
    model = mnn.VQVAE(width=4, dim=4, num_codes=8, quantizer=mnn.VectorQuantizer(8, 4, **quantizer))
    fit(model, vqvae_loss_on, [torch.rand(4, 3, 32, 32)], 2, progress=False)    # some real state first
    before = state(model)
    with pytest.raises(FloatingPointError):
        fit(model, vqvae_loss_on, [nan_images()], 1, progress=False)
    assert_unchanged(before, model)


def test_a_nan_loss_changes_no_batchnorm_statistic():
    model = mnn.Autoencoder(width=4, latent_channels=2)
    before = state(model)
    loss = lambda m, b: ((m(b)[0] - b) ** 2).mean() * float("inf")   # noqa: E731
    with pytest.raises(FloatingPointError, match="nothing was updated"):
        fit(model, loss, [torch.rand(4, 3, 32, 32)], 1, progress=False)
    assert_unchanged(before, model)


def test_any_error_in_a_step_restores_the_running_statistics():
    model = mnn.Autoencoder(width=4, latent_channels=2)
    before = state(model)

    def loss(m, b):
        m(b)                                    # BatchNorm statistics move...
        raise RuntimeError("a bug in the loss")  # ...then the learner's loss fails

    with pytest.raises(RuntimeError, match="a bug"):
        fit(model, loss, [torch.rand(4, 3, 32, 32)], 1, progress=False)
    assert_unchanged(before, model)


def test_vqgan_step_with_a_nan_changes_nothing():
    torch.manual_seed(0)
    model, disc = mnn.VQVAE(width=4, dim=4, num_codes=8), mnn.PatchDiscriminator(width=4, n_layers=2)
    trainer = mnn.VQGANTrainer(model, mnn.VQGANLoss(disc))
    trainer.fit([torch.rand(4, 3, 32, 32)], 2, progress=False)
    before, before_d, step = state(model), state(disc), trainer.step
    opt = json.dumps(str(trainer.opt_g.state_dict()["state"]))
    with pytest.raises(FloatingPointError, match="nothing was updated"):
        trainer.train_step(nan_images())
    assert_unchanged(before, model)
    assert_unchanged(before_d, disc)
    assert trainer.step == step and json.dumps(str(trainer.opt_g.state_dict()["state"])) == opt


def test_fit_never_hangs_on_an_empty_source():
    """Each of these used to spin forever; now each raises at once (a thread guards the test)."""
    model = mnn.Autoencoder(width=4, latent_channels=2)
    loss = lambda m, b: ((m(b)[0] - b) ** 2).mean()   # noqa: E731
    sources = [[], iter([]), torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(3, 3, 32, 32)),
                                                          batch_size=4, drop_last=True)]
    for source in sources:
        outcome = []
        t = threading.Thread(target=lambda: outcome.append(_raises(fit, model, loss, source, 5, progress=False)),
                             daemon=True)
        t.start()
        t.join(timeout=20)
        assert not t.is_alive(), f"fit hung on {source!r}"
        assert outcome == [ValueError], outcome


def _raises(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:      # noqa: BLE001 - the test inspects the type
        return type(e)
    return None


# --- checkpoints -------------------------------------------------------------------

def small():
    torch.manual_seed(0)
    return mnn.Autoencoder(width=4, latent_channels=2)


def test_names_with_dots_keep_their_dots(tmp_path):
    a, b = small(), mnn.Autoencoder(width=4, latent_channels=2)
    checkpoints.save(a, tmp_path / "run_beta0.25", metrics={"beta": 0.25})
    checkpoints.save(b, tmp_path / "run_beta0.5", metrics={"beta": 0.5})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_beta0.25.json", "run_beta0.25.safetensors",
                                                          "run_beta0.5.json", "run_beta0.5.safetensors"]
    model = mnn.Autoencoder(width=4, latent_channels=2)
    card = checkpoints.load(model, tmp_path / "run_beta0.25")
    assert card["metrics"]["beta"] == 0.25
    assert all(torch.equal(v, a.state_dict()[k]) for k, v in model.state_dict().items())
    assert checkpoints.load_card(tmp_path / "run_beta0.5.safetensors")["metrics"]["beta"] == 0.5


def test_a_save_that_fails_half_way_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    old = small()
    checkpoints.save(old, tmp_path / "ckpt", metrics={"version": 1})
    weights_before = (tmp_path / "ckpt.safetensors").read_bytes()
    card_before = (tmp_path / "ckpt.json").read_text()

    def broken_write(self, text, *args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(checkpoints.pathlib.Path, "write_text", broken_write)   # the card fails after the weights
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save(mnn.Autoencoder(width=4, latent_channels=2), tmp_path / "ckpt", metrics={"version": 2})
    monkeypatch.undo()
    assert (tmp_path / "ckpt.safetensors").read_bytes() == weights_before
    assert (tmp_path / "ckpt.json").read_text() == card_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.json", "ckpt.safetensors"], "temporary files left"


@pytest.mark.parametrize("damage, needle", [
    (lambda p: p.write_bytes(b""), "empty, truncated or corrupted"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "empty, truncated or corrupted"),
    (lambda p: p.write_bytes(b"\x80\x04garbage" * 10), "empty, truncated or corrupted"),
])
def test_a_damaged_weights_file_is_named(tmp_path, damage, needle):
    checkpoints.save(small(), tmp_path / "ckpt")
    damage(tmp_path / "ckpt.safetensors")
    model = mnn.Autoencoder(width=4, latent_channels=2)
    before = state(model)
    with pytest.raises(ValueError, match=needle) as info:
        checkpoints.load(model, tmp_path / "ckpt")
    assert "ckpt.safetensors" in str(info.value)
    assert_unchanged(before, model)


def test_a_truncated_card_is_named(tmp_path):
    checkpoints.save(small(), tmp_path / "ckpt")
    card = tmp_path / "ckpt.json"
    card.write_text(card.read_text()[:40])
    with pytest.raises(ValueError, match="not valid JSON") as info:
        checkpoints.load(mnn.Autoencoder(width=4, latent_channels=2), tmp_path / "ckpt")
    assert "ckpt.json" in str(info.value)


def test_a_foreign_checkpoint_is_refused(tmp_path):
    checkpoints.save(mnn.FeatureNet(4), tmp_path / "judge")
    with pytest.raises(ValueError, match="saved from a FeatureNet.*not a Autoencoder"):
        checkpoints.load(mnn.Autoencoder(width=4, latent_channels=2), tmp_path / "judge")
    checkpoints.save(mnn.Autoencoder(width=8, latent_channels=2), tmp_path / "wide")
    with pytest.raises(ValueError, match="shape mismatch"):
        checkpoints.load(mnn.Autoencoder(width=4, latent_channels=2), tmp_path / "wide")


def test_a_download_that_does_not_match_its_pin_is_refused(tmp_path, monkeypatch):
    """Colab's path: no data/ folder, so shipped() downloads; a wrong file is not kept."""
    import urllib.request
    monkeypatch.setattr(checkpoints, "_SHIPPED", tmp_path / "no_clone")
    monkeypatch.setattr(checkpoints.pathlib.Path, "home", lambda: tmp_path)
    monkeypatch.setattr("mmfuse_lite.runtime.is_online", lambda host="": True)
    source = checkpoints.pathlib.Path(checkpoints.__file__).resolve().parents[1] / "data" / "checkpoints"

    def fake_download(url, target):
        name = url.rsplit("/", 1)[1]
        data = (source / name).read_bytes()
        checkpoints.pathlib.Path(target).write_bytes(data if name.endswith(".json") else data[:-1] + b"x")
    monkeypatch.setattr(urllib.request, "urlretrieve", fake_download)
    with pytest.raises(ValueError, match="SHA-256.*not kept"):
        checkpoints.shipped("shapes_judge")
    cached = list((tmp_path / ".cache" / "mmfuse").iterdir())
    assert all(not p.name.endswith(".safetensors") for p in cached), "a mismatching file was kept"

    def honest_download(url, target):
        checkpoints.pathlib.Path(target).write_bytes((source / url.rsplit("/", 1)[1]).read_bytes())
    monkeypatch.setattr(urllib.request, "urlretrieve", honest_download)
    path = checkpoints.shipped("shapes_judge")
    assert path.parent == tmp_path / ".cache" / "mmfuse"
    mnn.perceptual.load_feature_net("shapes_judge")   # still from the clone; the cached copy loads too:
    net = mnn.FeatureNet(**checkpoints.load_card(path)["config"])
    checkpoints.load(net, path)


def test_weights_never_go_through_pickle(tmp_path, monkeypatch):
    import pickle
    checkpoints.save(small(), tmp_path / "ckpt")
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("pickle.load was called"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads was called"))
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    checkpoints.load(mnn.Autoencoder(width=4, latent_channels=2), tmp_path / "ckpt")


# --- exercise checkers -------------------------------------------------------------

WRONG_ANSWERS = {
    "raises": lambda *a: 1 / 0,
    "returns None": lambda *a: None,
    "returns a string": lambda *a: "42",
    "returns a scalar": lambda *a: torch.tensor(1.0),
    "returns the wrong shape": lambda *a: torch.zeros(7, 3),
    "returns an int tensor": lambda *a: torch.zeros(2, 2, dtype=torch.long),
    "returns a detached copy of an input": lambda *a: next((x.detach() for x in a if torch.is_tensor(x)), None),
    "returns a tuple": lambda *a: (torch.zeros(1), torch.zeros(1)),
}
CHECKERS = [n for n in exercises.__all__ if n.startswith("check_")]


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("answer", WRONG_ANSWERS)
def test_a_checker_turns_any_wrong_answer_into_feedback(checker, answer):
    """Never torch's own error: an ExerciseError that names the checker."""
    with pytest.raises(exercises.ExerciseError) as info:
        getattr(exercises, checker)(WRONG_ANSWERS[answer])
    assert checker in str(info.value)


def test_straight_through_detached_answer_gets_a_specific_hint():
    with pytest.raises(exercises.ExerciseError, match="detached from z"):
        exercises.check_straight_through(lambda z, z_q: z_q.detach())


def test_checkers_keep_their_signatures_and_docs():
    for name in CHECKERS:
        fn = getattr(exercises, name)
        assert fn.__doc__ and list(inspect.signature(fn).parameters) == ["fn"], name
