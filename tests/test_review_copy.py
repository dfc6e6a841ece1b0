"""`screener review copy`: a whole review moves SQLite ⇄ PostgreSQL, verified, and reports
the same PRISMA numbers on the other side."""

from __future__ import annotations

import json

import pytest

from screener.cli import main
from screener.errors import DatabaseError
from screener.store import Store
from screener.workflow import copying
from tests.test_end_to_end import _cli, _decide_all, review  # noqa: F401 (a fixture)


def _prisma(runner, db) -> dict:
    return json.loads(_cli(runner, "prisma", "--json", "--db", db).stdout)


def test_a_review_copies_to_the_other_backend_and_back(review, runner, tmp_path, pg_server):  # noqa: F811
    _decide_all(runner, tmp_path, review)
    _cli(runner, "decisions", "import", str(tmp_path / "decisions.csv"), "--as", "cy")
    with Store(review) as store:
        store.save_fulltext(1, "papers/1.pdf", "ann")
        store.conn.execute("UPDATE records SET title = title || '.' WHERE id = 2")  # audited
        counts = {
            t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("records", "run_records", "duplicates", "decisions", "audit_log", "fulltexts")
        }
    other = (
        str(tmp_path / "copy.sqlite")
        if review.startswith("postgresql")
        else pg_server.url(pg_server.new_database())
    )
    copied = runner.invoke(main, ["review", "copy", review, other, "--json"])
    assert copied.exit_code == 0, copied.output
    tables = {t["table"]: t for t in json.loads(copied.stdout)}
    for table, count in counts.items():
        assert tables[table]["rows"] == count > 0, table
    back = tmp_path / "back.sqlite"
    again = copying.copy(other, back)
    assert {t.table: t.sha256 for t in again} == {t: v["sha256"] for t, v in tables.items()}
    assert _prisma(runner, other) == _prisma(runner, review) == _prisma(runner, str(back))
    with Store(other) as store:  # ids go on after the copied ones, audit triggers are back on
        run = store.start_run(kind="import", source="file", database="Embase")
        assert run == max(r.id for r in store.list_runs())
        entries = store.audit_entries(limit=1)
        store.save_decision(1, "title-abstract", "ann", "maybe")
        assert store.audit_entries(limit=1)[0]["id"] > entries[0]["id"]
    with pytest.raises(DatabaseError, match="already holds a review"):
        copying.copy(review, other)
