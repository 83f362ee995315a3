"""What the LLM proposer sends: personas, samples, the rule catalogue, the output schema — as messages.

The words live in Jinja templates under ``templates/prompts/`` (``personas/*.jinja``,
``propose.jinja``, ``reflect.jinja``, ``repair.jinja``), rendered with the core's environment
(:func:`rewardsmith.render.make_environment`: a user's template folder first, then the built-ins),
so a user can override any of them. This module prepares the data they lay out:

- the samples chosen for coverage (:mod:`rewardsmith.propose.coverage`) within a token budget,
  each with the features it was picked for; the system prompt they share, once; a per-label table
  of those features over the whole file; long text cut in the middle with a marker that says how
  much was cut, tool results shortened so a transcript's structure stays visible;
- the rule catalogue (:mod:`rewardsmith.propose.catalogue`): per kind its params with types,
  defaults and a worked example inline, only the kinds the samples can use;
- the JSON schema of the answer, built from the same kind params models the spec validates with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ..completions import message_text
from ..errors import PersonaError
from ..excerpt import CUT_MARKER, excerpt
from ..render import make_environment
from ..samples import Sample, SampleSet
from .catalogue import LLM_EXCLUDED_KINDS, MAX_RULES_SHOWN, answer_schema, catalogue_for_prompt, shared_blocks
from .coverage import describe, feature_table, offline_flags, pick_for_coverage, system_prompts

__all__ = [
    "CUT_MARKER",
    "DEFAULT_PERSONA",
    "LLM_EXCLUDED_KINDS",
    "Prompt",
    "SampleContext",
    "ShownSample",
    "answer_schema",
    "catalogue_for_prompt",
    "list_personas",
    "sample_context",
    "propose_messages",
    "reflect_messages",
    "repair_messages",
    "resolve_persona",
    "show_sample",
    "truncate",
]

DEFAULT_PERSONA = "search-engine-expert"

PER_CLASS = 4  # samples of each label shown at least (coverage may show more, within the budget)
MAX_SHOWN = 16  # samples shown at most
MAX_TEXT = 1000  # characters of one completion or prompt before it is cut
MAX_TOOL_TEXT = 120  # characters of one tool result: its structure matters, not its documents
SAMPLE_TOKENS = 4_500  # tokens all shown samples may take together
CHARS_PER_TOKEN = 4

# Ways K concurrent candidates differ, so K requests are K designs rather than K near-copies.
ANGLES = (
    "",
    "Prefer strict, binary checks (verifiers) and few rules; reward exactly what the task asks for.",
    "Prefer graded partial credit (token_f1, tiered, tag_count) so groups of completions spread out.",
    "Concentrate on the failure modes the bad samples show and make each one cost reward.",
    "Keep the design as small as possible: one answer rule and at most one shaping rule.",
)


@dataclass
class Prompt:
    """Messages ready for the chat API, and what produced them (for records)."""

    messages: list[dict[str, str]]
    persona: str
    shown: list[str]  # ids of the samples in the prompt
    kinds: list[str] | None = None  # the kinds offered (the answer schema allows these); None: every kind

    @property
    def chars(self) -> int:
        return sum(len(m["content"]) for m in self.messages)


@dataclass
class ShownSample:
    id: str
    label: str  # good / bad / unlabelled / a score
    group: str
    prompt: str
    completion: str
    refs: dict[str, str]
    scores: dict[str, Any] | None = None  # reflect: each rule's score and the total
    why: list[str] | None = None  # the features it was picked to show


# ----------------------------------------------------------------------------------------- personas


def _environment(template_dir: str | Path | None) -> jinja2.Environment:
    return make_environment(template_dir)


def list_personas(template_dir: str | Path | None = None) -> list[str]:
    """Bundled (and the user's) persona names, the default first."""
    env = _environment(template_dir)
    names = {
        name.removeprefix("prompts/personas/").removesuffix(".jinja")
        for name in env.list_templates(extensions=["jinja"])
        if name.startswith("prompts/personas/")
    }
    return sorted(names, key=lambda n: (n != DEFAULT_PERSONA, n))


def resolve_persona(persona: str | None, *, task: str = "", template_dir: str | Path | None = None) -> tuple[str, str]:
    """(name for records, persona text) from a bundled name or a file of the user's.

    A file (.jinja, .md, .txt) is rendered as a Jinja template with the same variables as the
    bundled personas (`task`). Names accept - or _ (search_engine_expert == search-engine-expert).
    """
    env = _environment(template_dir)
    chosen = (persona or DEFAULT_PERSONA).strip()
    path = Path(chosen).expanduser()
    if path.suffix in (".jinja", ".md", ".txt", ".j2") or "/" in chosen or path.is_file():
        if not path.is_file():
            raise PersonaError(f"persona file not found: {chosen}")
        try:
            text = env.from_string(path.read_text(encoding="utf-8")).render(task=task)
        except (OSError, UnicodeDecodeError) as exc:
            raise PersonaError(f"cannot read the persona file {chosen}: {exc}") from None
        except jinja2.TemplateError as exc:
            raise PersonaError(f"persona file {chosen}: template error: {exc}") from None
        return f"file:{path.name}", text.strip()
    name = chosen.replace("_", "-").lower()
    try:
        template = env.get_template(f"prompts/personas/{name}.jinja")
    except jinja2.TemplateNotFound:
        raise PersonaError(
            f"unknown persona {chosen!r}; bundled: {', '.join(list_personas(template_dir))} "
            "(or give a path to your own persona file)"
        ) from None
    return name, template.render(task=task).strip()


# ------------------------------------------------------------------------------------------ samples


def truncate(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` characters the way prompts show samples (see :func:`rewardsmith.excerpt.excerpt`)."""
    return excerpt(text, limit)


def _transcript(value: Any) -> str:
    """A completion or prompt as readable text: role headers for message lists."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = value.get("messages", [value])
    if not value:
        return ""
    parts = []
    for message in value:
        role = message.get("role", "?") if isinstance(message, dict) else "?"
        text = message_text(message)
        parts.append(f"[{role}]\n{excerpt(text, MAX_TOOL_TEXT) if role == 'tool' else text}")
    return "\n".join(parts)


def _last_user(prompt: Any) -> str:
    if isinstance(prompt, list):
        users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return message_text(users[-1]) if users else _transcript(prompt)
    return "" if prompt is None else str(prompt)


def _label(sample: Sample) -> str:
    good = sample.is_good
    if good is None:
        return "unlabelled"
    text = "good" if good else "bad"
    if sample.label is not None and sample.label not in (0.0, 1.0):
        text += f" (score {sample.label:g})"
    return text


def show_sample(sample: Sample, limit: int = MAX_TEXT) -> ShownSample:
    """One sample as the prompt shows it: label, last user turn, transcript, references; all cut to size."""
    refs = {k: truncate(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False), 300)
            for k, v in sample.refs.items()}
    return ShownSample(
        id=sample.id, label=_label(sample), group=sample.group,
        prompt=truncate(_last_user(sample.prompt), limit // 2),
        completion=truncate(_transcript(sample.completion), limit), refs=refs,
    )


@dataclass
class SampleContext:
    """What every prompt of one run shows about the samples (built once, shared by the candidates)."""

    shown: list[ShownSample]
    systems: list[tuple[str, int]]  # the distinct system prompts, with how many samples carry each
    table: tuple[list[str], list[list[str]]]  # the per-label feature table of the whole file


def _cost(shown: ShownSample) -> int:
    size = len(shown.prompt) + len(shown.completion) + sum(len(v) for v in shown.refs.values()) + 120
    return size // CHARS_PER_TOKEN


def sample_context(
    samples: SampleSet,
    *,
    per_class: int = PER_CLASS,
    budget: int = SAMPLE_TOKENS,
    max_text: int = MAX_TEXT,
    flags: dict[str, list[str]] | None = None,
) -> SampleContext:
    """The samples to show, chosen for coverage, with the shared system prompt and the feature table.

    Args:
        samples: the file.
        per_class: samples of each label shown at least.
        budget: tokens all shown samples may take together.
        max_text: characters of one completion before it is cut.
        flags: extra features by sample id; default: the offline proposer's misclassified samples
            and its rules' extreme scores (:func:`rewardsmith.propose.coverage.offline_flags`).
    """
    features = describe(samples)
    flags = offline_flags(samples) if flags is None else flags
    views = {s.id: show_sample(s, max_text) for s in samples}
    at_least = 2 * per_class
    picked = pick_for_coverage(samples, features, cost={sid: _cost(v) for sid, v in views.items()}, budget=budget,
                               flags=flags, at_least=at_least, at_most=max(MAX_SHOWN, at_least))
    shown = []
    for sid, why in picked.items():
        view = views[sid]
        view.why = why
        shown.append(view)
    return SampleContext(shown, system_prompts(samples), feature_table(features))


# ----------------------------------------------------------------------------------------- messages


def _data_summary(samples: SampleSet) -> dict[str, Any]:
    good = sum(1 for s in samples if s.is_good is True)
    bad = sum(1 for s in samples if s.is_good is False)
    first = samples[0] if len(samples) else None
    if first is None:
        shape = "empty"
    elif isinstance(first.completion, str):
        shape = "standard (completions are strings)"
    elif isinstance(first.completion, dict):
        shape = 'agentic ({"messages": [...]} transcripts with tool turns)'
    else:
        shape = "conversational (completions are lists of chat messages)"
    groups = samples.groups()
    return {
        "count": len(samples),
        "good": good,
        "bad": bad,
        "unlabelled": len(samples) - good - bad,
        "groups": len(groups),
        "multi_groups": sum(1 for idx in groups.values() if len(idx) > 1),
        "columns": samples.columns,
        "shape": shape,
    }


def _system(persona_text: str, env: jinja2.Environment) -> str:
    return env.get_template("prompts/system.jinja").render(persona=persona_text).strip()


def _catalogue(samples: SampleSet) -> dict[str, Any]:
    """The template variables of the catalogue: the kinds offered, the ones left out, the shared blocks, limits."""
    plain = len(samples) > 0 and all(isinstance(s.completion, str) for s in samples)
    kinds, left_out = catalogue_for_prompt(samples.columns, plain_strings=plain)
    return {"kinds": kinds, "left_out": left_out, "blocks": shared_blocks([k.kind for k in kinds]),
            "max_rules": MAX_RULES_SHOWN, "plain_strings": plain}


def propose_messages(
    samples: SampleSet,
    *,
    task: str,
    persona: str | None = None,
    instructions: str = "",
    candidate: int = 0,
    candidates: int = 1,
    per_class: int = PER_CLASS,
    template_dir: str | Path | None = None,
    context: SampleContext | None = None,
) -> Prompt:
    """The messages asking for a first spec (`context`: the samples to show, when already chosen)."""
    env = _environment(template_dir)
    persona_name, persona_text = resolve_persona(persona, task=task, template_dir=template_dir)
    context = context or sample_context(samples, per_class=per_class)
    catalogue = _catalogue(samples)
    angle = ANGLES[candidate % len(ANGLES)] if candidates > 1 else ""
    user = env.get_template("prompts/propose.jinja").render(
        task=task.strip(),
        data=_data_summary(samples),
        samples=context.shown,
        systems=context.systems,
        table=context.table,
        **catalogue,
        instructions=instructions.strip(),
        candidate=candidate + 1,
        candidates=candidates,
        angle=angle,
    )
    return Prompt(
        messages=[{"role": "system", "content": _system(persona_text, env)}, {"role": "user", "content": user.strip()}],
        persona=persona_name,
        shown=[s.id for s in context.shown],
        kinds=[k.kind for k in catalogue["kinds"]],
    )


def reflect_messages(
    samples: SampleSet,
    *,
    task: str,
    spec_json: str,
    report: dict[str, Any],
    failing: list[ShownSample],
    persona: str | None = None,
    instructions: str = "",
    round_no: int = 1,
    history: list[str] | None = None,
    keep_names: list[str] | None = None,
    reasons: list[str] | None = None,
    template_dir: str | Path | None = None,
) -> Prompt:
    """The messages asking for a revision of `spec_json` given its test report.

    `keep_names`: rule names the user's expectations refer to (rule_min_auc, pins); a revision
    must keep them or it cannot be validated against those checks. `reasons`: why another round
    was asked for (the targets the spec misses).
    """
    env = _environment(template_dir)
    persona_name, persona_text = resolve_persona(persona, task=task, template_dir=template_dir)
    catalogue = _catalogue(samples)
    features = describe(samples)
    user = env.get_template("prompts/reflect.jinja").render(
        task=task.strip(),
        data=_data_summary(samples),
        spec_json=spec_json,
        report=report,
        failing=failing,
        systems=system_prompts(samples),
        table=feature_table(features),
        **catalogue,
        instructions=instructions.strip(),
        round_no=round_no,
        history=history or [],
        keep_names=keep_names or [],
        reasons=reasons or [],
    )
    return Prompt(
        messages=[{"role": "system", "content": _system(persona_text, env)}, {"role": "user", "content": user.strip()}],
        persona=persona_name,
        shown=[s.id for s in failing],
        kinds=[k.kind for k in catalogue["kinds"]],
    )


def repair_messages(
    prompt: Prompt, bad_output: str, problems: list[str], *, round_no: int = 1, rounds: int = 1,
    template_dir: str | Path | None = None,
) -> list[dict[str, str]]:
    """The conversation so far, the invalid answer, and a request to fix every one of these problems."""
    env = _environment(template_dir)
    text = env.get_template("prompts/repair.jinja").render(problems=problems, output=truncate(bad_output, 6000),
                                                          round_no=round_no, rounds=rounds)
    return [*prompt.messages, {"role": "assistant", "content": bad_output}, {"role": "user", "content": text.strip()}]
