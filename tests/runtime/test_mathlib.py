"""Math equivalence: gold unwrapping, the stdlib path, the math-verify path and its timeouts off the main thread."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import rewardsmith.runtime.mathlib as mathlib_module
from rewardsmith.runtime.mathlib import (
    _MV_STATE,
    _gold_aliases,
    _last_boxed,
    _math_backend,
    _math_equal,
    _math_equal_stdlib,
    _math_equal_verify,
    _math_normalize,
    _math_value,
    _math_verify_available,
    _mv_child_call,
    _unwrap_gold,
)

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
needs_math_verify = pytest.mark.skipif(not _math_verify_available(), reason="math-verify is not installed")


def _in_thread(func, *args):
    """Run ``func(*args)`` in a fresh thread and return what it returned (or raise what it raised)."""
    out: dict = {}

    def target():
        try:
            out["value"] = func(*args)
        except BaseException as exc:  # re-raised in the caller so the test sees it
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


class TestLastBoxed:
    def test_nested_braces(self):
        assert _last_boxed(r"so \boxed{1} then \boxed{\frac{1}{2}}.") == r"\frac{1}{2}"

    def test_unbraced_argument(self):
        assert _last_boxed(r"hence \boxed 4.") == "4"

    def test_unclosed_box_falls_back_to_an_earlier_one(self):
        assert _last_boxed(r"\boxed{3} and \boxed{4") == "3"

    def test_none_without_a_box(self):
        assert _last_boxed("the answer is 4") is None


class TestUnwrapGold:
    @pytest.mark.parametrize(
        ("gold", "bare"),
        [
            ("['\\\\boxed{4}']", "4"),
            ("$4$", "4"),
            ("#### 4", "4"),
            ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
            (["\\boxed{7}"], "7"),
            (12, "12"),
            ("Natalia sold 48/2 = 24 clips.\n#### 72", "72"),
            ("\\(x^2\\)", "x^2"),
            ('"Paris"', "Paris"),
        ],
    )
    def test_wrappers_are_removed(self, gold, bare):
        assert _unwrap_gold(gold) == bare

    @pytest.mark.parametrize("gold", [None, "", "  ", [], "$$", True])
    def test_nothing_to_unwrap(self, gold):
        assert _unwrap_gold(gold) is None

    def test_aliases_keep_their_order(self):
        assert _gold_aliases(["\\boxed{1/2}", "$0.5$", ""]) == ["1/2", "0.5"]


class TestNormalize:
    @pytest.mark.parametrize(
        ("text", "canonical"),
        [
            ("\\dfrac{1}{2}", "\\frac{1}{2}"),
            ("10{,}000", "10000"),
            ("30^\\circ", "30"),
            ("50\\%", "50"),
            ("\\text{18 dollars}", "18"),
            ("x = 3", "3"),
            ("\\left( 1, 2 \\right)", "( 1, 2 )"),
            ("5\\!000", "5 000"),
            ("12 \\text{ inches}^2", "12"),
        ],
    )
    def test_presentation_is_stripped(self, text, canonical):
        assert _math_normalize(text) == canonical

    def test_an_equation_is_not_an_assignment(self):
        assert _math_normalize("x == 3") == "x == 3"


class TestMathValue:
    def test_exact_rationals(self):
        assert _math_value("\\frac{3}{6}") == ("num", 0.5)
        assert _math_value("12\\frac{3}{5}")[1].denominator == 5

    def test_brackets_are_kept_for_intervals(self):
        kind, left, right, items = _math_value("[1, \\infty)")
        assert (kind, left, right, len(items)) == ("seq", "[", ")", 2)

    def test_variables_are_not_values(self):
        assert _math_value("4a-2") is None

    def test_huge_powers_are_refused_not_computed(self):
        assert _math_value("9^{9^{9^{9}}}") is None


class TestStdlibEquality:
    @pytest.mark.parametrize(
        ("answer", "gold"),
        [
            ("0.5", "\\frac{1}{2}"),
            ("1/2", "\\dfrac12"),
            ("\\tfrac{2}{4}", "0.5"),
            ("10000", "10{,}000"),
            ("900000000", "900,000,000"),
            ("30^\\circ", "30"),
            ("50\\%", "50"),
            ("18 dollars", "18"),
            ("x = 3", "3"),
            ("\\left(3, \\frac{\\pi}{2}\\right)", "(3,\\frac{\\pi}{2})"),
            ("\\{1,2\\}", "\\{2,1\\}"),
            ("2, 5", "5,2"),
            ("1, 2", "\\{2, 1\\}"),
            ("7\\pi", "7 \\pi"),
            ("21.991148575128552", "7\\pi"),
            ("12.6", "12\\frac{3}{5}"),
            ("4a - 2", "4a-2"),
            ("\\$37.50", "37.50"),
            ("2\\sqrt{2}", "\\sqrt{8}"),
            ("-\\frac{40}{153}", "\\boxed{-\\frac{40}{153}}"),
        ],
    )
    def test_equivalent(self, answer, gold):
        assert _math_equal_stdlib(answer, gold) is True

    @pytest.mark.parametrize(
        ("answer", "gold"),
        [
            ("3", "4"),
            ("0.33", "\\frac{1}{3}"),
            ("[1,2)", "(1,2)"),
            ("(1,2,3)", "(1,2)"),
            ("21.99", "7\\pi"),
            ("4a+2", "4a-2"),
            ("1,2,3", "\\{1,2\\}"),
            (None, "4"),
            ("", "4"),
        ],
    )
    def test_not_equivalent(self, answer, gold):
        assert _math_equal_stdlib(answer, gold) is False

    @pytest.mark.parametrize("gold", [None, "", "$$", "\\frac{1}{2", "['']"])
    def test_unparsable_gold_gives_none_even_for_a_matching_answer(self, gold):
        assert _math_equal_stdlib("\\frac{1}{2", gold) is None


class TestBackend:
    def test_stdlib_is_always_available(self):
        assert _math_backend("stdlib") == "stdlib"

    def test_auto_names_the_path_it_takes(self):
        assert _math_backend("auto") == ("math_verify" if _math_verify_available() else "stdlib")

    def test_unknown_backend_is_refused(self):
        with pytest.raises(ValueError, match="'auto', 'math_verify' or 'stdlib'"):
            _math_equal("1", "1", backend="sympy")


@needs_math_verify
class TestMathVerify:
    def test_gold_that_does_not_parse_gives_none(self):
        assert _math_equal_verify("4", "") is None
        assert _math_equal("4", "$$", backend="math_verify") is None

    def test_equivalent_forms(self):
        assert _math_equal("0.5", "\\boxed{\\frac{1}{2}}", backend="math_verify") is True
        assert _math_equal("(x+1)^2", "x^2+2x+1", backend="math_verify") is True
        assert _math_equal("3", "4", backend="math_verify") is False

    def test_auto_takes_the_strict_stdlib_true(self):
        assert _math_equal("18 dollars", "18", backend="math_verify") is False
        assert _math_equal("18 dollars", "18", backend="auto") is True

    def test_runs_in_a_thread_without_raising(self):
        assert _in_thread(_math_equal, "1/2", "\\frac{2}{4}", "math_verify") is True
        assert _in_thread(_math_equal, "1/3", "\\frac{2}{4}", "math_verify") is False
        assert _in_thread(_math_equal, "1/3", "", "math_verify") is None

    def test_slow_comparison_is_cut_off_in_a_thread(self):
        _in_thread(_math_equal_verify, "1", "1")  # start the helper child outside the measured call
        started = time.monotonic()
        assert _in_thread(_math_equal_verify, "(x+1)^{10000}", "(x+2)^{10000}", 1) is False
        assert time.monotonic() - started < 10

    def test_runs_in_a_worker_process(self):
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            assert pool.submit(_math_equal, "1/2", "\\frac{2}{4}", "math_verify").result(timeout=120) is True

    def test_hard_deadline_kills_a_stuck_child_and_the_next_call_recovers(self):
        _in_thread(_math_equal_verify, "1", "1")
        # timeout 0 turns math-verify's own alarm off in the child: only the caller's deadline can stop this
        started = time.monotonic()
        assert _in_thread(_mv_child_call, "$9^{9^{9^{9}}}$", "$1$", 0) is False
        assert time.monotonic() - started < 10
        assert _MV_STATE["proc"] is None
        assert _in_thread(_math_equal_verify, "2", "\\frac{4}{2}") is True


class TestRealMath:
    """math_cot_100: 800 MATH responses graded by simpleRL's own checker (``score``)."""

    @pytest.fixture(scope="class")
    def graded(self):
        with (REAL / "math_cot_100.jsonl").open() as handle:
            rows = [json.loads(line) for line in handle]
        return [
            (_last_boxed(response), row["gt"], score)
            for row in rows
            for response, score in zip(row["response"], row["score"])
        ]

    def test_stdlib_path_agrees_with_the_dataset_grader(self, graded):
        agree = sum(bool(_math_equal_stdlib(answer, gold)) == score for answer, gold, score in graded)
        # the one disagreement is the dataset's: "10000" against the gold "10{,}000" is right
        assert agree >= 799

    @needs_math_verify
    def test_auto_path_agrees_with_the_dataset_grader(self, graded):
        agree = sum(bool(_math_equal(answer, gold)) == score for answer, gold, score in graded)
        assert agree >= 799


class TestStandalone:
    def test_module_runs_without_the_package(self):
        """Generated modules inline this code: it must need nothing but the standard library."""
        source = Path(mathlib_module.__file__).read_text()
        script = source + "\nprint(_math_equal_stdlib('0.5', '$1/2$'))\n"
        done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "True"
