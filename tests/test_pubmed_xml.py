"""PubMed XML → Record: every real fixture Biopython accepts, plus hand-made edge cases."""

from __future__ import annotations

import pytest

from screener.sources.pubmed_xml import PubmedXmlError, parse_efetch
from tests.conftest import DATA, shared_path

# (fixture, PMID, year, DOI, start of title) — read from ../shared/fixtures.
REAL = [
    (
        "biocommons_eutils/decoded/test_efetch__0.xml",
        "1234567",
        1975,
        "10.1159/000398269",
        "The effect of castration",
    ),
    (
        "biocommons_eutils/decoded/test_eutils_xmlfacades_pubmedarticle_20412080__0.xml",
        "20412080",
        2010,
        "10.1111/j.1399-0004.2010.01436.x",
        "The human phenotype ontology",
    ),
    (
        "biocommons_eutils/decoded/test_eutils_xmlfacades_pubmedarticle_22351513__0.xml",
        "22351513",
        2012,
        "10.1002/jsfa.5627",
        "Variation in oil content",
    ),
    (
        "biocommons_eutils/decoded/test_eutils_xmlfacades_pubmedarticle_22528466__0.xml",
        "22528466",
        2012,
        "10.1007/s11248-012-9616-0",
        "Expression of biologically active",
    ),
    (
        "biocommons_eutils/decoded/test_eutils_xmlfacades_pubmedarticle_23121403__0.xml",
        "23121403",
        2012,
        "10.1056/nejmoa1210384",
        "Low-dose aspirin",
    ),
    (
        "biocommons_eutils/decoded/test_eutils_xmlfacades_pubmedarticle_29915538__0.xml",
        "29915538",
        2018,
        "10.3389/fphar.2018.00576",
        "Efficacy and Safety of Once-Weekly",
    ),
    ("biopython/Entrez/pubmed1.xml", "12091962", 1990, "", "The treatment of AIDS"),
    (
        "biopython/Entrez/pubmed2.xml",
        "11748933",
        2001,
        "10.1006/cryo.2001.2328",
        "Is cryopreservation a homogeneous process",
    ),
    (
        "biopython/Entrez/pubmed4.xml",
        "27797938",
        2017,
        "10.1136/gutjnl-2016-312510",
        "Leucocyte telomere length",
    ),
    (
        "biopython/Entrez/pubmed5.xml",
        "28775130",
        2018,
        "10.1136/oemed-2017-104431",
        "Occupational pesticide exposure",
    ),
    (
        "biopython/Entrez/pubmed6.xml",
        "30108519",
        2018,
        "10.3389/fphys.2018.01034",
        'A "Blood Relationship" Between',
    ),
    (
        "biopython/Entrez/pubmed7.xml",
        "29963580",
        2018,
        "10.1117/1.jmi.5.2.026002",
        "Development of a pulmonary imaging",
    ),
    (
        "metapub/pmid_xml/11636720.xml",
        "11636720",
        1973,
        "10.1163/156852873x00014",
        "Anaxagoras' theory",
    ),
    (
        "metapub/pmid_xml/23657305.xml",
        "23657305",
        2013,
        "10.1590/s0004-28032013000100008",
        "Hfe mutations and iron overload",
    ),
    (
        "metapub/pmid_xml/29226023.xml",
        "29226023",
        2017,
        "10.4172/2161-1122.1000448",
        "Evaluating the Whitening",
    ),
    (
        "metapub/pmid_xml/32294727.xml",
        "32294727",
        2020,
        "10.1590/s0004-2803.202000000-01",
        "LIVER TRANSPLANTATION IN BRAZIL",
    ),
    (
        "metapub/pmid_xml/33786689.xml",
        "33786689",
        2021,
        "10.1007/s10554-021-02227-x",
        "Cardiovascular imaging 2020",
    ),
    (
        "metapub/pmid_xml/34843274.xml",
        "34843274",
        2022,
        "10.1037/amp0000904",
        "Summary of the clinical practice guideline",
    ),
    (
        "metapub/pmid_xml/35123456.xml",
        "35123456",
        2022,
        "10.1186/s12891-022-05070-w",
        "Test-retest reliability",
    ),
    (
        "metapub/pmid_xml/35649368.xml",
        "35649368",
        2022,
        "10.1016/j.celrep.2022.110870",
        "Fatty acid oxidation protects",
    ),
    (
        "metapub/pmid_xml/35830032.xml",
        "35830032",
        2022,
        "10.1590/s0004-2803.202202000-40",
        "SAFETY OF LONG-TERM PROTON PUMP",
    ),
    (
        "metapub/pmid_xml/37733615.xml",
        "37733615",
        2021,
        "10.1353/hub.2021.0010",
        "Fine-Scale Genetic Profile",
    ),
    (
        "metapub/pmid_xml/38147649.xml",
        "38147649",
        2024,
        "10.1073/pnas.2308706120",
        "Social anxiety disorder-associated",
    ),
    (
        "metapub/pmid_xml/38534005.xml",
        "38534005",
        2024,
        "10.1515/cclm-2024-0070",
        "The EFLM European Urinalysis Guideline 2023.",
    ),
    (
        "metapub/pmid_xml/38833988.xml",
        "38833988",
        2024,
        "10.1016/j.bbamcr.2024.119767",
        'Corrigendum to "MageC2 protein',
    ),
    (
        "metapub/pmid_xml/38962805.xml",
        "38962805",
        2024,
        "10.1080/09540121.2024.2374185",
        "Correction.",
    ),
    (
        "metapub/pmid_xml/39382274.xml",
        "39382274",
        2024,
        "10.1128/aac.00924-24",
        "Assessment of the activity",
    ),
]


