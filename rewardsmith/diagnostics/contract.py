"""TRL contract: will this module run under GRPOTrainer, on these samples, the way it ran here?

Checked on the module source (rendered, or an exported / hand-edited ``rewards.py``):

- in a throwaway subprocess (the module is not imported into rewardsmith): ``REWARD_WEIGHTS`` has
  one weight per ``REWARD_FUNCS`` entry; each function pickles (TRL's async paths ship them),
  accepts ``**kwargs`` (TRL 1.16 also passes ``completion_ids``, ``trainer_state``, ``log_extra``,
  ``log_metric``), returns one float or None per completion on batches of 1 and of 3, and which
  dataset columns its signature requires;
- the reference columns every rule needs exist in the samples (the open-r1 ``solution`` vs
  ``solutions`` crash), and are not ones TRL never passes (``prompt``, ``completion``);
- ``None`` policy: rows where every rule is None (TRL zeroes their advantage), rules None everywhere;
- completion shapes: TRL passes strings for standard datasets and message lists for
  conversational ones (never ``{"messages"}`` dicts); the samples are re-scored in the other
  shape through the module, and any difference is reported;
- tool turns: a rule with scope "first" reads ``completion[0]`` — the first turn, not the final
  answer — on transcripts with tool turns; shown by scoring the final message alone;
- signal-based timeouts (``signal.alarm`` / ``signal.signal``) only work on the main thread;
  TRL runs async reward functions off it;
- chat-template prefill: when the prompts already end with an opening tag (``<think>``), the model
  starts inside it and never writes it; a rule that pays for writing it is shown by scoring the
  samples with and without the tag.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from ..completions import message_text
from ..samples import TRL_RESERVED_COLUMNS
from ._common import (
    Candidate,
    Context,
    Part,
    Scored,
    changed,
    fmt,
    is_assistant,
    map_text,
    scoped_text,
    short,
    single_turn,
)
from .diagnostic import Diagnostic, Plan, register

__all__ = ["ContractPlan", "DIAGNOSTIC", "TRL_KEYWORDS", "conclude", "plan", "runtime_probe"]

# What TRL 1.16's _calculate_rewards passes besides the dataset columns.
TRL_KEYWORDS = ("prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric")
_FLIPS = 8  # samples re-scored in the other completion shape
_SIGNAL = re.compile(r"^\s*(?:import\s+signal\b|from\s+signal\s+import)|\bsignal\s*\.\s*(?:signal|alarm|setitimer)\s*\(",
                     re.MULTILINE)
_OPEN_TAG_AT_END = re.compile(r"<([A-Za-z_][\w.\-]*)>\s*$")
_TOOL_ROLES = {"tool", "function", "ipython", "environment"}

_PROBE_SCRIPT = r'''
import asyncio, inspect, json, math, os, pickle, sys, types
try:  # die with rewardsmith: a rule spinning here never reads a pipe that would tell it
    import ctypes
    ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):  # rewardsmith died before prctl took effect
    sys.exit(0)
data = json.loads(sys.stdin.read())
TRL = set(data["trl"])
out = {"load": None, "funcs": []}
mod = types.ModuleType("rewards")
mod.__file__ = "rewards.py"
sys.modules["rewards"] = mod
try:
    exec(compile(data["source"], "rewards.py", "exec"), mod.__dict__)
except BaseException as exc:
    out["load"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out)); sys.exit(0)
funcs = mod.__dict__.get("REWARD_FUNCS")
weights = mod.__dict__.get("REWARD_WEIGHTS")
out["n_funcs"] = len(funcs) if isinstance(funcs, (list, tuple)) else None
out["n_weights"] = len(weights) if isinstance(weights, (list, tuple)) else None
out["weights_ok"] = isinstance(weights, (list, tuple)) and all(
    isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) for w in weights)
for f in (funcs if isinstance(funcs, (list, tuple)) else []):
    info = {"name": getattr(f, "__name__", repr(f)), "async": inspect.iscoroutinefunction(f),
            "var_kw": False, "required": [], "pickle": None, "calls": []}
    try:
        sig = inspect.signature(f)
        info["var_kw"] = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
        info["required"] = [n for n, p in sig.parameters.items()
                            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                            and p.default is p.empty and n not in TRL]
    except (TypeError, ValueError) as exc:
        info["signature"] = str(exc)
    try:
        back = pickle.loads(pickle.dumps(f))
        if getattr(back, "__name__", None) != getattr(f, "__name__", None):
            info["pickle"] = "came back as a different object"
    except BaseException as exc:
        info["pickle"] = f"{type(exc).__name__}: {exc}"
    for n in sorted({1, len(data["completions"])} & set(range(1, len(data["completions"]) + 1))):
        kwargs = {"prompts": data["prompts"][:n], "completions": data["completions"][:n],
                  "completion_ids": [[0]] * n, "trainer_state": None,
                  "log_extra": lambda *a, **k: None, "log_metric": lambda *a, **k: None}
        kwargs.update({k: v[:n] for k, v in data["columns"].items()})
        try:
            got = f(**kwargs)
            if info["async"]:
                got = asyncio.run(got)
            if not isinstance(got, list) or len(got) != n:
                size = len(got) if isinstance(got, (list, tuple)) else type(got).__name__
                info["calls"].append(f"returned {size} values for {n} completions")
            elif any(v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))) for v in got):
                bad = next(v for v in got if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))))
                info["calls"].append(f"returned a {type(bad).__name__}, not a float or None")
        except BaseException as exc:
            info["calls"].append(f"{type(exc).__name__}: {exc}")
    out["funcs"].append(info)
print(json.dumps(out))
'''


def runtime_probe(source: str, prompts: list[Any], completions: list[Any], columns: dict[str, list[Any]],
                  timeout: float = 30.0) -> dict[str, Any]:
    """Load the module in a fresh interpreter and call it as TRL would; what went wrong, as data."""
    payload = json.dumps({"source": source, "prompts": prompts, "completions": completions,
                          "columns": columns, "trl": list(TRL_KEYWORDS)}, default=str)
    try:
        # subprocess.run kills the child on any exception, SystemExit from SIGTERM included (cli.main).
        done = subprocess.run([sys.executable, "-c", _PROBE_SCRIPT, str(os.getpid())], input=payload,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"load": f"loading the module and calling each rule on these samples, as TRL would, took over "
                        f"{timeout:g} s (a rule is slow here: see its timed-out calls)", "funcs": []}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"load": f"the check process failed: {tail}", "funcs": []}


@dataclass
class ContractPlan(Plan):
    runtime: dict[str, Any] = field(default_factory=dict)
    flips: list[tuple[str, int, str]] = field(default_factory=list)  # key, sample index, shape it became
    tool_turns: list[tuple[str, int]] = field(default_factory=list)  # key (final message alone), sample index
    prefill_tag: str | None = None
    prefill: list[tuple[str, int, bool]] = field(default_factory=list)  # key, index, tag added (vs removed)


def _shape(completion: Any) -> str:
    if isinstance(completion, str):
        return "string"
    if isinstance(completion, dict):
        return "transcript dict"
    return "message list"


def _has_tools(completion: Any) -> bool:
    if isinstance(completion, str):
        return False
    if isinstance(completion, list) and len(completion) == 1 and isinstance(completion[0], dict) \
            and completion[0].get("role", "assistant") == "assistant":
        return False  # one assistant message, the common case: asked of every sample until six are found
    messages = completion.get("messages", []) if isinstance(completion, dict) else completion
    roles = [m.get("role") for m in messages if isinstance(m, dict)]
    return any(r in _TOOL_ROLES for r in roles) or sum(1 for m in messages if is_assistant(m)) > 1


def _flip(completion: Any) -> tuple[Any, str] | None:
    """The same completion in the other shape TRL may pass, when that is well defined."""
    if isinstance(completion, str):
        return [{"role": "assistant", "content": completion}], "message list"
    if isinstance(completion, dict) and "messages" in completion:
        return list(completion["messages"]), "message list"
    if isinstance(completion, list) and len(completion) == 1 and is_assistant(completion[0]) \
            and isinstance(completion[0], dict) and isinstance(completion[0].get("content"), str):
        return completion[0]["content"], "string"
    return None


def _final_only(completion: Any) -> Any:
    messages = completion.get("messages", []) if isinstance(completion, dict) else completion
    finals = [m for m in messages if is_assistant(m)]
    return single_turn(completion, scoped_text(finals[-1:], "last")) if finals else None


def _prompt_tail(prompt: Any) -> str:
    """The end of the prompt as the model sees it: the string, or the last message (a prefilled turn)."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    if prompt and isinstance(prompt[-1], dict) and isinstance(prompt[-1].get("content"), str):
        return prompt[-1]["content"]  # what message_text gives, without the calls: once per sample of the set
    # scoped_text(prompt[-1:], "first") is that message's text: read it directly, once per sample of the set.
    return message_text(prompt[-1]) if prompt and isinstance(prompt[-1], dict) else ""


