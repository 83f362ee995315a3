"""Scores of the live rules kept on disk, so reopening an unchanged samples file shows them at once.

One file per samples file under the workbench's state dir (beside the workspaces), written safely
(rewardsmith.fsutil). Its scores are used only while everything they came from is as it was: the
samples file (path, size, mtime, inode), the field mapping it was read with, and the rendered module
(a hash of its source). The app re-scores in the background anyway and replaces them.

Layout: one line of JSON (what the scores are of, and per rule its digest, seconds, errors and
where its scores lie), then each rule's scores as float64 bytes and a None mask (1 byte a sample).
"""

from __future__ import annotations

import hashlib
import json
from array import array
from pathlib import Path
from typing import Any

from ..fsutil import write_bytes_atomic
from ..redact import redact
from .scoring import RuleScores
from .state import workspace_path

__all__ = ["FORMAT", "cache_path", "load_scores", "module_hash", "save_scores"]

FORMAT = "rewardsmith-scores-1"


def cache_path(samples_path: str | Path, home: Path) -> Path:
    """Where the scores of `samples_path` are kept: named as its workspace, in home/scores."""
    return home / "scores" / (workspace_path(samples_path, home).stem + ".scores")


def module_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _of(identity: tuple, fields: dict[str, Any], module: str) -> dict[str, Any]:
    return {"file": list(identity), "fields": fields, "module": module}


def save_scores(path: Path, identity: tuple, fields: dict[str, Any], module: str,
                scores: dict[str, RuleScores]) -> None:
    """Write `scores` (every rule of the module whose source hashes to `module`) for the file `identity`."""
    rules, blobs, offset = [], [], 0
    for name, item in scores.items():
        values = array("d", [0.0 if v is None else v for v in item.scores]).tobytes()
        nones = bytes(v is None for v in item.scores)
        rules.append({"name": name, "digest": item.digest, "seconds": item.seconds, "count": len(item.scores),
                      "offset": offset, "errors": {str(i): m for i, m in item.errors.items()}})
        blobs += [values, nones]
        offset += len(values) + len(nones)
    # Error messages come from rule code run on the samples: masked like every other file written.
    header = redact(json.dumps({"format": FORMAT, "of": _of(identity, fields, module), "rules": rules}))
    write_bytes_atomic(path, header.encode("utf-8") + b"\n" + b"".join(blobs))


def load_scores(path: Path, identity: tuple | None, fields: dict[str, Any], module: str) -> dict[str, RuleScores]:
    """The scores saved for exactly this file, field mapping and module; empty when there are none, or they
    are of anything else, or the file is damaged (the scores are then simply computed again)."""
    if identity is None:
        return {}
    try:
        with open(path, "rb") as fh:
            header = json.loads(fh.readline())
            if header.get("format") != FORMAT or header.get("of") != json.loads(json.dumps(_of(identity, fields, module))):
                return {}
            body = fh.read()
        out: dict[str, RuleScores] = {}
        for rule in header["rules"]:
            n, at = int(rule["count"]), int(rule["offset"])
            if at + 9 * n > len(body):
                return {}
            values = array("d")
            values.frombytes(body[at:at + 8 * n])
            scores: list[float | None] = values.tolist()
            nones = body[at + 8 * n:at + 9 * n]
            if any(nones):
                for i, missing in enumerate(nones):
                    if missing:
                        scores[i] = None
            errors = {int(i): str(m) for i, m in rule["errors"].items()}
            out[str(rule["name"])] = RuleScores(scores, errors, float(rule["seconds"]), str(rule["digest"]))
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
