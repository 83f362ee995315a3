"""The demo catalogue: every entry points at a bundled file whose columns and presets it names correctly."""

from __future__ import annotations

import json

import pytest

from rewardsmith.demo import DEFAULT_DEMO, DEMO_SETS, demo_for_path, demo_path, demo_presets, demo_set
from rewardsmith.presets import load_preset, preset_names
from rewardsmith.samples import load_samples


@pytest.mark.parametrize("name", DEMO_SETS)
def test_each_set_is_a_bundled_file_with_the_columns_it_names(name):
    entry = demo_set(name)
    with entry.path.open(encoding="utf-8") as fh:
        first = json.loads(fh.readline())
    assert list(first)[5:] == list(entry.reference_columns)
    assert len(load_samples(demo_path(name))) > 50
    assert entry.task.strip() and entry.title.strip()


def test_a_path_finds_its_set_and_other_files_find_none(tmp_path):
    for name in DEMO_SETS:
        assert demo_for_path(demo_path(name)).name == name
    copy = tmp_path / "search.jsonl"
    copy.write_bytes(demo_path("search").read_bytes())
    assert demo_for_path(copy) is None
    assert DEFAULT_DEMO in DEMO_SETS


def test_an_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown demo set 'nope'; choose one of search, math, maze"):
        demo_set("nope")


def test_every_demo_preset_is_bundled_and_reads_the_set_it_is_paired_with():
    pairs = demo_presets()
    assert [preset for preset, _ in pairs] == ["unsloth-gsm8k", "alphamaze"]
    for preset, entry in pairs:
        assert preset in preset_names()
        columns = load_preset(preset).columns()
        assert columns and set(columns) <= set(entry.reference_columns), (preset, columns)