def _prefill_tag(ctx: Context) -> str | None:
    """The opening tag most prompts end with (a template that prefills <think>), if any."""
    ends: dict[str, int] = {}
    n = len(ctx.samples)
    for k, s in enumerate(ctx.samples):
        if k % 1024 == 0 and (max(ends.values(), default=0) + n - k) * 2 < n:
            return None  # no tag can reach half the prompts any more
        tail = _prompt_tail(s.prompt)
        if not tail.rstrip().endswith(">"):  # what the pattern needs last (\s is what rstrip strips): skip the search
            continue
        m = _OPEN_TAG_AT_END.search(tail)
        if m:
            ends[m.group(1)] = ends.get(m.group(1), 0) + 1
    if not ends:
        return None
    tag, count = max(ends.items(), key=lambda kv: kv[1])
    return tag if count * 2 >= len(ctx.samples) else None


def plan(ctx: Context) -> ContractPlan:
    """The module run in a fresh interpreter, and completions re-shaped the ways TRL may pass them."""
    result = ContractPlan()
    candidates = result.candidates
    head = list(ctx.samples)[:3]
    columns = {c: [s.refs.get(c) for s in head] for c in ctx.samples.columns}
    result.runtime = runtime_probe(ctx.source, [s.prompt for s in head], [s.completion for s in head], columns)

    for i, s in enumerate(ctx.samples):
        if len(result.flips) == _FLIPS:
            break
        flipped = _flip(s.completion)
        if flipped is not None:
            key = f"contract:flip:{s.id}"
            candidates.append(Candidate(key, s, flipped[0]))
            result.flips.append((key, i, flipped[1]))

    if any(ctx.scope(r) == "first" for r in ctx.spec.rules):
        for i, s in enumerate(ctx.samples):
            if len(result.tool_turns) == 6:
                break
            if _has_tools(s.completion):
                final = _final_only(s.completion)
                if final is not None:
                    key = f"contract:final:{s.id}"
                    candidates.append(Candidate(key, s, final))
                    result.tool_turns.append((key, i))

    tag = _prefill_tag(ctx)
    if tag is not None:
        result.prefill_tag = tag
        opening = f"<{tag}>"
        for i, s in enumerate(ctx.samples[:40]):
            first = scoped_text(s.completion, "last")
            starts = first.lstrip().startswith(opening)
            # What the model writes after a prefilled tag (the tag removed), or the tag a rule may want.
            new = map_text(s.completion, (lambda t: t.lstrip()[len(opening):]) if starts else (lambda t: opening + t),
                           "last")
            key = f"contract:prefill:{s.id}"
            candidates.append(Candidate(key, s, new))
            result.prefill.append((key, i, not starts))
    return result


