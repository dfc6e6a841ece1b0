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
    with Store(store.path) as other:  # another connection sees it immediately
        (row,) = list(other.decision_rows("title-abstract", "ann"))
        assert (row["decision"], row["reason"]) == ("exclude", "Wrong population")
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
    assert {(r["record_id"], r["reviewer"]) for r in store.decision_rows()} == {
        (1, "ann"),
        (5, "bob"),
    }
    bad = "record_id,reviewer,decision\n1,ann,include\n99,ann,include\n2,ann,perhaps\n"
    with pytest.raises(ScreenerError, match="line 3: no record 99; line 4: unknown decision"):
        flow.import_decisions(store, bad, "bad.csv")
    skipped = flow.import_decisions(store, bad, "bad.csv", skip_bad=True)
    assert skipped.stored == 1 and len(skipped.skipped) == 2


def test_pilot_sample_first_then_agreement_on_it(store):
    _review(store, 30)
    sample = flow.start_pilot(store, 5, seed=7)
    assert sample == flow.start_pilot(store, 5, seed=7)  # reproducible
    queue = flow.ReviewerQueue.open(store, "ann", "title-abstract")
    assert sorted(queue.ids) == sorted(sample)
    flow.end_pilot(store)
    assert len(flow.ReviewerQueue.open(store, "ann", "title-abstract").ids) == 30


def test_cli_conflicts_resolve_agreement(tmp_path, runner, monkeypatch):
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    with Store(db) as store:
        _review(store)
    csv_text = "record_id,reviewer,decision\n1,ann,include\n1,bob,exclude\n2,ann,include\n"
    (tmp_path / "d.csv").write_text(csv_text + "2,bob,include\n")
    assert runner.invoke(main, ["decisions", "import", str(tmp_path / "d.csv")]).exit_code == 0
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
def test_two_processes_write_1000_decisions_each_to_one_file(tmp_path):
    db = tmp_path / "r.sqlite"
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
