"""Agreement on first independent votes; late changes listed for the adjudicator."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from screener.cli import main
from screener.models import Record
from screener.screening import ReviewSettings
from screener.screening.history import VoteEvent, independent_votes
from screener.store import Store
from screener.workflow import screening as flow

TA = "title-abstract"


def _events(*steps):
    return [VoteEvent(i, rid, TA, who, decision) for i, (rid, who, decision) in enumerate(steps)]


def test_a_vote_changed_after_the_other_voted_is_late_and_not_counted():
    events = _events(
        (1, "ann", "exclude"),
        (1, "ann", "include"),  # her own correction before bob voted: independent
        (1, "bob", "exclude"),
        (1, "ann", "exclude"),  # after bob: a late change that erases the conflict
    )
    votes, late = independent_votes(events)
    assert {(v.reviewer, v.decision) for v in votes} == {("ann", "include"), ("bob", "exclude")}
    assert [(c.reviewer, c.before, c.after) for c in late] == [("ann", "include", "exclude")]


def test_an_undo_before_the_other_votes_is_no_vote_and_a_lone_vote_stands():
    events = _events((1, "ann", "include"), (1, "ann", ""), (1, "bob", "exclude"))
    votes, late = independent_votes(events)
    assert [(v.reviewer, v.decision) for v in votes] == [("bob", "exclude")] and not late


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 3),
            st.sampled_from(["ann", "bob", "cy"]),
            st.sampled_from(["include", "exclude", "maybe", ""]),
        ),
        max_size=25,
    )
)
def test_independent_votes_are_votes_someone_cast_and_one_per_reviewer(steps):
    events = _events(*steps)
    votes, late = independent_votes(events)
    cast = {(e.record_id, e.reviewer, e.decision) for e in events if e.decision}
    assert all((v.record_id, v.reviewer, v.decision) in cast for v in votes)
    keys = [(v.record_id, v.reviewer) for v in votes]
    assert len(keys) == len(set(keys))
    assert all(c.before != c.after for c in late)


def _review(path):
    with Store(path) as store:
        run = store.start_run(kind="import", source="file", database="X")
        store.add_records(run, [Record("X", str(i), title=f"Study {i}") for i in range(1, 5)])
        store.finish_run(run, "completed")
        flow.save_settings(store, ReviewSettings(reviewers=("ann", "bob"), adjudicators=("cy",)))


def test_a_curious_reviewer_cannot_erase_a_conflict_from_agreement(tmp_path, runner, monkeypatch):
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    _review(db)
    with Store(db) as store:
        ann = flow.ReviewerQueue.open(store, "ann", TA)
        bob = flow.ReviewerQueue.open(store, "bob", TA)
        for rid in (1, 2, 3):
            ann.decide(rid, "include")
        bob.decide(1, "include")
        bob.decide(2, "include")
        bob.decide(3, "exclude", "Wrong population")
        ann.decide(3, "exclude", "Wrong population")  # she saw #3 stay unreconciled
    agree = json.loads(runner.invoke(main, ["agreement", "--as", "cy", "--json"]).stdout)
    assert agree[0]["table"] == [[2, 1], [0, 0]]  # her first vote counts
    changed = runner.invoke(main, ["conflicts", "--changed", "--as", "cy"])
    assert changed.exit_code == 0 and "#3  ann: include -> exclude" in changed.stdout
    refused = runner.invoke(main, ["conflicts", "--changed", "--as", "ann"])
    assert refused.exit_code == 1 and "only adjudicators" in refused.output
    plain = runner.invoke(main, ["agreement"])
    assert "Counted only over reconciled records" in plain.stdout


def test_only_an_adjudicator_changes_who_screens(tmp_path, runner, monkeypatch):
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    _review(db)
    added = runner.invoke(main, ["review", "settings", "--reviewer", "eve"])
    assert added.exit_code == 1 and "only an adjudicator" in added.output
    assert runner.invoke(main, ["review", "settings", "--reviewer", "eve", "--as", "ann"]).exit_code
    terms = runner.invoke(main, ["review", "settings", "--include-term", "exosom*"])
    assert terms.exit_code == 0  # highlight terms change nothing anyone reports
    done = runner.invoke(main, ["review", "settings", "--reviewer", "eve", "--as", "cy"])
    assert done.exit_code == 0 and "eve" in done.stdout
    again = runner.invoke(main, ["review", "init", "--reviewer", "x", "--reviewer", "y", "--force"])
    assert again.exit_code == 1 and "only an adjudicator" in again.output


def test_resolve_overrides_a_unanimous_decision_only_when_asked(tmp_path, runner, monkeypatch):
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    _review(db)
    with Store(db) as store:
        for who in ("ann", "bob"):
            flow.ReviewerQueue.open(store, who, TA).decide(1, "include")
    args = ["resolve", "1", "--decision", "exclude", "--reason", "Wrong population", "--as", "cy"]
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1 and "--override" in refused.output
    assert runner.invoke(main, [*args, "--override"]).exit_code == 1  # no rationale
    done = runner.invoke(main, [*args, "--override", "--rationale", "animal study"])
    assert done.exit_code == 0, done.output
    same = runner.invoke(main, ["resolve", "2", "--decision", "include", "--as", "cy"])
    assert same.exit_code == 0  # nothing agreed on #2 yet: an ordinary resolution
    late = runner.invoke(
        main, ["resolve", "3", "--decision", "include", "--as", "cy", "--stage", "full-text"]
    )
    assert late.exit_code == 1 and "did not pass title/abstract" in late.output


def test_search_report_says_how_many_votes_changed_late(tmp_path, runner, monkeypatch):
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    _review(db)
    with Store(db) as store:
        flow.ReviewerQueue.open(store, "ann", TA).decide(1, "include")
        flow.ReviewerQueue.open(store, "bob", TA).decide(1, "exclude", "Wrong population")
        flow.ReviewerQueue.open(store, "ann", TA).decide(1, "exclude", "Wrong population")
    text = runner.invoke(main, ["search", "report"]).stdout
    assert "Votes changed after the other reviewer had voted (title-abstract): 1" in text
    data = json.loads(runner.invoke(main, ["search", "report", "--json"]).stdout)
    assert data["screening"]["votes_changed_after_other_voted"] == {TA: 1, "full-text": 0}


def test_methods_text_counts_late_changes(tmp_path, runner, monkeypatch):
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(db))
    _review(db)
    with Store(db) as store:
        flow.ReviewerQueue.open(store, "ann", TA).decide(1, "include")
        flow.ReviewerQueue.open(store, "bob", TA).decide(1, "exclude", "Wrong population")
        flow.ReviewerQueue.open(store, "ann", TA).decide(1, "exclude", "Wrong population")
    text = runner.invoke(main, ["methods"]).stdout
    assert "1 at title-abstract vote(s) were changed after the other reviewer" in text