def conclude(ctx: Context, cplan: ContractPlan, scored: Scored) -> Part:
    """What would break or silently corrupt a TRL run: columns, the functions' contract, shapes, prefill."""
    part = Part("contract", "TRL contract")
    data: dict[str, Any] = {}
    runtime = cplan.runtime
    missing = _columns(ctx, runtime, part, data)
    _runtime(ctx, runtime, part, data, missing)
    _nones(ctx, part, data)
    _shapes(ctx, cplan, scored, part, data)
    _tool_turns(ctx, cplan, scored, part, data)
    _signals(ctx, runtime, part, data)
    _prefill(ctx, cplan, scored, part, data)
    part.data = data
    return part


def _runtime(ctx: Context, rt: dict[str, Any], part: Part, data: dict[str, Any], missing: set[str]) -> None:
    data["runtime"] = rt
    if rt.get("load"):
        part.lines.append(f"the module does not load in a fresh interpreter: {rt['load']}")
        part.error("load", f"the module does not load on its own: {rt['load']}")
        return
    n_funcs, n_weights = rt.get("n_funcs"), rt.get("n_weights")
    if n_funcs is None:
        part.error("reward_funcs", "the module has no REWARD_FUNCS list")
    elif n_weights is None or n_weights != n_funcs or not rt.get("weights_ok"):
        part.error("reward_weights", f"REWARD_WEIGHTS has {n_weights} entries for {n_funcs} REWARD_FUNCS"
                   + ("" if rt.get("weights_ok") else " (or holds something that is not a finite number)")
                   + ": GRPOConfig(reward_weights=...) raises at start-up")
    else:
        part.lines.append(f"REWARD_FUNCS / REWARD_WEIGHTS: {n_funcs} functions, {n_weights} weights")
    problems = 0
    for f in rt.get("funcs", []):
        name = f["name"]
        if f.get("pickle"):
            problems += 1
            part.error(f"pickle:{name}", f"{name} cannot be pickled ({f['pickle']}): define it at module level")
        if not f.get("var_kw"):
            problems += 1
            part.error(f"kwargs:{name}", f"{name} takes no **kwargs: TRL 1.16 passes completion_ids, trainer_state, "
                                         "log_extra, log_metric and every dataset column, so the call raises")
        calls = [m for m in f.get("calls", []) if not any(repr(c) in m or f"'{c}'" in m for c in missing)]
        if calls:  # a call that fails for a missing column is reported as that column, once
            problems += 1
            part.error(f"call:{name}", f"{name} called as TRL calls it: {calls[0]}")
    if rt.get("funcs") and not problems:
        part.lines.append("every function pickles, takes TRL's keywords and returns one score per completion")


