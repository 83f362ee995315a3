"""Multiple choice: which option a completion chose, and whether it is the gold one.

Option letters are upper-case only and only count in an option-marking context (``(A)``, ``A)``, ``answer is A``,
``\\boxed{A}``, a closing ``A.``), so the English article "a"/"A" in prose is never read as a choice. A final
statement naming several different options ("(A) or (B)") chooses nothing.
"""

from __future__ import annotations

import re
import string

__all__ = [
    "_CHOICE_LETTERS",
    "_choice_equal",
    "_choice_from_text",
    "_choice_gold",
    "_choice_letters",
    "_choice_option_text",
    "_extract_choice",
]

_CHOICE_LETTERS = "ABCDEFGHIJ"  # MMLU-Pro's ten options

# "the answer is (E)", "Answer: E", "final answer is: **(E)**", "correct option is E"; the statement runs to the
# end of its sentence or line, where every option it names is collected.
_ANSWER_STATEMENT = re.compile(
    r"(?:answer|option|choice)\s*(?:is|would be|will be|=|:)\s*:?\s*(?:option|choice)?\s*"
    r"(?P<tail>[^\n]*?)(?:(?<![A-Z])\.(?:\s|$)|\n|$)",
    re.I,
)
_BOXED_CHOICE = re.compile(r"\\boxed\s*\{\s*(?:\\text\s*\{)?\s*\(?\s*([^{}()]*?)\s*\)?\s*\}?\s*\}")
_MARKED_LETTER = re.compile(r"(?<![A-Za-z0-9])\(([A-Z])\)|(?<![A-Za-z0-9(])([A-Z])\)|\*\*([A-Z])\*\*")
# a bare letter counts only where the statement starts ("answer is B, since ..."): elsewhere "I" is a pronoun
_LEADING_LETTER = re.compile(r"^[\s*:(]*([A-Z])(?![A-Za-z0-9'])")
_CLOSING_LETTER = re.compile(r"(?:^|[\s(*:])\(?([A-Z])\)?[.)]?\**\s*$")
_WORDS = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def _choice_letters(count: int = 10, first: str = "A") -> str:
    """Return ``count`` consecutive upper-case option letters starting at ``first`` (``_choice_letters(4)`` is ABCD)."""
    start = string.ascii_uppercase.index(first.upper())
    letters = string.ascii_uppercase[start:start + count]
    if len(letters) != count:
        raise ValueError(f"cannot have {count} option letters from {first!r}: at most {26 - start}")
    return letters


def _choice_option_text(text: str) -> str:
    """Normalise an option's text for comparison: lower case, words and numbers only."""
    return " ".join(_WORDS.findall(text.lower()))


def _choice_from_text(text: str, letters: str = _CHOICE_LETTERS, options: list | None = None) -> str | None:
    """Return the one option a short statement names (letter or option text), else None (none, or several)."""
    named = set()
    for match in _MARKED_LETTER.finditer(text):
        letter = next(group for group in match.groups() if group)
        if letter not in letters:
            return None  # "(K)" where only A-J exist names no valid option
        named.add(letter)
    leading = _LEADING_LETTER.match(text)
    if leading and leading.group(1) in letters:
        named.add(leading.group(1))
    if len(named) == 1:
        return named.pop()
    if named or not options:
        return None
    # no letter: the one option whose text the statement holds
    statement = f" {_choice_option_text(text)} "
    found = [
        (norm, letters[i])
        for i, option in enumerate(options[:len(letters)])
        if (norm := _choice_option_text(str(option))) and f" {norm} " in statement
    ]
    # an option read inside a longer one that was found ("10 m" in "110 m") does not count as a second choice
    kept = {letter for norm, letter in found
            if not any(norm != other and f" {norm} " in f" {other} " for other, _ in found)}
    return kept.pop() if len(kept) == 1 else None


def _extract_choice(text: str, letters: str = _CHOICE_LETTERS, options: list | None = None) -> str | None:
    """Return the option letter a completion chose, or None.

    Looks, in order, at the last answer statement ("the answer is (X)", "Answer: X"), the last ``\\boxed{}``, then
    the closing line ("(X)", "X)", "X." at the end). Each place must name exactly one option; with ``options``
    (the options column), an option's text in an answer statement or a box counts as naming it.

    Args:
        text: the completion (or the scope of it the rule reads).
        letters: the valid option letters, in order (see :func:`_choice_letters`).
        options: the option texts, in letter order, when the samples carry them.
    """
    if not text:
        return None
    statements = list(_ANSWER_STATEMENT.finditer(text))
    for statement in reversed(statements):
        tail = statement.group("tail").strip()
        if tail:
            return _choice_from_text(tail, letters, options)
    boxed = _BOXED_CHOICE.findall(text)
    if boxed:
        return _choice_from_text(boxed[-1], letters, options)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    closing = _CLOSING_LETTER.search(lines[-1])
    # option text is not looked for here: short options ("0 J", "5") turn up in any closing computation
    return closing.group(1) if closing and closing.group(1) in letters else None


def _choice_gold(gold: object, letters: str = _CHOICE_LETTERS, options: list | None = None,
                 index_base: int = 0) -> str | None:
    """Turn a gold given as a letter (``"E"``, ``"(E)"``), an index or the option's text into a letter, else None.

    Args:
        gold: the gold column's value.
        letters: the valid option letters.
        options: the option texts, needed for a gold given as text.
        index_base: what the first option's index is (0 for MMLU-Pro's ``answer_index``, 1 for 1-based labels).
    """
    if gold is None or isinstance(gold, bool):
        return None
    if isinstance(gold, int):
        position = gold - index_base
        return letters[position] if 0 <= position < len(letters) else None
    if isinstance(gold, (list, tuple)):
        return _choice_gold(gold[0], letters, options, index_base) if len(gold) == 1 else None
    text = str(gold).strip()
    bare = text.strip("()[]*. ")
    if len(bare) == 1 and bare.upper() in letters:
        return bare.upper()
    if bare.isdigit() and not any(char.isdigit() for char in letters):
        return _choice_gold(int(bare), letters, options, index_base)
    if options:
        norm = _choice_option_text(text)
        matches = [letters[i] for i, option in enumerate(options[:len(letters)])
                   if norm and _choice_option_text(str(option)) == norm]
        if len(matches) == 1:
            return matches[0]
    return None


def _choice_equal(chosen: str | None, gold: object, letters: str = _CHOICE_LETTERS, options: list | None = None,
                  index_base: int = 0) -> bool | None:
    """Tell whether the chosen letter is the gold option; None when the gold names no option (the rule abstains)."""
    gold_letter = _choice_gold(gold, letters, options, index_base)
    if gold_letter is None:
        return None
    return chosen is not None and chosen == gold_letter
