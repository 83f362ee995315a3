"""Which samples a prompt shows: chosen for the structures they cover, not by their place in the file.

A model proposing a reward sees a dozen samples of a file of hundreds; the failure modes the reward
must punish (a search tool called twelve times, two answer blocks, a sentence in the answer tag,
the answer only inside ``<think>``, a transcript cut off mid-tag) are rare, so the first samples of
the file seldom hold them. This module describes each sample by its structure — tool calls, the
count of each tag, tags left open, length, the words in the answer tag, where the reference
appears, its label — and picks samples greedily so each pick covers the most features not yet
shown, the labels stay balanced and groups spread, within a budget of tokens. Samples the offline
proposer gets wrong and each of its rules' extreme scores count as features too (the caller
passes those in as ``flags``).

It also sums the features up per label for the whole file (:func:`feature_table`), so the model
sees in one table what it cannot read sample by sample, and finds the system prompt the samples
share (:func:`system_prompts`), shown once instead of with every sample.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..completions import message_text, messages_of, scoped_text
from ..samples import Sample, SampleSet

__all__ = [
    "Features",
    "answer_tag",
    "describe",
    "feature_table",
    "flag_samples",
    "offline_flags",
    "pick_for_coverage",
    "system_prompts",
]

_OPEN = re.compile(r"<([A-Za-z_][\w\-]{0,30})>")
_CLOSE = re.compile(r"</([A-Za-z_][\w\-]{0,30})>")
_WORD = re.compile(r"\w+")
MAX_TAGS = 6  # tags described per sample: the ones the file uses most
VERBOSE_WORDS = 8  # an answer of more words than this reads as a sentence, not a span


@dataclass(frozen=True)
class Features:
    """One sample's structure: what coverage picks by and the per-label table sums up."""

    label: str  # good / bad / unlabelled
    tool_calls: int  # tool-role messages in the completion
    tags: Mapping[str, int]  # opening tags per name, in the assistant text
    unclosed: tuple[str, ...]  # tags opened more often than closed (a cut-off transcript, a typo)
    chars: int  # length of the assistant text
    answer_words: int | None  # words inside the last answer tag; None when there is no answer tag
    reference: str | None  # "in the answer tag" / "only inside <think>" / "in untagged text" / "absent"
    items: frozenset[str] = field(default_factory=frozenset)  # the discrete features coverage counts


def _label(sample: Sample) -> str:
    return {True: "good", False: "bad", None: "unlabelled"}[sample.is_good]


def _assistant_text(sample: Sample) -> str:
    return scoped_text(sample.completion, "assistant")


_CLOSING_END = re.compile(r"</([A-Za-z_][\w\-]{0,30})>\s*$")


def answer_tag(samples: Iterable[Sample]) -> str | None:
    """The tag the final answer goes in: the closing tag that ends most completions; None when
    most completions end with something else (an answer after ``</think>``, say)."""
    ends: Counter[str] = Counter()
    total = 0
    for s in samples:
        total += 1
        found = _CLOSING_END.search(scoped_text(s.completion, "last"))
        if found:
            ends[found.group(1)] += 1
    if not ends:
        return None
    tag, count = ends.most_common(1)[0]
    return tag if count * 2 >= total else None


def _references(sample: Sample) -> list[str]:
    """The strings a correct answer could be: every string (or list of strings) reference column."""
    out: list[str] = []
    for value in sample.refs.values():
        values = value if isinstance(value, list) else [value]
        out += [str(v).strip().lower() for v in values if isinstance(v, (str, int, float)) and str(v).strip()]
    return out


def _bucket(n: int) -> str:
    return str(n) if n <= 2 else ("3-5" if n <= 5 else "6+")


def _length_band(chars: int, cuts: Sequence[float]) -> str:
    names = ("short", "medium", "long", "longest")
    for name, cut in zip(names, cuts):
        if chars <= cut:
            return name
    return names[-1]


def _where_outside(text: str, refs: list[str], tags: list[str], answer: str | None) -> str:
    """Where a reference found outside the answer tag sits: inside another tag (the answer left in
    ``<think>``), or in untagged text (the answer written without its tags)."""
    for t in tags:
        if t == answer:
            continue
        inside = " ".join(re.findall(rf"<{re.escape(t)}>(.*?)(?:</{re.escape(t)}>|$)", text, re.DOTALL)).lower()
        if any(r in inside for r in refs):
            rest = re.sub(rf"<{re.escape(t)}>.*?(?:</{re.escape(t)}>|$)", " ", text, flags=re.DOTALL).lower()
            if not any(r in rest for r in refs):
                return f"only inside <{t}>"
    return "in untagged text"


