"""PubMed XML files as an import format: sniffed, read whatever their prolog says (an
http:// DTD URL, none, no XML declaration, a bare article), and never a network fetch."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from Bio.Entrez import Parser

from screener.errors import ImportFileError
from screener.importers import detect_format, read_file
from tests.conftest import shared_path

DATA = Path(__file__).resolve().parent / "data" / "imports" / "pubmedxml"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to fetch a DTD (or open any socket) fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network use attempted: {args!r}")

    monkeypatch.setattr(Parser, "urlopen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_a_bare_article_without_declaration_or_doctype():
    result = read_file(DATA / "fragment_no_declaration.xml", "PubMed")
    assert result.format == "pubmed-xml"
    (record,) = result.records
    assert record.source == "PubMed" and record.source_id == record.pmid == "39000001"
    assert record.title == "A bare PubmedArticle without an XML declaration or DOCTYPE."
    assert record.authors == ("Doe, Jane", "Fixture Writers Group")
    assert (record.year, record.volume, record.issue) == (2015, "4", "1")
    assert record.journal == "Journal of Hand-Written Fixtures"
    assert record.doi == "10.5555/fixture.2015.1042"
    assert record.pages == "1042"  # the pii ELocationID: an article number, no pages
    assert record.abstract == "BACKGROUND: Written for screener's tests."


def test_an_http_dtd_that_is_not_bundled_is_never_fetched():
    (record,) = read_file(DATA / "http_dtd_unknown.xml", "PubMed").records
    assert record.pmid == "39000002"
    assert record.title == "An http DTD URL that must never be fetched."


def test_sniffed_by_content_and_named_on_the_command_line(tmp_path, runner, monkeypatch):
    text = (DATA / "http_dtd_unknown.xml").read_text()
    assert detect_format(Path("export.xml"), text) == "pubmed-xml"
    assert detect_format(Path("export.txt"), text) == "pubmed-xml"
    from screener.cli import main

    monkeypatch.setenv("SCREENER_DB", str(tmp_path / "r.sqlite"))
    args = ["import", str(DATA / "http_dtd_unknown.xml"), "--database", "PubMed"]
    result = runner.invoke(main, [*args, "--format", "pubmed-xml"])
    assert result.exit_code == 0, result.output
    assert "(run 1, pubmed-xml, utf-8): 1 stored, 1 new." in result.output


def test_not_well_formed_and_other_xml_are_clear_errors(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<PubmedArticleSet><PubmedArticle><MedlineCitation>\n")
    with pytest.raises(ImportFileError, match="broken.xml: line 1: no entry could be read"):
        read_file(broken, "PubMed")
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?>\n<records><record/></records>\n')
    with pytest.raises(ImportFileError, match="EndNote XML"):
        read_file(other, "PubMed")


@pytest.mark.parametrize(
    ("parts", "count", "first"),
    [
        # An http:// DTD URL of 2013: refused by Biopython's own reader.
        (("ncbi_eutils_samples", "efetch.pubmed.xml"), 2, ("17284678", 2007, "311-319")),
        # No DOCTYPE and no XML declaration.
        (("pubmedpy", "efetch.xml"), 6, ("27094199", 2016, "179-184")),
        (("ncbi_eutils_samples", "efetch.pubmedbook.xml"), 1, ("20301295", 1993, "")),
        (("metapub", "pmid_xml", "38147649.xml"), 1, ("38147649", 2024, "e2308706120")),
    ],
)
def test_real_pubmed_xml_files(parts, count, first):
    result = read_file(shared_path("fixtures", *parts), "PubMed")
    assert len(result.records) == count and not result.problems
    record = result.records[0]
    assert (record.pmid, record.year, record.pages) == first
    assert record.title and record.authors


def _article(pmid: str, title: str) -> str:
    text = (DATA / "fragment_no_declaration.xml").read_text()
    text = text.replace("39000001", pmid)
    return text.replace("A bare PubmedArticle without an XML declaration or DOCTYPE.", title)


def test_one_broken_or_cut_short_article_is_one_problem(tmp_path, monkeypatch):
    from screener.importers import pubmedxml

    monkeypatch.setattr(pubmedxml, "BATCH", 2)  # batches of two: the fallback is exercised
    broken = _article("3", "Broken").replace("</ArticleTitle>", "</ArticleTitl>")
    cut = _article("5", "Cut short")
    text = "<PubmedArticleSet>\n" + "".join(
        [_article("1", "One"), _article("2", "Two"), broken, _article("4", "Four")]
    )
    path = tmp_path / "mixed.xml"
    path.write_text(text + cut[: len(cut) // 2])
    result = read_file(path, "PubMed")
    assert [r.title for r in result.records] == ["One", "Two", "Four"]
    assert [(p.entry, p.line) for p in result.problems] == [(3, 70), (5, 138)]
    assert "not readable as PubMed XML" in result.problems[0].message
    assert "the file ends inside this article" in result.problems[1].message


def test_articles_and_books_keep_file_order_across_batches(tmp_path, monkeypatch):
    from screener.importers import pubmedxml

    article = shared_path("fixtures", "pubmedpy", "efetch.xml").read_text()
    book = shared_path("fixtures", "ncbi_eutils_samples", "efetch.pubmedbook.xml").read_text()
    book = book[book.index("<PubmedBookArticle>") : book.rindex("</PubmedBookArticle>") + 20]
    body = article[article.index("<PubmedArticleSet>") + 18 : article.rindex("</PubmedArticleSet>")]
    monkeypatch.setattr(pubmedxml, "BATCH", 4)

    path = tmp_path / "mixed.xml"
    path.write_text(f"<PubmedArticleSet>{book}{body}{book}</PubmedArticleSet>")
    records = read_file(path, "PubMed").records
    assert len(records) == 8
    assert [r.entry_type for r in records][:2] == ["book", "article"]
    assert records[-1].entry_type == "book"
    assert [r.pmid for r in records[1:7]] == [
        r.pmid for r in read_file(shared_path("fixtures", "pubmedpy", "efetch.xml"), "x").records
    ]
