"""File importers on real exports in ../shared: Scopus/WoS RIS, MEDLINE, bib-dedupe CSVs.

Every test skips, saying why, when ../shared is absent. Nothing here is copied into the
project: the files are read where they are.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pytest

from screener.importers import read_file
from screener.models import Record

SHARED = Path(__file__).resolve().parents[2] / "shared"
RIS = SHARED / "fixtures" / "ris"
MEDLINE = SHARED / "fixtures" / "biopython" / "Medline"
DEDUP = SHARED / "dedup-bench"


def shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found (real exports live there)")
    return path


def by_id(records: tuple[Record, ...]) -> dict[str, Record]:
    return {r.source_id: r for r in records}


# --- Scopus RIS ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scopus():
    return read_file(shared(RIS / "scopus.ris"), "Scopus")


def test_scopus_reads_every_entry_without_problems(scopus):
    assert scopus.format == "ris"
    assert scopus.encoding == "utf-8-sig"
    assert len(scopus.records) == 10
    assert scopus.problems == ()
    assert {r.source for r in scopus.records} == {"Scopus"}


def test_scopus_first_entry_fields(scopus):
    first = scopus.records[0]
    assert first.source_id == "2-s2.0-85214459603"  # the EID from the UR link
    assert first.title.startswith("Development and Validation of a Robust and Straightforward")
    assert first.authors[:2] == ("Furlanello, T.", "Masti, R.")
    assert first.authors[-1] == "Sanchez del Pulgar, J."
    assert len(first.authors) == 6
    assert first.year == 2025
    assert first.journal == "Animals"
    assert (first.volume, first.issue) == ("15", "1")
    assert first.pages == "3"  # article number (C7), no SP/EP
    assert first.doi == "10.3390/ani15010003"
    assert first.issn == "2076-2615"
    assert first.language == "English"
    assert first.publisher == "Multidisciplinary Digital Publishing Institute (MDPI)"
    assert first.publication_types == ("Article",)
    assert first.entry_type == "article"
    assert "taurine" in first.keywords and first.keywords.count("taurine") == 1
    assert first.abstract.endswith("© 2024 by the authors.")


def test_scopus_pubmed_ids_pages_and_abbreviations(scopus):
    second = scopus.records[1]
    assert (
        second.title == "Calcium and magnesium abnormalities in puppies with parvoviral enteritis"
    )
    assert second.pmid == "39549413"  # Scopus puts the PMID in C2
    assert second.journal == "American Journal of Veterinary Research"
    assert second.journal_abbrev == "Am. J. Vet. Res."
    assert second.pages == "1-8"
    assert second.issn == "0002-9645"
    assert sum(1 for r in scopus.records if r.pmid) == 5
    assert all(r.doi for r in scopus.records)
    assert scopus.records[-1].publication_types == ("Review",)
    assert scopus.records[-1].doi == "10.1016/j.tvjl.2024.106241"


# --- Web of Science RIS -------------------------------------------------------------------


@pytest.fixture(scope="module")
def wos():
    return read_file(shared(RIS / "wos_test.ris"), "Web of Science")


def test_wos_reads_all_fifty_entries_despite_lone_cr_line_ends(wos):
    assert len(wos.records) == 50
    assert wos.problems == ()
    ids = [r.source_id for r in wos.records]
    assert all(re.fullmatch(r"WOS:[0-9A-Z]{15}", i) for i in ids)
    assert len(set(ids)) == 50


def test_wos_first_entry_fields(wos):
    first = wos.records[0]
    assert first.source_id == "WOS:000082252000006"
    assert first.title == (
        "Microangiography of the humeral condyle in Cocker Spaniel and non-Cocker Spaniel dogs"
    )
    assert first.authors == ("Larsen, LJ", "Roush, JK", "McLaughlin, RM", "Cash, WC")
    assert first.year == 1999
    assert first.journal == "VETERINARY AND COMPARATIVE ORTHOPAEDICS AND TRAUMATOLOGY"
    assert first.journal_abbrev == "Vet. Comp. Orthop. Traumatol."
    assert (first.volume, first.issue, first.pages) == ("12", "3", "134-137")
    assert first.issn == "0932-0814"
    assert first.publisher == "F K SCHATTAUER VERLAG GMBH"  # WoS writes PU, not PB
    assert first.doi == ""
    # The abstract's second paragraph is an untagged continuation line.
    assert "Microangiography was performed on four Cocker Spaniel" in first.abstract


def test_wos_dois_issns_and_languages(wos):
    second = by_id(wos.records)["WOS:000322578800011"]
    assert second.doi == "10.1590/s0103-84782013005000101"
    assert second.issn == "0103-8478, 1678-4596"
    assert second.language == "Portuguese"
    assert second.keywords[:2] == ("retinal", "Cocker Spaniels")
    assert sum(1 for r in wos.records if r.doi) == 37


def test_reading_twice_gives_the_same_records(wos):
    again = read_file(RIS / "wos_test.ris", "Web of Science")
    assert again.records == wos.records


# --- MEDLINE ------------------------------------------------------------------------------


def test_medline_single_record():
    result = read_file(shared(MEDLINE / "pubmed_result1.txt"), "PubMed")
    assert result.format == "nbib"
    (record,) = result.records
    assert record.source_id == record.pmid == "12230038"
    assert record.title == "The Bio* toolkits--a brief overview."
    assert record.authors == ("Mangalam, Harry",)
    assert record.year == 2002
    assert record.journal == "Briefings in bioinformatics"
    assert record.journal_abbrev == "Brief Bioinform"
    assert (record.volume, record.issue, record.pages) == ("3", "3", "296-302")
    assert record.issn == "1467-5463"
    assert record.language == "eng"
    assert record.publication_types == ("Journal Article",)
    assert record.mesh[0] == "*Computational Biology"
    assert record.abstract.startswith("Bioinformatics research is often difficult")
    assert record.abstract.endswith("beginning biologist programmer.")


def test_medline_four_records_with_dois_and_pmc():
    result = read_file(shared(MEDLINE / "pubmed_result2.txt"), "PubMed")
    assert [r.pmid for r in result.records] == ["16403221", "16377612", "14871861", "14630660"]
    first, second = result.records[:2]
    assert first.title == "A high level interface to SCOP and ASTRAL implemented in python."
    assert first.authors == ("Casbon, James A", "Crooks, Gavin E", "Saqi, Mansoor A S")
    assert first.doi == "10.1186/1471-2105-7-10"
    assert first.pmcid == "PMC1373603"
    assert first.year == 2006
    assert second.title == (
        "GenomeDiagram: a python package for the visualization of large-scale genomic data."
    )
    assert second.pages == "616-617"  # "616-7" written out
    assert second.doi == "10.1093/bioinformatics/btk021"


def test_medline_lid_doi_and_wrapped_mesh():
    result = read_file(shared(MEDLINE / "pubmed_result3.txt"), "PubMed")
    (record,) = result.records
    assert record.pmid == "23039619"
    assert record.doi == "10.1118/1.4748329"
    assert record.authors == ("Qiao, Shan", "Shen, Guofeng", "Bai, Jingfeng", "Chen, Yazhu")
    assert record.issn == "0094-2405"
    assert record.pages == "5795-5813"
    assert (
        "High-Intensity Focused Ultrasound Ablation/adverse effects/instrumentation/*methods"
        in record.mesh
    )


# --- bib-dedupe CSV sets ------------------------------------------------------------------


def dedup_sets() -> list[str]:
    if not DEDUP.exists():
        return ["(absent)"]
    return sorted(p.parent.name for p in DEDUP.glob("*/records_pre_merged.csv"))


def csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) for every non-blank data row, read with the csv module directly."""
    csv.field_size_limit(2**31 - 1)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows, line = [], reader.line_num + 1
        for row in reader:
            if any((v or "").strip() for v in row.values()):
                rows.append((line, row))
            line = reader.line_num + 1
    return rows


