"""Screening core: settings, decisions, outcomes, conflicts, blinding, agreement, highlights.

Core package: pure functions and frozen dataclasses. No IO, no SQL, no click / textual /
rich. The store loads rows into `Vote` and `Resolution`; everything else is derived here.

- `settings`: `STAGES`, `DECISIONS`, `ReviewSettings` (`from_toml_text`, `to_json`,
  `from_json`, `required_for`, `reason_required_for`, `validate_decision`,
  `canonical_reason`), `ORDERS`, `SettingsError`, `DecisionError`;
- `rules`: `Vote`, `Resolution`, `Outcome`, `outcome`, `outcomes`, `is_conflict`,
  `decision_class`, `final_class`, `passes_to_full_text`, `is_included`,
  `may_adjudicate`, `check_resolution`, `check_reviewer` (the conflict rules are in
  its docstring);
- `blinding`: `visible_votes`, `may_see_votes` (the blinding rule is in its docstring);
- `calibration`: `PairAgreement`, `agreement`, `pair_agreement`, `pilot_sample`;
- `terms`: `highlight_spans`, `default_terms_from_query`, `query_terms`;
- `ranking`, `stopping`, `simulation` (imported by module, they pull in scipy):
  screening prioritisation, stopping rules, simulated screening.
"""

from screener.screening.blinding import may_see_votes, visible_votes
from screener.screening.calibration import PairAgreement, agreement, pair_agreement, pilot_sample
from screener.screening.rules import (
    CONFLICT,
    DECIDED,
    RECONCILED,
    RESOLVED,
    STATUSES,
    UNDECIDED,
    Outcome,
    Resolution,
    Vote,
    check_resolution,
    check_reviewer,
    decision_class,
    final_class,
    is_conflict,
    is_included,
    may_adjudicate,
    outcome,
    outcomes,
    passes_to_full_text,
)
from screener.screening.settings import (
    DECISIONS,
    DEFAULT_EXCLUSION_REASONS,
    EXCLUDE,
    FULL_TEXT,
    INCLUDE,
    MAYBE,
    NOT_RETRIEVED,
    ORDERS,
    STAGES,
    TITLE_ABSTRACT,
    DecisionError,
    ReviewSettings,
    SettingsError,
)
from screener.screening.terms import default_terms_from_query, highlight_spans, query_terms

__all__ = [
    "CONFLICT",
    "DECIDED",
    "DECISIONS",
    "DEFAULT_EXCLUSION_REASONS",
    "EXCLUDE",
    "FULL_TEXT",
    "INCLUDE",
    "MAYBE",
    "NOT_RETRIEVED",
    "ORDERS",
    "RECONCILED",
    "RESOLVED",
    "STAGES",
    "STATUSES",
    "TITLE_ABSTRACT",
    "UNDECIDED",
    "DecisionError",
    "Outcome",
    "PairAgreement",
    "Resolution",
    "ReviewSettings",
    "SettingsError",
    "Vote",
    "agreement",
    "check_resolution",
    "check_reviewer",
    "decision_class",
    "default_terms_from_query",
    "final_class",
    "highlight_spans",
    "is_conflict",
    "is_included",
    "may_adjudicate",
    "may_see_votes",
    "outcome",
    "outcomes",
    "pair_agreement",
    "passes_to_full_text",
    "pilot_sample",
    "query_terms",
    "visible_votes",
]