def _columns(ctx: Context, rt: dict[str, Any], part: Part, data: dict[str, Any]) -> set[str]:
    """Report the columns rules need; return those the samples lack."""
    needed: dict[str, set[str]] = {}
    for rule in ctx.spec.rules:
        for col in rule.columns():
            needed.setdefault(col, set()).add(rule.name)
    for f in rt.get("funcs", []):
        for col in f.get("required", []):
            needed.setdefault(col, set()).add(f["name"])
    have = set(ctx.samples.columns)
    if not len(ctx.samples):
        data["columns"] = {"needed": {c: sorted(r) for c, r in needed.items()}, "present": []}
        return set()  # nothing to feed: a column cannot be missing from no rows
    missing = {c for c in needed if c not in have}
    data["columns"] = {"needed": {c: sorted(r) for c, r in needed.items()}, "present": sorted(have)}
    for col, rules in sorted(needed.items()):
        who = ", ".join(sorted(rules))
        if col in TRL_RESERVED_COLUMNS:
            part.error(f"column:{col}", f"{who} reads a column {col!r}, which TRL never passes to reward functions")
            continue
        if col not in have:
            near = difflib.get_close_matches(col, sorted(have), n=1, cutoff=0.6)
            hint = f"; the samples have {near[0]!r} — rename one of them" if near else ""
            part.error(f"column:{col}", f"{who} needs the column {col!r}, which the samples do not have: "
                                        f"TRL raises on the first step{hint}")
            continue
        empty = [s.id for s in ctx.samples if s.refs.get(col) is None]
        if empty:
            part.warn(f"column_none:{col}", f"{col!r} is empty on {len(empty)} sample(s) (first {empty[0]}): "
                                            f"{who} return None there")
    if needed and not [c for c in part.checks if c.id.startswith("contract:column")]:
        part.lines.append("reference columns present: " + ", ".join(sorted(needed)))
    return missing


def _nones(ctx: Context, part: Part, data: dict[str, Any]) -> None:
    m = ctx.matrix
    all_none = [m.sample_ids[i] for i in range(len(m.sample_ids))
                if all(m.scores[r][i] is None and i not in m.errors.get(r, {}) for r in m.rules)]
    never = [r for r in m.rules if all(v is None for v in m.scores[r]) and not m.errors.get(r)]
    data["none"] = {"rows_all_none": all_none, "rules_all_none": never}
    if all_none:
        part.warn("unscorable", f"every rule returns None on {len(all_none)} sample(s) (first {all_none[0]}): "
                                "TRL warns and gives them no advantage")
    for r in never:
        part.warn(f"all_none:{r}", f"{r} returns None on every sample: TRL logs NaN for rewards/{r}/mean")


def _shapes(ctx: Context, cplan: ContractPlan, scored: Scored, part: Part, data: dict[str, Any]) -> None:
    shapes: dict[str, int] = {}
    for s in ctx.samples:
        shape = _shape(s.completion)
        shapes[shape] = shapes.get(shape, 0) + 1
    data["shapes"] = shapes
    line = "completions here: " + ", ".join(f"{n} {k}" for k, n in shapes.items())
    if "transcript dict" in shapes:
        line += " (TRL passes message lists, never {\"messages\"} dicts)"
    part.lines.append(line)
    diffs: list[dict[str, Any]] = []
    for key, i, became in cplan.flips:
        for rule in ctx.spec.rules:
            if i in ctx.matrix.errors.get(rule.name, {}):
                continue  # it fails in the samples' own shape too: that is the core report's error
            before = ctx.scores(rule)[i]
            err = scored.errors.get(key, {}).get(rule.name)
            after = scored.get(key, rule.name)
            if err or changed(before, after):
                diffs.append({"rule": rule.name, "sample": ctx.samples[i].id, "as": became,
                              "before": before, "after": after, "error": err})
    data["shape_flips"] = {"tested": len(cplan.flips), "differences": diffs}
    if cplan.flips and not diffs:
        part.lines.append(f"same scores when the completions come as {cplan.flips[0][2]}s "
                          f"({len(cplan.flips)} samples re-scored)")
    seen: set[str] = set()
    for d in diffs:
        if d["rule"] in seen:
            continue
        seen.add(d["rule"])
        what = f"raises ({d['error']})" if d["error"] else f"scores {fmt(d['before'])} → {fmt(d['after'])}"
        part.lines.append(f"{d['rule']}: on {d['sample']} given as a {d['as']} it {what}")
        part.warn(f"shape:{d['rule']}", f"{d['rule']} reads a {d['as']} completion differently ({what}): "
                                        "it only works with one dataset format")


