"""Property-based tests over the core paths: for ANY sequence of imports, duplicate links,
votes and resolutions, PRISMA's rules hold and match an independent count, blinding holds,
merged groups never raise, and exports read back as the same records."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.importers.common import EMPTY_MARKERS
from screener.models import Record
from screener.screening import ReviewSettings
from screener.store import Store
from screener.store.dedup import Link
from screener.workflow import exporting
from screener.workflow import screening as flow
from screener.workflow.importing import import_file
from screener.workflow.reporting import prisma_flow

TA, FT = "title-abstract", "full-text"
REASONS = ("Wrong population", "Wrong outcome")
PEOPLE = ("ann", "bob")
DATABASES = ("PubMed", "Scopus", "Embase")

SLOW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

votes = st.tuples(
    st.integers(0, 11),  # record index
    st.sampled_from(PEOPLE),
    st.sampled_from([TA, FT]),
    st.sampled_from(["include", "exclude", "maybe", "not-retrieved", "undo"]),
    st.sampled_from(REASONS),
)
reviews = st.fixed_dictionaries(
    {
        "records": st.lists(st.sampled_from(DATABASES), min_size=1, max_size=12),
        "links": st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=6),
        "votes": st.lists(votes, max_size=40),
        "resolutions": st.lists(
            st.tuples(
                st.integers(0, 11),
                st.sampled_from([TA, FT]),
                st.sampled_from(["include", "exclude"]),
            ),
            max_size=5,
        ),
    }
)


def _build(path: Path, plan: dict) -> Store:
    store = Store(path)
    flow.save_settings(
        store, ReviewSettings(reviewers=PEOPLE, adjudicators=("cy",), exclusion_reasons=REASONS)
    )
    for database in DATABASES:
        n = [i for i, db in enumerate(plan["records"]) if db == database]
        if n:
            run = store.start_run(kind="import", source="file", database=database)
            store.add_records(
                run, [Record(database, str(i), title=f"Study {i}", year=2020) for i in n]
            )
            store.finish_run(run, "completed")
    ids = sorted(store.source_ids())
    links: dict[int, Link] = {}
    for a, b in plan["links"]:
        if a < len(ids) and b < len(ids):
            dup, canonical = ids[a], ids[b]
            canonical = links[canonical].canonical_id if canonical in links else canonical
            if (
                dup != canonical
                and dup not in links
                and not any(link.canonical_id == dup for link in links.values())
            ):
                links[dup] = Link(dup, canonical, "manual", 1.0, {}, "cy")
    store.replace_links(links)
    for index, who, stage, decision, reason in plan["votes"]:
        _vote(store, ids, index, who, stage, decision, reason)
    for index, stage, decision in plan["resolutions"]:
        if index < len(ids):
            try:
                flow.resolve(
                    store,
                    ids[index],
                    stage,
                    decision,
                    REASONS[0] if decision == "exclude" else "",
                    "why",
                    "cy",
                    override=True,
                )
            except Exception as exc:  # refused by a rule: nothing stored, that is all
                assert type(exc).__name__.endswith("Error")
    return store


def _vote(store, ids, index, who, stage, decision, reason):
    if index >= len(ids):
        return
    queue = flow.ReviewerQueue.open(store, who, stage)
    record_id = ids[index]
    if record_id not in queue.ids:
        return  # a duplicate, or not at full text: the queue never offers it
    if decision == "undo":  # take the vote back, as undo after a first decision does
        if record_id in queue.own:
            queue.history.append((record_id, None))
            queue.undo()
        return
    if decision == "not-retrieved" and stage == TA:
        return
    queue.decide(record_id, decision, reason if decision == "exclude" else "")


@SLOW
@given(reviews)
def test_prisma_rules_hold_and_match_an_independent_count(plan):
    with tempfile.TemporaryDirectory() as tmp, _build(Path(tmp) / "r.sqlite", plan) as store:
        result = prisma_flow(store)  # raises InvariantError if any PRISMA rule breaks
        links = store.links()
        canonical = store.canonical_ids()
        assert result.database_results == len(plan["records"])
        assert result.duplicates_removed == len(links)
        assert result.records_screened == len(canonical)
        passed = set(flow.stage_ids(store, FT, flow.load_settings(store)))
        assert result.reports_sought == len(passed)
        ta = flow.stage_outcomes(store, TA, flow.load_settings(store), canonical)
        excluded = sum(1 for o in ta.values() if o.decision == "exclude")
        assert result.records_excluded_human == excluded


@SLOW
@given(reviews)
def test_blinding_holds_for_any_vote_sequence(plan):
    with tempfile.TemporaryDirectory() as tmp, _build(Path(tmp) / "r.sqlite", plan) as store:
        for stage in (TA, FT):
            found = flow.stage_outcomes(store, stage, flow.load_settings(store))
            queue = flow.ReviewerQueue.open(store, "ann", stage)
            assert all(v.reviewer == "ann" for v in queue.own.values())
            rows = csv.DictReader(io.StringIO(flow.export_decisions(store, "ann", stage)))
            for row in rows:
                if row["reviewer"] != "ann":
                    assert found[int(row["record_id"])].status in ("decided", "resolved")
            for item in exporting.export_items(store, stage, "all", "ann"):
                for vote in item.votes:
                    if not vote.startswith("ann:"):
                        assert found[item.record_id].status in ("decided", "resolved")


safe_text = (
    st.text(
        alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x2FF)
        | st.sampled_from(" -:,.()"),
        min_size=3,
        max_size=40,
    )
    .map(lambda t: " ".join(t.split()))
    # Exports from R and pandas write NA/NaN/NULL for "missing": a field that is exactly
    # such a marker reads back as empty, by design (importers.common.EMPTY_MARKERS).
    .filter(lambda t: len(t) >= 3 and t[0].isalnum() and t not in EMPTY_MARKERS)
)
exported = st.builds(
    Record,
    source=st.just("X"),
    source_id=st.integers(1, 10**6).map(str),
    title=safe_text,
    abstract=safe_text,
    authors=st.lists(
        st.tuples(st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True), st.sampled_from("ABC")).map(
            lambda p: f"{p[0]}, {p[1]}."
        ),
        min_size=1,
        max_size=4,
    ).map(tuple),
    year=st.integers(1950, 2025),
    journal=safe_text,
    volume=st.integers(1, 300).map(str),
    doi=st.integers(1000, 99999).map(lambda n: f"10.1234/x{n}"),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(exported, min_size=1, max_size=5, unique_by=lambda r: r.source_id))
def test_every_export_reads_back_as_the_same_records(records):
    fields = ("title", "authors", "year", "journal", "volume", "doi")
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "a.sqlite") as store:
            run = store.start_run(kind="import", source="file", database="X")
            store.add_records(run, records)
            store.finish_run(run, "completed")
            texts = {
                fmt: exporting.export_text(store, fmt, TA, "all")[0]
                for fmt in ("ris", "bibtex", "csv")
            }
        want = sorted(tuple(getattr(r, f) for f in fields) for r in records)
        for fmt, text in texts.items():
            path = Path(tmp) / f"out.{'bib' if fmt == 'bibtex' else fmt}"
            path.write_text(text, encoding="utf-8")
            with Store(Path(tmp) / f"{fmt}.sqlite") as back:
                import_file(back, path, "Y")
                got = sorted(tuple(getattr(r, f) for f in fields) for _, r in back.iter_records())
            assert got == want, fmt
