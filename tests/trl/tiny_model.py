"""Build a tiny random causal LM and a matching tokenizer entirely offline.

Nothing here touches the Hugging Face Hub: the tokenizer is a byte-level BPE
trained in-process on a few dozen sentences, and the model is a randomly
initialised ``LlamaForCausalLM`` built from a config. Both are saved to a
directory so ``GRPOTrainer`` can load them by path, exactly as it would a real
checkpoint.
"""

from __future__ import annotations

from pathlib import Path

BOS = "<|bos|>"
EOS = "<|eos|>"
PAD = "<|pad|>"
UNK = "<|unk|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [PAD, BOS, EOS, UNK, IM_START, IM_END]
TAG_TOKENS = ["<reasoning>", "</reasoning>", "<answer>", "</answer>", "<think>", "</think>"]

# ChatML-style template. `add_generation_prompt` opens the assistant turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_CORPUS = [
    "What is two plus two?",
    "Natalia sold clips to 48 of her friends in April.",
    "She sold half as many clips in May.",
    "How many clips did Natalia sell altogether in April and May?",
    "Weng earns 12 dollars an hour for babysitting.",
    "Yesterday she just did 50 minutes of babysitting. How much did she earn?",
    "Betty is saving money for a new wallet which costs 100 dollars.",
    "James writes a 3 page letter to 2 different friends twice a week.",
    "Mark has a garden with flowers. He planted plants of three colors.",
    "Albert is wondering how much pizza he can eat in one day.",
    "Respond in the following format: <reasoning> ... </reasoning> <answer> ... </answer>",
    "<reasoning> 48 / 2 = 24 and 48 + 24 = 72 </reasoning> <answer> 72 </answer>",
    "<reasoning> 12 / 60 = 0.2 and 0.2 * 50 = 10 </reasoning> <answer> 10 </answer>",
    "<think> Let me add the numbers step by step. </think> <answer> 4 </answer>",
    "<think> First compute the total, then subtract. </think> <answer> 5 </answer>",
    "The answer is 42.",
    "You are a helpful assistant. Think step by step.",
    "system user assistant",
    "Solve the math problem and put the final answer in the answer tags.",
    "A robe takes 2 bolts of blue fiber and half that much white fiber.",
    "Josh decides to try flipping a house. He buys a house for 80000 dollars.",
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning.",
    "Carla is downloading a 200 GB file. Normally she can download 2 GB per minute.",
    "Toulouse has twice as many sheep as Charleston.",
    "John drives for 3 hours at a speed of 60 mph and then turns around.",
    "Eliza's rate per hour for the first 40 hours she works each week is 10 dollars.",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 24 42 72 100",
    "+ - * / = ( ) . , ? ! : ; ' \"",
    "the quick brown fox jumps over the lazy dog",
    "first second third then next finally therefore so because",
]

VOCAB_SIZE = 512


def build_tokenizer():
    """Train a tiny byte-level BPE tokenizer and wrap it in a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS, trainer=trainer)
    # The tags are regular (non-special) added tokens so they survive `skip_special_tokens=True` decoding,
    # which is what GRPOTrainer uses to build the completions passed to reward functions.
    tok.add_tokens(TAG_TOKENS)

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        additional_special_tokens=[IM_START, IM_END],
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_model(tokenizer):
    """A randomly initialised 2-layer Llama with hidden size 32, sized to ``tokenizer``."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return model


def save_tiny_model(directory: str | Path) -> Path:
    """Build the tokenizer and model and save both to ``directory``; return the path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    model = build_model(tokenizer)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    return directory
