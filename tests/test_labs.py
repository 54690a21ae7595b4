"""Labs (train-and-compare exercises): check_lab accepts the reference and catches the usual mistakes."""
import copy
import json
import pathlib
import sys

import pytest

from mmfuse_lite import labs
from mmfuse_lite.exercises import ExerciseError

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from seed_ranges import lab_function  # noqa: E402


@pytest.fixture(scope="module")
def reference_run():
    lab = labs.LABS["ch2-batchnorm"]
    data = labs.lab_data("ch2-batchnorm", lab.check_n, lab.check_eval, batch_size=32, width=8, seed=0)
    fn, where = lab_function("ch2-batchnorm")
    assert "02_autoencoder" in where
    return lab, data, fn(data, lab.check_steps)


def test_the_reference_passes(reference_run):
    lab, data, result = reference_run
    assert labs._check_result(lab, result, data, lab.check_steps) == 7


def test_a_score_on_the_training_images_is_caught_with_a_hint(reference_run):
    lab, data, result = reference_run
    bad = copy.copy(result)
    model = result["without BN"]["model"]
    bad["without BN"] = {**result["without BN"], "psnr": labs._psnr(model, data.train)}
    with pytest.raises(ExerciseError, match=r"\[without BN\].*scores .* on data.eval \(the test split\).*training images"):
        labs._check_result(lab, bad, data, lab.check_steps)


def test_wrong_arms_a_loss_that_did_not_fall_and_missing_keys_are_caught(reference_run):
    lab, data, result = reference_run
    with pytest.raises(ExerciseError, match=r"expected the arms \['with BN', 'without BN'\]"):
        labs._check_result(lab, {"with BN": result["with BN"]}, data, lab.check_steps)
    rising = {**result["with BN"], "history": {"loss": sorted(result["with BN"]["history"]["loss"])}}
    with pytest.raises(ExerciseError, match="did not fall"):
        labs._check_result(lab, {**result, "with BN": rising}, data, lab.check_steps)
    with pytest.raises(ExerciseError, match=r"expected a dict with \['history', 'model', 'psnr'\]"):
        labs._check_result(lab, {**result, "with BN": {"psnr": 20.0}}, data, lab.check_steps)
    with pytest.raises(ExerciseError, match="NotImplementedError"):
        labs.check_lab(lambda data, steps: (_ for _ in ()).throw(NotImplementedError()), "ch2-batchnorm")
    with pytest.raises(KeyError, match="no lab named 'ch9-x'"):
        labs.check_lab(lambda d, s: None, "ch9-x")


def test_every_lab_has_a_range_measured_over_seeds():
    ranges = json.loads(labs.RANGES.read_text())["labs"]
    for name, lab in labs.LABS.items():
        assert "ci" in ranges[name], f"{name}: no ci range; run python scripts/seed_ranges.py {name} --profile ci"
        for profile, entry in ranges[name].items():
            assert len(entry["seeds"]) >= 3 and entry["command"].startswith(f"python scripts/seed_ranges.py {name}")
            assert set(entry["scores"]) == set(lab.arms)
            assert all(len(v) == len(entry["seeds"]) for arm in entry["scores"].values() for v in arm.values())
        assert "seeds 0, 1, 2" in labs.describe_range(name, "ci")


def _per_seed(name, profile, arm, key):
    return json.loads(labs.RANGES.read_text())["labs"][name][profile]["scores"][arm][key]


def test_what_the_solutions_say_about_the_reference_runs_holds_in_the_json():
    # exercise 2.6: about 5 dB at the ci sizes on every seed; 0.9 to 2.5 dB at the cpu sizes
    for profile, (low, high) in (("ci", (4.5, 5.7)), ("cpu", (0.9, 2.5))):
        gaps = [a - b for a, b in zip(_per_seed("ch2-batchnorm", profile, "with BN", "psnr"),
                                      _per_seed("ch2-batchnorm", profile, "without BN", "psnr"))]
        assert all(low <= round(g, 1) <= high for g in gaps), (profile, gaps)
    # exercise 3.4: PSNR within 0.5 dB either way, less than the seed spread; legacy leaves codes unused
    paper, legacy = (_per_seed("ch3-beta", "ci", arm, "psnr") for arm in ("paper", "legacy"))
    diffs = [a - b for a, b in zip(paper, legacy)]
    assert max(abs(d) for d in diffs) < 0.5 and min(diffs) < 0 < max(diffs)
    assert max(paper) - min(paper) > max(abs(d) for d in diffs)
    usage = _per_seed("ch3-beta", "ci", "legacy", "usage")
    assert _per_seed("ch3-beta", "ci", "paper", "usage") == [1.0] * 5
    assert sum(u < 1 for u in usage) == 3 and min(usage) >= 60 / 64


