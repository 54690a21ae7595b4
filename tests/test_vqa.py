"""Open-ended VQA (chapter 7, section 7.9): the questions, the answer decoder, exact match."""
import numpy as np
import pytest
import torch

from mmfuse_lite.data import COLOURS, SHAPES, SIDES, ShapesWorld
from mmfuse_lite.data.captions import hop_targets
from mmfuse_lite.data.vqa import NUMBER_WORDS, VQA_KINDS, vqa_question, vqa_questions
from mmfuse_lite.nn import vqa as V
from mmfuse_lite.nn.multitask import MixedBatches
from mmfuse_lite.train import fit


def toy_batch(n=6, seed=0, vocab=20):
    g = torch.Generator().manual_seed(seed)
    label = torch.tensor([[1, 5, 2, 0], [1, 7, 9, 2]] * (n // 2))
    return {"image": torch.randn(n, 16, 8, 8, generator=g), "text": torch.randint(3, vocab, (n, 5), generator=g),
            "label": label}


def test_every_kind_answers_what_the_scene_holds():
    world = ShapesWorld("test", n=80, seed=3)
    s = world.scenes
    for kind in VQA_KINDS:
        idx, questions, answers = vqa_questions(s, kind, seed=0)
        assert len(idx) == len(questions) == len(answers) > 0
        assert (s["count"][idx] >= (1 if kind == "count" else 2)).all()
        for i, q, a in zip(idx, questions, answers):
            k = int(s["count"][i])
            colours, shapes = [COLOURS[c] for c in s["colour"][i, :k]], [SHAPES[c] for c in s["shape"][i, :k]]
            if kind in ("colour", "hop"):
                assert a in colours
            elif kind == "shape":
                assert a in shapes and shapes.index(a) == colours.index(q.split()[-3 if q.startswith("what") else -2])
            elif kind == "count":
                assert a == NUMBER_WORDS[k - 1]
            elif kind == "where":
                assert a in (SIDES if not q.endswith("at the bottom ?") else ("top", "bottom"))
            else:                                            # nearest: "<colour> <shape>" of the named one's nearest
                colour, shape = a.split()
                named = colours.index(q.split()[-3])
                assert (named, colours.index(colour)) in hop_targets(s, i) and shapes[colours.index(colour)] == shape
    # the same seed gives the same questions; another seed other wordings
    assert vqa_questions(s, "nearest", 0)[1] == vqa_questions(s, "nearest", 0)[1]
    assert vqa_questions(s, "nearest", 0)[1] != vqa_questions(s, "nearest", 1)[1]


def test_bad_kinds_and_too_few_objects_are_named():
    one = ShapesWorld("test", n=40, seed=0, max_objects=1).scenes
    with pytest.raises(ValueError, match="needs 2 or more"):
        vqa_question(one, 0, "nearest", np.random.default_rng(0))
    with pytest.raises(ValueError, match="kinds must be"):
        vqa_questions(one, "size", 0)
    with pytest.raises(ValueError, match="kinds must be"):
        V.vqa_data("test", 10, 0, kinds="colour")
    assert len(vqa_questions(one, "count", 0)[0]) == 40 and len(vqa_questions(one, "colour", 0)[0]) == 0


def test_teacher_forcing_shapes_and_the_loss_ignores_padding():
    torch.manual_seed(0)
    model = V.build_vqa(20, width=8)
    batch = toy_batch()
    logits = model(batch)
    assert logits.shape == (6, 3, 20)
    loss, _ = V.vqa_loss(model, batch)
    # each row's loss is the mean over its words and <eos>: "<bos> 5 <eos> <pad>" has two
    lp = torch.log_softmax(logits, -1)
    rows = [-(lp[r, 0, 5] + lp[r, 1, 2]) / 2 if r % 2 == 0 else -(lp[r, 0, 7] + lp[r, 1, 9] + lp[r, 2, 2]) / 3
            for r in range(6)]
    assert torch.allclose(loss, torch.stack(rows).mean(), atol=1e-5)
    mixed = dict(batch, task=torch.tensor([0, 1] * 3))
    assert set(V.vqa_loss(model, mixed)[1]) == {"loss_0", "loss_1"}
    for bad in (batch["label"][:, 0], batch["label"].float(), batch["label"][:, :1]):
        with pytest.raises(ValueError, match="answers' ids"):
            model(dict(batch, label=bad))
    with pytest.raises(ValueError, match="missing"):
        model({"image": batch["image"], "label": batch["label"]})


def test_greedy_decoding_feeds_back_its_words_and_stops_at_eos():
    torch.manual_seed(0)
    dec = V.AnswerDecoder(9, 6, 5, 8).eval()
    z = torch.randn(30, 6)
    got = V.greedy_decode(dec, z, max_words=4)
    # by hand: one word at a time, the whole prefix re-read from <bos>
    for r in range(len(z)):
        words = [1]
        for _ in range(4):
            logits, _ = dec(z[r:r + 1], torch.tensor([words]))
            words.append(int(logits[0, -1].argmax()))
            if words[-1] == 2:
                break
        want = [w for w in words[1:] if w != 2]
        assert got[r, :len(want)].tolist() == want and (got[r, len(want):] == 0).all()
    with pytest.raises(ValueError, match="max_words"):
        V.greedy_decode(dec, z, max_words=0)
    with pytest.raises(ValueError, match=r"\(B, D\)"):
        V.greedy_decode(dec, z[0])


def test_exact_match_is_word_for_word():
    assert V.exact_match(["red", "blue square", "two"], ["red", "blue square", "three"]) == pytest.approx(2 / 3)
    assert V.exact_match(["blue", "red  "], ["blue square", "red"]) == 0.5
    with pytest.raises(ValueError, match="equally long"):
        V.exact_match(["red"], ["red", "blue"])
    with pytest.raises(TypeError, match="lists of answers"):
        V.exact_match("red", "red")


def test_a_small_model_learns_to_say_the_colour():
    data = V.vqa_data("train", 600, 0, kinds=["count"])
    torch.manual_seed(0)
    model = V.build_vqa(len(V.vqa_tokenizer()), width=8)
    fit(model, V.vqa_loss, MixedBatches(data, 32, 0), 150, lr=3e-3, progress=False)
    answers = V.answer(model, data["count"], V.vqa_tokenizer())
    assert set(answers) <= set(NUMBER_WORDS) and V.exact_match(answers, data["count"]["answer"]) >= 0.6


def test_vqa_data_has_answers_and_questions_per_kind():
    d = V.vqa_data("test", 50, 0, kinds=["count", "nearest"])
    tok = V.vqa_tokenizer()
    assert list(d) == ["count", "nearest"]
    for kind, part in d.items():
        assert part["label"].shape == (len(part["answer"]), 4) and part["image"].shape[1:] == (16, 8, 8)
        assert [tok.decode(r) for r in part["label"]] == part["answer"]
        assert (part["label"][:, 0] == tok.bos_id).all()
