"""Screening in a review: decisions committed at once and audited, blinding enforced in
the core, conflicts and resolutions, agreement, decisions CSV, two writers at once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from screener.cli import main
from screener.errors import ScreenerError
from screener.models import Record
from screener.screening import ReviewSettings
from screener.store import Store
from screener.workflow import screening as flow
from tests.conftest import ROOT


def _review(store: Store, n: int = 6) -> None:
    run = store.start_run(kind="import", source="file", database="Scopus")
    store.add_records(
        run,
        [
            Record(
                source="Scopus",
                source_id=str(i),
                title=f"Study {i}",
                abstract=f"Abstract {i}",
                year=2020,
            )
            for i in range(1, n + 1)
        ],
    )
    store.finish_run(run, "completed")
    flow.save_settings(store, ReviewSettings(reviewers=("ann", "bob"), adjudicators=("cy",)))


def test_decision_is_committed_at_once_and_audited(store, tmp_path):
    _review(store)
    queue = flow.ReviewerQueue.open(store, "ann", "title-abstract")
    queue.decide(1, "include")
    queue.decide(1, "exclude", "Wrong population")
    with Store(store.target) as other:  # another connection sees it immediately
        (row,) = list(other.decision_rows("title-abstract", "ann"))
        assert (row.decision, row.reason) == ("exclude", "Wrong population")
        history = other.decision_history(1, "title-abstract", "ann")
    assert [h["action"] for h in history] == ["update", "insert"]
    assert json.loads(history[0]["old"])["decision"] == "include"
    assert json.loads(history[0]["new"])["decision"] == "exclude"


def test_undo_restores_the_previous_decision(store):
    _review(store)
    queue = flow.ReviewerQueue.open(store, "ann", "title-abstract")
    queue.decide(2, "include")
    queue.decide(2, "maybe")
    assert queue.undo() == 2 and queue.own[2].decision == "include"
    assert queue.undo() == 2 and 2 not in queue.own
    assert list(store.decision_rows(reviewer="ann")) == []


def test_blinding_nothing_of_another_reviewer_until_reconciled(store):
    _review(store)
    ann = flow.ReviewerQueue.open(store, "ann", "title-abstract")
    ann.decide(1, "exclude", "Wrong population", note="ANN-SECRET-NOTE")
    ann.decide(2, "include")
    bob = flow.ReviewerQueue.open(store, "bob", "title-abstract")
    # Bob's queue holds Bob's votes only; his view and progress say nothing of Ann's.
    assert bob.own == {} and bob.view(0).own is None
    assert bob.progress()["done"] == 0
    exported = flow.export_decisions(store, "bob")
    assert "ANN-SECRET-NOTE" not in exported and "ann" not in exported
    with pytest.raises(ScreenerError, match="only adjudicators see conflicts"):
        flow.conflicts(store, "title-abstract", "bob")
    with pytest.raises(ScreenerError, match="not a reviewer or adjudicator"):
        flow.export_decisions(store, "dave")  # a typo never becomes a new viewer
    summary = json.dumps(flow.review_summary(store, "bob"))
    assert "ANN" not in summary and '"decided_by_you": 0' in summary
    # Once both have decided and agree, the record is reconciled and both votes show.
    bob.decide(2, "include")
    assert "ann,title-abstract,include" in flow.export_decisions(store, "bob")
    # A disagreement is a conflict: the adjudicator sees the votes, a reviewer does not.
    bob.decide(1, "include")
    (seen_by_cy,) = flow.conflicts(store, "title-abstract", "cy")
    assert {v.reviewer for v in seen_by_cy.votes} == {"ann", "bob"}
    with pytest.raises(ScreenerError):
        flow.conflicts(store, "title-abstract", "bob")
    # Agreement for a reviewer counts reconciled records only: Bob's table cannot tell
    # him Ann's vote on record 1 while it is in conflict.
    (pair,) = flow.stage_agreement(store, "title-abstract")
    assert pair.n == 1
    (pair,) = flow.stage_agreement(store, "title-abstract", viewer="cy")
    assert pair.n == 2
    assert "ANN-SECRET-NOTE" not in flow.export_decisions(store, "bob")


def test_conflict_resolved_by_adjudicator_only(store):
    _review(store)
    for who, decision in (("ann", "include"), ("bob", "exclude")):
        flow.ReviewerQueue.open(store, who, "title-abstract").decide(3, decision)
    with pytest.raises(ScreenerError, match="not an adjudicator"):
        flow.resolve(store, 3, "title-abstract", "include", "", "both fine", "ann")
    outcome = flow.resolve(store, 3, "title-abstract", "include", "", "meets criteria", "cy")
    assert (outcome.status, outcome.decision) == ("resolved", "include")
    assert flow.conflicts(store, "title-abstract", "cy") == []
    assert 3 in flow.stage_ids(store, "full-text", flow.load_settings(store))


def test_full_text_needs_a_listed_reason_and_not_retrieved_exists(store):
    _review(store)
    for who in ("ann", "bob"):
        flow.ReviewerQueue.open(store, who, "title-abstract").decide(4, "include")
    queue = flow.ReviewerQueue.open(store, "ann", "full-text")
    assert queue.ids == [4]
    with pytest.raises(ScreenerError, match="needs a reason"):
        queue.decide(4, "exclude")
    queue.decide(4, "exclude", "wrong POPULATION")  # matched to the listed spelling
    assert queue.own[4].reason == "Wrong population"
    queue.decide(4, "not-retrieved")


def test_agreement_kappa_and_pabak(store):
    _review(store, 10)
    plan = {"ann": "IIIIIEEEEE", "bob": "IIIEEEEEEI"}
    for who, letters in plan.items():
        queue = flow.ReviewerQueue.open(store, who, "title-abstract")
        for record_id, letter in enumerate(letters, start=1):
            queue.decide(record_id, "include" if letter == "I" else "exclude")
    (pair,) = flow.stage_agreement(store, "title-abstract", viewer="cy")  # an adjudicator
    assert pair.n == 10 and pair.table == ((3, 2), (1, 4))
    assert pair.percent_agreement == pytest.approx(70.0)  # in percent
    assert pair.kappa == pytest.approx(0.4) and pair.pabak == pytest.approx(0.4)


def test_decisions_csv_round_trip_and_bad_rows(store, tmp_path):
    _review(store)
    store.conn.execute("UPDATE records SET doi = '10.5555/x.5' WHERE id = 5")
    text = (
        "record_id,doi,reviewer,stage,decision,reason,note\n"
        "1,,ann,title-abstract,include,,pilot\n"
        ",10.5555/X.5,bob,title-abstract,exclude,Wrong outcome,\n"
    )
    result = flow.import_decisions(store, text, "d.csv")
    assert result.stored == 2
    assert {(r.record_id, r.reviewer) for r in store.decision_rows()} == {
        (1, "ann"),
        (5, "bob"),
    }
    bad = "record_id,reviewer,decision\n1,ann,include\n99,ann,include\n2,ann,perhaps\n"
    with pytest.raises(ScreenerError, match="line 3: no record 99; line 4: unknown decision"):
        flow.import_decisions(store, bad, "bad.csv")
    skipped = flow.import_decisions(store, bad, "bad.csv", skip_bad=True)
    # ann's include on 1 is already stored; without a note column her note stays.
    assert (skipped.rows, skipped.stored, skipped.unchanged) == (1, 0, 1)
    assert len(skipped.skipped) == 2
    notes = {r.record_id: r.note for r in store.decision_rows(reviewer="ann")}
    assert notes == {1: "pilot"}


def test_decisions_import_is_all_or_nothing_even_on_a_full_disk(store):
    _review(store, 40)
    rows = "".join(f"{i},ann,title-abstract,include,,{'x' * 2000}\n" for i in range(1, 41))
    text = "record_id,reviewer,stage,decision,reason,note\n" + rows
    if not store.is_postgres:  # SQLite can be made to fill up half-way (a page cap)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 3}")  # the disk fills half-way
        with pytest.raises(Exception, match="full"):
            flow.import_decisions(store, text, "d.csv", recorded_by="cy")
        store.conn.execute("PRAGMA max_page_count = 1073741823")
    assert list(store.decision_rows()) == []
    late_bad = text + "41,ann,title-abstract,sideways,,\n"
    with pytest.raises(ScreenerError, match="line 42"):
        flow.import_decisions(store, late_bad, "d.csv", recorded_by="cy")
    assert list(store.decision_rows()) == []


def test_decisions_import_reports_groups_and_refuses_two_votes_on_one_record(store):
    from screener.store.dedup import Link

    _review(store)
    store.replace_links({2: Link(2, 1, "doi", 1.0, {}, "screener")})
    same = "record_id,reviewer,decision\n1,ann,include\n2,ann,include\n3,ann,exclude\n"
    result = flow.import_decisions(store, same, "d.csv", recorded_by="cy")
    assert (result.rows, result.records, result.to_canonical) == (3, 2, 1)
    twice = "record_id,reviewer,decision\n4,bob,include\n5,bob,include\n5,bob,exclude\n"
    with pytest.raises(ScreenerError, match="line 4: bob has a different decision on record 5"):
        flow.import_decisions(store, twice, "d.csv", recorded_by="cy")
    assert list(store.decision_rows(reviewer="bob")) == []


def test_decisions_import_audits_the_importer_and_keeps_full_text_honest(store):
    _review(store)
    text = (
        "record_id,reviewer,stage,decision,reason\n"
        "1,ann,title-abstract,include,\n1,bob,title-abstract,include,\n"
        "1,ann,full-text,include,\n"
    )
    flow.import_decisions(store, text, "d.csv", recorded_by="cy")
    # On a server the audit log also names the login that entered it (here the superuser).
    by = f" (by {store.conn.user})" if store.is_postgres else ""
    actors = {(e["entity"], e["actor"]) for e in store.audit_entries()}
    assert ("decisions", "cy" + by) in actors and ("decisions", "ann" + by) not in actors
    queue = flow.ReviewerQueue.open(store, "ann", "title-abstract")
    queue.decide(1, "exclude", "Wrong population")  # her own change: her name
    assert store.audit_entries(limit=1)[0]["actor"] == "ann" + by
    excluded = "record_id,reviewer,stage,decision,reason\n2,ann,title-abstract,exclude,x\n"
    flow.import_decisions(store, excluded, "d.csv", recorded_by="cy")
    late = "record_id,reviewer,stage,decision,reason\n2,bob,full-text,include,\n"
    with pytest.raises(ScreenerError, match="did not pass title/abstract"):
        flow.import_decisions(store, late, "d.csv", recorded_by="cy")


def test_pilot_sample_first_then_agreement_on_it(store):
    _review(store, 30)
    sample = flow.start_pilot(store, 5, seed=7, who="cy")
    assert sample == flow.start_pilot(store, 5, seed=7, who="cy")  # reproducible
    queue = flow.ReviewerQueue.open(store, "ann", "title-abstract")
    assert sorted(queue.ids) == sorted(sample)
    flow.end_pilot(store, "cy")
    assert len(flow.ReviewerQueue.open(store, "ann", "title-abstract").ids) == 30


def test_cli_conflicts_resolve_agreement(tmp_path, runner, monkeypatch):
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    with Store(db) as store:
        _review(store)
    csv_text = "record_id,reviewer,decision\n1,ann,include\n1,bob,exclude\n2,ann,include\n"
    (tmp_path / "d.csv").write_text(csv_text + "2,bob,include\n")
    assert (
        runner.invoke(
            main, ["decisions", "import", str(tmp_path / "d.csv"), "--as", "cy"]
        ).exit_code
        == 0
    )
    out = runner.invoke(main, ["conflicts", "--as", "cy", "--json"])
    assert [c["record_id"] for c in json.loads(out.stdout)] == [1]
    done = runner.invoke(
        main,
        [
            "resolve",
            "1",
            "--decision",
            "exclude",
            "--reason",
            "Wrong outcome",
            "--rationale",
            "no outcome data",
            "--as",
            "cy",
        ],
    )
    assert done.exit_code == 0, done.output
    agree = runner.invoke(main, ["agreement", "--json"])
    assert json.loads(agree.stdout)[0]["n"] == 2
    bad = runner.invoke(main, ["resolve", "2", "--decision", "sideways", "--as", "cy"])
    assert bad.exit_code == 2  # click rejects the choice with a usage line


WRITER = """
import sys
from screener.store import Store
from screener.workflow.screening import ReviewerQueue
who = sys.argv[2]
with Store(sys.argv[1]) as store:
    queue = ReviewerQueue.open(store, who, "title-abstract")
    for record_id in queue.ids:
        queue.decide(record_id, "include" if record_id % 3 else "exclude")
