"""The command line: `rewardsmith` alone opens the workbench; subcommands run the pipeline headless.

Exit codes: 0 success; 1 a check failed or drift was found; 2 the input was wrong (bad file,
bad spec, bad flags), reported as one line that says where and what to do — never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console
from rich.markup import escape

from . import __version__
from .cli_llm import llm_options
from .errors import RewardsmithError
from .redact import RedactingStream

# render.TARGETS, spelled out so the CLI starts without importing the renderer (a test keeps them equal)
EXPORT_TARGETS = ("trl", "verl", "verifiers")

__all__ = ["main"]

# Piped output (CI logs, files) gets a width that fits the report table instead of rich's 80.
# Both consoles mask registered secrets (rewardsmith.redact), whatever text reaches them.
err = Console(file=RedactingStream("stderr"))
out = Console(file=RedactingStream("stdout"), width=None if sys.stdout.isatty() else 130)


def _fail(message: str, code: int = 2) -> None:
    # the message is plain text: escaped, so "rewardsmith[trl]" or a file "runs[v2].jsonl" prints as written
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RewardsmithError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted", 130)

    return wrapper


def field_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The flags that map a user's columns onto samples (real files never use our names)."""
    options = [
        click.option("--prompt-field", help="column holding the prompt (default: prompt/question/query …)"),
        click.option("--completion-field", help="column holding the completion (or a list of them)"),
        click.option("--label-field", help="column holding the label (good/bad, bool, 1/0 or a score)"),
        click.option("--id-field", help="column holding a sample id"),
        click.option("--group-field", help="column holding the group id (default: identical prompts)"),
        click.option("--label-true", multiple=True, help="a label value meaning good (repeatable)"),
        click.option("--label-false", multiple=True, help="a label value meaning bad (repeatable)"),
        click.option("--label-threshold", type=float, help="numeric labels: at least this is good"),
        click.option("--per-completion", multiple=True, help="a list column split alongside a list of completions"),
        click.option("--format", "fmt", type=click.Choice(["auto", "jsonl", "csv", "parquet", "text", "chatml"]),
                     default="auto", show_default=True, help="samples file format"),
        click.option("--separator", help="text format: regex of the lines between completions"),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _field_map(kw: dict[str, Any]) -> Any:
    from .samples import FieldMap

    return FieldMap(**_field_args(kw))


def _field_args(kw: dict[str, Any]) -> dict[str, Any]:
    """The FieldMap arguments the flags give (popped from `kw`); unset ones are left to their defaults."""
    args: dict[str, Any] = {
        "prompt": kw.pop("prompt_field", None),
        "completion": kw.pop("completion_field", None),
        "label": kw.pop("label_field", None),
        "id": kw.pop("id_field", None),
        "group": kw.pop("group_field", None),
        "label_threshold": kw.pop("label_threshold", None),
        "per_completion": tuple(kw.pop("per_completion", ()) or ()),
        "format": kw.pop("fmt", "auto"),
    }
    true, false, sep = kw.pop("label_true", ()), kw.pop("label_false", ()), kw.pop("separator", None)
    if true:
        args["label_true"] = tuple(true)
    if false:
        args["label_false"] = tuple(false)
    if sep:
        args["separator"] = sep
    return args


def judge_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Where judge rules send requests and which key they carry: the user's choice (rewardsmith.judging)."""
    options = [
        click.option("--judge-base-url", metavar="URL", help="endpoint of judge rules (default "
                     "$REWARDSMITH_JUDGE_BASE_URL, judge.base_url in the config, http://127.0.0.1:8000/v1)"),
        click.option("--judge-key-env", metavar="VAR", help="the environment variable holding the judge's key "
                     "(default $REWARDSMITH_JUDGE_KEY_ENV, judge.key_env in the config, OPENAI_API_KEY)"),
        click.option("--trust-judge-endpoint", is_flag=True,
                     help="use the endpoint and key variable the spec names (check them first)"),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _settle_judges(spec: Any, kw: dict[str, Any]) -> Any:
    """`spec` with its judge rules on the user's endpoint and key (flags popped from `kw`); says what it ignored."""
    from .judging import apply_judge_settings, judge_settings

    given = (kw.pop("judge_base_url", None), kw.pop("judge_key_env", None), kw.pop("trust_judge_endpoint", False))
    if not any(rule.kind == "judge" for rule in spec.rules):
        return spec  # no judge: a bad judge setting is no reason to refuse the command
    settings = judge_settings(*given)
    settled, notes = apply_judge_settings(spec, settings)
    for note in notes:
        err.print(f"note: {note}", highlight=False, markup=False)
    return settled


def _load(path: str, kw: dict[str, Any], lean: int | None = None, fields: Any = None) -> Any:
    from .samples import load_samples

    fields = fields or _field_map(kw)
    with err.status(f"loading {escape(path)} …"):
        samples = load_samples(path, fields, lean=lean)
    for line in samples.warnings():
        err.print(f"warning: {line}", highlight=False, markup=False)
    return samples


def _score_with_progress(spec: Any, samples: Any, time_limit: float, workers: int | None = None,
                         engine: str = "local", address: str | None = None, source: str | None = None) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from .bench import default_workers, score_samples

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("scoring", total=len(spec.rules) * len(samples))
        update = lambda done, total: bar.update(task, completed=done)  # noqa: E731
        if engine == "ray":
            from .engine_ray import score_samples_ray

            return score_samples_ray(spec, samples, source=source, time_limit=time_limit, address=address,
                                     shards=workers, progress=update)
        return score_samples(spec, samples, source=source, time_limit=time_limit,
                             workers=workers or default_workers(), progress=update)


def _score_file_with_progress(spec: Any, source: str, path: str, fields: Any, time_limit: float,
                              workers: int | None, engine: str, address: str | None) -> Any:
    """Workers read, describe and score a JSON-lines file at once (bench.score_file); None for another file."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeElapsedColumn

    from .bench import default_workers, score_file
    from .diagnostics import MAX_GROUPS

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"reading and scoring {escape(path)}", total=None)
        update = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
        if engine == "ray":
            from .engine_ray import score_file_ray

            return score_file_ray(spec, path, fields, max_groups=MAX_GROUPS, source=source,
                                  time_limit=time_limit, address=address, shards=workers, progress=update)
        return score_file(spec, path, fields, max_groups=MAX_GROUPS, source=source, time_limit=time_limit,
                          workers=workers or default_workers(), progress=update)


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Where the scoring runs: local worker processes, or Ray tasks."""
    options = [
        click.option("--workers", type=click.IntRange(1, 256), default=None,
                     help="worker processes scoring shards at once (default: one per core); with --engine ray, "
                          "the number of shards"),
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="ray: score shards of the samples file as Ray tasks (pip install 'rewardsmith[ray]')"),
        click.option("--ray-address", help="with --engine ray: the cluster (ray://host:10001; default: "
                                           "$RAY_ADDRESS, else a local Ray)"),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


class _Workbench(click.Group):
    """`rewardsmith FILE` opens the workbench on FILE, as `rewardsmith tui FILE` does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands and Path(args[0]).is_file():
            args = ["tui", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_Workbench, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rewardsmith")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Design, test and export rule-based GRPO reward functions.

    Run without a command to open the workbench on the bundled demo data.
    """
    if ctx.invoked_subcommand is None:
        _open_tui(None, {})


def _open_tui(path: str | None, fields: dict[str, Any], audit: list[str] | None = None) -> None:
    try:
        from .tui.app import run
    except ImportError as exc:
        _fail(f"the workbench is not available in this install ({exc}); the headless commands work: rewardsmith --help")
    run(path, fields, audit=audit)


@cli.command()
@click.argument("samples", required=False, type=click.Path(dir_okay=False))
@click.option("--audit", "audit_targets", multiple=True, metavar="REWARDS.py",
              help="audit reward functions (a file, FILE.py:name or module:name; repeatable) on SAMPLES in the workbench")
@field_options
def tui(samples: str | None, audit_targets: tuple[str, ...], **kw: Any) -> None:
    """Open the workbench on SAMPLES (default: the bundled demo data), mapping its columns with the flags.

    With --audit REWARDS.py it opens as an audit of those functions: their scores, the report and the
    diagnostics, and `t` for the library rules that score the same, to go on in the workbench.
    """
    if audit_targets and samples is None:
        _fail("--audit needs a SAMPLES file: rewardsmith tui --audit REWARDS.py SAMPLES")
    args = _field_args(kw)
    # Only what the user set is stored: a default would override the workspace's mapping on every reopen.
    fields = {k: v for k, v in args.items() if v not in (None, (), "auto")}
    if fields and samples is None:
        _fail("the column flags need a SAMPLES file: rewardsmith FILE --prompt-field …")
    _open_tui(samples, fields, list(audit_targets) or None)


@cli.command()
def presets() -> None:
    """List the bundled presets."""
    from rich.table import Table

    from .presets import load_preset, preset_names

    table = Table(header_style="bold")
    table.add_column("preset")
    table.add_column("rules")
    table.add_column("description")
    for name in preset_names():
        spec = load_preset(name)
        table.add_row(name, ", ".join(r.name for r in spec.rules), spec.description)
    out.print(table)


@cli.command()
@click.argument("samples", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="where to write the spec")
@click.option("--name", default=None, help="the spec's name (default: the samples file's name)")
@click.option("--task", default="", help="what the model is asked to do, in plain words")
@click.option("--candidates", type=click.IntRange(1, 8), default=1, show_default=True,
              help="LLM only: ask for K proposals at once and keep the one with the best report")
@llm_options
@field_options
@handle_errors
def propose(samples: str, output: str, name: str | None, task: str, candidates: int, **kw: Any) -> None:
    """Propose a spec for SAMPLES: offline rule mining, or a model with --model (or $REWARDSMITH_MODEL)."""
    from .cli_llm import llm_requested, run_propose
    from .propose import propose_offline
    from .spec import save_spec

    sample_set = _load(samples, kw)
    if llm_requested(kw):
        run_propose(sample_set, output=output, name=name or _spec_name(samples), task=task, candidates=candidates,
                    kw=kw, out=out, err=err)
        return
    if kw.get("persona") or kw.get("instructions") or candidates > 1:
        err.print("note: --persona, --instructions and --candidates need a model (--model or $REWARDSMITH_MODEL); "
                  "proposing offline", highlight=False)
    with err.status("mining rules …"):
        spec = propose_offline(sample_set, name=name or _spec_name(samples), task=task)
    save_spec(spec, output)
    out.print(spec.description, highlight=False, markup=False)  # what can and cannot be checked
    for rule in spec.rules:
        out.print(f"  [bold]{rule.name}[/] ({rule.kind}, {rule.role}, weight {rule.weight:g}): "
                  f"{escape(rule.rationale)}", highlight=False)
    out.print(f"wrote {output} ({len(spec.rules)} rules)", highlight=False, markup=False)


def _spec_name(path: str) -> str:
    import re

    stem = re.sub(r"[^A-Za-z0-9_.\-]", "-", Path(path).stem).strip("-.") or "proposed"
    return stem[:64]


@cli.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.argument("samples", type=click.Path(exists=True, dir_okay=False))
@click.option("--rounds", type=click.IntRange(0, 20), default=3, show_default=True,
              help="reflection rounds at most; stops early when the checks pass")
@click.option("--out-dir", type=click.Path(file_okay=False),
              help="where each round's spec, report and record go (default: SPEC.rounds/ beside the spec)")
@click.option("--min-auc", type=click.FloatRange(0.0, 1.0),
              help="target AUC of the total (default 0.9 when the spec has no expectations)")
@click.option("--max-zero-spread", type=click.FloatRange(0.0, 1.0),
              help="target share of zero-spread groups (default 0.5 when the spec has no expectations)")
@click.option("--no-diagnostics", is_flag=True, help="send the core report only (no probes or robustness findings)")
@click.option("--time-limit", type=float, default=2.0, show_default=True, help="seconds per reward call")
@llm_options
@field_options
@handle_errors
def refine(spec: str, samples: str, rounds: int, out_dir: str | None, min_auc: float | None,
           max_zero_spread: float | None, no_diagnostics: bool, time_limit: float, **kw: Any) -> None:
    """Test SPEC on SAMPLES, send the report to a model, test its revision; repeat until the checks pass."""
    from .cli_llm import run_refine

    sample_set = _load(samples, kw)
    sys.exit(run_refine(spec, sample_set, rounds=rounds, out_dir=out_dir, min_auc=min_auc,
                        max_zero_spread=max_zero_spread, diagnostics=not no_diagnostics, time_limit=time_limit,
                        kw=kw, out=out, err=err))


@cli.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write here (default: standard output)")
@handle_errors
def render(spec: str, output: str | None) -> None:
    """Render SPEC into a TRL-ready Python module."""
    from .fsutil import write_atomic
    from .render import render_module
    from .spec import load_spec

    source = render_module(load_spec(spec))
    if output:
        write_atomic(Path(output), source)
        err.print(f"wrote {output}", highlight=False, markup=False)
    else:
        click.echo(source, nl=False)


@cli.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.argument("samples", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="also write the report as JSON")
@click.option("--time-limit", type=float, default=2.0, show_default=True, help="seconds per reward call")
@click.option("--aggregation", type=click.Choice(["sum_then_normalize", "normalize_then_sum"]),
              default="sum_then_normalize", show_default=True, help="TRL's multi_objective_aggregation")
@click.option("--scale-rewards", type=click.Choice(["group", "batch", "none"]), default="group",
              show_default=True, help="TRL's scale_rewards")
@engine_options
@field_options
@judge_options
@handle_errors
def test(spec: str, samples: str, json_path: str | None, time_limit: float, aggregation: str,
         scale_rewards: str, workers: int | None, engine: str, ray_address: str | None, **kw: Any) -> None:
    """Run SPEC's module on SAMPLES, check it and diagnose it; exit 1 when a check fails."""
    from .checks import build_report, report_json
    from .diagnostics import MAX_GROUPS, diagnose
    from .fsutil import write_atomic
    from .render import render_module
    from .report_view import print_report
    from .spec import load_spec

    reward_spec = _settle_judges(load_spec(spec), kw)
    source = render_module(reward_spec)  # once: the workers run it, the diagnostics probe it
    fields = _field_map(kw)
    scored = _score_file_with_progress(reward_spec, source, samples, fields, time_limit, workers, engine,
                                       ray_address)
    if scored is None:
        # Another format, or something to report about the file: read it here (the reader says what and where).
        # Lean: the workers read the texts themselves; this process keeps them for the diagnostics' groups only.
        sample_set = _load(samples, kw, lean=MAX_GROUPS, fields=fields)
        matrix = _score_with_progress(reward_spec, sample_set, time_limit, workers, engine, ray_address, source)
    else:
        sample_set, matrix = scored
        for line in sample_set.warnings():
            err.print(f"warning: {line}", highlight=False, markup=False)
    report = build_report(reward_spec, sample_set, matrix, aggregation=aggregation, scale_rewards=scale_rewards)
    with err.status("diagnosing …"):
        diagnose(reward_spec, sample_set, matrix, source=source, aggregation=aggregation,
                 scale_rewards=scale_rewards).attach(report)
    print_report(report, out)
    if json_path:
        write_atomic(Path(json_path), report_json(report))
        err.print(f"wrote {json_path}", highlight=False, markup=False)
    sys.exit(0 if report.passed else 1)


def _names(values: tuple[str, ...]) -> list[str]:
    """--functions a,b (repeatable); a call with arguments (a factory) is given in an option of its own."""
    return [n.strip() for v in values for n in (v.split(",") if "(" not in v else [v]) if n.strip()]


def _weights(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        return [float(w) for w in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r}: give the weights as numbers separated by commas, e.g. 1,0.5",
                                 param_hint="--weights") from None


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.argument("samples", type=click.Path(exists=True, dir_okay=False))
@click.option("--functions", multiple=True,
              help="functions of the file to audit, comma-separated, or one call per option for a factory "
                   "(default: its REWARD_FUNCS, else every function taking completions)")
@click.option("--weights", help="one weight per function, comma-separated (GRPOConfig(reward_weights=...))")
@click.option("--to-spec", "to_spec", type=click.Path(dir_okay=False),
              help="write the library rules that score like the functions here, to continue in the workbench")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="also write the report as JSON")
@click.option("--time-limit", type=float, default=2.0, show_default=True, help="seconds per reward call")
@click.option("--aggregation", type=click.Choice(["sum_then_normalize", "normalize_then_sum"]),
              default="sum_then_normalize", show_default=True, help="TRL's multi_objective_aggregation")
@click.option("--scale-rewards", type=click.Choice(["group", "batch", "none"]), default="group",
              show_default=True, help="TRL's scale_rewards")
@field_options
@handle_errors
def audit(targets: tuple[str, ...], samples: str, functions: tuple[str, ...], weights: str | None,
          to_spec: str | None, json_path: str | None, time_limit: float, aggregation: str, scale_rewards: str,
          **kw: Any) -> None:
    """Diagnose reward functions rewardsmith did not write, on SAMPLES; exit 1 when a check fails.

    TARGETS is a file (rewards.py, or rewards.py:name) and/or module functions
    (trl.rewards:think_format_reward; a factory as a call, 'trl.rewards:get_soft_overlong_punishment(100, 20)').
    """
    from .audit import audit as run_audit
    from .audit.tospec import equivalents, spec_from_audit
    from .checks import report_json
    from .fsutil import write_atomic
    from .report_view import print_report
    from .spec import save_spec

    sample_set = _load(samples, kw)
    with err.status("auditing …"):
        result = run_audit(list(targets), sample_set, functions=_names(functions), weights=_weights(weights),
                           time_limit=time_limit, aggregation=aggregation, scale_rewards=scale_rewards)
    print_report(result.report, out)
    if to_spec:
        with err.status("looking for library rules that score the same …"):
            found = equivalents(result, time_limit=time_limit)
        for e in found:
            if e.rule is None:
                out.print(f"{e.function}: no library rule scores like it on these samples", markup=False)
            else:
                out.print(f"{e.function}: kind {e.rule.kind} (from preset {e.source}) gives the same score on all "
                          f"{e.rows} completions tried", markup=False)
        spec = spec_from_audit(result, found)
        if spec is None:
            err.print("no function has a library equivalent: no spec written", markup=False)
        else:
            save_spec(spec, to_spec)
            err.print(f"wrote {to_spec}: open it with rewardsmith tui {samples}, or rewardsmith test {to_spec} "
                      f"{samples}", markup=False)
    if json_path:
        write_atomic(Path(json_path), report_json(result.report))
        err.print(f"wrote {json_path}", markup=False)
    sys.exit(0 if result.report.passed else 1)


@cli.command()
@click.argument("spec", required=False, type=click.Path(exists=True, dir_okay=False))
@click.argument("samples", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="export folder (default: generated/NAME)")
@click.option("--preset", help="export a bundled preset instead of a spec file")
@click.option("--force", is_flag=True, help="replace files edited by hand (a copy is kept beside the export)")
@click.option("--allow-failing", is_flag=True, help="export even when a check fails")
@click.option("--time-limit", type=float, default=2.0, show_default=True, help="seconds per reward call")
@click.option("--target", "trainer", type=click.Choice(EXPORT_TARGETS), default="trl", show_default=True,
              help="the trainer the module is for: TRL's reward_funcs, verl's compute_score, verifiers' task rewards")
@field_options
@judge_options
@handle_errors
def export(spec: str | None, samples: str | None, out_dir: str | None, preset: str | None, force: bool,
           allow_failing: bool, time_limit: float, trainer: str, **kw: Any) -> None:
    """Export SPEC (or --preset) as module + pytest file + spec + baseline, tested on SAMPLES."""
    from .presets import load_preset
    from .spec import load_spec

    if bool(spec) == bool(preset):
        _fail("give a SPEC file or --preset NAME (one of them)")
    reward_spec = _settle_judges(load_preset(preset) if preset else load_spec(spec), kw)  # type: ignore[arg-type]
    sample_set = _load(samples, kw) if samples else None
    target = Path(out_dir) if out_dir else Path("generated") / reward_spec.name
    _do_export(reward_spec, target, sample_set, force=force, allow_failing=allow_failing, time_limit=time_limit,
               trainer=trainer)


def _do_export(spec: Any, target: Path, samples: Any, *, force: bool, allow_failing: bool,
               time_limit: float, quiet: bool = False, trainer: str = "trl") -> Any:
    from .export import export_spec, plan_export
    from .report_view import print_report

    plan = plan_export(spec, target, samples, time_limit=time_limit, target=trainer)
    if plan.report is not None and not quiet:
        print_report(plan.report, out)
    if plan.report is not None and not plan.report.passed and not allow_failing:
        _fail("not exported: a check failed (see above); fix the spec, or pass --allow-failing", 1)
    result = export_spec(spec, target, samples, force=force, plan=plan)
    verb = "updated" if result.changed else "unchanged"
    out.print(f"{verb} {target}/ ({', '.join(sorted(result.files))})", highlight=False, markup=False)
    if result.backup is not None:
        out.print(f"the files edited by hand were copied to {result.backup}/", highlight=False, markup=False)
    return result



@cli.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.argument("dataset", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", required=True, help="the policy to train: a local folder or a Hub name")
@click.option("--steps", type=click.IntRange(min=1), default=10, show_default=True, help="optimisation steps per arm")
@click.option("--ablate", "ablate_rule", metavar="RULE", help="arm B: the spec with RULE logged, not optimised")
@click.option("--against", type=click.Path(exists=True, dir_okay=False), help="arm B: another spec")
@click.option("--seed", type=int, default=0, show_default=True, help="same seed for both arms and the split")
@click.option("--generations", type=click.IntRange(min=2), default=4, show_default=True,
              help="completions per prompt (a GRPO group)")
@click.option("--prompts-per-step", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--max-completion-length", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--learning-rate", type=float, default=1e-5, show_default=True)
@click.option("--heldout", "heldout_share", type=click.FloatRange(0.0, 0.9), default=0.25, show_default=True,
              help="share of the prompts held out and graded after training")
@click.option("--cpu", is_flag=True, help="train on the CPU even when a GPU is there")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="where both runs' logs go "
              "(default: trials/SPEC-NAME)")
@click.option("--no-plot", is_flag=True, help="the table only")
@field_options
@handle_errors
def trial(spec: str, dataset: str, model: str, steps: int, ablate_rule: str | None, against: str | None, seed: int,
          generations: int, prompts_per_step: int, max_completion_length: int, learning_rate: float,
          heldout_share: float, cpu: bool, out_dir: str | None, no_plot: bool, **kw: Any) -> None:
    """Two short GRPO trainings (TRL's GRPOTrainer) that differ only in the reward, side by side."""
    from .spec import load_spec
    from .trial import TrialSettings, run_trial
    from .trial_view import print_trial

    reward_spec = load_spec(spec)
    other = load_spec(against) if against else None
    samples = _load(dataset, kw)
    settings = TrialSettings(model=model, steps=steps, seed=seed, num_generations=generations,
                             prompts_per_step=prompts_per_step, max_completion_length=max_completion_length,
                             learning_rate=learning_rate, heldout_share=heldout_share, use_cpu=cpu)
    folder = Path(out_dir) if out_dir else Path("trials") / reward_spec.name
    with err.status(f"training two arms for {steps} step(s) each …"):
        a, b = run_trial(reward_spec, samples, folder, settings, ablate_rule=ablate_rule, against=other)
    print_trial(a, b, out, plot=not no_plot)
    out.print(f"run logs in {folder}/ (trial.json, a/, b/)", highlight=False, markup=False)

@cli.command()
@click.argument("export_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("samples", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--time-limit", type=float, default=2.0, show_default=True)
@field_options
@judge_options
@handle_errors
def check(export_dir: str, samples: str | None, time_limit: float, **kw: Any) -> None:
    """Re-render and re-score an export; exit 1 on drift, with a diff."""
    from rich.syntax import Syntax
    from rich.table import Table

    from .export import check_export

    judges = {k: kw.pop(k, None) for k in ("judge_base_url", "judge_key_env", "trust_judge_endpoint")}
    sample_set = _load(samples, kw) if samples else None
    result = check_export(export_dir, sample_set, time_limit=time_limit,
                          settle=lambda exported: _settle_judges(exported, dict(judges)))
    if result.module_diff:
        out.print("[bold red]The module differs from a fresh render of its spec:[/]")
        out.print(Syntax(result.module_diff, "diff", theme="ansi_dark"))
    if result.drift:
        table = Table(title=f"Score drift ({len(result.drift)})", title_justify="left", header_style="bold")
        for col in ("sample", "rule", "now", "baseline"):
            table.add_column(col)
        for sid, rule, now, was in result.drift[:50]:
            table.add_row(sid, rule, str(now), str(was))
        out.print(table)
    if result.missing:
        out.print(f"{len(result.missing)} sample(s) are not in the baseline (not compared): "
                  + ", ".join(result.missing[:8]), highlight=False)
    if result.ok:
        n = len(result.report.data["rules"]) if result.report else 0
        out.print(f"[green]no drift[/] in {escape(export_dir)} ({n} rules re-scored)")
    sys.exit(0 if result.ok else 1)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="generated", show_default=True,
              help="where the demo exports go")
