"""The journal-name table: spelling variants, abbreviations and other names of journals.

Core module: reads only the data file packaged beside it, once. The table is DATA, kept
in `screener/dedup/data/journal_words.csv` (columns kind, variant, standard, note):

- `spelling`: a word beginning that is spelt two ways ("haemat" / "hemat"); it is
  rewritten in any journal word, full or abbreviated (Haematologica, Haematol);
- `word`: a whole word written another way than ISO4 would ("Jnl" for Journal);
- `title`: a whole journal name and another name of the same journal (MEDLINE's
  transliterated title and the English one, an acronym that is not the initials).

ISO4 abbreviations themselves need no table: an ISO4 word abbreviation is the start of
the word or a contraction keeping its letters in order ("Respir", "Natl"), and
`screener.dedup.venues` matches those by rule. Add rows here, not code, for the rest.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def _rows() -> tuple[tuple[str, str, str], ...]:
    text = resources.files("screener.dedup").joinpath("data/journal_words.csv").read_text("utf-8")
    return tuple(
        (row["kind"].strip(), row["variant"].strip().lower(), row["standard"].strip().lower())
        for row in csv.DictReader(text.splitlines())
        if row.get("variant")
    )


@cache
def spelling_prefixes() -> tuple[tuple[str, str], ...]:
    """(variant prefix, standard prefix), longest variant first."""
    pairs = [(v, s) for kind, v, s in _rows() if kind == "spelling"]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@cache
def word_variants() -> dict[str, str]:
    return {v: s for kind, v, s in _rows() if kind == "word"}


@cache
def title_variants() -> tuple[tuple[str, str], ...]:
    """(a journal name, another name of it), as written in the table."""
    return tuple((v, s) for kind, v, s in _rows() if kind == "title")