print("ok")
"""


@pytest.mark.slow
def test_two_processes_write_1000_decisions_each_to_one_file(review_db):
    db = review_db
    with Store(db) as store:
        _review(store, 1000)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), who],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("ann", "bob")
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all(err == "" for _, err in results)
    with Store(db) as store:
        rows = list(store.decision_rows())
        audited = store.conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'decisions'"
        ).fetchone()[0]
    assert len(rows) == 2000 and audited == 2000


def test_review_init_twice_needs_force(tmp_path, runner, monkeypatch):
    monkeypatch.setenv("SCREENER_DB", str(tmp_path / "r.sqlite"))
    first = runner.invoke(main, ["review", "init", "--reviewer", "ann", "--reviewer", "bob"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(main, ["review", "init", "--reviewer", "cy", "--required", "1"])
    assert again.exit_code == 1 and "set up already" in again.stderr
    forced = runner.invoke(
        main, ["review", "init", "--reviewer", "cy", "--required", "1", "--force", "--json"]
    )
    assert json.loads(forced.stdout)["reviewers"] == ["cy"]


KILLED_IMPORT = """
import sys
from screener.store import Store
from screener.workflow import screening as flow
with Store(sys.argv[1]) as store:
    print("start", flush=True)
    flow.import_decisions(store, open(sys.argv[2]).read(), "d.csv", recorded_by="cy")
"""


@pytest.mark.slow
def test_decisions_import_killed_half_way_stores_nothing(tmp_path):
    import signal
    import time

    db = tmp_path / "r.sqlite"
    with Store(db) as store:
        _review(store, 3000)
    rows = [f"{i},{who},title-abstract,include" for i in range(1, 3001) for who in ("ann", "bob")]
    (tmp_path / "d.csv").write_text("record_id,reviewer,stage,decision\n" + "\n".join(rows))
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(db), str(tmp_path / "d.csv")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "start"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store(db) as store:
        stored = len(list(store.decision_rows()))
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert stored in (0, 6000)