def describe(samples: SampleSet) -> dict[str, Features]:
    """Every sample's features, by id (the tags counted are the file's most used ones)."""
    texts = {s.id: _assistant_text(s) for s in samples}
    usage: Counter[str] = Counter()
    for text in texts.values():
        usage.update(set(_OPEN.findall(text)))
    common = [t for t, _ in usage.most_common(MAX_TAGS)]
    tag = answer_tag(samples)
    lengths = sorted(len(t) for t in texts.values())
    cuts = [lengths[int(q * (len(lengths) - 1))] for q in (0.25, 0.75, 0.95)] if lengths else [0, 0, 0]
    tools_used = any(m.get("role") == "tool" for s in samples for m in (messages_of(s.completion) or [])
                     if isinstance(m, dict))
    out: dict[str, Features] = {}
    for s in samples:
        text = texts[s.id]
        opens, closes = Counter(_OPEN.findall(text)), Counter(_CLOSE.findall(text))
        tags = {t: opens.get(t, 0) for t in common}
        unclosed = tuple(t for t in common if opens.get(t, 0) > closes.get(t, 0))
        messages = messages_of(s.completion) or []
        tools = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "tool")
        inside = re.findall(rf"<{re.escape(tag)}>(.*?)</{re.escape(tag)}>", text, re.DOTALL) if tag else []
        words = len(_WORD.findall(inside[-1])) if inside else None
        refs = _references(s)
        where: str | None = None
        if refs:
            answer = inside[-1].strip().lower() if inside else ""
            if answer and any(r in answer for r in refs):
                where = "in the answer tag"
            elif any(r in text.lower() for r in refs):
                where = _where_outside(text, refs, common, tag)
            else:
                where = "absent"
        items = {f"label {_label(s)}", f"length {_length_band(len(text), cuts)}"}
        if tools_used:
            items.add(f"tool calls {_bucket(tools)}")
        items |= {f"<{t}> x{_bucket(n)}" for t, n in tags.items()}
        items |= {f"<{t}> left open" for t in unclosed}
        if words is not None:
            items.add("empty answer" if words == 0 else
                      (f"answer of more than {VERBOSE_WORDS} words" if words > VERBOSE_WORDS else "short answer"))
        if where is not None:
            items.add(f"reference {where}")
            if tag and words is None and not unclosed:  # answered, but not where the protocol says
                items.add(f"no <{tag}> tag, reference {where}")
        out[s.id] = Features(_label(s), tools, tags, unclosed, len(text), words, where, frozenset(items))
    return out


def system_prompts(samples: SampleSet) -> list[tuple[str, int]]:
    """The distinct system messages of the samples' prompts with how many samples carry each, most common first."""
    seen: Counter[str] = Counter()
    for s in samples:
        if isinstance(s.prompt, list):
            for m in s.prompt:
                if isinstance(m, dict) and m.get("role") == "system":
                    seen[message_text(m).strip()] += 1
    return seen.most_common()


def pick_for_coverage(
    samples: SampleSet,
    features: Mapping[str, Features],
    *,
    cost: Mapping[str, int],
    budget: int,
    flags: Mapping[str, Sequence[str]] | None = None,
    at_least: int = 4,
    at_most: int = 16,
) -> dict[str, list[str]]:
    """Samples that cover the most features within `budget`, each with the features it was picked for.

    Args:
        samples: the file.
        features: :func:`describe`'s answer.
        cost: tokens each sample takes in the prompt, by id.
        budget: tokens all shown samples may take together.
        flags: more features by sample id ("misclassified by the offline spec", "highest score of
            rule x among bad samples"); each is worth more than a structural one.
        at_least: samples to show even when every feature is covered (half of them good, when labelled).
        at_most: samples to show at most.

    Returns:
        Picked ids in the order picked, mapped to the features each covered first.
    """
    flags = flags or {}
    items = {sid: set(f.items) | {f"flag: {x}" for x in flags.get(sid, ())} for sid, f in features.items()}
    support = Counter(i for its in items.values() for i in its)

    def worth(item: str) -> float:
        # Rare features first: a mode three samples show is what the model would otherwise miss.
        if item.startswith("flag: "):  # each flag names one sample: rarity would make every flag win
            return 1.5
        return 1.0 + 2.0 / support[item] ** 0.5

    order = {s.id: i for i, s in enumerate(samples)}
    label_of = {s.id: _label(s) for s in samples}
    group_of = {s.id: s.group for s in samples}
    picked: dict[str, list[str]] = {}
    covered: set[str] = set()
    groups: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    used = 0
    while len(picked) < at_most:
        pool = [sid for sid in items if sid not in picked and used + cost[sid] <= budget]
        if not pool:
            break
        # Keep the classes in proportion: no label shown more than twice as often as another that
        # still has candidates (bad samples hold most of the variety, so they may lead).
        # Once one label has its share of `at_least`, a label short of its share comes first.
        present = sorted({label_of[sid] for sid in pool}, key=lambda lab: (labels[lab], lab))
        share = at_least // max(1, len(set(label_of.values())))
        lag, lead = present[0], present[-1]
        if len(present) > 1 and (labels[lead] >= 2 * labels[lag] + 1 or labels[lag] < share <= labels[lead]):
            pool = [sid for sid in pool if label_of[sid] == lag]

        def gain(sid: str) -> tuple[float, int, int]:
            fresh = sum(worth(i) for i in items[sid] - covered)
            return (fresh - 0.5 * groups[group_of[sid]], -cost[sid], -order[sid])

        best = max(pool, key=gain)
        new = sorted(items[best] - covered, key=lambda i: (not i.startswith("flag: "), i))
        if not new and len(picked) >= at_least:
            break
        picked[best] = [i.removeprefix("flag: ") for i in new if not i.startswith("label ")]
        covered |= items[best]
        groups[group_of[best]] += 1
        labels[label_of[best]] += 1
        used += cost[best]
    return picked