def _one(path: str, pmid: str):
    records = parse_efetch(shared_path("fixtures", *path.split("/")).read_bytes())
    return next(r for r in records if r.pmid == pmid)


@pytest.mark.parametrize(("path", "pmid", "year", "doi", "title"), REAL)
def test_real_fixture_maps_to_record(path, pmid, year, doi, title):
    record = _one(path, pmid)
    assert record.source == "pubmed"
    assert record.source_id == pmid
    assert record.year == year
    assert record.doi == doi
    assert record.title.startswith(title)
    assert "<" not in record.title  # inline markup flattened


def test_doi_and_pmcid_come_from_the_article_not_its_reference_list():
    # 29915538 cites 45 other DOIs and 14 other PMC ids in its ReferenceList.
    record = _one(REAL[5][0], "29915538")
    assert record.doi == "10.3389/fphar.2018.00576"
    assert record.pmcid == "PMC5994433"


def test_structured_abstract_keeps_labels():
    record = _one("metapub/pmid_xml/38534005.xml", "38534005")
    assert record.abstract.startswith("BACKGROUND: The EFLM Task and Finish Group")
    assert "\nRECOMMENDATIONS: Graded recommendations" in record.abstract
    assert record.authors[0] == "Kouri, Timo T"
    assert record.journal == "Clinical chemistry and laboratory medicine"
    assert record.journal_abbrev == "Clin Chem Lab Med"
    assert (record.volume, record.issue, record.pages) == ("62", "9", "1653-1786")
    assert "practice guideline" in record.keywords
    assert "Urinalysis/standards/methods" in record.mesh


def test_season_date_gives_the_year():
    assert _one("metapub/pmid_xml/23657305.xml", "23657305").year == 2013  # Jan-Mar


def test_collective_author_is_kept():
    record = _one("metapub/pmid_xml/34843274.xml", "34843274")
    assert record.authors == (
        "Guideline Development Panel for the Treatment of Depressive Disorders",
    )


def test_errata_flags_from_publication_type_and_comments():
    assert "has-erratum" in _one("metapub/pmid_xml/35649368.xml", "35649368").flags
    notice = _one("metapub/pmid_xml/38833988.xml", "38833988")
    assert "erratum" in notice.flags
    assert ("ErratumFor", "PMID 33279609") in notice.relations


def test_empty_set_for_unknown_pmid_gives_no_records():
    assert (
        parse_efetch(shared_path("fixtures", "metapub", "pmid_xml", "37909814.xml").read_bytes())
        == []
    )


@pytest.mark.parametrize("name", ["pubmed3.html", "einfo4.xml"])
def test_html_and_truncated_xml_raise(name):
    with pytest.raises(PubmedXmlError):
        parse_efetch(shared_path("fixtures", "biopython", "Entrez", name).read_bytes())


def test_hand_made_medline_date_markup_retraction_and_book():
    article, book = parse_efetch((DATA / "pubmed" / "book_and_medlinedate.xml").read_bytes())
    assert article.year == 1998  # MedlineDate "1998 Dec-1999 Jan"
    assert article.title == "[Exosomes of the dermal papilla: H2O and p < 0.05]."
    assert article.authors == ("Muller, Anna Jr", "Hair Study Group")
    assert article.pages == "101-109"
    assert article.doi == ""  # the only DOI is a cited work's
    assert article.pmcid == "PMC42"
    assert article.flags == ("retracted",)
    assert article.relations == (("RetractionIn", "PMID 10000099"),)
    assert book.pmid == "20301295"
    assert book.title == "Alopecia, Hand-Made Example"
    assert book.authors == ("Pagon, Roberta A",)  # the authors, not the editors
    assert book.journal == "GeneReviews"
    assert book.year == 1993
    assert book.abstract == "CLINICAL CHARACTERISTICS: Hair is lost."
    assert book.url.endswith("/books/NBK1116/")
