"""Columnar sample sets for `rewardsmith test` on large files, assembled from what the bench's workers read.

A worker scoring a shard of a JSON-lines file (``bench.score_shard``) reads each record once; with the texts it
scores come, per sample, the id, the group key, the label, the byte offset of its line and a digest of its
content (:func:`describe_chunk`). The main process merges the shards in file order into a
:class:`LeanSampleSet` — ids, group codes and labels as arrays, the columns and the gold statistics the report
reads — and reads again, from their lines, only the samples of the groups the diagnostics look at. So the file is
parsed once, in parallel, and the main process holds a few bytes a sample.

Anything unusual (a bad record, a duplicate id, columns that differ between records) makes :func:`assemble`
return None: the caller then reads the file the ordinary way, whose messages name the file and line.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rewardsmith.gold import _present, is_gold_name
from rewardsmith.samples import (
    MAX_LINE_CHARS,
    MAX_NESTING,
    FieldMap,
    GroupReservoir,
    Sample,
    SampleSet,
    _depth,
    _Grouper,
    _iter_jsonl,
    _loads,
    _RowParser,
    _too_deep,
    combine_fingerprint,
    content_body,
    content_digest,
    content_json,
    shard_lines,
)

try:  # the same bytes as content_json where it is safe (see _digest), several times faster
    from orjson import OPT_SORT_KEYS as _SORT_KEYS
    from orjson import dumps as _fast_dumps
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - the optional extra "fast" is not installed
    _fast_dumps = _fast_loads = None
    _SORT_KEYS = 0

__all__ = ["LeanSampleSet", "assemble", "describe_chunk"]

_DERIVED = "\x00"  # a group key made from the prompt (and gold): numbered g0001... by the main process
_ALONE = "\x01"  # a sample without a prompt: a group of its own
# Where orjson writes a float unlike json.dumps (1e-05 as 1e-5, 1.2e-05 as 0.000012): those records take json.
# Searched only where the cheap test finds "e-" or "0.0000" at all.
_SHORT_EXPONENT = re.compile(rb"(?<=\d)e-\d(?!\d)")


class _KeyGrouper(_Grouper):
    """The group key of a prompt instead of its number: numbers are given in file order, across shards."""

    def _new(self) -> str:
        return _ALONE

    def group_of(self, prompt: str | list[dict] | None, gold: Any = None) -> str:
        if prompt is None:
            return _ALONE
        keyed = prompt if gold is None else {"prompt": prompt, "gold": gold}
        return _DERIVED + hashlib.sha256(content_json(keyed)).hexdigest()


def _digest(sample: Sample, parsed_fast: bool) -> bytes:
    """content_digest(sample), through orjson when the record came from orjson (no NaN, no huge integer, no lone
    surrogate) and holds no float orjson words differently."""
    if parsed_fast and _fast_dumps is not None:
        try:
            text = _fast_dumps(content_body(sample), option=_SORT_KEYS)
        except TypeError:
            text = b""
        if text and b"0.0000" not in text and (b"e-" not in text or not _SHORT_EXPONENT.search(text)):
            return hashlib.blake2b(text, digest_size=16).digest()
    return content_digest(sample)


def describe_chunk(path: str | Path, fields: FieldMap, start: int, end: int, limit: int,
                   rows_before: int = 0) -> tuple[list[Sample], int, dict[str, Any]]:
    """The samples of the lines from byte `start` on (before `end`, stopping after `limit` samples), where the next
    chunk starts, and what the main process keeps of them.

    `rows_before`: the records this shard read before `start`, so default ids count rows within the shard (the
    main process adds the rows of the shards before). The description (plain types, pickled to the bench):
    ``ids``, ``id_rows`` (the shard row an id was made from, 0 for an id of the file), ``groups`` (each group
    key of the chunk once: the group column, or a prompt's key) and ``group_codes`` (each sample's index into
    them), ``labels`` (float64 bytes, NaN for none), ``offsets`` (int64 bytes: where each
    sample's line starts), ``digests`` (16 bytes a sample), ``rows``, ``columns``, ``gold`` (per gold-named
    column: samples with a value, up to two distinct values' reprs), ``dropped`` and ``odd`` (a reason to read
    the file the ordinary way instead, or "").
    """
    path = Path(path)
    parser = _RowParser(path, fields, _KeyGrouper())
    first = next(iter(_iter_jsonl(path)), None)
    samples: list[Sample] = []
    keys: dict[str, int] = {}  # group key -> its index in meta["groups"]: a chunk sends each key once
    meta: dict[str, Any] = {"ids": [], "id_rows": array("q"), "groups": [], "group_codes": array("q"),
                            "labels": array("d"), "offsets": array("q"), "digests": bytearray(), "rows": 0,
                            "columns": [], "gold": {}, "dropped": {}, "odd": ""}
    if first is None:
        return samples, end, _packed(meta)
    parser._resolve(first[1], first[0])
    stem = f"{path.stem}-"
    columns: set[str] = set()
    last_keys: Any = None  # the reference columns of the sample before: most records have the same
    gold_name: dict[str, bool] = {}  # column -> whether its name says gold (asked once a column)
    gold: dict[str, list[Any]] = {}
    row_no = rows_before
    where = start
    for at, after, line_no, text in shard_lines(path, start, end):
        where = after
        row, fast = _row(path, text, line_no)
        if not isinstance(row, dict):
            meta["odd"] = f"line {line_no} of the shard is not a JSON object"
            break
        row_no += 1
        made = parser._parse(row, line_no, row_no)
        own_id = parser.id_key is not None and row.get(parser.id_key) not in (None, "")
        for s in made:
            if not own_id and not s.id.startswith(stem):
                meta["odd"] = "an id the reader made does not start with the file's name"
            if s.group[:1] in (_DERIVED, _ALONE) and (parser.group_key is not None
                                                      and row.get(parser.group_key) not in (None, "")):
                meta["odd"] = "a group column value starts with a control character"
            meta["ids"].append(s.id)
            meta["id_rows"].append(0 if own_id else row_no)
            code = keys.get(s.group)
            if code is None or s.group == _ALONE:
                code = keys[s.group] = len(meta["groups"])
                meta["groups"].append(s.group)
            meta["group_codes"].append(code)
            meta["labels"].append(math.nan if s.label is None else s.label)
            meta["offsets"].append(at)
            meta["digests"] += _digest(s, fast)
            if s.refs.keys() != last_keys:
                last_keys = s.refs.keys()
                columns.update(last_keys)
                for name in last_keys:
                    if name not in gold_name:
                        gold_name[name] = is_gold_name(name)
            for name, value in s.refs.items():
                if gold_name[name] and _present(value):
                    seen = gold.setdefault(name, [0, []])
                    seen[0] += 1
                    if len(seen[1]) < 2:
                        shown = repr(value)
                        if shown not in seen[1]:
                            seen[1].append(shown)
        samples.extend(made)
        if len(samples) >= limit:
            break
    else:
        where = end
    meta["rows"] = row_no - rows_before
    meta["columns"] = sorted(columns)
    meta["gold"] = gold
    meta["dropped"] = dict(parser.dropped)
    return samples, where, _packed(meta)


def _row(path: Path, text: str, line: int) -> tuple[Any, bool]:
    """A record and whether orjson read it (then it holds no NaN, huge integer or lone surrogate)."""
    if _fast_loads is not None:
        try:
            value = _fast_loads(text)
        except Exception:  # what orjson refuses, json may read (and words its own error): see samples._loads
            pass
        else:
            if text.count("[") + text.count("{") > MAX_NESTING and _depth(value) > MAX_NESTING:
                raise _too_deep(path, line)
            return value, True
    return _loads(path, text, line), False


def _packed(meta: dict[str, Any]) -> dict[str, Any]:
    for key in ("id_rows", "group_codes", "labels", "offsets"):
        meta[key] = meta[key].tobytes()
    meta["digests"] = bytes(meta["digests"])
    return meta


class LeanSampleSet(SampleSet):
    """Every sample of a file as columns (id, group, label), without prompts, completions or references.

    Iterating yields :class:`Sample` objects with ``prompt=None``, ``completion=""`` and no refs: what the
    report's statistics need. The texts are in ``texts`` for the groups the diagnostics look at. ``columns`` and
    :meth:`column_summary` answer for the whole file, from the workers' statistics.
    """

    def __init__(self, path: Path, fields: FieldMap, ids: list[str], codes: array, names: list[str],
                 labels: array, columns: list[str], gold: dict[str, list[Any]], dropped: dict[str, str],
                 fingerprint: str) -> None:
        super().__init__([], path, fields, dropped)
        self.ids = ids
        self.codes = codes
        self.names = names
        self.labels = labels
        self._columns = columns
        self._gold = gold
        self._fingerprint = fingerprint
        self.whole_file = True

    def __len__(self) -> int:
        return len(self.ids)

    def _sample(self, i: int) -> Sample:
        label = self.labels[i]
        return Sample(id=self.ids[i], prompt=None, completion="", group=self.names[self.codes[i]],
                      label=None if label != label else label)

    def __iter__(self) -> Iterator[Sample]:
        return (self._sample(i) for i in range(len(self.ids)))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return SampleSet([self._sample(i) for i in range(len(self.ids))[index]], self.path, self.fields,
                             self.dropped)
        return self._sample(range(len(self.ids))[index])

    def __repr__(self) -> str:
        return f"LeanSampleSet({len(self.ids)} samples, path={str(self.path)!r})"

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def column_summary(self, name: str) -> tuple[int, list[str]]:
        present, shown = self._gold.get(name, (0, []))
        return present, list(shown)

    def groups(self) -> dict[str, list[int]]:
        if self._groups is None:
            members: list[list[int]] = [[] for _ in self.names]
            for i, code in enumerate(self.codes):
                members[code].append(i)
            self._groups = ((0, 0), dict(zip(self.names, members)))
        return dict(self._groups[1])

    def group_codes(self) -> tuple[list[int], list[str]]:
        return self.codes.tolist(), list(self.names)

    def group_count(self) -> int:
        return len(self.names)

    def good_flags(self) -> list[bool | None]:
        return [None if y != y else y >= 0.5 for y in self.labels]

    @property
    def labelled(self) -> bool:
        return any(y == y for y in self.labels)

    def by_id(self, id: str) -> Sample:
        try:
            return self._sample(self.ids.index(id))
        except ValueError:
            raise KeyError(f"no sample with id {id!r}") from None


def assemble(path: str | Path, fields: FieldMap, shards: Sequence[Sequence[dict[str, Any]]], *,
             max_groups: int, seed: int = 0) -> tuple[LeanSampleSet | None, str]:
    """The lean set of a whole file from its shards' chunk descriptions (in file order), or (None, why not).

    The diagnostics' groups are those a :class:`GroupReservoir` of `max_groups` keeps, offered in file order as
    :func:`rewardsmith.samples.load_samples` would; their samples are read again from their lines.
    """
    path = Path(path)
    stem = f"{path.stem}-"
    ids: list[str] = []
    codes = array("q")
    names: list[str] = []
    named: dict[str, str] = {}  # group key -> group name
    code_of: dict[str, int] = {}  # group name -> its index in names
    labels = array("d")
    offsets = array("q")
    digests = bytearray()
    columns: set[str] = set()
    gold: dict[str, list[Any]] = {}
    dropped: dict[str, str] = {}
    derived = 0
    rows_before = 0
    first_columns: list[str] | None = None
    for shard in shards:
        for meta in shard:
            if meta["odd"]:
                return None, meta["odd"]
            id_rows = array("q")
            id_rows.frombytes(meta["id_rows"])
            chunk_ids = meta["ids"]
            if any(id_rows):
                # an id made from its row: "<stem><row in shard>[-k]" becomes "<stem><row in file>[-k]"
                chunk_ids = [sid if r == 0 else f"{stem}{r + rows_before}{sid[len(stem) + len(str(r)):]}"
                             for sid, r in zip(chunk_ids, id_rows)]
            ids.extend(chunk_ids)
            local = array("q")
            local.frombytes(meta["group_codes"])
            chunk_codes = []
            for key in meta["groups"]:
                name = named.get(key)
                if name is None:
                    if key[:1] in (_DERIVED, _ALONE):  # numbered in file order, as samples._Grouper does
                        derived += 1
                        name = f"g{derived:04d}"
                    else:
                        name = key
                    if key != _ALONE:  # a prompt-less sample is a group of its own: never looked up again
                        named[key] = name
                code = code_of.get(name)
                if code is None:
                    code = code_of[name] = len(names)
                    names.append(name)
                chunk_codes.append(code)
            codes.extend(chunk_codes[k] for k in local)
            labels.frombytes(meta["labels"])
            offsets.frombytes(meta["offsets"])
            digests += meta["digests"]
            if first_columns is None and meta["ids"]:
                first_columns = meta["columns"]
            if meta["ids"] and meta["columns"] != first_columns:
                return None, "the records do not all have the same reference columns"
            columns.update(meta["columns"])
            for name, (present, shown) in meta["gold"].items():
                merged = gold.setdefault(name, [0, []])
                merged[0] += present
                merged[1].extend(s for s in shown if s not in merged[1])
                del merged[1][2:]
            for name, why in meta["dropped"].items():
                dropped.setdefault(name, why)
        rows_before += sum(meta["rows"] for meta in shard)
    if not ids:
        return None, "no samples"
    if len(set(ids)) != len(ids):
        return None, "a duplicate id"
    if fields.label_threshold is not None and len({y for y in labels if y == y}) == 1 and len(ids) > 1:
        return None, "every label on one side of the threshold"
    group_of = [names[c] for c in codes]
    lean = LeanSampleSet(path, fields, ids, codes, names, labels, sorted(columns), gold, dropped,
                         combine_fingerprint(ids, group_of, bytes(digests)))
    del group_of
    lean.texts = _texts(lean, path, fields, offsets, max_groups, seed)
    return lean, ""


def _texts(lean: LeanSampleSet, path: Path, fields: FieldMap, offsets: array, max_groups: int,
           seed: int) -> tuple[list[int], SampleSet]:
    """The diagnostics' groups with their texts: the reservoir's choice, read again from their lines."""
    reservoir = GroupReservoir(max_groups, seed)
    for name in lean.names:  # first-seen order, as the reservoir is offered while a file is read
        reservoir.offer(name)
    kept = set(reservoir.slots)
    chosen = {k for k, g in enumerate(lean.names) if g in kept}
    keep = [i for i, c in enumerate(lean.codes) if c in chosen]
    lines = _line_numbers(path, sorted({offsets[i] for i in keep}))
    parser = _RowParser(path, fields, _Grouper())
    first = next(iter(_iter_jsonl(path)))
    parser._resolve(first[1], first[0])
    out: list[Sample] = []
    with path.open("rb") as fh:
        k = 0
        while k < len(keep):
            at = offsets[keep[k]]
            fh.seek(at)
            line = lines[at]
            row = _loads(path, fh.readline(MAX_LINE_CHARS + 1).decode("utf-8-sig" if at == 0 else "utf-8"), line)
            made = parser._parse(row, line, 1)
            # a row of several completions gives several samples, all in one group: all kept, in order
            for s in made:
                i = keep[k]
                out.append(Sample(id=lean.ids[i], prompt=s.prompt, completion=s.completion,
                                  group=lean.names[lean.codes[i]], label=s.label, refs=s.refs,
                                  source=f"{path}:{line}"))
                k += 1
    return keep, SampleSet(out, path, fields, lean.dropped)


def _line_numbers(path: Path, offsets: list[int]) -> dict[int, int]:
    """The 1-based line each byte offset (a line start) is on, counting newlines in one pass over the file."""
    out: dict[int, int] = {}
    line, done = 1, 0
    with path.open("rb") as fh:
        for at in offsets:
            while done < at:
                block = fh.read(min(1 << 22, at - done))
                if not block:
                    break
                line += block.count(b"\n")
                done += len(block)
            out[at] = line
    return out

