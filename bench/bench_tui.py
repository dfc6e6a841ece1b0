"""Benchmark the screening TUI on a large review (driven headless by Textual's Pilot).

    python bench/bench_tui.py [--records 100000] [--decisions 200] [--db PATH] [--rebuild]
                              [--postgres]

Builds (once, cached at --db) a synthetic but realistic review: structured abstracts,
authors, journals, DOIs/PMIDs, keywords/MeSH, some flags, 3% of records linked as
duplicates, review settings with highlight terms, and 30% of the records already decided
by the reviewer. Each run screens a fresh copy of it, and prints:

- open: seconds from `make_app(...).run_test()` until the first undecided record shows
  (target < 2 s);
- decide: median / p95 milliseconds of one `i` keypress, from the key event reaching the
  app to the next record painted (decision committed, next record shown; target median
  < 50 ms), and of one `→` keypress; also `pilot.press` + `pilot.pause` wall time, most of
  which is Pilot's own idle detection (shown by pressing a key with no binding);
- search: seconds for a `/` search to land on a match;
- memory: peak RSS of this process in MiB (target < 500 MiB). The review is built in a
  child process, so the figure is the TUI's own.

With --ranking the copy is switched to `order = "relevance"` and 1% of the decided
records become includes, so the screen ranks the queue and every `i` keypress starts a
refit in the worker (one at a time): the keypress figures then include that load. It also
prints the feature cache build (in a child process, as the screen does) and the time of
one refit (the reviewer's labels, the fit on them, scoring and ordering every record;
target < 2 s), measured outside the screen.

With --postgres the same review is copied (`screener review copy`) into a private
PostgreSQL server started in a temporary directory (pgserver), and the TUI talks to it
over a local Unix socket; the copy's time is printed too.

The figures are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from screener.models import Record  # noqa: E402
from screener.screening import ReviewSettings  # noqa: E402
from screener.store import Store  # noqa: E402
from screener.store.dedup import Link  # noqa: E402
from screener.workflow import screening as flow  # noqa: E402

REVIEWER = "alice"
_WORD_TEXT = (
    "exosome extracellular vesicle hair follicle alopecia androgenetic areata dermal papilla "
    "stem cell mesenchymal platelet rich plasma minoxidil finasteride scalp regrowth density "
    "randomized controlled trial cohort mice rat murine model keratinocyte wnt signalling "
    "inflammation cytokine microRNA secretome adipose derived topical injection efficacy "
    "safety outcome patients women men adolescents chemotherapy induced telogen effluvium"
)
WORDS = tuple(_WORD_TEXT.split())
JOURNALS = (
    "Journal of Investigative Dermatology",
    "British Journal of Dermatology",
    "Stem Cell Research & Therapy",
    "Journal of Cosmetic Dermatology",
    "Experimental Dermatology",
    "International Journal of Molecular Sciences",
    "Journal of Extracellular Vesicles",
    "Dermatologic Therapy",
)
_SURNAME_TEXT = "Smith Wang Li Zhang Garcia Müller Rossi Kim Nguyen Kowalski Silva Tanaka"
SURNAMES = tuple(_SURNAME_TEXT.split())
TYPES = (("Journal Article",), ("Journal Article", "Randomized Controlled Trial"), ("Review",))


def sentence(rng: random.Random, n: int) -> str:
    words = rng.choices(WORDS, k=n)
    return " ".join(words).capitalize() + "."


def synthetic_record(rng: random.Random, i: int) -> Record:
    sections = ("BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS")
    abstract = "\n".join(
        f"{label}: " + " ".join(sentence(rng, rng.randint(12, 28)) for _ in range(2))
        for label in sections
    )
    flags = ()
    if i % 997 == 0:
        flags = ("retracted",)
    elif i % 499 == 0:
        flags = ("has-erratum",)
    return Record(
        source="Scopus" if i % 2 else "PubMed",
        source_id=f"S{i}",
        title=sentence(rng, rng.randint(8, 20)).rstrip("."),
        abstract=abstract,
        authors=tuple(
            f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFGHJK')}" for _ in range(rng.randint(2, 12))
        ),
        year=rng.randint(1995, 2024),
        journal=rng.choice(JOURNALS),
        volume=str(rng.randint(1, 140)),
        issue=str(rng.randint(1, 12)),
        pages=f"{rng.randint(1, 900)}-{rng.randint(901, 999)}",
        doi=f"10.{rng.randint(1000, 9999)}/bench.{i}",
        pmid=str(20_000_000 + i),
        publication_types=rng.choice(TYPES),
        keywords=tuple(rng.sample(WORDS, 4)),
        mesh=("Alopecia/therapy", "Exosomes", "Hair Follicle"),
        language="eng",
        flags=flags,
    )


def build(path: Path, n: int) -> None:
    """The synthetic review, inserted through the store in batches."""
    path.unlink(missing_ok=True)
    rng = random.Random(20240601)
    started = time.perf_counter()
    with Store(path) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        for start in range(1, n + 1, 5000):
            batch = [synthetic_record(rng, i) for i in range(start, min(start + 5000, n + 1))]
            store.add_records(run, batch)
        store.finish_run(run, "completed")
        links = {
            rid: Link(rid, rid - 1, "doi", 1.0, {"doi": "same"}, "screener")
            for rid in range(3, n + 1, 33)
        }
        store.replace_links(links)
        settings = ReviewSettings(
            reviewers=(REVIEWER, "bob"),
            adjudicators=("carol",),
            include_terms=("exosom*", "extracellular vesicle*", "alopecia", "hair loss"),
            exclude_terms=("mice", "rat", "murine"),
        )
        flow.save_settings(store, settings)
        queue = flow.ReviewerQueue.open(store, REVIEWER, "title-abstract")
        for record_id in queue.ids[: int(len(queue) * 0.3)]:
            store.save_decision(record_id, "title-abstract", REVIEWER, "exclude", "", "")
    print(f"built {n:,} records in {time.perf_counter() - started:.1f} s: {path}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def prepare_ranking(db: Path) -> dict[str, float]:
    """Switch the copy to relevance order, make 1% of the decided records includes, build
    the feature cache in a child process and time one refit."""
    import dataclasses

    from screener.workflow import ranking as rflow

    figures: dict[str, float] = {}
    with Store(db) as store:
        settings = flow.load_settings(store)
        flow.save_settings(store, dataclasses.replace(settings, order="relevance"))
        decided = [v.record_id for v in store.decision_rows("title-abstract", REVIEWER)]
        for record_id in decided[::100]:
            store.save_decision(record_id, "title-abstract", REVIEWER, "include")
    code = "import resource, sys\nfrom screener.workflow.ranking import cache_features\n"
    code += "cache_features(sys.argv[1])\n"
    code += "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(db)], check=True, capture_output=True, text=True
    )
    figures["features_s"] = time.perf_counter() - t
    figures["features_mib"] = int(done.stdout.split()[-1]) / 1024
    with Store(db) as store:
        t = time.perf_counter()
        features = rflow.review_features(store, cached_only=True)
        figures["features_load_s"] = time.perf_counter() - t
        settings = flow.load_settings(store)
        ids = flow.stage_ids(store, "title-abstract", settings)
        t, cpu = time.perf_counter(), time.process_time()
        labels = rflow.reviewer_labels(store, REVIEWER, settings)
        undecided = [i for i in ids if i not in labels]
        ranking = rflow.rank_undecided(features, labels, ids, undecided, rflow.review_seed(store))
        figures["refit_s"] = time.perf_counter() - t
        figures["refit_cpu_s"] = time.process_time() - cpu
        figures["labels"] = len(labels)
        figures["estimate"] = ranking.estimated_remaining or 0.0
        # The screen's next refit: one more decision, the same feature set and its ranker.
        store.save_decision(ranking.undecided[0], "title-abstract", REVIEWER, "exclude")
        t = time.perf_counter()
        labels = rflow.reviewer_labels(store, REVIEWER, settings)
        undecided = [i for i in ids if i not in labels]
        rflow.rank_undecided(features, labels, ids, undecided, rflow.review_seed(store))
        figures["next_refit_s"] = time.perf_counter() - t
    return figures


async def measure(db: Path, decisions: int) -> dict[str, float]:
    from screener.tui.app import make_app
    from screener.tui.screening import ScreeningScreen

    figures: dict[str, float] = {}
    started = time.perf_counter()
    app = make_app(db, REVIEWER)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ScreeningScreen)
        while screen.view is None:
            await pilot.pause(0.005)
        figures["open_s"] = time.perf_counter() - started
        first = screen.index
        pilot_ms = []
        for _ in range(decisions):
            t = time.perf_counter()
            await pilot.press("i")
            await pilot.pause()
            pilot_ms.append((time.perf_counter() - t) * 1000)
        assert screen.index == first + decisions, (screen.index, first)
        decide_ms = [await keypress(app, screen, "i") for _ in range(decisions)]
        move_ms = [await keypress(app, screen, "right") for _ in range(50)]
        baseline = []
        for _ in range(20):
            t = time.perf_counter()
            await pilot.press("x")  # no binding: what Pilot itself costs
            await pilot.pause()
            baseline.append((time.perf_counter() - t) * 1000)
        figures["pilot_median_ms"] = statistics.median(pilot_ms)
        figures["pilot_baseline_ms"] = statistics.median(baseline)
        figures["decide_median_ms"] = statistics.median(decide_ms)
        figures["decide_p95_ms"] = percentile(decide_ms, 0.95)
        figures["move_median_ms"] = statistics.median(move_ms)
        t = time.perf_counter()
        await pilot.press("slash", *"regrowth", "enter")
        while screen._hits is None:
            await pilot.pause(0.005)
        figures["search_s"] = time.perf_counter() - t
    return figures


async def keypress(app, screen, key: str) -> float:
    """Milliseconds from a key event reaching the app to the next record painted: the
    key is sent as the terminal driver would, then we wait for the screen to move on and
    for the refresh after it (Pilot's own idle-detection sleeps are left out)."""
    from textual import events

    before = screen.index
    started = time.perf_counter()
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)
    while screen.index == before:
        await asyncio.sleep(0)
    painted = asyncio.get_running_loop().create_future()
    app.call_after_refresh(painted.set_result, None)
    await painted
    return (time.perf_counter() - started) * 1000


