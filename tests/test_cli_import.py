"""`screener import`: runs with provenance, all-or-nothing, refusing repeats."""

from __future__ import annotations

import json

import pytest

from screener.cli import main
from screener.store import Store
from tests.conftest import SHARED, shared_path

BROKEN_RIS = """TY  - JOUR
TI  - A good record about exosomes
AU  - Smith, J
PY  - 2021
DO  - 10.1000/good.1
ER  -

TY  - JOUR
ER  -

TY  - JOUR
TI  - Another good record on alopecia
PY  - 2019
ER  -
"""


@pytest.fixture
def db(review_db, monkeypatch):
    monkeypatch.setenv("SCREENER_DB", review_db)
    return review_db


def test_scopus_export_imports_as_a_run_with_provenance(db, runner):
    scopus = shared_path("fixtures", "ris", "scopus.ris")
    result = runner.invoke(
        main,
        [
            "import",
            str(scopus),
            "--database",
            "Scopus",
            "--platform",
            "Elsevier",
            "--date-searched",
            "2025-05-10",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    run = payload["run"]
    assert (run["kind"], run["database"], run["platform"]) == ("import", "Scopus", "Elsevier")
    assert run["file_sha256"] and len(run["file_sha256"]) == 64
    assert run["count_stored"] == run["count_new"] == run["count_reported"] > 0
    assert run["date_to"] == "2025-05-10"
    with Store(db) as store:
        records = [r for _, r in store.iter_records()]
    assert all(r.source == "Scopus" and r.title for r in records)


def test_same_file_is_refused_unless_forced(db, runner):
    scopus = shared_path("fixtures", "ris", "scopus.ris")
    runner.invoke(main, ["import", str(scopus), "--database", "Scopus"])
    again = runner.invoke(main, ["import", str(scopus), "--database", "Scopus"])
    assert again.exit_code == 1 and "already imported (run 1" in again.stderr
    forced = runner.invoke(
        main, ["import", str(scopus), "--database", "Scopus", "--force", "--json"]
    )
    assert forced.exit_code == 0
    assert json.loads(forced.stdout)["run"]["count_new"] == 0  # same records, found again


def test_broken_entry_imports_nothing_by_default(db, runner, tmp_path):
    bad = tmp_path / "export.ris"
    bad.write_text(BROKEN_RIS)
    result = runner.invoke(main, ["import", str(bad), "--database", "Embase"])
    assert result.exit_code == 1
    assert "entry 2 (line 8)" in result.stderr and "Nothing was imported" in result.stderr
    assert "--skip-bad" in result.stderr
    with Store(db) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0
        assert store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_skip_bad_imports_the_rest_and_lists_what_was_skipped(db, runner, tmp_path):
    bad = tmp_path / "export.ris"
    bad.write_text(BROKEN_RIS)
    result = runner.invoke(main, ["import", str(bad), "--database", "Embase", "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "2 stored, 2 new, 1 skipped" in result.output
    assert "skipped entry 2 (line 8)" in result.stderr
    log = json.loads(runner.invoke(main, ["search", "log", "--json"]).stdout)
    assert log[0]["count_reported"] == 3 and "entry 2" in log[0]["warnings"]


@pytest.mark.parametrize("name", ["empty.txt", "nothing.ris"])
def test_empty_or_missing_file_is_one_clear_line(db, runner, tmp_path, name):
    path = tmp_path / name
    if name == "empty.txt":
        path.write_text("  \n")
    result = runner.invoke(main, ["import", str(path), "--database", "Scopus"])
    assert result.exit_code == 1 and str(path) in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.skipif(not (SHARED / "dedup-bench").is_dir(), reason="../shared is absent")
@pytest.mark.parametrize(
    "name", ["tests_small", "special_cases", "haematology", "stroke", "respiratory", "digital_work"]
)
def test_every_dedup_bench_csv_imports_with_its_ids(db, runner, name):
    path = shared_path("dedup-bench", name, "records_pre_merged.csv")
    result = runner.invoke(main, ["import", str(path), "--database", name, "--json"])
    assert result.exit_code == 0, result.output
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if any(row.values())]  # no blank rows
    with Store(db) as store:
        stored = {r.source_id: r for _, r in store.iter_records()}
    assert set(stored) == {row["ID"] for row in rows}
    row = rows[len(rows) // 2]
    record = stored[row["ID"]]
    if row.get("doi") and row["doi"] != "UNKNOWN":
        assert record.doi == row["doi"].lower().strip()
    if row.get("year", "").isdigit():
        assert record.year == int(row["year"])


def test_an_id_reused_by_another_export_for_another_work_is_kept(db, runner, tmp_path):
    first, second = tmp_path / "b1.ris", tmp_path / "b2.ris"
    first.write_text("TY  - JOUR\nID  - 1\nTI  - First batch paper on dogs\nPY  - 2020\nER  - \n")
    second.write_text("TY  - JOUR\nID  - 1\nTI  - Second batch paper on cats\nPY  - 2021\nER  - \n")
    runner.invoke(main, ["import", str(first), "--database", "Embase"])
    result = runner.invoke(main, ["import", str(second), "--database", "Embase"])
    assert result.exit_code == 0 and "1 stored, 1 new" in result.output
    assert "already used for another work" in result.stderr
    with Store(db) as store:
        titles = sorted(r.title for _, r in store.iter_records())
    assert titles == ["First batch paper on dogs", "Second batch paper on cats"]
