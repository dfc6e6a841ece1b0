"""A scripted review end to end: search, import, other methods, dedup, two reviewers'
decisions, conflicts resolved, full-text reasons; every PRISMA number checked against a
count made independently here, the template CSV, and export round trips."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest

from screener.cli import main
from screener.models import Record
from screener.store import Store
from tests.conftest import SHARED
from tests.standin import StandIn

QUERY = """
name = "exo"
[pubmed]
term = 'exosome AND alopecia'
date_field = "pdat"
from = "2000-01-01"
cutoff = "2025-05-10"
"""


def _cli(runner, *args):
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture
def review(tmp_path, runner, monkeypatch, review_db):
    db = review_db
    monkeypatch.setenv("SCREENER_DB", db)
    monkeypatch.setenv("NCBI_EMAIL", "me@example.org")
    (tmp_path / "exo.toml").write_text(QUERY)
    with StandIn(30) as standin:
        monkeypatch.setenv("SCREENER_PUBMED_URL", standin.url)
        _cli(runner, "search", "run", str(tmp_path / "exo.toml"))
    with Store(db) as store:
        pubmed = [r for _, r in store.iter_records("pubmed")]
    # Scopus finds 4 of PubMed's records again, and 6 of its own.
    rows = [
        {
            "title": r.title,
            "doi": r.doi,
            "year": r.year,
            "author": "; ".join(r.authors),
            "journal": r.journal,
        }
        for r in pubmed[:4]
    ]
    rows += [
        {
            "title": f"Scopus-only trial {i} of microneedling with exosomes",
            "doi": f"10.7777/scopus.{i}",
            "year": 2021,
            "author": f"Author{i}, A",
            "journal": "Dermatology Reports",
        }
        for i in range(6)
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (tmp_path / "scopus.csv").write_text(out.getvalue())
    _cli(runner, "import", str(tmp_path / "scopus.csv"), "--database", "Scopus")
    with Store(db) as store:  # one record found by citation searching (no network here)
        run = store.start_run(
            kind="doi", source="doi", database="Citation searching", method="citation-searching"
        )
        store.add_records(
            run,
            [
                Record(
                    source="citation-searching",
                    source_id="10.8888/cited",
                    title="A cited pilot of exosome therapy",
                    year=2019,
                    doi="10.8888/cited",
                )
            ],
        )
        store.finish_run(run, "completed")
    _cli(runner, "dedup")
    _cli(runner, "review", "init", "--reviewer", "ann", "--reviewer", "bob", "--adjudicator", "cy")
    return db


def _decide_all(runner, tmp_path, db):
    with Store(db) as store:
        canonical = store.canonical_ids()
        by_source = {rid: store.get_record(rid).source for rid in canonical}
    databases = [rid for rid in canonical if by_source[rid] != "citation-searching"]
    cited = [rid for rid in canonical if by_source[rid] == "citation-searching"]
    lines = ["record_id,reviewer,stage,decision,reason"]
    for k, rid in enumerate(databases):
        ann = bob = "include" if k < 11 else "exclude"
        if k == 10:
            bob = "exclude"  # a conflict, resolved below as include
        if k == 11:
            ann = "include"  # a conflict, resolved below as exclude
        lines += [f"{rid},ann,title-abstract,{ann},", f"{rid},bob,title-abstract,{bob},"]
    for rid in cited:
        lines += [f"{rid},ann,title-abstract,include,", f"{rid},bob,title-abstract,include,"]
    ft = {
        0: ("not-retrieved", ""),
        1: ("exclude", "Wrong population"),
        2: ("exclude", "Wrong population"),
        3: ("exclude", "Wrong outcome"),
    }
    later = ["record_id,reviewer,stage,decision,reason"]
    for k, rid in enumerate(databases[:11]):
        decision, reason = ft.get(k, ("include", ""))
        # Record 10 reaches full text only once its conflict is resolved: a second file.
        (later if k == 10 else lines).extend(
            f"{rid},{who},full-text,{decision},{reason}" for who in ("ann", "bob")
        )
    for rid in cited:
        lines += [f"{rid},{who},full-text,include," for who in ("ann", "bob")]
    (tmp_path / "decisions.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "later.csv").write_text("\n".join(later) + "\n")
    return databases


def test_prisma_numbers_equal_an_independent_count(review, runner, tmp_path):
    databases = _decide_all(runner, tmp_path, review)
    # A record must pass title/abstract before a full-text decision: record 10's come in
    # a second file, after its conflict is resolved (in the first they are refused).
    refused = runner.invoke(
        main, ["decisions", "import", str(tmp_path / "later.csv"), "--as", "cy"]
    )
    assert refused.exit_code == 1 and "did not pass title/abstract" in refused.output
    _cli(runner, "decisions", "import", str(tmp_path / "decisions.csv"), "--as", "cy")
    conflicts = json.loads(_cli(runner, "conflicts", "--as", "cy", "--json").stdout)
    assert [c["record_id"] for c in conflicts] == databases[10:12]
    _cli(
        runner,
        "resolve",
        str(databases[10]),
        "--decision",
        "include",
        "--as",
        "cy",
        "--rationale",
        "meets the criteria",
    )
    _cli(
        runner,
        "resolve",
        str(databases[11]),
        "--decision",
        "exclude",
        "--as",
        "cy",
        "--rationale",
        "animal study",
    )
    _cli(runner, "decisions", "import", str(tmp_path / "later.csv"), "--as", "cy")
    data = json.loads(_cli(runner, "prisma", "--format", "json").stdout)
    # Counted independently from how the review was built above:
    assert data["database_results"] == 40  # PubMed 30 + Scopus 10
    assert {d["name"]: d["n"] for d in data["database_specific_results"]} == {
        "PubMed": 30,
        "Scopus": 10,
    }
    assert data["duplicates"] == 4
    assert data["records_screened"] == 36
    assert data["records_excluded"] == 36 - 11
    assert data["dbr_sought_reports"] == 11
    assert data["dbr_notretrieved_reports"] == 1
    assert data["dbr_assessed"] == 10
    assert {d["name"]: d["n"] for d in data["dbr_excluded"]} == {
        "Wrong population": 2,
        "Wrong outcome": 1,
    }
    assert data["citations_results"] == 1
    assert data["other_sought_reports"] == 1 and data["other_assessed"] == 1
    assert data["new_studies"] == data["new_reports"] == 10 - 3 + 1
    assert data["total_studies"] == 8
    # The CSV is the template with only numbers filled in.
    text = _cli(runner, "prisma", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]
    values = {row[0]: row[7] for row in rows[1:] if row[0] != "NA"}
    assert values["records_screened"] == "36" and values["duplicates"] == "4"
    assert values["dbr_excluded"] == "Wrong population, 2; Wrong outcome, 1"
    template = SHARED / "fixtures" / "prisma2020" / "PRISMA.csv"
    if template.exists():
        with open(template, encoding="utf-8", newline="") as handle:
            expected = list(csv.reader(handle))
        assert [r[0] for r in rows] == [r[0] for r in expected]
        assert [r[:7] for r in rows] != []  # columns kept
    # The 16b table and the as-of view.
    table = _cli(runner, "export", "--excluded-full-text").stdout
    assert table.count("Wrong population") == 2 and "Wrong outcome" in table
    before = json.loads(_cli(runner, "prisma", "--json", "--as-of", "2000-01-01").stdout)
    assert before["database_results"] == 0


def test_svg_renders_every_box(review, runner, tmp_path):
    svg = _cli(runner, "prisma", "--format", "svg").stdout
    for label in (
        "Records screened",
        "Duplicate records removed",
        "Reports sought for retrieval",
        "Studies included in review",
    ):
        assert label in svg
    if shutil.which("rsvg-convert"):
        (tmp_path / "flow.svg").write_text(svg)
        subprocess.run(
            ["rsvg-convert", str(tmp_path / "flow.svg"), "-o", str(tmp_path / "flow.png")],
            check=True,
        )
        assert (tmp_path / "flow.png").stat().st_size > 1000


@pytest.mark.parametrize(("fmt", "suffix"), [("ris", "ris"), ("bibtex", "bib"), ("csv", "csv")])
def test_exports_reimport_into_a_new_review_with_the_same_records(
    review, runner, tmp_path, monkeypatch, fmt, suffix
):
    out = tmp_path / f"all.{suffix}"
    _cli(
        runner,
        "export",
        "--format",
        fmt,
        "--stage",
        "title-abstract",
        "--status",
        "all",
        "-o",
        str(out),
    )
    with Store(review) as store:
        originals = {store.get_record(i).doi: store.get_record(i) for i in store.canonical_ids()}
    monkeypatch.setenv("SCREENER_DB", str(tmp_path / "second.sqlite"))
    _cli(runner, "import", str(out), "--database", "Export")
    with Store(tmp_path / "second.sqlite") as second:
        again = {r.doi: r for _, r in second.iter_records()}
    assert set(again) == set(originals)
    for doi, original in originals.items():
        copy = again[doi]
        assert (copy.title, copy.year) == (original.title, original.year)
        assert copy.authors == original.authors
        assert copy.pmid == original.pmid


def test_exported_ris_and_bibtex_read_by_third_party_parsers(review, runner, tmp_path):
    rispy = pytest.importorskip("rispy")
    bibtexparser = pytest.importorskip("bibtexparser")
    ris = _cli(
        runner, "export", "--format", "ris", "--stage", "title-abstract", "--status", "all"
    ).stdout
    entries = rispy.loads(ris)
    assert len(entries) == 37 and all(e.get("title") for e in entries)
    bib = _cli(
        runner, "export", "--format", "bibtex", "--stage", "title-abstract", "--status", "all"
    ).stdout
    library = bibtexparser.parse_string(bib)
    assert len(library.entries) == 37 and not library.failed_blocks


def test_update_run_gives_the_updated_review_flow(tmp_path, runner, monkeypatch, review_db):
    db = review_db
    monkeypatch.setenv("SCREENER_DB", db)
    monkeypatch.setenv("NCBI_EMAIL", "me@example.org")
    (tmp_path / "exo.toml").write_text(QUERY)
    from datetime import date

    with StandIn(20, start=date(2010, 1, 1), days=300) as standin:
        monkeypatch.setenv("SCREENER_PUBMED_URL", standin.url)
        _cli(runner, "search", "run", str(tmp_path / "exo.toml"), "--cutoff", "2012-12-31")
        _cli(runner, "review", "init", "--reviewer", "ann", "--required", "1")
        with Store(db) as store:
            first = store.canonical_ids()
        lines = ["record_id,reviewer,stage,decision,reason"]
        lines += [
            f"{rid},ann,title-abstract,{'include' if k < 5 else 'exclude'},"
            for k, rid in enumerate(first)
        ]
        lines += [f"{rid},ann,full-text,include," for rid in first[:3]]
        lines += [f"{rid},ann,full-text,exclude,Wrong outcome" for rid in first[3:5]]
        (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
        _cli(runner, "decisions", "import", str(tmp_path / "d.csv"), "--as", "ann")
        standin.state.add_records(8, date(2020, 1, 1), 100)  # published since the first run
        _cli(runner, "search", "run", str(tmp_path / "exo.toml"), "--cutoff", "2025-05-10")
    data = json.loads(_cli(runner, "prisma", "--json", "--update").stdout)
    assert data["previous_studies"] == 3 and data["previous_reports"] == 3
    assert data["database_results"] == 8 and data["records_screened"] == 8
    assert data["duplicates"] == 0 and data["new_studies"] == 0
    assert data["total_studies"] == 3
    assert data["screener"]["records_undecided"] == 8
    new_review = json.loads(_cli(runner, "prisma", "--json").stdout)
    assert new_review["previous_studies"] == 0 and new_review["database_results"] == 28
    # Before the update, --update has nothing to go on: one clear error.
    early = runner.invoke(main, ["prisma", "--update", "--as-of", "2000-01-01"])
    assert early.exit_code == 1 and "no update run" in early.stderr


def test_an_import_can_count_as_citation_searching(tmp_path, runner, monkeypatch):
    monkeypatch.setenv("SCREENER_DB", str(tmp_path / "r.sqlite"))
    refs = tmp_path / "refs.ris"
    refs.write_text("TY  - JOUR\nTI  - A trial found in a reference list\nPY  - 2019\nER  - \n")
    _cli(
        runner,
        "import",
        str(refs),
        "--database",
        "Reference lists",
        "--method",
        "citation-searching",
    )
    data = json.loads(_cli(runner, "prisma", "--json").stdout)
    assert data["citations_results"] == 1 and data["database_results"] == 0