def _span(values, digits):
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def _solution(notebook, label):
    import re
    import nbformat
    for cell in nbformat.read(ROOT / "notebooks" / notebook, as_version=4).cells:
        m = re.search(r":::\{solution\} " + label + r"\n(.*?)\n:::", cell.source, re.S)
        if m:
            return " ".join(m.group(1).split())
    raise LookupError(label)


def test_the_vqgan_and_fusion_lab_solutions_quote_the_json():
    # exercise 5.3: no measure moved consistently with a one-layer critic
    one, two = ({k: _per_seed("ch5-patch", "ci", arm, k) for k in ("psnr", "sharpness", "frechet")}
                for arm in ("n_layers=1", "n_layers=2"))
    for key, bound in (("sharpness", 0.06), ("psnr", 1.1), ("frechet", None)):
        diffs = [a - b for a, b in zip(one[key], two[key])]
        assert min(diffs) < 0 < max(diffs), (key, diffs)
        assert bound is None or max(abs(d) for d in diffs) <= bound, (key, diffs)
    # exercise 5.4 (scored on val): every range the solution quotes is the JSON's
    text = _solution("05_vqgan.ipynb", "ex-vqgan-ablation")
    assert labs.LABS["ch5-ablation"].eval_split == "val" and "validation split" in text
    arm = {"recipe": "chapter: perceptual 0.1, adversarial 0.15", "twice": "perceptual 0.1, adversarial 0.3",
           "p1": "perceptual 1.0, no critic", "p01": "perceptual 0.1, no critic", "adv": "adversarial 0.3 only"}
    s = {a: {k: _per_seed("ch5-ablation", "ci", name, k) for k in ("psnr", "sharpness", "frechet")}
         for a, name in arm.items()}
    for quoted in (_span(s["p1"]["psnr"], 1), _span(s["recipe"]["psnr"], 1), _span(s["p1"]["sharpness"], 2),
                   _span(s["p01"]["psnr"], 1), _span(s["p01"]["frechet"], 0), _span(s["adv"]["frechet"], 0),
                   _span(s["recipe"]["frechet"], 0), _span(s["twice"]["frechet"], 0), _span(s["twice"]["psnr"], 1),
                   _span(s["recipe"]["sharpness"] + s["twice"]["sharpness"] + s["p01"]["sharpness"]
                         + s["adv"]["sharpness"], 2)):
        assert quoted in text, quoted
    lost = [r - p for r, p in zip(s["recipe"]["psnr"], s["p1"]["psnr"])]
    assert f"lost {min(lost):.1f} to {max(lost):.1f} dB" in text
    assert sum(r < p for r, p in zip(s["recipe"]["frechet"], s["p01"]["frechet"])) == 2
    assert sum(t > r for t, r in zip(s["twice"]["frechet"], s["recipe"]["frechet"])) == 2
    # exercise 6.5
    text = _solution("06_fusion_strategies.ipynb", "ex-fusion-dropout")
    d = {r: {k: _per_seed("ch6-dropout", "ci", f"rate {r}", k) for k in ("both", "image missing", "text missing")}
         for r in ("0.1", "0.3", "0.7")}
    assert f"{min(v for r in d for v in d[r]['both']):.3f} or above" in text
    means = [sum(d[r]["image missing"]) / 5 for r in d]
    assert means == sorted(means) and _span(d["0.1"]["image missing"], 2) in text
    assert f"{min(d['0.7']['image missing']):.3f}" in text
    text_missing = [v for r in d for v in d[r]["text missing"]]
    assert f"between {min(text_missing):.3f} and {max(text_missing):.3f}" in text


