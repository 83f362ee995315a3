"""Sample generations to test rewards against: loading, shapes, labels, groups and reference columns.

Supported shapes, all normalised to :class:`Sample`:

- TRL standard: ``{"prompt": "...", "completion": "..."}``;
- conversational: prompt and completion are lists of ``{"role", "content"}`` messages;
- agentic: the completion is ``{"messages": [...]}``, or the row is only ``{"messages": [...]}`` and is split
  at the first assistant message;
- a row whose completion is a list of completions is a group (one sample per element).

Formats: JSONL (streamed), CSV, Parquet (with pyarrow), plain text (completions between separator lines)
and ChatML transcripts (``<|im_start|>role ... <|im_end|>``).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
import math
import random
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, overload

from rewardsmith.demo import DEMO_SETS, demo_path  # re-exported for older imports; the catalogue is rewardsmith.demo
from rewardsmith.errors import SampleError
from rewardsmith.gold import _present, gold_key
from rewardsmith.patterns import PatternTimeout, find, vet_pattern

__all__ = [
    "DEMO_SETS",
    "FORMATS",
    "FieldMap",
    "GroupReservoir",
    "Sample",
    "SampleSet",
    "demo_path",
    "iter_samples",
    "iter_shard",
    "read_chunk",
    "load_samples",
    "sample_to_record",
    "shard_bounds",
    "write_jsonl",
]

FORMATS: tuple[str, ...] = ("auto", "jsonl", "csv", "parquet", "text", "chatml")

PROMPT_FIELDS: tuple[str, ...] = ("prompt", "question", "query", "input", "instruction", "problem")
# "messages" comes last: a row that has it and nothing better is an agentic transcript.
COMPLETION_FIELDS: tuple[str, ...] = (
    "completion",
    "completions",
    "response",
    "responses",
    "output",
    "outputs",
    "generation",
    "generations",
    "messages",
)
# The canonical record keys; a reference column may not reuse them (see sample_to_record).
RECORD_KEYS: tuple[str, ...] = ("id", "group", "prompt", "completion", "label")
# TRL never passes these dataset columns to reward functions as keyword arguments.
TRL_RESERVED_COLUMNS: frozenset[str] = frozenset({"prompt", "completion", "completion_ids"})
_ABSENT = object()
_PROGRESS_EVERY = 256
# One JSONL record or CSV row is read into memory whole: past this it is a dump, not a sample.
MAX_LINE_CHARS = 64 * 2**20
# Lists and objects in one record; chat messages with tool calls are a handful of levels deep.
MAX_NESTING = 64


@dataclass
class Sample:
    """One completion to score.

    Attributes:
        id: unique within a sample set.
        prompt: a string, a list of chat messages, or None when the source has no prompt.
        completion: a string, a list of messages, or ``{"messages": [...]}`` (agentic).
        group: completions of the same prompt share it (a GRPO group).
        label: 1.0 good, 0.0 bad, graded floats kept as given; None when unlabelled.
        refs: reference columns, passed to rewards as keyword lists like TRL passes dataset columns.
        source: ``path:line`` for messages.
    """

    id: str
    prompt: str | list[dict] | None
    completion: str | list[dict] | dict
    group: str
    label: float | None = None
    refs: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def is_good(self) -> bool | None:
        return None if self.label is None else self.label >= 0.5


@dataclass
class FieldMap:
    """Which columns hold what, and how labels map to good / bad. ``None`` means auto-detect."""

    prompt: str | None = None
    completion: str | None = None
    label: str | None = None
    id: str | None = None
    group: str | None = None
    label_true: tuple[str, ...] = ("good", "true", "yes", "1", "pass", "correct")
    label_false: tuple[str, ...] = ("bad", "false", "no", "0", "fail", "incorrect")
    label_threshold: float | None = None
    per_completion: tuple[str, ...] = ()
    format: str = "auto"
    separator: str = r"^={3,}\s*$"


# --------------------------------------------------------------------------- sample sets


class SampleSet:
    """A loaded, list-like collection of samples with group and id look-ups."""

    def __init__(self, samples: list[Sample], path: Path | None = None, fields: FieldMap | None = None,
                 dropped: dict[str, str] | None = None) -> None:
        self.samples = samples
        self.path = path
        self.fields = fields or FieldMap()
        # Columns of the file that reached no sample, each with why (what the CLI warns about).
        self.dropped: dict[str, str] = dict(dropped or {})
        self._by_id: dict[str, Sample] | None = None
        # Every sample of the file at `path`, read with `fields`: the bench's workers may then read it themselves.
        self.whole_file = False
        # A lean set (load_samples(lean=True)) holds no prompts or completions, except in `texts`: whole groups
        # drawn by a GroupReservoir, as (their indices in this set, those samples with their texts).
        self.texts: tuple[list[int], SampleSet] | None = None
        self._fingerprint: str | None = None
        self._groups: tuple[tuple[int, int], dict[str, list[int]]] | None = None

    @classmethod
    def from_samples(cls, samples: Iterable[Sample], path: str | Path | None = None) -> SampleSet:
        return cls(list(samples), Path(path) if path is not None else None)

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    @overload
    def __getitem__(self, index: int) -> Sample: ...
    @overload
    def __getitem__(self, index: slice) -> SampleSet: ...
    def __getitem__(self, index: int | slice) -> Sample | SampleSet:
        if isinstance(index, slice):
            return SampleSet(self.samples[index], self.path, self.fields, self.dropped)
        return self.samples[index]

    def __repr__(self) -> str:
        return f"SampleSet({len(self.samples)} samples, path={str(self.path) if self.path else None!r})"

    @property
    def columns(self) -> list[str]:
        """Sorted union of the reference column names."""
        return sorted({name for s in self.samples for name in s.refs})

    def groups(self) -> dict[str, list[int]]:
        """Group id -> sample indices, groups in first-seen order (a new dict; the index lists are shared)."""
        # The report asks for them several times; at 1,000,000 samples each pass costs a second.
        key = (id(self.samples), len(self.samples))
        if self._groups is None or self._groups[0] != key:
            out: dict[str, list[int]] = {}
            for i, s in enumerate(self.samples):
                out.setdefault(s.group, []).append(i)
            self._groups = (key, out)
        return dict(self._groups[1])

    def group_count(self) -> int:
        return len(self.groups())

    def good_flags(self) -> list[bool | None]:
        """Each sample's label as good (True), bad (False) or unlabelled (None), in order (a new list)."""
        return [None if s.label is None else s.label >= 0.5 for s in self.samples]

    def group_codes(self) -> tuple[list[int], list[str]]:
        """(each sample's group as an index into the names, the group names in first-seen order).

        What vectorised statistics read (numpy.asarray of the codes): the same groups as :meth:`groups`.
        """
        names = list(self.groups())
        code = {g: k for k, g in enumerate(names)}
        return [code[s.group] for s in self.samples], names

    def warnings(self) -> list[str]:
        """One line per dropped column, saying why and what to do."""
        return [f"column {name!r} dropped: {why}" for name, why in sorted(self.dropped.items())]

    @property
    def labelled(self) -> bool:
        return any(s.label is not None for s in self.samples)

    def by_id(self, id: str) -> Sample:
        # Rebuilt when the list changed size: the set is meant to be read-only, this is just a guard.
        if self._by_id is None or len(self._by_id) != len(self.samples):
            self._by_id = {s.id: s for s in self.samples}
        try:
            return self._by_id[id]
        except KeyError:
            raise KeyError(f"no sample with id {id!r}") from None

    def fingerprint(self) -> str:
        """A stable hash of the content (not the path or line numbers): 16 hex characters of sha256.

        Over the ids and groups in order, and each sample's :func:`content_digest`, so the workers that read a
        large file can digest its samples in parallel (``rewardsmith.lean``) and get the same hash.
        """
        if self._fingerprint is not None:
            return self._fingerprint
        return combine_fingerprint([s.id for s in self.samples], [s.group for s in self.samples],
                                   b"".join(content_digest(s) for s in self.samples))

    def column_summary(self, name: str) -> tuple[int, list[str]]:
        """(samples whose column `name` holds a value, the reprs of up to two distinct values): what tells a
        gold column (``rewardsmith.gold.gold_columns``)."""
        present, shown = 0, []
        for s in self.samples:
            value = s.refs.get(name)
            if _present(value):
                present += 1
                if len(shown) < 2 and repr(value) not in shown:
                    shown.append(repr(value))
        return present, shown


