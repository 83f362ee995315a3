"""Test oracle (not shipped): AlphaMaze's GRPO reward functions.

Source: menloresearch/visual-thinker, training/grpo_stage.py (the functions passed to GRPOTrainer:
xmlcount_reward_func, int_reward_func, correctness_reward_func). Behaviour is kept verbatim; the
logger.debug() calls of correctness_reward_func are dropped, and the bare `except:` of
extract_xml_answer is narrowed to IndexError (the only exception str.split()[1] can raise).
tests/test_preset_equivalence.py checks the `alphamaze` preset against these.
"""

import re


def extract_xml_answer(text: str) -> str:
    try:
        answer = text.split("</think>")[1]
        return answer.strip()
    except IndexError:
        return ""


def correctness_reward_func(prompts, completions, answer, **kwargs) -> list[float]:
    rewards = []
    responses = [completion[0]["content"] for completion in completions]
    extracted_responses = [extract_xml_answer(r) for r in responses]
    for r, a in zip(extracted_responses, answer):
        if r == a:
            direction = r.split("|><|")
            rewards.append(len(direction) * 0.2)
        else:
            rewards.append(0.0)
    return rewards


def int_reward_func(completions, **kwargs) -> list[float]:
    allowed_tokens = {"<|up|>", "<|down|>", "<|right|>", "<|left|>"}

    responses = [completion[0]["content"] for completion in completions]
    extracted_responses = [extract_xml_answer(r) for r in responses]

    def is_valid_sequence(seq):
        seq_no_whitespace = re.sub(r"\s+", "", seq)
        if not seq_no_whitespace:
            return False
        found_tokens = re.findall(r"<\|(?:up|down|right|left)\|>", seq_no_whitespace)
        reconstructed = "".join(found_tokens)
        if reconstructed != seq_no_whitespace:
            return False
        return all(token in allowed_tokens for token in found_tokens)

    return [1.0 if is_valid_sequence(r) else 0.0 for r in extracted_responses]


def count_xml(text) -> float:
    count = 0.0
    if text.count("<think>\n") == 1:
        count += 0.125
    if text.count("\n</think>\n") == 1:
        count += 0.125
    return count


def xmlcount_reward_func(completions, **kwargs) -> list[float]:
    contents = [completion[0]["content"] for completion in completions]
    return [count_xml(c) for c in contents]


REWARD_FUNCS = [xmlcount_reward_func, int_reward_func, correctness_reward_func]