def test_the_longer_training_solution_quotes_the_json():
    text = _solution("06_fusion_strategies.ipynb", "ex-fusion-longer")
    acc = {arm: _per_seed("ch6-longer", "ci", arm, "accuracy") for arm in labs.LABS["ch6-longer"].arms}
    for arm in ("concatenation x2", "tensor x2", "concatenation x8", "tensor x8"):
        assert _span(acc[arm], 3) in text, arm
    assert all(c > t for c, t in zip(acc["concatenation x4"], acc["tensor x4"]))     # passed it at 4x ...
    assert all(c > t for c, t in zip(acc["concatenation x8"], acc["tensor x8"]))     # ... and 8x, every seed
    peaks = [max(t2, t4) for t2, t4 in zip(acc["tensor x2"], acc["tensor x4"])]
    assert all(t8 < peak for t8, peak in zip(acc["tensor x8"], peaks))                # peaked at 2x or 4x, fell at 8x
    assert "peaked at two or four times the steps and fell below that peak at eight" in text
    entry = json.loads(labs.RANGES.read_text())["labs"]["ch6-longer"]["ci"]
    assert "3,000 training scenes" in text and entry["n_train"] == 3000


def test_the_sound_solution_quotes_the_json():
    text = _solution("06_fusion_strategies.ipynb", "ex-fusion-sound")
    two, three = (_per_seed("ch6-sound", "ci", arm, "accuracy") for arm in ("text + sound", "image + text + sound"))
    assert _span(two, 3) in text and _span(three, 3) in text
    diffs = [a - b for a, b in zip(two, three)]
    assert round(max(abs(d) for d in diffs), 3) <= 0.021 and min(diffs) < 0 < max(diffs) and "within 0.021" in text


def test_the_few_hops_solution_quotes_the_json():
    text = _solution("07_attention_fusion.ipynb", "ch07-few-hops")
    s = {arm: {k: _per_seed("ch7-few-hops", "ci", arm, k) for k in ("exact match", "one colour word")}
         for arm in labs.LABS["ch7-few-hops"].arms}
    for arm in ("fine-tuned, 50", "fine-tuned, 500", "from scratch, 50", "from scratch, 500"):
        assert _span(s[arm]["exact match"], 2) in text, arm
    for arm in ("fine-tuned, 50", "fine-tuned, 500"):
        assert _span(s[arm]["one colour word"], 2) in text, arm
    assert s["from scratch, 50"]["one colour word"] == s["from scratch, 500"]["one colour word"] == [1.0] * 3
    assert "every answer one colour word, at every seed" in text
    assert max(s["from scratch, 500"]["exact match"]) < min(s["fine-tuned, 50"]["exact match"])   # form, not content


def _diffs(name, profile, arm_a, arm_b, key):
    return [a - b for a, b in zip(_per_seed(name, profile, arm_a, key), _per_seed(name, profile, arm_b, key))]


def _pct(values, digits=0):
    """A range of fractions as the prose writes it in percent: "13–44%", "99.6–100%"."""
    fmt = lambda v: f"{100 * v:.{digits}f}".replace("100.0", "100")   # noqa: E731
    return f"{fmt(min(values))}–{fmt(max(values))}%"


