import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from mmfuse_lite import exercises, viz, widgets
from mmfuse_lite.data.augment import flip_captions
from mmfuse_lite.exercises import ExerciseError
from mmfuse_lite.nn import Autoencoder
from mmfuse_lite.nn.fsq import fsq_bound
from mmfuse_lite.nn.quantize import ema_update
from mmfuse_lite.nn.translate import translation_sequences
from mmfuse_lite.nn.vqa import greedy_decode
from mmfuse_lite.nn.vqgan import adaptive_weight, hinge_d_loss


def _ema_not_in_place(size, total, h, idx, decay, eps):
    return ema_update(size.clone(), total.clone(), h, idx, decay, eps)


def _greedy(decoder, z, bos, eos, max_words, feed_back=True, keep_state=True, stop=True, keep_eos=False):
    """Greedy decoding, right by default; each flag off is one mistake a learner makes."""
    word, h, out = torch.full((len(z), 1), bos), None, []
    done = torch.zeros(len(z), dtype=torch.bool)
    for _ in range(max_words):
        logits, h2 = decoder(z, word, h if keep_state else None)
        h, nxt = h2, logits[:, -1].argmax(-1, keepdim=True)
        word = nxt if feed_back else word
        ended = done | (nxt[:, 0] == eos)
        out.append(torch.where((done if keep_eos else ended)[:, None], 0, nxt) if stop else torch.where(nxt == eos, 0, nxt))
        done = ended
    return torch.cat(out, 1)


def _grad_ratio(rec, g, layer, detach=True):
    r, = torch.autograd.grad(rec, layer, retain_graph=True, create_graph=not detach)
    a, = torch.autograd.grad(g, layer, retain_graph=True, create_graph=not detach)
    w = r.norm() / (a.norm() + 1e-4)
    return w.detach() if detach else w

