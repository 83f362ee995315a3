"""Test oracle (not shipped): the seed note's V1 pseudo-code for a search agent.

Source: /work/shared/seed/reward-functions-notes.md ("Psuedo code"): reward_exact_match and
reward_retry_behavior. tests/test_preset_equivalence.py checks the `seed-exact-retry` preset
against these.

One deliberate change: the pseudo-code compares each response with the whole `expected_result`
argument (`r == expected_result`). Under TRL that argument is the dataset column, one value per
completion (a list), so a string response never equals it and the reward is always 0.0. The preset
compares each response with its own row's value (see the comment in
rewardsmith/presets/seed-exact-retry.yaml), and so does this oracle.
"""

import re


def reward_exact_match(completions, expected_result, **kwargs) -> list[float]:
    """Reward exact matches with search results.

    Returns 1.0 for exact match, 0.0 otherwise."""
    responses = [completion[0]["content"] for completion in completions]
    # Row-wise: the pseudo-code's `r == expected_result` compared with the whole column.
    return [1.0 if r == e else 0.0 for r, e in zip(responses, expected_result)]


def reward_retry_behavior(completions, **kwargs) -> list[float]:
    """Reward retrying search behavior but cap it.

    Returns:
    - 0.5 for 2-5 search attempts
    - 0.0 for <2 or >5 attempts to avoid reward hacking
    """

    def count_search_attempts(response):
        # Adjust this pattern based on how your search attempts are formatted
        search_pattern = r"Searching for:.*?"
        attempts = len(re.findall(search_pattern, response))
        if 2 <= attempts <= 5:
            return 0.5
        return 0.0

    responses = [completion[0]["content"] for completion in completions]
    return [count_search_attempts(r) for r in responses]


REWARD_FUNCS = [reward_exact_match, reward_retry_behavior]