def test_the_codebook_lab_solutions_quote_the_json():
    text = _solution("04_codebook_lab.ipynb", "ex-lab-grid")
    short, long = "FSQ (8, 8, 8)", "FSQ (8, 8, 8), 4x steps"
    assert f"{_pct(_per_seed('ch4-grid', 'ci', short, 'usage'))} of it at the `ci` sizes (seeds 0–4)" in text
    assert f"{_pct(_per_seed('ch4-grid', 'cpu', short, 'usage'))} at the `cpu` sizes (seeds 0–2)" in text
    assert (f"usage rose to {_pct(_per_seed('ch4-grid', 'ci', long, 'usage'))} (`ci`) and "
            f"{_pct(_per_seed('ch4-grid', 'cpu', long, 'usage'))} (`cpu`)") in text
    ci, cpu = (_diffs("ch4-grid", p, long, short, "psnr") for p in ("ci", "cpu"))
    assert all(d > 0 for d in ci + cpu)
    assert f"PSNR by {min(ci):.1f} to {max(ci):.1f} dB (`ci`) and {min(cpu):.1f} to {max(cpu):.1f} dB" in text
    assert all(u < 1 / 2 for u in _per_seed("ch4-grid", "ci", short, "usage"))
    text = _solution("04_codebook_lab.ipynb", "ex-lab-combine")
    alone, one, four = "restarts alone", "EMA + k-means + restarts 1.0", "EMA + k-means + restarts 4.0"
    assert f"nearly every code ({_pct(_per_seed('ch4-combine', 'ci', alone, 'usage'), 1)})" in text
    assert f"perplexity ({_span(_per_seed('ch4-combine', 'ci', alone, 'perplexity'), 0)} at the `ci` sizes)" in text
    assert f"used {_pct(_per_seed('ch4-combine', 'ci', one, 'usage'), 1)} of the codes" in text
    assert f"(perplexity {_span(_per_seed('ch4-combine', 'ci', one, 'perplexity'), 0)})" in text
    gain = _diffs("ch4-combine", "ci", one, alone, "psnr")
    assert all(g > 0 for g in gain) and f"every `ci` seed (by {min(gain):.1f} to {max(gain):.1f} dB)" in text
    gain = _diffs("ch4-combine", "cpu", one, alone, "psnr")
    assert f"seed 0: {-gain[0]:.1f} dB worse; seeds 1 and 2: {gain[1]:.1f} and {gain[2]:.1f} dB" in text
    assert gain[0] < 0 < min(gain[1:])
    assert all(d > 0 for p in ("ci", "cpu") for d in _diffs("ch4-combine", p, four, one, "usage"))
    assert f"usage at every seed\n({_pct(_per_seed('ch4-combine', 'ci', four, 'usage'), 1)}".replace("\n", " ") in text
    assert sum(d > 0 for d in _diffs("ch4-combine", "ci", four, one, "perplexity")) == 3
    assert "raised perplexity at three of the five `ci` seeds" in text
    ci, cpu = (_diffs("ch4-combine", p, four, one, "psnr") for p in ("ci", "cpu"))
    assert f"PSNR by {min(ci):+.2f} to {max(ci):+.2f} dB (`ci`)".replace("-", "−") in text
    assert f"and {min(cpu):+.1f} to {max(cpu):+.1f} dB (`cpu`)".replace("-", "−") in text


def test_the_one_query_and_bn_passes_solutions_quote_the_json():
    text = _solution("07_attention_fusion.ipynb", "ch07-one-query")
    s = {arm: {k: _per_seed("ch7-one-query", "ci", arm, k) for k in ("one object", "two objects")}
         for arm in ("two queries", "one query")}
    two = _diffs("ch7-one-query", "ci", "two queries", "one query", "two objects")
    one = _diffs("ch7-one-query", "ci", "two queries", "one query", "one object")
    assert all(d > 0 for d in two)
    assert (f"from {_span(s['two queries']['two objects'], 2)} to {_span(s['one query']['two objects'], 2)}, "
            f"by {min(two):.2f} to {max(two):.2f}") in text
    assert one[0] > 0 and one[2] > 0 and one[1] < 0
    assert f"seeds 0 and 2 ({one[0]:.2f} and {one[2]:.2f})" in text and f"rose by {-one[1]:.2f} at seed 1" in text
    assert f"from {_span(s['two queries']['one object'], 2)} to {_span(s['one query']['one object'], 2)}" in text
    text = _solution("07_attention_fusion.ipynb", "ch07-bn-passes")
    mixed, per = ({k: _per_seed("ch7-bn-passes", "ci", arm, k) for k in ("colour", "count", "where")}
                  for arm in ("one mixed pass", "a pass per task"))
    cost = [100 * (m - p) for m, p in zip(mixed["count"], per["count"])]
    assert f"counting questions {cost[0]:.0f}\nand {cost[1]:.0f} points".replace("\n", " ") in text
    assert f"({per['count'][0]:.2f} and {per['count'][1]:.2f} against {mixed['count'][0]:.3f} and {mixed['count'][1]:.3f}" in text
    assert abs(cost[2]) < 0.5 and "nothing at seed 2" in text
    moved = max(abs(m - p) for k in ("colour", "where") for m, p in zip(mixed[k], per[k]))
    assert f"moved by {100 * moved:.1f} points or less" in text
    assert f"({_span(mixed['colour'] + per['colour'], 2)} and {_span(mixed['where'] + per['where'], 2)})" in text


