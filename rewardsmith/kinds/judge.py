"""The LLM-judge kind: a model on an OpenAI-compatible endpoint says whether the answer matches the reference.

The seed's ``reward_correctness`` (AutoDidact's verifier). The generated function is ``async``: TRL
detects coroutine reward functions and runs them concurrently on its own event loop, so a batch of
judge calls overlaps with the other async rewards instead of blocking the step.

What the spec holds is configuration, never a secret: the judge model's name and how to ask it.
Where requests go and which environment variable holds the key are the user's settings
(rewardsmith.judging): a spec may name ``base_url`` and ``api_key_env`` (credentials in the URL are
refused), but they are used only once the user has confirmed them; a rule settled that way is
*approved*, and only an approved rule's key variable reaches the bench's workers.
The generated module imports ``openai`` lazily, the first time the rule runs.

The verdict is parsed strictly: the whole reply, trimmed of whitespace, quotes, markdown emphasis
and a final period, must be one of ``yes_words`` or ``no_words`` (AutoDidact's ``"yes" in reply``
would count "Yes and no", "not yes" or "eyes" as correct). Anything else, a timeout, an HTTP error
or a missing ``openai`` package falls under ``on_failure``: ``null`` (not applicable: TRL skips the
score), ``0.0`` or any value — declared in the spec, so the choice is visible and reviewed.
Verdicts are cached in memory by request, so a completion repeated in a group is judged once.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, field_validator, model_validator

from .answers import _identifier, extract_render
from .base import Extract, Kind, KindParams, Render, Scope, py

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_JUDGE_PROMPT", "DEFAULT_KEY_ENV", "Judge", "JudgeParams", "check_base_url",
           "check_env_name"]

# The grading instruction AutoDidact's verifier uses, in substance: question, correct answer,
# student answer, reply Yes or No. Placeholders are substituted in one pass (text that contains
# "{answer}" cannot smuggle another field in).
DEFAULT_JUDGE_PROMPT = (
    "You are grading a student's answer. For the following question, compare the student's answer "
    "to the correct answer. Reply with 'Yes' if the student's answer is correct, or 'No' if it is "
    "completely incorrect. Reply with the one word only.\n\n"
    "Question: {question}\n"
    "Correct Answer: {reference}\n"
    "Student Answer: {answer}\n"
)
_PLACEHOLDERS = ("question", "reference", "answer")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
# What a judge rule uses when neither the user nor an approved spec says otherwise: a local server.
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def check_base_url(value: str) -> str:
    """An http(s) endpoint URL without credentials, query or fragment; ValueError says what to write."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an http(s) URL such as http://127.0.0.1:8000/v1")
    if parts.username or parts.password or "@" in parts.netloc:
        raise ValueError("base_url must not carry credentials; put the key in an environment variable "
                         "and name that variable")
    if parts.query or parts.fragment or len(value) > 500:
        raise ValueError("base_url is a plain endpoint URL (no query, no fragment, at most 500 characters)")
    return value


def check_env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError("the key variable is the NAME of an environment variable (like OPENAI_API_KEY), "
                         "never the key itself")
    return value


