"""Highlight spans (whole words, wildcards, phrases) and terms from PubMed queries."""

from __future__ import annotations

import pytest

from screener.screening import default_terms_from_query, highlight_spans, query_terms

QUERY = (
    '("Exosomes"[Mesh] OR exosom*[tiab] OR "extracellular vesicle"[tiab]) '
    'AND (alopecia[tiab] OR "hair loss"[tiab])'
)


def marked(text, include, exclude=()):
    return [(text[s:e], kind) for s, e, kind in highlight_spans(text, include, exclude)]


@pytest.mark.parametrize(
    ("text", "include", "exclude", "expected"),
    [
        ("Alopecia areata", ["alopecia"], [], [("Alopecia", "include")]),
        # Whole words only.
        ("Alopecias and pre-alopecia", ["alopecia"], [], [("alopecia", "include")]),
        (
            "alopecia, alopecic, alopecias",
            ["alopeci*"],
            [],
            [("alopecia", "include"), ("alopecic", "include"), ("alopecias", "include")],
        ),
        # A wildcard still starts on a word boundary.
        ("nonalopecic", ["alopeci*"], [], []),
        # Phrases match across spaces, hyphens and line breaks, case-insensitively.
        (
            "Hair-loss and HAIR\nLOSS",
            ['"hair loss"'],
            [],
            [("Hair-loss", "include"), ("HAIR\nLOSS", "include")],
        ),
        ("hair losses", ["hair los*"], [], [("hair losses", "include")]),
        # Field tags in a term are ignored.
        ("Exosomes in hair", ["exosom*[tiab]"], [], [("Exosomes", "include")]),
        # Include and exclude together, in text order.
        (
            "Exosomes in mice with alopecia",
            ["exosom*", "alopecia"],
            ["mice"],
            [("Exosomes", "include"), ("mice", "exclude"), ("alopecia", "include")],
        ),
        # Overlaps: the longest match at the leftmost start wins.
        (
            "androgenetic alopecia",
            ["alopecia", "androgenetic alopecia"],
            [],
            [("androgenetic alopecia", "include")],
        ),
        ("hair loss therapy", ["hair loss", "loss therapy"], [], [("hair loss", "include")]),
        # On the very same span exclude wins.
        ("rat model", ["rat"], ["rat*"], [("rat", "exclude")]),
        # Empty and bare-wildcard terms match nothing.
        ("anything", ["", "*", '""'], [" "], []),
        # Regex characters are literal.
        (
            "IL-1β (p<0.05) and C++",
            ["c++", "il-1β", "p<0.05"],
            [],
            [("IL-1β", "include"), ("p<0.05", "include"), ("C++", "include")],
        ),
        ("Crohn's disease", ["crohn's"], [], [("Crohn's", "include")]),
        ("Ästhetik", ["ästhetik"], [], [("Ästhetik", "include")]),
    ],
)
def test_highlight_spans(text, include, exclude, expected):
    assert marked(text, include, exclude) == expected


def test_a_lone_term_string_is_one_term():
    assert marked("hair and air", "hair") == [("hair", "include")]


def test_spans_are_offsets_in_order_and_disjoint():
    text = "Exosomes and extracellular vesicle therapy for alopecia: hair loss in mice. " * 3
    spans = highlight_spans(text, default_terms_from_query(QUERY), ["mice"])
    assert len(spans) == 15
    for (s1, e1, _), (s2, _e2, _) in zip(spans, spans[1:], strict=False):
        assert s1 < e1 <= s2
    assert {kind for _s, _e, kind in spans} == {"include", "exclude"}


def test_default_terms_from_the_realistic_query():
    assert default_terms_from_query(QUERY) == (
        "Exosomes",
        "exosom*",
        "extracellular vesicle",
        "alopecia",
        "hair loss",
    )


@pytest.mark.parametrize(
    ("query", "positive", "negative"),
    [
        ("alopecia", ("alopecia",), ()),
        ("alopecia AND hair", ("alopecia", "hair"), ()),
        ("hair loss[tiab]", ("hair loss",), ()),  # a tagged run of words is a phrase
        ("hair loss", ("hair", "loss"), ()),  # untagged words stay separate
        ('"Alopecia/therapy"[Mesh]', ("Alopecia",), ()),  # subheading cut
        (
            '"Carcinoma, Squamous Cell"[mh]',
            ("Carcinoma, Squamous Cell", "Squamous Cell Carcinoma"),
            (),
        ),
        ('"hair loss"[tiab:~2]', ("hair loss",), ()),  # proximity search
        ("alopecia[majr:noexp]", ("alopecia",), ()),
        # Metadata tags, dates, numbers and history references are dropped.
        ("alopecia AND smith j[au] AND english[la] AND review[pt]", ("alopecia",), ()),
        ('alopecia AND ("2015/01/01"[pdat] : "2020/12/31"[pdat])', ("alopecia",), ()),
        ("alopecia AND 2015:2020[dp] AND #1", ("alopecia",), ()),
        ("alopecia AND (Date - Publication[filter])", ("alopecia",), ()),
        # NOT negates the next operand only; NOT inside a negated group negates back.
        ("alopecia NOT mice", ("alopecia",), ("mice",)),
        ("alopecia NOT mice[tiab] OR rats", ("alopecia", "rats"), ("mice",)),
        (
            "alopecia NOT (animals[mh] NOT humans[mh])",
            ("alopecia", "humans"),
            ("animals",),
        ),
        ("(a1 OR b2) NOT (c3 OR d4) AND e5", ("a1", "b2", "e5"), ("c3", "d4")),
        # Lower-case operators are operators too; duplicates are dropped.
        ("alopecia or Alopecia and hair", ("alopecia", "hair"), ()),
        # Unbalanced parentheses do not break anything.
        ("((alopecia OR hair", ("alopecia", "hair"), ()),
        ("alopecia))", ("alopecia",), ()),
        ("", (), ()),
    ],
)
def test_query_terms(query, positive, negative):
    assert query_terms(query) == (positive, negative)
    assert default_terms_from_query(query) == positive