@handle_errors
def demo(out_dir: str) -> None:
    """The whole pipeline on the bundled demo data, offline: propose, test, export."""
    from .checks import build_report
    from .demo import DEMO_SETS, demo_presets, demo_set
    from .presets import load_preset
    from .propose import propose_offline
    from .report_view import print_report
    from .samples import load_samples

    target = Path(out_dir)
    summary = []
    for name in DEMO_SETS:
        entry = demo_set(name)
        samples = load_samples(entry.path)
        out.rule(f"[bold]{name}[/]: {len(samples)} samples in {len(samples.groups())} groups")
        spec = propose_offline(samples, name=entry.spec_name, task=entry.task)
        for rule in spec.rules:
            out.print(f"  [bold]{rule.name}[/] ({rule.kind}, weight {rule.weight:g}): {escape(rule.rationale)}",
                      highlight=False)
        matrix = _score_with_progress(spec, samples, 2.0)
        report = build_report(spec, samples, matrix)
        print_report(report, out)
        _do_export(spec, target / spec.name, samples, force=False, allow_failing=True, time_limit=2.0, quiet=True)
        summary.append((spec.name, report))
    for preset, entry in demo_presets():
        samples = load_samples(entry.path)
        spec = load_preset(preset)
        out.rule(f"[bold]preset {preset}[/] on the {entry.name} demo set")
        result = _do_export(spec, target / preset, samples, force=False, allow_failing=True, time_limit=2.0)
        summary.append((preset, result.report))
    out.rule("[bold]summary[/]")
    for name, report in summary:
        auc = report.data["total"].get("auc")
        zs = report.data["groups"].get("zero_spread_share")
        out.print(f"  {name:<22} AUC {auc if auc is None else f'{auc:.3f}'}  zero-spread "
                  f"{'–' if zs is None else f'{100 * zs:.0f}%'}  {'passed' if report.passed else 'FAILED'}",
                  highlight=False)
    out.print(f"exports in {target}/ — run their tests with: pytest {target}")


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    import signal

    # SIGTERM unwinds like Ctrl-C: the `finally`s that stop the bench worker, the pattern runner and the
    # contract probe's process run, instead of the process vanishing and leaving them spinning.
    signal.signal(signal.SIGTERM, _terminated)
    # The report's numpy work is small arrays at a time: BLAS threads only fight the bench workers for the cores
    # (the GRPO section took 2.5x as long with them). Before numpy is imported; a user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli.main(args=argv, prog_name="rewardsmith")