class JudgeParams(KindParams):
    base_url: str | None = Field(None, description="the OpenAI-compatible endpoint (…/v1); used only when the "
                                                   "user confirms it (--trust-judge-endpoint), else theirs")
    model: str = Field(..., min_length=1, max_length=200, description="the judge model's name on that endpoint")
    api_key_env: str | None = Field(None, description="NAME of the environment variable holding the key "
                                                      "(never the key itself); used only when the user confirms it")
    prompt: str = Field(DEFAULT_JUDGE_PROMPT, description="the judge's instruction; {question}, {reference} "
                                                           "and {answer} are filled in")
    question: bool = Field(True, description="fill {question} with the prompt's last user message")
    extract: Extract = Field(default_factory=lambda: Extract(method="whole"))
    reference: str = Field("answer", description="dataset column holding the reference answer")
    yes_words: list[str] = Field(default_factory=lambda: ["yes", "correct"], min_length=1, max_length=16)
    no_words: list[str] = Field(default_factory=lambda: ["no", "incorrect"], min_length=1, max_length=16)
    score_match: float = 1.0
    score_miss: float = 0.0
    on_failure: float | None = Field(None, description="score when the judge cannot be reached or its reply is "
                                                       "not a verdict: null (TRL skips it), 0.0 or a value")
    timeout: float = Field(30.0, gt=0.0, le=600.0, description="seconds per judge request")
    max_retries: int = Field(1, ge=0, le=5, description="retries on 429, 5xx and connection errors")
    max_tokens: int = Field(8, ge=1, le=1024)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    concurrency: int = Field(16, ge=1, le=256, description="judge requests in flight at once")
    scope: Scope = "last"

    _approved: bool = PrivateAttr(False)  # set by rewardsmith.judging only: never from a spec's text

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        return None if value is None else check_env_name(value)

    def approve(self) -> None:
        """Mark the endpoint and key variable as the user's (rewardsmith.judging.apply_judge_settings)."""
        self._approved = True

    @property
    def approved(self) -> bool:
        return self._approved

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        return _identifier(value)

    @field_validator("yes_words", "no_words")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        words = [w.strip().lower() for w in value]
        if any(not w or len(w) > 40 for w in words):
            raise ValueError("verdict words are 1 to 40 characters")
        return words

    @model_validator(mode="after")
    def _valid(self) -> JudgeParams:
        if set(self.yes_words) & set(self.no_words):
            raise ValueError("a word cannot mean both yes and no")
        if "{answer}" not in self.prompt:
            raise ValueError("the prompt must contain {answer}, or the judge never sees the answer")
        if "{question}" in self.prompt and not self.question:
            raise ValueError("the prompt uses {question} but question is false")
        return self


class Judge(Kind):
    name = "judge"
    family = "judge"
    summary = "a model on an OpenAI-compatible endpoint judges the answer against the reference (async)"
    catalogue = (
        "Asks `model` at the user's judge endpoint (their settings, not the spec's) whether the extracted answer matches the reference column, with "
        "`prompt` (question, reference and answer filled in). Scores score_match on a yes, score_miss "
        "on a no; the reply must be exactly one verdict word, else on_failure (also on timeouts and "
        "HTTP errors). Costs one request per new completion at training time; use it when no rule "
        "can decide correctness (free-form answers, paraphrases). AutoDidact's reward_correctness."
    )
    Params = JudgeParams
    binary = True
    asynchronous = True
    variants = ()  # each variant is a paid request per sample: the probes below are the checks that matter
    probes = ("or_list", "multiple_answers")
    # It calls a model at training time: a user adds it on purpose, a proposer never slips it in.
    llm_proposable = False

    @classmethod
    def needs(cls, params: JudgeParams) -> tuple[str, ...]:  # type: ignore[override]
        return ("openai for the LLM judge (imported when first used) and the judge endpoint",)

    @classmethod
    def columns(cls, params: JudgeParams) -> list[str]:  # type: ignore[override]
        return [params.reference]

    @classmethod
    def render(cls, params: JudgeParams) -> Render:  # type: ignore[override]
        out = Render()
        extract_render(out, params.extract)
        # What the spec names is rendered only once the user approved it: any other module asks the
        # local default endpoint, and the bench gives its workers no key for it.
        base_url = (params.base_url if params.approved else None) or DEFAULT_BASE_URL
        key_env = (params.api_key_env if params.approved else None) or DEFAULT_KEY_ENV
        out.lit.update(
            question=py(params.question),
            base_url=py(base_url),
            model=py(params.model),
            api_key_env=py(key_env),
            prompt=py(params.prompt),
            yes_words=py(frozenset(params.yes_words)),
            no_words=py(frozenset(params.no_words)),
            score_match=py(params.score_match),
            score_miss=py(params.score_miss),
            on_failure=py(params.on_failure),
            timeout=py(params.timeout),
            max_retries=py(params.max_retries),
            max_tokens=py(params.max_tokens),
            temperature=py(params.temperature),
            concurrency=py(params.concurrency),
        )
        return out


JUDGE_KINDS: tuple[type[Kind], ...] = (Judge,)