def plain(value: str) -> str:
    """A cell as the importer should give it: UNKNOWN empty, entities decoded, spaces collapsed."""
    value = (value or "").strip()
    return "" if value == "UNKNOWN" else " ".join(html.unescape(value).split())


@pytest.mark.parametrize("name", dedup_sets())
def test_dedup_bench_csv_keeps_every_row_id_and_field(name):
    path = shared(DEDUP / name / "records_pre_merged.csv")
    result = read_file(path, "bench")
    rows = csv_rows(path)
    assert result.format == "csv"
    assert len(result.records) + len(result.problems) == len(rows)
    records = by_id(result.records)
    problem_lines = {p.line for p in result.problems}
    for line, row in rows:
        if line in problem_lines:
            assert not plain(row.get("title", "")) and not plain(row.get("doi", ""))
            continue
        record = records[row["ID"]]
        assert record.title == plain(row["title"])
        assert record.year == (int(row["year"]) if plain(row["year"]) else None)
        assert record.volume == plain(row.get("volume", ""))
        assert record.issue == plain(row.get("number") or row.get("issue") or "")
        assert record.entry_type == plain(row["ENTRYTYPE"]).lower()
        journal = plain(row.get("journal", "")) or plain(row.get("booktitle", ""))
        assert record.journal == journal
        if plain(row.get("doi", "")):
            assert record.doi == plain(row["doi"]).lower()
        if plain(row.get("publisher", "")):
            assert record.publisher == plain(row["publisher"])
        if plain(row.get("author", "")):
            assert record.authors
        if "--" in row.get("pages", ""):
            assert "--" not in record.pages and " -" not in record.pages


