"""Ranking in a review: blinding-safe labels, the feature cache, queue orders, living
updates, stopping checks, the decision to stop and what PRISMA and the methods say."""

from __future__ import annotations

import json

import pytest

from screener.cli import main
from screener.errors import ScreenerError
from screener.models import Record
from screener.screening import ReviewSettings
from screener.store import Store
from screener.workflow import ranking as rflow
from screener.workflow import screening as flow
from screener.workflow.reporting import prisma_flow

TA = "title-abstract"
ON_TOPIC = "Minoxidil for androgenetic alopecia hair loss: a randomised trial"
OFF_TOPIC = "Nitrogen fertiliser and wheat crop yield in clay soil"


def _records(store: Store, titles: list[str], source: str = "Scopus") -> None:
    run = store.start_run(kind="import", source="file", database=source)
    start = store.count_records()
    store.add_records(
        run,
        [
            Record(source=source, source_id=str(start + i), title=t, abstract=t, year=2020)
            for i, t in enumerate(titles)
        ],
    )
    store.finish_run(run, "completed")


def _review(store: Store, order: str = "relevance", n: int = 40) -> None:
    titles = [
        f"{ON_TOPIC} {i}" if i % 5 == 0 else f"{OFF_TOPIC} {i} plot {i % 3}" for i in range(n)
    ]
    _records(store, titles)
    flow.save_settings(
        store, ReviewSettings(reviewers=("ann", "bob"), adjudicators=("cy",), order=order)
    )


def _on_topic(store: Store, record_id: int) -> bool:
    return store.get_record(record_id).title.startswith("Minoxidil")


def _queue_ids(store: Store, who: str) -> list[int]:
    return flow.ReviewerQueue.open(store, who, TA).ids


def test_stored_order_keeps_record_order(store):
    _review(store, order="stored")
    assert _queue_ids(store, "ann") == store.canonical_ids()


def test_random_order_is_seeded_stored_and_the_same_for_everyone(store):
    _review(store, order="random")
    first = _queue_ids(store, "ann")
    assert sorted(first) == store.canonical_ids() and first != store.canonical_ids()
    assert _queue_ids(store, "bob") == first == _queue_ids(store, "ann")
    assert json.loads(store.get_setting(rflow.RANKING_KEY))["seed"] >= 0


def test_relevance_ranks_once_the_reviewer_has_an_include_and_an_exclude(store):
    _review(store)
    queue = flow.ReviewerQueue.open(store, "ann", TA)
    before = list(queue.ids)
    include = next(i for i in before if _on_topic(store, i))
    exclude = next(i for i in before if not _on_topic(store, i))
    queue.decide(include, "include")
    queue.decide(exclude, "exclude")
    ranked = _queue_ids(store, "ann")
    assert ranked[:2] == [include, exclude]  # decided first, in the order decided
    assert all(_on_topic(store, i) for i in ranked[2:9])  # the other seven on-topic next
    assert sorted(ranked) == sorted(before)


def test_changing_bobs_votes_never_changes_anns_order(store):
    _review(store)
    ids = store.canonical_ids()
    on = [i for i in ids if _on_topic(store, i)]
    off = [i for i in ids if not _on_topic(store, i)]
    for rid, decision in [(on[0], "include"), (off[0], "exclude"), (off[1], "exclude")]:
        store.save_decision(rid, TA, "ann", decision)
    baseline = _queue_ids(store, "ann")
    labels = rflow.reviewer_labels(store, "ann", flow.load_settings(store))
    # bob agrees, disagrees, votes on records ann has not seen, in any combination
    for votes in (
        [(on[0], "include"), (off[0], "exclude")],
        [(on[0], "exclude"), (off[0], "include"), (off[1], "include")],
        [(on[1], "include"), (off[5], "include"), (on[2], "exclude")],
        [(i, "include") for i in off[:10]],
    ):
        for rid, decision in votes:
            store.save_decision(rid, TA, "bob", decision)
        assert _queue_ids(store, "ann") == baseline
        assert rflow.reviewer_labels(store, "ann", flow.load_settings(store)) == labels
        for rid, _ in votes:
            store.delete_decision(rid, TA, "bob")


def test_reconciled_decisions_train_everyone(store):
    _review(store)
    ids = store.canonical_ids()
    on = next(i for i in ids if _on_topic(store, i))
    off = next(i for i in ids if not _on_topic(store, i))
    flow.resolve(store, on, TA, "include", "", "clearly relevant", "cy")
    flow.resolve(store, off, TA, "exclude", "Wrong population", "off topic", "cy")
    labels = rflow.reviewer_labels(store, "bob", flow.load_settings(store))
    assert labels == {on: 1, off: 0}
    assert all(_on_topic(store, i) for i in _queue_ids(store, "bob")[:7])


