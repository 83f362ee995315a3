"""What the LLM proposer sends: personas, samples, the rule catalogue, the output schema — as messages.

The words live in Jinja templates under ``templates/prompts/`` (``personas/*.jinja``,
``propose.jinja``, ``reflect.jinja``, ``repair.jinja``), rendered with the core's environment
(:func:`rewardsmith.render.make_environment`: a user's template folder first, then the built-ins),
so a user can override any of them. This module prepares the data they lay out:

- a balanced, size-bounded selection of samples (good and bad, from different groups, mixed
  groups first because a good and a bad answer to one prompt show what the reward must tell apart),
  long text cut in the middle with a marker that says how much was cut;
- the rule catalogue from :func:`rewardsmith.kinds.catalogue` — the one source of truth for what
  a kind does and which params it takes — with the shared parameter blocks printed once;
- the JSON schema of the answer, built from the same kind params models the spec validates with.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ..completions import message_text
from ..errors import PersonaError
from ..excerpt import CUT_MARKER, excerpt
from ..kinds import KINDS, catalogue
from ..render import make_environment
from ..samples import Sample, SampleSet

__all__ = [
    "CUT_MARKER",
    "DEFAULT_PERSONA",
    "LLM_EXCLUDED_KINDS",
    "Prompt",
    "ShownSample",
    "answer_schema",
    "catalogue_for_prompt",
    "list_personas",
    "propose_messages",
    "reflect_messages",
    "repair_messages",
    "resolve_persona",
    "select_samples",
    "show_sample",
    "truncate",
]

DEFAULT_PERSONA = "search-engine-expert"
# Kinds an LLM proposal may not use (each kind declares it: a judge calls a model at training time,
# which a user adds on purpose, not something a proposer slips in).
LLM_EXCLUDED_KINDS = frozenset(name for name, kind in KINDS.items() if not kind.llm_proposable)

PER_CLASS = 4  # samples of each label shown by default
MAX_TEXT = 1500  # characters of one completion or prompt before it is cut
MAX_SAMPLES_CHARS = 24_000  # characters of all shown samples together

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
        parts.append(f"[{role}]\n{message_text(message)}")
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


def select_samples(
    samples: SampleSet,
    *,
    per_class: int = PER_CLASS,
    max_chars: int = MAX_SAMPLES_CHARS,
    max_text: int = MAX_TEXT,
    prefer: list[str] | None = None,
) -> list[ShownSample]:
    """Up to `per_class` good and `per_class` bad samples (2 × per_class when unlabelled), bounded in size.

    Deterministic. Groups holding both a good and a bad completion come first; each pass takes at
    most one sample per group so the selection spans prompts. `prefer` ids (misclassified samples,
    in reflection) are taken first. At least one sample of each class is kept whatever the budget.
    """
    items = list(samples)
    by_group: dict[str, list[Sample]] = {}
    for s in items:
        by_group.setdefault(s.group, []).append(s)
    mixed = {g for g, ss in by_group.items() if {s.is_good for s in ss} >= {True, False}}
    first_seen = {g: i for i, g in enumerate(by_group)}
    order = sorted(by_group, key=lambda g: (g not in mixed, first_seen[g]))

    def spread(pool: list[Sample], n: int) -> list[Sample]:
        """n samples of `pool`, one per group per pass, groups in `order`."""
        members = {id(s) for s in pool}
        queues = {g: [s for s in by_group[g] if id(s) in members] for g in order}
        picked: list[Sample] = []
        while len(picked) < n and any(queues.values()):
            for g in order:
                if queues[g] and len(picked) < n:
                    picked.append(queues[g].pop(0))
        return picked

    chosen: list[Sample] = []
    preferred = [samples.by_id(i) for i in dict.fromkeys(prefer or []) if _has(samples, i)]
    classes: list[bool | None] = [True, False, None] if samples.labelled else [None]
    for cls in classes:
        want = (per_class if cls is not None else 0) if samples.labelled else 2 * per_class
        if want == 0:
            continue
        # Preferred samples (the ones a reflection is about) take up to half of their class's slots.
        first = [s for s in preferred if s.is_good is cls][: max(1, want // 2)]
        taken = {id(s) for s in first}
        rest = [s for s in items if s.is_good is cls and id(s) not in taken]
        chosen += first + spread(rest, want - len(first))
    # Interleave the classes so a cut by the size budget keeps both.
    good = [s for s in chosen if s.is_good is True]
    bad = [s for s in chosen if s.is_good is False]
    other = [s for s in chosen if s.is_good is None]
    interleaved: list[Sample] = []
    for i in range(max(len(good), len(bad), len(other))):
        for part in (good, bad, other):
            if i < len(part):
                interleaved.append(part[i])
    out: list[ShownSample] = []
    used = 0
    kept_classes: set[bool | None] = set()
    for s in interleaved:
        shown = show_sample(s, max_text)
        size = len(shown.prompt) + len(shown.completion) + sum(len(v) for v in shown.refs.values()) + 80
        if used + size > max_chars and s.is_good in kept_classes:
            continue
        out.append(shown)
        used += size
        kept_classes.add(s.is_good)
    return out


def _has(samples: SampleSet, sid: str) -> bool:
    try:
        samples.by_id(sid)
    except KeyError:
        return False
    return True


# ---------------------------------------------------------------------------------------- catalogue


def _strip_titles(node: Any) -> Any:
    """A JSON schema without pydantic's `title` keys (noise to a reader, tokens to pay for)."""
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