REFERENCE = {
    "check_psnr": lambda x, y: 10 * torch.log10(1 / (x - y).pow(2).flatten(1).mean(1)),
    "check_interpolate": lambda z0, z1, t: (1 - t) * z0 + t * z1,
    "check_bottleneck": lambda s, c, d: c * (s // 2**d) ** 2,
    "check_gaussian_kl": lambda mu, lv: 0.5 * (mu.pow(2) + lv.exp() - 1 - lv).sum(1),
    "check_bag_of_words": lambda ids, v: torch.nn.functional.one_hot(ids, v).sum(1).float() * (torch.arange(v) != 0),
    "check_nearest_code": lambda z, e: (z[:, None] - e[None]).pow(2).sum(-1).argmin(1),
    "check_straight_through": lambda z, q: z + (q - z).detach(),
    "check_perplexity": lambda idx, k: torch.special.entr(torch.bincount(idx, minlength=k) / idx.numel()).sum().exp(),
    "check_product_of_experts": lambda ls: torch.log_softmax(sum(torch.log_softmax(x, -1) for x in ls), -1),
    "check_tensor_fusion": lambda a, b: (torch.cat([a, torch.ones(len(a), 1)], 1)[:, :, None]
                                         * torch.cat([b, torch.ones(len(b), 1)], 1)[:, None, :]).flatten(1),
    "check_attention_readout": lambda q, k, v: (lambda w: (w @ v, w))(
        (q @ k.transpose(1, 2) / q.shape[-1] ** 0.5).softmax(-1)),
    "check_info_nce": lambda l: (torch.nn.functional.cross_entropy(l, torch.arange(len(l)))
                                 + torch.nn.functional.cross_entropy(l.t(), torch.arange(len(l)))) / 2,
    "check_margin_loss": lambda d, same, m: (same * d ** 2 + (1 - same) * (m - d).clamp(min=0) ** 2).mean(),
    "check_guidance": lambda c, u, s: u.log_softmax(-1) + s * (c.log_softmax(-1) - u.log_softmax(-1)),
    "check_uncertainty_weighting": lambda losses, s: (torch.exp(-s) * losses + s / 2).sum(),
    "check_join_tokens": lambda cls, parts: (
        torch.cat([cls.expand(len(parts[0][0]), -1, -1)] + [t for t, _ in parts], 1),
        ~torch.cat([torch.ones(len(parts[0][0]), 1, dtype=torch.bool)]
                   + [m if m is not None else torch.ones(t.shape[:2], dtype=torch.bool) for t, m in parts], 1)),
    "check_greedy_decoding": lambda d, z, bos, eos, n: greedy_decode(d, z, bos, eos, 0, n),
    "check_flip_captions": lambda captions: flip_captions(captions),
    "check_ema_update": ema_update,
    "check_fsq_bound": fsq_bound,
    "check_hinge_d_loss": hinge_d_loss,
    "check_adaptive_weight": lambda rec, g, layer: adaptive_weight(rec, g, layer),
    "check_translation_sequences": translation_sequences,
}
WRONG = {
    "check_psnr": (lambda x, y: 10 * torch.log10(1 / (x - y).pow(2).mean()), "shape"),
    "check_interpolate": (lambda z0, z1, t: t * z0 + (1 - t) * z1, "t = 0"),
    "check_bottleneck": (lambda s, c, d: c * (s // d) ** 2, "halves"),
    "check_gaussian_kl": (lambda mu, lv: 0.5 * (mu.pow(2) + lv.exp().pow(2) - 1 - lv).sum(1), "not sigma"),
    "check_bag_of_words": (lambda ids, v: torch.nn.functional.one_hot(ids, v).sum(1).float(), "padding"),
    "check_nearest_code": (lambda z, e: (z @ e.t()).argmax(1), "argmin"),
    "check_straight_through": (lambda z, q: q, "no gradient reached z"),
    "check_perplexity": (lambda idx, k: float(torch.unique(idx).numel()), "exp"),
    "check_product_of_experts": (lambda ls: torch.log_softmax(sum(ls) / len(ls), -1), "averaged the logits"),
    "check_tensor_fusion": (lambda a, b: (a[:, :, None] * b[:, None, :]).flatten(1), "append a 1"),
    "check_attention_readout": (lambda q, k, v: (lambda w: (w @ v, w))((q @ k.transpose(1, 2)).softmax(-1)),
                                "sqrt"),
    "check_info_nce": (lambda l: torch.nn.functional.cross_entropy(l, torch.arange(len(l))), "one direction only"),
    "check_margin_loss": (lambda d, same, m: ((1 - same) * d ** 2 + same * (m - d).clamp(min=0) ** 2).mean(),
                          "swapped the two terms"),
    "check_guidance": (lambda c, u, s: u.log_softmax(-1) + s * (u.log_softmax(-1) - c.log_softmax(-1)),
                       "start from the unconditional"),
    "check_uncertainty_weighting": (lambda losses, s: (torch.exp(-s) * losses).sum(), "left out the s_t / 2 term"),
    "check_join_tokens": (lambda cls, parts: (
        torch.cat([cls.expand(len(parts[0][0]), -1, -1)] + [t for t, _ in parts], 1),
        torch.cat([torch.ones(len(parts[0][0]), 1, dtype=torch.bool)]
                  + [m if m is not None else torch.ones(t.shape[:2], dtype=torch.bool) for t, m in parts], 1)),
        "keep-mask"),
    "check_greedy_decoding": (lambda d, z, bos, eos, n: _greedy(d, z, bos, eos, n, feed_back=False), "fed <bos>"),
    "check_flip_captions": (lambda captions: [c.replace("left", "right").replace("right", "left") for c in captions],
                            "in one pass"),
    "check_ema_update": (_ema_not_in_place, r"cluster_size after one step.*in place"),
    "check_fsq_bound": (lambda h, levels: torch.tanh(h) * (levels - 1) / 2, r"levels \[8, 6, 3\], channel 0.*offset"),
    "check_hinge_d_loss": (lambda r, f: torch.nn.functional.relu(1 - r).mean() + torch.nn.functional.relu(1 + f).mean(),
                           r"all logits 0.*expected 1.0000, got 2.0000"),
    "check_adaptive_weight": (lambda rec, g, layer: _grad_ratio(rec, g, layer, detach=False), r"\[detached\]"),
    "check_translation_sequences": (lambda layout, s, t: torch.cat([
        torch.full((len(s), 1), layout.source_token), s.flatten(1) + layout.source_offset,
        torch.full((len(s), 1), layout.target_token), t], 1), "not shifted"),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_checkers_pass_reference_and_explain_failures(name):
    check = getattr(exercises, name)
    assert check(REFERENCE[name]) is None, "a passing checker prints, and returns nothing to echo"

    def stub(*args):
        raise NotImplementedError

    with pytest.raises(ExerciseError, match="NotImplementedError. Replace the stub"):
        check(stub)
    wrong, hint = WRONG[name]
    with pytest.raises(ExerciseError, match=hint):
        check(wrong)


def test_check_guidance_accepts_every_form_of_the_right_answer():
    # guidance on raw logits differs from the log-softmax version by a constant per row:
    # the same sampling distribution, so it is right; so is the renormalised version
    lsm = lambda x: x.log_softmax(-1)  # noqa: E731
    for right in (lambda c, u, s: u + s * (c - u),
                  lambda c, u, s: (lsm(u) + s * (lsm(c) - lsm(u))).log_softmax(-1),
                  lambda c, u, s: (1 - s) * u + s * c + 7.0):
        assert exercises.check_guidance(right) is None
    wrong = {
        "start from the unconditional": lambda c, u, s: lsm(c) + s * (lsm(c) - lsm(u)),
        "not a mixture": lambda c, u, s: (u.softmax(-1) + s * (c.softmax(-1) - u.softmax(-1))).clamp_min(1e-12).log(),
        "conditional distribution": lambda c, u, s: lsm(c),          # ignores the scale
        "expected shape": lambda c, u, s: lsm(c)[0],
    }
    for hint, fn in wrong.items():
        with pytest.raises(ExerciseError, match=hint):
            exercises.check_guidance(fn)


def test_show_images_and_rows():
    imgs = torch.rand(6, 3, 8, 8)
    assert viz.show_images(imgs, nrow=3) is not None
    assert viz.show_images((imgs * 255).to(torch.uint8), nrow=3, titles=list("abcdef")) is not None
    assert viz.compare_rows({"a": imgs, "b": imgs}, n=4) is not None
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        viz.show_images(torch.rand(3, 8, 8))
    with pytest.raises(KeyError, match="not in the history"):
        viz.plot_history({"step": [1], "loss": [1.0]}, keys=("psnr",))
    assert viz.show_spectrogram(torch.rand(129, 47)) is not None
    matplotlib.pyplot.close("all")


def test_latent_interpolation():
    m = Autoencoder(width=4, latent_channels=2).eval()
    imgs = torch.rand(4, 3, 32, 32)
    strip = widgets.interpolate_latents(m, imgs[0], imgs[1], steps=5)
    assert strip.shape == (5, 3, 32, 32) and 0 <= strip.min() and strip.max() <= 1
    with torch.no_grad():
        assert torch.allclose(strip[0], m(imgs[:1])[0][0].clamp(0, 1), atol=1e-5)
    w = widgets.LatentInterpolation(m, imgs)
    assert "image/png" in w.out.outputs[0]["data"]
    w.t.value = 0.9                                   # moving a slider redraws
    assert w.out.outputs[0]["data"]["image/png"]
    matplotlib.pyplot.close("all")


def test_codebook_explorer():
    from mmfuse_lite.nn import VQVAE
    torch.manual_seed(0)                    # an untrained model: make sure the edited code looks different
    m = VQVAE(width=4, dim=4, num_codes=8, downsamples=1).eval()
    imgs = torch.rand(6, 3, 32, 32)
    ex = widgets.CodebookExplorer(m, imgs, num_codes=8)
    assert ex.indices.shape == (6, 16, 16)
    first = ex.edit_out.outputs[0]["data"]["image/png"]
    ex.new_code.value = (int(ex.indices[0, 8, 8]) + 1) % 8
    assert ex.edit_out.outputs[0]["data"]["image/png"] != first
    for out in (ex.map_out, ex.code_out):
        assert "image/png" in out.outputs[0]["data"]
    assert viz.highlight_code(imgs, ex.indices, 3) is not None
    matplotlib.pyplot.close("all")


def test_attention_figure_and_explorer():
    axes = viz.show_attention(torch.rand(3, 32, 32), torch.rand(2, 64).softmax(-1), "q", labels=["a", "b"])
    assert len(axes) == 3
    with pytest.raises(ValueError, match="S \\* S patches"):
        viz.show_attention(torch.rand(3, 32, 32), torch.rand(2, 60))
    seen = []
    explorer = widgets.AttentionExplorer(torch.rand(3, 3, 32, 32), ["q0", "q1", "q2"],
                                         lambda i: (seen.append(i) or f"answer {i}", torch.rand(2, 64)))
    explorer.pick.value = 2
    assert seen == [0, 2] and len(explorer.out.outputs) == 1
    with pytest.raises(ValueError, match="one question per image"):
        widgets.AttentionExplorer(torch.rand(2, 3, 32, 32), ["q0"], lambda i: ("", torch.rand(1, 64)))


@pytest.mark.parametrize("wrong, hint", [
    (lambda l: torch.nn.functional.cross_entropy(l, torch.arange(len(l)))
     + torch.nn.functional.cross_entropy(l.t(), torch.arange(len(l))), "average them"),
    (lambda l: torch.nn.functional.cross_entropy(l, torch.zeros(len(l), dtype=torch.long)), "diagonal"),
])
def test_info_nce_checker_explains_other_mistakes(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        exercises.check_info_nce(wrong)


def test_prior_explorer_shows_samples_and_errors():
    calls = []

    def sample(caption, guidance, seed):
        if "zebra" in caption:
            raise ValueError("the captions use words outside the tokenizer's vocabulary: ['zebra']")
        calls.append((caption, guidance, seed))
        return torch.rand(3, 3, 8, 8)

    w = widgets.PriorExplorer(sample, ["a red circle", "a blue box"])
    assert calls == [("a red circle", 3.0, 0)] and "image/png" in w.out.outputs[0]["data"]
    w.guidance.value = 5.0
    assert calls[-1] == ("a red circle", 5.0, 0)
    w.caption.value = "a red zebra"
    assert "zebra" in w.out.outputs[0]["text"]
    matplotlib.pyplot.close("all")


def test_check_uncertainty_weighting_names_each_mistake():
    wrong = {
        "added s_t, not s_t / 2": lambda l, s: (torch.exp(-s) * l + s).sum(),
        r"exp\(\+s_t\)": lambda l, s: (torch.exp(s) * l + s / 2).sum(),
        "took the mean": lambda l, s: (torch.exp(-s) * l + s / 2).mean(),
        "forgot the weights": lambda l, s: (l + s / 2).sum(),
    }
    for hint, fn in wrong.items():
        with pytest.raises(ExerciseError, match=hint):
            exercises.check_uncertainty_weighting(fn)


def test_check_greedy_decoding_names_each_mistake_and_accepts_full_width_answers():
    right = lambda d, z, bos, eos, n: _greedy(d, z, bos, eos, n)          # noqa: E731  (always n columns)
    assert exercises.check_greedy_decoding(right) is None
    wrong = {"fresh hidden state": dict(keep_state=False), "kept writing after <eos>": dict(stop=False),
             "kept the <eos> itself": dict(keep_eos=True)}
    for hint, flags in wrong.items():
        with pytest.raises(ExerciseError, match=hint):
            exercises.check_greedy_decoding(lambda d, z, bos, eos, n, f=flags: _greedy(d, z, bos, eos, n, **f))
    with pytest.raises(ExerciseError, match="long tensor"):
        exercises.check_greedy_decoding(lambda d, z, bos, eos, n: [[1, 2]])


def test_check_flip_captions_catches_a_comma_and_a_swapped_vertical():
    split = lambda captions: [" ".join({"left": "right", "right": "left"}.get(w, w) for w in c.split(" "))  # noqa: E731
                              for c in captions]
    with pytest.raises(ExerciseError, match="before a comma"):
        exercises.check_flip_captions(split)
    too_much = lambda captions: [c.replace("above", "below") for c in flip_captions(captions)]  # noqa: E731
    with pytest.raises(ExerciseError, match="a mirror keeps above"):
        exercises.check_flip_captions(too_much)
    with pytest.raises(ExerciseError, match="list of strings"):
        exercises.check_flip_captions(lambda captions: captions[0])


def test_clip_and_sound_explorers_draw_and_check_their_inputs():
    from mmfuse_lite.data import ShapesClips
    clips = ShapesClips("val", n=4, seed=0, max_objects=1)
    codes = torch.randint(0, 16, (4, 8, 8, 8))
    w = widgets.ClipExplorer(clips, codes, ["a caption"] * 4, num_codes=16)
    assert "image/png" in w.out.outputs[0]["data"]
    w.pick.value = 3
    assert "image/png" in w.out.outputs[0]["data"]
    with pytest.raises(ValueError, match=r"start must be an index in \[0, 4\), got 4"):
        widgets.ClipExplorer(clips, codes, ["a caption"] * 4, start=4)
    with pytest.raises(ValueError, match="one caption per clip"):
        widgets.ClipExplorer(clips, codes, ["a caption"] * 3)
    with pytest.raises(ValueError, match=r"code maps \(N, T, h, w\)"):
        widgets.ClipExplorer(clips, codes[:2], ["a caption"] * 4)
    spec = torch.rand(2, 129, 24)
    s = widgets.SoundExplorer(torch.rand(2, 3, 32, 32), spec, spec, ["a red circle", "a blue box"])
    assert "image/png" in s.out.outputs[0]["data"] and s.audio.outputs[0]["data"]["text/html"].count("<audio") == 2
    with pytest.raises(ValueError, match=r"generated must be spectrograms \(2, 129, 24\)"):
        widgets.SoundExplorer(torch.rand(2, 3, 32, 32), spec[:, :, :12], spec, ["a", "b"])
    with pytest.raises(ValueError, match=r"expected frames \(T, 3, H, W\) and integer code maps"):
        viz.show_clip(clips.frames[0], codes[0].float())
    matplotlib.pyplot.close("all")


# ---- self-check quizzes (mmfuse_lite.quiz) ----

def test_every_chapter_ends_its_main_text_with_its_quiz():
    import pathlib
    import nbformat
    from mmfuse_lite import quiz
    notebooks = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(notebooks) == 10
    for path in notebooks:
        nb, chapter = nbformat.read(path, as_version=4), f"ch{int(path.name[:2])}"
        ids = [c.get("id") for c in nb.cells]
        at = ids.index(f"{path.name[:2].join(['ch', '-quiz'])}")
        assert 4 <= len(quiz.questions(chapter)) <= 6
        assert nb.cells[at].source == quiz.as_markdown(chapter), f"{path.name}: quiz cell differs from the bank"
        ask = nb.cells[at + 1]
        assert f'quiz.ask("{chapter}")' in ask.source and "remove-cell" in ask.metadata.get("tags", [])
        assert nb.cells[at + 2].source.startswith("## Exercises"), "the quiz closes the main text"


def test_questions_refuse_bad_definitions_and_judge_answers():
    from mmfuse_lite.quiz import Question
    with pytest.raises(ValueError, match="index one of the 2 choices"):
        Question("p?", 2, "why", choices=("a", "b"))
    with pytest.raises(ValueError, match="finite answer"):
        Question("p?", float("nan"), "why")
    with pytest.raises(ValueError, match="prompt and an explanation"):
        Question("p?", 1, " ")
    q = Question("bits?", 448, "64 codes of 7 bits")
    assert q.is_right("448") and q.is_right(448.0) and q.is_right(" 448 ")
    assert not q.is_right("447") and not q.is_right("many")
    near = Question("ln 128?", 4.852, "entropy", tolerance=0.01)
    assert near.is_right("4.85") and not near.is_right("4.8")
    mc = Question("which?", 1, "because", choices=("x", "y", "z"))
    assert mc.is_right(1) and not mc.is_right(0) and mc.right_answer == "b) y"


def test_the_interactive_quiz_gives_a_second_try_then_the_answer():
    from mmfuse_lite import quiz
    box = quiz.ask("ch3")
    assert len(box.children) == len(quiz.questions("ch3"))
    q = quiz.questions("ch3")[1]                     # multiple choice
    prompt, field, row = box.children[1].children
    button, verdict = row.children
    button.click()
    assert "first" in verdict.value
    wrong = (q.answer + 1) % len(q.choices)
    field.value = wrong
    button.click()
    assert "Try once more" in verdict.value and q.explain not in verdict.value
    button.click()
    assert q.right_answer in verdict.value
    field.value = q.answer
    button.click()
    assert verdict.value.startswith("<b style='color:green'>Right.")
    with pytest.raises(KeyError, match="no quiz for chapter 'ch11'"):
        quiz.ask("ch11")
    # text for the widget: tags shown as text, code in a code font, math left to MathJax
    assert quiz._html("the `<image>` token, $a<b$") == "the <code>&lt;image&gt;</code> token, $a&lt;b$"
