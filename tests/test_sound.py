"""Chapter 10's parts: the sound tokenizer, Griffin-Lim, the sound judge, and code translation."""
import numpy as np
import pytest
import torch

from mmfuse_lite import judging
from mmfuse_lite.data import ShapesWorld
from mmfuse_lite.nn import sound_judge as J
from mmfuse_lite.nn import sound_vq as S
from mmfuse_lite.nn import translate as T
from mmfuse_lite.data import Batches
from mmfuse_lite.train import fit


@pytest.fixture(scope="module")
def world():
    return ShapesWorld("val", n=64, seed=1)


@pytest.fixture(scope="module")
def spec(world):
    return S.sound_spectrogram(torch.from_numpy(world.sounds))


def test_spectrogram_has_eight_frames_per_note(world, spec):
    assert spec.shape == (64, S.BINS, S.FRAMES) and S.FRAMES == 3 * 8
    one = world.scenes["count"] == 1
    # after its note (whose last milliseconds leak into frame 8: the windows overlap), only the noise floor
    assert (spec[one, :, 9:].amax((1, 2)) < 0.15 * spec[one, :, :8].amax((1, 2))).all()
    with pytest.raises(ValueError, match=r"\(B, 3000\) Shapes sounds"):
        S.sound_spectrogram(torch.zeros(2, 1000))
    with pytest.raises(ValueError, match=r"\(B, 3000\) Shapes sounds"):
        S.sound_spectrogram(torch.zeros(2, 4000))
    with pytest.raises(TypeError):
        S.sound_spectrogram(torch.zeros(2, 3000, dtype=torch.long))


def test_griffin_lim_gets_closer_with_iterations(spec):
    err = [torch.nn.functional.mse_loss(S.sound_spectrogram(S.griffin_lim(spec[:8], iters=k)), spec[:8]).item()
           for k in (0, 16)]
    assert err[1] < 0.7 * err[0]
    wave = S.griffin_lim(spec[:2])
    assert wave.shape == (2, 3000) and wave.abs().max() <= 1
    assert torch.equal(wave, S.griffin_lim(spec[:2])), "seeded: the same phases every time"
    with pytest.raises(ValueError, match=r"\(B, 129, 24\)"):
        S.griffin_lim(torch.zeros(1, 64, 24))
    with pytest.raises(ValueError, match=r"\(B, 129, 24\)"):
        S.griffin_lim(torch.zeros(1, 129, 20))


def test_sound_vq_shapes_errors_and_learning(spec):
    torch.manual_seed(0)
    model = S.SoundVQ(num_codes=16, dim=4, width=32)
    recon, vq = model(spec[:4])
    assert recon.shape == spec[:4].shape and vq.indices.shape == (4, 12)
    codes = model.encode(spec[:4])
    assert codes.shape == (4, 12) and model.decode(codes).shape == spec[:4].shape
    with pytest.raises(ValueError, match=r"codes must be \(B, 12\)"):
        model.decode(codes[:, :11])
    with pytest.raises(ValueError, match=r"codes must be in \[0, 16\)"):
        model.decode(codes + 16)
    with pytest.raises(ValueError, match=r"\(B, 129, 24\) spectrograms"):
        model(spec[:4, :, :12])
    with pytest.raises(ValueError, match="num_codes must be >= 1, got 0"):
        S.SoundVQ(num_codes=0)
    history = fit(model, S.sound_vq_loss, Batches({"spec": spec}, 16, 0), 100, lr=3e-3, log_every=10,
                  progress=False)
    assert history["reconstruction"][-1] < 0.85 * history["reconstruction"][0]


def test_slot_labels_follow_reading_order(world):
    labels = J.slot_labels(world.scenes)
    s = world.scenes
    for i in range(10):
        objects = sorted((s["col"][i, k], s["row"][i, k], s["shape"][i, k], s["colour"][i, k])
                         for k in range(3) if s["shape"][i, k] >= 0)
        assert labels["shape"][i, :len(objects)].tolist() == [o[2] for o in objects]
        assert labels["colour"][i, :len(objects)].tolist() == [o[3] for o in objects]
        assert (labels["shape"][i, len(objects):] == J.SILENT).all()
        assert (labels["colour"][i, len(objects):] == -1).all()


