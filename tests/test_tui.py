"""The screening TUI driven by Textual's Pilot: every key, decisions in the database right
after the keypress, blinding on screen, resolve mode, and the layout at 80x24 and 200x50.

pytest-asyncio is not used: each test runs its coroutine with `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from screener.errors import ScreenerError
from screener.models import Record
from screener.screening import ReviewSettings
from screener.store import Store
from screener.store.dedup import Link
from screener.tui import opener
from screener.tui.app import make_app
from screener.tui.dialogs import HelpScreen, ReasonPicker, TextPrompt
from screener.tui.keys import SCREEN_KEYS
from screener.tui.resolving import ResolveScreen
from screener.tui.screening import ScreeningScreen
from screener.workflow import screening as flow
from screener.workflow.saving import wait_for_saves
from tests.conftest import ROOT

TA, FT = "title-abstract", "full-text"
REASONS = ("Wrong population", "Wrong intervention", "Wrong study design")


# ---- helpers (also used by test_tui_dedup.py) ------------------------------------------


def add_records(store: Store, records: list[Record]) -> None:
    run = store.start_run(kind="import", source="file", database="X")
    store.add_records(run, records)
    store.finish_run(run, "completed")


def sample_record(i: int, **changes: object) -> Record:
    values: dict[str, object] = dict(
        source="X",
        source_id=str(i),
        title=f"Exosomes for hair loss, study {i}",
        abstract=(
            f"BACKGROUND: Alopecia is common (study {i}).\n"
            "METHODS: We treated mice with exosomes.\nRESULTS: Hair regrew."
        ),
        authors=("Smith A", "Jones B"),
        year=2020 + i % 4,
        journal="J Dermatol",
        volume="12",
        issue="3",
        pages="1-9",
        doi=f"10.1/s{i}",
        pmid=str(1000 + i),
        publication_types=("Journal Article",),
        keywords=("exosome", "alopecia"),
        mesh=("Alopecia/therapy",),
    )
    values.update(changes)
    return Record(**values)  # type: ignore[arg-type]


def build_review(path: Path, n: int = 6, **settings: object) -> Path:
    """Records 1..n (2 is retracted, 6 is a duplicate of 5), two reviewers, adjudicator cy."""
    with Store(path) as store:
        records = [sample_record(i) for i in range(1, n + 1)]
        records[1] = records[1].with_changes(flags=("retracted", "has-erratum"))
        add_records(store, records)
        if n >= 6:
            store.replace_links({6: Link(6, 5, "doi", 1.0, {"doi": "same"}, "screener")})
        values: dict[str, object] = dict(
            reviewers=("ann", "bob"),
            adjudicators=("cy",),
            exclusion_reasons=REASONS,
            include_terms=("exosom*",),
            exclude_terms=("mice",),
        )
        values.update(settings)
        flow.save_settings(store, ReviewSettings(**values))  # type: ignore[arg-type]
    return path


def screen_text(app) -> str:
    """What the terminal shows now (the screen and any dialog over it), as plain text."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text()


def widget_text(app) -> str:
    """Everything the current screen's Statics hold, scrolled into view or not."""
    parts = []
    for widget in app.screen.query(Static):
        content = widget.content
        parts.append(content.plain if isinstance(content, Text) else str(content))
    return "\n".join(parts)


