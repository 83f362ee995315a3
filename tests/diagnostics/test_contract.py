"""TRL contract: what breaks under GRPOTrainer is an error; what reads the wrong text is a warning."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from rewardsmith.cli import cli
from rewardsmith.diagnostics.contract import runtime_probe
from rewardsmith.presets import load_preset
from rewardsmith.render import render_module
from rewardsmith.samples import SampleSet
from rewardsmith.spec import dump_spec

from .conftest import run, sample, spec_of, write_jsonl

ANSWER_SPEC = """
name: acc
rules:
  - {name: accuracy, kind: exact_match, params: {reference: solution, extract: {method: xml_tag}}}
"""


def _ids(diag, severity=None):
    return {c.id for c in diag.checks if severity is None or c.severity == severity}


def test_missing_reference_column_is_an_error_with_the_near_name(bench):
    rows = SampleSet([sample("a", "<answer>4</answer>", solutions="4"), sample("b", "<answer>5</answer>", solutions="4")])
    diag = run(spec_of(ANSWER_SPEC), rows, bench)
    (err,) = [c for c in diag.errors if c.id == "contract:column:solution"]
    assert "'solutions'" in err.message
    assert not [c for c in diag.errors if c.id.startswith("contract:call")]  # the same cause, reported once
    fine = SampleSet([sample("a", "<answer>4</answer>", solution="4")])
    assert not run(spec_of(ANSWER_SPEC), fine, bench).errors


def test_cli_exits_1_on_an_error_finding(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(ANSWER_SPEC)
    rows = [{"prompt": "2+2?", "completion": "<answer>4</answer>", "solutions": "4"}]
    result = CliRunner().invoke(cli, ["test", str(spec), str(write_jsonl(rows, tmp_path / "s.jsonl")),
                                      "--json", str(tmp_path / "r.json")], catch_exceptions=False)
    assert result.exit_code == 1 and "FAILED" in result.output and "'solution'" in result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert any(c["id"] == "contract:column:solution" and c["severity"] == "error" for c in report["checks"])


HAND_WRITTEN = textwrap.dedent('''
    import signal


    def _make():
        def accuracy(prompts=None, completions=None, solution=None, **kwargs):
            return [1.0 if c.strip().endswith(s) else 0.0 for c, s in zip(completions, solution)]
        return accuracy


    accuracy = _make()


    def short(prompts=None, completions=None):
        signal.alarm(0)
        return [1.0 if len(c) < 40 else 0.0 for c in completions]


    def fixed(prompts=None, completions=None, **kwargs):
        return [0.0, 0.0]


    REWARD_FUNCS = [accuracy, short, fixed]
    REWARD_WEIGHTS = [1.0]
''')


def test_a_hand_written_module_breaks_the_contract(bench):
    spec = spec_of("""
name: hand
rules:
  - {name: accuracy, kind: exact_match, params: {reference: solution}}
  - {name: short, kind: length, params: {max_length: 40}}
  - {name: fixed, kind: length, params: {max_length: 40}}
