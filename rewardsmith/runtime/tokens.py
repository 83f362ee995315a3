"""Token counting under a transformers tokenizer (imported lazily: the module stays stdlib-only)."""

from __future__ import annotations

__all__ = ["_TOKENIZERS", "_token_count"]

_TOKENIZERS = {}


def _token_count(text, name):
    """Tokens of `text` under a transformers tokenizer, loaded once (this rule needs transformers)."""
    tokenizer = _TOKENIZERS.get(name)
    if tokenizer is None:
        from transformers import AutoTokenizer

        tokenizer = _TOKENIZERS[name] = AutoTokenizer.from_pretrained(name)
    return len(tokenizer.encode(text, add_special_tokens=False))