def content_json(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): what group keys and fingerprints hash."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.encode("utf-8", "surrogatepass")


def content_body(s: Sample) -> dict[str, Any]:
    """The sample's canonical record without its id and group: what its content digest hashes."""
    if any(name in RECORD_KEYS for name in s.refs):
        sample_to_record(s)  # raises, saying which column clashes
    return {"prompt": s.prompt, "completion": s.completion, "label": s.label, **s.refs}


def content_digest(s: Sample) -> bytes:
    """16 bytes of blake2b over :func:`content_body` as canonical JSON."""
    return hashlib.blake2b(content_json(content_body(s)), digest_size=16).digest()


def combine_fingerprint(ids: list[str], groups: list[str], digests: bytes) -> str:
    """The fingerprint of samples given their ids, groups and concatenated content digests, in order."""
    h = hashlib.sha256(json.dumps([ids, groups], ensure_ascii=False).encode("utf-8", "surrogatepass"))
    h.update(digests)
    return h.hexdigest()[:16]


def sample_to_record(s: Sample) -> dict[str, Any]:
    """The canonical JSON-able dict ``{id, group, prompt, completion, label, **refs}``."""
    clash = [name for name in s.refs if name in RECORD_KEYS]
    if clash:
        # Writing it would overwrite a canonical field and lose data on the way back.
        raise ValueError(
            f"sample {s.id!r}: reference column(s) {', '.join(map(repr, clash))} clash with the canonical "
            f"fields {', '.join(RECORD_KEYS)}; rename them before saving"
        )
    record: dict[str, Any] = {
        "id": s.id,
        "group": s.group,
        "prompt": s.prompt,
        "completion": s.completion,
        "label": s.label,
    }
    record.update(s.refs)
    return record


def write_jsonl(samples: Iterable[Sample], path: str | Path) -> None:
    """Write samples in canonical form; :func:`load_samples` reads them back unchanged."""
    with Path(path).open("w", encoding="utf-8", newline="\n") as fh:
        for s in samples:
            fh.write(json.dumps(sample_to_record(s), ensure_ascii=False, default=str))
            fh.write("\n")


# --------------------------------------------------------------------------- loading