def test_a_living_update_arrives_ranked_by_the_previous_versions_final_decisions(store):
    _review(store, n=60)
    for rid in store.canonical_ids():  # the previous version, fully reconciled
        decision = "include" if _on_topic(store, rid) else "exclude"
        store.save_decision(rid, TA, "ann", decision)
        store.save_decision(rid, TA, "bob", decision)
    update = [f"{OFF_TOPIC} new {i}" for i in range(80)]
    update.insert(57, "Topical minoxidil in alopecia: a case report")
    _records(store, update, source="PubMed")
    queue = flow.ReviewerQueue.open(store, "ann", TA)
    first_new = queue.first_undecided()
    top = store.get_record(queue.ids[first_new]).title
    assert top.startswith("Topical minoxidil")


def test_features_are_cached_and_recomputed_when_records_change(store):
    _review(store)
    first = rflow.review_features(store)
    messages = []
    again = rflow.review_features(store, progress=messages.append)
    assert messages == [] and (again.matrix != first.matrix).nnz == 0
    _records(store, ["Finasteride for hair loss"])
    third = rflow.review_features(store, progress=messages.append)
    assert len(messages) == 1 and third.matrix.shape[0] == first.matrix.shape[0] + 1


def test_stop_check_on_the_reviewers_own_sequence(store):
    _review(store, n=40)
    check = rflow.stop_check(store, "ann")
    assert not check.met and check.found == 0
    with pytest.raises(ScreenerError, match="not a reviewer"):
        rflow.stop_check(store, "zed")
    with pytest.raises(ScreenerError, match="recall"):
        rflow.stop_check(store, "ann", recall=1.5)


def _screen_and_stop(store: Store) -> dict:
    ids = _queue_ids(store, "ann")
    for rid in sorted(ids[:30], key=lambda i: not _on_topic(store, i)):  # as if ranked
        decision = "include" if _on_topic(store, rid) else "exclude"
        for who in ("ann", "bob"):
            store.save_decision(rid, TA, who, decision)
    return rflow.stop_screening(store, TA, "cy", ["ann", "bob"], rule="consecutive", consecutive=10)


def test_stop_screening_is_recorded_and_counted_as_automation_in_prisma(store):
    _review(store, n=40)
    flow.save_settings(store, flow.load_settings(store))
    ids = _queue_ids(store, "ann")
    assert rflow.automatically_excluded(store) == set()
    with pytest.raises(ScreenerError, match="nobody has screened"):
        rflow.stop_screening(store, TA, "cy", [])
    decision = _screen_and_stop(store)
    assert decision["marked_by_automation"] == 10
    assert decision["reviewers"]["ann"]["met"] and decision["decided_by"] == "cy"
    assert rflow.automatically_excluded(store) == set(ids[30:])
    inputs = prisma_flow(store).inputs
    assert inputs.automation_excluded == 10
    assert inputs.records_screened == 30 and inputs.records_undecided == 0
    info = rflow.methods(store)
    text = rflow.methods_text(info)
    assert "30 of 40 records" in text and "consecutive excludes" in text
    assert "marked ineligible by automation tools" in text


def test_stop_screening_refuses_when_the_rule_is_not_met(store):
    _review(store)
    store.save_decision(store.canonical_ids()[0], TA, "ann", "include")
    with pytest.raises(ScreenerError, match="not met for ann"):
        rflow.stop_screening(store, TA, "cy", ["ann"])
    with pytest.raises(ScreenerError, match="adjudicator"):
        rflow.stop_screening(store, TA, "ann", ["ann"])
    assert rflow.screening_stop(store) is None


