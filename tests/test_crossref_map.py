"""Mapping Crossref works and CSL-JSON to Records: fields, flags, JATS abstracts, fill_gaps."""

from __future__ import annotations

import pytest
from replay import FIXTURES, body_json

from screener.models import (
    FLAG_ERRATUM,
    FLAG_EXPRESSION_OF_CONCERN,
    FLAG_HAS_ERRATUM,
    FLAG_RETRACTED,
    FLAG_RETRACTION_NOTICE,
    FLAG_UPDATE_NOTICE,
    FLAG_UPDATED,
    Record,
)
from screener.sources.crossref_map import fill_gaps, jats_to_text, record_from_crossref

needs_shared = pytest.mark.skipif(
    not (FIXTURES / "habanero" / "decoded").is_dir()
    or not (FIXTURES / "rcrossref" / "decoded").is_dir(),
    reason="../shared/fixtures (recorded Crossref responses) is absent",
)


def _item(source: str, body_file: str, doi: str | None = None) -> dict:
    message = body_json(source, body_file)
    message = message.get("message", message)
    if doi is None:
        return message
    return next(item for item in message["items"] if item["DOI"] == doi)


# ---- real recordings -------------------------------------------------------------------


@needs_shared
def test_work_with_correction_maps_fields_and_has_erratum_flag():
    record = record_from_crossref(_item("habanero", "test_works_with_one_id__0.json"))
    assert record.source == "crossref"
    assert record.source_id == record.doi == "10.1371/journal.pone.0033693"
    assert record.title == (
        "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia "
        "in the Basal Ganglia of Mice"
    )
    assert record.year == 2012
    assert record.journal == "PLoS ONE"
    assert record.authors[:2] == ("Sadasivan, Shankar", "Pond, Brooks B.")
    assert len(record.authors) == 6
    assert (record.volume, record.issue, record.pages) == ("7", "3", "e33693")
    assert record.issn == "1932-6203"
    assert record.publisher == "Public Library of Science (PLoS)"
    assert record.entry_type == "article"
    assert record.language == "en"
    assert record.url == "https://doi.org/10.1371/journal.pone.0033693"
    assert record.flags == (FLAG_HAS_ERRATUM,)
    assert record.relations == (
        ("correction", "10.1371/annotation/c76da2c1-ccb8-4797-94c1-359d3ceceeda"),
    )


@needs_shared
def test_csl_json_from_content_negotiation():
    item = body_json("habanero", "test_content_negotiation_citeproc_json__1.txt")
    record = record_from_crossref(item, source="doi")
    assert record.source == "doi"
    assert record.source_id == "10.1126/science.169.3946.635"
    # CSL-JSON gives title as a string; the subtitle is joined as Crossref's BibTeX does.
    assert record.title == (
        "The Structure of Ordinary Water: New data and interpretations are yielding new "
        "insights into this fascinating substance."
    )
    assert record.journal == "Science"
    assert record.year == 1970
    assert record.authors == ("Frank, Henry S.",)
    assert (record.volume, record.issue, record.pages) == ("169", "3946", "635-641")
    assert record.abstract.startswith("The train of thought pursued in this article")
    assert "<" not in record.abstract and '"subject to change without notice."' in record.abstract
    assert record.issn == "0036-8075"
    assert record.flags == ()


@needs_shared
def test_correction_notices_with_update_to_are_flagged_as_errata():
    page = _item("rcrossref", "cr_journals_with_cursor_and_progress_bar__0.json")
    records = [record_from_crossref(item) for item in page["items"]]
    notices = [r for r in records if r.title.startswith("Correction:")]
    assert len(notices) == 8
    assert all(r.flags == (FLAG_ERRATUM,) for r in notices)
    first = next(r for r in records if r.doi == "10.1371/journal.pone.0129989")
    assert first.relations == (("correction-of", "10.1371/journal.pone.0120799"),)
    assert first.journal == "PLOS ONE" and first.issn == "1932-6203"
    others = [r for r in records if not r.title.startswith("Correction:")]
    assert all(FLAG_ERRATUM not in r.flags for r in others)


@needs_shared
def test_self_referencing_new_version_and_relation_links():
    source, body = "habanero", "test_prefixes_field_queries__0.json"
    # PLOS marks an in-place update as new_version pointing at the work itself: no flag.
    ppat = record_from_crossref(_item(source, body, "10.1371/journal.ppat.1006930"))
    assert ppat.flags == ()
    assert ppat.relations == (("has-review", "10.3410/f.732837943.793543804"),)
    # updated-by correction and the `relation` entry name the same notice: one relation.
    pbio = record_from_crossref(_item(source, body, "10.1371/journal.pbio.0050002"))
    assert pbio.flags == (FLAG_HAS_ERRATUM,)
    assert pbio.relations == (("correction", "10.1371/journal.pbio.0060304"),)
    pgen = record_from_crossref(_item(source, body, "10.1371/journal.pgen.1011490"))
    assert ("has-preprint", "10.1101/2024.07.14.24310389") in pgen.relations