async def ready(pilot) -> None:
    """Wait for the workers (opening the queue, a search ...) and their messages."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def decisions(
    path: Path, reviewer: str | None = None, stage: str = TA
) -> dict[int, tuple[str, str, str]]:
    """Read through a second connection: what is committed, not what the app holds
    (once the screen's save thread has stored what the keys queued)."""
    assert wait_for_saves()
    with Store(path) as other:
        return {
            vote.record_id: (vote.decision, vote.reason, vote.note)
            for vote in other.decision_rows(stage, reviewer)
        }


def run(coroutine) -> None:
    asyncio.run(coroutine)


@pytest.fixture
def review(review_db: str) -> str:
    return build_review(review_db)


# ---- opening and showing a record ----------------------------------------------------


def test_opens_on_the_first_undecided_record_with_everything_shown(review):
    with Store(review) as store:
        store.save_decision(1, TA, "ann", "include")

    async def go():
        app = make_app(review, "ann")
        async with app.run_test(size=(100, 40)) as pilot:
            await ready(pilot)
            screen = app.screen
            assert isinstance(screen, ScreeningScreen)
            assert screen.view.record_id == 2 and screen.index == 1
            text = widget_text(app)
            for expected in (
                "Exosomes for hair loss, study 2",
                "RETRACTED",
                "HAS-ERRATUM",
                "Smith A; Jones B",
                "J Dermatol · 2022 · 12(3):1-9",
                "DOI 10.1/s2",
                "PMID 1002",
                "Type: Journal Article",
                "BACKGROUND: Alopecia",
                "Keywords: exosome; alopecia",
                "MeSH: Alopecia/therapy",
                "Your vote: undecided",
                "done 1/5",
                "record 2 of 5",
            ):
                assert expected in text, expected
            shown = screen_text(app)
            assert "Exosomes for hair loss, study 2" in shown and "RETRACTED" in shown

    run(go())


def test_highlights_labels_flags_and_group_size(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test(size=(100, 40)) as pilot:
            await ready(pilot)
            await pilot.press("g", "5", "enter")
            abstract = app.screen.query_one("#abstract", Static).content
            styles = {abstract.plain[s.start : s.end]: str(s.style) for s in abstract.spans}
            assert styles["exosomes"] == "bold green"
            assert styles["mice"] == "bold red underline"
            assert styles["BACKGROUND:"] == "bold"
            title = app.screen.query_one("#title", Static).content
            assert any(title.plain[s.start : s.end] == "Exosomes" for s in title.spans)
            assert "2 RECORDS IN DUPLICATE GROUP" in widget_text(app)

    run(go())


def test_highlight_terms_default_to_the_searches_run(review_db, tmp_path):
    path = build_review(review_db, include_terms=(), exclude_terms=())
    with Store(path) as store:
        run_id = store.start_run(
            kind="search", source="pubmed", database="PubMed", query="alopecia[tiab] AND 2020[dp]"
        )
        store.finish_run(run_id, "completed")

    async def go():
        app = make_app(path, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            assert app.screen.include_terms == ("alopecia",)
            abstract = app.screen.query_one("#abstract", Static).content
            assert any(abstract.plain[s.start : s.end] == "Alopecia" for s in abstract.spans)

    run(go())


# ---- decisions -----------------------------------------------------------------------


def test_i_m_commit_at_once_and_advance(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("i")
            assert decisions(review, "ann") == {1: ("include", "", "")}
            assert app.screen.view.record_id == 2
            await pilot.press("m")
            assert decisions(review, "ann")[2] == ("maybe", "", "")
            assert app.screen.view.record_id == 3
            assert "done 2/5" in widget_text(app)

    run(go())


def test_e_picks_a_reason_or_none_at_title_abstract(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("e")
            assert isinstance(app.screen, ReasonPicker)
            assert "(no reason)" in screen_text(app)
            await pilot.press("2")
            assert decisions(review, "ann") == {1: ("exclude", "Wrong intervention", "")}
            await pilot.press("e", "escape")  # cancelled: nothing decided
            assert 2 not in decisions(review, "ann") and app.screen.view.record_id == 2
            await pilot.press("e", "0")  # no reason: allowed at title/abstract
            assert decisions(review, "ann")[2] == ("exclude", "", "")
            await pilot.press("e", "down", "enter")  # the list works with Enter too
            assert decisions(review, "ann")[3] == ("exclude", "Wrong intervention", "")
            await pilot.press("e", "tab", *"off topic", "enter")  # free text at t/a
            assert decisions(review, "ann")[4] == ("exclude", "off topic", "")

    run(go())


def test_the_own_vote_shows_after_moving_back(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("e", "1", "left")
            assert app.screen.view.record_id == 1
            assert "Your vote: EXCLUDE — Wrong population" in widget_text(app)

    run(go())


def test_n_note_is_saved_with_the_decision_or_at_once(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("n")
            assert isinstance(app.screen, TextPrompt)
            await pilot.press(*"check dose", "enter")
            assert decisions(review, "ann") == {}  # kept until the decision
            assert "check dose" in widget_text(app)
            await pilot.press("i")
            assert decisions(review, "ann") == {1: ("include", "", "check dose")}
            await pilot.press("k", "n", "ctrl+u", *"second thought", "enter")
            assert decisions(review, "ann") == {1: ("include", "", "second thought")}
            await pilot.press("n", "escape")  # cancelled: unchanged
            assert decisions(review, "ann") == {1: ("include", "", "second thought")}

    run(go())


def test_u_undoes_the_last_decision(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test(notifications=True) as pilot:
            await ready(pilot)
            await pilot.press("i", "i")
            assert set(decisions(review, "ann")) == {1, 2}
            await pilot.press("u")
            assert set(decisions(review, "ann")) == {1}
            assert app.screen.view.record_id == 2
            await pilot.press("u", "u")
            assert decisions(review, "ann") == {}
            assert ("warning", "Nothing to undo in this session.") in app.notices

    run(go())


def test_full_text_r_f_o_and_a_required_reason(review_db, tmp_path, monkeypatch):
    path = build_review(review_db)
    with Store(path) as store:
        for record_id in (1, 2, 3):
            for who in ("ann", "bob"):
                store.save_decision(record_id, TA, who, "include")
    opened: list[str] = []
    monkeypatch.setattr(opener, "open_location", lambda loc: opened.append(loc) or "test")
    pdf = tmp_path / "paper 1.pdf"
    pdf.write_bytes(b"%PDF-1.4")

    async def go():
        app = make_app(path, "ann", FT)
        async with app.run_test(size=(100, 30)) as pilot:
            await ready(pilot)
            assert len(app.screen.queue) == 3 and "r not retrieved" in screen_text(app)
            await pilot.press("o")  # nothing attached yet
            assert opened == [] and "press f" in app.notices[-1][1]
            await pilot.press("f", *str(pdf), "enter")
            assert wait_for_saves()
            with Store(path) as other:
                assert other.fulltext(1) == str(pdf)
            assert str(pdf) in widget_text(app)
            await pilot.press("o")
            await ready(pilot)
            assert opened == [str(pdf)]
            await pilot.press("e")
            assert "(no reason)" not in screen_text(app)  # required at full text
            await pilot.press("0")
            assert isinstance(app.screen, ReasonPicker)  # 0 does nothing here
            await pilot.press("3")
            assert decisions(path, "ann", FT)[1] == ("exclude", "Wrong study design", "")
            await pilot.press("r")
            assert decisions(path, "ann", FT)[2] == ("not-retrieved", "", "")

    run(go())


def test_r_f_o_do_nothing_at_title_abstract(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("r", "f", "o")
            assert isinstance(app.screen, ScreeningScreen)
            assert decisions(review) == {} and app.screen.view.record_id == 1
            assert "not retrieved" not in screen_text(app)

    run(go())


def test_workflow_errors_are_notified_not_raised(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test(notifications=True) as pilot:
            await ready(pilot)

            def refuse(*args, **kwargs):
                raise ScreenerError("the [review] says no")

            app.screen.queue.decide = refuse
            await pilot.press("i")
            assert app.notices[-1] == ("error", "the [review] says no")
            assert app.screen.view.record_id == 1 and app.return_code is None

    run(go())


# ---- moving around ---------------------------------------------------------------------


def test_arrows_and_j_k_move(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            ids = []
            for key in ("right", "j", "j", "left", "k"):
                await pilot.press(key)
                ids.append(app.screen.view.record_id)
            assert ids == [2, 3, 4, 3, 2]
            await pilot.press("k", "k")  # stays on the first record
            assert app.screen.view.record_id == 1
            assert decisions(review) == {}

    run(go())


def test_g_goes_to_a_number_or_an_id(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test(notifications=True) as pilot:
            await ready(pilot)
            await pilot.press("g", "4", "enter")
            assert app.screen.view.record_id == 4
            await pilot.press("g", "#", "2", "enter")
            assert app.screen.view.record_id == 2
            await pilot.press("g", "#", "6", "enter")  # a duplicate: not in the queue
            assert app.notices[-1][0] == "error" and "#6 is not in your queue" in app.notices[-1][1]
            await pilot.press("g", "9", "enter")
            assert "no record number 9" in app.notices[-1][1]
            await pilot.press("g", "x", "enter")
            assert app.notices[-1][0] == "error"
            assert app.screen.view.record_id == 2

    run(go())


def test_slash_searches_and_again_finds_the_next_match(review_db, tmp_path):
    path = build_review(review_db)
    with Store(path) as store:
        add_records(store, [sample_record(7, title="Minoxidil foam"), sample_record(8)])
        add_records(store, [sample_record(9, title="Topical minoxidil")])

    async def go():
        app = make_app(path, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("slash")
            assert isinstance(app.screen, TextPrompt)
            await pilot.press(*"minoxidil", "enter")
            await ready(pilot)
            assert app.screen.view.record_id == 7
            await pilot.press("slash", "enter")  # same text: the next match
            await ready(pilot)
            assert app.screen.view.record_id == 9
            await pilot.press("slash", "enter")  # wraps to the top
            await ready(pilot)
            assert app.screen.view.record_id == 7
            await pilot.press("slash", "ctrl+u", *"nothing like it", "enter")
            await ready(pilot)
            assert app.screen.view.record_id == 7 and "No record" in app.notices[-1][1]

    run(go())


def test_question_mark_lists_every_key(review):
    async def go():
        app = make_app(review, "ann", FT)
        async with app.run_test(size=(100, 40)) as pilot:
            await ready(pilot)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            shown = screen_text(app)
            keys = [key for key, _text, _full in SCREEN_KEYS]
            assert {"i", "e", "m", "r", "n", "u", "→ or j", "← or k", "/", "g", "f", "o"} < set(
                keys
            )
            assert {"?", "q"} < set(keys)
            for key, text, _full in SCREEN_KEYS:
                assert re.search(rf"(^|\s){re.escape(key)}\s{{2,}}{re.escape(text[:20])}", shown), (
                    key
                )
            await pilot.press("escape")
            assert isinstance(app.screen, ScreeningScreen)

    run(go())


def test_q_quits(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("q")
            await pilot.pause()
            assert app.return_code == 0

    run(go())


def test_q_warns_once_about_a_note_without_a_decision(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            await pilot.press("n", *"unsaved", "enter", "q")
            await pilot.pause()
            assert app.return_code is None and "#1 are not saved" in app.notices[-1][1]
            await pilot.press("q")
            await pilot.pause()
            assert app.return_code == 0

    run(go())


# ---- blinding ------------------------------------------------------------------------


def test_blinding_bob_never_sees_anns_vote(review):
    with Store(review) as store:
        queue = flow.ReviewerQueue.open(store, "ann", TA)
        queue.decide(1, "exclude", "Wrong population", note="ANN-SECRET-NOTE")
        queue.decide(2, "include", note="ANN-OTHER-NOTE")

    async def go():
        app = make_app(review, "bob")
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            assert app.screen.view.record_id == 1  # ann's votes do not count for bob
            for record in ("1", "2"):
                await pilot.press("g", "#", record, "enter")
                seen = screen_text(app) + widget_text(app)
                for secret in ("ANN-SECRET-NOTE", "ANN-OTHER-NOTE", "ann", "Wrong population"):
                    assert secret not in seen
                assert "Your vote: undecided" in seen and "done 0/5" in seen

    run(go())


def test_unknown_reviewer_is_refused_on_screen(review):
    async def go():
        app = make_app(review, "eve")
        async with app.run_test(notifications=True) as pilot:
            await ready(pilot)
            assert "not a reviewer of this review" in widget_text(app)
            assert app.notices[-1][0] == "error"
            await pilot.press("i")
            assert decisions(review) == {}

    run(go())


def test_make_app_checks_stage_name_and_file(tmp_path, review):
    with pytest.raises(ScreenerError, match="unknown stage"):
        make_app(review, "ann", "abstract")
    with pytest.raises(ScreenerError, match="who is screening"):
        make_app(review, " ")
    with pytest.raises(ScreenerError, match="no review here"):
        make_app(tmp_path / "missing.sqlite", "ann")


# ---- resolve mode --------------------------------------------------------------------


def _conflict(path: Path) -> None:
    with Store(path) as store:
        store.save_decision(1, TA, "ann", "include", note="ANN-NOTE")
        store.save_decision(1, TA, "bob", "exclude", "Wrong population", "BOB-NOTE")
        store.save_decision(2, TA, "ann", "include")
        store.save_decision(2, TA, "bob", "include")


def test_resolve_shows_both_votes_and_records_the_resolution(review):
    _conflict(review)

    async def go():
        app = make_app(review, "cy", resolve=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await ready(pilot)
            assert isinstance(app.screen, ResolveScreen) and len(app.screen.conflicts) == 1
            text = screen_text(app)
            for expected in ("ann", "bob", "INCLUDE", "EXCLUDE", "Wrong population", "BOB-NOTE"):
                assert expected in text, expected
            assert "conflict 1 of 1" in text
            await pilot.press("e", "1")
            assert isinstance(app.screen, TextPrompt)
            await pilot.press(*"mice only", "enter")
            await ready(pilot)  # stored by a worker, beside the screen
            with Store(review) as other:
                (row,) = other.resolution_rows(TA)
            assert (row.record_id, row.decision, row.reason) == (
                1,
                "exclude",
                "Wrong population",
            )
            assert (row.rationale, row.adjudicator) == ("mice only", "cy")
            assert "RESOLVED: EXCLUDE" in widget_text(app)

    run(go())


def test_resolve_by_someone_not_allowed_shows_the_error(review):
    _conflict(review)

    async def go():
        app = make_app(review, "dan", resolve=True)
        async with app.run_test(notifications=True) as pilot:
            await ready(pilot)
            assert "BOB-NOTE" not in screen_text(app)  # blinded: not an adjudicator
            # Someone the review does not know is stopped before seeing anything.
            assert "not a reviewer or adjudicator" in widget_text(app)
            await pilot.press("i", *"ok", "enter")
            await ready(pilot)
            with Store(review) as other:
                assert other.resolution_rows() == []

    run(go())


def test_resolve_with_no_conflicts_says_so(review):
    async def go():
        app = make_app(review, "cy", resolve=True)
        async with app.run_test() as pilot:
            await ready(pilot)
            assert "No conflicts at title-abstract" in screen_text(app)
            await pilot.press("i", "question_mark")
            assert isinstance(app.screen, HelpScreen)

    run(go())


# ---- layout --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_title_and_key_hints_are_visible(review, size):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test(size=size) as pilot:
            await ready(pilot)
            text = screen_text(app)
            assert "Exosomes for hair loss, study 1" in text
            for hint in ("i include", "e exclude", "m maybe", "u undo", "? help", "q quit"):
                assert hint in text, (size, hint)
            assert "Your vote: undecided" in text and "record 1 of 5" in text

    run(go())


def test_resolve_layout_at_80x24(review):
    _conflict(review)

    async def go():
        app = make_app(review, "cy", resolve=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            text = screen_text(app)
            assert "Exosomes for hair loss, study 1" in text and "q quit" in text
            assert "BOB-NOTE" in text and "ANN-NOTE" in text

    run(go())


def test_the_core_does_not_import_textual():
    code = "import sys, screener.workflow.screening, screener.workflow.dedup; "
    code += "print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


# ---- trust: notes kept on undo, saving off the UI thread, crashes exit non-zero ---------


def test_undo_keeps_the_note_for_the_next_decision(review):
    async def go():
        app = make_app(review, "ann")
        async with app.run_test(notifications=True) as pilot:
            await ready(pilot)
            await pilot.press("n", *"dose unclear", "enter", "i")
            assert decisions(review, "ann") == {1: ("include", "", "dose unclear")}
            await pilot.press("u")
            assert decisions(review, "ann") == {}
            assert "note is kept" in app.notices[-1][1]
            assert "dose unclear" in widget_text(app)
            await pilot.press("m")
            assert decisions(review, "ann") == {1: ("maybe", "", "dose unclear")}

    run(go())


def test_a_locked_review_never_freezes_a_keypress(tmp_path):
    # SQLite's write lock is what blocks here (held by a plain sqlite3 connection).
    review = build_review(tmp_path / "r.sqlite")
    import sqlite3
    import time

    async def go():
        app = make_app(review, "ann")
        async with app.run_test(notifications=True) as pilot:
            await ready(pilot)
            blocker = sqlite3.connect(review, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")  # an import holding the write lock
            try:
                started = time.monotonic()
                await pilot.press("i", "e", "1", "i")
                assert time.monotonic() - started < 5
                assert app.screen.view.record_id == 4  # moved on at once
                assert "saving…" in widget_text(app)
                with Store(review) as other:
                    assert list(other.decision_rows(TA, "ann")) == []
            finally:
                blocker.execute("COMMIT")
                blocker.close()
            assert decisions(review, "ann") == {
                1: ("include", "", ""),
                2: ("exclude", "Wrong population", ""),
                3: ("include", "", ""),
            }
            await pilot.pause()
            assert "saving…" not in widget_text(app)

    run(go())


def test_quit_waits_for_decisions_still_saving(tmp_path):
    # SQLite's write lock is what blocks here (held by a plain sqlite3 connection).
    review = build_review(tmp_path / "r.sqlite")
    import sqlite3

    async def go():
        app = make_app(review, "ann")
        async with app.run_test() as pilot:
            await ready(pilot)
            blocker = sqlite3.connect(review, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            await pilot.press("i", "q")
            await pilot.pause()
            assert app.return_code is None and "Saving 1 decision" in app.notices[-1][1]
            blocker.execute("COMMIT")
            blocker.close()
            for _ in range(50):
                await pilot.pause(0.05)
                if app.return_code is not None:
                    break
            assert app.return_code == 0
        assert decisions(review, "ann") == {1: ("include", "", "")}

    run(go())


CRASHING_SCREEN = """
import sys
from screener.cli import run
import screener.tui.screening as screening

def broken(self, *args, **kwargs):
    raise RuntimeError("boom \\x1b]0;owned\\x07")

screening.ScreeningScreen.show = broken
sys.argv = ["screener", "screen", "--reviewer", "ann", "--db", sys.argv[1]]
run()
"""


def test_a_crash_in_the_screen_exits_non_zero_with_one_line(review):
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_SCREEN, str(review)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"TERM": "dumb", "PATH": "/usr/bin:/bin", "COLUMNS": "80", "LINES": "24"},
    )
    assert result.returncode == 70, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # The terminal is given back first (Textual's own reset sequences), then one line.
    assert lines[-1].endswith(
        "Error: internal error (RuntimeError: boom ); please report it with the command you ran."
    )
    assert "Traceback" not in result.stderr and "owned" not in result.stderr
