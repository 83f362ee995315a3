"""Every exception rewardsmith raises; each message says where the problem is and what to do.

The hierarchy::

    RewardsmithError                the CLI prints these as one line and exits non-zero
    ├── SampleError                 a samples file could not be read (file:line)
    ├── SpecError                   a spec is invalid (file, field paths)
    ├── RenderError                 a spec could not become a module
    ├── BenchError                  the rendered module would not load, or the worker failed
    ├── AuditError                  an audit target cannot be loaded or read (rewardsmith audit)
    ├── ExportError                 an export would lose work, or found drift
    ├── TrialError                  a trial cannot run (trl missing, an unknown rule, too few prompts)
    ├── OutputError                 an output path names a folder, a socket or a device
    ├── PatternTimeout              a spec's pattern ran past its time limit and was stopped
    ├── PersonaError                a persona name or file that cannot be used
    ├── LLMConfigError              the LLM settings are incomplete or contradictory
    └── LLMError                    a request to the model failed
        ├── LLMUnavailable          litellm is not installed
        ├── LLMTimeout              no answer in time, after every retry
        ├── LLMServerError          429 / 5xx / dropped connection, after every retry
        ├── LLMRequestError         the server refused the request (retrying cannot help)
        ├── LLMCancelled            the user cancelled
        ├── BudgetExceeded          a token cap would be passed
        └── LLMOutputError          the answer is not a valid spec, even after the repair rounds

    InvalidAnswer                   internal (an Exception, not a RewardsmithError): one answer's
                                    problems, for the repair prompt; it never reaches the user, the
                                    proposer turns a second one into LLMOutputError
    PatternRunnerStopped            internal to rewardsmith.patterns: its child did not answer in time
    PatternRunnerDied               internal to rewardsmith.patterns: its child exited before answering

Catch :class:`RewardsmithError` to handle everything a user can fix; :class:`LLMError` for what a
model request can do; the leaves when the remedy differs (retry later, raise a cap, fix a key).
"""

from __future__ import annotations

from .excerpt import excerpt

__all__ = [
    "AuditError",
    "BenchError",
    "BudgetExceeded",
    "ExportError",
    "InvalidAnswer",
    "LLMCancelled",
    "LLMConfigError",
    "LLMError",
    "LLMOutputError",
    "LLMRequestError",
    "LLMServerError",
    "LLMTimeout",
    "LLMUnavailable",
    "OutputError",
    "PatternRunnerDied",
    "PatternRunnerStopped",
    "PatternTimeout",
    "PersonaError",
    "RenderError",
    "RewardsmithError",
    "SampleError",
    "SpecError",
    "TrialError",
]

OUTPUT_SHOWN = 2000  # characters of a bad answer quoted in LLMOutputError


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


class BenchError(RewardsmithError):
    """The module could not be loaded, or the worker could not run."""


class AuditError(RewardsmithError):
    """An audit target that cannot be loaded or read; the message says which and what to do."""


class ExportError(RewardsmithError):
    """An export would lose work or found drift it cannot resolve."""


class TrialError(RewardsmithError):
    """A trial that cannot run: trl missing, a rule not in the spec, too few prompts."""


class OutputError(RewardsmithError):
    """An output path names something that must not be replaced by a file (a folder, a socket, a device)."""


class PatternTimeout(RewardsmithError):
    """A spec's pattern ran past its time limit and was stopped; the message says what to do."""

    def __init__(self, pattern: str, seconds: float, length: int) -> None:
        self.pattern, self.seconds, self.length = pattern, seconds, length
        shown = pattern if len(pattern) <= 60 else pattern[:57] + "..."
        super().__init__(
            f"pattern timed out: {shown!r} ran over {seconds:g} s on a {length:,}-character text and was stopped "
            "(it backtracks on this text); rewrite it so each piece of text can be matched one way only — merge "
            "adjacent repeats, use a negated class such as [^<]* instead of .*?, or bound the repeat ({0,200})")


class PersonaError(RewardsmithError):
    """A persona name or file that cannot be used."""


class LLMConfigError(RewardsmithError):
    """The LLM settings are incomplete or contradictory (no model, a bad config file …)."""


class LLMError(RewardsmithError):
    """Base of every LLM proposer failure; the message says what happened and what to do."""


class LLMUnavailable(LLMError):
    """litellm is not installed."""


class LLMTimeout(LLMError):
    """The server did not answer within the timeout, after every retry."""


class LLMServerError(LLMError):
    """429 or 5xx (or a dropped connection) after every retry."""


class LLMRequestError(LLMError):
    """The server refused the request (bad key, unknown model, bad request): retrying cannot help."""


class LLMCancelled(LLMError):
    """The user cancelled."""


class BudgetExceeded(LLMError):
    """A request or the session would go over its token cap."""


class LLMOutputError(LLMError):
    """The model's answer was not a valid spec, even after the repair rounds (``LLMSettings.repair_rounds``).

    Args:
        message: what failed, ending with a colon (the problems follow it).
        output: the answer as it came back (kept whole; the message quotes its head and tail).
        problems: what is wrong with it.
        first_problems: what was wrong with the first answer, when there were repair rounds.
    """

    def __init__(self, message: str, *, output: str, problems: list[str], first_problems: list[str] | None = None):
        self.output = output
        self.problems = problems
        self.first_problems = first_problems or []
        shown = excerpt(output, OUTPUT_SHOWN) if output.strip() else "(an empty answer)"
        text = message + "\n" + "\n".join(f"  - {p}" for p in problems[:20])
        text += f"\nwhat came back:\n{shown}"
        super().__init__(text)


class InvalidAnswer(Exception):
    """An answer that is not a valid spec; carries the problems for the repair prompt."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PatternRunnerStopped(Exception):
    """rewardsmith.patterns' child did not answer in time (it has been killed)."""


class PatternRunnerDied(Exception):
    """rewardsmith.patterns' child exited (or was killed) before answering."""
