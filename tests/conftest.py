"""Shared fixtures. Real data lives in ../shared/data/real beside the repository (read in place, never copied)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Relative to the repository, never an absolute path: CI runs a fresh clone with a copy of shared/ beside it.
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# The slow tests, found with `python -m pytest --durations=0` (a second or more each on a loaded machine): whole
# modules, and single test functions (every parametrisation) in modules that are otherwise quick. The
# plain `python -m pytest` runs them all; `python -m pytest -m "not slow"` leaves them out and runs in
# under a minute. A new test that takes seconds belongs here (or carries @pytest.mark.slow itself).
SLOW_MODULES = frozenset({
    "tests/diagnostics/test_cli.py",
    "tests/llm/test_cli_llm.py",
    "tests/test_export.py",
    "tests/test_packaging.py",
    "tests/test_real_data_fixture.py",
    "tests/trl/test_grpo_trainer.py",
    "tests/tui/test_commands.py",
    "tests/tui/test_flows.py",
    "tests/tui/test_snapshots.py",
})
SLOW_TESTS = frozenset({
    "tests/diagnostics/test_contract.py::test_a_rendered_module_keeps_the_contract",
    "tests/diagnostics/test_contract.py::test_chat_template_prefill",
    "tests/diagnostics/test_contract.py::test_cli_exits_1_on_an_error_finding",
    "tests/diagnostics/test_contract.py::test_missing_reference_column_is_an_error_with_the_near_name",
    "tests/diagnostics/test_contract.py::test_scope_first_on_tool_transcripts_is_flagged",
    "tests/diagnostics/test_grpo.py::test_duplicate_and_no_signal_rules_are_flagged",
    "tests/diagnostics/test_grpo.py::test_tiny_spreads_blown_up_by_group_scaling_are_flagged",
    "tests/diagnostics/test_lint.py::test_a_catastrophic_count_pattern_that_got_past_validation_times_out_in_the_worker",
    "tests/diagnostics/test_lint.py::test_anchors_against_trailing_newlines",
    "tests/diagnostics/test_lint.py::test_generated_multiline_string_when_no_sample_shows_the_dot_issue",
    "tests/diagnostics/test_lint.py::test_literal_newline_where_models_vary",
    "tests/diagnostics/test_lint.py::test_match_used_for_search",
    "tests/diagnostics/test_lint.py::test_unsloth_isdigit_and_whole_text_quirks_are_shown_through_the_module",
    "tests/diagnostics/test_presets.py::test_preset_findings_are_warnings",
    "tests/diagnostics/test_probes.py::test_contains_pays_for_keyword_stuffing_and_or_lists",
    "tests/diagnostics/test_variants.py::test_case_fires_only_where_the_rule_says_case_does_not_matter",
    "tests/diagnostics/test_weights.py::test_preset_weights_sections",
    "tests/llm/test_faults.py::test_429_then_success",
    "tests/llm/test_faults.py::test_backoff_grows_between_retries",
    "tests/llm/test_judge.py::test_an_unreachable_judge_fails_the_batch_fast",
    "tests/llm/test_judge.py::test_autodidact_formatting_matches_the_original_on_generated_chats",
    "tests/llm/test_judge.py::test_the_bench_runs_the_judge_through_the_worker",
    "tests/llm/test_judge.py::test_the_failure_policy_on_500_and_timeouts",
    "tests/llm/test_judge.py::test_verdicts_are_parsed_strictly",
    "tests/llm/test_propose_llm.py::test_candidates_run_concurrently_and_the_best_report_wins",
    "tests/llm/test_refine.py::test_a_failed_round_keeps_the_earlier_rounds",
    "tests/llm/test_refine.py::test_reflection_rounds_fix_the_rules_and_every_round_is_kept",
    "tests/llm/test_refine.py::test_rules_the_checks_name_must_survive_a_revision",
    "tests/test_bench.py::test_errors_and_hangs_are_isolated_per_sample",
    "tests/test_cli.py::test_export_check_and_drift_exit_codes",
    "tests/test_cli.py::test_missing_field_tells_which_flags_to_use",
    "tests/test_cli.py::test_test_fails_with_exit_1_when_an_expectation_is_not_met",
    "tests/test_demo_data.py::test_regenerating_gives_byte_identical_files",
    "tests/test_generated.py::test_demo_reproduces_generated_byte_for_byte",
    "tests/test_generated.py::test_each_export_rerenders_and_rescores_without_drift",
    "tests/test_generated.py::test_exported_pytest_files_pass_with_plain_pytest",
    "tests/test_preset_equivalence.py::test_alphamaze_matches_the_original",
    "tests/test_preset_equivalence.py::test_seed_exact_retry_matches_the_original",
    "tests/test_preset_equivalence.py::test_unsloth_gsm8k_matches_the_original",
    "tests/test_propose_offline.py::test_output_does_not_depend_on_hash_seed",
    "tests/test_propose_offline.py::test_proposal_separates_at_least_as_well_as_best_hand_written_rule",
    "tests/test_regen.py::test_check_lists_differences_and_exits_1_then_a_rewrite_repairs",
    "tests/test_regen.py::test_the_committed_files_are_what_the_code_produces",
    "tests/test_render.py::test_rendering_is_the_same_under_another_hash_seed",
    "tests/tui/test_headless.py::test_headless_module_never_imports_textual",
    "tests/tui/test_headless.py::test_opening_the_app_imports_no_llm_client",
    "tests/tui/test_param_form.py::test_a_rule_comes_back_out_of_its_form_unchanged",
    "tests/tui/test_param_form.py::test_only_the_fields_the_method_uses_are_shown",
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests listed above `slow`."""
    for item in items:
        module, _, name = item.nodeid.partition("::")
        if module in SLOW_MODULES or f"{module}::{name.split('[')[0]}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def real_data() -> Callable[[str], Path]:
    """`real_data("bamboogle_qwen.jsonl")` is the path of that file in ../shared/data/real (see SOURCES.md there).

    When the file is missing the test is skipped on a developer's machine, but fails when `CI` is set:
    a test that reads real data must run in CI, never skip there. The check happens at the call, so a
    module-scoped fixture may hold the function and only the tests that read real data depend on it.
    """

    def locate(name: str) -> Path:
        path = REAL / name
        if path.is_file():
            return path
        what = f"real data {name} not found in {REAL} (the repository's ../shared/data/real)"
        if _on_ci():
            pytest.fail(f"{what}; CI must run the tests that read it: put shared/ beside the checkout", pytrace=False)
        pytest.skip(what)

    return locate
