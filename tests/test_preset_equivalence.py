"""The bundled presets reproduce the published reward functions value for value.

Each preset is rendered with `render_module`, the source is executed into a fresh module object,
and its functions are called exactly as TRL's GRPOTrainer calls them (keyword arguments, message-list
completions, every dataset column as a keyword). The results must equal what the original functions
in tests/originals/ return: the same list, compared with `==` (no tolerance) and the same types.
"""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewardsmith.presets import load_preset, preset_names
from rewardsmith.render import render_module

ORIGINALS = Path(__file__).resolve().parent / "originals"


def _load_original(stem: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_rewardsmith_oracle_{stem}", ORIGINALS / f"{stem}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_rendered(preset: str) -> types.ModuleType:
    source = render_module(load_preset(preset), module_name="rendered_" + preset.replace("-", "_"))
    module = types.ModuleType("rendered_" + preset.replace("-", "_"))
    exec(compile(source, f"<rendered {preset}>", "exec"), module.__dict__)
    return module


# preset name -> (oracle module, the dataset column the functions read, the oracle's answer extractor)
ORACLES = {
    "unsloth-gsm8k": ("unsloth_gsm8k", "answer"),
    "alphamaze": ("alphamaze", "answer"),
    "seed-exact-retry": ("seed_exact_retry", "expected_result"),
}
_ORIGINAL = {name: _load_original(stem) for name, (stem, _) in ORACLES.items()}
_RENDERED = {name: _load_rendered(name) for name in ORACLES}


def _extract(preset: str, text: str) -> str:
    """What the original extracts from `text` as the answer (the whole text for the seed)."""
    original = _ORIGINAL[preset]
    return original.extract_xml_answer(text) if hasattr(original, "extract_xml_answer") else text


def _messages(text: str, extra: list[dict[str, str]] = ()) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}, *extra]


def _pairs(preset: str) -> list[tuple[types.FunctionType, types.FunctionType]]:
    ours, theirs = _RENDERED[preset].REWARD_FUNCS, _ORIGINAL[preset].REWARD_FUNCS
    return list(zip(ours, theirs))


def _assert_same(preset: str, completions: list, refs: list[str]) -> None:
    column = ORACLES[preset][1]
    prompts = [[{"role": "user", "content": "Solve it."}] for _ in completions]
    for ours, theirs in _pairs(preset):
        want = theirs(prompts=prompts, completions=completions, **{column: refs})
        got = ours(prompts=prompts, completions=completions, **{column: refs})
        assert got == want and [type(v) for v in got] == [type(v) for v in want], (
            f"{preset}: {ours.__name__} differs from the original\n"
            f"  completions: {completions!r}\n  {column}: {refs!r}\n  original: {want!r}\n  rendered: {got!r}"
        )


# Presets checked against their oracle elsewhere: autodidact's judge needs an HTTP endpoint, so
# tests/llm/test_judge.py runs it (and tests/originals/autodidact.py) against a scripted server.
TESTED_ELSEWHERE = {"autodidact": "tests/llm/test_judge.py", "open-r1": "tests/test_standard_rewards.py",
                    "trl-rewards": "tests/test_standard_rewards.py"}


def test_every_preset_has_an_oracle() -> None:
    assert sorted([*ORACLES, *TESTED_ELSEWHERE]) == preset_names(), (
        "a preset without an oracle in tests/originals/ (or the reverse)")


@pytest.mark.parametrize("preset", sorted(ORACLES))
def test_same_functions_in_the_same_order(preset: str) -> None:
    ours = [f.__name__ for f in _RENDERED[preset].REWARD_FUNCS]
    theirs = [f.__name__ for f in _ORIGINAL[preset].REWARD_FUNCS]
    assert ours == theirs
    # The originals are passed to GRPOTrainer unweighted.
    assert _RENDERED[preset].REWARD_WEIGHTS == [1.0] * len(ours)


# ------------------------------------------------------------------ generated texts

_COMMON = [
    "\n", "\n", "\r\n", " ", "  ", "\t", "0", "7", "42", "1000", "3.5", "-1", "²", "٣", "１", "½",
    "abc", "The answer is ", "x", "é", "\u00a0", "\u2028",
]
_FRAGMENTS = {
    "unsloth-gsm8k": _COMMON + [
        "<reasoning>", "</reasoning>", "<answer>", "</answer>",
        "<reasoning>\n", "\n</reasoning>\n", "\n<answer>\n", "\n</answer>\n", "\n</answer>",
        "<answer>\n", "\n</answer>\n\n", "</answer>\n", "\r\n</answer>\r\n",
    ],
    "alphamaze": _COMMON + [
        "<think>", "</think>", "<think>\n", "\n</think>\n", "\n</think>\n\n",
        "<|up|>", "<|down|>", "<|left|>", "<|right|>", "<|up|>", "<|left|>",
        "|><|", "<|", "|>", "<|up", "<|diag|>", "<|UP|>",
    ],
    "seed-exact-retry": _COMMON + [
        "Searching for:", "Searching for: capital of France\n", "Searching for:Searching for:",
        "searching for:", "Searching for", "Searching  for:", "Result: Paris\n", "Paris",
    ],
}


