"""Export a spec as ``<dir>/{rewards.py, test_<name>.py, spec.yaml, baseline.json}``, and check it later.

Every file is written atomically. A module someone edited by hand (its hash no longer matches the
one recorded at export) is never overwritten without ``force``. ``check`` re-renders the module
from the exported spec and re-scores the samples, and reports drift by sample and rule.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import math
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .bench import ScoreMatrix, score_samples
from .checks import Report, build_report
from .errors import ExportError
from .fsutil import fsync_dir, write_atomic
from .render import TARGETS, render_module, render_test_module
from .samples import Sample, SampleSet, sample_to_record
from .spec import RewardSpec, dump_spec, load_spec

__all__ = [
    "CheckResult", "ExportResult", "check_export", "export_spec", "plan_export", "recover_export", "validation_summary",
]

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
              module: str, header: dict[str, str], target: str) -> dict[str, Any]:
    records = [sample_to_record(s) for s in samples] if samples is not None else []
    columns = spec.columns()
    return {
        "rewardsmith": __version__,
        "spec": spec.name,
        "spec_hash": spec.fingerprint(),
        **({} if target == "trl" else {"target": target}),  # TRL's exports read as before targets existed
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
    backup: Path | None = None  # where edited files were copied before a forced export replaced them

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
    target: str = "trl",
) -> ExportResult:
    """Everything an export would write, tested on `samples`, without writing anything.

    `target` is the trainer the module is for (``trl``, ``verl``, ``verifiers``): the same rule functions,
    header, test file and baseline, with that trainer's entry point added to the module.
    Without samples the export pins nothing (its test file says so and skips); an empty sample set is refused,
    since it would ship a regression test that tests nothing while looking like it was tested.
    """
    out = Path(out_dir)
    matrix = report = None
    if samples is not None and not len(samples):
        raise ExportError("there are no samples to test the spec on; load a samples file first (or export "
                          "without samples on purpose: the export then pins nothing and its tests skip)")
    if samples is not None:
        matrix = score_samples(spec, samples, time_limit=time_limit, progress=progress)
        report = build_report(spec, samples, matrix)
    header = _header(spec, samples, report)
    module = render_module(spec, header=header, target=target)
    files = {MODULE: module, test_file_name(spec.name): _render_test(spec), SPEC: dump_spec(spec)}
    baseline = _baseline(spec, samples, matrix, module, header, target)
    baseline["files"] = {name: _sha(text) for name, text in files.items()}
    files[BASELINE] = json.dumps(baseline, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    changed = [n for n, text in files.items()
               if not (out / n).exists() or (out / n).read_text(encoding="utf-8") != text]
    return ExportResult(out, files, report, changed)


def _manifest(out: Path) -> dict[str, str] | None:
    """What the export in `out` wrote, as file name -> sha256, or None when there is no readable export."""
    try:
        baseline = json.loads((out / BASELINE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(baseline, dict):
        return None
    files = baseline.get("files")
    if isinstance(files, dict):
        return {str(k): str(v) for k, v in files.items()}
    if "module_sha256" in baseline:  # exports written before the manifest recorded only the module
        return {MODULE: str(baseline["module_sha256"])}
    return None


def _file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _hand_edited(out: Path, names: list[str]) -> list[str]:
    """Why files in `out` that an export would replace must not be overwritten silently (empty: none)."""
    manifest = _manifest(out)
    present = [n for n in names if n != BASELINE and (out / n).exists()]
    if manifest is None:
        return [f"{out / n} exists but {out / BASELINE} does not record it" for n in present if n == MODULE]
    return [f"{out / n} was edited since it was exported" for n in present
            if n in manifest and _file_sha(out / n) != manifest[n]]


def _staging(out: Path) -> tuple[Path, Path]:
    return out.parent / f".{out.name}.rewardsmith-new", out.parent / f".{out.name}.rewardsmith-old"


def recover_export(out_dir: str | Path) -> None:
    """Finish or undo an export that was killed half way, so `out_dir` holds one whole export again.

    An export builds the new folder beside the old one and swaps the two with two renames. Killed before
    the swap, the half-built folder is removed; killed between the renames, the previous export is put back;
    killed after, the previous export (already replaced) is removed.
    """
    out = Path(os.path.realpath(out_dir))
    new, old = _staging(out)
    if new.exists():
        shutil.rmtree(new)
    if old.exists():
        if out.exists():
            shutil.rmtree(old)
        else:
            os.rename(old, out)
    if out.is_dir():  # temporary files of writes killed before their rename
        for leftover in out.glob(".*.tmp"):
            if leftover.is_file():
                leftover.unlink()


def _carry_over(src: Path, dst: Path) -> None:
    """Put `src` (a file, link or folder the export did not write) into `dst` without copying data."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=os.link)
    else:
        os.link(src, dst)


