"""File importers on small hand-written exports (tests/data/imports) and made-up edge cases."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from screener.errors import ImportFileError
from screener.importers import FORMATS, ImportResult, Problem, detect_format, read_file
from screener.models import FLAG_ERRATUM, FLAG_HAS_ERRATUM, FLAG_RETRACTED, FLAG_RETRACTION_NOTICE

DATA = Path(__file__).resolve().parent / "data" / "imports"


def read(name: str, database: str = "Test", fmt: str = "auto") -> ImportResult:
    return read_file(DATA / name, database, fmt)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# --- whole-file errors --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.ris", "blank.nbib"])
def test_empty_or_blank_file_is_an_error_naming_it(name):
    with pytest.raises(ImportFileError, match=rf"{re.escape(name)}: the file is empty"):
        read(name)


def test_missing_file_is_an_error():
    with pytest.raises(ImportFileError, match="nope.ris: no such file"):
        read("nope.ris")


def test_extension_and_content_disagree():
    with pytest.raises(
        ImportFileError, match=r"looks like BibTeX, not RIS: name the format as bibtex"
    ):
        read("looks_like_bibtex.ris")


def test_requested_format_that_the_content_contradicts(tmp_path):
    with pytest.raises(ImportFileError, match=r"looks like MEDLINE/.nbib, not BibTeX"):
        read_file(DATA / "retractions.nbib", "PubMed", "bibtex")
    with pytest.raises(ImportFileError, match=r"looks like RIS, not CSV"):
        read_file(DATA / "zotero.ris", "Zotero", "csv")


def test_naming_the_format_reads_a_misnamed_file():
    result = read("looks_like_bibtex.ris", fmt="bibtex")
    assert result.format == "bibtex"
    assert result.records[0].title == "This is BibTeX"


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("wos_plain.txt", "Web of Science plain text"),
        ("endnote.xml", "EndNote XML"),
    ],
)
def test_unsupported_exports_say_what_they_are(name, what):
    with pytest.raises(ImportFileError, match=rf"{re.escape(name)}: this looks like {what}"):
        read(name)


def test_binary_files_are_refused(tmp_path):
    xlsx = write(tmp_path, "export.csv", b"PK\x03\x04" + bytes(200))
    with pytest.raises(ImportFileError, match="Excel workbook .* save it as CSV"):
        read_file(xlsx, "Scopus")
    nul = write(tmp_path, "export.ris", b"TY  - JOUR\nTI  - x\x00y\nER  - \n")
    with pytest.raises(ImportFileError, match=r"export.ris: line 2: the file holds binary data"):
        read_file(nul, "Scopus")


def test_no_entries_at_all():
    with pytest.raises(ImportFileError, match=r"no_entries.ris: no RIS entries found"):
        read("no_entries.ris")


def test_nothing_parses_is_an_error_with_the_first_problem():
    with pytest.raises(ImportFileError) as caught:
        read("all_broken.bib")
    message = str(caught.value)
    assert message.startswith(f"{DATA / 'all_broken.bib'}: line 1: no entry could be read")
    assert "BibTeX syntax error in entry 'one'" in message
    assert "(and 1 more problems)" in message


def test_unknown_format_name_and_missing_database():
    with pytest.raises(ImportFileError, match="unknown import format 'endnote'"):
        read("zotero.ris", fmt="endnote")
    with pytest.raises(ImportFileError, match="no database name given"):
        read("zotero.ris", database=" ")


def test_csv_with_only_a_header(tmp_path):
    path = write(tmp_path, "header.csv", "ID,title,year\n")
    with pytest.raises(ImportFileError, match="no CSV entries found"):
        read_file(path, "x")


# --- format detection ---------------------------------------------------------------------


def test_formats_constant():
    assert FORMATS == ("ris", "nbib", "pubmed-xml", "bibtex", "csv")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.ris", "TY  - JOUR\nER  - \n", "ris"),
        ("a.RIS", "", "ris"),
        ("a.nbib", "PMID- 1\nTI  - x\n", "nbib"),
        ("pubmed-set.txt", "\nPMID- 12345\nOWN - NLM\n", "nbib"),
        ("savedrecs.txt", "\ufeffTY  - JOUR\r\nAU  - A\r\n", "ris"),
        ("refs.txt", "% comment\n@article{x, title={y}}\n", "bibtex"),
        ("wos.txt", "PT\tAU\tTI\tUT\nJ\tA\tB\tWOS:1\n", "csv"),
        ("a.bib", "@book{x,}", "bibtex"),
        ("a.tsv", "title\tyear\n", "csv"),
    ],
)
def test_detect_format(name, text, expected):
    assert detect_format(Path(name), text) == expected


def test_detect_format_unknown():
    with pytest.raises(ImportFileError, match=r"notes.txt: cannot tell the file format"):
        detect_format(Path("notes.txt"), "just some words\nand more words\n")


# --- RIS dialects -------------------------------------------------------------------------


def test_endnote_cp1252_file():
    result = read("endnote_cp1252.ris", "MEDLINE via EndNote")
    assert result.encoding == "cp1252"
    (record,) = result.records
    assert record.title == "Café workers’ “sleep” – a cohort study"
    assert record.authors == ("Müller, Jürgen", "Ñúñez, Inés")  # A2 (editor) left out
    assert record.source == "MEDLINE via EndNote"
    assert record.source_id == "30912345"  # AN before EndNote's record number ID
    assert record.pmid == "30912345"  # AN is a PMID when DP says NLM
    assert record.pmcid == "PMC6543210"  # EndNote's C2
    assert record.doi == "10.1002/1348-9585.12045"  # old EndNote put the DOI in M3
    assert record.pages == "212-219"
    assert record.year == 2019
    assert record.keywords == ("shift work", "sleep", "caffeine")  # one per untagged line
    assert record.issn == "1341-9145, 1348-9585"
    assert record.journal_abbrev == "J Occup Health"


def test_mixed_encodings_and_a_byte_order_mark_in_mid_file():
    result = read("mixed_encodings.ris")
    assert result.encoding == "utf-8-sig+cp1252"
    assert [r.title for r in result.records] == [
        "Ångström-scale imaging of zebrafish retina",
        "Élan vital revisited",
    ]
    assert result.records[1].authors == ("Dupré, A.",)


def test_missing_er_is_a_warning_missing_ty_and_cut_short_are_problems():
    result = read("missing_er.ris")
    assert [r.title for r in result.records] == [
        "First entry is fine",
        "Second entry never ends",  # ended by the next TY, as Zotero and EndNote read it
        "Third entry is fine",
    ]
    assert [(p.entry, p.line) for p in result.problems] == [(4, 19), (5, 23)]
    (warning,) = result.warnings
    assert (warning.entry, warning.line, warning.tag) == (2, 11, "ER")
    assert "no 'ER  -' line ends this entry before the next one starts at line 12" in (
        warning.message
    )
    assert "no 'TY  -' line" in result.problems[0].message
    assert "the file ends inside this entry" in result.problems[1].message
    assert result.records[2].doi == "10.5555/third.2022"


def test_ovid_medline_id_is_a_pmid_but_embase_id_is_not():
    medline, embase = read("ovid_medline.ris").records
    assert medline.source_id == medline.pmid == "32672909"
    assert medline.title == "SPTBN4 disorder: a hand-written test entry."
    assert medline.authors == ("Wang, Chen", "Lopez, Maria")  # A1
    assert medline.year == 2020  # Y1 "2020//"
    assert medline.abstract == (
        "BACKGROUND: An abstract that wraps onto a second line without a tag."
    )  # N2
    assert medline.journal == "GeneReviews"  # JF
    assert medline.pages == "100-109"  # SP 100, EP 9
    assert medline.doi == "10.5555/sptbn4.2020"  # https://dx.doi.org/ prefix dropped
    assert embase.source_id == "2005551234"
    assert embase.pmid == ""


def test_embase_ids_flags_and_dois_from_links_only():
    erratum, retracted = read("embase.ris", "Embase").records
    assert erratum.source_id == "L2015467890"  # U2
    assert erratum.pmid == "35123456"  # C5
    assert erratum.doi == "10.5555/ftj.2022.77"  # from the L2 link, not the N1 reference list
    assert erratum.flags == (FLAG_ERRATUM,)
    assert erratum.publication_types == ("Erratum",)
    assert erratum.journal_abbrev == "Fict. Trials J."
    assert retracted.flags == (FLAG_RETRACTED,)
    assert retracted.doi == "10.5555/sleep.2018.3"  # id=doi: parameter of its own link


def test_a_doi_in_a_reference_note_is_never_taken(tmp_path):
    path = write(
        tmp_path,
        "refs.ris",
        "TY  - JOUR\nTI  - Citing paper\nN1  - References: Smith J (2001) doi:10.9999/cited\n"
        "ER  - \nTY  - JOUR\nTI  - Note is only a DOI\nN1  - DOI: 10.5555/own.1\nER  - \n",
    )
    citing, own = read_file(path, "Scopus").records
    assert citing.doi == ""
    assert own.doi == "10.5555/own.1"


def test_zotero_chapter_and_retracted_title():
    chapter, paper = read("zotero.ris", "Zotero").records
    assert chapter.entry_type == "incollection"
    assert chapter.journal == "Handbook of Systematic Review Tools"
    assert chapter.authors == ("Lovelace, Ada", "Babbage, Charles")  # A3 left out
    assert chapter.issn == ""  # SN holds an ISBN
    assert chapter.keywords == ("screening", "deduplication")
    assert chapter.publisher == "Example Press"
    assert chapter.year == 2020
    assert paper.entry_type == "inproceedings"
    assert paper.pages == "e1234"  # C7 article number
    assert paper.flags == (FLAG_RETRACTED,)  # title says "RETRACTED:"


def test_ris_without_ids_gets_stable_unique_ids(tmp_path):
    entry = "TY  - JOUR\nTI  - Same title\nAU  - Same, A.\nPY  - 2020\nER  - \n"
    path = write(tmp_path, "dups.ris", entry * 3 + "TY  - JOUR\nAN  - X1\nTI  - a\nER  - \n" * 2)
    first = read_file(path, "x")
    ids = [r.source_id for r in first.records]
    assert all(re.fullmatch(r"\d:[0-9a-f]{12}", i) for i in ids[:3])
    assert len(set(ids[:3])) == 3
    assert ids[3:] == ["X1", "X1#2"]
    assert [r.source_id for r in read_file(path, "x").records] == ids


def test_blank_entry_is_a_problem_but_a_poor_record_is_kept(tmp_path):
    path = write(
        tmp_path,
        "x.ris",
        "TY  - JOUR\nAU  - Nobody, N.\nPY  - 2001\nER  - \n\nTY  - JOUR\nDO  - 10.5555/x\n"
        "ER  - \n\nTY  - JOUR\nER  - \n",
    )
    result = read_file(path, "x")
    assert result.problems == (
        Problem(
            3,
            10,
            "no title or identifier: no title, DOI or PMID (nor an author, journal or year); "
            "add one or leave the entry out",
        ),
    )
    assert result.records[0].authors == ("Nobody, N.",) and result.records[0].title == ""
    assert result.records[1].doi == "10.5555/x"


# --- MEDLINE ------------------------------------------------------------------------------


def test_medline_flags_relations_collective_authors_and_bad_lines():
    result = read("retractions.nbib", "PubMed")
    retracted, notice, damaged = result.records
    assert retracted.title == (
        "A hand-written MEDLINE record whose title wraps onto a second line."
    )
    assert retracted.authors == ("Ng, Wai Kit", "Fictional Trials Group", "Smith, Anne")
    assert retracted.year == 1998  # "1998 Dec-1999 Jan"
    assert retracted.doi == "10.5555/medline.1998.1"  # the [doi] LID, not the [pii] one
    assert retracted.pages == "1205-1212"
    assert retracted.flags == (FLAG_RETRACTED, FLAG_HAS_ERRATUM)
    assert retracted.relations == (
        ("RetractionIn", "PMID 20000002"),
        ("ErratumIn", "Fict J. 1999 Feb;2(2):2. Ng, W [corrected to Ng, Wai Kit]"),
    )
    assert notice.flags == (FLAG_RETRACTION_NOTICE,)
    assert notice.relations == (("RetractionOf", "PMID 20000001"),)
    # One odd line never loses the entry: it is joined to the field before, with a warning.
    assert not result.problems
    assert damaged.title == "A record with a damaged line this line has no tag"
    (warning,) = result.warnings
    assert (warning.entry, warning.line, warning.tag) == (3, 37, "TI")
    assert "'this line has no tag' is not a MEDLINE field: joined to TI" in warning.message


# --- BibTeX -------------------------------------------------------------------------------


def test_bibtex_latex_names_failed_blocks_and_duplicate_keys():
    result = read("broken.bib", "Google Scholar")
    mueller, conference, duplicate, untitled = result.records
    assert mueller.source_id == "mueller2020"
    assert mueller.title == "Müller's DNA study of été — and more"
    assert mueller.authors == (
        "Müller, Jörg",
        "Smith, Anne",
        "World Health Organization",
        "van Beethoven, Ludwig",
    )
    assert mueller.journal == "Journal of Testing"  # @string macro
    assert (mueller.year, mueller.volume, mueller.issue) == (2020, "12", "3")
    assert mueller.pages == "101-110"
    assert mueller.doi == "10.5555/test_2020.1"
    assert mueller.pmid == "31234567"
    assert mueller.keywords == ("testing", "accents")
    assert mueller.url == "https://example.org/~mueller"
    assert conference.journal == "Proceedings of Examples"  # booktitle
    assert conference.pmid == "30123456"  # eprint with eprinttype pubmed
    assert conference.entry_type == "inproceedings"
    assert duplicate.source_id == "mueller2020#2"
    assert duplicate.title == "The same key used twice"
    (broken,) = result.problems
    assert (broken.entry, broken.line) == (2, 18)
    assert "BibTeX syntax error in entry 'broken2021'" in broken.message
    # A poor record (no title) is still a record the database returned: kept.
    assert (untitled.source_id, untitled.title, untitled.year) == ("notitle", "", 2015)


# --- CSV ----------------------------------------------------------------------------------


def test_csv_bad_rows_are_problems_and_reading_goes_on():
    result = read("bad_rows.csv")
    assert [r.source_id for r in result.records] == ["r1", "r3", "r5", "r6"]
    lines = [(p.entry, p.line) for p in result.problems]
    assert lines == [(2, 3), (4, 5), (7, 9)]
    assert "8 cells where the header has 7" in result.problems[0].message
    assert "quote" in result.problems[1].message
    assert "3 cells where the header has 7" in result.problems[2].message
    r1, r3, r5, r6 = result.records
    assert r1.authors == ("Able, A.", "Baker, B.")
    assert r1.pages == "1-10"
    assert r3.authors == ("Dunn, D.", "Evans, E.")
    assert r3.pages == ""  # UNKNOWN
    assert r5.doi == "10.5555/r5"
    assert r6.title == "Multi-line title, properly quoted"
    assert r6.pages == "221-228"


def test_csv_quote_never_closed(tmp_path):
    path = write(
        tmp_path, "q.csv", 'ID,title,year\na,"One",2020\nb,"Never closed,2021\nc,Three,2022\n'
    )
    result = read_file(path, "x")
    assert [r.source_id for r in result.records] == ["a", "c"]
    (problem,) = result.problems
    assert (problem.entry, problem.line) == (2, 3)
    assert "never closed" in problem.message


def test_scopus_csv_export():
    article, erratum = read("scopus.csv", "Scopus").records
    assert article.source_id == "2-s2.0-85000000001"  # EID
    assert article.authors == ("Kowalski J.", "Nowak A.")
    assert article.journal == "Journal of Fictional Veterinary Science"
    assert article.journal_abbrev == "J. Fict. Vet. Sci."
    assert article.pages == "e70001"  # Art. No.
    assert article.pmid == "38000001"
    assert article.issn == "1234-5678"
    assert article.keywords == ("sleep", "dogs", "Animals", "Sleep")
    assert article.language == "English"
    assert erratum.pages == "100"
    assert erratum.flags == (FLAG_ERRATUM,)


def test_pubmed_csv_export_authors_and_pmid_as_id():
    (record,) = read("pubmed.csv", "PubMed").records
    assert record.authors == ("Smith J", "van der Berg JA", "O'Neil K")
    assert record.source_id == record.pmid == "39000001"
    assert record.pmcid == "PMC11000001"
    assert record.journal == "Fict J"
    assert record.year == 2024


def test_semicolon_csv_in_cp1252():
    result = read("semicolon_cp1252.csv")
    assert result.encoding == "cp1252"
    (record,) = result.records
    assert record.title == "Étude des «effets» du café"
    assert record.authors == ("Dupré, A.", "Lefèvre, B.")
    assert record.pages == "12-19"


def test_wos_tab_delimited_utf16():
    result = read("wos_tab_utf16.txt", "Web of Science")
    assert (result.format, result.encoding) == ("csv", "utf-16")
    (record,) = result.records
    assert record.source_id == "WOS:000000000000001"  # UT, since ID is Keywords Plus here
    assert record.keywords == ("microangiography", "dogs", "FRACTURES", "BLOOD-SUPPLY")
    assert record.authors == ("Larsen, LJ", "Roush, JK")
    assert record.pages == "134-137"
    assert record.pmid == "10500001"
    assert record.issn == "0932-0814, 1234-5679"
    assert record.flags == (FLAG_RETRACTED,)


def test_csv_huge_cell(tmp_path):
    abstract = "word " * 100_000  # 500,000 characters: over the csv module's default limit
    path = write(tmp_path, "big.csv", f'ID,title,abstract\nb1,Big one,"{abstract}"\n')
    (record,) = read_file(path, "x").records
    assert len(record.abstract) == len(abstract.strip())


# --- encodings ----------------------------------------------------------------------------


def test_latin1_only_as_a_last_resort(tmp_path):
    one = write(tmp_path, "one.ris", b"TY  - JOUR\nTI  - Odd \x81 byte\nER  - \n")
    assert read_file(one, "x").encoding == "latin-1"
    noise = bytes(range(0x80, 0x100))  # no code page reads this as text
    many = b"TY  - JOUR\nTI  - t\n" + b"N1  - " + noise + b"\n" * 20 + b"ER  - \n"
    with pytest.raises(ImportFileError, match=r"many.ris: line 3: the text is not UTF-8"):
        read_file(write(tmp_path, "many.ris", many), "x")


def test_utf16_without_bom(tmp_path):
    path = write(tmp_path, "u.ris", "TY  - JOUR\r\nTI  - Zürich\r\nER  - \r\n".encode("utf-16-le"))
    result = read_file(path, "x")
    assert result.encoding == "utf-16-le"
    assert result.records[0].title == "Zürich"


# --- layering -----------------------------------------------------------------------------


def test_importers_never_import_a_ui_toolkit():
    code = (
        "import sys, screener.importers\n"
        "bad = [m for m in ('textual', 'click', 'rich') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"M{\"u}ller", "Müller"),
        (r"Garc{\'\i}a", "García"),
        (r"Erd\H{o}s Pa\l{}ka \c{C}elik \v{S}ko", "Erdős Pałka Çelik Ško"),
        (r"H\aa{}kon {\O}stergaard", "Håkon Østergaard"),
        (r"50\% \& more -- less", "50% & more – less"),
        (r"\emph{In vivo} study of {DNA}", "In vivo study of DNA"),  # via pylatexenc
    ],
)
def test_bibtex_latex_decoding(latex, text):
    from screener.importers.bibtex import latex as decode

    assert decode(latex) == text


def test_bibtex_author_lists():
    from screener.importers.bibtex import authors

    assert authors(r"J. R. R. Tolkien and {Barnes and Noble} and de la Cruz, Juana and others") == (
        "Tolkien, J. R. R.",
        "Barnes and Noble",
        "de la Cruz, Juana",
    )


def test_csv_without_a_title_doi_or_pmid_column(tmp_path):
    path = write(tmp_path, "sheet.csv", "Name,Score\nAda,3\n")
    with pytest.raises(ImportFileError, match=r"sheet.csv: line 1: no column holds titles"):
        read_file(path, "x")


@pytest.mark.parametrize(
    ("title", "flags"),
    [
        ("RETRACTED: Effects of X", ("retracted",)),
        ("Retraction notice to “Effects of X”", ("retraction-notice",)),
        ("Retraction Note: Effects of X", ("retraction-notice",)),
        ("Erratum to: Effects of X", ("erratum",)),
        ("Correction to: Effects of X", ("erratum",)),
        ("Retraction of the tongue during swallowing", ()),
        ("Correction to the anion gap for albumin", ()),
    ],
)
def test_title_flags(title, flags):
    from screener.importers.common import ordered_flags, title_flags

    assert ordered_flags(title_flags(title)) == flags
