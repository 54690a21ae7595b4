import numpy as np
import pytest
import torch

from mmfuse_lite.data import (HOP_WORDS, SAMPLE_RATE, SIDES, TASKS, WHERE_WORDS, ShapesDataset, ShapesWorld, WordTokenizer,
                              make_loader, spectrogram, task_tensors)
from mmfuse_lite.data.captions import caption, caption_order
from mmfuse_lite.data.sounds import PITCH, SOUND_LEN
from mmfuse_lite.data.tasks import ATTRIBUTES, perturb
from mmfuse_lite.metrics import probe_accuracy


@pytest.fixture(scope="module")
def world():
    return ShapesWorld("train", n=1500)


def test_tokenizer_covers_every_caption_and_question(world):
    tok = WordTokenizer()
    texts = world.captions + [t for name in TASKS if name not in ("where", "hop", "count") for t in world.task(name)[1]]
    ids = tok(texts)
    assert (ids != tok.unk_id).all()
    where = WordTokenizer(extra_words=WHERE_WORDS)
    assert (where(world.task("where")[1]) != where.unk_id).all()
    hop = WordTokenizer(extra_words=HOP_WORDS)
    assert (hop(world.task("hop")[1]) != hop.unk_id).all()
    assert tok.decode(tok.encode("a big red circle")) == "a big red circle"
    assert tok.encode("a zebra")[2] == tok.unk_id
    bow = tok.bag_of_words(["a big red circle", "a a"])
    assert bow.shape == (2, len(tok)) and bow[1, tok.index["a"]] == 2 and bow[:, tok.pad_id].sum() == 0


def test_extra_words_go_last_and_missing_words_are_a_clear_error(world):
    plain, where = WordTokenizer(), WordTokenizer(extra_words=WHERE_WORDS)
    assert where.vocab[:len(plain)] == plain.vocab and where.vocab[len(plain):] == list(WHERE_WORDS)
    assert len(WordTokenizer(extra_words=("or", "or", "red"))) == len(plain) + 1
    with pytest.raises(ValueError, match=r"outside the tokenizer's vocabulary: \['or'\].*WHERE_WORDS"):
        task_tensors(world, "where", ("text",))
    with pytest.raises(ValueError, match="outside the tokenizer's vocabulary"):
        ShapesDataset(world, task="where")
    with pytest.raises(ValueError, match="lower-case words"):
        WordTokenizer(extra_words="or")
    assert task_tensors(world, "where", ("text",), where)["text"].shape[0] == len(world.task("where")[0])


def test_where_answers_follow_the_scene(world):
    idx, texts, labels = world.task("where")
    s = world.scenes
    assert (s["count"][idx] >= 2).all() and set(labels) == set(range(len(SIDES)))
    colour_of = {c: k for k, c in enumerate(("red", "yellow", "green", "cyan", "blue", "purple"))}
    for i, q, y in list(zip(idx, texts, labels))[:300]:
        named = [w for w in q.split() if w in colour_of]
        objs = {int(s["colour"][i, k]): k for k in range(int(s["count"][i]))}
        a = objs[colour_of[named[0]]]
        key = "col" if SIDES[y] in ("left", "right") else "row"
        if len(named) == 2:         # relative: A compared with B
            b = objs[colour_of[named[1]]]
            assert (s[key][i, a] < s[key][i, b]) == (SIDES[y] in ("left", "above")), q
        else:                       # absolute: A in the picture
            assert s[key][i, a] == (0 if SIDES[y] in ("left", "above") else 2), q


def test_hop_answers_are_the_colour_of_the_strictly_nearest_object(world):
    idx, texts, labels = world.task("hop")
    s = world.scenes
    assert (s["count"][idx] == 3).all() and len(idx) > 200 and set(labels) == set(range(6))
    colours = ("red", "yellow", "green", "cyan", "blue", "purple")
    asked_first = 0
    for i, q, y in zip(idx, texts, labels):
        named = [colours.index(w) for w in q.split() if w in colours]
        assert len(named) == 1 and ("nearest" in q or "closest" in q), q
        objs = {int(s["colour"][i, k]): k for k in range(3)}
        a = objs[named[0]]
        d2 = {k: (s["row"][i, k] - s["row"][i, a]) ** 2 + (s["col"][i, k] - s["col"][i, a]) ** 2 for k in range(3) if k != a}
        nearest = min(d2, key=d2.get)
        assert sorted(d2.values())[0] < sorted(d2.values())[1], (q, d2)      # never a tie
        assert int(s["colour"][i, nearest]) == y and y != named[0], q
        # the answer is not simply the object nearest to the centre, or the first one drawn
        asked_first += nearest == 0
    assert asked_first < 0.6 * len(idx)
    # the words alone say which colour it is not, and nothing more
    other = ShapesWorld("test", n=1500)
    _, texts_b, labels_b = other.task("hop")
    tok = WordTokenizer(extra_words=HOP_WORDS)
    acc = probe_accuracy(tok.bag_of_words(texts), torch.from_numpy(labels), tok.bag_of_words(texts_b),
                         torch.from_numpy(labels_b))
    assert acc < 0.3, acc
    with pytest.raises(ValueError, match="HOP_WORDS"):
        task_tensors(world, "hop", ("text",))