def test_the_fixed_weights_solution_quotes_the_json():
    text = _solution("07_attention_fusion.ipynb", "ch07-fixed-weights")
    s = {arm: {k: _per_seed("ch7-fixed-weights", "ci", arm, k) for k in ("colour", "count", "where", "mean")}
         for arm in labs.LABS["ch7-fixed-weights"].arms}
    assert labs.LABS["ch7-fixed-weights"].eval_split == "val"
    where = [v for arm in s for v in s[arm]["where"]]
    assert f"({_span(where, 3)} for all four, at every\nseed)".replace("\n", " ") in text
    assert all(a < b for a, b in zip(s["where x10"]["colour"], s["where x1"]["colour"]))
    assert f"({_span(s['where x10']['colour'], 2)} against\n{_span(s['where x1']['colour'], 2)} at weight 1)".replace("\n", " ") in text
    assert min(v for arm in s for v in s[arm]["count"]) >= 0.995 and "(0.995 or above)" in text
    chosen = [max(s, key=lambda a: s[a]["mean"][i]) for i in range(3)]
    assert chosen == ["where x1", "uncertainty", "where x3"]
    margins = [100 * (s[chosen[i]]["mean"][i] - sorted(s[a]["mean"][i] for a in s)[-2]) for i in (1, 2)]
    assert f"the last two by {margins[0]:.1f} and {margins[1]:.1f} points" in text


def test_the_batch_solution_quotes_the_json():
    text = _solution("08_contrastive_alignment.ipynb", "ch08-batch")
    big, small = (_per_seed("ch8-batch", "ci", arm, "R@1") for arm in ("chapter's batch", "batch 32"))
    fell = _diffs("ch8-batch", "ci", "chapter's batch", "batch 32", "R@1")
    assert all(d > 0 for d in fell)
    assert f"fell from\n{_span(big, 2)} to {_span(small, 2)}, by {min(fell):.2f} to {max(fell):.2f} at every seed".replace("\n", " ") in text


def test_the_memorise_solution_quotes_the_json():
    text = _solution("10_sound_and_motion.ipynb", "ch10-memorise")
    entry = json.loads(labs.RANGES.read_text())["labs"]["ch10-memorise"]["ci"]
    assert (entry["n_train"], entry["steps"]) == (1200, 400) and "1,200 training clips and 400 steps" in text
    s = {arm: {k: _per_seed("ch10-memorise", "ci", arm, k) for k in ("motion, training clips", "motion, other clips")}
         for arm in ("frozen codebook", "learned ids")}
    assert min(s["learned ids"]["motion, training clips"]) >= 0.998 and "right on 99.8% or more of its training clips" in text
    assert f"{_span(s['learned ids']['motion, other clips'], 2)} of the held-out ones" in text
    assert max(s["learned ids"]["motion, other clips"]) <= 0.2 and "what\nguessing among five motions gets (0.2)".replace("\n", " ") in text
    assert f"reached {_span(s['frozen codebook']['motion, other clips'], 3)} on the" in text
    cpu = json.loads(labs.RANGES.read_text())["labs"]["ch10-memorise"]["cpu"]
    assert (cpu["n_train"], cpu["steps"]) == (4000, 1200) and "(4,000 clips,\n1,200 steps)".replace("\n", " ") in text
    assert f"it did too: {_span(cpu['scores']['learned ids']['motion, other clips'], 2)} held out" in text