class GroupReservoir:
    """A uniform, seeded sample of `size` groups from a stream of group ids, in one pass (reservoir sampling
    on each group's first appearance), so a file need not be held to choose from it."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.slots: list[str] = []
        self.seen = 0
        self._known: set[str] = set()
        self._random = random.Random(seed)

    def offer(self, group: str) -> str | None:
        """Note a sample of `group`; returns the group it pushed out of the sample, if any."""
        if group in self._known:
            return None
        self._known.add(group)
        self.seen += 1
        if len(self.slots) < self.size:
            self.slots.append(group)
            return None
        j = self._random.randrange(self.seen)
        if j < self.size:
            out, self.slots[j] = self.slots[j], group
            return out
        return group

    def knows(self, group: str) -> bool:
        return group in self._known

    @property
    def chosen(self) -> set[str]:
        return set(self.slots)


def load_samples(
    path: str | Path,
    fields: FieldMap | None = None,
    *,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    lean: int | None = None,
    seed: int = 0,
) -> SampleSet:
    """Load a samples file.

    Args:
        path: the file; its format comes from ``fields.format`` or the suffix.
        fields: column mapping and label rules; defaults to auto-detection.
        limit: stop after this many samples.
        progress: called with the running sample count every few hundred samples and once at the end.
        lean: for a JSON-lines file the bench's workers read themselves: keep prompts and completions only for
            this many whole groups (a seeded reservoir, in ``SampleSet.texts``); the others keep their id,
            group, label and references. The fingerprint is taken as the file streams by. Ignored for other
            formats and with `limit`.

    Returns:
        The samples, in file order.

    Raises:
        SampleError: with ``path:line`` and what to change.
    """
    fields = fields or FieldMap()
    samples: list[Sample] = []
    dropped: dict[str, str] = {}
    if lean is not None and limit is None and shard_bounds(path, 1) is not None:
        return _load_lean(Path(path), fields, lean, seed, progress)
    if limit is None or limit > 0:
        for s in iter_samples(path, fields, dropped=dropped):
            samples.append(s)
            if progress is not None and len(samples) % _PROGRESS_EVERY == 0:
                progress(len(samples))
            if limit is not None and len(samples) >= limit:
                break
    if progress is not None:
        progress(len(samples))
    result = SampleSet(samples, Path(path), fields, dropped)
    result.whole_file = limit is None or len(samples) < limit
    return result


def _load_lean(path: Path, fields: FieldMap, groups: int, seed: int,
               progress: Callable[[int], None] | None) -> SampleSet:
    """load_samples(lean=...): every sample without its texts, a reservoir of groups with them."""
    samples: list[Sample] = []
    dropped: dict[str, str] = {}
    reservoir = GroupReservoir(groups, seed)
    kept: dict[str, list[tuple[int, Sample]]] = {}
    groups: dict[str, str] = {}
    digests = bytearray()
    for i, s in enumerate(iter_samples(path, fields, dropped=dropped)):
        digests += content_digest(s)
        new = not reservoir.knows(s.group)
        out = reservoir.offer(s.group)
        if new and out != s.group:
            kept[s.group] = []
            kept.pop(out, None)  # type: ignore[arg-type]
        if s.group in kept:
            kept[s.group].append((i, s))
        # What the report needs, and no more: one string per group, no texts, no file:line (messages about
        # a sample come from the reading above, or from the groups kept whole in `texts`).
        group = groups.setdefault(s.group, s.group)
        samples.append(Sample(id=s.id, prompt=None, completion="", group=group, label=s.label, refs=s.refs))
        if progress is not None and len(samples) % _PROGRESS_EVERY == 0:
            progress(len(samples))
    if progress is not None:
        progress(len(samples))
    result = SampleSet(samples, path, fields, dropped)
    result.whole_file = True
    result._fingerprint = combine_fingerprint([s.id for s in samples], [s.group for s in samples], bytes(digests))
    chosen = sorted(pair for group in kept.values() for pair in group)
    result.texts = ([i for i, _ in chosen], SampleSet([s for _, s in chosen], path, fields, dropped))
    return result


def iter_samples(path: str | Path, fields: FieldMap | None = None, *,
                 dropped: dict[str, str] | None = None) -> Iterator[Sample]:
    """Yield samples one by one, reading the file as it goes (JSONL line by line).

    Ids come from the id column, else ``<file stem>-<row>`` (rows counted from 1); a row holding a list of
    completions gives ``<id>-<k>`` with ``k`` the 0-based index in that list. Without a group column,
    identical prompts with the same gold answer (:func:`rewardsmith.gold.gold_key` of the rows) share a
    group ``g0001``, ``g0002``... numbered in first-seen order.
    Raises SampleError (lazily, when the bad record is reached) with ``path:line``.

    Args:
        path: the file.
        fields: column mapping and label rules.
        dropped: filled in as rows are read with the columns no sample keeps, each with why.
    """
    fields = fields or FieldMap()
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise SampleError("file not found" if not path.exists() else "not a file", path=where)
    fmt = _detect_format(path, fields.format)
    grouper = _Grouper()
    if fmt == "text":
        produced = _iter_text(path, fields, grouper)
    elif fmt == "chatml":
        produced = _iter_chatml(path, grouper)
    else:
        rows = {"jsonl": _iter_jsonl, "csv": _iter_csv, "parquet": _iter_parquet}[fmt](path)
        produced = _RowParser(path, fields, grouper, from_csv=fmt == "csv",
                              dropped={} if dropped is None else dropped).run(rows)

    # id -> where it was first seen: the line number when that says it all (a million ids keep no strings)
    seen: dict[str, int | str] = {}
    labels: set[float] = set()
    for s in produced:
        if s.id in seen:
            first = seen[s.id]
            raise SampleError(
                f"duplicate id {s.id!r} (first at {f'{where}:{first}' if isinstance(first, int) else first}); "
                "ids must be unique: fix the data or pass --id-field to use another column",
                path=where,
                line=_line_of(s.source),
            )
        line = _line_of(s.source)
        seen[s.id] = line if line is not None and s.source == f"{where}:{line}" else s.source
        if s.label is not None:
            labels.add(s.label)
        yield s
    if not seen:
        detail = "the file is empty" if path.stat().st_size == 0 else "no records in the file"
        raise SampleError(f"no samples found ({detail}); check the file and --format", path=where)
    if fields.label_threshold is not None and len(labels) == 1 and len(seen) > 1:
        verdict = "good" if labels == {1.0} else "bad"
        raise SampleError(
            f"with --label-threshold {fields.label_threshold:g} every labelled sample counts as {verdict}, so "
            "nothing can be separated; choose a threshold between the lowest and the highest score", path=where)


def _detect_format(path: Path, fmt: str) -> str:
    if fmt not in FORMATS:
        raise SampleError(f"unknown format {fmt!r}; --format takes one of {', '.join(FORMATS)}", path=str(path))
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".txt":
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return "chatml" if any("<|im_start|>" in line for line in fh) else "text"
    raise SampleError(
        f"cannot tell the format from the suffix {suffix or '(none)'!r}; pass --format "
        f"({', '.join(FORMATS[1:])})",
        path=str(path),
    )


def _line_of(source: str) -> int | None:
    tail = source.rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


class _Grouper:
    """Identical prompts share a group id: ``g0001``, ``g0002``... in first-seen order.

    A sample without a prompt is its own group: nothing says two such completions answer the same prompt.
    """

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._count = 0

    def _new(self) -> str:
        self._count += 1
        return f"g{self._count:04d}"

    def group_of(self, prompt: str | list[dict] | None, gold: Any = None) -> str:
        """The group of `prompt`; with a `gold`, of that prompt asked with that gold answer."""
        if prompt is None:
            return self._new()
        keyed = prompt if gold is None else {"prompt": prompt, "gold": gold}
        key = hashlib.sha256(_canonical_json(keyed).encode("utf-8")).hexdigest()
        if key not in self._ids:
            self._ids[key] = self._new()
        return self._ids[key]


# --------------------------------------------------------------------------- record readers


def _open_text(path: Path, newline: str | None = None) -> TextIO:
    # utf-8-sig drops the BOM that spreadsheet exports put in front of the first column name.
    return path.open("r", encoding="utf-8-sig", newline=newline)


def _lines(path: Path, fh: TextIO) -> Iterator[tuple[int, str]]:
    """Numbered lines, each at most MAX_LINE_CHARS long and free of NUL; failures are SampleErrors with the line."""
    line_no = 0
    try:
        while True:
            line = fh.readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            line_no += 1
            if len(line) > MAX_LINE_CHARS:
                raise SampleError(f"the line is longer than {MAX_LINE_CHARS:,} characters; a sample that large is "
                                  "not a generation: check the format (--format), or split the record",
                                  path=str(path), line=line_no)
            if "\x00" in line:
                raise SampleError("the line holds a NUL byte: is this a binary or UTF-16 file? export the samples "
                                  "as UTF-8 text", path=str(path), line=line_no)
            yield line_no, line
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> SampleError:
    """Where the file stops being UTF-8 (decoding runs ahead in blocks, so the line is found again in bytes)."""
    with path.open("rb") as fh:
        if fh.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return SampleError("the file is UTF-16 text; re-encode it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)",
                               path=str(path))
        fh.seek(0)
        for line_no, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_CHARS), b""), start=1):
            try:
                raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as bad:
                return SampleError(f"byte 0x{raw[bad.start]:02x} is not UTF-8 ({bad.reason}); re-encode the file "
                                   "as UTF-8 (e.g. iconv -f latin1 -t UTF-8)", path=str(path), line=line_no)
    return SampleError(f"not UTF-8 text ({exc.reason}); re-encode the file as UTF-8", path=str(path))


def _too_deep(path: Path, line: int | None) -> SampleError:
    return SampleError(f"the record nests lists or objects deeper than {MAX_NESTING} levels; a sample is a few "
                       "levels deep: is this the right file?", path=str(path), line=line)


def _depth(node: Any) -> int:
    """How deeply lists and dicts nest in `node`, without recursion; stops counting past MAX_NESTING."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_NESTING:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def _loads(path: Path, text: str, line: int) -> Any:
    """One JSON document, with what breaks the standard parser (depth, huge integers) refused with the line.

    Args:
        path: the file, for messages.
        text: the JSON text.
        line: the file line `text` starts on.
    """
    if _fast_loads is not None:
        try:
            value = _fast_loads(text)
        except Exception:  # orjson refuses what json accepts (NaN, huge integers) or words it differently
            value = _NOT_PARSED
        if value is not _NOT_PARSED:
            if text.count("[") + text.count("{") > MAX_NESTING and _depth(value) > MAX_NESTING:
                raise _too_deep(path, line)
            return value
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        offset = min(exc.lineno - 1, text.rstrip().count("\n"))  # a JSON line's own newline is not a new line
        raise SampleError(_json_advice(path, text, exc), path=str(path), line=line + offset) from None
    except RecursionError:
        raise _too_deep(path, line) from None
    except ValueError as exc:  # Python's limit on converting very long integers
        raise SampleError(f"a number in the record is too long ({str(exc).partition(':')[0]}); write it as a "
                          "string, or round it", path=str(path), line=line) from None
    # Counting brackets is cheap; only a record with many of them is walked.
    if text.count("[") + text.count("{") > MAX_NESTING and _depth(value) > MAX_NESTING:
        raise _too_deep(path, line)
    return value