def _backup(out: Path, names: list[str]) -> Path:
    """Copy `names` from `out` into a new folder beside it; the folder."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = out.parent / f"{out.name}.backup-{stamp}"
    k = 1
    while folder.exists():
        k += 1
        folder = out.parent / f"{out.name}.backup-{stamp}-{k}"
    folder.mkdir(parents=True)
    for name in names:
        if (out / name).exists():
            shutil.copy2(out / name, folder / name)
    fsync_dir(folder)
    return folder


def _write_folder(out: Path, files: dict[str, str], drop: set[str]) -> None:
    """Swap in a folder holding `files` plus everything already in `out` except `files` and `drop`."""
    new, old = _staging(out)
    new.mkdir(parents=True)
    for name, text in files.items():
        mode = None
        if (out / name).is_file():
            mode = stat.S_IMODE((out / name).stat().st_mode)
        write_atomic(new / name, text)
        if mode is not None:
            os.chmod(new / name, mode)
    if out.is_dir():
        for entry in sorted(out.iterdir()):
            if entry.name not in files and entry.name not in drop:
                _carry_over(entry, new / entry.name)
        os.chmod(new, stat.S_IMODE(out.stat().st_mode))
    fsync_dir(new)
    if out.exists():
        os.rename(out, old)
    os.rename(new, out)
    fsync_dir(out.parent)
    if old.exists():
        shutil.rmtree(old)


def export_spec(
    spec: RewardSpec,
    out_dir: str | Path,
    samples: SampleSet | None = None,
    *,
    force: bool = False,
    plan: ExportResult | None = None,
    progress: Callable[[int, int], None] | None = None,
    time_limit: float = 2.0,
    target: str = "trl",
) -> ExportResult:
    """Write the export, all or nothing.

    The new folder is built beside the old one and swapped in, so a crash leaves either the previous export
    or the new one (:func:`recover_export` tidies up at the next run). Files the export did not write stay.
    A file someone edited since the last export is not replaced unless `force`, and then a copy is kept in
    ``<out>.backup-<time>/`` beside it.
    """
    result = plan or plan_export(spec, out_dir, samples, progress=progress, time_limit=time_limit, target=target)
    out = Path(os.path.realpath(result.out_dir))
    if out.exists() and not out.is_dir():
        raise ExportError(f"{result.out_dir} is not a folder; give a folder to export into")
    recover_export(out)
    edited = _hand_edited(out, list(result.files))
    if edited and not force:
        raise ExportError("; ".join(edited) + "; refusing to overwrite. Move your edits into the spec, or pass "
                          "--force (a copy of the edited files is kept beside the export).")
    if edited:
        names = [n for n in result.files if (out / n).exists()]
        result.backup = _backup(out, names)
    # A renamed spec leaves its old test file pointing at the new module: drop it, but only if this tool
    # wrote it and nobody edited it since.
    manifest = _manifest(out) or {}
    drop = {n for n, sha in manifest.items()
            if n not in result.files and n.startswith("test_") and _file_sha(out / n) == sha}
    _write_folder(out, result.files, drop)
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


def check_export(export_dir: str | Path, samples: SampleSet | None = None, *, time_limit: float = 2.0,
                 settle: Callable[[RewardSpec], RewardSpec] | None = None) -> CheckResult:
    """Re-render and re-score an export; what changed since it was written.

    `settle` is applied to the exported spec first (the CLI passes the user's judge settings).
    """
    out = Path(export_dir)
    if out.is_dir() or _staging(Path(os.path.realpath(out)))[1].exists():
        recover_export(out)
    for name in (MODULE, SPEC, BASELINE):
        if not (out / name).is_file():
            raise ExportError(f"{out} is not a rewardsmith export: {name} is missing")
    spec = load_spec(out / SPEC)
    if settle is not None:
        spec = settle(spec)
    try:
        baseline = json.loads((out / BASELINE).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ExportError(f"{out / BASELINE}: not valid JSON ({exc})") from None
    target = baseline.get("target", "trl")  # exports written before targets existed are TRL's
    if target not in TARGETS:
        raise ExportError(f"{out / BASELINE}: unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    module = render_module(spec, header=baseline.get("header") or {}, target=target)
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
