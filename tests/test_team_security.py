"""Blinding by the PostgreSQL server: each person logs in as their own database role and
row-level security hides what the TUI hides. Every check goes through a real connection
as that role (psycopg directly, as psql would, and screener's own store)."""

from __future__ import annotations

import psycopg
import pytest

from screener.cli import main
from screener.errors import BlindingError, DatabaseError, ScreenerError
from screener.models import Record
from screener.screening.settings import ReviewSettings
from screener.store import Store
from screener.workflow import screening as flow
from screener.workflow import team

TA = "title-abstract"
SECRET = "BOB-SECRET-NOTE"


@pytest.fixture
def server_review(pg_server):
    """A review on the server: 4 records; ann and bob review, cy adjudicates; bob has
    voted on 1 (include), 2 (exclude) and 3 (include), each with a secret note."""
    database = pg_server.new_database()
    owner = pg_server.url(database)
    with Store(owner) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        records = [Record(source="Scopus", source_id=str(i), title=f"S{i}") for i in range(1, 5)]
        store.add_records(run, records)
        store.finish_run(run, "completed")
        flow.save_settings(store, ReviewSettings(reviewers=("ann", "bob"), adjudicators=("cy",)))
        for person, role in (("ann", "reviewer"), ("bob", "reviewer"), ("cy", "adjudicator")):
            team.grant(store, person, role)
    with Store(pg_server.url(database, "bob")) as bob:
        for record_id, decision in ((1, "include"), (2, "exclude"), (3, "include")):
            reason = "Wrong population" if decision == "exclude" else ""
            bob.save_decision(record_id, TA, "bob", decision, reason, SECRET)

    def url(user: str = "postgres") -> str:
        return pg_server.url(database, user)

    return url


