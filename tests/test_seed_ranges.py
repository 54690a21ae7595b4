"""Seed ranges: the module that records and draws them, the script's merging, and that every
figure the chapters draw was measured (data/seed_ranges.json). The prose's quotes are
checked in test_seed_range_quotes.py."""
import json
import pathlib
import re
import sys
import types

import matplotlib
import pytest

matplotlib.use("Agg")

from mmfuse_lite import seed_ranges as sr  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from chapter_ranges import figure_order, merged, table  # noqa: E402

CFG = types.SimpleNamespace(profile="ci", seed=3)
ENTRY = {"seeds": [0, 1, 2], "values": {"acc": {"a": [0.501, 0.55, 0.612], "b": [0.9, 0.9, 0.9]}},
         "measured": "2026-12-04", "seconds": 1, "command": "python scripts/chapter_ranges.py ch9 --profile ci"}


@pytest.fixture
def ranges_file(tmp_path, monkeypatch):
    path = tmp_path / "seed_ranges.json"
    path.write_text(json.dumps({"chapters": {"ch9-test": {"ci": ENTRY}}}))
    monkeypatch.setattr(sr, "FILE", path)
    monkeypatch.delenv(sr.LOG_VARIABLE, raising=False)
    return path


def test_quote_rounds_and_joins(ranges_file):
    assert sr.quote("ch9-test", "acc", "a") == "0.50–0.61"
    assert sr.quote("ch9-test", "acc", "a", digits=1, scale=100, sep=" to ") == "50.1 to 61.2"
    assert sr.quote("ch9-test", "acc", "b") == "0.90"                       # ends that round alike: one number
    assert sr.quote("ch9-test", "acc", ("a", "b")) == "0.50–0.90"            # several rows: their union
    assert sr.quote("ch9-test", "acc", "a", seeds=[1]) == "0.55"


def test_lookups_name_what_is_missing(ranges_file):
    with pytest.raises(LookupError, match="chapter_ranges.py ch9 --profile cpu"):
        sr.quote("ch9-test", "acc", "a", profiles=("ci", "cpu"))
    with pytest.raises(KeyError, match="no row 'acc' / 'c'"):
        sr.quote("ch9-test", "acc", "c")
    with pytest.raises(LookupError, match="none of seeds"):
        sr.quote("ch9-test", "acc", "a", seeds=[7])


def test_record_writes_only_when_measuring(ranges_file, tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    sr.record(CFG, "ch9-test", {"acc": {"a": 0.5, "b": 0.9}})
    assert not log.exists()
    monkeypatch.setenv(sr.LOG_VARIABLE, str(log))
    sr.record(CFG, "ch9-test", {"acc": {"a": 0.5, "b": 0.9}})
    assert json.loads(log.read_text()) == {"name": "ch9-test", "profile": "ci", "seed": 3,
                                           "values": {"acc": {"a": 0.5, "b": 0.9}}}


@pytest.mark.parametrize("name, values, error", [
    ("fusion", {"acc": {"a": 0.5}}, "name must look like 'ch7-fusion'"),
    ("ch9-test", {"a": 0.5}, "values must be {panel: {row: number}}"),
    ("ch9-test", {}, "values must be"),
    ("ch9-test", {"acc": {"a": float("nan")}}, "acc / a must be a finite number"),
    ("ch9-test", {"acc": {"a": "high"}}, "acc / a must be a finite number"),
    ("ch9-test", {"acc": {"a": True}}, "acc / a must be a finite number"),
])
def test_bad_values_are_refused(ranges_file, name, values, error):
    with pytest.raises((TypeError, ValueError), match=re.escape(error)):
        sr.show_seed_ranges(CFG, name, values)


def test_show_draws_the_range_and_this_run(ranges_file):
    import matplotlib.pyplot as plt
    fig = sr.show_seed_ranges(CFG, "ch9-test", {"acc": {"a": 0.52, "b": 0.91}})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert "ci, seeds 0–2" in [t.get_text() for t in ax.get_legend().get_texts()]
    diamonds = [line for line in ax.lines if line.get_marker() == "D"]
    assert [list(d.get_xdata()) for d in diamonds] == [[0.52], [0.91]]
    plt.close(fig)
    fig = sr.show_seed_ranges(CFG, "ch9-other", {"acc": {"a": 0.52}})      # nothing measured: says so
    assert "no seed range measured yet" in fig.axes[0].get_title(loc="left")
    plt.close(fig)


def test_a_stale_range_fails_with_the_command(ranges_file):
    with pytest.raises(ValueError, match="measured for other numbers.*chapter_ranges.py ch9"):
        sr.show_seed_ranges(CFG, "ch9-test", {"acc": {"a": 0.52, "renamed": 0.91}})


def test_seed_lists_are_written_as_runs():
    assert sr._seeds([0, 1, 2, 3, 4, 20, 21, 23]) == "0–4, 20–21, 23"


def test_merge_keeps_other_seeds_and_replaces_rerun_ones():
    old = {"seeds": [0, 2], "values": {"p": {"r": [1.0, 3.0]}}, "seconds": 5, "command": "x"}
    new = {"seeds": [1, 2], "values": {"p": {"r": [10.0, 20.0]}}, "seconds": 4, "command": "y", "measured": "d"}
    out = merged(old, new)
    assert out["seeds"] == [0, 1, 2] and out["values"]["p"]["r"] == [1.0, 10.0, 20.0]
    assert out["command"] == ["x", "y"] and out["seconds"] == 9
    other_rows = {**new, "values": {"p": {"q": [1.0, 2.0]}}}
    assert merged(old, other_rows) is other_rows                          # other numbers: the old seeds go


def test_every_figure_is_measured_and_every_measurement_is_drawn():
    drawn = figure_order()                      # every show_seed_ranges call in the chapters
    assert len(drawn) >= 20
    stored = json.loads(sr.FILE.read_text())["chapters"]
    assert sorted(set(drawn) - set(stored)) == [], "figures without a measured range: run scripts/chapter_ranges.py"
    assert sorted(set(stored) - set(drawn)) == [], "ranges that no chapter draws any more: remove them"
    for name, by_profile in stored.items():
        assert "ci" in by_profile, f"{name}: the ci profile (what nbval runs) must be measured"
        for profile, entry in by_profile.items():
            assert len(entry["seeds"]) >= 3, f"{name} ({profile}): a range needs at least 3 seeds"
            assert entry["seeds"] == sorted(set(entry["seeds"]))
            for panel, rows in entry["values"].items():
                for row, column in rows.items():
                    assert len(column) == len(entry["seeds"]), (name, profile, panel, row)


def test_the_results_page_table_is_generated_from_the_json():
    written = (ROOT / "book" / "seed_ranges_table.md").read_text()
    assert written == table(json.loads(sr.FILE.read_text())), \
        "book/seed_ranges_table.md is stale: python scripts/chapter_ranges.py --table"


def test_without_the_file_offline_nothing_is_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(sr, "FILE", tmp_path / "absent.json")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MMFUSE_OFFLINE", "1")
    assert sr.load() == {} and sr.measured("ch9-test", "ci") is None
