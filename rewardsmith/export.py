"""Export a spec as ``<dir>/{rewards.py, test_<name>.py, spec.yaml, baseline.json}``, and check it later.

Every file is written atomically. A module someone edited by hand (its hash no longer matches the
one recorded at export) is never overwritten without ``force``. ``check`` re-renders the module
from the exported spec and re-scores the samples, and reports drift by sample and rule.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .bench import ScoreMatrix, score_samples
from .checks import Report, build_report
from .errors import ExportError
from .fsutil import write_atomic
from .render import render_module, render_test_module
from .samples import Sample, SampleSet, sample_to_record
from .spec import RewardSpec, dump_spec, load_spec

__all__ = ["CheckResult", "ExportResult", "check_export", "export_spec", "plan_export", "validation_summary"]

MODULE = "rewards.py"
SPEC = "spec.yaml"
BASELINE = "baseline.json"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_file_name(spec_name: str) -> str:
    return "test_" + re.sub(r"\W", "_", spec_name).strip("_").lower() + ".py"


def validation_summary(report: Report) -> str:
    d = report.data
    parts = [f"{d['spec']['rules']} rules on {d['samples']['count']} samples"]
    if d["total"].get("auc") is not None:
        parts.append(f"total AUC {d['total']['auc']:.3f}")
    if d["groups"].get("zero_spread_share") is not None:
        parts.append(f"zero-spread groups {100 * d['groups']['zero_spread_share']:.0f}%")
    failed = len(report.failures())
    parts.append("all checks passed" if report.passed else f"{failed} check(s) failed")
    return "; ".join(parts)


def _header(spec: RewardSpec, samples: SampleSet | None, report: Report | None) -> dict[str, str]:
    header: dict[str, str] = {}
    if samples is not None:
        where = samples.path.name if samples.path else "in memory"
        header["Samples"] = f"{len(samples)} from {where} (fingerprint {samples.fingerprint()})"
    if report is not None:
        header["Validation"] = validation_summary(report)
    return header


def _render_test(spec: RewardSpec) -> str:
    slug = re.sub(r"\W", "_", spec.name).lower()
    return render_test_module(spec, test_file=test_file_name(spec.name), import_name=f"rewardsmith_export_{slug}")


def _baseline(spec: RewardSpec, samples: SampleSet | None, matrix: ScoreMatrix | None,
              module: str, header: dict[str, str]) -> dict[str, Any]:
    records = [sample_to_record(s) for s in samples] if samples is not None else []
    columns = spec.columns()
    return {
        "rewardsmith": __version__,
        "spec": spec.name,
        "spec_hash": spec.fingerprint(),
        "module_sha256": _sha(module),
        "header": header,
        "rules": [r.name for r in spec.rules],
        "weights": [r.effective_weight for r in spec.rules],
        "columns": columns,
        "samples_fingerprint": samples.fingerprint() if samples is not None else None,
        "samples": [
            {"id": r["id"], "prompt": r.get("prompt"), "completion": r["completion"],
             "refs": {c: r.get(c) for c in columns}}
            for r in records
        ],
        "scores": matrix.scores if matrix is not None else {r.name: [] for r in spec.rules},
        "pins": [p.model_dump(mode="json") for p in spec.expectations.pins],
    }


@dataclass
class ExportResult:
    out_dir: Path
    files: dict[str, str]  # file name -> new text
    report: Report | None
    changed: list[str] = field(default_factory=list)  # files whose text differs from what is there

    def diff(self, name: str) -> str:
        path = self.out_dir / name
        old = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
        new = self.files[name].splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"{name} (on disk)", f"{name} (export)"))


def plan_export(
    spec: RewardSpec,
    out_dir: str | Path,
    samples: SampleSet | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    time_limit: float = 2.0,
) -> ExportResult:
    """Everything an export would write, tested on `samples`, without writing anything."""
    out = Path(out_dir)
    matrix = report = None
    if samples is not None and len(samples):
        matrix = score_samples(spec, samples, time_limit=time_limit, progress=progress)
        report = build_report(spec, samples, matrix)
    header = _header(spec, samples, report)
    module = render_module(spec, header=header)
    baseline = _baseline(spec, samples, matrix, module, header)
    files = {
        MODULE: module,
        test_file_name(spec.name): _render_test(spec),
        SPEC: dump_spec(spec),
        BASELINE: json.dumps(baseline, indent=1, ensure_ascii=False, sort_keys=False) + "\n",
    }
    changed = [n for n, text in files.items()
               if not (out / n).exists() or (out / n).read_text(encoding="utf-8") != text]
    return ExportResult(out, files, report, changed)


def _hand_edited(out: Path) -> str | None:
    """Why the module in `out` must not be overwritten silently, or None."""
    module = out / MODULE
    if not module.exists():
        return None
    try:
        recorded = json.loads((out / BASELINE).read_text(encoding="utf-8"))["module_sha256"]
    except (OSError, ValueError, KeyError):
        return f"{module} exists but {out / BASELINE} does not record its hash"
    if _sha(module.read_text(encoding="utf-8")) != recorded:
        return f"{module} was edited since it was exported"
    return None


def export_spec(
    spec: RewardSpec,
    out_dir: str | Path,
    samples: SampleSet | None = None,
    *,
    force: bool = False,
    plan: ExportResult | None = None,
    progress: Callable[[int, int], None] | None = None,
    time_limit: float = 2.0,
) -> ExportResult:
    """Write the export. Refuses to replace a hand-edited module unless `force`."""
    result = plan or plan_export(spec, out_dir, samples, progress=progress, time_limit=time_limit)
    reason = _hand_edited(result.out_dir)
    if reason and not force:
        raise ExportError(f"{reason}; refusing to overwrite it. Move your edits into the spec, or pass --force.")
    stale = [p for p in result.out_dir.glob("test_*.py") if p.name not in result.files]
    for name, text in result.files.items():
        write_atomic(result.out_dir / name, text)
    for path in stale:  # a renamed spec leaves its old test file pointing at the new module
        path.unlink()
    return result


@dataclass
class CheckResult:
    module_diff: str
    drift: list[tuple[str, str, Any, Any]]  # (sample id, rule, now, baseline)
    missing: list[str]  # samples given that the baseline does not hold
    report: Report | None

    @property
    def ok(self) -> bool:
        return not self.module_diff and not self.drift


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def check_export(export_dir: str | Path, samples: SampleSet | None = None, *, time_limit: float = 2.0) -> CheckResult:
    """Re-render and re-score an export; what changed since it was written."""
    out = Path(export_dir)
    for name in (MODULE, SPEC, BASELINE):
        if not (out / name).is_file():
            raise ExportError(f"{out} is not a rewardsmith export: {name} is missing")
    spec = load_spec(out / SPEC)
    try:
        baseline = json.loads((out / BASELINE).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ExportError(f"{out / BASELINE}: not valid JSON ({exc})") from None
    module = render_module(spec, header=baseline.get("header") or {})
    on_disk = (out / MODULE).read_text(encoding="utf-8")
    module_diff = "".join(difflib.unified_diff(
        on_disk.splitlines(keepends=True), module.splitlines(keepends=True),
        f"{MODULE} (exported)", f"{MODULE} (rendered now from {SPEC})",
    ))
    base_ids = [s["id"] for s in baseline["samples"]]
    if samples is None:
        samples = SampleSet.from_samples([_sample_from_baseline(s) for s in baseline["samples"]])
    drift: list[tuple[str, str, Any, Any]] = []
    missing: list[str] = []
    report = None
    if len(samples):
        matrix = score_samples(spec, samples, source=module, time_limit=time_limit)
        report = build_report(spec, samples, matrix)
        index = {sid: i for i, sid in enumerate(base_ids)}
        for rule in spec.rules:
            old = baseline["scores"].get(rule.name)
            for k, sid in enumerate(matrix.sample_ids):
                if sid not in index:
                    continue
                now = matrix.scores[rule.name][k]
                was = old[index[sid]] if old is not None else "absent"
                if old is None or not _same(now, was):
                    drift.append((sid, rule.name, now, was))
        missing = [sid for sid in matrix.sample_ids if sid not in index]
        for name in baseline["scores"]:
            if name not in [r.name for r in spec.rules]:
                drift.append(("*", name, "absent", "present"))
    return CheckResult(module_diff, drift, missing, report)


def _sample_from_baseline(record: dict[str, Any]) -> Sample:
    return Sample(id=record["id"], prompt=record.get("prompt"), completion=record["completion"],
                  group=record["id"], refs=dict(record.get("refs") or {}))
