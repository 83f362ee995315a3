"""Test oracle (not shipped): reward functions behaving like open-r1's, written here from their documented behaviour.

open-r1 (huggingface/open-r1, src/open_r1/rewards.py) is not vendored: these functions are written
for the audit tests from what its rewards are documented to do. format: ``<think>`` then ``<answer>``
on their own lines, matched with DOTALL | MULTILINE; tag_count: 0.25 for each of the four tags
present exactly once; reasoning_steps: step markers counted, ``min(1, count / 3)``; a timed answer
check that guards itself with ``signal.alarm`` (how math-verify times parsing), which raises off the
main thread.
"""

import re
import signal


def format_reward(completions, **kwargs):
    layout = r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$"
    texts = [c[0]["content"] for c in completions]
    return [1.0 if re.match(layout, t, re.DOTALL | re.MULTILINE) else 0.0 for t in texts]


def tag_count_reward(completions, **kwargs):
    def score(text):
        tags = ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>")
        return sum(0.25 for tag in tags if text.count(tag) == 1)

    return [score(c[0]["content"]) for c in completions]


def reasoning_steps_reward(completions, **kwargs):
    markers = r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)"
    texts = [c[0]["content"] for c in completions]
    return [min(1.0, len(re.findall(markers, t)) / 3) for t in texts]


def _on_timeout(signum, frame):
    raise TimeoutError("answer check timed out")


def timed_accuracy_reward(completions, answer, **kwargs):
    out = []
    for c, gold in zip(completions, answer):
        signal.signal(signal.SIGALRM, _on_timeout)
        signal.alarm(5)
        try:
            found = re.findall(r"<answer>\s*(.*?)\s*</answer>", c[0]["content"], re.DOTALL)
            out.append(1.0 if found and found[-1] == str(gold).strip() else 0.0)
        finally:
            signal.alarm(0)
    return out