def _free_text(preset: str) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(_FRAGMENTS[preset]), st.text(max_size=4))
    return st.lists(piece, max_size=14).map("".join)


def _small(preset: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_FRAGMENTS[preset]), max_size=4).map("".join)


def _shaped_text(preset: str) -> st.SearchStrategy[str]:
    """Texts close to the format the original rewards, with a random part spliced in."""
    small = st.one_of(st.text(alphabet="ab xyz0123456789²٣.,-", max_size=10), _small(preset))
    nl = st.sampled_from(["\n"] * 6 + ["\r\n", "", "\n\n", " \n"])  # mostly the layout the format wants
    if preset == "unsloth-gsm8k":
        number = st.one_of(st.integers(-5, 10**6).map(str), st.sampled_from(["²", "٣", "3.5", "12 ", " 7", ""]))
        strict = st.builds(
            "<reasoning>{}{}{}</reasoning>{}<answer>{}{}{}</answer>{}".format,
            nl, small, nl, nl, nl, number, nl, st.one_of(nl, small),
        )
        # one line of reasoning: what the soft format (re.match, no DOTALL) can match
        soft = st.builds(
            "<reasoning>{}</reasoning>{}<answer>{}</answer>{}".format,
            st.text(alphabet="ab 12<>/", max_size=8), st.sampled_from(["", " ", "\n", "\r\n\t", "x"]),
            st.one_of(number, small), st.one_of(nl, small),
        )
        return st.one_of(strict, soft)
    if preset == "alphamaze":
        move = st.sampled_from(["<|up|>", "<|down|>", "<|left|>", "<|right|>", "<|diag|>", " ", "\n", "x"])
        path = st.lists(move, max_size=8).map("".join)
        return st.builds("<think>{}{}{}</think>{}{}{}".format, nl, small, nl, nl, path, st.one_of(nl, small))
    search = st.lists(
        st.sampled_from(["Searching for: a\n", "Searching for:", "Result: b\n", "searching for: c\n"]), max_size=8
    ).map("".join)
    return st.builds("{}{}{}".format, search, small, st.sampled_from(["", "Paris", "\n"]))


def _text(preset: str) -> st.SearchStrategy[str]:
    return st.one_of(_free_text(preset), _shaped_text(preset))


_EXTRA_TURNS = st.lists(
    st.builds(
        lambda role, content: {"role": role, "content": content},
        st.sampled_from(["tool", "assistant", "user"]),
        st.sampled_from(["", "<answer>\n9\n</answer>\n", "</think>\n<|up|>", "Searching for: z", "ok"]),
    ),
    max_size=3,
)


def _reference(preset: str, text: str) -> st.SearchStrategy[str]:
    """A reference for `text`: often exactly what the original extracts, else a near miss or noise."""
    extracted = _extract(preset, text)
    return st.one_of(
        st.just(extracted),
        st.just(extracted),
        st.just(extracted + " "),
        st.just(extracted.strip()),
        st.just(text),
        st.sampled_from(["", "42", "<|up|><|left|>", "<|up|>", "Paris", "²"]),
        _small(preset),
    )


def _check_generated(preset: str, data: st.DataObject) -> None:
    texts = data.draw(st.lists(_text(preset), min_size=1, max_size=4), label="texts")
    completions = [_messages(t, data.draw(_EXTRA_TURNS, label="extra turns")) for t in texts]
    refs = [data.draw(_reference(preset, t), label="reference") for t in texts]
    _assert_same(preset, completions, refs)


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(data=st.data())
def test_unsloth_gsm8k_matches_the_original(data: st.DataObject) -> None:
    _check_generated("unsloth-gsm8k", data)


@_SETTINGS
@given(data=st.data())
def test_alphamaze_matches_the_original(data: st.DataObject) -> None:
    _check_generated("alphamaze", data)


@_SETTINGS
@given(data=st.data())
def test_seed_exact_retry_matches_the_original(data: st.DataObject) -> None:
    _check_generated("seed-exact-retry", data)


# ------------------------------------------------------------------ explicit edge cases

GSM8K_GOOD = "<reasoning>\n6 times 7\n</reasoning>\n<answer>\n42\n</answer>\n"
MAZE_GOOD = "<think>\nleft then up\n</think>\n<|left|><|up|>"
SEED_GOOD = "Searching for: a\nSearching for: b\nParis"

