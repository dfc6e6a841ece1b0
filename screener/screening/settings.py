"""Review settings: who screens, how many decisions a record needs, the exclusion reasons.

Core module: no IO. The caller reads `review.toml` and passes its text and path to
`ReviewSettings.from_toml_text`, so every error names the file and the key. `to_json` /
`from_json` round-trip the form kept in the `settings` table. `validate_decision` holds the
rules a single decision must obey before it is stored.

A `review.toml` (every key optional; these are the defaults, except the names):

    reviewers = ["alice", "bob"]
    adjudicators = ["carol"]              # may also be reviewers
    exclusion_reasons = ["Wrong population", ...]
    maybe_counts_as = "include"           # or "exclude"
    reason_conflicts_at_full_text = true
    include_terms = ["alopeci*", "hair loss"]
    exclude_terms = ["mice", "rat*"]
    order = "relevance"                   # title-abstract queue: relevance | random | stored

    [required]                            # or `required = 2` for both stages
    title-abstract = 2
    full-text = 2

    [reason_required]                     # or `reason_required = true` for both stages
    title-abstract = false
    full-text = true
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from screener.errors import ScreenerError

STAGES = ("title-abstract", "full-text")
TITLE_ABSTRACT, FULL_TEXT = STAGES
DECISIONS = ("include", "exclude", "maybe", "not-retrieved")
INCLUDE, EXCLUDE, MAYBE, NOT_RETRIEVED = DECISIONS
MAYBE_CHOICES = (INCLUDE, EXCLUDE)
# The title-abstract queue order: ranked by each reviewer's own model, the review's seeded
# random order, or the stored (record id) order. A review without the key (set up before
# ranking existed) keeps the stored order; `review init` sets relevance for new reviews.
ORDERS = ("relevance", "random", "stored")
RELEVANCE, RANDOM, STORED = ORDERS

DEFAULT_EXCLUSION_REASONS = (
    "Wrong population",
    "Wrong intervention",
    "Wrong comparator",
    "Wrong outcome",
    "Wrong study design",
    "Duplicate report",
    "Not in English",
    "Conference abstract only",
)
_DEFAULT_REQUIRED = ((TITLE_ABSTRACT, 2), (FULL_TEXT, 2))
_DEFAULT_REASON_REQUIRED = ((TITLE_ABSTRACT, False), (FULL_TEXT, True))
_NAME_LISTS = ("reviewers", "adjudicators")
_TEXT_LISTS = ("reviewers", "adjudicators", "exclusion_reasons", "include_terms", "exclude_terms")


class SettingsError(ScreenerError):
    """`review.toml` or the stored review settings are malformed or inconsistent.

    `problem` is the message without the file name, so a caller can say where it came from.
    """

    def __init__(self, problem: str, where: str = "review settings") -> None:
        super().__init__(f"{where}: {problem}")
        self.problem = problem


class DecisionError(ScreenerError):
    """A decision or resolution breaks the review's rules (stage, decision, reason, who)."""