try:  # 3-5x faster on sample lines; anything it refuses is parsed again by json, so results and messages agree
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - the optional extra "fast" is not installed
    _fast_loads = None
_NOT_PARSED = object()


def _json_advice(path: Path, text: str, exc: json.JSONDecodeError) -> str:
    """What is wrong with a line of JSON, and what to do about it."""
    head = f"invalid JSON: {exc.msg} (column {exc.colno})"
    stripped = text.strip()
    ran_out = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
    if stripped in ("{", "[") or (stripped[:1] in ("{", "[") and ran_out and "\n" in text.rstrip()
                                  and path.suffix.lower() != ".json"):
        return (f"{head}: this looks like pretty-printed JSON, but JSON lines need one whole object per line; "
                "write one object per line (jq -c '.[]' for an array, jq -c . for objects), or save an array "
                "of objects with the suffix .json")
    if ran_out and not text.endswith("\n"):
        return (f"{head}: the last line is cut off (was the file still being written?); complete the record "
                "or delete the line")
    return f"{head}; each line must be one complete JSON object: fix that line, or pass --format if this is not JSONL"


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as fh:
        # A .json file may hold one array of objects instead of JSON lines; a .jsonl file never does.
        is_array = path.suffix.lower() == ".json" and _first_char(fh) == "["
        fh.seek(0)
        if is_array:
            yield from _iter_json_array(path, fh.read())
            return
        for line_no, line in _lines(path, fh):
            if not line.strip():
                continue
            row = _loads(path, line, line_no)
            if not isinstance(row, dict):
                raise SampleError(f"expected a JSON object per line, got {_describe(row)}; each line must be one "
                                  'object such as {"prompt": "...", "completion": "..."}', path=str(path), line=line_no)
            yield line_no, row


def _first_char(fh: TextIO) -> str:
    try:
        for line in fh:
            stripped = line.lstrip()
            if stripped:
                return stripped[0]
    except UnicodeDecodeError:
        return ""  # the line reader reports it
    return ""