EDGE_TEXTS = [
    "",
    " ",
    "\n",
    "\r\n",
    "plain text without any tag",
    # the well-formed layouts, and the same with CRLF, trailing spaces, extra newlines
    GSM8K_GOOD,
    GSM8K_GOOD.replace("\n", "\r\n"),
    GSM8K_GOOD + "  ",
    GSM8K_GOOD.rstrip("\n"),
    GSM8K_GOOD + "\n",
    GSM8K_GOOD + "trailing words after the answer",
    "  " + GSM8K_GOOD,
    "<reasoning>\nline one\nline two\n</reasoning>\n<answer>\n42\n</answer>\n",
    "<reasoning>6 times 7</reasoning> <answer>42</answer>",
    "<reasoning>6 times 7</reasoning>\n\n<answer>42</answer> and more",
    "<answer>\n42 \n</answer>\n",
    "<answer>42",
    "42</answer>",
    "</answer>42<answer>",
    # nested and repeated tags
    "<answer><answer>42</answer></answer>",
    "<answer>\n1\n</answer>\n<answer>\n42\n</answer>\n",
    "<reasoning>\n<reasoning>\nx\n</reasoning>\n</reasoning>\n<answer>\n42\n</answer>\n",
    "<answer>\n</answer>",
    "<answer></answer>",
    "<answer>\n\n</answer>\n",
    # unicode digits and numbers str.isdigit() accepts or refuses
    "<answer>\n²\n</answer>\n",
    "<answer>\n٣\n</answer>\n",
    "<answer>\n１２\n</answer>\n",
    "<answer>\n½\n</answer>\n",
    "<answer>\n-3\n</answer>\n",
    "<answer>\n3.0\n</answer>\n",
    "<answer>\n1,000\n</answer>\n",
    "<answer>\u00a042\u2028</answer>",
    # AlphaMaze
    MAZE_GOOD,
    MAZE_GOOD.replace("\n", "\r\n"),
    MAZE_GOOD + "  \n",
    "<think>\n</think>\n",
    "<think>\nx\n</think>\n<|up|> <|down|>\n<|left|>\t<|right|>",
    "<think>\nx\n</think>\n<|up|><|diag|>",
    "<think>\nx\n</think>\n<|UP|>",
    "<think>\nx\n</think>\n<|up|>x",
    "<think>\nx\n</think>\n<|up",
    "<think>\nx\n</think>\n|><|",
    "<think>\nx\n</think>\n<|up|>|><|<|down|>",
    "<think>\nx\n</think>\n<|up|></think><|down|>",
    "</think><|up|>",
    "<|up|><|down|>",
    "<think>\n<think>\nx\n</think>\n</think>\n<|up|>",
    "<think>\nx\n</think>\n\n",
    # seed
    SEED_GOOD,
    "Searching for:",
    "Searching for:" * 2,
    "Searching for:" * 5,
    "Searching for:" * 6,
    "Searching for: a\r\nSearching for: b\r\n",
    "searching for: a\nsearching for: b\n",
    "Searching for:\nSearching for:\n" + "Paris",
    "Paris",
    "Paris ",
    "Paris\n",
]


def _edge_refs(preset: str, text: str) -> list[str]:
    extracted = _extract(preset, text)
    return [extracted, extracted + " ", text, "", "42", "<|left|><|up|>", "Paris"]


@pytest.mark.parametrize("preset", sorted(ORACLES))
@pytest.mark.parametrize("extra", [[], [{"role": "tool", "content": "tool output"}]], ids=["single", "tool-turn"])
def test_edge_cases(preset: str, extra: list[dict[str, str]]) -> None:
    for text in EDGE_TEXTS:
        refs = _edge_refs(preset, text)
        _assert_same(preset, [_messages(text, extra) for _ in refs], refs)


@pytest.mark.parametrize("preset", sorted(ORACLES))
def test_tool_turns_read_the_first_message(preset: str) -> None:
    """A completion with tool turns: the originals read completion[0]["content"], so must ours."""
    for first, later in [(GSM8K_GOOD, "<answer>\n7\n</answer>\n"), (MAZE_GOOD, "</think>\n<|down|>"),
                         (SEED_GOOD, "Searching for: c\nSearching for: d\nSearching for: e\n"), ("", GSM8K_GOOD)]:
        completion = [
            {"role": "assistant", "content": first},
            {"role": "tool", "content": later},
            {"role": "assistant", "content": later},
        ]
        refs = [_extract(preset, first), _extract(preset, later)]
        _assert_same(preset, [completion, completion], refs)
        # a first message that is not the assistant's is still what the originals read
        odd = [{"role": "tool", "content": first}, {"role": "assistant", "content": later}]
        _assert_same(preset, [odd, odd], refs)


@pytest.mark.parametrize("preset", sorted(ORACLES))
def test_transcript_dict_reads_like_the_message_list(preset: str) -> None:
    """{"messages": [...]} completions (which the originals cannot read) score like the plain list."""
    column = ORACLES[preset][1]
    lists = [_messages(t, [{"role": "tool", "content": "x"}]) for t in EDGE_TEXTS]
    dicts = [{"messages": m} for m in lists]
    refs = [_extract(preset, t) for t in EDGE_TEXTS]
    for fn in _RENDERED[preset].REWARD_FUNCS:
        assert fn(completions=dicts, **{column: refs}) == fn(completions=lists, **{column: refs})