def test_tokenizer_errors():
    tok = WordTokenizer(max_len=5)
    with pytest.raises(ValueError, match="more than max_len=5"):
        tok("there is a small red circle at the top")
    with pytest.raises(TypeError):
        tok.encode(3)
    with pytest.raises(ValueError):
        WordTokenizer(max_len=1)


def test_captions_name_every_object(world):
    for i in range(200):
        for obj in world.describe(i):
            assert obj["colour"] in world.captions[i]


def test_hard_negatives_are_false_and_look_normal():
    w = ShapesWorld("val", n=400)
    rng = np.random.default_rng(0)
    for i in range(400):
        attr = ATTRIBUTES[i % 4]
        k = int(w.scenes["count"][i])
        wrong = perturb(w.scenes, i, attr, rng, pair=tuple(caption_order(w.caption_seeds[i], k)[:2]))
        changed = caption(wrong, 0, np.random.default_rng(w.caption_seeds[i]))
        assert changed != w.captions[i], (attr, w.captions[i])
        s = {k2: v[0] for k2, v in wrong.items()}
        assert len(set(s["shape"][:k])) == k and len(set(s["colour"][:k])) == k


def test_task_labels_are_balanced_and_text_alone_is_uninformative(world):
    tok = WordTokenizer()
    other = ShapesWorld("test", n=1500)

    for name in ("synergistic", "relational"):
        _, texts, labels = world.task(name)
        _, texts_b, labels_b = other.task(name)
        assert abs(labels.mean() - 0.5) < 0.05
        acc = probe_accuracy(tok.bag_of_words(texts), torch.from_numpy(labels), tok.bag_of_words(texts_b), torch.from_numpy(labels_b))
        assert abs(acc - 0.5) < 0.07, (name, acc)
    idx, texts, labels = world.task("redundant")
    assert (world.scenes["count"][idx] == 1).all() and labels.max() < TASKS["redundant"]["num_classes"]


def test_unknown_task(world):
    with pytest.raises(ValueError, match="unknown task 'colour'"):
        world.task("colour")
    with pytest.raises(ValueError, match="unknown task"):
        ShapesDataset(world, task="colour")


def test_pitch_follows_colour(world):
    one = np.flatnonzero(world.scenes["count"] == 1)
    spectrum = np.abs(np.fft.rfft(world.sounds[one, :1000], axis=1))
    peak = np.fft.rfftfreq(1000, 1 / SAMPLE_RATE)[spectrum.argmax(1)]
    assert (np.abs(peak - PITCH[world.scenes["colour"][one, 0]]) <= 8).mean() > 0.99


def test_sounds_shape_and_spectrogram(world):
    assert world.sounds.shape == (len(world), SOUND_LEN) and world.sounds.dtype == np.float32
    spec = spectrogram(torch.from_numpy(world.sounds[:4]))
    assert spec.shape == (4, 129, 47)
    with pytest.raises(TypeError, match="float"):
        spectrogram(torch.zeros(4, 3000, dtype=torch.long))
    with pytest.raises(ValueError, match="fewer than n_fft"):
        spectrogram(torch.zeros(10))


def test_dataset_and_loader(world):
    ds = ShapesDataset(world, task="synergistic")
    item = ds[0]
    assert item["image"].dtype == torch.float32 and 0 <= item["image"].min() and item["image"].max() <= 1
    assert item["text"].shape == (40,) and item["sound"].shape == (SOUND_LEN,) and item["label"] in (0, 1)
    batch = next(iter(make_loader(ds, batch_size=8)))
    assert batch["image"].shape == (8, 3, 32, 32) and batch["label"].shape == (8,)
    a = next(iter(make_loader(ds, 8, seed=1)))["index"]
    b = next(iter(make_loader(ds, 8, seed=1)))["index"]
    assert torch.equal(a, b)
    only = ShapesDataset(world, modalities=("image",))[0]
    assert set(only) == {"index", "image"}


def test_dataset_errors(world):
    with pytest.raises(ValueError, match="unknown modalities"):
        ShapesDataset(world, modalities=("video",))
    with pytest.raises(TypeError, match="ShapesWorld"):
        ShapesDataset([1, 2, 3])
    with pytest.raises(ValueError, match="batch_size"):
        make_loader(ShapesDataset(world), batch_size=0)


def test_real_data_offline(monkeypatch, tmp_path):
    from mmfuse_lite.data import OfflineError, load_real
    monkeypatch.setenv("MMFUSE_OFFLINE", "1")
    with pytest.raises(OfflineError, match="needs the network.*Shapes world"):
        load_real("cifar10", root=str(tmp_path))
    with pytest.raises(ValueError, match="unknown real data set"):
        load_real("imagenet")
