"""Dedup never leaves pairs without their links, and never prints raw escape sequences."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from screener.cli import main
from screener.models import Record
from screener.store import Store
from screener.workflow import dedup as flow

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Exosomes from dermal papilla cells promote hair growth in androgenetic alopecia"
HOSTILE = "\x1b]0;pwned\x07Hair \x1b[2Jgrowth \x9b31m and exosomes in mice"


def _add(store: Store, *records: Record) -> None:
    run = store.start_run(kind="import", source="file", database="Scopus")
    store.add_records(run, list(records))
    store.finish_run(run, "completed")


def _rec(source_id: str, title: str, **kw) -> Record:
    base = dict(
        authors=("Smith, John", "Doe, Anne"),
        year=2020,
        journal="Journal of Hair",
        volume="12",
        issue="3",
        pages="101-110",
    )
    base.update(kw)
    return Record(source="Scopus", source_id=source_id, title=title, **base)


def _two_duplicates(store: Store) -> None:
    _add(store, _rec("s1", TITLE), _rec("s2", TITLE.upper()))


def _counts(path: Path) -> tuple[int, int]:
    with Store(path) as store:
        return len(store.pairs()), len(store.links())


def test_failure_between_pairs_and_links_leaves_the_review_as_it_was(store, monkeypatch):
    _two_duplicates(store)

    def fail(*_args, **_kw):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(Store, "replace_links", fail)
    with pytest.raises(RuntimeError):
        flow.deduplicate(store)
    assert store.pairs() == [] and store.links() == {}
    monkeypatch.undo()
    report = flow.deduplicate(store)
    assert report.duplicates == 1 and len(store.pairs()) == 1


def test_dedup_killed_between_pairs_and_links_stores_neither(tmp_path):
    db = tmp_path / "review.sqlite"
    with Store(db) as store:
        _two_duplicates(store)
    # A process killed (no cleanup at all) right after the pairs were written.
    script = textwrap.dedent(
        f"""
        import os
        from screener.store import Store
        from screener.workflow import dedup as flow

        def die(self, links):
            os._exit(9)

        Store.replace_links = die
        with Store({str(db)!r}) as store:
            flow.deduplicate(store)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ))
    assert proc.returncode == 9
    assert _counts(db) == (0, 0)  # no pair stored without its links
    with Store(db) as store:
        flow.deduplicate(store)
    assert _counts(db) == (1, 1)


def test_failed_decision_is_not_stored_without_its_links(store, monkeypatch):
    _two_duplicates(store)
    flow.deduplicate(store)
    monkeypatch.setattr(Store, "replace_links", lambda *a: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError):
        flow.decide_pair(store, 1, 2, same=False, who="ann")
    assert store.pair_decisions() == {} and len(store.links()) == 1


def test_plain_review_and_pairs_print_no_escape_sequences(tmp_path, runner):
    db = tmp_path / "review.sqlite"
    with Store(db) as store:
        _add(
            store,
            _rec("s1", HOSTILE, authors=("\x1b[31mSmith, John",), pages=""),
            _rec("s2", HOSTILE + " (a cohort)", journal="J \x1b]8;;http://x\x1b\\Hair", pages=""),
        )
        # an old review may hold raw bytes stored before imports cleaned text
        store.conn.execute(
            "UPDATE records SET title = ?, authors = ?", (HOSTILE, '["\\u001b[31mS"]')
        )
        store.save_pairs([(1, 2, 0.8, "fuzzy-title", "uncertain", {"title": "x\x1b[2J"})])
    args = ["dedup", "review", "--plain", "--as", "ann", "--db", str(db)]
    result = runner.invoke(main, args, input="s\n")
    assert result.exit_code == 0, result.output
    assert "Hair growth" in result.output
    assert (
        "\x1b" not in result.output and "\x9b" not in result.output and "\x07" not in result.output
    )
    listing = runner.invoke(main, ["dedup", "pairs", "--all", "--db", str(db)])
    assert listing.exit_code == 0 and "\x1b" not in listing.output


def test_review_screen_fields_hold_no_control_characters():
    from screener.tui.dedup_review import FIELDS, field_value

    record = _rec("s1", HOSTILE, abstract="line one\x1b[2J\nline two", doi="10.1/\x07x")
    for _label, name in FIELDS:
        value = field_value(record, name)
        assert not any(ch in value for ch in "\x1b\x07\x9b\n"), (name, value)