def _iter_json_array(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """A ``.json`` file holding one array of objects: read whole; the "line" is the element's 1-based index."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SampleError("the file holds a NUL byte: is this a binary or UTF-16 file? export the samples as UTF-8 "
                          "text", path=str(path), line=line)
    rows = _loads(path, text, 1)
    if not isinstance(rows, list):
        raise SampleError(f"the file is a JSON {type(rows).__name__}; a .json samples file holds an array of objects "
                          "(or one object per line)", path=str(path))
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise SampleError(f"element {index} of the JSON array is {_describe(row)}, expected an object such as "
                              '{"prompt": "...", "completion": "..."}; fix or remove it', path=str(path))
        yield index, row


def _iter_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    # Whole transcripts in one cell exceed the csv module's default 128 KiB field limit; the bound is a line's.
    csv.field_size_limit(min(sys.maxsize, MAX_LINE_CHARS))
    with _open_text(path, newline="") as fh:
        dialect: type[csv.Dialect] = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
        # strict: an unclosed quote is an error, not one cell that swallows the rest of the file.
        reader = csv.DictReader((line for _, line in _lines(path, fh)), dialect=dialect, strict=True)
        start = 2  # line 1 is the header
        try:
            for row in reader:
                if None in row:
                    width = len(reader.fieldnames or [])
                    raise SampleError(f"this row has more cells than the header has columns ({width}); quote cells "
                                      'that hold a comma ("a, b"), or add the missing column names to the header',
                                      path=str(path), line=start)
                yield start, row
                start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise SampleError("a quoted cell in this row is never closed, so it would run to the end of the "
                                  'file; close the quote, and double quotes inside a cell ("say ""hi""")',
                                  path=str(path), line=start) from None
            if "field limit" in str(exc):
                raise SampleError(f"a cell is longer than {MAX_LINE_CHARS:,} characters (an unclosed quote?); "
                                  "check the quoting of this row", path=str(path), line=start) from None
            raise SampleError(f"invalid CSV: {exc}; quote cells that hold commas, quotes or line breaks, and "
                              'double quotes inside them ("say ""hi""")', path=str(path), line=start) from None


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SampleError("reading Parquet needs pyarrow: pip install pyarrow", path=str(path)) from None
    advice = "is the file complete? write it again, or pass --format if it is not Parquet"
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SampleError(f"not a readable Parquet file ({exc}); {advice}", path=str(path)) from None
    row_no = 0
    batches = parquet.iter_batches(batch_size=1024)
    while True:
        try:
            batch = next(batches, None)
        except Exception as exc:  # a damaged row group shows only when it is read
            raise SampleError(f"a damaged part of the Parquet file after row {row_no} ({exc}); {advice}",
                              path=str(path)) from None
        if batch is None:
            return
        for row in batch.to_pylist():
            row_no += 1  # Parquet has no lines: the "line" is the 1-based row number
            yield row_no, row


# --------------------------------------------------------------------------- shards (the bench's workers)


