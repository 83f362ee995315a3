"""The LLM side of the command line: flags shared by `propose` and `refine`, and what they print.

Kept out of cli.py so that file only gains a decorator and a call per command, and out of
rewardsmith.propose so `rewardsmith --help` never imports the proposers (click and the standard
library only at import time here; everything else is imported when a command runs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = ["llm_options", "llm_requested", "run_propose", "run_refine", "settings_from_options"]

_KEYS = ("model", "api_base", "api_key_env", "persona", "instructions", "timeout", "max_retries",
         "max_session_tokens", "repair_rounds", "no_cache")


def llm_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--model, --api-base, --persona, --instructions and the limits, for propose and refine."""
    options = [
        click.option("--model", help="a litellm model string (openai/gpt-4o-mini, anthropic/…, ollama/…, "
                                     "hosted_vllm/…); default $REWARDSMITH_MODEL"),
        click.option("--api-base", help="URL of an OpenAI-compatible server (default $REWARDSMITH_API_BASE)"),
        click.option("--api-key-env", metavar="VAR",
                     help="the environment variable holding the key (default $REWARDSMITH_API_KEY, "
                          "or the provider's own variable such as OPENAI_API_KEY)"),
        click.option("--persona", default=None,
                     help="a bundled persona (search-engine-expert, math-grader, code-reviewer, "
                          "maze-navigation) or a file of your own"),
        click.option("--instructions", default="", help='extra instructions in plain words, e.g. "If the answer '
                                                        'sounds too robotic, deduct 3 points."'),
        click.option("--timeout", type=float, default=None, help="seconds per request (default 120)"),
        click.option("--max-retries", type=int, default=None, help="retries on 429 / 5xx / timeouts (default 3)"),
        click.option("--max-session-tokens", type=int, default=None,
                     help="hard cap on the tokens this run may spend (default 400,000)"),
        click.option("--repair-rounds", type=click.IntRange(0, 5), default=None,
                     help="how often an invalid answer is sent back with every problem found (default 2)"),
        click.option("--no-cache", is_flag=True, help="always call the model, even for a request made before"),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def llm_requested(kw: dict[str, Any]) -> bool:
    """Whether propose goes to a model: --model given, or $REWARDSMITH_MODEL set."""
    from .propose.settings import model_from_env

    return bool(kw.get("model")) or model_from_env() is not None


def settings_from_options(kw: dict[str, Any]) -> Any:
    """LLMSettings from the flags (popped from kw), the environment and the config file."""
    from .propose.settings import resolve_settings

    return resolve_settings(
        model=kw.pop("model", None),
        api_base=kw.pop("api_base", None),
        api_key_env=kw.pop("api_key_env", None),
        timeout=kw.pop("timeout", None),
        max_retries=kw.pop("max_retries", None),
        max_session_tokens=kw.pop("max_session_tokens", None),
        repair_rounds=kw.pop("repair_rounds", None),
        cache=False if kw.pop("no_cache", False) else None,
    )


def _pop_llm(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: kw.pop(k, None) for k in _KEYS}


def _esc(value: Any) -> str:
    """Text from data (names, paths, a model's rationale) for a rich console: its brackets stay brackets."""
    from rich.markup import escape

    return escape(str(value))


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.0f}%" if pct else f"{value:.3f}"


