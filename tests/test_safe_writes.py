"""Writes never destroy what a path points at, exports are all or nothing, and nothing the user wrote is lost."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import stat
import threading
import time

import pytest

from rewardsmith.errors import ExportError, OutputError
from rewardsmith.export import check_export, export_spec, recover_export
from rewardsmith.fsutil import current_umask, write_atomic
from rewardsmith.presets import load_preset
from rewardsmith.spec import RewardSpec, dump_spec


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


class TestWriteAtomic:
    def test_new_file_follows_the_umask(self, tmp_path, umask_022):
        write_atomic(tmp_path / "a.txt", "x")
        assert _mode(tmp_path / "a.txt") == 0o644
        os.umask(0o077)
        write_atomic(tmp_path / "b.txt", "x")
        assert _mode(tmp_path / "b.txt") == 0o600

    def test_umask_is_read_without_changing_it(self, umask_022):
        assert current_umask() == 0o022
        assert current_umask() == 0o022

    def test_existing_file_keeps_its_mode(self, tmp_path, umask_022):
        path = tmp_path / "kept.sh"
        path.write_text("old")
        os.chmod(path, 0o751)
        write_atomic(path, "new")
        assert path.read_text() == "new" and _mode(path) == 0o751

    def test_symlink_is_followed_and_stays_a_link(self, tmp_path):
        target = tmp_path / "real.json"
        target.write_text("{}")
        link = tmp_path / "link.json"
        link.symlink_to(target)
        write_atomic(link, '{"a": 1}')
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert target.read_text() == '{"a": 1}'

    def test_dangling_symlink_creates_its_target(self, tmp_path):
        link = tmp_path / "out.json"
        link.symlink_to(tmp_path / "later.json")
        write_atomic(link, "1")
        assert link.is_symlink() and (tmp_path / "later.json").read_text() == "1"

    def test_fifo_is_written_through_not_replaced(self, tmp_path):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        got: list[bytes] = []

        def read() -> None:
            with open(fifo, "rb") as fh:
                got.append(fh.read())

        reader = threading.Thread(target=read)
        reader.start()
        write_atomic(fifo, "through the pipe")
        reader.join(5)
        assert got == [b"through the pipe"]
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)

    def test_character_device_is_written_through_not_replaced(self):
        before = os.stat("/dev/null")
        write_atomic("/dev/null", "discarded")
        after = os.stat("/dev/null")
        assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino and after.st_mode == before.st_mode

    def test_directory_is_refused_with_a_message(self, tmp_path):
        with pytest.raises(OutputError, match="a directory; refusing to replace it"):
            write_atomic(tmp_path, "x")

    def test_no_temporary_file_is_left(self, tmp_path):
        write_atomic(tmp_path / "a.txt", "x")
        assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _spec(score: float) -> RewardSpec:
    spec = load_preset("alphamaze")
    first = spec.rules[0].model_copy(update={"rationale": f"variant {score}"})
    return spec.model_copy(update={"name": "kill-test", "rules": [first, *spec.rules[1:]]})


def _consistent(out) -> dict[str, str]:
    """The export in `out` is whole: every file the manifest names has the recorded hash."""
    baseline = json.loads((out / "baseline.json").read_text())
    for name, sha in baseline["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha, name
    assert baseline["module_sha256"] == baseline["files"]["rewards.py"]
    return baseline["files"]


class TestExport:
    def test_files_the_export_did_not_write_are_kept(self, tmp_path):
        out = tmp_path / "exp"
        export_spec(_spec(1), out)
        (out / "test_utils.py").write_text("HELPER = 1\n")
        (out / "notes").mkdir()
        (out / "notes" / "a.md").write_text("mine")
        export_spec(_spec(2), out)
        assert (out / "test_utils.py").read_text() == "HELPER = 1\n"
        assert (out / "notes" / "a.md").read_text() == "mine"
        export_spec(_spec(2), out, force=True)
        assert (out / "test_utils.py").exists()

    def test_hand_edited_test_file_and_spec_are_refused_then_backed_up(self, tmp_path):
        out = tmp_path / "exp"
        export_spec(_spec(1), out)
        test_file = out / "test_kill_test.py"
        test_file.write_text(test_file.read_text() + "\n# my extra check\n")
        (out / "spec.yaml").write_text((out / "spec.yaml").read_text() + "# my note\n")
        with pytest.raises(ExportError) as err:
            export_spec(_spec(2), out)
        assert "test_kill_test.py was edited" in str(err.value) and "spec.yaml was edited" in str(err.value)
        assert test_file.read_text().endswith("# my extra check\n")
        result = export_spec(_spec(2), out, force=True)
        assert result.backup is not None and result.backup.parent == tmp_path
        assert (result.backup / "test_kill_test.py").read_text().endswith("# my extra check\n")
        assert (result.backup / "spec.yaml").read_text().endswith("# my note\n")
        assert "# my extra check" not in test_file.read_text()

    def test_a_renamed_spec_drops_only_its_own_untouched_test_file(self, tmp_path):
        out = tmp_path / "exp"
        export_spec(_spec(1), out)
        renamed = _spec(1).model_copy(update={"name": "renamed"})
        export_spec(renamed, out)
        assert not (out / "test_kill_test.py").exists() and (out / "test_renamed.py").exists()
        (out / "test_renamed.py").write_text((out / "test_renamed.py").read_text() + "# kept\n")
        export_spec(_spec(1), out, force=True)
        assert (out / "test_renamed.py").read_text().endswith("# kept\n")

    def test_export_into_a_symlinked_folder_keeps_the_link(self, tmp_path):
        real = tmp_path / "real"
        real.mkdir()
        link = tmp_path / "link"
        link.symlink_to(real)
        export_spec(_spec(1), link)
        assert link.is_symlink() and (real / "rewards.py").is_file()
        export_spec(_spec(2), link)
        assert link.is_symlink() and _consistent(real)

    def test_exported_files_follow_the_umask(self, tmp_path, umask_022):
        out = tmp_path / "exp"
        export_spec(_spec(1), out)
        assert {_mode(p) for p in out.iterdir() if p.is_file()} == {0o644}

    def test_killed_at_random_moments_the_previous_export_stays_usable(self, tmp_path):
        """50 exports killed with SIGKILL at random points: each time one whole export is left."""
        out = tmp_path / "exp"
        export_spec(_spec(0), out)
        (out / "test_utils.py").write_text("MINE = True\n")
        specs = [dump_spec(_spec(k)) for k in (1, 2)]
        rng = random.Random(7)
        kills = 0
        for attempt in range(50):
            pid = os.fork()
            if pid == 0:  # the child exports again and again until it is killed
                try:
                    k = 0
                    while True:
                        export_spec(_spec(1 + k % 2), out)
                        k += 1
                finally:
                    os._exit(0)
            time.sleep(rng.uniform(0.0, 0.06))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            kills += os.WIFSIGNALED(status)
            recover_export(out)
            files = _consistent(out)
            assert (out / "spec.yaml").read_text() in specs + [dump_spec(_spec(0))], attempt
            assert (out / "test_utils.py").read_text() == "MINE = True\n"
            assert set(files) == {"rewards.py", "test_kill_test.py", "spec.yaml"}
            assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
        assert kills == 50
        export_spec(_spec(3), out)  # a plain export after all that is not refused
        assert check_export(out).ok


def test_an_empty_sample_set_is_refused(tmp_path):
    from rewardsmith.samples import SampleSet

    with pytest.raises(ExportError, match="no samples to test the spec on"):
        export_spec(_spec(1), tmp_path / "exp", SampleSet.from_samples([]))
    assert not (tmp_path / "exp").exists()
