"""rewardsmith.runtime.tokens: the tokenizer cache."""

from __future__ import annotations

from rewardsmith.runtime.tokens import _TOKENIZERS, _token_count


class _Words:
    """A stand-in tokenizer object with the one method _token_count calls (whitespace tokens)."""

    def encode(self, text, add_special_tokens=False):
        return text.split()


class TestTokenCount:
    def test_a_cached_tokenizer_is_used_without_loading(self):
        _TOKENIZERS["words-for-test"] = _Words()
        try:
            assert _token_count("a b  c", "words-for-test") == 3
            assert _token_count("", "words-for-test") == 0
        finally:
            del _TOKENIZERS["words-for-test"]