def test_judge_scores_count_played_slots_only(world, spec):
    truth = J.slot_labels(world.scenes)
    perfect = J.heard_accuracy(truth, truth)
    assert perfect == {"shape": 1.0, "colour": 1.0, "size": 1.0, "note": 1.0}
    silent = {"shape": torch.full_like(truth["shape"], J.SILENT), "colour": torch.full_like(truth["colour"], -1),
              "size": torch.full_like(truth["size"], -1)}
    assert J.heard_accuracy(silent, truth)["note"] == 0.0, "silence where a note belongs is wrong"
    with pytest.raises(ValueError, match="no slot that plays a note"):
        J.heard_accuracy(silent, silent)
    judge = J.SoundJudge(width=8)
    heard = judge.hear(spec[:5])
    assert heard["shape"].shape == (5, 3)
    assert ((heard["shape"] == J.SILENT) == (heard["colour"] == -1)).all()
    with pytest.raises(ValueError, match="spectrograms"):
        judge(spec[:2, :64])
    loss, _ = J.sound_judge_loss(judge, {"spec": spec[:8], **{k: v[:8] for k, v in truth.items()}})
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_code_layout_and_sequences():
    layout = T.CodeLayout(10, 6, source_len=4, target_len=3)
    assert (layout.target_offset, layout.vocab_size, layout.seq_len) == (12, 18, 9)
    src, tgt = torch.tensor([[0, 1, 2, 9]]), torch.tensor([[0, 5, 3]])
    assert T.translation_sequences(layout, src, tgt).tolist() == [[0, 2, 3, 4, 11, 1, 12, 17, 15]]
    assert torch.equal(T.translation_sequences(layout, src.view(1, 2, 2), tgt), T.translation_sequences(layout, src, tgt))
    with pytest.raises(ValueError, match=r"target must be in \[0, 6\)"):
        T.translation_sequences(layout, src, tgt + 3)
    with pytest.raises(ValueError, match="source must have 4 codes"):
        T.translation_sequences(layout, src[:, :3], tgt)
    with pytest.raises(ValueError, match="pair up"):
        T.translation_sequences(layout, src.repeat(2, 1), tgt)
    with pytest.raises(ValueError, match="source_codes"):
        T.CodeLayout(0, 6, 4, 3)


def test_translator_learns_a_mapping_and_writes_only_target_codes():
    torch.manual_seed(0)
    layout = T.CodeLayout(8, 5, source_len=2, target_len=2)
    src = torch.randint(0, 8, (256, 2))
    tgt = torch.stack([src[:, 0] % 5, src[:, 1] % 5], 1)           # a rule to learn
    model = T.build_translator(layout, dim=32, layers=1, heads=2, dropout=0.0)
    fit(model, T.loss_fn(layout), Batches({"seq": T.translation_sequences(layout, src, tgt)}, 64, 0), 300,
        lr=3e-3, progress=False)
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    out = T.translate(model, layout, src[:64])
    assert torch.equal(torch.rand(1), before), "translating leaves the caller's random state alone"
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        T.translate(model, layout, src[:4], sample=True, temperature=0)
    assert out.shape == (64, 2) and out.min() >= 0 and out.max() < 5
    assert (out == tgt[:64]).float().mean() > 0.9
    with pytest.raises(TypeError, match="'seq'"):
        T.translation_loss(model, {"x": 1}, layout)
    with pytest.raises(ValueError, match=r"\(B, 6\)"):
        T.translation_loss(model, {"seq": torch.zeros(2, 5, dtype=torch.long)}, layout)


def test_pipeline_sounds_play_the_caption_in_the_first_slot():
    from mmfuse_lite.data.sounds import note
    out = judging.pipeline_sounds(["a big blue square at the top", "something"])
    assert out.shape == (2, 3000) and np.abs(out[:, 1000:]).max() < 0.06, "only the world's noise after the note"
    for row, (shape, colour, size) in zip(out, ((1, 4, 1), (0, 0, 0))):      # missing words: a small red circle
        want = note(np.array([shape]), np.array([colour]), np.array([size]))[0]
        assert np.abs(row[:1000] - want).max() < 0.06