def test_the_cvae_and_critic_weight_solutions_quote_the_json():
    text = _solution("02_autoencoder.ipynb", "ex-vae-beta")
    s = {arm: {k: _per_seed("ch2-cvae-beta", "ci", arm, k) for k in ("colour", "shape", "position")}
         for arm in ("beta 16", "beta 1")}
    assert labs.LABS["ch2-cvae-beta"].eval_split == "val"
    assert f"asked-for colour in {_pct(s['beta 16']['colour'])} of the samples" in text
    assert s["beta 16"]["position"] == [1.0] * 5 and "asked-for position in all of\nthem".replace("\n", " ") in text
    assert f"with β = 1, in {_pct(s['beta 1']['colour'])} and {_pct(s['beta 1']['position'])}, lower at every seed" in text
    for k in ("colour", "position"):
        assert all(a > b for a, b in zip(s["beta 16"][k], s["beta 1"][k]))
    shape = s["beta 16"]["shape"] + s["beta 1"]["shape"]
    assert f"({_pct(shape)} against 25%)" in text and max(shape) < 0.30
    text = _solution("05_vqgan.ipynb", "ex-vqgan-weight")
    psnr = _diffs("ch5-weight", "ci", "adversarial 0.1", "adversarial 0.3", "psnr")
    assert all(d > 0 for d in psnr) and f"by {min(psnr):.1f} to\n{max(psnr):.1f} dB".replace("\n", " ") in text
    frechet = _diffs("ch5-weight", "ci", "adversarial 0.1", "adversarial 0.3", "frechet")
    assert sum(d < 0 for d in frechet) == 2 and "lower at two seeds and higher at three" in text
    weak, strong = (_per_seed("ch5-weight", "ci", arm, "frechet") for arm in ("adversarial 0.1", "adversarial 0.3"))
    assert f"({_span(weak, 0)}\nagainst {_span(strong, 0)})".replace("\n", " ") in text


def test_every_lab_range_was_measured_at_the_labs_sizes():
    from mmfuse_lite.runtime import setup
    ranges = json.loads(labs.RANGES.read_text())["labs"]
    for name, per in ranges.items():
        for profile, entry in per.items():
            cfg = setup(profile=profile, seed=0, device="cpu")
            lab = labs.LABS[name]
            assert (entry["steps"], entry["n_train"], entry["n_eval"]) == (lab.budget(cfg), *lab.sizes(cfg)), \
                f"{name} ({profile}): measured at other sizes; run {entry['command']}"


def test_the_colour_solution_quotes_the_json():
    text = _solution("10_sound_and_motion.ipynb", "ch10-colour")
    s = {arm: _per_seed("ch10-colour", "ci", arm, "none or colour") for arm in labs.LABS["ch10-colour"].arms}
    gain = [100 * d for d in _diffs("ch10-colour", "ci", "colour heads", "one label", "none or colour")]
    assert f"from\n{_span(s['one label'], 2)} to {_span(s['colour heads'], 2)}, by {min(gain):.0f} to {max(gain):.0f} points at every seed".replace("\n", " ") in text
    assert min(gain) > 0 and f"a gap of {min(gain):.0f} points at\nevery seed".replace("\n", " ") in text
    unpooled = [100 * d for d in _diffs("ch10-colour", "ci", "unpooled", "one label", "none or colour")]
    assert sum(d > 0 for d in unpooled) == 3 and sum(d < 0 for d in unpooled) == 2
    assert f"({_span(s['unpooled'], 2)}: within {max(map(abs, unpooled)):.1f} points of it\neither way, above it at three seeds and below it at two)".replace("\n", " ") in text


def test_the_finetune_rate_solution_quotes_the_json():
    text = _solution("08_contrastive_alignment.ipynb", "ch08-finetune-lr")
    one, small = (_per_seed("ch8-finetune-lr", "ci", arm, "semantic R@1") for arm in ("one rate, 2e-3", "encoder at 2e-4"))
    assert all(s < o for s, o in zip(small, one))
    assert f"from {_span(one, 2)} to {_span(small, 2)},\nat every seed".replace("\n", " ") in text
    live = json.loads(labs.RANGES.read_text())["chapters"]["ch8-transfer-live"]["ci"]
    scratch = live["values"]["test semantic Recall@1"]["scratch"]
    assert live["seeds"] == [0, 1, 2, 3, 4] and min(scratch) > max(one)
    assert f"({_span(scratch, 2)} in the live runs of section\n8.10, `ci` seeds 0–4)".replace("\n", " ") in text


