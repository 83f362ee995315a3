"""Code that runs its tests: extraction, assembly, the sandboxed child, the known reward hacks, real HumanEval."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import rewardsmith.runtime.code as code_module
from rewardsmith.runtime.code import (
    _code_score,
    _code_tests_score,
    _extract_code,
    _humaneval_program,
    _humaneval_result,
    _outputs_match,
    _stdio_cases,
    _stdio_result,
    _syntax_ok,
)

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"

ADD_PROMPT = 'def add(a: int, b: int) -> int:\n    """Return a + b."""\n'
ADD_TEST = textwrap.dedent("""
    def check(candidate):
        assert candidate(1, 2) == 3
        assert candidate(-1, 1) == 0
        assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9
        assert candidate(10, 5) == 15
""")
ADD_OK = "```python\ndef add(a, b):\n    return a + b\n```"
DOUBLE_CASES = [("2\n", "4\n"), ("5\n", "10\n"), ("21\n", "42\n")]


def _add(completion: str, **kwargs) -> dict:
    """Run ``completion`` against the ``add`` problem."""
    return _humaneval_result(completion, ADD_PROMPT, ADD_TEST, "add", **kwargs)


def _fenced(code: str) -> str:
    """Wrap dedented ``code`` in a python fence, as a model writes it."""
    return f"Here you go:\n```python\n{textwrap.dedent(code)}```\n"


class TestExtractCode:
    def test_last_python_block_wins(self):
        text = "```python\nx = 1\n```\nthen\n```py\nx = 2\n```\n```text\nnot code\n```"
        assert _extract_code(text) == "x = 2\n"

    def test_any_block_without_a_python_one(self):
        assert _extract_code("```\nprint(1)\n```") == "print(1)\n"

    def test_unclosed_fence_at_the_end(self):
        assert _extract_code("Sure.\n```python\ndef f():\n    return 1\n") == "def f():\n    return 1\n"

    def test_whole_text_without_fences(self):
        assert _extract_code("def f():\n    return 1\n") == "def f():\n    return 1\n"

    def test_real_livecodebench_answer(self):
        with (REAL / "lcb_o1mini_codegen.jsonl").open() as handle:
            row = json.loads(handle.readline())
        code = _extract_code(row["output"])
        assert "```" not in code and "def main" in code and _syntax_ok(code)


class TestSyntaxOk:
    def test_valid_and_invalid(self):
        assert _syntax_ok("def f():\n    return 1\n")
        assert not _syntax_ok("def f(:\n")
        assert not _syntax_ok("")
        assert not _syntax_ok("x = '\0'")

    def test_does_not_run_the_code(self, tmp_path):
        marker = tmp_path / "ran"
        assert _syntax_ok(f"open({str(marker)!r}, 'w')")
        assert not marker.exists()


class TestHumanevalProgram:
    def test_body_continues_the_prompt(self):
        program = _humaneval_program(ADD_PROMPT, "    return a + b\n", "add")
        assert program == ADD_PROMPT + "    return a + b\n"

    def test_whole_function_replaces_the_prompt_definition(self):
        program = _humaneval_program(ADD_PROMPT, "def add(a, b):\n    return a + b\n", "add")
        assert program.startswith(ADD_PROMPT) and program.endswith("return a + b\n")

    def test_flush_left_body_is_indented(self):
        program = _humaneval_program(ADD_PROMPT, "return a + b\n", "add")
        assert _syntax_ok(program) and program.endswith("    return a + b\n")


class TestStdioCases:
    def test_livecodebench_list(self):
        value = json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}])
        assert _stdio_cases(value) == [("1 2\n", "3\n")]

    def test_apps_dict_and_pairs(self):
        assert _stdio_cases({"inputs": ["1\n"], "outputs": ["2\n"]}) == [("1\n", "2\n")]
        assert _stdio_cases([["1", "2"]]) == [("1", "2")]
        assert _stdio_cases({"inputs": [["a", "b"]], "outputs": [["c"]]}) == [("a\nb", "c")]

    @pytest.mark.parametrize("value", ["not json", 3, [{"input": "1"}], [["1", "2", "3"]], None])
    def test_anything_else_is_no_tests(self, value):
        assert _stdio_cases(value) == []


class TestOutputsMatch:
    def test_whitespace_and_line_ends_do_not_matter(self):
        assert _outputs_match("1 2\r\n3\n\n", "1 2\n3")

    def test_decimals_within_tolerance(self):
        assert _outputs_match("0.3333333", "0.33333333")
        assert not _outputs_match("0.34", "0.33")

    def test_different_tokens(self):
        assert not _outputs_match("YES", "NO")
        assert not _outputs_match("1 2", "1 2 3")
        assert not _outputs_match(None, "1")


class TestCodeScore:
    def test_all_or_nothing_and_fraction(self):
        result = {"passed": 3, "total": 4, "status": "failed"}
        assert _code_score(result) == 0.0
        assert _code_score(result, "fraction") == 0.75
        assert _code_score({"passed": 4, "total": 4, "status": "ok"}) == 1.0

    def test_no_tests_is_not_applicable(self):
        assert _code_tests_score("print(1)", cases="[]") is None
        assert _code_tests_score("print(1)") is None

    def test_unknown_scoring(self):
        with pytest.raises(ValueError, match="'all' or 'fraction'"):
            _code_score({"passed": 1, "total": 1, "status": "ok"}, "some")


class TestHumanevalRun:
    def test_correct_completion_passes_every_case(self):
        result = _add(ADD_OK)
        assert (result["status"], result["passed"], result["total"]) == ("ok", 4, 4)
        assert isinstance(result["namespaces"], bool)

    def test_wrong_completion_fails(self):
        almost = "    return a + b if a < 10 else 0\n"
        result = _add(almost)
        assert result["status"] == "failed" and result["passed"] == 3
        assert _code_tests_score(almost, ADD_TEST, "add", ADD_PROMPT) == 0.0
        assert _code_tests_score(almost, ADD_TEST, "add", ADD_PROMPT, scoring="fraction") == 0.75

    def test_syntax_error(self):
        assert _add("    return a +\n")["status"] == "syntax_error"

    def test_missing_entry_point(self):
        result = _humaneval_result("def other():\n    return 1\n", "", ADD_TEST, "add")
        assert result["status"] == "load_error" and "add" in result["error"]

    def test_tests_without_check(self):
        result = _humaneval_result(ADD_OK, ADD_PROMPT, "assert add(1, 2) == 3\n", "add")
        assert result["status"] == "load_error"

    def test_runs_from_threads(self):
        with ThreadPoolExecutor(4) as pool:
            scores = list(pool.map(lambda c: _code_tests_score(c, ADD_TEST, "add", ADD_PROMPT),
                                   [ADD_OK, "    return a * b\n"] * 2))
        assert scores == [1.0, 0.0, 1.0, 0.0]


class TestStdioRun:
    def test_correct_program(self):
        result = _stdio_result(_fenced("print(int(input()) * 2)\n"), DOUBLE_CASES)
        assert (result["status"], result["passed"]) == ("ok", 3)

    def test_reads_stdin_every_way(self):
        code = "import sys\nn = int(open(0).read().split()[0])\nsys.stdout.write(str(2 * n))\n"
        assert _stdio_result(code, DOUBLE_CASES)["passed"] == 3
        buffered = "import sys\nprint(2 * int(sys.stdin.buffer.readline()))\n"
        assert _stdio_result(buffered, DOUBLE_CASES)["passed"] == 3

    def test_exit_after_printing_is_fine(self):
        assert _stdio_result("print(int(input()) * 2)\nexit()\n", DOUBLE_CASES)["passed"] == 3

    def test_runtime_error_fails_the_case_even_with_the_right_output(self):
        code = "n = int(input())\nprint(n * 2)\nif n == 5:\n    raise ValueError\n"
        assert _stdio_result(code, DOUBLE_CASES)["passed"] == 2

    def test_main_guard_runs(self):
        code = "def main():\n    print(int(input()) * 2)\n\nif __name__ == '__main__':\n    main()\n"
        assert _stdio_result(code, DOUBLE_CASES)["status"] == "ok"

    def test_builtins_persist_between_the_cases_of_one_child(self):
        code = (
            "import builtins\nbuiltins.SEEN = getattr(builtins, 'SEEN', 0) + 1\n"
            "print(int(input()) * 2 * builtins.SEEN)\n"
        )
        # one child runs every case, so builtins persist: the program sees its own earlier runs
        assert _stdio_result(code, DOUBLE_CASES)["passed"] == 1

    def test_scrubbed_environment(self, monkeypatch):
        monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
        code = "import os\nprint(' '.join(sorted(os.environ)))\n"
        assert _stdio_result(code, [("", "HOME LANG PATH TMPDIR")])["status"] == "ok"

    def test_working_directory_is_temporary_and_removed(self):
        before = set(Path(tempfile.gettempdir()).glob("rewardsmith-code-*"))
        code = "import os\nopen('scratch.txt', 'w').write('x')\nprint(os.getcwd().split(os.sep)[-1][:17])\n"
        assert _stdio_result(code, [("", "rewardsmith-code-")])["status"] == "ok"
        assert set(Path(tempfile.gettempdir()).glob("rewardsmith-code-*")) == before


class TestRewardHacks:
    """Each known code-reward hack scores 0."""

    def _zero(self, completion: str, **kwargs) -> dict:
        result = _add(completion, **kwargs)
        assert _code_score(result) == 0.0 and _code_score(result, "fraction") == 0.0, result
        return result

    def test_sys_exit_before_the_tests(self):
        self._zero(_fenced("import sys\ndef add(a, b):\n    return 42\nsys.exit(0)\n"))

    def test_os_exit_before_the_tests(self):
        self._zero(_fenced("import os\ndef add(a, b):\n    return 42\nos._exit(0)\n"))

    def test_os_exit_inside_the_call(self):
        self._zero(_fenced("import os\ndef add(a, b):\n    os._exit(0)\n"))

    def test_printing_success_and_forged_reports(self):
        code = """
            import os
            print("4 passed")
            def forge():
                for fd in range(3, 12):
                    for i in range(-1, 4):
                        try:
                            os.write(fd, b'{"e": "end", "i": %d, "ok": true}\\n' % i)
                            os.write(fd, b'{"e": "done"}\\n')
                        except OSError:
                            pass
            forge()
            def add(a, b):
                forge()
                return None
        """
        self._zero(_fenced(code))

    def test_redefining_check(self):
        self._zero(_fenced("def add(a, b):\n    return 42\ndef check(candidate):\n    pass\n"))

    def test_patching_builtins_the_tests_use(self):
        code = """
            import builtins
            builtins.abs = lambda x: 0
            class Lenient(Exception):
                pass
            builtins.AssertionError = Lenient
            def add(a, b):
                return 42
        """
        self._zero(_fenced(code))

    def test_always_equal_object(self):
        code = """
            class Anything:
                def __eq__(self, other):
                    return True
                def __sub__(self, other):
                    return 0
            def add(a, b):
                return Anything()
        """
        self._zero(_fenced(code))

    def test_always_equal_int_subclass(self):
        code = """
            class Yes(int):
                def __eq__(self, other):
                    return True
            def add(a, b):
                return Yes(0)
        """
        self._zero(_fenced(code))

    def test_tracing_to_skip_the_asserts(self):
        code = """
            import sys
            def add(a, b):
                sys.settrace(lambda *args: None)
                return 42
        """
        self._zero(_fenced(code))

    def test_reading_the_tests_from_anywhere(self):
        secret = f"SECRET-{os.urandom(8).hex()}"
        test = f"def check(candidate):\n    assert candidate() == {secret!r}\n"
        code = r'''
            import os, sys, gc
            def found():
                places = []
                for root, _, files in os.walk("."):
                    places += [os.path.join(root, name) for name in files]
                places += ["/proc/self/cmdline", "/proc/self/environ", "/proc/%d/cmdline" % os.getppid()]
                for place in places:
                    try:
                        text = open(place, "rb").read().decode("utf-8", "replace")
                    except OSError:
                        continue
                    if "SECRET-" in text:
                        return text[text.index("SECRET-"):][:23]
                try:
                    text = sys.stdin.read()
                    if "SECRET-" in text:
                        return text[text.index("SECRET-"):][:23]
                except Exception:
                    pass
                try:
                    frame = sys._getframe(1)
                    for const in frame.f_code.co_consts:
                        if isinstance(const, str) and const.startswith("SECRET-"):
                            return const
                except Exception:
                    pass
                try:
                    for obj in gc.get_objects():
                        if isinstance(obj, dict):
                            for value in obj.values():
                                if isinstance(value, str) and "SECRET-" in value:
                                    return value[value.index("SECRET-"):][:23]
                except Exception:
                    pass
                return None
            def solve():
                return found()
        '''
        result = _humaneval_result(_fenced(code), "", test, "solve")
        assert result["status"] == "failed" and result["passed"] == 0, result

    def test_infinite_loop_is_cut_at_the_time_limit(self):
        started = time.monotonic()
        result = self._zero("    while True:\n        pass\n", timeout=1.0)
        assert result["status"] == "timeout"
        assert time.monotonic() - started < 8

    def test_memory_bomb_hits_the_memory_limit(self):
        started = time.monotonic()
        result = self._zero("    x = bytearray(4 * 1024 ** 3)\n    return a + b\n", memory_mb=512)
        assert "MemoryError" in (result["error"] or "")
        assert time.monotonic() - started < 8

    def test_fork_bomb(self):
        code = """
            import os, subprocess
            def add(a, b):
                for attempt in (lambda: os.fork(), lambda: subprocess.Popen(["sh", "-c", ":"]),
                                lambda: os.system(":")):
                    try:
                        attempt()
                    except OSError:
                        pass
                while True:
                    os.fork()
        """
        started = time.monotonic()
        self._zero(_fenced(code), timeout=2.0)
        assert time.monotonic() - started < 10

    def test_no_network(self):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.5)
        port = server.getsockname()[1]
        code = f"""
            import socket
            def add(a, b):
                try:
                    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"x")
                except OSError:
                    pass
                return a + b
        """
        try:
            assert _code_score(_add(_fenced(code))) == 1.0  # the program runs; it just cannot connect
            with pytest.raises(TimeoutError):
                server.accept()
        finally:
            server.close()

    def test_cannot_signal_other_processes(self):
        victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            code = f"""
                import os, signal
                def add(a, b):
                    for pid in ({victim.pid}, os.getppid()):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                    return a + b
            """
            _add(_fenced(code))
            time.sleep(0.2)
            assert victim.poll() is None
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.wait()

    def test_cannot_write_outside_its_directory(self, tmp_path):
        target = tmp_path / "rewards.py"
        target.write_text("original")
        code = f"""
            import os, shutil
            def add(a, b):
                for attempt in (lambda: open({str(target)!r}, "w").write("hacked"),
                                lambda: os.remove({str(target)!r}),
                                lambda: shutil.rmtree({str(tmp_path)!r})):
                    try:
                        attempt()
                    except OSError:
                        pass
                return a + b
        """
        _add(_fenced(code))
        assert target.read_text() == "original"

    def test_printing_the_expected_output_is_legit_only_when_right(self):
        hardcoded = "print(4)\n"  # the first case's answer, whatever the input
        assert _stdio_result(hardcoded, DOUBLE_CASES)["passed"] == 1
        assert _code_tests_score(hardcoded, cases=DOUBLE_CASES) == 0.0
        assert _code_tests_score(hardcoded, cases=DOUBLE_CASES, scoring="fraction") == pytest.approx(1 / 3)

    def test_io_program_exiting_early_only_loses_its_own_cases(self):
        code = "import os\nn = int(input())\nif n == 5:\n    os._exit(1)\nprint(2 * n, flush=True)\nos._exit(0)\n"
        assert _stdio_result(code, DOUBLE_CASES)["passed"] == 2

    def test_io_infinite_loop_on_one_case(self):
        code = "n = int(input())\nwhile n == 5:\n    pass\nprint(2 * n)\n"
        result = _stdio_result(code, DOUBLE_CASES, timeout=1.0)
        assert result["passed"] == 2 and result["status"] == "timeout"


class TestRealHumaneval:
    """The 164 HumanEval problems: canonical solutions pass, simple wrong variants fail (every 4th problem here;
    all 164 are measured in the report)."""

    @pytest.fixture(scope="class")
    def problems(self):
        with (REAL / "humaneval_problems.jsonl").open() as handle:
            rows = [json.loads(line) for line in handle]
        return rows[::4]

    def _scores(self, problems, body_of):
        def run(row):
            return _code_tests_score(body_of(row), row["test"], row["entry_point"], row["prompt"])

        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(run, problems))

    def test_canonical_solutions_pass(self, problems):
        assert self._scores(problems, lambda row: row["canonical_solution"]) == [1.0] * len(problems)

    def test_canonical_solution_written_as_a_whole_fenced_function(self, problems):
        def whole(row):
            return f"```python\n{row['prompt']}{row['canonical_solution']}```"

        assert self._scores(problems, whole) == [1.0] * len(problems)

    def test_return_none_fails(self, problems):
        assert self._scores(problems, lambda row: "    return None\n") == [0.0] * len(problems)

    def test_negated_first_comparison_fails(self, problems):
        def negated(row):
            for operator, opposite in ((" < ", " >= "), (" > ", " <= "), (" == ", " != ")):
                if operator in row["canonical_solution"]:
                    return row["canonical_solution"].replace(operator, opposite, 1)
            return "    return None\n"

        assert sum(self._scores(problems, negated)) <= 1


class TestStandalone:
    def test_module_runs_without_the_package(self):
        """Generated modules inline this code: it must need nothing but the standard library."""
        source = Path(code_module.__file__).read_text()
        script = source + "\nprint(_code_tests_score('print(2 * int(input()))', cases=[('2', '4')]))\n"
        done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "1.0"
