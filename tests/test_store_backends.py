"""One store, two backends: the SQL dialect, the schema on both, opening races, the
PostgreSQL URL on the command line, and a server that restarts under an open review."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from screener.cli import main
from screener.errors import DatabaseError, DatabaseUnreachableError
from screener.models import Record
from screener.store import Store
from screener.store.dialect import POSTGRES, SQLITE, is_postgres_url
from screener.store.migrations import MIGRATIONS
from screener.store.pg_migrations import PG_MIGRATIONS
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("UPDATE t SET a = :a WHERE id = :id", "UPDATE t SET a = %(a)s WHERE id = %(id)s"),
        ("SELECT '?', 'it''s :x' WHERE a = ?", "SELECT '?', 'it''s :x' WHERE a = %s"),
        ("SELECT x::int, '%' FROM t", "SELECT x::int, '%%' FROM t"),
        ("SELECT 1 FROM t WHERE a LIKE :q", "SELECT 1 FROM t WHERE a ILIKE %(q)s"),
        (
            "INSERT OR IGNORE INTO t (a) VALUES (?)",
            "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING",
        ),
        (
            "INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id",
            "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id",
        ),
        ('SELECT "a?b" FROM t', 'SELECT "a?b" FROM t'),
        (
            "SELECT 1 WHERE json_extract(new, '$.decided_at') <= ?",
            "SELECT 1 WHERE (new::jsonb ->> 'decided_at') <= %s",
        ),
    ],
)
def test_dialect_turns_sqlite_spelling_into_postgresql(sqlite, postgres):
    assert SQLITE.translate(sqlite) == sqlite
    assert POSTGRES.translate(sqlite) == postgres


def test_what_names_a_server():
    assert is_postgres_url("postgresql://ann@db.example.org:5432/review")
    assert is_postgres_url("postgres://ann@/review?host=/run/postgresql")
    assert not is_postgres_url("db/review.sqlite")
    assert not is_postgres_url(Path("postgresql/review.sqlite"))


def test_every_migration_has_its_postgresql_twin():
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)


def _columns(store: Store) -> dict[str, list[str]]:
    if store.is_postgres:
        rows = store.conn.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name != 'screener_schema'
               ORDER BY table_name, ordinal_position"""
        )
    else:
        rows = store.conn.execute(
            """SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
               WHERE m.type = 'table' ORDER BY m.name, p.cid"""
        )
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def test_both_backends_have_the_same_tables_and_columns(tmp_path, pg_server):
    with Store(tmp_path / "r.sqlite") as lite, Store(pg_server.url(pg_server.new_database())) as pg:
        assert _columns(pg) == _columns(lite)
        assert pg.schema_version == lite.schema_version == len(MIGRATIONS)


OPENER = """
import sys
from screener.store import Store
with Store(sys.argv[1]) as store:
    print(store.schema_version)
"""


def test_processes_opening_a_new_server_review_at_once_do_not_race(pg_server):
    url = pg_server.url(pg_server.new_database())
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, results
    assert {out.strip() for out, _ in results} == {str(len(MIGRATIONS))}


def test_the_sqlite_path_never_imports_psycopg(tmp_path):
    code = (
        "import sys\n"
        "from screener.cli import main\n"
        "from screener.store import Store\n"
        f"Store({str(tmp_path / 'r.sqlite')!r}).close()\n"
        "print('psycopg' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_db_option_takes_a_server_url(pg_server, runner, monkeypatch):
    monkeypatch.delenv("SCREENER_DB", raising=False)
    url = pg_server.url(pg_server.new_database())
    missing = runner.invoke(main, ["search", "log", "--db", url])
    assert missing.exit_code == 1 and "no review here" in missing.stderr
    with Store(url) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        store.add_records(run, [Record(source="Scopus", source_id="1", title="A")])
        store.finish_run(run, "completed")
    listed = runner.invoke(main, ["search", "log", "--db", url, "--json"])
    assert listed.exit_code == 0, listed.output
    assert '"Scopus"' in listed.stdout


def test_an_unreachable_server_is_one_clear_line(runner, tmp_path):
    url = f"postgresql://nobody@/review?host={tmp_path}&connect_timeout=2"
    result = runner.invoke(main, ["search", "log", "--db", url])
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "cannot reach the review server" in message and "\n" not in message
    with pytest.raises(DatabaseUnreachableError):
        Store(url)


def test_an_unfinished_postgresql_schema_refuses_to_open(pg_server, monkeypatch):
    import screener.store.base as base

    url = pg_server.url(pg_server.new_database())
    monkeypatch.setattr(base, "PG_MIGRATIONS", PG_MIGRATIONS[:-1])
    with pytest.raises(DatabaseError, match="has no PostgreSQL version"):
        Store(url)
    monkeypatch.undo()
    with Store(url) as store:  # nothing half-made was left behind
        assert store.schema_version == len(MIGRATIONS)


@pytest.mark.slow
def test_a_review_survives_a_server_restart():
    pgserver = pytest.importorskip("pgserver")
    directory = Path(tempfile.mkdtemp(prefix="screener-pg-restart-"))
    server = pgserver.get_server(directory, cleanup_mode="stop")
    try:
        url = f"postgresql://postgres@/postgres?host={directory}"
        with Store(url) as store:
            run = store.start_run(kind="import", source="file", database="Scopus")
            store.add_records(run, [Record(source="Scopus", source_id="1", title="A")])
            store.save_decision(1, "title-abstract", "ann", "include")
            server.cleanup()  # the server stops under the open review ...
            server = pgserver.get_server(directory, cleanup_mode="stop")  # ... and comes back
            store.save_decision(1, "title-abstract", "ann", "exclude", "Wrong population")
            (vote,) = store.decisions_of_record(1, "title-abstract")
        assert (vote.decision, vote.reason) == ("exclude", "Wrong population")
    finally:
        server.cleanup()


def test_a_broken_connection_reconnects_and_a_lost_change_says_so(pg_server):
    url = pg_server.url(pg_server.new_database())
    with Store(url) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        store.add_records(run, [Record(source="Scopus", source_id="1", title="A")])
        pid = store.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        pg_server.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        store.save_decision(1, "title-abstract", "ann", "include")  # on a new connection
        with pytest.raises(DatabaseUnreachableError, match="NOT saved"), store.transaction():
            store.conn.execute("DELETE FROM decisions")
            store.conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        (vote,) = store.decisions_of_record(1, "title-abstract")  # the delete never happened
        assert vote.decision == "include"


def test_libpq_environment_fills_in_the_url(pg_server, monkeypatch, tmp_path):
    name = pg_server.new_database()
    monkeypatch.setenv("PGHOST", pg_server.socket)
    monkeypatch.setenv("PGUSER", "postgres")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))  # read, if the server asks
    (tmp_path / "pgpass").write_text(f"*:*:{name}:postgres:unused\n")
    (tmp_path / "pgpass").chmod(0o600)
    with Store(f"postgresql:///{name}") as store:
        assert store.is_postgres and store.location.endswith(f"/{name}")
        assert store.conn.execute("SELECT current_database()").fetchone()[0] == name
