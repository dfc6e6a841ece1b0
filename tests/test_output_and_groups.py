"""Groups holding flagged records never crash; `-o` never loses a file it should not touch."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.cli import main
from screener.merging import merge_group
from screener.models import KNOWN_FLAGS, Record
from screener.screening import ReviewSettings
from screener.store import Store
from screener.store.dedup import Link
from screener.workflow import screening as flow


def _group_review(path) -> None:
    with Store(path) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        store.add_records(
            run,
            [
                Record(source="Scopus", source_id="1", title="Exosomes for alopecia", year=2021),
                Record(
                    source="Scopus",
                    source_id="2",
                    title="Exosomes for alopecia",
                    year=2021,
                    flags=("erratum",),
                    publication_types=("Published Erratum",),
                ),
                Record(source="Scopus", source_id="3", title="Another", flags=("retracted",)),
            ],
        )
        store.finish_run(run, "completed")
        store.replace_links({2: Link(2, 1, "manual", 1.0, {}, "ann")})
        flow.save_settings(store, ReviewSettings(reviewers=("ann", "bob"), adjudicators=("cy",)))


@pytest.fixture
def review(tmp_path, monkeypatch):
    path = tmp_path / "review.sqlite"
    monkeypatch.setenv("SCREENER_DB", str(path))
    _group_review(path)
    return path


@pytest.mark.parametrize("fmt", ["ris", "bibtex", "csv"])
def test_export_of_a_group_holding_an_erratum(review, runner, fmt):
    result = runner.invoke(
        main, ["export", "--format", fmt, "--stage", "title-abstract", "--status", "all"]
    )
    assert result.exit_code == 0, result.output
    assert "Exosomes for alopecia" in result.stdout


def test_queue_shows_the_group_with_every_flag(review):
    with Store(review) as store:
        queue = flow.ReviewerQueue.open(store, "ann", "title-abstract")
        view = queue.view(queue.ids.index(1))
    assert view.group_size == 2 and "erratum" in view.record.flags
    assert view.record.source_id == "1"


records = st.builds(
    Record,
    source=st.sampled_from(["pubmed", "Scopus", "crossref"]),
    source_id=st.text(min_size=1, max_size=5),
    title=st.text(max_size=30),
    abstract=st.text(max_size=30),
    authors=st.lists(st.text(max_size=10), max_size=4).map(tuple),
    year=st.none() | st.integers(1900, 2030),
    journal=st.text(max_size=10),
    volume=st.text(max_size=4),
    pages=st.text(max_size=8),
    doi=st.text(max_size=12),
    flags=st.lists(st.sampled_from(KNOWN_FLAGS), max_size=3, unique=True).map(tuple),
    publication_types=st.lists(st.text(max_size=8), max_size=2).map(tuple),
    relations=st.lists(st.tuples(st.text(max_size=4), st.text(max_size=4)), max_size=2).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(records, st.lists(records, max_size=4))
def test_merged_record_never_raises_and_keeps_identity_and_flags(canonical, others):
    merged = merge_group(canonical, others)
    assert (merged.source, merged.source_id) == (canonical.source, canonical.source_id)
    every_flag = {f for r in [canonical, *others] for f in r.flags}
    assert set(merged.flags) == every_flag
    assert len(merged.flags) == len(set(merged.flags))
    assert merge_group(canonical, []) == canonical


# ---- -o / --output ---------------------------------------------------------------------


def test_output_never_over_the_review_itself(review, runner):
    result = runner.invoke(main, ["export", "--format", "csv", "-o", str(review)])
    assert result.exit_code == 1
    assert "review database itself" in result.output
    with sqlite3.connect(review) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    forced = runner.invoke(main, ["prisma", "-o", str(review), "--force"])
    assert forced.exit_code == 1 and Store(review).count_records() == 3


def test_output_refuses_an_existing_file_without_force(review, runner, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("precious")
    refused = runner.invoke(
        main,
        [
            "export",
            "--format",
            "csv",
            "--stage",
            "title-abstract",
            "--status",
            "all",
            "-o",
            str(target),
        ],
    )
    assert refused.exit_code == 1 and "--force" in refused.output
    assert target.read_text() == "precious"
    done = runner.invoke(
        main,
        [
            "export",
            "--format",
            "csv",
            "--stage",
            "title-abstract",
            "--status",
            "all",
            "-o",
            str(target),
            "--force",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "Exosomes" in target.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_output_dash_is_stdout(review, runner):
    result = runner.invoke(main, ["prisma", "--format", "json", "-o", "-"])
    assert result.exit_code == 0 and result.stdout.lstrip().startswith("{")


def test_output_into_a_device_or_fifo_writes_into_it(review, runner, tmp_path):
    result = runner.invoke(main, ["prisma", "-o", os.devnull])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = runner.invoke(main, ["prisma", "--format", "json", "-o", str(fifo)])
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert os.read(reader, 65536).lstrip().startswith(b"{")
    finally:
        os.close(reader)


def test_dedup_export_groups_needs_force_too(review, runner, tmp_path):
    target = tmp_path / "groups.csv"
    target.write_text("x")
    assert runner.invoke(main, ["dedup", "export-groups", str(target)]).exit_code == 1
    done = runner.invoke(main, ["dedup", "export-groups", str(target), "--force"])
    assert done.exit_code == 0 and "merged_ids" in target.read_text()


# ---- no escape sequence from outside reaches a terminal ---------------------------------

HOSTILE = (
    "Exosomes \x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ hair"
)


def test_records_are_stored_without_control_characters(tmp_path):
    with Store(tmp_path / "r.sqlite") as store:
        run = store.start_run(kind="import", source="file", database="X")
        store.add_records(
            run, [Record("X", "1", title=HOSTILE, abstract="a\x00b\r\nc", authors=("Li\x1b[1m",))]
        )
        record = store.get_record(1)
    assert record.title == "Exosomes click hair"
    assert record.abstract == "ab\nc" and record.authors == ("Li",)


def test_cli_output_and_errors_carry_no_raw_escapes(review, runner):
    # A review written by an older screener may still hold raw bytes: printing cleans again.
    conn = sqlite3.connect(review)
    conn.execute("UPDATE records SET title = ? WHERE id = 1", (HOSTILE,))
    conn.commit()
    conn.close()
    with Store(review) as store:
        flow.import_decisions(
            store,
            "record_id,reviewer,decision,note\n1,ann,include,\x1b[31mred\n1,bob,exclude,x\n",
            "d.csv",
            recorded_by="cy",
        )
    for args in (
        ["conflicts", "--as", "cy"],
        ["conflicts", "--as", "cy", "--changed"],
        ["export", "--as", "\x1b]0;x\x07", "--stage", "title-abstract"],
        ["agreement", "--as", "cy"],
    ):
        result = runner.invoke(main, args)
        assert "\x1b" not in result.output, args
    stranger = runner.invoke(main, ["export", "--as", "mallory", "--stage", "title-abstract"])
    assert stranger.exit_code == 1 and "not a reviewer or adjudicator" in stranger.output
    shown = runner.invoke(main, ["conflicts", "--as", "cy"]).stdout
    assert "Exosomes click hair" in shown and "red" in shown


def test_csv_cells_that_spreadsheets_run_are_neutralised(review, runner, tmp_path):
    from screener.exporters import neutralize_formula

    assert neutralize_formula('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert [neutralize_formula(v) for v in ("+1", "-3.5", "@SUM(A1)", "\tx", "ok", 7)] == [
        "+1",
        "-3.5",
        "'@SUM(A1)",
        "'\tx",
        "ok",
        "7",
    ]
    conn = sqlite3.connect(review)
    conn.execute("UPDATE records SET title = '=HYPERLINK(\"http://evil\")' WHERE id = 3")
    conn.commit()
    conn.close()
    with Store(review) as store:
        flow.import_decisions(
            store,
            "record_id,reviewer,decision,note\n3,ann,include,=1+2\n",
            "d.csv",
            recorded_by="cy",
        )
    args = ["export", "--format", "csv", "--stage", "title-abstract", "--status", "all"]
    guarded = runner.invoke(main, args).stdout
    assert "'=HYPERLINK" in guarded
    assert ",=HYPERLINK" not in guarded and '"=HYPERLINK' not in guarded
    raw = runner.invoke(main, [*args, "--no-formula-guard"]).stdout
    assert '"=HYPERLINK(""http://evil"")"' in raw
    decisions = runner.invoke(main, ["decisions", "export", "--as", "ann"]).stdout
    assert "'=1+2" in decisions and "'=HYPERLINK" in decisions


# ---- found by an outside check ------------------------------------------------------------


def test_settings_names_and_reasons_are_stored_clean(tmp_path):
    with Store(tmp_path / "r.sqlite") as store:
        flow.save_settings(
            store,
            ReviewSettings(
                reviewers=("ann\x1b]0;PWNED\x07", "bob"),
                exclusion_reasons=("Wrong pop\x1b[2J",),
            ),
        )
        settings = flow.load_settings(store)
        run = store.start_run(kind="import", source="file", database="Db\x1b]0;x\x07")
        assert store.get_run(run).database == "Db"
    assert settings.reviewers == ("ann", "bob") and settings.exclusion_reasons == ("Wrong pop",)


def test_a_reviewer_cannot_import_or_probe_another_reviewers_votes(review):
    with Store(review) as store:
        flow.ReviewerQueue.open(store, "bob", "title-abstract").decide(1, "exclude", "x")
        probe = "record_id,reviewer,decision,reason\n1,bob,exclude,x\n"
        with pytest.raises(Exception, match="may import only their own decisions"):
            flow.import_decisions(store, probe, "p.csv", recorded_by="ann")
        done = flow.import_decisions(store, probe, "p.csv", recorded_by="cy")  # adjudicator
        assert done.rows == 1


def test_commands_that_read_never_turn_another_file_into_a_review(tmp_path, runner):
    empty = tmp_path / "e.sqlite"
    empty.write_bytes(b"")
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE foo (x)")
    conn.commit()
    conn.close()
    for path in (empty, other):
        result = runner.invoke(main, ["prisma", "--db", str(path)])
        assert result.exit_code == 1 and "no review here" in result.output
    assert empty.read_bytes() == b""
    with pytest.raises(Exception, match="another program"):
        Store(other)
    conn = sqlite3.connect(other)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["foo"]
    conn.close()


def test_screen_with_a_name_the_review_does_not_know_is_one_error_line(review, runner):
    result = runner.invoke(main, ["screen", "--reviewer", "zed"])
    assert result.exit_code == 1 and "'zed' is not a reviewer or adjudicator" in result.output
    resolve = runner.invoke(main, ["screen", "--resolve", "--reviewer", "ann"])
    assert resolve.exit_code == 1 and "only adjudicators" in resolve.output


def test_pilot_needs_an_adjudicator_and_says_when_it_ended(review, runner):
    refused = runner.invoke(main, ["review", "pilot", "--size", "2"])
    assert refused.exit_code == 1 and "only an adjudicator" in refused.output
    assert runner.invoke(main, ["review", "pilot", "--size", "2", "--as", "cy"]).exit_code == 0
    ended = runner.invoke(main, ["review", "pilot", "--end", "--as", "cy"])
    assert ended.exit_code == 0 and "Pilot ended" in ended.stdout


def test_16b_cells_escape_pipes_and_html():
    from screener.exporters import ExportItem, excluded_table_markdown

    record = Record("X", "1", title="A | B <img onerror=x>", authors=("O|Brien, A",), year=2020)
    table = excluded_table_markdown([ExportItem(1, record, "excluded", "exclude", "R", (), 1, "")])
    row = table.splitlines()[2]
    assert row.count(" | ") == 3 and "O\\|Brien" in row and "<img" not in row


def test_old_raw_bytes_never_reach_an_export(review, runner):
    conn = sqlite3.connect(review)
    conn.execute("UPDATE records SET title = ? WHERE id = 1", ("T\x1b]0;PWNED\x07\xc2\x9b",))
    conn.commit()
    conn.close()
    for fmt in ("csv", "ris", "bibtex"):
        args = ["export", "--format", fmt, "--status", "all", "--stage", "title-abstract"]
        for extra in ([], ["--no-formula-guard"]):
            out = runner.invoke(main, [*args, *extra]).stdout
            assert "\x1b" not in out and "\x9b" not in out, fmt


def test_dedup_export_groups_dash_is_stdout(review, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["dedup", "export-groups", "-"])
    assert result.exit_code == 0 and result.stdout.startswith("merged_ids")
    assert not (tmp_path / "-").exists()


def test_a_decision_time_before_1900_is_refused():
    from datetime import UTC, datetime

    from screener.screening.decision_time import parse_decision_time
    from screener.screening.settings import DecisionError

    with pytest.raises(DecisionError, match="before 1900"):
        parse_decision_time("0999-05-01", datetime.now(UTC))
    assert parse_decision_time("2020-05-01", datetime.now(UTC)).startswith("2020-05-01")


def test_prisma_csv_names_never_start_a_formula():
    from screener.prisma.flow import csv_safe_name

    assert csv_safe_name('=HYPERLINK("http://evil", "db")') == '\'=HYPERLINK("http://evil" / "db")'
    assert csv_safe_name("Scopus") == "Scopus"
