"""App-level messages: how workers hand their results back to the event loop.

Workers run in threads; `post_message` is thread-safe, so a worker posts one of these to the app
and the app's handler (on the event loop) updates the workbench and the screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from ..samples import SampleSet
from ..spec import RewardSpec
from ..workbench.scoring import RuleScores

__all__ = [
    "LoadFailed",
    "LoadProgress",
    "ProposalsReady",
    "ProposeFailed",
    "ScoresReady",
    "ScoringFailed",
    "ScoringProgress",
    "SamplesLoaded",
]


@dataclass
class LoadProgress(Message):
    count: int
    rows: int | None = None  # lines in the file when known (JSONL): the bar's total
    # The samples read so far (the loader appends; read only the first `count`), shown while loading.
    # None when another file is being opened: the current one stays on screen until that one is in.
    arrived: list | None = None




@dataclass
class SamplesLoaded(Message):
    samples: SampleSet
    seconds: float
    groups: dict[str, list[int]]  # computed in the worker: at 100k it is not free
    opening: Any = None  # the session these samples belong to when another file is being opened
    identity: Any = None  # of the file as it was before it was read (scoring.file_identity)


@dataclass
class LoadFailed(Message):
    error: str
    opening: Any = None  # the session that was being opened: it is dropped, the current one stays


@dataclass
class ScoringProgress(Message):
    done: int
    total: int


@dataclass
class ScoresReady(Message):
    results: dict[str, RuleScores]
    seconds: float
    superseded: bool = False  # a newer scoring run replaced this one while it ran
    samples: object = None  # the SampleSet scored: results for a file no longer open are dropped


@dataclass
class ScoringFailed(Message):
    error: str


@dataclass
class ProposalsReady(Message):
    spec: RewardSpec
    origin: str
    seconds: float


@dataclass
class ProposeFailed(Message):
    error: str