def test_dedup_bench_haematology_rows_without_title_are_kept():
    result = read_file(shared(DEDUP / "haematology" / "records_pre_merged.csv"), "bench")
    assert len(result.records) == 1415 and result.problems == ()
    records = by_id(result.records)
    untitled = records["id_0000002"]  # a real citation with no title in the export
    assert (untitled.title, untitled.journal, untitled.year) == ("", "Nat Rev Nephrol", 2011)
    assert records["id_0001415"].issue == "20/04/2012"  # every field it has, even odd ones
    first = records["id_0000001"]
    assert first.title == "New insights into postrenal transplant hemolytic uremic syndrome."
    assert first.authors[:2] == ("Zuber, J", "Le Quintrec, M")
    assert (first.year, first.volume, first.issue, first.pages) == (2011, "7", "1", "23-35")
    assert first.journal == "Nat Rev Nephrol"


def test_dedup_bench_digital_work_unknown_cells_and_page_ranges():
    result = read_file(shared(DEDUP / "digital_work" / "records_pre_merged.csv"), "bench")
    assert len(result.records) == 7159
    assert result.problems == ()
    first = by_id(result.records)["id_0000000"]
    assert first.title.startswith("ЗАЙНЯТІСТЬ І МОТИВАЦІЯ")
    assert first.authors == ("АЗЬМУК, Н. А.",)
    assert first.volume == ""  # "UNKNOWN" in the file
    assert first.pages == "376-383"  # "376 -- 383" in the file
    assert first.issue == "4"
    assert first.journal == "Problems of Economy"
    kinds = {r.entry_type for r in result.records}
    assert {"article", "inproceedings", "proceedings", "incollection"} <= kinds


def test_dedup_bench_special_cases_booktitle_as_journal():
    result = read_file(shared(DEDUP / "special_cases" / "records_pre_merged.csv"), "bench")
    first = by_id(result.records)["id_0000001"]
    assert first.entry_type == "inproceedings"
    assert first.journal == "Americas Conference on Information Systems"
    assert first.authors == ("Deng, Chaoqun", "Ravichandran, Thiagarajan")
    assert first.year == 2017


def test_dedup_bench_tests_small_run_together_authors_and_issn_column():
    result = read_file(shared(DEDUP / "tests_small" / "records_pre_merged.csv"), "bench")
    assert len(result.records) == 9  # the tenth row is entirely empty
    records = by_id(result.records)
    assert records["id_0022176"].authors == (
        "Tan A.",
        "Schulze A.",
        "O'Donnell C. P.",
        "Davis P. G.",
    )
    assert records["id_0022176"].doi == "10.1002/14651858.cd002273.pub2"
    assert records["id_0022176"].pages == "Cd002273"
    assert records["id_0000728"].issn == "0957-9672"  # "0957-9672 (Print)\n0957-9672"
    assert records["id_0000728"].pages == "221-228"  # "221-8"
    assert records["id_0028740"].volume == "20 (5 Supplement 1)"
    assert {"id_0000728", "id_0000728B", "id_0000728NEW"} <= set(records)


def test_dedup_bench_respiratory_and_stroke_spot_checks():
    respiratory = by_id(
        read_file(shared(DEDUP / "respiratory" / "records_pre_merged.csv"), "x").records
    )
    first = respiratory["id_0000001"]
    assert first.title.startswith("Perioperative nutritional support in patients undergoing")
    assert first.authors == ("Ziegler, T. R.",)
    assert (first.year, first.volume, first.issue, first.pages) == (1996, "20", "1112", "91-92")
    stroke = by_id(read_file(shared(DEDUP / "stroke" / "records_pre_merged.csv"), "x").records)
    assert stroke["id_0000001"].authors == (
        "Zhai, Q. J.",
        "Yue, X. Y.",
        "Hong, Z.",
        "Xu, G. L.",
        "Liu, X. F.",
    )
    assert stroke["id_0000001"].journal == "Chinese Journal of Cerebrovascular Diseases"
