"""Reporting details on the scripted review: the item 16b table against the PRISMA boxes,
not-retrieved reports as their own outcome, the filled template cell by cell, and the
search log and report saying only what is known."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter

from screener.store import Store
from tests.conftest import SHARED
from tests.test_end_to_end import _cli, review  # noqa: F401  (the scripted review fixture)

TEMPLATE = SHARED / "fixtures" / "prisma2020" / "PRISMA.csv"
TEXT_COLUMNS = (3, 4, 5)  # description, boxtext, tooltips: ours may be in our own words
NOT_RETRIEVED = 4  # of the database records sought at full text


def _decide(runner, tmp_path, db):
    """Title/abstract: 16 database records and the cited one go on. Full text: 4 database
    reports and the cited one not retrieved, 6 excluded with reasons, 6 included. Half the
    decisions were made in September (dated), the rest are dated by their import."""
    with Store(db) as store:
        canonical = store.canonical_ids()
        source = {rid: store.get_record(rid).source for rid in canonical}
    databases = [rid for rid in canonical if source[rid] != "citation-searching"]
    cited = [rid for rid in canonical if source[rid] == "citation-searching"]
    lines = ["record_id,reviewer,stage,decision,reason,time"]
    for k, rid in enumerate(databases):
        decision = "include" if k < 16 else "exclude"
        lines += [f"{rid},{who},title-abstract,{decision},,2026-09-1{k % 2}" for who in "ab"]
    lines += [f"{cited[0]},{who},title-abstract,include,," for who in "ab"]
    reasons = ["Wrong population"] * 3 + ["Wrong outcome"] * 2 + ["Wrong study design"]
    plan = [("not-retrieved", "")] * NOT_RETRIEVED + [("exclude", r) for r in reasons]
    for k, rid in enumerate(databases[:16]):
        decision, reason = plan[k] if k < len(plan) else ("include", "")
        lines += [f"{rid},{who},full-text,{decision},{reason}," for who in "ab"]
    lines += [f"{cited[0]},{who},full-text,not-retrieved,," for who in "ab"]
    path = tmp_path / "decisions.csv"
    path.write_text("\n".join(lines).replace(",a,", ",ann,").replace(",b,", ",bob,") + "\n")
    _cli(runner, "decisions", "import", str(path), "--as", "cy")
    return databases, cited


def _table_reasons(table: str) -> Counter:
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    return Counter(line.rstrip(" |").rsplit("| ", 1)[1] for line in rows)


def test_16b_rows_equal_the_reports_excluded_boxes_by_reason(review, runner, tmp_path):  # noqa: F811
    databases, cited = _decide(runner, tmp_path, review)
    data = json.loads(_cli(runner, "prisma", "--json").stdout)
    assert data["dbr_notretrieved_reports"] == NOT_RETRIEVED
    assert data["other_notretrieved_reports"] == 1
    boxes = Counter({d["name"]: d["n"] for d in data["dbr_excluded"]})
    boxes += Counter({d["name"]: d["n"] for d in data["other_excluded"]})
    assert boxes == {"Wrong population": 3, "Wrong outcome": 2, "Wrong study design": 1}
    table = _cli(runner, "export", "--excluded-full-text").stdout
    assert _table_reasons(table) == boxes
    assert "| - |" not in table
    # `export --status excluded` at full text is the same set; not retrieved is its own status.
    excluded = _csv(runner, "--status", "excluded")
    assert Counter(row["reason"] for row in excluded) == boxes
    missing = _csv(runner, "--status", "not-retrieved")
    assert sorted(int(r["record_id"]) for r in missing) == sorted(databases[:NOT_RETRIEVED] + cited)
    assert {row["status"] for row in missing} == {"not-retrieved"}
    every = _csv(runner, "--status", "all")
    assert Counter(row["status"] for row in every) == {
        "included": 16 - NOT_RETRIEVED - 6,
        "excluded": 6,
        "not-retrieved": NOT_RETRIEVED + 1,
    }


def _csv(runner, *args):
    text = _cli(runner, "export", "--format", "csv", "--stage", "full-text", *args).stdout
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_with_no_registers_equals_the_template_but_n_and_text(review, runner, tmp_path):  # noqa: F811
    _decide(runner, tmp_path, review)
    rows = list(csv.reader(io.StringIO(_cli(runner, "prisma", "--format", "csv").stdout)))
    n = {row[0]: row[7] for row in rows}
    assert n["register_results"] == "0" and n["register_specific_results"] == "0"
    assert not any("xxx" in cell for cell in n.values())
    if not TEMPLATE.exists():  # the rest needs the package's template
        return
    with open(TEMPLATE, encoding="utf-8", newline="") as handle:
        expected = list(csv.reader(handle))
    assert len(rows) == len(expected)
    for ours, theirs in zip(rows, expected, strict=True):
        for column in range(7):
            if column not in TEXT_COLUMNS:
                assert ours[column] == theirs[column], (ours[0], column)
    # And the package's own template, filled, keeps every cell but `n`.
    filled = _cli(runner, "prisma", "--format", "csv", "--template", str(TEMPLATE)).stdout
    got = list(csv.reader(io.StringIO(filled)))
    assert [r[:7] for r in got] == [r[:7] for r in expected]


def test_as_of_before_a_batch_of_imported_decisions_shows_it_awaiting(review, runner, tmp_path):  # noqa: F811
    with Store(review) as store:  # searched before any decision was made
        store.conn.execute("UPDATE runs SET started = '2026-09-01T08:00:00.000000Z'")
        store.conn.commit()
    _decide(runner, tmp_path, review)
    # Title/abstract decisions were dated 2026-09-10 (even positions) and 2026-09-11 (odd);
    # full-text ones are dated by their import (today). Duplicates were linked today, so
    # before today the 4 Scopus copies of PubMed records stand alone, undecided.
    first = json.loads(_cli(runner, "prisma", "--json", "--as-of", "2026-09-10").stdout)
    assert first["records_screened"] == 36 + 4
    assert first["screener"]["records_undecided"] == 18 + 4  # the 2026-09-11 batch awaits
    assert (first["records_excluded"], first["dbr_sought_reports"]) == (10, 8)
    second = json.loads(_cli(runner, "prisma", "--json", "--as-of", "2026-09-11").stdout)
    assert second["screener"]["records_undecided"] == 4
    assert (second["records_excluded"], second["dbr_sought_reports"]) == (20, 16)
    assert second["screener"]["reports_undecided"] == 16  # full text decided only today
    now = json.loads(_cli(runner, "prisma", "--json").stdout)
    assert now["screener"]["records_undecided"] == now["screener"]["reports_undecided"] == 0


# --- search log and report ---------------------------------------------------------------


def _failed_and_imported(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENER_DB", str(tmp_path / "log.sqlite"))
    (tmp_path / "s.csv").write_text("title,doi,year\nA trial,10.1/a,2020\n")
    _cli(runner, "import", str(tmp_path / "s.csv"), "--database", "Scopus")
    with Store(tmp_path / "log.sqlite") as store:
        run = store.start_run(
            kind="search",
            source="pubmed",
            database="PubMed",
            platform="PubMed via NCBI E-utilities",
            query="exosome AND alopecia",
            date_field="pdat",
            date_to="2025-05-10",
        )
        store.finish_run(run, "failed", "HTTP 500 \x1b]0;owned\x07from \x1b[31mthe server\n")


def test_search_log_full_prints_only_what_is_known(runner, tmp_path, monkeypatch):
    _failed_and_imported(runner, tmp_path, monkeypatch)
    text = _cli(runner, "search", "log", "--full").stdout
    assert "None" not in text and "()" not in text and ".." not in text
    assert not re.search(r"\x1b|\x07", text)
    assert "Run 1: Scopus — completed\n  file:         " in text and "s.csv\n" in text
    assert "query sent" not in text.split("Run 2")[0]  # an import sent no query
    assert "date limits:  pdat up to 2025-05-10" in text
    assert "records:      0 stored, 0 new to the review" in text
    assert "error:        HTTP 500 from the server" in text
    table = _cli(runner, "search", "log").stdout
    assert "up to 2025-05-10" in table and "None" not in table and ".." not in table


def test_search_report_says_what_a_failed_run_did_not_report(runner, tmp_path, monkeypatch):
    _failed_and_imported(runner, tmp_path, monkeypatch)
    text = _cli(runner, "search", "report").stdout
    assert "None" not in text and not re.search(r"\x1b|\x07", text)
    assert "Records found: not reported (the run did not complete), stored: 0" in text
    assert "date field pdat, up to 2025-05-10" in text
    assert "### Run 2 (" in text  # no empty search name
    assert "- Limits: not recorded" in text.split("### Run 2")[0]  # an import's are unknown
    assert "- Error: HTTP 500 from the server" in text
    data = json.loads(_cli(runner, "search", "report", "--json").stdout)
    assert "\x1b" not in json.dumps(data, ensure_ascii=False)


def test_a_finished_run_is_told_in_words(capsys):
    from screener.cli.search import _say_finished
    from screener.models import Run

    run = Run(
        id=3,
        kind="search",
        source="crossref",
        database="Crossref\x1b[2J",
        platform="Crossref REST API",
        search_name="exo",
        query="exosome",
        query_translation="",
        date_field="pub",
        date_from="",
        date_to="2025-05-10",
        filters="",
        method="databases",
        file_name="",
        file_sha256="",
        started="2026-11-29T10:00:00Z",
        finished="2026-11-29T10:01:00Z",
        status="completed",
        count_reported=None,
        count_stored=0,
        count_new=0,
        error="",
    )
    _say_finished(run)
    out = capsys.readouterr().out
    assert out.startswith("Crossref run 3 (pub up to 2025-05-10): 0 stored in this run, 0 new.")
    assert "None" not in out and "\x1b" not in out
