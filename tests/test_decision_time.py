"""Decision times: checked on import, and `prisma --as-of` dates decisions by their own time."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from screener.cli import main
from screener.screening import DecisionError
from screener.screening.decision_time import parse_decision_time
from screener.store import Store

NOW = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2026-10-01", "2026-10-01T00:00:00.000000Z"),
        ("2026-10-01T14:30", "2026-10-01T14:30:00.000000Z"),
        ("2026-10-01 14:30:05", "2026-10-01T14:30:05.000000Z"),
        ("2026-10-01T14:30:05.123+02:00", "2026-10-01T12:30:05.123000Z"),
        ("2026-10-01T14:30:05Z", "2026-10-01T14:30:05.000000Z"),
        ("20261001T143005Z", "2026-10-01T14:30:05.000000Z"),
        (" 2026-10-01 ", "2026-10-01T00:00:00.000000Z"),
        ("2026-11-29T20:04:00Z", "2026-11-29T20:04:00.000000Z"),  # clock skew: 4 min ahead
        ("", None),
        (None, None),
    ],
)
def test_decision_times_are_read_as_iso_8601_and_stored_in_utc(text, stored):
    assert parse_decision_time(text, NOW) == stored


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("01/10/2026", "not an ISO 8601"),
        ("yesterday", "not an ISO 8601"),
        ("2026-13-01", "not an ISO 8601"),
        ("2026-11-30", "in the future"),
        ("2026-11-29T20:10:00Z", "in the future"),  # beyond the clock-skew allowance
        ("2027-01-01T00:00:00+14:00", "in the future"),
    ],
)
def test_bad_or_future_decision_times_are_refused(text, message):
    with pytest.raises(DecisionError, match=message):
        parse_decision_time(text, NOW)


def _cli(runner, *args):
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture
def small_review(tmp_path, runner, monkeypatch):
    """Six records from one database, searched on 2026-09-01, one reviewer."""
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    rows = ["title,doi,year"] + [f"Trial {i} of something,10.5555/t{i},2020" for i in range(6)]
    (tmp_path / "db.csv").write_text("\n".join(rows) + "\n")
    _cli(runner, "import", str(tmp_path / "db.csv"), "--database", "Embase")
    _cli(runner, "review", "init", "--reviewer", "ann", "--required", "1")
    with sqlite3.connect(db) as conn:  # the search was run before any decision was made
        conn.execute("UPDATE runs SET started = '2026-09-01T09:00:00.000000Z'")
    with Store(db) as store:
        ids = store.canonical_ids()
    return db, ids


def _write(path, lines):
    path.write_text("\n".join(["record_id,reviewer,stage,decision,reason,time", *lines]) + "\n")


def _flow(runner, as_of=None):
    args = ["prisma", "--json"] + (["--as-of", as_of] if as_of else [])
    return json.loads(_cli(runner, *args).stdout)


def test_as_of_dates_imported_decisions_by_their_own_time(small_review, runner, tmp_path):
    db, ids = small_review
    # A pilot screened in a spreadsheet in September, the rest in October; both imported today.
    _write(tmp_path / "pilot.csv", [f"{i},ann,title-abstract,exclude,,2026-09-10" for i in ids[:2]])
    _write(
        tmp_path / "rest.csv",
        [f"{i},ann,title-abstract,exclude,,2026-10-10T15:00:00+02:00" for i in ids[2:5]],
    )
    _cli(runner, "decisions", "import", str(tmp_path / "pilot.csv"), "--as", "ann")
    _cli(runner, "decisions", "import", str(tmp_path / "rest.csv"), "--as", "ann")
    before = _flow(runner, "2026-09-05")
    assert before["records_screened"] == 6 and before["screener"]["records_undecided"] == 6
    between = _flow(runner, "2026-09-30")  # after the pilot, before the October batch
    assert between["records_excluded"] == 2
    assert between["screener"]["records_undecided"] == 4
    after = _flow(runner, "2026-10-10")
    assert after["records_excluded"] == 5 and after["screener"]["records_undecided"] == 1
    # The record no file dated counts from when it was written: today, not before.
    _cli(runner, "decisions", "import", str(_one(tmp_path, ids[5])), "--as", "ann")
    assert _flow(runner, "2026-10-31")["screener"]["records_undecided"] == 1
    assert _flow(runner)["screener"]["records_undecided"] == 0


def _one(tmp_path, record_id):
    path = tmp_path / "undated.csv"
    _write(path, [f"{record_id},ann,title-abstract,exclude,,"])
    return path


def test_a_restored_decision_counts_from_when_it_was_restored(small_review):
    db, ids = small_review
    with Store(db) as store:
        rid = ids[0]
        store.save_decision(rid, "title-abstract", "ann", "include", at="2026-09-10T10:00:00Z")
        store.save_decision(rid, "title-abstract", "ann", "exclude", at="2026-10-10T10:00:00Z")
        # Undo puts the September decision back, with its own time, today.
        store.save_decision(rid, "title-abstract", "ann", "include", at="2026-09-10T10:00:00Z")

        def state(day):
            rows = store.rows_as_of("decisions", day)
            return [r["decision"] for r in rows if r["record_id"] == rid]

        assert state("2026-09-01") == []
        assert state("2026-09-20") == ["include"]
        assert state("2026-10-20") == ["exclude"]  # on that day it was excluded
        assert state(datetime.now(UTC).date().isoformat()) == ["include"]


def test_a_note_added_later_does_not_move_the_decision(small_review):
    db, ids = small_review
    with Store(db) as store:
        store.save_decision(ids[0], "title-abstract", "ann", "exclude", at="2026-09-10T10:00:00Z")
        store.save_note(ids[0], "title-abstract", "ann", "checked again")
        rows = store.rows_as_of("decisions", "2026-09-20")
    assert [(r["decision"], r["note"]) for r in rows] == [("exclude", "")]


def test_decisions_dated_in_the_future_are_refused_with_the_row_named(
    small_review, runner, tmp_path
):
    db, ids = small_review
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    path = tmp_path / "decisions.csv"
    _write(
        path,
        [
            f"{ids[0]},ann,title-abstract,exclude,,2026-09-10",
            f"{ids[1]},ann,title-abstract,exclude,,{tomorrow}",
            f"{ids[2]},ann,title-abstract,exclude,,10/09/2026",
        ],
    )
    result = runner.invoke(main, ["decisions", "import", str(path), "--as", "ann"])
    assert result.exit_code != 0
    assert f"{path}: line 3: time '{tomorrow}' is in the future" in result.stderr
    assert "line 4: time '10/09/2026' is not an ISO 8601" in result.stderr
    assert "Nothing was imported" in result.stderr
    with Store(db) as store:
        assert list(store.decision_rows()) == []
