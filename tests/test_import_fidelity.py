"""Import fidelity, one test per class of export that used to be misread (issue 11).

The files in tests/data/imports/fidelity are written by us, after the shapes real
producers write (ERIC MEDLINE, biblatex, EndNote/Zotero/Scopus RIS, Embase.com RIS).
"""

from __future__ import annotations

import json
from pathlib import Path

from screener.importers import read_file

DATA = Path(__file__).resolve().parent / "data" / "imports" / "fidelity"


def test_odd_medline_lines_are_kept_with_warnings_not_refused():
    result = read_file(DATA / "eric.nbib", "ERIC")
    eric, normal = result.records
    assert not result.problems
    assert eric.title == "Teaching Statistics with Real Data: A Case Study of One Course"
    assert eric.authors == ("Doe, Jane", "Roe, Richard")
    assert eric.abstract == "An abstract written without a space after the dash."
    assert eric.year == 2019
    # Journal, volume, issue and the article number as pages, from the SO line.
    assert (eric.journal, eric.volume, eric.issue, eric.pages) == (
        "Journal of Example Education",
        "4",
        "1",
        "1042",
    )
    assert ("ISSN", "EISSN-2229-0443") in eric.extra
    assert ("ERIC", "EJ1234567") in eric.extra
    by_tag = {(w.tag, w.line) for w in result.warnings}
    assert ("ISSN", 9) in by_tag and ("AB", 10) in by_tag and ("ERIC", 13) in by_tag
    assert all(w.entry == 1 for w in result.warnings)
    assert result.warnings_by_tag()["ISSN"] == 2  # the layout, and the unknown tag
    # An e-location id of type pii is the article number when there are no pages.
    assert normal.pmid == "31000001"
    assert normal.pages == "e3001"
    assert normal.doi == "10.5555/test.2020.3001"


def test_bibtex_strings_latex_names_dates_and_duplicates():
    result = read_file(DATA / "semantics.bib", "x")
    paren, full, chapter, undefined = result.records
    # @misc( ... ): parentheses are valid BibTeX; macros concatenated with #.
    assert paren.source_id == "paren2001"
    assert paren.authors == ("César, Jean", "Doe, John")
    assert paren.title == "The Σ^0 baryon, ~ and Über-emphasis"  # the first title is kept
    twice, macro = result.warnings
    assert (twice.entry, twice.tag, twice.line) == (1, "title", 9)
    assert "given twice" in twice.message
    assert (macro.entry, macro.tag) == (4, "journal")
    assert "no @string defines 'natgeo': kept as written" in macro.message
    assert undefined.journal == "natgeo"
    # fjournal (here a macro) over journal, which becomes the abbreviation; date over year.
    assert full.journal == "Journal of Geophysical Research"
    assert full.journal_abbrev == "J. Geophys. Res."
    assert full.year == 2019
    assert full.authors == ("Berg, Anna", "van Beethoven, Ludwig")
    assert (full.volume, full.issue, full.pages) == ("124", "3", "100-109")
    # The number of a chapter numbers its series: not an issue.
    assert chapter.issue == ""
    assert ("number", "42") in chapter.extra
    assert chapter.journal == "A Book of Chapters"


def test_ris_dialect_rules():
    mixed, book, chapter, scopus = read_file(DATA / "dialects.ris", "x").records
    assert mixed.authors == ("First, Author", "Second, Author", "Third, Author")
    assert mixed.year == 2019  # the full DA, not the Y1 year
    assert mixed.issue == "7"  # M1 is EndNote's issue when there is no IS
    assert mixed.pages == "1042"  # the article number, when there are no pages
    assert mixed.journal == "Journal of Dialects"
    assert book.journal == ""  # a book's T2 is its series
    assert ("series", "Methods in Molecular Biology") in book.extra
    assert chapter.journal == "The Big Handbook"  # a chapter's container is its book
    assert ("series", "Handbook Series") in chapter.extra
    assert chapter.pages == "11-29"
    assert scopus.issue == ""  # Scopus does not write issues in M1


def test_embase_accession_numbers_are_never_pmids():
    embase, no_pmid, ovid = read_file(DATA / "embase_medline.ris", "Embase").records
    assert embase.pmid == "35123456"  # C5, where Embase puts the PMID
    assert embase.source_id == "L2015467890"
    assert no_pmid.pmid == ""  # DB - Medline, but an Embase.com export
    assert no_pmid.source_id == "2015467891"
    assert ovid.pmid == ovid.source_id == "32672909"


def test_dry_run_shows_fields_and_warnings_and_stores_nothing(tmp_path, runner, monkeypatch):
    from screener.cli import main

    db = tmp_path / "review.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    args = ["import", str(DATA / "eric.nbib"), "--database", "ERIC", "--dry-run"]
    result = runner.invoke(main, [*args, "--show", "1"])
    assert result.exit_code == 0, result.output
    assert not db.exists()
    out = result.output
    assert "Dry run: nothing stored. 2 records would be stored (nbib, utf-8)." in out
    assert "--- record 1 of 2" in out and "--- record 2" not in out
    assert "title             Teaching Statistics with Real Data" in out
    assert "authors           Doe, Jane\n" in out and "authors           Roe, Richard\n" in out
    assert "extra             ISSN: EISSN-2229-0443" in out
    assert "Warnings per tag:\n  ISSN            2\n  AB              1\n  ERIC            1" in out
    as_json = runner.invoke(main, [*args, "--json"])
    assert as_json.exit_code == 0

    data = json.loads(as_json.output)
    assert data["records"] == 2 and data["warnings_by_tag"] == {"ISSN": 2, "AB": 1, "ERIC": 1}
    assert data["shown"][0]["pages"] == "1042"
    assert not db.exists()


def test_import_reports_warnings_and_keeps_them_in_the_run(tmp_path, runner, monkeypatch):
    from screener.cli import main
    from screener.store import Store

    db = tmp_path / "review.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    result = runner.invoke(main, ["import", str(DATA / "eric.nbib"), "--database", "ERIC"])
    assert result.exit_code == 0, result.output
    assert "2 stored" in result.output
    assert "4 fields read leniently (by tag: ISSN 2, AB 1, ERIC 1)" in result.output
    with Store(db) as store:
        (run,) = [r for r in store.list_runs() if r.kind == "import"]
    assert "entry 1 (line 13), ERIC: unknown MEDLINE tag 'ERIC'" in run.warnings
