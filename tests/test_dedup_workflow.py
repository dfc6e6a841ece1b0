"""Deduplication in a review: links with evidence, decisions that stick, stable screening."""

from __future__ import annotations

import csv
import io

import pytest

from screener.models import Record
from screener.store import Store
from screener.workflow import dedup as flow
from tests.conftest import shared_path


def _add(store: Store, source: str, *records: Record) -> None:
    run = store.start_run(kind="import", source="file", database=source)
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
    return Record(
        source=kw.pop("source", "Scopus"),
        source_id=source_id,
        title=title,
        **{k: v for k, v in base.items() if k != "source"},
    )


TITLE = "Exosomes from dermal papilla cells promote hair growth in androgenetic alopecia"


def _screen(store: Store, record_id: int) -> None:
    store.conn.execute(
        "INSERT INTO decisions (record_id, stage, reviewer, decision, decided_at) "
        "VALUES (?, 'title-abstract', 'ann', 'include', 't')",
        (record_id,),
    )


def test_duplicates_are_links_with_method_score_and_evidence(store):
    _add(store, "Scopus", _rec("s1", TITLE, doi="10.1234/hair.abc"))
    _add(store, "Embase", _rec("e1", TITLE.upper() + ".", doi="10.1234/hair.abc", source="Embase"))
    _add(
        store,
        "Embase",
        _rec(
            "e2",
            "A different study of minoxidil",
            source="Embase",
            pages="55-60",
            authors=("Lee, K",),
        ),
    )
    report = flow.deduplicate(store)
    assert report.duplicates == 1 and report.groups == 1
    (link,) = store.links().values()
    assert link.method and link.score > 0.9
    assert link.evidence["doi"].startswith("agree") or link.method == "doi"
    assert link.decided_by == "screener"
    assert store.count_records() == 3  # nothing deleted
    assert any(e["entity"] == "duplicates" for e in store.audit_entries())


def test_rejected_pair_stays_apart_after_rerun(store):
    _add(store, "Scopus", _rec("s1", TITLE))
    _add(store, "Embase", _rec("e1", TITLE, source="Embase"))
    flow.deduplicate(store)
    assert len(store.links()) == 1
    flow.decide_pair(store, 1, 2, same=False, who="ann")
    assert store.links() == {}
    flow.deduplicate(store)  # rerun: the person's decision wins
    assert store.links() == {}
    assert store.get_pair(1, 2).decision == "rejected"


def test_confirmed_pair_links_even_without_engine_support(store):
    _add(store, "Scopus", _rec("s1", TITLE))
    _add(
        store,
        "Embase",
        _rec("e1", "Totally different words here", source="Embase", pages="1-2", year=2011),
    )
    flow.deduplicate(store)
    assert store.links() == {}
    flow.decide_pair(store, 1, 2, same=True, who="bob")
    flow.deduplicate(store)
    (link,) = store.links().values()
    assert link.decided_by == "bob"


def test_undo_splits_a_record_out_and_it_stays_out(store):
    for i, source in enumerate(("Scopus", "Embase", "PubMed")):
        _add(store, source, _rec(f"x{i}", TITLE, source=source))
    flow.deduplicate(store)
    assert len(store.links()) == 2
    flow.undo_link(store, 3, who="ann")
    flow.deduplicate(store)
    links = store.links()
    assert 3 not in links and all(link.canonical_id != 3 for link in links.values())
    assert len(links) == 1


def test_new_duplicate_of_a_screened_record_joins_its_group(store):
    _add(store, "Scopus", _rec("s1", TITLE, abstract=""))
    flow.deduplicate(store)
    _screen(store, 1)
    # The new record is more complete, but the screened one stays canonical.
    _add(
        store,
        "PubMed",
        _rec(
            "p1",
            TITLE,
            source="PubMed",
            abstract="Long abstract " * 20,
            pmid="123",
            doi="10.1234/zz",
        ),
    )
    flow.deduplicate(store)
    assert store.links()[2].canonical_id == 1


def test_two_screened_records_are_not_merged_automatically(store):
    _add(store, "Scopus", _rec("s1", TITLE))
    _add(store, "Embase", _rec("e1", TITLE + " (a different wording no)", source="Embase"))
    _screen(store, 1)
    _screen(store, 2)
    _add(store, "PubMed", _rec("p1", TITLE, source="PubMed"))
    report = flow.deduplicate(store)
    links = store.links()
    screened_together = [r for r, link in links.items() if r in (1, 2)]
    assert screened_together == []  # neither screened record became a duplicate
    assert report.held_screened == 1
    pending = {(p.a, p.b) for p in flow.pending_pairs(store)}
    assert (1, 2) in pending  # put up for a person instead
    flow.decide_pair(store, 1, 2, same=True, who="ann")  # a person may still merge them
    assert store.links()[2].canonical_id == 1


def test_export_groups_matches_the_gold_of_tests_small(store):
    path = shared_path("dedup-bench", "tests_small", "records_pre_merged.csv")
    gold_path = shared_path("dedup-bench", "tests_small", "merged_record_ids.csv")
    from screener.workflow.importing import import_file

    import_file(store, path, "tests_small")
    flow.deduplicate(store)
    ours = list(csv.DictReader(io.StringIO(flow.export_groups_csv(store))))
    with open(gold_path, encoding="utf-8") as handle:
        gold = list(csv.DictReader(handle))
    as_sets = {frozenset(row["merged_ids"].split(";")) for row in ours}
    assert as_sets == {frozenset(row["merged_ids"].split(";")) for row in gold}


def test_stats_give_the_prisma_duplicates_number(store):
    _add(
        store,
        "Scopus",
        _rec("s1", TITLE),
        _rec("s2", "Another title on platelet-rich plasma", pages="7-9", volume="3"),
    )
    _add(store, "Embase", _rec("e1", TITLE, source="Embase"))
    flow.deduplicate(store)
    stats = flow.stats(store)
    assert stats["duplicates_removed"] == 1 and stats["records"] == 3
    assert sum(stats["links_by_method"].values()) == 1


@pytest.mark.parametrize("same", [True, False])
def test_decide_rejects_unknown_records(store, same):
    from screener.errors import NotFoundError

    with pytest.raises(NotFoundError):
        flow.decide_pair(store, 1, 2, same=same, who="ann")


def test_same_abstract_at_two_e_pages_of_one_issue_is_one_work():
    from screener.dedup import DedupRecord, find_matches

    authors = ("Yablon, S.", "Sherer, M.", "Nakase-Richardson, R.", "Todd, N.")
    title = "Amantadine for symptoms of the posttraumatic confusional state: a randomized trial"
    a = DedupRecord(
        1, title, authors, 2010, "Arch Phys Med Rehabil", "91", "10", "e8-e9", "", "", ""
    )
    b = DedupRecord(
        2,
        title.replace("symptoms", "symptom's"),
        authors,
        2010,
        "Arch Phys Med Rehabil",
        "91",
        "10",
        "e3",
        "",
        "",
        "",
    )
    (match,) = find_matches([a, b])
    assert match.verdict == "duplicate"
    # With fewer shared authors, other pages still keep two records apart.
    c = DedupRecord(
        3, title, authors[:2], 2010, "Arch Phys Med Rehabil", "91", "10", "e3", "", "", ""
    )
    assert all(m.verdict != "duplicate" for m in find_matches([a, c]))
