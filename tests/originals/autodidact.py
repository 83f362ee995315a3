"""Test oracle (not shipped): AutoDidact's default reward functions, as they behave.

Source: dCaples/AutoDidact rl_helpers.py (build_reward_correctness_fn, check_student_answers,
reward_formatting), read for what they compute and restated here. tests/llm/test_judge.py checks the
`autodidact` preset against these, with a scripted OpenAI-compatible server standing in for the vLLM
verifier the original calls.

- reward_correctness: each completion is a chat ({"messages": [...]}); the student's answer is the
  content of its last message. The verifier model is shown the question (the prompt), the correct
  answer (the `answer` column) and that student answer, and asked for Yes or No; the reward is whether
  "yes" occurs anywhere in its reply, lower-cased — a bool.
- reward_formatting: 0.7 when no message of the chat contains "Error during", else 0.
"""

from __future__ import annotations

from collections.abc import Callable

Verifier = Callable[[str, str, str], str]  # (question, correct answer, student answer) -> the reply text


def build_reward_correctness(verifier: Verifier) -> Callable[..., list[bool]]:
    def reward_correctness(prompts, completions, **reward_kwargs):
        correct_answers = reward_kwargs["answer"]
        student_answers = [chat["messages"][-1]["content"] for chat in completions]
        replies = [verifier(q, a, s) for q, a, s in zip(prompts, correct_answers, student_answers)]
        return ["yes" in reply.lower() for reply in replies]

    return reward_correctness


def reward_formatting(prompts, completions, **reward_kwargs):
    scores = []
    for chat in completions:
        failed = any("Error during" in message["content"] for message in chat["messages"])
        scores.append(0 if failed else 0.7)
    return scores