def _spread(values: list[int]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return f"{statistics.median(values):g} ({values[0]}-{values[-1]})"


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total}" if total else "-"


def feature_table(features: Mapping[str, Features]) -> tuple[list[str], list[list[str]]]:
    """The features summed up per label over the whole file: (column labels, rows of cells)."""
    labels = [lab for lab in ("good", "bad", "unlabelled") if any(f.label == lab for f in features.values())]
    by_label = {lab: [f for f in features.values() if f.label == lab] for lab in labels}
    rows: list[list[str]] = [["samples", *[str(len(by_label[lab])) for lab in labels]]]

    def spread(name: str, value: Callable[[Features], int | None]) -> None:
        rows.append([name, *[_spread([v for f in by_label[lab] if (v := value(f)) is not None]) for lab in labels]])

    def share(name: str, test: Callable[[Features], bool]) -> None:
        rows.append([name, *[_share(sum(test(f) for f in by_label[lab]), len(by_label[lab])) for lab in labels]])

    if any(f.tool_calls for f in features.values()):
        spread("tool calls, median (min-max)", lambda f: f.tool_calls)
    for tag in (list(next(iter(features.values())).tags) if features else []):
        spread(f"<{tag}> tags, median (min-max)", lambda f, t=tag: f.tags[t])
        if any(tag in f.unclosed for f in features.values()):
            share(f"<{tag}> left open (cut off?)", lambda f, t=tag: t in f.unclosed)
    spread("characters, median (min-max)", lambda f: f.chars)
    if any(f.answer_words is not None for f in features.values()):
        share("no answer tag", lambda f: f.answer_words is None)
        spread("words in the answer tag, median (min-max)", lambda f: f.answer_words)
    places = sorted({f.reference for f in features.values() if f.reference is not None},
                    key=lambda w: (w != "in the answer tag", w == "absent", w))
    for where in places:
        share(f"reference {where}", lambda f, w=where: f.reference == w)
    return ["feature", *labels], rows


def flag_samples(entries: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(sample id, reason) pairs as the `flags` mapping :func:`pick_for_coverage` takes."""
    out: dict[str, list[str]] = {}
    for sid, reason in entries:
        out.setdefault(sid, []).append(reason)
    return out


def offline_flags(samples: SampleSet, *, time_limit: float = 2.0) -> dict[str, list[str]]:
    """What the offline proposer's spec gets wrong, as coverage flags: its misclassified samples and,
    per rule, the best-scored bad sample and the worst-scored good one (where a rule is weakest).

    Empty for unlabelled samples, or when the offline spec cannot be built or scored: the flags
    sharpen the choice, the structure alone still makes it.
    """
    if not samples.labelled:
        return {}
    from ..bench import score_samples
    from ..checks import build_report
    from ..errors import RewardsmithError
    from .offline import propose_offline

    try:
        spec = propose_offline(samples)
        matrix = score_samples(spec, samples, time_limit=time_limit)
        report = build_report(spec, samples, matrix)
    except (RewardsmithError, OSError, ValueError):
        return {}
    entries = [(sid, "misclassified by the offline proposer's spec")
               for sid in report.data["total"].get("misclassified") or []]
    good = {s.id: s.is_good for s in samples}
    for rule in matrix.rules:
        scored = [(v, sid) for sid, v in zip(matrix.sample_ids, matrix.scores[rule]) if isinstance(v, (int, float))]
        bad = [x for x in scored if good.get(x[1]) is False]
        fine = [x for x in scored if good.get(x[1]) is True]
        if bad and fine and max(bad)[0] >= min(fine)[0]:
            entries.append((max(bad)[1], f"the bad sample {rule} scores highest"))
            entries.append((min(fine)[1], f"the good sample {rule} scores lowest"))
    return flag_samples(entries)
