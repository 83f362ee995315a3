"""The error hierarchy: every message says where the problem is and what to do."""

from __future__ import annotations

__all__ = ["RewardsmithError", "SampleError", "SpecError", "RenderError", "ExportError", "OutputError"]


class RewardsmithError(Exception):
    """Base class: the CLI prints these as one human line and exits non-zero."""


class SampleError(RewardsmithError):
    """A samples file could not be read: carries `file:line: what is wrong`."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class SpecError(RewardsmithError):
    """A spec is invalid: carries the file, the field path and how to fix it."""

    def __init__(self, message: str, *, path: str | None = None, problems: list[str] | None = None) -> None:
        self.path = path
        self.problems = problems or []
        head = f"{path}: {message}" if path else message
        if self.problems:
            head += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(head)


class RenderError(RewardsmithError):
    """A spec could not be turned into a module (an identifier or literal was refused)."""


class ExportError(RewardsmithError):
    """An export would lose work or found drift it cannot resolve."""


class OutputError(RewardsmithError):
    """An output path names something that must not be replaced by a file (a folder, a socket, a device)."""