def _tool_turns(ctx: Context, cplan: ContractPlan, scored: Scored, part: Part, data: dict[str, Any]) -> None:
    found: list[dict[str, Any]] = []
    for rule in ctx.spec.rules:
        if ctx.scope(rule) != "first" or not cplan.tool_turns:
            continue
        key, i = cplan.tool_turns[0]
        for key, i in cplan.tool_turns:
            before, after = ctx.scores(rule)[i], scored.get(key, rule.name)
            if changed(before, after):
                break
        s = ctx.samples[i]
        first = scoped_text(s.completion, "first")
        last = scoped_text(s.completion, "last")
        found.append({"rule": rule.name, "sample": s.id, "first": first, "last": last,
                      "score": ctx.scores(rule)[i], "final_only": scored.get(key, rule.name)})
        part.lines.append(f"{rule.name} (scope first) on {s.id} reads the first turn {short(first, 50)}, "
                          f"not the final answer {short(last, 40)}: it scores {fmt(ctx.scores(rule)[i])}, "
                          f"{fmt(scored.get(key, rule.name))} on the final message alone")
        part.warn(f"scope_first:{rule.name}",
                  f"{rule.name} reads completion[0] (scope: first), but completions here have tool turns: "
                  "it judges the first turn, not the final answer (use scope: last)")
    data["tool_turns"] = found


def _signals(ctx: Context, rt: dict[str, Any], part: Part, data: dict[str, Any]) -> None:
    hits = [m.group(0).strip() for m in _SIGNAL.finditer(ctx.source)]
    data["signal"] = hits
    if not hits:
        return
    asyncs = [f["name"] for f in rt.get("funcs", []) if f.get("async")]
    if asyncs:
        part.error("signal", f"the module uses {hits[0]!r} and {', '.join(asyncs)} are async: TRL runs async "
                             "reward functions off the main thread, where signal raises ValueError")
    else:
        part.warn("signal", f"the module uses {hits[0]!r}: signal-based timeouts only work on the main thread "
                            "(they break under async rewards, reward servers and thread pools)")


def _prefill(ctx: Context, cplan: ContractPlan, scored: Scored, part: Part, data: dict[str, Any]) -> None:
    tag = cplan.prefill_tag
    data["prefill"] = {"tag": tag, "rules": []}
    if tag is None:
        return
    opening = f"<{tag}>"
    part.lines.append(f"the prompts end with {opening}: the chat template prefills it, so completions start inside it")
    for rule in ctx.spec.rules:
        sign = -1.0 if rule.weight < 0 else 1.0
        for key, i, added in cplan.prefill:
            now, other = ctx.scores(rule)[i], scored.get(key, rule.name)
            with_tag, without = (other, now) if added else (now, other)
            if with_tag is None or without is None or sign * (with_tag - without) <= 1e-9:
                continue
            s = ctx.samples[i]
            data["prefill"]["rules"].append({"rule": rule.name, "sample": s.id, "with_tag": with_tag,
                                             "without_tag": without})
            part.lines.append(f"{rule.name} pays {fmt(with_tag)} with {opening} written out, {fmt(without)} "
                              f"without it (on {s.id}): a prefilled model never writes it "
                              f"({short(_prompt_tail(s.prompt)[-30:], 36)} ends the prompt)")
            part.warn(f"prefill:{rule.name}",
                      f"{rule.name} rewards writing {opening}, which the chat template already wrote at the end "
                      "of the prompt: the model can never earn it (or earns it by repeating the tag)")
            break


DIAGNOSTIC = register(Diagnostic("contract", 50, conclude, plan))
