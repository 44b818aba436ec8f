"""Presets: the Locust config files are the single source of truth for load shapes."""

from pathlib import Path

import pytest

from loadtest.presets import PresetError, available, load_preset, parse_duration


def test_every_preset_the_issue_names_exists():
    assert set(available()) >= {"smoke", "quick", "medium", "stress", "soak", "spike"}


@pytest.mark.parametrize("name", available())
def test_each_preset_opens_with_the_question_it_answers(name):
    preset = load_preset(name)
    assert "?" in preset.question, f"{preset.path} must open with a comment asking its question"
    assert preset.settings["locustfile"].startswith("locustfile.py")
    assert preset.settings["headless"] == "true"
    assert preset.run_time_s > 0


@pytest.mark.parametrize(
    ("name", "users", "max_run_time_s"),
    [("smoke", 20, 120), ("quick", 10, 60), ("medium", 50, 300), ("stress", 100, 600)],
)
def test_preset_sizes_match_what_they_promise(name, users, max_run_time_s):
    preset = load_preset(name)
    assert preset.users == users
    assert preset.run_time_s <= max_run_time_s


def test_soak_runs_at_least_half_an_hour():
    assert load_preset("soak").run_time_s >= 1800


def test_spike_jumps_above_its_calm_level():
    spike = load_preset("spike")
    assert spike.peak_users > spike.users
    assert "spike_shape.py" in spike.settings["locustfile"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("2m 10s", 130)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m5", "1.5m", "5m-"])
def test_parse_duration_rejects_garbage(text):
    with pytest.raises(PresetError, match="cannot read the time"):
        parse_duration(text)


@pytest.mark.parametrize("name", ["nope", "../smoke", "Smoke", ""])
def test_unknown_preset_names_the_choices(name):
    with pytest.raises(PresetError, match="choose one of: medium, quick, smoke"):
        load_preset(name)


CALLERS = "# tiny: a caller's own preset.\n# Question: does it answer at all?\nusers = 2\nrun-time = 20s\n"


def test_a_callers_folder_adds_its_presets_to_the_built_in_ones(tmp_path):
    (tmp_path / "tiny.conf").write_text(CALLERS, encoding="utf-8")

    tiny = load_preset("tiny", tmp_path)

    assert (tiny.path, tiny.users, tiny.run_time_s) == (tmp_path / "tiny.conf", 2, 20)
    assert available(tmp_path) == sorted([*available(), "tiny"])
    with pytest.raises(PresetError, match="unknown preset 'tiny'; choose one of: medium, quick, smoke"):
        load_preset("tiny")


def test_a_callers_folder_is_read_relative_to_here_as_an_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "tiny.conf").write_text(CALLERS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    assert load_preset("tiny", Path("extra")).path == tmp_path / "extra" / "tiny.conf"


@pytest.mark.parametrize(
    ("file_name", "message"),
    [
        ("smoke.conf", "'smoke' is a built-in preset; give yours another name"),
        ("Big Run.conf", "'Big Run' is not a preset name"),
    ],
)
def test_a_callers_folder_may_not_shadow_a_built_in_preset_or_misname_one(tmp_path, file_name, message):
    (tmp_path / file_name).write_text(CALLERS, encoding="utf-8")

    with pytest.raises(PresetError, match=message):
        load_preset("quick", tmp_path)
    with pytest.raises(PresetError, match=message):
        available(tmp_path)


def test_a_missing_callers_folder_is_named(tmp_path):
    with pytest.raises(PresetError, match=f"presets folder {tmp_path / 'nope'}: no such folder"):
        load_preset("smoke", tmp_path / "nope")


@pytest.mark.parametrize("key", ["run-time", "base-run-time"])
def test_a_duration_it_cannot_read_names_the_file_and_the_key(tmp_path, key):
    (tmp_path / "tiny.conf").write_text(f"{CALLERS}{key} = two weeks\n", encoding="utf-8")

    with pytest.raises(PresetError, match=f"tiny.conf: {key}: cannot read the time 'two weeks'"):
        load_preset("tiny", tmp_path)


def test_the_base_run_time_applies_only_with_a_base(tmp_path):
    (tmp_path / "tiny.conf").write_text(CALLERS + "base-run-time = 1m30s\n", encoding="utf-8")

    tiny = load_preset("tiny", tmp_path)

    assert (tiny.run_time_for(with_base=False), tiny.run_time_for(with_base=True)) == (20, 90)
