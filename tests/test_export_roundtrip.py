"""Round trip: records exported as RIS or BibTeX, read by rispy / bibtexparser, written by
them again, and imported by screener come back with every exported field unchanged.

Hypothesis generates the records, with the characters that broke exports before: BibTeX's
specials (& % $ # _ { } \\ ~ ^), "--", corporate authors with " and ", accents, Greek
and CJK. Whitespace is compared collapsed: RIS and BibTeX values are single lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import bibtexparser
import rispy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.exporters import ExportItem, to_bibtex, to_ris
from screener.importers import read_file
from screener.importers.common import clean_pages, ordered_flags, title_flags, type_flags
from screener.models import Record
from screener.normalize import normalize_doi

COMPARED = (
    "title",
    "abstract",
    "authors",
    "year",
    "journal",
    "journal_abbrev",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "pmcid",
    "issn",
    "publisher",
    "language",
    "url",
    "keywords",
    "entry_type",
)
RIS_ALSO = ("publication_types", "flags")  # RIS carries these (M3); BibTeX has no field
ENTRY_TYPES = (
    "article",
    "inproceedings",
    "book",
    "incollection",
    "phdthesis",
    "techreport",
    "misc",
    "unpublished",
)
_SPECIALS = "&%$#_{}\\~^-:.,'\"()[]!?/+=*@"
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüñçøßåαβΣ中文"
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _plausible(text: str) -> bool:
    # "&amp;" or "<i>" in a stored value would be markup from the source, decoded on import.
    return bool(text) and not _ENTITY.search(text) and any(c.isalnum() for c in text)


words = st.text(alphabet=_LETTERS + _SPECIALS, min_size=1, max_size=12)
phrases = st.lists(words, min_size=1, max_size=8).map(" ".join).map(_tidy).filter(_plausible)
name_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüø'", min_size=1, max_size=9).map(
    str.capitalize
)
person = st.builds(lambda last, first: f"{last}, {first}", name_part, name_part)
group = st.sampled_from(
    [
        "World Health Organization",
        "Bill and Melinda Gates Foundation",
        "Ministry of Health, Labour and Welfare",
        "Cochrane Collaboration & Partners",
    ]
)
pages = st.one_of(
    st.just(""),
    st.integers(1, 5000).map(str),
    st.tuples(st.integers(1, 900), st.integers(1, 99)).map(lambda p: f"{p[0]}-{p[0] + p[1]}"),
    st.integers(1, 99999).map(lambda n: f"e{n}"),
).filter(lambda p: clean_pages(p) == p)
doi = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-()/:;<>_%#", min_size=1, max_size=20)
dois = st.one_of(
    st.just(""),
    doi.map(lambda suffix: f"10.{1000 + len(suffix)}/x{suffix}").filter(
        lambda d: normalize_doi(d) == d
    ),
)
short = st.text(alphabet="0123456789ABCS", min_size=1, max_size=4)


@st.composite
def records(draw) -> Record:
    record = draw(_records())
    # Flags as an importer derives them from the types and the title.
    flags = ordered_flags([*type_flags(record.publication_types), *title_flags(record.title)])
    return record.with_changes(flags=flags)


@st.composite
def _records(draw) -> Record:
    entry_type = draw(st.sampled_from(ENTRY_TYPES))
    journal = "" if entry_type == "book" else draw(st.one_of(st.just(""), phrases))
    return Record(
        source="x",
        source_id="1",
        title=draw(phrases),
        abstract=draw(st.one_of(st.just(""), phrases)),
        authors=tuple(draw(st.lists(st.one_of(person, person, group), max_size=5))),
        year=draw(st.one_of(st.none(), st.integers(1900, 2030))),
        journal=journal,
        journal_abbrev=draw(st.one_of(st.just(""), phrases)) if journal else "",
        volume=draw(st.one_of(st.just(""), short)),
        issue=draw(st.one_of(st.just(""), short)),
        pages=draw(pages),
        doi=draw(dois),
        pmid=draw(st.one_of(st.just(""), st.integers(1, 40_000_000).map(str))),
        pmcid=draw(st.one_of(st.just(""), st.integers(1, 9_999_999).map(lambda n: f"PMC{n}"))),
        issn=draw(st.sampled_from(["", "1234-5678", "0028-0836"])),
        publisher=draw(st.one_of(st.just(""), phrases)),
        language=draw(st.sampled_from(["", "English", "eng"])),
        url=draw(st.sampled_from(["", "https://example.org/a_b%20c?x=1&y=2#frag"])),
        keywords=tuple(
            # (a keyword holding "," or ";" is two keywords in BibTeX's convention)
            dict.fromkeys(
                draw(st.lists(phrases.filter(lambda k: not set(k) & set(",;")), max_size=4))
            )
        ),
        entry_type=entry_type,
        publication_types=tuple(
            dict.fromkeys(
                draw(
                    st.lists(
                        st.sampled_from(
                            ["Journal Article", "Review", "Retracted Publication", "Erratum"]
                        ),
                        max_size=3,
                    )
                )
            )
        ),
    )


def _fields(record: Record, also: tuple[str, ...] = ()) -> dict:
    return {name: getattr(record, name) for name in (*COMPARED, *also)}


def _reimport(tmp_path: Path, name: str, text: str) -> Record:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (record,) = read_file(path, "x").records
    return record


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(record=records())
def test_ris_export_reads_back_unchanged_directly_and_through_rispy(tmp_path, record):
    text = to_ris([ExportItem(7, record, "included")])
    back = _reimport(tmp_path, "direct.ris", text)
    assert _fields(back, RIS_ALSO) == _fields(record, RIS_ALSO)
    entries = rispy.loads(text)
    assert entries[0].get("title", "") == record.title
    assert entries[0].get("authors", []) == list(record.authors)
    again = _reimport(tmp_path, "rispy.ris", rispy.dumps(entries))
    assert _fields(again, RIS_ALSO) == _fields(record, RIS_ALSO)


@SETTINGS
@given(record=records())
def test_bibtex_export_reads_back_unchanged_directly_and_through_bibtexparser(tmp_path, record):
    text = to_bibtex([ExportItem(7, record, "included")])
    assert _fields(_reimport(tmp_path, "direct.bib", text)) == _fields(record)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    (entry,) = library.entries
    assert len(entry.fields) == len({f.key for f in entry.fields})
    again = _reimport(tmp_path, "parser.bib", bibtexparser.write_string(library))
    assert _fields(again) == _fields(record)


def test_bibtex_export_of_the_cases_that_used_to_break(tmp_path):
    record = Record(
        source="x",
        source_id="1",
        title="Pipes {braced} 50% of $5 #1 C:\\temp\\x_y -- and ~ ^",
        authors=("Bill and Melinda Gates Foundation", "O'Brien, Pat", "World Health Organization"),
        journal="Oil & Gas Journal",
        pages="10-20",
        entry_type="article",
    )
    text = to_bibtex([ExportItem(1, record, "included")])
    assert r"Oil \& Gas Journal" in text
    assert "{Bill and Melinda Gates Foundation}" in text
    assert "-{}-" in text and "pages = {10--20}" in text
    back = _reimport(tmp_path, "cases.bib", text)
    assert back.title == record.title
    assert back.authors == record.authors  # three authors, not five
    assert back.journal == "Oil & Gas Journal"
    assert back.pages == "10-20"
