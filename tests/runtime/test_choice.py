"""Multiple choice: extraction of the chosen option, gold forms, and agreement with MMLU-Pro's own extraction."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rewardsmith.runtime.choice as choice_module
from rewardsmith.runtime.choice import (
    _CHOICE_LETTERS,
    _choice_equal,
    _choice_gold,
    _choice_letters,
    _extract_choice,
)

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
SEVERAL = re.compile(r"The answer is \([A-J]\) (?:or|and) \([A-J]\)")
OPTIONS = ["0.1 M", "0.2 M", "1.47 M", "Paris", "London"]


class TestChoiceLetters:
    def test_ten_by_default(self):
        assert _CHOICE_LETTERS == _choice_letters() == "ABCDEFGHIJ"

    def test_configurable(self):
        assert _choice_letters(4) == "ABCD"
        assert _choice_letters(3, "b") == "BCD"

    def test_too_many_is_refused(self):
        with pytest.raises(ValueError, match="at most 2"):
            _choice_letters(5, "Y")


class TestExtractChoice:
    @pytest.mark.parametrize(
        ("text", "letter"),
        [
            ("Depth cues differ between the eyes. The answer is (E).", "E"),
            ("Answer: B", "B"),
            ("so the final answer is: **(C)**", "C"),
            ("The answer is A. I think so.", "A"),
            ("The correct option is J", "J"),
            ("We conclude \\boxed{D}", "D"),
            ("We conclude \\boxed{\\text{(H)}}", "H"),
            ("Reasoning...\nThus, G)", "G"),
            ("Reasoning...\n(F)\n\n", "F"),
            ("Reasoning...\nfinal: I.", "I"),
            ("The answer is (I) with the values $P(A)$ and $P(B)$.", "I"),
            ("The answer is (D) $71.10. Wait. The correct answer is (H) $73.4", "H"),
        ],
    )
    def test_one_option(self, text, letter):
        assert _extract_choice(text) == letter

    @pytest.mark.parametrize(
        "text",
        [
            "The answer is (A) or (B).",
            "The answer is (B) and (D).\n\n",
            "The answer is (C, F).",
            "The answer is not provided in the options.",
            "A cat sat on a mat. It was a dog.",
            "I am not sure.",
            "The answer is (K).",
            "",
        ],
    )
    def test_no_single_option(self, text):
        assert _extract_choice(text) is None

    def test_article_a_is_not_an_option(self):
        assert _extract_choice("After a while, a solution appears.") is None
        assert _extract_choice("after a while the answer is a") is None

    def test_letters_outside_the_set_are_not_options(self):
        assert _extract_choice("The answer is (E).", letters=_choice_letters(4)) is None

    def test_option_text_in_the_answer_statement(self):
        assert _extract_choice("so the answer is 0.2 M.", options=OPTIONS) == "B"
        assert _extract_choice("The answer is \\boxed{Paris}", options=OPTIONS) == "D"

    def test_longest_option_text_wins(self):
        assert _extract_choice("the answer is 1.47 M", options=OPTIONS) == "C"

    def test_option_text_on_a_closing_line_is_not_a_choice(self):
        assert _extract_choice("We get 0.2 M", options=OPTIONS) is None

    def test_two_option_texts_choose_nothing(self):
        assert _extract_choice("the answer is Paris or London", options=OPTIONS) is None


class TestChoiceGold:
    @pytest.mark.parametrize(
        ("gold", "letter"),
        [("E", "E"), ("(e)", "E"), ("C.", "C"), (4, "E"), ("4", "E"), (["B"], "B"), ("Paris", "D"), ("1.47 M", "C")],
    )
    def test_forms(self, gold, letter):
        assert _choice_gold(gold, options=OPTIONS) == letter

    def test_one_based_index(self):
        assert _choice_gold(1, index_base=1) == "A"

    @pytest.mark.parametrize("gold", [None, "", "Rome", 10, -1, True, ["A", "B"]])
    def test_no_option(self, gold):
        assert _choice_gold(gold, options=OPTIONS) is None


class TestChoiceEqual:
    def test_match_and_mismatch(self):
        assert _choice_equal("E", "E") is True
        assert _choice_equal("D", 4) is False
        assert _choice_equal(None, "E") is False

    def test_gold_naming_no_option_abstains(self):
        assert _choice_equal("E", "Z") is None


class TestMmluPro:
    """2,000 Mistral-7B MMLU-Pro answers with MMLU-Pro's extraction (``pred``) and ``correct`` = pred == gold."""

    @pytest.fixture(scope="class")
    def rows(self):
        with (REAL / "mmlupro_mistral7b.jsonl").open() as handle:
            return [json.loads(line) for line in handle]

    def test_agrees_with_mmlu_pro_extraction(self, rows):
        with_pred = [row for row in rows if row["pred"]]
        same = sum(_extract_choice(row["generated_text"], options=row["options"]) == row["pred"] for row in with_pred)
        # 1,529 of 1,606: the rest are mostly "(B) and (D)" statements, which MMLU-Pro reads as B and we refuse
        assert same >= 1520

    def test_refuses_statements_naming_several_options(self, rows):
        several = [row for row in rows if (match := SEVERAL.search(row["generated_text"]))
                   and row["generated_text"].rfind("answer is") == match.start() + len("The ")]
        assert len(several) >= 20
        assert all(_extract_choice(row["generated_text"]) is None for row in several)

    def test_correctness_agrees_with_the_dataset(self, rows):
        agree = sum(
            _choice_equal(_extract_choice(row["generated_text"], options=row["options"]), row["answer"],
                          options=row["options"]) == row["correct"]
            for row in rows
        )
        assert agree >= 1960  # 1,969 of 2,000


class TestStandalone:
    def test_module_runs_without_the_package(self):
        """Generated modules inline this code: it must need nothing but the standard library."""
        source = Path(choice_module.__file__).read_text()
        script = source + "\nprint(_extract_choice('The answer is (E).'))\n"
        done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "E"
