"""Measured: scripted answers with the faults real models make, and the share accepted within the repair rounds.

The scripted "model" answers first with a faulty spec, then, in a repair round, fixes exactly the
faults whose hint the repair message carries (what a model that follows instructions does). So an
answer is only repaired when rewardsmith named the fault and said what to write instead; a fault
reported without its hint, or reported one round late, shows up as a lower share or more rounds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from rewardsmith.errors import LLMOutputError
from rewardsmith.propose.llm import run_proposal

from .conftest import Reply, make_settings, needs_litellm

# A right answer for the search demo, as text: the faults below are edits of this text.
GOOD = """{
  "description": "The first answer block equals an alias; one answer block; searches capped.",
  "rules": [
    {"name": "correct_answer", "kind": "exact_match", "role": "reward", "weight": 1.0,
     "params": {"extract": {"method": "xml_tag", "tag": "answer", "occurrence": "first"}, "reference": "aliases",
                "normalize": {"strip": true, "lower": true, "remove_punctuation": true}},
     "rationale": "the first answer decides"},
    {"name": "format_tags", "kind": "regex_format", "role": "reward", "weight": 0.2,
     "params": {"pattern": "<think>.*?</think>\\\\s*<answer>.*?</answer>\\\\s*$", "flags": ["DOTALL"],
                "score_match": 1.0},
     "rationale": "think, then one answer at the end"},
    {"name": "searches_logged", "kind": "count_in_range", "role": "metric", "weight": 0.0,
     "params": {"pattern": "<search>", "literal": true, "min_count": 1, "max_count": 5, "score_in": 1.0},
     "rationale": "how often it searches, logged"}
  ]
}"""

Fix = tuple[str, Callable[[str], str]]  # (the hint that must be in the repair message, the edit it makes)


@dataclass
class Case:
    name: str
    answer: str
    fixes: list[Fix]
    repairs: int  # repair rounds it should take


def _swap(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"the fix {old!r} -> {new!r} does not apply"
        return text.replace(old, new)

    return edit


SINGLE = "<think>.*?</think>\\s*<answer>.*?</answer>\\s*$"
DOUBLE = "<think>.*?</think>\\\\s*<answer>.*?</answer>\\\\s*$"
BOUNDARY_SINGLE = '"pattern": "\\\\bsearch\\\\b"'
BACKSPACE = '"pattern": "\\bsearch\\b"'
PARAM_OF_ANOTHER_KIND = '"reference": "aliases",\n                "pattern": "<answer>",'
PARAM_OUTSIDE_ITS_BLOCK = '"reference": "aliases", "tag": "answer",'

BACKSLASHES: Fix = ("must be written twice", _swap(SINGLE, DOUBLE))
HYPHEN: Fix = ("call it 'format_tags'", _swap('"format-tags"', '"format_tags"'))
METRIC: Fix = ('set "weight": 0', _swap('"role": "metric", "weight": 0.5', '"role": "metric", "weight": 0.0'))
OTHER_KIND: Fix = ("`pattern` is a param of", _swap(PARAM_OF_ANOTHER_KIND, '"reference": "aliases",'))

CASES = [
    Case("prose before the JSON", "Here is the reward spec you asked for.\n\n" + GOOD + "\n\nHope this helps!", [], 0),
    Case("a code fence and a closing remark", "```json\n" + GOOD + "\n```\nThe first rule matters most.", [], 0),
    Case("single backslashes in a regex", GOOD.replace(DOUBLE, SINGLE), [BACKSLASHES], 1),
    Case("\\b read as a backspace", GOOD.replace('"pattern": "<search>"', BACKSPACE),
         [("for the regex \\b write", _swap(BACKSPACE, BOUNDARY_SINGLE))], 1),
    Case("a param of another kind", GOOD.replace('"reference": "aliases",', PARAM_OF_ANOTHER_KIND), [OTHER_KIND], 1),
    Case("a param outside its block", GOOD.replace('"reference": "aliases",', PARAM_OUTSIDE_ITS_BLOCK),
         [("`tag` goes inside `extract`", _swap(PARAM_OUTSIDE_ITS_BLOCK, '"reference": "aliases",'))], 1),
    Case("kinds mixed up", GOOD.replace('"kind": "exact_match"', '"kind": "exact-match"'),
         [("did you mean 'exact_match'", _swap('"exact-match"', '"exact_match"'))], 1),
    Case("a hyphenated rule name", GOOD.replace('"format_tags"', '"format-tags"'), [HYPHEN], 1),
    Case("a metric with a weight", GOOD.replace('"role": "metric", "weight": 0.0', '"role": "metric", "weight": 0.5'),
         [METRIC], 1),
    Case("all of them at once",
         "Sure! Here it is:\n" + GOOD.replace(DOUBLE, SINGLE).replace('"format_tags"', '"format-tags"')
         .replace('"role": "metric", "weight": 0.0', '"role": "metric", "weight": 0.5'),
         [BACKSLASHES, HYPHEN, METRIC], 1),
    Case("all the params faults at once",
         GOOD.replace('"reference": "aliases",', PARAM_OF_ANOTHER_KIND).replace('"format_tags"', '"format-tags"')
         .replace('"role": "metric", "weight": 0.0', '"role": "metric", "weight": 0.5'),
         [OTHER_KIND, HYPHEN, METRIC], 1),
]


def _follower(case: Case) -> Callable[..., Reply]:
    """A model that fixes what the repair message names, and nothing else."""
    state = {"text": case.answer}

    def answer(request) -> Reply:
        last = request.messages[-1]["content"]
        if "Your answer could not be used" in last:
            for hint, edit in case.fixes:
                if hint in last:
                    state["text"] = edit(state["text"])
        return Reply.chat(state["text"])

    return answer


def _run(server, samples, case: Case, rounds: int) -> int | None:
    """Repair rounds the case took, or None when it was not accepted within `rounds`."""
    server.responder = _follower(case)
    before = len(server.chat_requests())
    try:
        proposal = run_proposal(samples, settings=make_settings(server, repair_rounds=rounds, cache=False),
                                name="s", instructions=case.name)
    except LLMOutputError:
        return None
    assert [r.name for r in proposal.spec.rules] == ["correct_answer", "format_tags", "searches_logged"]
    assert len(server.chat_requests()) - before == proposal.candidates[0].repairs + 1
    return proposal.candidates[0].repairs


def test_the_good_answer_is_valid_as_written():
    assert json.loads(GOOD)["rules"][1]["params"]["pattern"] == "<think>.*?</think>\\s*<answer>.*?</answer>\\s*$"


@needs_litellm
def test_every_faulty_answer_is_accepted_within_the_repair_rounds(server, search_samples):
    taken = {case.name: _run(server, search_samples, case, rounds=2) for case in CASES}
    assert taken == {case.name: case.repairs for case in CASES}
    accepted = sum(t is not None for t in taken.values()) / len(CASES)
    assert accepted == 1.0  # the share accepted within 2 repair rounds
    # Every fault of an answer is named in one message, the JSON's and the rules' together: one round.
    assert taken["all of them at once"] == 1 and taken["all the params faults at once"] == 1


@needs_litellm
def test_without_repair_rounds_only_the_extraction_saves_an_answer(server, search_samples):
    taken = {case.name: _run(server, search_samples, case, rounds=0) for case in CASES}
    saved = [name for name, t in taken.items() if t is not None]
    assert saved == ["prose before the JSON", "a code fence and a closing remark"]


@pytest.mark.parametrize("case", [c for c in CASES if c.fixes], ids=lambda c: c.name)
def test_every_hint_is_in_the_first_repair_message(case: Case):
    from rewardsmith.errors import InvalidAnswer
    from rewardsmith.propose.answers import spec_from_answer

    with pytest.raises(InvalidAnswer) as caught:
        spec_from_answer(case.answer, name="s", task="", provenance={})
    message = "\n".join(caught.value.problems)
    assert [hint for hint, _ in case.fixes if hint not in message] == [], message
