"""ReviewSettings: defaults, review.toml parsing and its errors, JSON round trip, and the
rules a single decision must obey."""

from __future__ import annotations

import subprocess
import sys

import pytest

from screener.errors import ScreenerError
from screener.screening import (
    DECISIONS,
    DEFAULT_EXCLUSION_REASONS,
    STAGES,
    DecisionError,
    ReviewSettings,
    SettingsError,
)

FULL_TOML = """
reviewers = ["alice", "bob", "carol"]
adjudicators = ["carol"]
exclusion_reasons = ["Wrong population", "Wrong outcome"]
maybe_counts_as = "exclude"
reason_conflicts_at_full_text = false
include_terms = ["alopeci*", "hair loss"]
exclude_terms = ["mice"]

[required]
title-abstract = 2
full-text = 3

[reason_required]
title-abstract = true
full-text = true
"""


def test_constants_match_the_schema():
    assert STAGES == ("title-abstract", "full-text")
    assert DECISIONS == ("include", "exclude", "maybe", "not-retrieved")


def test_defaults():
    s = ReviewSettings()
    assert s.required_for("title-abstract") == 2
    assert s.required_for("full-text") == 2
    assert s.reason_required_for("title-abstract") is False
    assert s.reason_required_for("full-text") is True
    assert s.exclusion_reasons == DEFAULT_EXCLUSION_REASONS
    assert s.maybe_counts_as == "include"
    assert s.reason_conflicts_at_full_text is True
    assert hash(s) == hash(ReviewSettings())


def test_constructor_accepts_mappings_lists_and_single_values():
    s = ReviewSettings(reviewers=["a", "b"], required={"full-text": 1}, reason_required=False)
    assert s.reviewers == ("a", "b")
    assert s.required == (("title-abstract", 2), ("full-text", 1))
    assert s.reason_required == (("title-abstract", False), ("full-text", False))
    assert ReviewSettings(required=1).required_for("title-abstract") == 1


def test_full_toml():
    s = ReviewSettings.from_toml_text(FULL_TOML, "review.toml")
    assert s.reviewers == ("alice", "bob", "carol")
    assert s.adjudicators == ("carol",)  # an adjudicator may also review
    assert s.required_for("full-text") == 3
    assert s.reason_required_for("title-abstract") is True
    assert s.maybe_counts_as == "exclude"
    assert s.reason_conflicts_at_full_text is False
    assert s.include_terms == ("alopeci*", "hair loss")
    assert s.exclude_terms == ("mice",)


def test_empty_toml_gives_defaults():
    assert ReviewSettings.from_toml_text("", "review.toml") == ReviewSettings()


def test_underscore_stage_names_are_accepted():
    s = ReviewSettings.from_toml_text("[required]\ntitle_abstract = 1\n", "r.toml")
    assert s.required_for("title-abstract") == 1


@pytest.mark.parametrize(
    "settings",
    [ReviewSettings(), ReviewSettings.from_toml_text(FULL_TOML, "review.toml")],
)
def test_json_round_trip(settings):
    assert ReviewSettings.from_json(settings.to_json()) == settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reviewers = [", "review.toml: not valid TOML"),
        ("reviwers = ['a']", "review.toml: unknown key reviwers (known keys:"),
        ("reviewers = 'alice'", "review.toml: reviewers must be a list of strings"),
        ("reviewers = ['alice', 3]", "review.toml: reviewers must hold non-empty strings"),
        ("reviewers = ['alice', '']", "reviewers must hold non-empty strings"),
        ("reviewers = ['alice', 'alice']", "review.toml: reviewers lists 'alice' twice"),
        ("adjudicators = [' carol']", "adjudicators: name ' carol' has spaces around it"),
        ("exclusion_reasons = ['Wrong outcome', 'wrong  outcome']", "lists 'wrong  outcome'"),
        ("[required]\ntitle-abstract = 0", "review.toml: required.title-abstract = 0: a record"),
        ("[required]\nfull-text = 'two'", "required.full-text must be a whole number"),
        ("[required]\nfull-text = true", "required.full-text must be a whole number"),
        ("[required]\nfull-text = 1.5", "required.full-text must be a whole number"),
        ("[required]\nabstract = 1", "review.toml: unknown key required.abstract (stages:"),
        ("required = 'two'", "required must be a table with title-abstract and full-text"),
        ("required = 0", "required.title-abstract = 0"),
        (
            "reviewers = ['alice']\n[required]\ntitle-abstract = 2",
            "required.title-abstract = 2 but only 1 reviewers are listed",
        ),
        ("[reason_required]\nfull-text = 'yes'", "reason_required.full-text must be true or"),
        ("maybe_counts_as = 'maybe'", "maybe_counts_as = 'maybe': use \"include\" or"),
        ("reason_conflicts_at_full_text = 1", "reason_conflicts_at_full_text must be true or"),
        ("include_terms = 'alopecia'", "include_terms must be a list of strings"),
        ("exclude_terms = ['']", "exclude_terms must hold non-empty strings"),
    ],
)
def test_toml_errors_name_the_file_and_key(text, expected):
    with pytest.raises(SettingsError) as caught:
        ReviewSettings.from_toml_text(text, "review.toml")
    message = str(caught.value)
    assert message.startswith("review.toml: ")
    assert expected in message
    assert "\n" not in message
    assert isinstance(caught.value, ScreenerError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "stored review settings: not valid JSON"),
        ("[]", "stored review settings: must be a JSON object"),
        ('{"colour": 1}', "stored review settings: unknown key colour"),
        ('{"required": {"full-text": 0}}', "stored review settings: required.full-text = 0"),
    ],
)
def test_json_errors(text, expected):
    with pytest.raises(SettingsError, match="^" + expected.replace("(", r"\(")):
        ReviewSettings.from_json(text)


