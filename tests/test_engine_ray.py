"""`--engine ray` gives exactly the report a local run gives, against a real local Ray with 2 CPUs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rewardsmith.bench import score_samples
from rewardsmith.checks import build_report
from rewardsmith.demo import demo_path
from rewardsmith.propose import propose_offline
from rewardsmith.samples import load_samples

from .test_engine import KILLER, _names_spec, _write

ray = pytest.importorskip("ray", reason="the dev extra installs ray; CI must not reach this skip")


def _comparable(report: dict) -> dict:
    """The report without what measures time (microseconds per call differ from run to run)."""
    for rule in report["rules"]:
        rule.pop("us_per_call")
    return report


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_ray_report_equals_the_local_report(tmp_path, local_ray):
    from rewardsmith.engine_ray import score_samples_ray

    path = _write(tmp_path, 9_000, marks={7_777: " KILL-ME", 5: " RAISE-ME"})
    samples = load_samples(path)
    spec = propose_offline(load_samples(demo_path("math")), name="m")
    by_ray = score_samples_ray(spec, samples, shards=4)
    local = score_samples(spec, samples, workers=2)
    assert by_ray.scores == local.scores and by_ray.errors == local.errors
    ray_report = _comparable(build_report(spec, samples, by_ray).to_data())
    local_report = _comparable(build_report(spec, samples, local).to_data())
    assert json.dumps(ray_report, sort_keys=True) == json.dumps(local_report, sort_keys=True)
    assert ray_report["samples"]["count"] == 9_000

    # Same per-call limits in a Ray task: a rule that kills its worker is reported on its sample, the rest scored.
    own = _names_spec(["dies_on_marker", "raises_on_marker"])
    killed = score_samples_ray(own, samples, source=KILLER, shards=3)
    assert list(killed.errors["dies_on_marker"]) == [7_777]
    assert "SIGKILL" in killed.errors["dies_on_marker"][7_777]
    assert list(killed.errors["raises_on_marker"]) == [5]
    assert killed.scores == score_samples(own, samples, source=KILLER, workers=2).scores


def test_ray_refuses_a_part_of_a_file(tmp_path):
    from rewardsmith.engine_ray import score_samples_ray
    from rewardsmith.errors import BenchError

    samples = load_samples(_write(tmp_path, 10))
    with pytest.raises(BenchError, match="whole file"):
        score_samples_ray(propose_offline(load_samples(demo_path("math")), name="m"), samples[:5])


@pytest.mark.slow
def test_the_command_with_engine_ray_writes_the_local_json_report(tmp_path, local_ray):
    from rewardsmith.spec import save_spec

    path = _write(tmp_path, 5_000)
    spec_path = tmp_path / "spec.yaml"
    save_spec(propose_offline(load_samples(demo_path("math")), name="m"), spec_path)
    reports = {}
    for engine, flags in (("local", ["--workers", "2"]), ("ray", ["--engine", "ray", "--ray-address", "auto"])):
        out = tmp_path / f"{engine}.json"
        done = subprocess.run([sys.executable, "-m", "rewardsmith", "test", str(spec_path), str(path), "--json",
                               str(out), *flags], capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 1), done.stderr
        report = _comparable(json.loads(out.read_text(encoding="utf-8")))
        report["diagnostics"].pop("seconds")
        reports[engine] = report
    assert reports["ray"] == reports["local"]


@pytest.mark.slow
def test_ray_tasks_describe_the_file_as_local_workers_do(tmp_path, local_ray, monkeypatch):
    from rewardsmith.bench import score_file
    from rewardsmith.engine_ray import score_file_ray
    from rewardsmith.samples import FieldMap

    monkeypatch.setattr("rewardsmith.bench.MIN_SHARD_BYTES", 1)  # several shards of this small file
    path = _write(tmp_path, 9_000, marks={7_777: " KILL-ME", 5: " RAISE-ME"})
    own = _names_spec(["length", "dies_on_marker", "raises_on_marker"])
    by_ray = score_file_ray(own, path, FieldMap(), max_groups=30, source=KILLER, shards=3)
    local = score_file(own, path, FieldMap(), max_groups=30, source=KILLER, workers=2)
    assert by_ray is not None and local is not None
    (ray_set, ray_matrix), (local_set, local_matrix) = by_ray, local
    assert ray_matrix.scores == local_matrix.scores and ray_matrix.errors == local_matrix.errors
    assert list(ray_matrix.errors["dies_on_marker"]) == [7_777]
    assert ray_set.ids == local_set.ids and ray_set.groups() == local_set.groups()
    assert ray_set.fingerprint() == local_set.fingerprint() == load_samples(path).fingerprint()
    assert ray_set.texts[0] == local_set.texts[0]
