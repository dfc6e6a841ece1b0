"""The dedup review TUI: pairs side by side, y / n / s / q / ?, decisions in the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from screener.errors import ScreenerError
from screener.store import Store
from screener.tui.dedup_review import ConfirmBlock, diff_texts, make_dedup_app
from screener.tui.dialogs import HelpScreen
from tests.test_tui import add_records, run, sample_record, screen_text, widget_text


def build_pairs(path: Path) -> Path:
    with Store(path) as store:
        add_records(
            store,
            [
                sample_record(1),
                sample_record(2, doi="", year=2019, journal="J. Dermatol."),
                sample_record(3, title="Minoxidil in women"),
                sample_record(4, title="Minoxidil for men", pmid=""),
                sample_record(5, title="Finasteride"),
                sample_record(6, title="Finasteride, again"),
            ],
        )
        store.save_pairs(
            [
                (1, 2, 0.93, "fuzzy-title", "uncertain", {"title": "0.93", "year": "±1"}),
                (3, 4, 0.81, "fuzzy-title", "uncertain", {"title": "0.81"}),
                (5, 6, 0.80, "fuzzy-title", "uncertain", {"title": "0.80"}),
            ]
        )
    return path


async def saved(pilot) -> None:
    app = pilot.app
    while app.saving or app.todo:
        await app.workers.wait_for_complete()
        await pilot.pause()


def test_pairs_side_by_side_and_y_n_s_decide(review_db, tmp_path):
    path = build_pairs(review_db)

    async def go():
        app = make_dedup_app(path, "ann")
        async with app.run_test(size=(100, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = screen_text(app)
            for expected in ("pair 1 of 3", "fuzzy-title", "score 0.93", "evidence: title: 0.93"):
                assert expected in text, expected
            for field in ("title", "authors", "year", "journal", "volume", "issue", "pages"):
                assert field in text, field
            for field in ("DOI", "PMID", "source", "abstract", "#1", "#2", "10.1/s1"):
                assert field in text, field
            rows = [row.split() for row in text.splitlines()]
            marks = {row[1]: row[0] for row in rows if row and row[0] in ("=", "≠")}
            assert marks["authors"] == "=" and marks["year"] == "≠" and marks["journal"] == "="
            assert "DOI" not in marks  # record 2 has no DOI: not marked either way
            await pilot.press("y")
            await saved(pilot)
            assert "pair 2 of 3" in widget_text(app)
            await pilot.press("s")
            assert "pair 3 of 3" in widget_text(app)
            await pilot.press("n")
            await saved(pilot)
            assert "No more pairs" in widget_text(app)
            with Store(path) as other:
                assert other.pair_decisions() == {(1, 2): True, (5, 6): False}
                assert other.links()[2].canonical_id == 1
                assert 6 not in other.links()
            await pilot.press("left")
            assert "you said: DIFFERENT" in widget_text(app)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            assert "same work" in screen_text(app)
            await pilot.press("escape", "q")
            await pilot.pause()
            assert app.return_code == 0

    run(go())


def test_quit_waits_for_the_last_decision(review_db, tmp_path):
    path = build_pairs(review_db)

    async def go():
        app = make_dedup_app(path, "ann")
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("y", "y", "q")
            await saved(pilot)
            await pilot.pause()
            assert app.return_code == 0
        with Store(path) as other:
            assert other.pair_decisions() == {(1, 2): True, (3, 4): True}

    run(go())


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_dedup_layout(review_db, tmp_path, size):
    path = build_pairs(review_db)

    async def go():
        app = make_dedup_app(path, "ann")
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = screen_text(app)
            assert "Exosomes for hair loss" in text and "pair 1 of 3" in text
            assert "y same work" in text and "q quit" in text

    run(go())


def test_no_pairs_and_bad_arguments(review_db, tmp_path):
    path = review_db
    with Store(path) as store:
        add_records(store, [sample_record(1)])
    with pytest.raises(ScreenerError, match="who decides"):
        make_dedup_app(path, "")
    with pytest.raises(ScreenerError, match="no review here"):
        make_dedup_app(tmp_path / "none.sqlite", "ann")

    async def go():
        app = make_dedup_app(path, "ann")
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "No more pairs: 0 waited" in screen_text(app)
            await pilot.press("y", "n")  # nothing to decide: no crash
            assert app.return_code is None

    run(go())


def build_block(path: Path) -> Path:
    """Pairs 1-2 and 3-4 are near-identical (title, authors, year); 5-6 is not."""
    same = dict(title="Exosomes for hair loss in mice", year=2021)
    other = dict(title="Minoxidil and exosomes for hair loss", year=2022)
    with Store(path) as store:
        add_records(
            store,
            [
                sample_record(1, **same, pages="1-9"),
                sample_record(2, **same, pages="S9", journal="J Dermatol. Conference: X"),
                sample_record(3, **other, volume="1)"),
                sample_record(4, **other),
                sample_record(5, title="Finasteride in women", year=2020),
                sample_record(6, title="Finasteride for women", year=2020),
            ],
        )
        store.save_pairs(
            [
                (1, 2, 0.70, "fuzzy-title", "uncertain", {}),
                (3, 4, 0.72, "fuzzy-title", "uncertain", {}),
                (5, 6, 0.95, "fuzzy-title", "uncertain", {}),
            ]
        )
    return path


def test_near_identical_pairs_come_first_and_are_accepted_as_a_block(tmp_path):
    path = build_block(tmp_path / "r.sqlite")

    async def go():
        app = make_dedup_app(path, "ann")
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = widget_text(app)
            # the near-identical pairs first, although 5-6 has the highest score
            assert "pair 1 of 3" in text and "score 0.72" in text
            assert "near-identical" in text and "2 such pairs left" in text
            await pilot.press("A")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmBlock)
            assert "Link 2 near-identical pair(s)" in screen_text(app)
            await pilot.press("n")  # changed my mind: nothing is decided
            await pilot.pause()
            assert not app.decided
            await pilot.press("A")
            await pilot.pause()
            await pilot.press("y")
            await saved(pilot)
            assert "score 0.95" in widget_text(app)  # on to the first undecided pair
            with Store(path) as other:
                assert other.pair_decisions() == {(1, 2): True, (3, 4): True}
                assert (
                    other.links()[2].canonical_id in (1, 2)
                    and 4 in other.links()
                    or (3 in other.links())
                )
            await pilot.press("A")  # no block left: a notice, no dialog
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmBlock)

    run(go())


def test_differing_characters_are_highlighted():
    left, right = diff_texts("IL-6 and IL-10 in sarcoidosis", "IL- and IL-10 in sarcoidosis")
    assert [left.plain[s.start : s.end] for s in left.spans] == ["6"]
    assert right.spans == []  # nothing extra on the right: only a deletion
    same_left, same_right = diff_texts("Hair Growth.", "hair growth")
    assert same_left.spans == [] and same_right.spans == []  # case/punctuation only
