"""Shared setup for the TRL integration tests.

The environment variables are set at import time (before any test module imports
``transformers``/``huggingface_hub``, which read some of them once at import) so
the tests never try to reach the network.
"""

from __future__ import annotations

import os

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
    "TOKENIZERS_PARALLELISM": "false",
}
os.environ.update(_OFFLINE_ENV)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "trl: end-to-end tests that train with TRL's GRPOTrainer (needs the `trl` extra)",
    )