def test_a_score_about_the_training_data_is_checked_on_it_and_a_validation_curve_must_rise():
    import torch
    from mmfuse_lite.nn import load_vqgan
    from mmfuse_lite.nn import temporal as TM
    lab = labs.LABS["ch10-memorise"]
    data = labs.lab_data("ch10-memorise", 16, 16, batch_size=8, width=8, seed=0)
    torch.manual_seed(0)
    models = {arm: TM.ClipClassifier(load_vqgan(labs.CLIP_VQGAN).quantizer.codebook.weight) for arm in lab.arms}
    good = {arm: {"model": m, "history": {"loss": [4.0, 3.0, 2.0, 1.0]},
                  "motion, training clips": labs._motion_accuracy(m, data.train),
                  "motion, other clips": labs._motion_accuracy(m, data.eval)} for arm, m in models.items()}
    assert labs._check_result(lab, good, data, lab.check_steps) == 13
    wrong = {**good, "learned ids": {**good["learned ids"],
                                     "motion, training clips": good["learned ids"]["motion, training clips"] + 0.5}}
    with pytest.raises(ExerciseError, match=r"\[learned ids\].*on data.train, the split this score is about"):
        labs._check_result(lab, wrong, data, lab.check_steps)
    # a lab that keeps its best state on validation: its curve must rise in the short run only
    val_lab = labs.LABS["ch8-finetune-lr"]
    flat = {"loss": [0.3, 0.2, 0.2, 0.1]}
    result = {arm: {"model": torch.nn.Linear(1, 1), "history": {"val": flat["loss"]}, "semantic R@1": 0.0}
              for arm in val_lab.arms}
    with pytest.raises(ExerciseError, match=r"validation score \('val'\) did not rise"):
        labs._check_result(val_lab, result, data, val_lab.check_steps)


def test_the_codebook_size_solution_quotes_the_json():
    text = _solution("10_sound_and_motion.ipynb", "ch10-codebook")
    entry = json.loads(labs.RANGES.read_text())["labs"]["ch10-codebook"]["ci"]
    assert (entry["steps"], entry["n_train"], entry["n_eval"]) == (4000, 20000, 500) and "500 validation sounds" in text
    big, small = ({k: _per_seed("ch10-codebook", "ci", arm, k) for k in ("error", "shape", "colour", "size", "note")}
                  for arm in ("128 codes", "16 codes"))
    assert f"from {_span(big['error'], 3)} to {_span(small['error'], 3)}".replace("0.019–0.019", "0.019") in text
    assert all(big[k] == [1.0] * 3 for k in ("shape", "colour", "size", "note")) and "every note with 128 codes" in text
    assert f"({_span(small['colour'], 3)} with 16 codes)" in text
    assert f"timbre ({_span(small['shape'], 2)}) and loudness ({_span(small['size'], 2)})" in text
    assert all(t < s for t, s in zip(small["shape"], small["size"])) and "timbre\na little more at every seed".replace("\n", " ") in text
    assert f"{_span(small['note'], 2)} of the notes came through whole" in text


def test_the_clip_labs_code_clips_with_chapter_10s_vqgan():
    import nbformat
    from mmfuse_lite import checkpoints
    assert labs.CLIP_VQGAN == checkpoints.load_card(checkpoints.shipped("image_to_sound"))["config"]["vqgan"]
    cells = nbformat.read(ROOT / "notebooks" / "10_sound_and_motion.ipynb", as_version=4).cells
    clip_labs = [c.source for c in cells if c.cell_type == "code" and "check_lab(" in c.source
                 and ('"ch10-memorise"' in c.source or '"ch10-colour"' in c.source)]
    assert len(clip_labs) == 2
    for src in clip_labs:      # the lab's codes and the lab function's codebook: one VQGAN
        assert f'load_vqgan("{labs.CLIP_VQGAN}")' in src and "load_vqgan()" not in src
