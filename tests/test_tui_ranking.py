"""The screen ranks the queue in a worker: after an include and an exclude the next
records are the relevant ones, nothing drops out of the queue, the record on screen
stays, and the status line shows the estimate."""

from __future__ import annotations

import asyncio

from screener.models import Record
from screener.screening import ReviewSettings
from screener.store import Store
from screener.tui.app import make_app
from screener.tui.ranking import RankingLine
from screener.tui.screening import ScreeningScreen
from screener.workflow import screening as flow

ON = "Exosomes from stem cells for androgenetic alopecia hair regrowth"
OFF = "Soil nitrogen and wheat crop yield under drought"


def _review(path, order="relevance"):
    with Store(path) as store:
        run = store.start_run(kind="import", source="file", database="X")
        titles = [f"{ON} {i}" if i % 6 == 0 else f"{OFF} field {i}" for i in range(60)]
        store.add_records(
            run,
            [
                Record(source="X", source_id=str(i), title=t, abstract=t)
                for i, t in enumerate(titles)
            ],
        )
        store.finish_run(run, "completed")
        settings = ReviewSettings(reviewers=("ann", "bob"), adjudicators=("cy",), order=order)
        flow.save_settings(store, settings)
    return path


async def _settle(pilot) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _title(screen) -> str:
    return screen.view.record.title


def test_the_queue_is_reranked_after_an_include_and_an_exclude(tmp_path):
    db = _review(tmp_path / "r.sqlite")

    async def scenario():
        app = make_app(db, "ann")
        async with app.run_test(size=(120, 40)) as pilot:
            await _settle(pilot)
            screen = app.screen
            assert isinstance(screen, ScreeningScreen)
            before = sorted(screen.queue.ids)
            seen = {"include": False, "exclude": False}
            while not all(seen.values()):  # the random order: decide until one of each
                key = "include" if _title(screen).startswith("Exosomes") else "exclude"
                if key == "include":
                    await pilot.press("i")
                else:
                    await pilot.press("e")
                    await pilot.pause()
                    await pilot.press("enter")  # the first listed reason
                seen[key] = True
                await _settle(pilot)
            line = str(screen.query_one(RankingLine).content)
            assert "ranked by" in line and "relevant records left" in line
            assert sorted(screen.queue.ids) == before
            # The record on screen stays where it is; the ranked ones come after it.
            if not _title(screen).startswith("Exosomes"):
                await pilot.press("e")
                await pilot.pause()
                await pilot.press("enter")
                await _settle(pilot)
            remaining_on = sum(
                1
                for i in screen.queue.ids[screen.index :]
                if i % 6 == 1 and i not in screen.queue.own
            )
            shown = []
            for _ in range(remaining_on):
                shown.append(_title(screen))
                await pilot.press("i")
                await _settle(pilot)
            assert all(t.startswith("Exosomes") for t in shown), shown

    asyncio.run(scenario())


def test_stored_order_is_left_alone(tmp_path):
    db = _review(tmp_path / "r.sqlite", order="stored")

    async def scenario():
        app = make_app(db, "ann")
        async with app.run_test(size=(120, 40)) as pilot:
            await _settle(pilot)
            screen = app.screen
            assert screen.queue.ids == sorted(screen.queue.ids)
            assert "order: stored" in str(screen.query_one(RankingLine).content)

    asyncio.run(scenario())