def measure_on_postgres(db: Path, decisions: int) -> dict[str, float]:
    """Copy the cached review into a fresh private PostgreSQL server, then measure there."""
    import pgserver
    import psycopg

    directory = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    server = pgserver.get_server(directory, cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        url = f"postgresql://postgres@/bench?host={directory}"
        started = time.perf_counter()
        # In a child process (as the build), so the peak memory printed is the TUI's own.
        command = [sys.executable, "-m", "screener", "review", "copy", str(db), url, "--json"]
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        copied = time.perf_counter() - started
        print(f"copied into PostgreSQL 16 over a Unix socket in {copied:.1f} s: {url}")
        return asyncio.run(measure(url, decisions))
    finally:
        server.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "bench_tui.sqlite")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--ranking", action="store_true", help="Relevance order, refits on.")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--postgres", action="store_true", help="measure on a PostgreSQL server (pgserver)"
    )
    args = parser.parse_args()
    if args.build_only:
        build(args.db, args.records)
        return
    if args.rebuild or not args.db.exists():
        command = [sys.executable, __file__, "--build-only", "--records", str(args.records)]
        subprocess.run([*command, "--db", str(args.db)], check=True)
    ranking: dict = {}
    if args.postgres:  # (--ranking is measured on SQLite only)
        figures = measure_on_postgres(args.db, args.decisions)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "review.sqlite"
            shutil.copyfile(args.db, copy)
            ranking = prepare_ranking(copy) if args.ranking else {}
            figures = asyncio.run(measure(copy, args.decisions))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    where = "PostgreSQL, local socket" if args.postgres else "SQLite"
    print(f"records:            {args.records:,} ({args.db}; {where})")
    print(f"open to 1st record: {figures['open_s']:.2f} s   (target < 2 s)")
    print(
        f"decide + next (i):  median {figures['decide_median_ms']:.1f} ms, "
        f"p95 {figures['decide_p95_ms']:.1f} ms over {args.decisions}   (target median < 50 ms)"
    )
    print(
        f"  with Pilot:       press + pause median {figures['pilot_median_ms']:.1f} ms, of "
        f"which Pilot's own waits (unbound key) {figures['pilot_baseline_ms']:.1f} ms"
    )
    print(f"next record (→):    median {figures['move_median_ms']:.1f} ms")
    print(f"search (/ Enter):   {figures['search_s']:.2f} s")
    print(f"peak memory (RSS):  {peak:.0f} MiB   (target < 500 MiB)")
    if ranking:
        print(
            f"features (child):   {ranking['features_s']:.1f} s to compute and cache "
            f"(child's peak {ranking['features_mib']:.0f} MiB), "
            f"{ranking['features_load_s']:.2f} s to load from the cache"
        )
        print(
            f"one refit:          {ranking['refit_s']:.2f} s ({ranking['refit_cpu_s']:.2f} s CPU) "
            f"on {ranking['labels']:,} labels "
            f"(target < 2 s); about {ranking['estimate']:.0f} relevant left; "
            f"the next refit (one more decision): {ranking['next_refit_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
