"""Saved-search files: what parses, and one clear message for each mistake."""

from __future__ import annotations

from datetime import date

import pytest

from screener.errors import QueryFileError
from screener.queries import parse_saved_search, split_window
from tests.conftest import ROOT

GOOD = """
name = "x"
description = "d"
[pubmed]
term = 'exosome[tiab] AND "hair loss"'
date_field = "crdt"
from = "2001-02-03"
cutoff = 2025-05-10
"""


def test_good_file_parses():
    search = parse_saved_search(GOOD, "q.toml")
    assert search.name == "x"
    assert search.pubmed.term == 'exosome[tiab] AND "hair loss"'
    assert search.pubmed.date_field == "crdt"
    assert search.pubmed.start == date(2001, 2, 3)
    assert search.pubmed.cutoff == date(2025, 5, 10)
    assert search.text == GOOD


def test_shipped_example_parses():
    path = ROOT / "queries" / "exosome-hair-loss.toml"
    search = parse_saved_search(path.read_text(), str(path))
    assert search.name == "exosome-hair-loss"
    assert search.pubmed.cutoff == date(2025, 5, 10)
    assert "alopecia" in search.pubmed.term.lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\n[pubmed\nterm="a"', "not valid TOML"),
        (
            'name = "x"\n[pubmed]\nterm = "a"\ndate_field = "mdat"\ncutoff = "2025-01-01"',
            "pubmed.date_field = 'mdat' is not one of pdat, edat, crdt",
        ),
        (
            'name = "x"\n[pubmed]\nterm = "a"\nfrom = "2025-02-01"\ncutoff = "2025-01-01"',
            "cutoff 2025-01-01 is before from 2025-02-01",
        ),
        ('name = "x"\n[pubmed]\nterm = "a"', "missing required key pubmed.cutoff"),
        (
            'name = "x"\n[pubmed]\nterm = "a"\ncutoff = "10 May 2025"',
            "pubmed.cutoff = '10 May 2025' is not a date",
        ),
        ('name = "x"\n[pubmed]\nterm = ""\ncutoff = "2025-01-01"', "pubmed.term is empty"),
        ('name = "x"\n[pubmed]\nterms = "a"\ncutoff = "2025-01-01"', "unknown key pubmed.terms"),
        ('[pubmed]\nterm = "a"\ncutoff = "2025-01-01"', "missing required key name"),
        ('name = "x"', "needs a [pubmed] or [crossref] section"),
    ],
)
def test_mistakes_name_file_and_key(text, message):
    with pytest.raises(QueryFileError) as err:
        parse_saved_search(text, "queries/bad.toml")
    assert str(err.value).startswith("queries/bad.toml: ")
    assert message in str(err.value)


def test_split_window_covers_every_day_once():
    parts = split_window(date(2020, 1, 1), date(2020, 12, 31), 7)
    assert parts[0][0] == date(2020, 1, 1) and parts[-1][1] == date(2020, 12, 31)
    days = sum((b - a).days + 1 for a, b in parts)
    assert days == 366 and len(parts) == 7
    for (_, end), (start, _) in zip(parts, parts[1:], strict=False):
        assert (start - end).days == 1


def test_split_window_never_makes_empty_windows():
    assert split_window(date(2020, 1, 1), date(2020, 1, 2), 10) == [
        (date(2020, 1, 1), date(2020, 1, 1)),
        (date(2020, 1, 2), date(2020, 1, 2)),
    ]