def run_propose(sample_set: Any, *, output: str, name: str, task: str, candidates: int, kw: dict[str, Any],
                out: Any, err: Any) -> None:
    """`rewardsmith propose … --model M`: ask, validate, rank, save; print the rules, ranking and cost."""
    from rich.table import Table

    from .propose.llm import run_proposal
    from .spec import save_spec

    opts = _pop_llm(kw)
    settings = settings_from_options(dict(opts))
    cancel = threading.Event()
    with err.status(f"asking {_esc(settings.model)} …") as status:
        try:
            proposal = run_proposal(
                sample_set, settings=settings, name=name, task=task, persona=opts["persona"],
                instructions=opts["instructions"] or "", candidates=candidates, cancel=cancel,
                progress=lambda text: status.update(_esc(text)),
            )
        except KeyboardInterrupt:
            cancel.set()
            raise
    if len(proposal.candidates) > 1:
        table = Table(title=f"{len(proposal.candidates)} candidates, best first", title_justify="left",
                      header_style="bold")
        for col in ("#", "AUC", "zero spread", "failed checks", "rules", "note"):
            table.add_column(col)
        for c in proposal.candidates:
            h = c.headline()
            rules = _esc(", ".join(r.name for r in c.spec.rules)) if c.spec else ""
            note = "chosen" if c.spec is proposal.spec else (_esc(c.error.splitlines()[0][:60]) if c.error else "")
            table.add_row(str(c.index + 1), _fmt(h["auc"]), _fmt(h["zero_spread"], pct=True),
                          "–" if h["failures"] is None else str(h["failures"]), rules, note)
        out.print(table)
    save_spec(proposal.spec, output)
    for rule in proposal.spec.rules:
        out.print(f"  [bold]{_esc(rule.name)}[/] ({_esc(rule.kind)}, {rule.role}, weight {rule.weight:g}): "
                  f"{_esc(rule.rationale)}", highlight=False)
    out.print(f"wrote {output} ({len(proposal.spec.rules)} rules; {settings.model}, persona {proposal.persona})",
              highlight=False, markup=False)
    out.print(f"usage: {proposal.usage.summary()}", highlight=False, markup=False)


def run_refine(spec_path: str, sample_set: Any, *, rounds: int, out_dir: str | None, min_auc: float | None,
               max_zero_spread: float | None, diagnostics: bool, time_limit: float, kw: dict[str, Any],
               out: Any, err: Any) -> int:
    """`rewardsmith refine`: the rounds, a table comparing them, where they are; returns the exit code."""
    from rich.table import Table

    from .propose.refine import RefineOptions, default_out_dir, refine
    from .propose.settings import model_from_env
    from .spec import load_spec

    opts = _pop_llm(kw)
    if not opts["model"] and model_from_env() is None:
        from .propose.settings import load_config

        if "model" not in load_config():
            raise click.UsageError("refine needs a model: --model M, $REWARDSMITH_MODEL or model in the config file")
    settings = settings_from_options(dict(opts))
    spec = load_spec(spec_path)
    folder = Path(out_dir) if out_dir else default_out_dir(spec_path)
    options = RefineOptions(rounds=rounds, out_dir=folder, persona=opts["persona"],
                            instructions=opts["instructions"] or "", min_auc=min_auc,
                            max_zero_spread=max_zero_spread, diagnostics=diagnostics, time_limit=time_limit)
    cancel = threading.Event()
    result = None
    try:
        with err.status(f"refining with {_esc(settings.model)} …") as status:
            result = refine(spec, sample_set, options, settings=settings, cancel=cancel,
                            progress=lambda text: status.update(_esc(text)))
    except KeyboardInterrupt:
        cancel.set()
        err.print(f"interrupted; the rounds so far are in {folder}/", markup=False)
        raise
    except Exception:
        if folder.is_dir():
            err.print(f"the rounds so far are kept in {folder}/ (see its summary.json)", markup=False)
        raise
    table = Table(title=_esc(f"refine: {result.stopped}"), title_justify="left", header_style="bold")
    for col in ("round", "AUC", "zero spread", "failed checks", "warnings", "passed", "tokens", "cost", "folder"):
        table.add_column(col)
    for rnd in result.rounds:
        h = rnd.headline()
        usage = rnd.record.get("usage") or {}
        cost = usage.get("cost_usd", 0.0)
        known = usage.get("cost_known", True)
        table.add_row(
            str(rnd.number), _fmt(h.get("auc")), _fmt(h.get("zero_spread"), pct=True),
            "–" if h.get("failed") is None else str(h["failed"]), str(h.get("warnings", "–")),
            "yes" if h.get("passed") else "no", f"{usage.get('tokens', 0):,}",
            f"${cost:.4f}" + ("" if known else " (unknown)"),
            _esc(rnd.directory) if rnd.directory else "",
        )
    out.print(table)
    best = result.best
    out.print(f"best: round {best.number} ({best.directory}/spec.yaml)", highlight=False, markup=False)
    out.print(f"usage: {result.usage.summary()}", highlight=False, markup=False)
    return 0 if result.passed else 1