@dataclass(frozen=True)
class ReviewSettings:
    """How a review screens. Frozen and hashable.

    `required` and `reason_required` hold one (stage, value) pair per stage in `STAGES`
    order; the constructor also accepts a mapping (missing stages take the default) or a
    single value for both stages. Lists are turned into tuples. Every inconsistency raises
    `SettingsError` naming the key.
    """

    reviewers: tuple[str, ...] = ()
    required: tuple[tuple[str, int], ...] = _DEFAULT_REQUIRED
    adjudicators: tuple[str, ...] = ()
    exclusion_reasons: tuple[str, ...] = DEFAULT_EXCLUSION_REASONS
    reason_required: tuple[tuple[str, bool], ...] = _DEFAULT_REASON_REQUIRED
    maybe_counts_as: str = INCLUDE
    reason_conflicts_at_full_text: bool = True
    include_terms: tuple[str, ...] = ()
    exclude_terms: tuple[str, ...] = ()
    order: str = STORED

    def __post_init__(self) -> None:
        for name in _TEXT_LISTS:
            object.__setattr__(self, name, _as_tuple(getattr(self, name), name))
        object.__setattr__(self, "required", _per_stage(self.required, "required"))
        reason_required = _per_stage(self.reason_required, "reason_required")
        object.__setattr__(self, "reason_required", reason_required)
        problem = _first_problem(self)
        if problem:
            raise SettingsError(problem)

    def required_for(self, stage: str) -> int:
        """How many independent decisions a record needs at `stage`."""
        return dict(self.required)[_known_stage(stage)]

    def reason_required_for(self, stage: str) -> bool:
        """Whether an exclusion at `stage` must carry a reason."""
        return dict(self.reason_required)[_known_stage(stage)]

    def canonical_reason(self, reason: str) -> str:
        """The listed spelling of `reason` when it matches one ignoring case and spacing,
        else `reason` stripped. Call it on what a person typed before `validate_decision`."""
        key = _reason_key(reason)
        for listed in self.exclusion_reasons:
            if _reason_key(listed) == key:
                return listed
        return " ".join(reason.split())

    def validate_decision(self, stage: str, decision: str, reason: str = "") -> None:
        """Raise `DecisionError` (one line saying what to do) unless the decision is valid.

        Rules: the stage and decision must be known; not-retrieved exists only at
        full-text; only exclude carries a reason (other remarks go in the note); an
        exclusion needs a reason where `reason_required_for(stage)`; at full-text a
        reason must be one of `exclusion_reasons` exactly (PRISMA counts full-text
        exclusions by reason), while at title-abstract free text is accepted. With an
        empty `exclusion_reasons` list any non-empty reason is accepted.
        """
        if stage not in STAGES:
            raise DecisionError(f"unknown stage {stage!r}: use title-abstract or full-text.")
        if decision not in DECISIONS:
            raise DecisionError(
                f"unknown decision {decision!r}: use include, exclude, maybe or not-retrieved."
            )
        if decision == NOT_RETRIEVED and stage == TITLE_ABSTRACT:
            raise DecisionError(
                "not-retrieved is a full-text decision: at title-abstract decide include, "
                "exclude or maybe."
            )
        if reason.strip() and decision != EXCLUDE:
            raise DecisionError(
                f"a reason goes with exclude only, not with {decision}: put other remarks "
                "in the note."
            )
        if decision == EXCLUDE:
            self._check_reason(stage, reason)

    def _check_reason(self, stage: str, reason: str) -> None:
        choices = "; ".join(self.exclusion_reasons)
        if not reason.strip():
            if self.reason_required_for(stage):
                listed = f": one of {choices}" if choices else ""
                raise DecisionError(f"an exclusion at {stage} needs a reason{listed}.")
            return
        if stage == FULL_TEXT and self.exclusion_reasons and reason not in self.exclusion_reasons:
            raise DecisionError(
                f"{reason!r} is not one of this review's exclusion reasons; at full-text the "
                f"reason must come from the list in review.toml: {choices}."
            )

    def to_json(self) -> str:
        """The settings as JSON for the `settings` table (round-trips through `from_json`)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            data[f.name] = dict(value) if f.name in ("required", "reason_required") else value
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReviewSettings:
        where = "stored review settings"
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"not valid JSON ({exc}).", where) from None
        if not isinstance(data, dict):
            raise SettingsError("must be a JSON object of settings.", where)
        return cls._from_mapping(data, where)

    @classmethod
    def from_toml_text(cls, text: str, path: str) -> ReviewSettings:
        """Parse a `review.toml`; raise `SettingsError` naming `path` and the key."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(
                f"not valid TOML ({exc}). Fix the syntax and retry.", path
            ) from None
        return cls._from_mapping(data, path)

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any], where: str) -> ReviewSettings:
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise SettingsError(
                f"unknown key {unknown[0]} (known keys: {', '.join(known)}).", where
            )
        try:
            return cls(**data)
        except SettingsError as exc:
            raise SettingsError(exc.problem, where) from None