""")
    rows = SampleSet([sample("a", "so 4", solution="4"), sample("b", "so 5", solution="4"),
                      sample("c", "so 6", solution="4")])
    diag = run(spec, rows, bench, source=HAND_WRITTEN)
    errors = {c.id for c in diag.errors}
    assert {"contract:reward_weights", "contract:pickle:accuracy", "contract:kwargs:short", "contract:call:fixed"} <= errors
    fixed = next(c.message for c in diag.errors if c.id == "contract:call:fixed")
    assert "returned 2 values for 1 completions" in fixed
    assert "contract:signal" in _ids(diag, "warning")  # sync: it only breaks off the main thread


def test_signal_in_an_async_reward_is_an_error():
    source = textwrap.dedent('''
        import signal

        async def slow(prompts=None, completions=None, **kwargs):
            signal.alarm(1)
            return [0.0 for _ in completions]

        REWARD_FUNCS = [slow]
        REWARD_WEIGHTS = [1.0]
    ''')
    rt = runtime_probe(source, ["q"], ["a"], {})
    assert rt["funcs"][0]["async"] is True and rt["funcs"][0]["calls"] == []
    from rewardsmith.diagnostics import contract
    from rewardsmith.diagnostics._common import Part

    part = Part("contract", "t")

    class Ctx:  # only the source is read
        pass

    ctx = Ctx()
    ctx.source = source
    contract._signals(ctx, rt, part, {})
    assert [c.severity for c in part.checks] == ["error"]


def test_a_rendered_module_keeps_the_contract(math_samples, bench):
    diag = run(load_preset("unsloth-gsm8k"), math_samples, bench)
    assert not diag.errors
    data = diag.part("contract").data
    assert data["runtime"]["n_funcs"] == data["runtime"]["n_weights"] == 5
    assert all(f["pickle"] is None and f["var_kw"] and not f["calls"] for f in data["runtime"]["funcs"])
    assert data["shape_flips"]["tested"] == 8 and data["shape_flips"]["differences"] == []
    assert data["tool_turns"] == [] and data["prefill"]["tag"] is None
    rt = runtime_probe(render_module(load_preset("alphamaze")), ["q"], ["<think>\nx\n</think>\n<|up|>"],
                       {"answer": ["<|up|>"]})
    assert rt["load"] is None and all(not f["calls"] for f in rt["funcs"])


def test_scope_first_on_tool_transcripts_is_flagged(seed_samples, bench):
    diag = run(load_preset("seed-exact-retry"), seed_samples, bench)
    assert {"contract:scope_first:reward_exact_match", "contract:scope_first:reward_retry_behavior"} <= _ids(diag, "warning")
    (exact,) = [t for t in diag.part("contract").data["tool_turns"] if t["rule"] == "reward_exact_match"]
    assert exact["first"].startswith("Searching for:") and (exact["score"], exact["final_only"]) == (0.0, 1.0)
    last = spec_of(dump_spec(load_preset("seed-exact-retry")).replace("scope: first", "scope: last"))
    assert not [c for c in run(last, seed_samples, bench).checks if "scope_first" in c.id]


def test_a_module_that_reads_one_shape_only_is_flagged(bench):
    source = textwrap.dedent('''
        def says_four(prompts=None, completions=None, **kwargs):
            return [1.0 if isinstance(c, str) and "4" in c else 0.0 for c in completions]

        REWARD_FUNCS = [says_four]
        REWARD_WEIGHTS = [1.0]
    ''')
    spec = spec_of("name: one\nrules:\n  - {name: says_four, kind: contains, params: {keywords: ['4']}}\n")
    rows = SampleSet([sample("a", "it is 4"), sample("b", "it is 5")])
    diag = run(spec, rows, bench, source=source)
    assert "contract:shape:says_four" in _ids(diag, "warning")


def test_none_policy(bench):
    rows = SampleSet([sample("a", "<answer>4</answer>", answer=None), sample("b", "<answer>5</answer>", answer=None)])
    spec = spec_of("name: n\nrules:\n  - {name: right, kind: exact_match, params: {extract: {method: xml_tag}}}\n")
    ids = _ids(run(spec, rows, bench), "warning")
    assert {"contract:column_none:answer", "contract:unscorable", "contract:all_none:right"} <= ids


def _maze_rows(prefilled: bool):
    rows = []
    for g, moves in (("g1", "<|up|><|right|>"), ("g2", "<|down|>")):
        prompt = "Solve the maze.\n" + ("<think>\n" if prefilled else "")
        for n, (body, label) in enumerate((("<think>\nplan\n</think>\n" + moves, "good"),
                                           ("<think>\nplan\n</think>\n<|left|>", "bad"))):
            rows.append(sample(f"{g}-{n}", body, group=g, prompt=prompt, label=label, answer=moves))
    return SampleSet(rows)


def test_chat_template_prefill(bench):
    diag = run(load_preset("alphamaze"), _maze_rows(prefilled=True), bench)
    assert diag.part("contract").data["prefill"]["tag"] == "think"
    hits = {r["rule"] for r in diag.part("contract").data["prefill"]["rules"]}
    assert hits == {"xmlcount_reward_func"}  # the answer rules read after </think>: a prefill does not matter
    quiet = run(load_preset("alphamaze"), _maze_rows(prefilled=False), bench)
    assert quiet.part("contract").data["prefill"]["tag"] is None
    assert not [c for c in quiet.checks if "prefill" in c.id]


def test_prefill_tag_needs_half_the_prompts_even_when_they_come_last():
    from rewardsmith.bench import ScoreMatrix
    from rewardsmith.diagnostics._common import Context
    from rewardsmith.diagnostics.contract import _prefill_tag
    from rewardsmith.samples import Sample

    def ctx(tagged: int, n: int = 2048) -> Context:
        # The tagged prompts come last, chat-style and as strings: the count stops early only when no tag
        # can still reach half.
        rows = [Sample(id=f"s{k}", group=f"g{k}", completion="x",
                       prompt=("Q <think> \n" if k % 2 else [{"role": "user", "content": "Q\n<think>"}])
                       if k >= n - tagged else "Q")
                for k in range(n)]
        matrix = ScoreMatrix(rules=[], weights=[], roles=[], sample_ids=[s.id for s in rows], scores={})
        return Context(spec_of(ANSWER_SPEC), SampleSet(rows), matrix, "")

    assert _prefill_tag(ctx(1024)) == "think"
    assert _prefill_tag(ctx(1023)) is None
    assert _prefill_tag(ctx(2048)) == "think"