def _allowed_kinds() -> list[str]:
    return [name for name in KINDS if name not in LLM_EXCLUDED_KINDS]


def catalogue_for_prompt() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(kinds, shared parameter blocks): each kind's text and params schema, `$defs` printed once."""
    shared: dict[str, Any] = {}
    kinds = []
    allowed = set(_allowed_kinds())
    for entry in catalogue():
        if entry["kind"] not in allowed:
            continue
        schema = _strip_titles(copy.deepcopy(entry["params_schema"]))
        for name, definition in schema.pop("$defs", {}).items():
            shared.setdefault(name, definition)
        kinds.append({
            "kind": entry["kind"],
            "summary": entry["summary"],
            "text": entry["text"],
            "binary": entry["binary"],
            "params": json.dumps(schema, ensure_ascii=False, separators=(",", ":")),
        })
    blocks = {name: json.dumps(d, ensure_ascii=False, separators=(",", ":")) for name, d in sorted(shared.items())}
    return kinds, blocks


def answer_schema() -> dict[str, Any]:
    """JSON schema of the answer: a spec's name, description and rules, each rule's params per kind.

    Sent as response_format where the provider supports it (not strict: kinds' params have
    defaults, which OpenAI's strict mode cannot express). The spec models validate the answer
    either way; the schema only steers the model.
    """
    shared: dict[str, Any] = {}
    variants = []
    for entry in catalogue():
        if entry["kind"] in LLM_EXCLUDED_KINDS:
            continue
        params = _strip_titles(copy.deepcopy(entry["params_schema"]))
        for name, definition in params.pop("$defs", {}).items():
            shared.setdefault(name, definition)
        variants.append({
            "type": "object",
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
                "kind": {"const": entry["kind"]},
                "role": {"enum": ["reward", "verifier", "metric"]},
                "weight": {"type": "number"},
                "params": params,
                "rationale": {"type": "string"},
            },
            "required": ["name", "kind", "role", "weight", "params", "rationale"],
            "additionalProperties": False,
        })
    return {
        "type": "object",
        "properties": {
            "description": {"type": "string"},
            "rules": {"type": "array", "minItems": 1, "maxItems": 12, "items": {"anyOf": variants}},
        },
        "required": ["description", "rules"],
        "additionalProperties": False,
        "$defs": shared,
    }


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
) -> Prompt:
    """The messages asking for a first spec."""
    env = _environment(template_dir)
    persona_name, persona_text = resolve_persona(persona, task=task, template_dir=template_dir)
    shown = select_samples(samples, per_class=per_class)
    kinds, blocks = catalogue_for_prompt()
    angle = ANGLES[candidate % len(ANGLES)] if candidates > 1 else ""
    user = env.get_template("prompts/propose.jinja").render(
        task=task.strip(),
        data=_data_summary(samples),
        samples=shown,
        kinds=kinds,
        blocks=blocks,
        instructions=instructions.strip(),
        candidate=candidate + 1,
        candidates=candidates,
        angle=angle,
    )
    return Prompt(
        messages=[{"role": "system", "content": _system(persona_text, env)}, {"role": "user", "content": user.strip()}],
        persona=persona_name,
        shown=[s.id for s in shown],
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
    template_dir: str | Path | None = None,
) -> Prompt:
    """The messages asking for a revision of `spec_json` given its test report.

    `keep_names`: rule names the user's expectations refer to (rule_min_auc, pins); a revision
    must keep them or it cannot be validated against those checks.
    """
    env = _environment(template_dir)
    persona_name, persona_text = resolve_persona(persona, task=task, template_dir=template_dir)
    kinds, blocks = catalogue_for_prompt()
    user = env.get_template("prompts/reflect.jinja").render(
        task=task.strip(),
        data=_data_summary(samples),
        spec_json=spec_json,
        report=report,
        failing=failing,
        kinds=kinds,
        blocks=blocks,
        instructions=instructions.strip(),
        round_no=round_no,
        history=history or [],
        keep_names=keep_names or [],
    )
    return Prompt(
        messages=[{"role": "system", "content": _system(persona_text, env)}, {"role": "user", "content": user.strip()}],
        persona=persona_name,
        shown=[s.id for s in failing],
    )


def repair_messages(
    prompt: Prompt, bad_output: str, problems: list[str], *, template_dir: str | Path | None = None
) -> list[dict[str, str]]:
    """The conversation so far, the invalid answer, and a request to fix exactly these problems."""
    env = _environment(template_dir)
    text = env.get_template("prompts/repair.jinja").render(problems=problems, output=truncate(bad_output, 6000))
    return [*prompt.messages, {"role": "assistant", "content": bad_output}, {"role": "user", "content": text.strip()}]