@needs_shared
def test_year_falls_back_to_created_when_issued_is_empty():
    item = _item("habanero", "test_cursor__0.json", "10.1007/978-1-4302-0197-7_9")
    assert item["issued"] == {"date-parts": [[None]]}
    record = record_from_crossref(item)
    assert record.year == 2007
    assert record.entry_type == "inbook"


@needs_shared
@pytest.mark.parametrize(
    ("body_file", "doi", "title_start", "year", "journal", "first_author", "entry_type"),
    [
        (
            "test_works_with_many_ids__0.json",
            "10.1016/j.neurobiolaging.2010.03.024",
            "Human umbilical cord blood-derived mesenchymal stem cells",
            2012,
            "Neurobiology of Aging",
            "Lee, Hyun Ju",
            "article",
        ),
        (
            "test_works_with_many_ids__3.json",
            "10.1109/icdcsw.2003.1203662",
            "Accurate and explicit differentiation of wireless and congestion losses",
            2004,  # issued is empty; created is 2004-06-22
            "23rd International Conference on Distributed Computing Systems Workshops, "
            "2003. Proceedings.",
            "Arya, V.",
            "inproceedings",
        ),
        (
            "test_works_with_many_ids__4.json",
            "10.3892/ijo_00000353",
            "Human bladder cancer cells undergo cisplatin-induced apoptosis",
            2009,
            "International Journal of Oncology",
            "Stravopodis",  # no given name recorded
            "article",
        ),
    ],
)
def test_many_publishers(body_file, doi, title_start, year, journal, first_author, entry_type):
    record = record_from_crossref(_item("habanero", body_file))
    assert record.doi == doi
    assert record.title.startswith(title_start)
    assert record.year == year
    assert record.journal == journal
    assert record.authors[0] == first_author
    assert record.entry_type == entry_type


# ---- hand-written items ----------------------------------------------------------------


def _update(kind: str, doi: str = "10.5555/notice") -> dict:
    return {"DOI": doi, "type": kind, "label": kind.title(), "source": "publisher"}


@pytest.mark.parametrize(
    ("key", "kind", "flag"),
    [
        ("updated-by", "retraction", FLAG_RETRACTED),
        ("updated-by", "withdrawal", FLAG_RETRACTED),
        ("updated-by", "correction", FLAG_HAS_ERRATUM),
        ("updated-by", "erratum", FLAG_HAS_ERRATUM),
        ("updated-by", "corrigendum", FLAG_HAS_ERRATUM),
        ("updated-by", "expression_of_concern", FLAG_EXPRESSION_OF_CONCERN),
        ("updated-by", "expression-of-concern", FLAG_EXPRESSION_OF_CONCERN),
        ("updated-by", "new_version", FLAG_UPDATED),
        ("updated-by", "addendum", FLAG_UPDATED),
        ("update-to", "retraction", FLAG_RETRACTION_NOTICE),
        ("update-to", "correction", FLAG_ERRATUM),
        ("update-to", "erratum", FLAG_ERRATUM),
        ("update-to", "expression_of_concern", FLAG_UPDATE_NOTICE),
        ("update-to", "new_version", FLAG_UPDATE_NOTICE),
    ],
)
def test_update_flags(key, kind, flag):
    item = {"DOI": "10.5555/Work", "type": "journal-article", key: [_update(kind)]}
    record = record_from_crossref(item)
    assert record.flags == (flag,)
    suffix = "-of" if key == "update-to" else ""
    assert record.relations == ((kind.replace("-", "_") + suffix, "10.5555/notice"),)


def test_retracted_and_corrected_work_keeps_both_flags_in_order():
    item = {
        "DOI": "10.5555/X",
        "updated-by": [_update("correction", "10.5555/c"), _update("retraction", "10.5555/r")],
    }
    record = record_from_crossref(item)
    assert record.source_id == "10.5555/x"
    assert record.flags == (FLAG_HAS_ERRATUM, FLAG_RETRACTED)
    assert record.relations == (("correction", "10.5555/c"), ("retraction", "10.5555/r"))


