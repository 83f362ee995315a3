"""`rewardsmith test` prints the diagnostics, writes them to --json, and exits 1 only on error findings."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rewardsmith.cli import cli
from rewardsmith.presets import PRESETS_DIR
from rewardsmith.samples import demo_path


def _no_nan(value: str) -> None:
    raise AssertionError(f"the JSON report holds {value}")


def test_test_prints_diagnostics_and_writes_them(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["test", str(PRESETS_DIR / "unsloth-gsm8k.yaml"), str(demo_path("math")),
                                      "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output  # a preset's quirks are warnings
    for title in ("Robustness", "Hacking probes", "GRPO signal"):
        assert title in result.output
    report = json.loads(out.read_text(), parse_constant=_no_nan)
    diag = report["diagnostics"]
    assert {"robustness", "probes", "grpo"} <= set(diag)
    assert [s["title"] for s in report["sections"]][:3] == [diag[k]["title"] for k in ("robustness", "probes", "grpo")]
    assert any(c["id"] == "robustness:xmlcount_reward_func" for c in report["checks"])


def test_aggregation_options_reach_the_grpo_section(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["test", str(PRESETS_DIR / "alphamaze.yaml"), str(demo_path("maze")),
                                      "--aggregation", "normalize_then_sum", "--json", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    grpo = json.loads(out.read_text())["diagnostics"]["grpo"]
    assert grpo["aggregation"] == "normalize_then_sum" and grpo["frac_reward_zero_std"] in (0.0, 1.0)
