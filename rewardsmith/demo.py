"""The bundled demo catalogue: which demo sets exist, their files, tasks and reference columns, and which presets apply.

The one place that names the demo sets. The loader (`samples`), the CLI (`rewardsmith demo`), the workbench (the
session a demo opens with) and `scripts/make_demo_data.py` (which writes the files) all read it, so adding a set
is one entry here plus its builder in the script.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_DEMO", "DEMO_DIR", "DEMO_SETS", "DemoSet", "demo_for_path", "demo_path", "demo_presets", "demo_set"]

# Inside the package, so an installed rewardsmith has its demo without a source checkout.
DEMO_DIR = Path(__file__).resolve().parent / "data" / "demo"


@dataclass(frozen=True)
class DemoSet:
    """One bundled sample set.

    Attributes:
        name: what users type (`rewardsmith tui` opens `DEFAULT_DEMO`; the open dialog has a button per set).
        title: a few words saying what the samples are (the command palette shows them).
        task: the task statement the proposer and the workbench's session start from.
        reference_columns: the dataset columns the set passes to rewards as keyword arguments.
        presets: the bundled presets written for this set's format; `rewardsmith demo` exports each on it.
    """

    name: str
    title: str
    task: str
    reference_columns: tuple[str, ...]
    presets: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        """The file name under `DEMO_DIR`; the files use the canonical field names, so no field map is needed."""
        return f"{self.name}.jsonl"

    @property
    def path(self) -> Path:
        """Where the set's samples are."""
        return DEMO_DIR / self.file

    @property
    def spec_name(self) -> str:
        """The name of the spec proposed for this set (and of its export folder)."""
        return f"{self.name}-demo"


_CATALOGUE: tuple[DemoSet, ...] = (
    DemoSet(name="search", title="agentic search QA",
            task="Answer a multi-hop trivia question; search with <search>, answer in <answer>.",
            reference_columns=("answer", "aliases")),
    DemoSet(name="math", title="GSM8K-style math",
            task="Solve a grade-school math word problem; reason in <reasoning>, answer in <answer>.",
            reference_columns=("answer",), presets=("unsloth-gsm8k",)),
    DemoSet(name="maze", title="grid maze",
            task="Solve a grid maze; think in <think>, then emit direction tokens.",
            reference_columns=("answer",), presets=("alphamaze",)),
)
_BY_NAME = {demo.name: demo for demo in _CATALOGUE}

DEMO_SETS: tuple[str, ...] = tuple(_BY_NAME)
DEFAULT_DEMO = "search"


def demo_set(name: str) -> DemoSet:
    """The catalogue entry of a demo set; a ValueError naming the choices for an unknown name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown demo set {name!r}; choose one of {', '.join(DEMO_SETS)}") from None


def demo_path(name: str) -> Path:
    """Path of a bundled demo sample set (``rewardsmith/data/demo/{name}.jsonl``)."""
    return demo_set(name).path


def demo_for_path(path: str | Path) -> DemoSet | None:
    """The demo set stored at `path`, or None when it is not one of the bundled files."""
    resolved = Path(path).resolve()
    return next((demo for demo in _CATALOGUE if demo.path == resolved), None)


def demo_presets() -> list[tuple[str, DemoSet]]:
    """Every (preset, demo set it applies to), in catalogue order."""
    return [(preset, demo) for demo in _CATALOGUE for preset in demo.presets]