def _known_stage(stage: str) -> str:
    if stage not in STAGES:
        raise DecisionError(f"unknown stage {stage!r}: use title-abstract or full-text.")
    return stage


def _reason_key(reason: str) -> str:
    return " ".join(reason.split()).casefold()


def _as_tuple(value: object, key: str) -> tuple:
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return tuple(value)
    raise SettingsError(f'{key} must be a list of strings, e.g. {key} = ["..."].')


def _per_stage(value: object, key: str) -> tuple[tuple[str, Any], ...]:
    """Normalize a per-stage setting to ((stage, value), ...) in STAGES order."""
    default = dict(_DEFAULT_REQUIRED if key == "required" else _DEFAULT_REASON_REQUIRED)
    if isinstance(value, Mapping):
        pairs: Iterable = value.items()
    elif isinstance(value, tuple | list) and all(
        isinstance(p, tuple | list) and len(p) == 2 for p in value
    ):
        pairs = value
    elif isinstance(value, bool | int):
        pairs = [(stage, value) for stage in STAGES]
    else:
        raise SettingsError(
            f"{key} must be a table with title-abstract and full-text keys, or one value."
        )
    merged = dict(default)
    for stage, stage_value in pairs:
        name = stage.replace("_", "-") if isinstance(stage, str) else stage
        if name not in STAGES:
            raise SettingsError(f"unknown key {key}.{stage} (stages: {', '.join(STAGES)}).")
        merged[name] = stage_value
    return tuple((stage, merged[stage]) for stage in STAGES)


def _first_problem(s: ReviewSettings) -> str:
    """The first thing wrong with `s`, said as a message naming the key, or ''."""
    checks = (
        _text_list_problem(s),
        _required_problem(s),
        _reason_required_problem(s),
        _maybe_problem(s),
        _order_problem(s),
    )
    return next((problem for problem in checks if problem), "")


def _text_list_problem(s: ReviewSettings) -> str:
    for key in _TEXT_LISTS:
        values = getattr(s, key)
        for value in values:
            if not isinstance(value, str) or not value.strip():
                return f"{key} must hold non-empty strings, not {value!r}."
        seen: set[str] = set()
        for value in values:
            folded = _reason_key(value) if key == "exclusion_reasons" else value
            if folded in seen:
                return f"{key} lists {value!r} twice."
            seen.add(folded)
    for key in _NAME_LISTS:
        for value in getattr(s, key):
            if value != value.strip():
                return f"{key}: name {value!r} has spaces around it."
    return ""


def _required_problem(s: ReviewSettings) -> str:
    for stage, value in s.required:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"required.{stage} must be a whole number of decisions, not {value!r}."
        if value < 1:
            return f"required.{stage} = {value}: a record needs at least 1 decision."
        if s.reviewers and value > len(s.reviewers):
            return (
                f"required.{stage} = {value} but only {len(s.reviewers)} reviewers are "
                "listed: add reviewers or lower the number."
            )
    return ""


def _reason_required_problem(s: ReviewSettings) -> str:
    for stage, value in s.reason_required:
        if not isinstance(value, bool):
            return f"reason_required.{stage} must be true or false, not {value!r}."
    return ""


def _maybe_problem(s: ReviewSettings) -> str:
    if s.maybe_counts_as not in MAYBE_CHOICES:
        return f'maybe_counts_as = {s.maybe_counts_as!r}: use "include" or "exclude".'
    if not isinstance(s.reason_conflicts_at_full_text, bool):
        value = s.reason_conflicts_at_full_text
        return f"reason_conflicts_at_full_text must be true or false, not {value!r}."
    return ""


def _order_problem(s: ReviewSettings) -> str:
    if s.order not in ORDERS:
        return f"order = {s.order!r}: use " + ", ".join(f'"{o}"' for o in ORDERS) + "."
    return ""