def test_constructor_errors_say_review_settings():
    with pytest.raises(SettingsError, match="^review settings: maybe_counts_as"):
        ReviewSettings(maybe_counts_as="yes")


@pytest.mark.parametrize(
    ("stage", "decision", "reason"),
    [
        ("title-abstract", "include", ""),
        ("title-abstract", "maybe", ""),
        ("title-abstract", "exclude", ""),  # no reason needed at title-abstract
        ("title-abstract", "exclude", "Animal study"),  # free text at title-abstract
        ("full-text", "exclude", "Wrong population"),
        ("full-text", "not-retrieved", ""),
        ("full-text", "include", ""),
    ],
)
def test_valid_decisions(stage, decision, reason):
    ReviewSettings().validate_decision(stage, decision, reason)


@pytest.mark.parametrize(
    ("stage", "decision", "reason", "expected"),
    [
        ("abstract", "include", "", "unknown stage 'abstract'"),
        ("full-text", "yes", "", "unknown decision 'yes'"),
        ("title-abstract", "not-retrieved", "", "not-retrieved is a full-text decision"),
        ("full-text", "exclude", "", "an exclusion at full-text needs a reason: one of Wrong"),
        ("full-text", "exclude", "  ", "an exclusion at full-text needs a reason"),
        ("full-text", "exclude", "Animal study", "'Animal study' is not one of this review's"),
        ("full-text", "exclude", "wrong population", "must come from the list in review.toml"),
        ("title-abstract", "include", "Looks good", "a reason goes with exclude only"),
        ("full-text", "not-retrieved", "Paywall", "put other remarks in the note"),
    ],
)
def test_invalid_decisions(stage, decision, reason, expected):
    with pytest.raises(DecisionError) as caught:
        ReviewSettings().validate_decision(stage, decision, reason)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_reason_required_at_title_abstract_when_set():
    s = ReviewSettings(reason_required={"title-abstract": True})
    with pytest.raises(DecisionError, match="exclusion at title-abstract needs a reason"):
        s.validate_decision("title-abstract", "exclude", "")


def test_free_text_reasons_at_full_text_when_no_list():
    s = ReviewSettings(exclusion_reasons=())
    s.validate_decision("full-text", "exclude", "Anything at all")
    with pytest.raises(DecisionError, match="needs a reason.$"):
        s.validate_decision("full-text", "exclude", "")


def test_canonical_reason():
    s = ReviewSettings()
    assert s.canonical_reason("  wrong   POPULATION ") == "Wrong population"
    assert s.canonical_reason(" Animal  study ") == "Animal study"
    s.validate_decision("full-text", "exclude", s.canonical_reason("wrong population"))


def test_core_imports_no_ui_toolkit_or_store():
    code = (
        "import sys, screener.screening;"
        "bad = [m for m in ('textual', 'click', 'rich', 'sqlite3', 'sqlite_utils')"
        " if m in sys.modules]; print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