def test_cli_ranking_status_stop_check_methods_and_stop_screening(tmp_path, runner):
    db = tmp_path / "r.sqlite"
    with Store(db) as store:
        _review(store)
        ids = store.canonical_ids()
        for rid in sorted(ids[:30], key=lambda i: not _on_topic(store, i)):
            store.save_decision(rid, TA, "ann", "include" if _on_topic(store, rid) else "exclude")
    status = runner.invoke(
        main, ["ranking", "status", "--reviewer", "ann", "--db", str(db), "--json"]
    )
    assert status.exit_code == 0, status.output
    data = json.loads(status.output)
    assert data["screened"] == 30 and data["ranked"] and data["remaining"] == 10
    assert data["estimated_relevant_remaining"] is not None
    text = runner.invoke(main, ["ranking", "status", "--reviewer", "ann", "--db", str(db)])
    assert "Screened: 30 of 40" in text.output
    check = runner.invoke(
        main,
        [
            "ranking",
            "stop-check",
            "--reviewer",
            "ann",
            "--recall",
            "0.95",
            "--confidence",
            "0.95",
            "--db",
            str(db),
        ],
    )
    assert check.exit_code == 0 and "NOT MET" in check.output
    refused = runner.invoke(
        main,
        [
            "review",
            "stop-screening",
            "--stage",
            TA,
            "--as",
            "cy",
            "--reviewer",
            "ann",
            "--db",
            str(db),
        ],
    )
    assert refused.exit_code == 1 and "not met for ann" in refused.output
    done = runner.invoke(
        main,
        [
            "review",
            "stop-screening",
            "--rule",
            "consecutive",
            "--consecutive",
            "5",
            "--as",
            "cy",
            "--reviewer",
            "ann",
            "--db",
            str(db),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "10 records not screened" in done.output
    methods = runner.invoke(main, ["methods", "--db", str(db)])
    assert "linear SVM" in methods.output and "TF-IDF" in methods.output
    assert "recall target of" not in methods.output and "consecutive excludes" in methods.output
    report = runner.invoke(main, ["search", "report", "--db", str(db)])
    assert "## Screening automation" in report.output and "30 of 40 records" in report.output
    as_json = runner.invoke(main, ["search", "report", "--json", "--db", str(db)])
    automation = json.loads(as_json.output)["screening_automation"]
    assert automation["screened_by_people"] == 30 and automation["marked_by_automation"] == 10


def _labelled_csv(path, n=120):
    lines = ["title,abstract,label_included"]
    for i in range(n):
        on = i % 10 == 3
        text = ON_TOPIC if on else OFF_TOPIC
        lines.append(f'"{text} {i}","{text} abstract {i % 7}",{int(on)}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_cli_simulate_reports_measures_curve_and_plot(tmp_path, runner):
    data = tmp_path / "labels.csv"
    _labelled_csv(data)
    curve, plot = tmp_path / "curve.csv", tmp_path / "curve.svg"
    args = ["simulate", str(data), "--seed", "3", "--json", "-o", str(curve), "--plot", str(plot)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout[result.stdout.index("{") :])
    assert figures["records"] == 120 and figures["includes"] == 12
    assert figures["screened_to_100"] <= 20 and figures["wss_95"] > 0.7
    assert figures["label_column"] == "label_included" and figures["peak_memory_mib"] > 0
    rows = curve.read_text().splitlines()
    assert rows[0] == "screened,recall" and len(rows) == 121 and rows[-1].endswith("1.000000")
    assert plot.read_text().startswith("<svg")
    again = runner.invoke(main, ["simulate", str(data), "--seed", "3", "--json"])
    assert (
        json.loads(again.stdout[again.stdout.index("{") :])["screened_to_95"]
        == figures["screened_to_95"]
    )


def test_cli_simulate_errors_are_one_line(tmp_path, runner):
    bad = tmp_path / "bad.csv"
    bad.write_text("title,abstract,label\nA,B,yes\n", encoding="utf-8")
    result = runner.invoke(main, ["simulate", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.output and "use 0 or 1" in result.output
    none = tmp_path / "none.csv"
    none.write_text("title,abstract\nA,B\n", encoding="utf-8")
    result = runner.invoke(main, ["simulate", str(none)])
    assert result.exit_code == 1 and "--label" in result.output


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_cli_simulate_reads_windows_and_old_mac_line_endings(tmp_path, runner, newline):
    unix = tmp_path / "unix.csv"
    _labelled_csv(unix)
    other = tmp_path / "other.csv"
    other.write_bytes(unix.read_bytes().replace(b"\n", newline.encode()))
    figures = []
    for path in (unix, other):
        result = runner.invoke(main, ["simulate", str(path), "--seed", "2", "--json"])
        assert result.exit_code == 0, result.output
        figures.append(json.loads(result.stdout[result.stdout.index("{") :]))
    assert figures[0]["screened_to_95"] == figures[1]["screened_to_95"]
    assert figures[0]["records"] == figures[1]["records"] == 120


def test_cli_simulate_reports_the_physical_line_of_a_bad_label(tmp_path, runner):
    bad = tmp_path / "bad.csv"
    bad.write_text('title,abstract,label\nA,"two\nlines",1\nC,D,maybe\n', encoding="utf-8")
    result = runner.invoke(main, ["simulate", str(bad)])
    assert result.exit_code == 1 and "line 4" in result.output
