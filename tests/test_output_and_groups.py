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
