"""The session: what a user did on one samples file, autosaved as a workspace file.

A session holds the samples path and field mapping, every rule that was proposed (with its review
status: proposed, accepted, rejected), label overrides, pins, marked samples, the table's filter and
sort, and what was exported last. Accepted rules (plus the pins on them) are the spec; proposed ones
are scored too, so a reviewer sees what a rule does before accepting it.

No textual here: the session is plain data, saved as JSON, and tested without a terminal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ..fsutil import write_atomic
from ..spec import Expectations, Pin, Provenance, RewardSpec, Rule

__all__ = [
    "LABEL_FILTERS",
    "WORKSPACE_VERSION",
    "ProposeOptions",
    "RuleEntry",
    "Session",
    "ViewState",
    "default_home",
    "spec_name_for",
    "workspace_path",
]

WORKSPACE_VERSION = 1
RuleStatus = Literal["proposed", "accepted", "rejected"]
LABEL_FILTERS: tuple[str, ...] = ("all", "good", "bad", "unlabelled")


def default_home() -> Path:
    """Where workspaces live: $REWARDSMITH_HOME, else $XDG_STATE_HOME/rewardsmith (~/.local/state)."""
    if os.environ.get("REWARDSMITH_HOME"):
        return Path(os.environ["REWARDSMITH_HOME"]).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "rewardsmith"


def workspace_path(samples_path: str | Path, home: Path) -> Path:
    """One workspace per samples file, named after it; the hash keeps two `data.jsonl` apart."""
    resolved = str(Path(samples_path).expanduser().resolve())
    digest = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9_.\-]", "-", Path(samples_path).stem)[:40] or "samples"
    return home / "workspaces" / f"{stem}-{digest}.json"


def spec_name_for(samples_path: str | Path) -> str:
    """A valid spec name from a samples file name (the CLI's rule, so both name specs alike)."""
    stem = re.sub(r"[^A-Za-z0-9_.\-]", "-", Path(samples_path).stem).strip("-.") or "proposed"
    return stem[:64]


@dataclass
class RuleEntry:
    rule: Rule
    status: RuleStatus = "proposed"
    origin: str = ""  # who wrote it: "offline", "llm <model>", "edited"

    def to_data(self) -> dict[str, Any]:
        rule = self.rule
        return {
            "status": self.status,
            "origin": self.origin,
            "rule": {
                "name": rule.name,
                "kind": rule.kind,
                "role": rule.role,
                "weight": rule.weight,
                # As written (unset fields left out), so a spec exported after a reopen stays terse.
                "params": rule.params_dict(),
                "rationale": rule.rationale,
                "provenance": dict(rule.provenance),
            },
        }


@dataclass
class ViewState:
    """The samples table's filter, sort and cursor, restored on reopen."""

    label: str = "all"
    sort: str = "file"  # file | id | group | label | total | rule:<name>
    descending: bool = False
    misclassified: bool = False
    zero_spread: bool = False
    marked_only: bool = False
    search: str = ""
    cursor: str | None = None  # the sample id under the cursor
    screen: str = "samples"


@dataclass
class ProposeOptions:
    """The propose dialog's last choices."""

    proposer: str = "offline"  # offline | llm
    model: str = ""
    api_base: str = ""  # saved without credentials (workbench.proposing.public_api_base); keys stay in the environment
    persona: str = "search-engine-expert"
    persona_file: str = ""
    selection: str = "balanced"  # selected | balanced | all
    per_class: int = 100  # balanced: this many good and this many bad
    instructions: str = ""


@dataclass
class Session:
    samples_path: str
    name: str
    fields: dict[str, Any] = field(default_factory=dict)  # FieldMap arguments, as given
    task: str = ""
    rules: list[RuleEntry] = field(default_factory=list)
    labels: dict[str, float | None] = field(default_factory=dict)  # overrides of the file's labels
    pins: list[Pin] = field(default_factory=list)
    marked: list[str] = field(default_factory=list)
    view: ViewState = field(default_factory=ViewState)
    propose: ProposeOptions = field(default_factory=ProposeOptions)
    provenance: dict[str, Any] = field(default_factory=lambda: {"proposer": "hand"})
    exported_path: str | None = None
    exported_digest: str | None = None
    # Review decisions of this run, newest last, for undo: [(rule name, status before)] per step.
    # Not saved: an undo after a reopen would undo something the user no longer sees.
    decisions: list[list[tuple[str, RuleStatus]]] = field(default_factory=list, repr=False, compare=False)

    # ------------------------------------------------------------------ rules

    def names(self) -> list[str]:
        return [e.rule.name for e in self.rules]

    def entry(self, name: str) -> RuleEntry:
        for e in self.rules:
            if e.rule.name == name:
                return e
        raise KeyError(name)

    def accepted(self) -> list[Rule]:
        return [e.rule for e in self.rules if e.status == "accepted"]

    def live(self) -> list[Rule]:
        """Proposed and accepted rules: what the bench scores."""
        return [e.rule for e in self.rules if e.status != "rejected"]

    def total_rules(self) -> list[Rule]:
        """The rules the total column sums: the spec, or the proposals while nothing is accepted."""
        return self.accepted() or [e.rule for e in self.rules if e.status == "proposed"]

    def total_is_proposed(self) -> bool:
        return not self.accepted() and bool(self.total_rules())

    def spec_of(self, rules: list[Rule]) -> RewardSpec | None:
        if not rules:
            return None
        names = {r.name for r in rules}
        return RewardSpec(
            name=self.name,
            task=self.task,
            provenance=Provenance.model_validate(self.provenance),
            rules=list(rules),
            expectations=Expectations(pins=[p for p in self.pins if p.rule in names]),
        )

    def spec(self) -> RewardSpec | None:
        """The spec the user is building: the accepted rules and their pins."""
        return self.spec_of(self.accepted())

    def live_spec(self) -> RewardSpec | None:
        return self.spec_of(self.live())

    def add_proposals(self, spec: RewardSpec, origin: str) -> list[str]:
        """Queue a proposer's rules for review; earlier proposals still pending are replaced.

        A proposed name that an accepted or rejected rule already has gets a numeric suffix, so
        nothing the user decided on is overwritten. Returns the new rules' names.
        """
        self.rules = [e for e in self.rules if e.status != "proposed"]
        taken = set(self.names())
        added = []
        for rule in spec.rules:
            name = rule.name
            n = 2
            while name in taken or f"verify_{name}" in taken:
                name = f"{rule.name[:60]}_{n}"
                n += 1
            if name != rule.name:
                rule = rule.model_copy(update={"name": name})
            taken.add(name)
            self.rules.append(RuleEntry(rule, "proposed", origin))
            added.append(name)
        if spec.task and not self.task:
            self.task = spec.task
        self.provenance = spec.provenance.model_dump(mode="json", exclude_none=True)
        return added

    def set_status(self, name: str, status: RuleStatus) -> None:
        self.entry(name).status = status

    def decide(self, names: list[str], status: RuleStatus) -> list[str]:
        """Set the status of `names` as one undoable step; returns the rules that changed."""
        step = [(n, self.entry(n).status) for n in names if self.entry(n).status != status]
        for n, _ in step:
            self.entry(n).status = status
        if step:
            self.decisions.append(step)
        return [n for n, _ in step]

    def undo_decision(self) -> list[str]:
        """Take back the last review step (accept, reject, accept all); returns the rules it restored.

        A rule removed since (replaced by a new proposal) is skipped; nothing to undo gives [].
        """
        while self.decisions:
            step = self.decisions.pop()
            names = set(self.names())
            restored = [(n, before) for n, before in step if n in names]
            for n, before in restored:
                self.entry(n).status = before
            if restored:
                return [n for n, _ in restored]
        return []

    def replace_rule(self, name: str, rule: Rule, origin: str = "edited") -> None:
        """Put an edited rule in place of `name`; pins follow a renamed rule."""
        entry = self.entry(name)
        if rule.name != name and rule.name in self.names():
            raise ValueError(f"another rule is already called {rule.name!r}")
        entry.rule = rule
        entry.origin = origin
        if rule.name != name:
            self.pins = [p.model_copy(update={"rule": rule.name}) if p.rule == name else p for p in self.pins]

    # ------------------------------------------------------------------ labels, pins, marks

    def set_label(self, sample_id: str, value: float | None) -> None:
        self.labels[sample_id] = value

    def set_pin(self, sample_id: str, rule: str, score: float | None) -> None:
        self.pins = [p for p in self.pins if not (p.sample == sample_id and p.rule == rule)]
        self.pins.append(Pin(sample=sample_id, rule=rule, score=score))

    def remove_pin(self, sample_id: str, rule: str) -> bool:
        before = len(self.pins)
        self.pins = [p for p in self.pins if not (p.sample == sample_id and p.rule == rule)]
        return len(self.pins) != before

    def pins_of(self, sample_id: str) -> list[Pin]:
        return [p for p in self.pins if p.sample == sample_id]

    def toggle_mark(self, sample_id: str) -> bool:
        if sample_id in self.marked:
            self.marked.remove(sample_id)
            return False
        self.marked.append(sample_id)
        return True

    # ------------------------------------------------------------------ export state

    def spec_digest(self) -> str | None:
        """What an export writes, reduced to a hash: rules (full params), rationales, pins, name, task."""
        spec = self.spec()
        if spec is None:
            return None
        content = {
            "name": spec.name,
            "task": spec.task,
            "rules": [{"name": r.name, "kind": r.kind, "role": r.role, "weight": r.weight, "rationale": r.rationale,
                       "params": r.params.model_dump(mode="json")} for r in spec.rules],
            "pins": [p.model_dump(mode="json") for p in spec.expectations.pins],
        }
        blob = json.dumps(content, sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def unexported(self) -> str | None:
        """Why quitting now would leave the spec behind, or None when the last export holds it."""
        digest = self.spec_digest()
        if digest is None or digest == self.exported_digest:
            return None
        if self.exported_digest is None:
            return f"the spec ({len(self.accepted())} accepted rules) has not been exported yet"
        return f"the spec changed since it was exported to {self.exported_path}"

    def mark_exported(self, path: str | Path) -> None:
        self.exported_path = str(path)
        self.exported_digest = self.spec_digest()

    # ------------------------------------------------------------------ I/O

    def to_data(self) -> dict[str, Any]:
        return {
            "rewardsmith_workspace": WORKSPACE_VERSION,
            "samples_path": self.samples_path,
            "fields": self.fields,
            "name": self.name,
            "task": self.task,
            "provenance": self.provenance,
            "rules": [e.to_data() for e in self.rules],
            "labels": self.labels,
            "pins": [p.model_dump(mode="json") for p in self.pins],
            "marked": self.marked,
            "view": asdict(self.view),
            "propose": asdict(self.propose),
            "exported_path": self.exported_path,
            "exported_digest": self.exported_digest,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> tuple[Session, list[str]]:
        """A session from workspace JSON, and what could not be restored (never fatal)."""
        if not isinstance(data, dict) or "rewardsmith_workspace" not in data:
            raise ValueError("not a rewardsmith workspace file")
        if data["rewardsmith_workspace"] > WORKSPACE_VERSION:
            raise ValueError("the workspace was written by a newer rewardsmith; upgrade to open it")
        problems: list[str] = []
        rules: list[RuleEntry] = []
        for item in data.get("rules", []):
            try:
                rules.append(RuleEntry(Rule.model_validate(item["rule"]), item.get("status", "proposed"),
                                       item.get("origin", "")))
            except (ValidationError, KeyError, TypeError) as exc:
                # A kind renamed or tightened since: keep the rest of the session.
                problems.append(f"rule {item.get('rule', {}).get('name', '?')!r} dropped: {exc}")
        pins = []
        for item in data.get("pins", []):
            try:
                pins.append(Pin.model_validate(item))
            except ValidationError as exc:
                problems.append(f"pin dropped: {exc}")
        session = cls(
            samples_path=data["samples_path"],
            name=data.get("name") or spec_name_for(data["samples_path"]),
            fields=dict(data.get("fields") or {}),
            task=data.get("task", ""),
            rules=rules,
            labels=dict(data.get("labels") or {}),
            pins=pins,
            marked=list(data.get("marked") or []),
            view=_dataclass_from(ViewState, data.get("view")),
            propose=_dataclass_from(ProposeOptions, data.get("propose")),
            provenance=dict(data.get("provenance") or {"proposer": "hand"}),
            exported_path=data.get("exported_path"),
            exported_digest=data.get("exported_digest"),
        )
        return session, problems

    def save(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.to_data(), indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> tuple[Session, list[str]]:
        return cls.from_data(json.loads(path.read_text(encoding="utf-8")))


def _dataclass_from(cls: type[Any], data: Any) -> Any:
    """Known keys only: a workspace from another version may carry more or fewer."""
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in (data or {}).items() if k in known})