def test_csl_shapes_strings_organisations_and_string_dates():
    item = {
        "DOI": "10.5555/ABC",
        "type": "article-journal",
        "title": "A <i>trial</i> of H<sub>2</sub>O &amp; salt",
        "container-title": "Journal of Tests",
        "container-title-short": "J Tests",
        "author": [
            {"name": "The Example Collaborative Group"},
            {"family": "Doe", "given": "Jane", "suffix": "Jr"},
        ],
        "issued": {"date-parts": [["2021", "5"]]},
        "ISSN": "1234-5678",
        "subject": ["Medicine", "<b>Oncology</b>"],
        "page": "1-9",
    }
    record = record_from_crossref(item, source="doi")
    assert record.title == "A trial of H2O & salt"
    assert record.journal == "Journal of Tests"
    assert record.journal_abbrev == "J Tests"
    assert record.authors == ("The Example Collaborative Group", "Doe, Jane Jr")
    assert record.year == 2021
    assert record.issn == "1234-5678"
    assert record.keywords == ("Medicine", "Oncology")
    assert record.entry_type == "article"


def test_missing_fields_give_empty_values():
    record = record_from_crossref({"DOI": "10.5555/empty", "title": [], "issued": {}})
    assert (record.title, record.year, record.authors, record.entry_type) == ("", None, (), "")


@pytest.mark.parametrize(
    ("kind", "entry_type"),
    [
        ("journal-article", "article"),
        ("proceedings-article", "inproceedings"),
        ("book-chapter", "inbook"),
        ("book", "book"),
        ("monograph", "book"),
        ("posted-content", "preprint"),
        ("dissertation", "thesis"),
        ("dataset", "dataset"),
        ("report", "report"),
        ("paper-conference", "inproceedings"),
        ("peer-review", "misc"),
    ],
)
def test_entry_types(kind, entry_type):
    record = record_from_crossref({"DOI": "10.5555/t", "type": kind})
    assert record.entry_type == entry_type
    assert record.publication_types == (kind,)


# ---- JATS abstracts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jats", "text"),
    [
        ("<jats:p>Plain one.</jats:p>", "Plain one."),
        (
            "<jats:title>Abstract</jats:title>\n  <jats:p>Body text\n  here.</jats:p>",
            "Body text here.",
        ),
        (
            "<jats:sec><jats:title>Background</jats:title><jats:p>Why.</jats:p></jats:sec>"
            "<jats:sec><jats:title>Methods:</jats:title><jats:p>How, p &lt; 0.05.</jats:p>"
            "</jats:sec>",
            "Background: Why.\nMethods: How, p < 0.05.",
        ),
        (
            "<jats:p><jats:list><jats:list-item><jats:p>One.</jats:p></jats:list-item>"
            "<jats:list-item><jats:p>Two <jats:italic>in</jats:italic> H<jats:sub>2</jats:sub>"
            "O.</jats:p></jats:list-item></jats:list></jats:p>",
            "One.\nTwo in H2O.",
        ),
        ("Not markup at all: p<0.05 and a < b.", "Not markup at all: p<0.05 and a < b."),
        (
            'See <jats:ext-link xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="#b"/>.',
            "See .",
        ),
        ("", ""),
    ],
)
def test_jats_to_text(jats, text):
    assert jats_to_text(jats) == text


# ---- fill_gaps ---------------------------------------------------------------------------


def test_fill_gaps_fills_only_empty_fields_and_adds_flags():
    mine = Record(
        source="Scopus",
        source_id="2-s2.0-1",
        title="My title",
        journal="PLOS ONE",
        year=2012,
        doi="10.1371/journal.pone.0033693",
        flags=(FLAG_UPDATED,),
    )
    crossref = Record(
        source="crossref",
        source_id="10.1371/journal.pone.0033693",
        title="Crossref title",
        abstract="An abstract.",
        journal="PLoS ONE",
        year=2011,
        volume="7",
        issue="3",
        pages="e33693",
        authors=("Sadasivan, Shankar",),
        issn="1932-6203",
        publisher="PLoS",
        language="en",
        doi="10.1371/journal.pone.0033693",
        flags=(FLAG_HAS_ERRATUM,),
        relations=(("correction", "10.1371/annotation/x"),),
    )
    filled, names = fill_gaps(mine, crossref)
    assert names == [
        "abstract",
        "volume",
        "issue",
        "pages",
        "authors",
        "issn",
        "publisher",
        "flags",
        "relations",
    ]
    assert filled.title == "My title" and filled.journal == "PLOS ONE" and filled.year == 2012
    assert filled.abstract == "An abstract." and filled.pages == "e33693"
    assert filled.language == ""  # not one of the fields fill_gaps fills
    assert filled.flags == (FLAG_UPDATED, FLAG_HAS_ERRATUM)
    assert filled.relations == (("correction", "10.1371/annotation/x"),)
    assert (filled.source, filled.source_id) == ("Scopus", "2-s2.0-1")
    again, names_again = fill_gaps(filled, crossref)
    assert again == filled and names_again == []


def test_fill_gaps_refuses_another_doi():
    a = Record(source="x", source_id="1", doi="10.5555/a")
    b = Record(source="crossref", source_id="10.5555/b", doi="10.5555/b")
    with pytest.raises(ValueError):
        fill_gaps(a, b)