def shard_bounds(path: str | Path, parts: int) -> list[tuple[int, int]] | None:
    """Byte ranges splitting a JSON-lines file into about `parts` pieces at line ends; None for other files.

    A worker reads its range with :func:`iter_shard`; the ranges cover the file in order, so the samples of
    range k follow those of range k - 1 exactly as :func:`iter_samples` yields them.
    """
    path = Path(path)
    if _detect_format(path, "auto") != "jsonl" or path.suffix.lower() == ".json":
        return None
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as fh:
        for k in range(1, max(1, parts)):
            fh.seek(max(cuts[-1], size * k // parts))
            fh.readline()  # to the end of the line the cut fell in
            where = fh.tell()
            if where >= size:
                break
            if where > cuts[-1]:
                cuts.append(where)
    cuts.append(size)
    return list(zip(cuts, cuts[1:]))


class _NoGroups(_Grouper):
    """A shard's samples need no group ids (the main process has them): skip hashing every prompt."""

    def group_of(self, prompt: str | list[dict] | None, gold: Any = None) -> str:
        return ""


def iter_shard(path: str | Path, fields: FieldMap | None, start: int, end: int) -> Iterator[Sample]:
    """The samples of the lines in bytes [start, end) of a JSON-lines file, as :func:`iter_samples` reads them.

    Columns are resolved on the file's first record, as the whole-file reader does, so every shard maps the
    same way. Ids, groups and line numbers are not those of the file: the caller that read the whole file has
    them (and has already reported any bad record); a shard gives prompts, completions and references.
    """
    while start < end:
        chunk, start = read_chunk(path, fields, start, end, 4096)
        if not chunk:
            return
        yield from chunk


def read_chunk(path: str | Path, fields: FieldMap | None, start: int, end: int,
               limit: int) -> tuple[list[Sample], int]:
    """The samples of the lines from byte `start` on (before `end`), stopping at the first line end after
    `limit` samples: (samples, where the next chunk starts). What a bench worker holds at a time."""
    path = Path(path)
    parser = _RowParser(path, fields or FieldMap(), _NoGroups())
    first = next(iter(_iter_jsonl(path)), None)
    if first is None:
        return [], end
    parser._resolve(first[1], first[0])
    out: list[Sample] = []
    where = start
    for row_no, (_, after, line_no, text) in enumerate(shard_lines(path, start, end), start=1):
        where = after
        out.extend(parser._parse(_loads(path, text, line_no), line_no, row_no))
        if len(out) >= limit:
            break
    else:
        where = end
    return out, where


def shard_lines(path: Path, start: int, end: int) -> Iterator[tuple[int, int, int, str]]:
    """(where the line starts, where the next starts, its number counted from `start`, its text) for each
    non-blank line in bytes [start, end) of a JSON-lines file, read as the chunk readers need."""
    with path.open("rb") as fh:
        fh.seek(start)
        where, line_no = start, 0
        while where < end:
            raw = fh.readline(MAX_LINE_CHARS + 1)
            if not raw:
                return
            at = where
            where += len(raw)
            line_no += 1
            text = raw.decode("utf-8-sig" if at == 0 else "utf-8")
            if text and not text.isspace():  # blank lines are no records (a BOM alone decodes to "")
                yield at, where, line_no, text


# --------------------------------------------------------------------------- rows -> samples


class _RowParser:
    """Turns records (dicts) into samples. Columns are resolved on the first record and then required."""

    def __init__(self, path: Path, fields: FieldMap, grouper: _Grouper, *, from_csv: bool = False,
                 dropped: dict[str, str] | None = None) -> None:
        self.path = path
        self.dropped = {} if dropped is None else dropped
        self.where = str(path)
        self.fields = fields
        self.grouper = grouper
        self.from_csv = from_csv
        self.true = {v.strip().lower() for v in fields.label_true}
        self.false = {v.strip().lower() for v in fields.label_false}
        self.resolved = False
        self.prompt_key: str | None = None
        self.completion_key = ""
        self.label_key: str | None = None
        self.id_key: str | None = None
        self.group_key: str | None = None
        self.gold_key: str | None = None  # part of the group key when groups come from prompts
        self.split_messages = False  # the row is one {"messages": [...]} transcript
        self.first_line = 0  # where the columns were resolved, for rows of another shape
        self.consumed: set[str] = set()
        self.skip: set[str] = set()
        self.droppable: list[str] = []
        self.plain = False

    def run(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[Sample]:
        row_no = 0
        for line, row in rows:
            row_no += 1
            if not self.resolved:
                self._resolve(row, line)
            yield from self._parse(row, line, row_no)

    def _error(self, message: str, line: int) -> SampleError:
        return SampleError(message, path=self.where, line=line)

    def _columns_hint(self, row: dict[str, Any], near: str | tuple[str, ...] = ()) -> str:
        """The row's columns, and those that look like `near` (a name the user typed, or the names we know)."""
        hint = f"the columns are: {', '.join(map(str, row)) or '(none)'}"
        wanted = (near,) if isinstance(near, str) else near
        columns = [str(c) for c in row]
        close = [c for c in columns if any(difflib.get_close_matches(w, [c], cutoff=0.6) for w in wanted)]
        if wanted and close:
            hint += f" (did you mean {' or '.join(map(repr, close))}?)"
        return hint

    def _resolve(self, row: dict[str, Any], line: int) -> None:
        f = self.fields
        if f.completion is not None:
            if f.completion not in row:
                raise self._error(f"no completion column {f.completion!r}; {self._columns_hint(row, f.completion)}; "
                                  "pass --completion-field NAME", line)
            self.completion_key = f.completion
        else:
            found = next((c for c in COMPLETION_FIELDS if c in row), None)
            if found is None:
                raise self._error(f"no completion column found (looked for {', '.join(COMPLETION_FIELDS)}); "
                                  f"{self._columns_hint(row, COMPLETION_FIELDS)}; pass --completion-field NAME", line)
            self.completion_key = found
        if f.prompt is not None:
            if f.prompt not in row:
                raise self._error(f"no prompt column {f.prompt!r}; {self._columns_hint(row, f.prompt)}; "
                                  "pass --prompt-field NAME", line)
            self.prompt_key = f.prompt
        else:
            self.prompt_key = next((c for c in PROMPT_FIELDS if c in row and c != self.completion_key), None)
            if self.prompt_key is None:
                if self.completion_key == "messages":
                    self.split_messages = True
                else:
                    raise self._error(f"no prompt column found (looked for {', '.join(PROMPT_FIELDS)}); "
                                      f"{self._columns_hint(row, PROMPT_FIELDS)}; pass --prompt-field NAME", line)
        if f.label is not None:
            if f.label not in row:
                raise self._error(f"no label column {f.label!r}; {self._columns_hint(row, f.label)}; "
                                  "pass --label-field NAME", line)
            self.label_key = f.label
        else:
            self.label_key = "label" if "label" in row else None
        if f.id is not None:
            self.id_key = f.id
        else:
            self.id_key = "id" if "id" in row else None
        if f.group is not None:
            self.group_key = f.group
        else:
            self.group_key = "group" if "group" in row else None
        # Without a group column the gold is part of the group key: one prompt asked with two golds is
        # two problems, not one GRPO group.
        self.gold_key = gold_key(row, (self.completion_key, self.prompt_key, self.label_key, self.id_key,
                                       self.group_key, *f.per_completion))
        for name, key, flag in ((f.id, self.id_key, "--id-field"), (f.group, self.group_key, "--group-field")):
            if name is not None and key not in row:
                raise self._error(f"no column {key!r}; {self._columns_hint(row, str(key))}; pass {flag} NAME", line)
        missing = [name for name in f.per_completion if name not in row]
        if missing:
            raise self._error(f"no column {', '.join(map(repr, missing))} to split per completion; "
                              f"{self._columns_hint(row)}; fix --per-completion", line)
        self.resolved = True
        self.first_line = line
        # The columns every record's sample is made of, and whether _parse_plain may read the records.
        self.consumed = {k for k in (self.completion_key, self.prompt_key, self.label_key, self.id_key,
                                     self.group_key) if k is not None}
        self.skip = self.consumed | TRL_RESERVED_COLUMNS
        self.droppable = sorted(TRL_RESERVED_COLUMNS - self.consumed)  # in no sample: dropped, with a warning
        self.plain = not (self.from_csv or self.split_messages or self.prompt_key is None or f.per_completion
                          or self.completion_key == "messages")

    def _reserved_reason(self, name: str) -> str:
        used = self.prompt_key if name == "prompt" else self.completion_key
        role = "prompt" if name == "prompt" else "completion"
        return (f"TRL never passes a {name!r} column to reward functions and the {role} is read from "
                f"{used!r}; rename the column to keep it as a reference")

    def _require(self, row: dict[str, Any], key: str, flag: str, line: int) -> Any:
        if key not in row and "messages" in row and key != "messages":
            raise self._error(f"this row is a {{'messages': [...]}} transcript, but the first row (line "
                              f"{self.first_line}) has a {key!r} column; a file holds one shape of record: give "
                              "every row the same columns, or split the file", line)
        if key not in row:
            raise self._error(f"missing column {key!r} in this row; {self._columns_hint(row)}; "
                              f"pass {flag} NAME or fix the row", line)
        return row[key]

    def _maybe_json(self, value: Any, accept: Callable[[Any], bool]) -> Any:
        """CSV cells are strings: parse those that look like a JSON list or object of the expected shape.

        Anything else (text that merely starts with a bracket) stays the string it was.
        """
        if self.from_csv and isinstance(value, str):
            text = value.strip()
            if text[:1] in ("[", "{"):
                try:
                    parsed = json.loads(text)
                except (ValueError, RecursionError):  # not JSON (or too deep, too long a number): the text stays
                    return value
                if _depth(parsed) > MAX_NESTING:
                    return value
                if accept(parsed):
                    return parsed
        return value

    def _parse(self, row: dict[str, Any], line: int, row_no: int) -> list[Sample]:
        plain = self._parse_plain(row, line, row_no) if self.plain else None
        if plain is not None:
            return plain
        f = self.fields
        completion = self._maybe_json(self._require(row, self.completion_key, "--completion-field", line),
                                      _looks_like_completion)
        consumed = {self.completion_key}
        if self.split_messages or self.prompt_key is None:
            prompt, completion = self._split_transcript(completion, line)
        else:
            prompt = self._maybe_json(self._require(row, self.prompt_key, "--prompt-field", line), _is_messages)
            consumed.add(self.prompt_key)
            prompt = self._check_prompt(prompt, line)

        label_raw: Any = None
        if self.label_key is not None:
            label_raw = self._maybe_json(row.get(self.label_key), _is_list)
            consumed.add(self.label_key)
        base_id = self._scalar_field(row, self.id_key, f.id is not None, "--id-field", line, consumed)
        group = self._scalar_field(row, self.group_key, f.group is not None, "--group-field", line, consumed)

        completions = self._completions(completion, line)
        split_cols = {name for name in f.per_completion if name in row} if completions is not None else set()
        skip = consumed | TRL_RESERVED_COLUMNS
        refs = {k: v for k, v in row.items() if k not in skip and k not in split_cols} if split_cols else \
            {k: v for k, v in row.items() if k not in skip}
        if not TRL_RESERVED_COLUMNS.isdisjoint(row):
            for name in row:
                if name in TRL_RESERVED_COLUMNS and name not in consumed and name not in self.dropped:
                    self.dropped[name] = self._reserved_reason(name)
        if group is None:
            gold = row.get(self.gold_key) if self.gold_key is not None else None
            group = self.grouper.group_of(prompt, None if gold is None else _canonical_json(gold))
        if base_id is None:
            base_id = f"{self.path.stem}-{row_no}"
        source = f"{self.where}:{line}"

        if completions is None:
            if isinstance(label_raw, list):
                raise self._error(f"column {self.label_key!r} holds a list but the completion is a single "
                                  "completion; a list of labels needs a list of completions", line)
            if self.completion_key == "messages" and isinstance(completion, list):
                # A "messages" column beside a prompt column is an agentic completion: keep the agentic shape.
                completion = {"messages": completion}
            return [Sample(id=base_id, prompt=prompt, completion=completion, group=group,
                           label=self._label(label_raw, line), refs=refs, source=source)]

        n = len(completions)
        labels = self._split_column(self.label_key, label_raw, n, line) if isinstance(label_raw, list) \
            else [label_raw] * n  # one label for the row applies to each of its completions
        columns = {name: self._split_column(name, self._maybe_json(row[name], _is_list), n, line)
                   for name in sorted(split_cols)}
        return [
            Sample(
                id=f"{base_id}-{k}",
                prompt=prompt,
                completion=c,
                group=group,
                label=self._label(labels[k], line),
                refs={**refs, **{name: values[k] for name, values in columns.items()}},
                source=source,
            )
            for k, c in enumerate(completions)
        ]

    def _parse_plain(self, row: dict[str, Any], line: int, row_no: int) -> list[Sample] | None:
        """_parse for the commonest record, in a fraction of the time: one completion (a string, messages, or
        {"messages": [...]}), a string or messages prompt, a scalar label, id and group. None for any other
        record, which _parse then reads (and words the errors for)."""
        completion = row.get(self.completion_key)
        prompt = row.get(self.prompt_key, _ABSENT)  # type: ignore[arg-type]
        kind = type(completion)
        if not (kind is str or (kind is list and completion and _is_messages(completion))
                or (kind is dict and _is_messages(completion.get("messages")))):  # type: ignore[union-attr]
            return None  # a list of completions, or a wrong shape
        if not (prompt is None or type(prompt) is str or _is_messages(prompt)):
            return None
        label_raw = row.get(self.label_key) if self.label_key is not None else None
        ids = []
        for key in (self.id_key, self.group_key):
            value = row.get(key, _ABSENT) if key is not None else None
            if value is _ABSENT or isinstance(value, (dict, list)):
                return None  # a missing explicit column, or a wrong type: _parse says which
            ids.append(None if value is None or value == "" else str(value))
        if isinstance(label_raw, list):
            return None
        skip = self.skip
        refs = {k: v for k, v in row.items() if k not in skip}
        for name in self.droppable:
            if name in row and name not in self.dropped:
                self.dropped[name] = self._reserved_reason(name)
        base_id, group = ids
        if group is None:
            gold = row.get(self.gold_key) if self.gold_key is not None else None
            group = self.grouper.group_of(prompt, None if gold is None else _canonical_json(gold))
        return [Sample(id=f"{self.path.stem}-{row_no}" if base_id is None else base_id, prompt=prompt,
                       completion=completion, group=group, label=self._label(label_raw, line), refs=refs,
                       source=f"{self.where}:{line}")]

    def _scalar_field(self, row: dict[str, Any], key: str | None, explicit: bool, flag: str, line: int,
                      consumed: set[str]) -> str | None:
        if key is None:
            return None
        consumed.add(key)
        if key not in row:
            if explicit:
                self._require(row, key, flag, line)
            return None
        value = row[key]
        if value is None or value == "":
            return None
        if isinstance(value, (dict, list)):
            raise self._error(f"column {key!r} must hold a string or number, got {type(value).__name__}", line)
        return str(value)

    def _split_column(self, name: str | None, value: Any, n: int, line: int) -> list[Any]:
        if not isinstance(value, list):
            raise self._error(f"column {name!r} should be a list of {n} values (one per completion), "
                              f"got {type(value).__name__}", line)
        if len(value) != n:
            raise self._error(f"column {name!r} has {len(value)} values but the row has {n} completions", line)
        return value

    def _check_prompt(self, prompt: Any, line: int) -> str | list[dict] | None:
        if prompt is None or isinstance(prompt, str):
            return prompt
        if _is_messages(prompt):
            return prompt
        raise self._error(f"prompt column {self.prompt_key!r} must be a string or a list of "
                          f"{{'role', 'content'}} messages, got {_describe(prompt)}", line)

    def _split_transcript(self, messages: Any, line: int) -> tuple[list[dict] | None, dict[str, Any]]:
        """A whole transcript: the prompt is what precedes the first assistant turn."""
        if not _is_messages(messages) or not messages:
            raise self._error(f"column {self.completion_key!r} must be a list of {{'role', 'content'}} messages, "
                              f"got {_describe(messages)}", line)
        first = next((i for i, m in enumerate(messages) if m.get("role") == "assistant"), None)
        if first is None:
            raise self._error("the transcript has no assistant message to use as the completion; "
                              "pass --prompt-field/--completion-field if the row has other columns", line)
        return (messages[:first] or None), {"messages": messages[first:]}

    def _completions(self, value: Any, line: int) -> list[str | list[dict] | dict] | None:
        """None for a single completion; the list of completions when the row holds a group."""
        if isinstance(value, str):
            return None
        if isinstance(value, dict):
            if isinstance(value.get("messages"), list) and _is_messages(value["messages"]):
                return None
            raise self._error(f"completion dict must be {{'messages': [...]}}, got keys {sorted(value)}", line)
        if isinstance(value, list) and value:
            if _is_messages(value):
                return None
            if all(isinstance(v, str) for v in value):
                return list(value)
            if all(isinstance(v, list) and _is_messages(v) for v in value):
                return list(value)
            if all(isinstance(v, dict) and isinstance(v.get("messages"), list) for v in value):
                return list(value)
        raise self._error(
            f"column {self.completion_key!r} must be a string, a list of messages, {{'messages': [...]}}, or a "
            f"non-empty list of those (one per completion); got {_describe(value)}", line)

    def _label(self, value: Any, line: int) -> float | None:
        f = self.fields
        if value is None:
            return None
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, str):
            text = value.strip().lower()
            if text == "":
                return None
            if text in self.true:
                return 1.0
            if text in self.false:
                return 0.0
            try:
                value = float(text)
            except ValueError:
                raise self._error(
                    f"unknown label {value!r} in column {self.label_key!r}; add it with --label-true or "
                    f"--label-false (now true: {', '.join(f.label_true)}; false: {', '.join(f.label_false)}), "
                    "or use --label-threshold for numeric scores",
                    line) from None
        if isinstance(value, (int, float)):
            number = float(value)
            if math.isnan(number):
                raise self._error(f"label in column {self.label_key!r} is NaN; leave it empty (or null) for an "
                                  "unlabelled sample, or give good/bad or a number in [0, 1]", line)
            if f.label_threshold is not None:
                return 1.0 if number >= f.label_threshold else 0.0
            if 0.0 <= number <= 1.0:
                return number
            raise self._error(
                f"label {value!r} in column {self.label_key!r} is outside [0, 1]; pass --label-threshold T "
                "to count scores >= T as good", line)
        raise self._error(f"label in column {self.label_key!r} must be a bool, number or string, "
                          f"got {_describe(value)}; use --label-true/--label-false/--label-threshold", line)


def _is_messages(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    for m in value:  # a loop, not all(...): read for every record, and a generator costs more than the test
        if not (isinstance(m, dict) and "role" in m):
            return False
    return True


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _looks_like_completion(value: Any) -> bool:
    if isinstance(value, dict):
        return "messages" in value
    return isinstance(value, list) and all(isinstance(v, (str, dict, list)) for v in value)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


# --------------------------------------------------------------------------- text and ChatML


def _iter_text(path: Path, fields: FieldMap, grouper: _Grouper) -> Iterator[Sample]:
    """Completions between separator lines; no prompt, so each is its own group."""
    try:
        # Vetted like a spec's patterns: the separator runs on every line of the file.
        separator = vet_pattern(fields.separator)
    except ValueError as exc:
        raise SampleError(f"--separator {fields.separator!r}: {exc}", path=str(path)) from None
    count = 0
    chunk: list[str] = []
    start = 0  # line of the chunk's first non-blank line; 0 while the chunk is empty

    def flush() -> Iterator[Sample]:
        nonlocal count, start
        if start:
            count += 1
            # Blank lines around a completion are the log's layout, not what the model wrote.
            yield Sample(id=f"{path.stem}-{count}", prompt=None, completion="".join(chunk).rstrip(),
                         group=grouper.group_of(None), source=f"{path}:{start}")
        chunk.clear()
        start = 0

    with _open_text(path) as fh:
        for line_no, line in _lines(path, fh):
            try:  # under the per-call limit: vetting cannot make every pattern fast on a long line
                is_separator = find(separator, line.rstrip("\r\n")) is not None
            except PatternTimeout as exc:
                raise SampleError(f"--separator {fields.separator!r}: {exc}; a separator line is short, so "
                                  "anchor the pattern at both ends (e.g. ^={3,}$)", path=str(path),
                                  line=line_no) from None
            if is_separator:
                yield from flush()
            elif start or line.strip():
                start = start or line_no
                chunk.append(line)
    yield from flush()


_CHATML_TOKEN = re.compile(r"(<\|im_start\|>|<\|im_end\|>)")


def _iter_chatml(path: Path, grouper: _Grouper) -> Iterator[Sample]:
    """ChatML transcripts, one sample each.

    A transcript ends at the end of the file, at a blank line between turns, at a new ``system`` turn, or
    after a turn left open (no ``<|im_end|>``: a generation cut at the end of a transcript).
    """
    where = str(path)
    messages: list[dict[str, str]] = []
    start = 0  # line of the transcript's first turn
    role: str | None = None  # the open turn's role; "" right after <|im_start|> until the role is read
    content: list[str] = []
    count = 0

    def close_turn(terminated: bool) -> None:
        nonlocal role
        text = "".join(content)
        messages.append({"role": role or "", "content": text if terminated else text.rstrip()})
        role = None
        content.clear()

    def finish() -> Sample | None:
        nonlocal count
        if not messages:
            return None
        turns = list(messages)
        messages.clear()
        first = next((i for i, m in enumerate(turns) if m["role"] == "assistant"), None)
        if first is None:
            raise SampleError("the transcript has no assistant turn", path=where, line=start)
        rest = turns[first:]
        # One assistant turn is plain text, the common case; several turns stay a transcript (agentic shape).
        completion: str | dict = rest[0]["content"] if len(rest) == 1 else {"messages": rest}
        prompt = turns[:first] or None
        count += 1
        return Sample(id=f"{path.stem}-{count}", prompt=prompt, completion=completion,
                      group=grouper.group_of(prompt), source=f"{where}:{start}")

    with _open_text(path) as fh:
        for line_no, line in _lines(path, fh):
            if role is None and not line.strip():
                sample = finish()  # a blank line between turns separates transcripts
                if sample is not None:
                    yield sample
                continue
            for piece in _CHATML_TOKEN.split(line):
                if not piece:
                    continue
                if piece == "<|im_start|>":
                    if role is not None:
                        close_turn(terminated=False)
                        sample = finish()
                        if sample is not None:
                            yield sample
                    role = ""
                elif piece == "<|im_end|>":
                    if role is None:
                        raise SampleError("<|im_end|> without a matching <|im_start|>", path=where, line=line_no)
                    close_turn(terminated=True)
                elif role == "":
                    name, _, rest = piece.partition("\n")
                    name = name.strip()
                    if not name:
                        raise SampleError("<|im_start|> must be followed by a role name", path=where, line=line_no)
                    if name == "system" and messages:
                        sample = finish()
                        if sample is not None:
                            yield sample
                    if not messages:
                        start = line_no
                    role = name
                    content.append(rest)
                elif role is not None:
                    content.append(piece)
                elif piece.strip():
                    raise SampleError("text outside a <|im_start|> ... <|im_end|> turn", path=where, line=line_no)
    if role is not None:
        close_turn(terminated=False)
    sample = finish()
    if sample is not None:
        yield sample