def _psql(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


TABLES = """SELECT table_name FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"""


def _everything_visible(conn: psycopg.Connection) -> str:
    tables = [row[0] for row in conn.execute(TABLES)]
    assert {"decisions", "audit_log", "records"} <= set(tables)
    return "\n".join(
        repr(row) for table in tables for row in conn.execute(f"SELECT * FROM {table}")
    )


def test_a_reviewer_with_psql_sees_none_of_bobs_unreconciled_votes(server_review):
    with _psql(server_review("ann")) as ann:
        seen = _everything_visible(ann)
        assert SECRET not in seen and "'bob'" not in seen
        assert ann.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
        hidden = ann.execute("SELECT count(*) FROM audit_log WHERE entity = 'decisions'")
        assert hidden.fetchone()[0] == 0
    with _psql(server_review()) as owner:  # they are there
        assert owner.execute("SELECT count(*) FROM decisions").fetchone()[0] == 3


def test_a_reviewer_cannot_change_or_delete_bobs_rows_or_the_audit_log(server_review):
    with _psql(server_review("ann")) as ann:
        assert ann.execute("UPDATE decisions SET decision = 'exclude'").rowcount == 0
        assert ann.execute("DELETE FROM decisions WHERE reviewer = 'bob'").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a row in bob's name
            ann.execute(
                "INSERT INTO decisions (record_id, stage, reviewer, decision, decided_at) "
                "VALUES (4, 'title-abstract', 'bob', 'include', 'now')"
            )
        for statement in (
            "DELETE FROM audit_log",
            "UPDATE audit_log SET actor = 'x'",
            "INSERT INTO audit_log (entity, entity_id, action) VALUES ('x', 'x', 'x')",
            "TRUNCATE audit_log",
            "INSERT INTO records (source, source_id, added_at) VALUES ('x', 'x', 'now')",
            "DELETE FROM records",
            "UPDATE settings SET value = '{}'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                ann.execute(statement)
    with _psql(server_review()) as owner:
        rows = owner.execute("SELECT decision, note FROM decisions ORDER BY record_id")
        assert rows.fetchall() == [("include", SECRET), ("exclude", SECRET), ("include", SECRET)]


def test_votes_open_once_reconciled_and_conflicts_only_to_the_adjudicator(server_review):
    with Store(server_review("ann")) as ann:
        assert ann.login == "ann"
        queue = flow.ReviewerQueue.open(ann, "ann", TA)
        queue.decide(1, "include")  # agrees with bob: decided
        queue.decide(2, "include")  # disagrees: a conflict
        seen = {(v.record_id, v.reviewer) for v in ann.decision_rows(TA)}
        assert seen == {(1, "ann"), (1, "bob"), (2, "ann")}
        actors = {e["actor"] for e in ann.audit_entries() if e["entity"] == "decisions"}
        assert actors == {"ann", "bob"}  # bob's entries only for the decided record 1
    with Store(server_review("cy")) as cy:
        (conflict,) = flow.conflicts(cy, TA, "cy")
        assert conflict.record_id == 2 and {v.reviewer for v in conflict.votes} == {"ann", "bob"}
        assert 3 not in {v.record_id for v in cy.decision_rows(TA)}  # undecided: hidden
        flow.resolve(cy, 2, TA, "exclude", "Wrong population", "both read it", "cy")
    with Store(server_review("ann")) as ann:
        seen = {(v.record_id, v.reviewer) for v in ann.decision_rows(TA)}
        assert (2, "bob") in seen and (3, "bob") not in seen
        with pytest.raises(DatabaseError, match="refused"):  # a reviewer cannot adjudicate
            ann.save_resolution(3, TA, "include", "", "", "ann")


def test_the_name_is_the_login(server_review, runner):
    with Store(server_review("ann")) as ann:
        with pytest.raises(BlindingError, match="you are 'ann'"):
            flow.ReviewerQueue.open(ann, "bob", TA)
        with pytest.raises(BlindingError):
            flow.export_decisions(ann, "cy")
    claimed = runner.invoke(main, ["conflicts", "--as", "cy", "--db", server_review("ann")])
    assert claimed.exit_code == 1 and "cannot name 'cy'" in claimed.stderr


def test_grant_maps_lists_and_refuses_on_a_file(server_review, runner, tmp_path):
    url = server_review()
    listed = runner.invoke(main, ["review", "team", "--db", url, "--json"])
    assert listed.exit_code == 0, listed.output
    assert '"cy": "adjudicator"' in listed.stdout and '"ann": "reviewer"' in listed.stdout
    again = runner.invoke(main, ["review", "grant", "ann", "--role", "adjudicator", "--db", url])
    assert again.exit_code == 0 and "Mapped existing login ann as adjudicator" in again.stderr
    with Store(url) as store:
        assert store.team()["ann"] == "adjudicator"
        with pytest.raises(ScreenerError, match="unknown role"):
            team.grant(store, "dan", "boss")
    with Store(tmp_path / "r.sqlite") as lite, pytest.raises(ScreenerError, match="no logins"):
        team.grant(lite, "ann", "reviewer")


def test_only_the_owner_imports(server_review, runner, tmp_path):
    ris = tmp_path / "a.ris"
    ris.write_text("TY  - JOUR\nTI  - A trial\nPY  - 2020\nER  - \n")
    denied = runner.invoke(
        main, ["import", str(ris), "--database", "Embase", "--db", server_review("ann")]
    )
    assert denied.exit_code == 1 and "refused" in denied.stderr
    assert len(denied.stderr.strip().splitlines()) == 1
    owner = server_review()
    done = runner.invoke(main, ["import", str(ris), "--database", "Embase", "--db", owner])
    assert done.exit_code == 0, done.output


def test_a_reviewer_screens_in_the_tui_through_her_own_login(server_review):
    from screener.tui.app import make_app
    from tests.test_tui import ready, run, screen_text

    async def go():
        app = make_app(server_review("ann"), "ann")
        async with app.run_test(size=(100, 40), notifications=True) as pilot:
            await ready(pilot)
            assert "S1" in screen_text(app)
            await pilot.press("i")  # include record 1, as bob did: now decided
            await ready(pilot)
            await pilot.press("i")  # include record 2, which bob excluded: a conflict
            await ready(pilot)
            for _ in range(20):
                if not app.screen.save_state.pending:
                    break
                await pilot.pause(0.1)
            assert not [n for n in app.notices if n[0] == "error"], app.notices
        await app.workers.wait_for_complete()

    run(go())
    with Store(server_review("ann")) as ann:
        mine = {v.record_id: v.decision for v in ann.decision_rows(TA, "ann")}
        assert mine[1] == "include" and mine[2] == "include"
        assert {(v.record_id, v.reviewer) for v in ann.decision_rows(TA)} >= {(1, "bob")}
        assert (2, "bob") not in {(v.record_id, v.reviewer) for v in ann.decision_rows(TA)}
