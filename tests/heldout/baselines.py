"""Five-line baselines: each set's natural answer slot read the obvious way, in plain Python.

What a practitioner writes in five minutes without rewardsmith. The proposer must do at least
as well held out, or it is not worth using. Each takes the completion text and the gold value
(None where the set has none) and returns a score.
"""

from __future__ import annotations

import ast
import re
import string
from collections import Counter
from typing import Any, Callable

__all__ = ["BASELINES", "answer_f1", "boxed", "choice", "compiles"]

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_CHOICE = re.compile(r"answer is \(?([A-J])\)?")
_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _words(text: str) -> list[str]:
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return _ARTICLES.sub(" ", text).split()


def answer_f1(text: str, gold: Any) -> float:
    """Token F1 of the last ``<answer>`` against the gold (SQuAD normalisation)."""
    found = _ANSWER.findall(text)
    got, want = _words(found[-1]) if found else [], _words(str(gold))
    common = sum((Counter(got) & Counter(want)).values())
    return 0.0 if not common else 2 * common / (len(got) + len(want))


def _last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 1, start + len("\\boxed{")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j]
    return None


def boxed(text: str, gold: Any) -> float:
    """1.0 when the last ``\\boxed{}`` equals the gold as text (spaces dropped) or as a number."""
    got, want = _last_boxed(text), str(gold).replace(" ", "")
    if got is None:
        return 0.0
    got = got.replace(" ", "")
    try:
        return float(got == want or abs(float(got.replace(",", "")) - float(want.replace(",", ""))) < 1e-6)
    except ValueError:
        return float(got == want)


def choice(text: str, gold: Any) -> float:
    """1.0 when the last "answer is (X)" (or "answer is X") letter is the gold letter."""
    found = _CHOICE.findall(text)
    return float(bool(found) and found[-1] == str(gold).strip())


def compiles(text: str, gold: Any = None) -> float:
    """1.0 when the last fenced Python block parses."""
    blocks = _FENCE.findall(text)
    if not blocks:
        return 0.0
    try:
        ast.parse(blocks[-1])
    except (SyntaxError, ValueError):
        return 0.0
    return 1.0


BASELINES: dict[str, Callable[[str, Any], float]] = {
    "answer_f1": answer_f1, "boxed": boxed, "choice": choice, "compiles": compiles,
}
