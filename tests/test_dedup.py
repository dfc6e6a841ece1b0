"""Deduplication engine on hand-made records: one table row per trap."""

from __future__ import annotations

from dataclasses import replace

import pytest

from screener.dedup import (
    DUPLICATE,
    UNCERTAIN,
    DedupRecord,
    Match,
    completeness,
    find_matches,
    group_matches,
    merge_fields,
    split_authors,
)
from screener.dedup.normalize import (
    fold,
    prepare_pages,
    prepare_title,
    prepare_venue,
    venues_compatible,
)

AUTHORS = ("Smith, John A.", "Garcia, Maria", "Chen, Wei")


def rec(
    id: int,
    title: str,
    *,
    authors: tuple[str, ...] = AUTHORS,
    year: int | None = 2019,
    journal: str = "Journal of Clinical Nutrition",
    volume: str = "12",
    issue: str = "3",
    pages: str = "101-110",
    doi: str = "",
    pmid: str = "",
    pmcid: str = "",
    **extra: object,
) -> DedupRecord:
    return DedupRecord(
        id=id,
        title=title,
        authors=authors,
        year=year,
        journal=journal,
        volume=volume,
        issue=issue,
        pages=pages,
        doi=doi,
        pmid=pmid,
        pmcid=pmcid,
        **extra,  # type: ignore[arg-type]
    )


TITLE = "Perioperative nutritional support in patients undergoing hepatectomy for liver cancer"
BASE = rec(1, TITLE)


def verdict(a: DedupRecord, b: DedupRecord) -> str:
    matches = find_matches([a, b])
    assert all(m.a < m.b for m in matches)
    return matches[0].verdict if matches else "none"


# (case id, record a, record b, expected: True = duplicate, False = not merged)
PAIRS: list[tuple[str, DedupRecord, DedupRecord, bool]] = [
    ("identical", BASE, replace(BASE, id=2), True),
    (
        "case and punctuation",
        BASE,
        replace(BASE, id=2, title=TITLE.upper() + ".", pages="101-10"),
        True,
    ),
    (
        "abbreviated journal, initials",
        rec(1, TITLE, journal="JPEN. Journal of parenteral and enteral nutrition"),
        rec(
            2,
            TITLE,
            journal="Jpen: Journal of Parenteral & Enteral Nutrition",
            authors=("Smith, J. A.", "Garcia, M.", "Chen, W."),
        ),
        True,
    ),
    (
        "ISO abbreviation",
        rec(1, TITLE, journal="Journal of Parenteral and Enteral Nutrition"),
        rec(2, TITLE, journal="J Parenter Enteral Nutr", authors=("Smith JA", "Garcia M")),
        True,
    ),
    (
        "online-first year",
        rec(1, TITLE, year=2019, volume="", issue="", pages="1-12", doi=""),
        rec(2, TITLE, year=2020, volume="44", issue="2", pages="301-312"),
        True,
    ),
    ("[Chinese] suffix", BASE, replace(BASE, id=2, title=TITLE + ". [Chinese]"), True),
    (
        "bracketed translation, same locator",
        rec(1, "[" + TITLE + "]", journal="Zhonghua Gan Zang Bing Za Zhi"),
        rec(2, TITLE, journal="Zhonghua gan zang bing za zhi = Chinese journal of hepatology"),
        True,
    ),
    (
        "reworded translation, same locator",
        rec(1, "[Nutrition before and after liver resection for hepatocellular carcinoma]"),
        rec(2, TITLE),
        True,
    ),
    (
        "HTML and MathML in title",
        rec(1, "Effect of <i>CO<sub>2</sub></i> insufflation on recovery &amp; pain"),
        rec(
            2,
            "Effect of <mml:math><mml:msub><mml:mi>CO</mml:mi><mml:mn>2</mml:mn></mml:msub>"
            "</mml:math> insufflation on recovery & pain",
        ),
        True,
    ),
    (
        "erratum appended note on the original",
        BASE,
        replace(BASE, id=2, title=TITLE + ".[Erratum appears in J Clin Nutr. 2020;13(1):5]"),
        True,
    ),
    (
        "same DOI, DOI as URL",
        rec(1, TITLE, doi="10.1000/xyz.1"),
        rec(2, TITLE, doi="https://doi.org/10.1000/XYZ.1"),
        True,
    ),
    (
        "Cochrane review versions",
        rec(
            1,
            TITLE,
            journal="Cochrane Database Syst Rev",
            volume="",
            issue="3",
            pages="CD002273",
            doi="10.1002/14651858.CD002273.pub2",
            year=2004,
        ),
        rec(
            2,
            TITLE,
            journal="Cochrane Database Syst Rev",
            volume="",
            issue="2",
            pages="CD002273",
            doi="10.1002/14651858.CD002273.pub3",
            year=2005,
        ),
        True,
    ),
    (
        "RETRACTED: marks the article itself",
        BASE,
        replace(BASE, id=2, title="RETRACTED: " + TITLE),
        True,
    ),
    # ---- traps: must not be merged
    (
        "erratum vs original",
        BASE,
        replace(BASE, id=2, title="Erratum: " + TITLE, issue="5", pages="455"),
        False,
    ),
    (
        "erratum carrying the original's DOI",
        rec(1, TITLE, doi="10.1000/xyz.1"),
        rec(2, "Correction to: " + TITLE, doi="10.1000/xyz.1", issue="6", pages="620"),
        False,
    ),
    (
        "Web of Science erratum",
        BASE,
        replace(BASE, id=2, title=TITLE + " (vol 12, pg 101, 2019)", issue="6", pages="620"),
        False,
    ),
    (
        "retraction notice",
        BASE,
        replace(
            BASE, id=2, title="Retraction note to: " + TITLE, year=2021, volume="14", pages="9"
        ),
        False,
    ),
    (
        "comment with the original's title",
        BASE,
        replace(BASE, id=2, title="Re: " + TITLE, authors=("Jones, P.",), issue="4", pages="230"),
        False,
    ),
    (
        "comment on",
        BASE,
        replace(BASE, id=2, title="Comment on: " + TITLE, authors=("Jones, P.",), pages=""),
        False,
    ),
    (
        "reply",
        BASE,
        replace(BASE, id=2, title="Reply to " + TITLE, issue="4", pages="231-232"),
        False,
    ),
    ("letter reply", BASE, replace(BASE, id=2, title=TITLE + " - Reply", pages="111"), False),
    (
        "protocol vs results",
        rec(1, "Exercise for depression in older adults: a systematic review and meta-analysis"),
        rec(
            2,
            "Exercise for depression in older adults: protocol for a systematic review and "
            "meta-analysis",
            year=2017,
            journal="Systematic Reviews",
            volume="6",
            issue="",
            pages="45",
        ),
        False,
    ),
    (
        "protocol, same journal, no pages",
        rec(
            1,
            "Exercise for depression in older adults: a randomised controlled trial",
            pages="",
            volume="",
            issue="",
        ),
        rec(
            2,
            "Exercise for depression in older adults: study protocol for a randomised "
            "controlled trial",
            pages="",
            volume="",
            issue="",
        ),
        False,
    ),
    (
        "Part 1 vs Part 2",
        rec(1, "Management of acute pancreatitis. Part 1: diagnosis"),
        rec(2, "Management of acute pancreatitis. Part 2: diagnosis", pages="111-120"),
        False,
    ),
    (
        "I vs II",
        rec(1, "The CATAPULT I trial of tirapazamine in lung cancer", pages=""),
        rec(2, "The CATAPULT II trial of tirapazamine in lung cancer", pages=""),
        False,
    ),
    (
        "five vs six year follow-up",
        rec(
            1,
            "Five-year follow-up of patients with imatinib-resistant chronic myeloid leukemia",
            volume="",
            issue="",
            pages="",
        ),
        rec(
            2,
            "Six-year follow-up of patients with imatinib-resistant chronic myeloid leukemia",
            volume="",
            issue="",
            pages="",
        ),
        False,
    ),
    (
        "shared DOI, different titles",
        rec(
            1,
            "Understanding information privacy assimilation in IT organizations",
            doi="10.17705/1CAIS.04204",
            year=2018,
        ),
        rec(
            2,
            "MISunderstood: a longitudinal analysis of major misperceptions",
            doi="10.17705/1CAIS.04204",
            authors=("Annabi, Hala",),
            year=2019,
        ),
        False,
    ),
    (
        "proceedings volume DOI on two papers",
        rec(
            1,
            "Trust in sharing economy platforms: a survey",
            doi="10.1000/proc.2017",
            journal="Proceedings of the Conference on Platforms",
            volume="",
            pages="",
        ),
        rec(
            2,
            "Pricing strategies of gig economy platforms",
            doi="10.1000/proc.2017",
            journal="Proceedings of the Conference on Platforms",
            volume="",
            pages="",
        ),
        False,
    ),
    (
        "editorials sharing a title",
        rec(1, "Editorial", authors=("Avison, David",), pages="1-2", issue="1"),
        rec(2, "Editorial", authors=("Avison, David",), pages="201-202", issue="3"),
        False,
    ),
    (
        "editorial notes, different issues, no pages",
        rec(1, "Editor's comments", authors=("Lee, Allen S.",), pages="", issue="1"),
        rec(2, "Editor's comments", authors=("Lee, Allen S.",), pages="", issue="2"),
        False,
    ),
    (
        "conference abstract vs article",
        rec(1, TITLE, journal="Clinical Nutrition", volume="38", issue="", pages="S27"),
        rec(2, TITLE, journal="Journal of Parenteral and Enteral Nutrition", volume="44"),
        False,
    ),
    (
        "journal vs workshop, same title",
        rec(1, TITLE, journal="Journal of Digital Studies", volume="", issue="", pages=""),
        rec(2, TITLE, journal="Workshop of Digital Studies", volume="", issue="", pages=""),
        False,
    ),
    (
        "different page ranges, same journal",
        rec(1, TITLE, pages="101-110"),
        rec(2, TITLE, pages="201-210", issue="5"),
        False,
    ),
    (
        "same title, years apart",
        rec(1, TITLE, year=2010, volume="24", pages="1173-1183"),
        rec(2, TITLE, year=2012, volume="26", pages="423-424"),
        False,
    ),
    (
        "conference minitrack introductions",
        rec(
            1,
            "Introduction to the Minitrack on Crowdsourcing and Digital Work",
            year=2021,
            journal="",
            booktitle="Hawaii International Conference on System Sciences",
            volume="",
            issue="",
            pages="",
            entry_type="inproceedings",
        ),
        rec(
            2,
            "Introduction to the Minitrack on Crowdsourcing and Digital Work",
            year=2022,
            journal="",
            booktitle="Hawaii International Conference on System Sciences",
            volume="",
            issue="",
            pages="",
            entry_type="inproceedings",
        ),
        False,
    ),
    (
        "no title: never merged automatically",
        rec(1, ""),
        rec(2, TITLE),
        False,
    ),
    (
        "different authors, same stock title and issue",
        rec(1, "Book review", authors=("Hammer, Michael",), pages=""),
        rec(2, "Book review", authors=("Cornford, Tony",), pages=""),
        False,
    ),
]


@pytest.mark.parametrize(("a", "b", "expected"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_pair(a: DedupRecord, b: DedupRecord, expected: bool) -> None:
    got = verdict(a, b)
    assert (got == DUPLICATE) is expected, got


def test_evidence_and_method() -> None:
    a = rec(1, TITLE, doi="10.1000/xyz.1")
    b = rec(2, TITLE.lower(), doi="10.1000/XYZ.1", year=2020, volume="", issue="", pages="")
    (match,) = find_matches([b, a])
    assert (match.a, match.b) == (1, 2)
    assert match.method == "doi"
    assert match.verdict == DUPLICATE
    assert 0 <= match.score <= 1
    assert match.evidence["doi"] == "agree"
    assert match.evidence["title"].startswith("100")
    assert match.evidence["volume"] == "missing"
    assert "year" in match.evidence and "authors" in match.evidence


def test_chain_is_not_merged() -> None:
    """A~B and B~C, but A and C have different pages: no group holds A and C."""
    a = rec(1, TITLE, pages="101-110", doi="10.1000/a")
    b = rec(2, TITLE, pages="", doi="10.1000/a")  # A's DOI, no pages: matches both
    c = rec(3, TITLE, pages="201-210")
    matches = find_matches([a, b, c])
    linked = {(m.a, m.b): m.verdict for m in matches}
    assert linked.get((1, 3)) != DUPLICATE
    assert linked[(1, 2)] == DUPLICATE or linked[(2, 3)] == DUPLICATE
    merged = _groups(group_matches([1, 2, 3], matches))
    assert not any({1, 3} <= g for g in merged)
    assert any(m.verdict == UNCERTAIN and "group" in m.evidence for m in matches)


def _groups(mapping: dict[int, int]) -> list[set[int]]:
    out: dict[int, set[int]] = {}
    for member, canonical in mapping.items():
        out.setdefault(canonical, {canonical}).add(member)
    return list(out.values())


def _m(a: int, b: int, score: float = 0.9, verdict: str = DUPLICATE) -> Match:
    return Match(a, b, score, "fuzzy-title", verdict, {})


def test_manual_rejection_wins_over_transitivity() -> None:
    matches = [_m(1, 2), _m(2, 3), _m(3, 4, 0.8)]
    assert _groups(group_matches([1, 2, 3, 4], matches)) == [{1, 2, 3, 4}]
    groups = _groups(group_matches([1, 2, 3, 4], matches, {(1, 3): False}))
    assert not any({1, 3} <= g for g in groups)
    # rejecting a pair the engine linked removes the link itself
    assert group_matches([1, 2], [_m(1, 2)], {(2, 1): False}) == {}


def test_manual_confirmation_links_uncertain_pairs() -> None:
    matches = [_m(1, 2, verdict=UNCERTAIN)]
    assert group_matches([1, 2], matches) == {}
    assert group_matches([1, 2], matches, {(1, 2): True}) == {2: 1}
    # a confirmation never overrides a rejection through a third record
    groups = group_matches([1, 2, 3], [], {(1, 2): True, (2, 3): True, (1, 3): False})
    assert not any({1, 3} <= g for g in _groups(groups))


def test_canonical_is_most_complete_then_lowest_id() -> None:
    sparse = rec(1, TITLE, volume="", issue="", pages="")
    full = rec(2, TITLE, doi="10.1000/a", abstract="x" * 600)
    also_full = rec(3, TITLE, doi="10.1000/a", abstract="x" * 600)
    matches = [_m(1, 2), _m(2, 3)]
    assert group_matches([1, 2, 3], matches) == {2: 1, 3: 1}
    assert group_matches([1, 2, 3], matches, records=[sparse, full, also_full]) == {1: 2, 3: 2}
    assert completeness(full) > completeness(sparse)


def test_merge_fields_takes_the_best_of_each() -> None:
    a = rec(1, TITLE.upper(), abstract="short", doi="", authors=("Smith, J.",))
    b = rec(
        2,
        TITLE,
        abstract="a much longer abstract",
        doi="10.1000/a",
        pmid="123",
        journal="J Clin Nutr",
        source="pubmed",
    )
    c = rec(
        3,
        "[" + TITLE + "]",
        pages="",
        volume="",
        issue="",
        year=2018,
        pmcid="PMC9",
        source="Embase",
        flags=("retracted",),
    )
    merged = merge_fields([a, b, c])
    assert merged["abstract"] == "a much longer abstract"
    assert merged["doi"] == "10.1000/a"
    assert merged["pmid"] == "123" and merged["pmcid"] == "PMC9"
    assert merged["authors"] == AUTHORS
    assert merged["title"] == TITLE
    assert merged["year"] == 2019
    assert merged["journal"] == "Journal of Clinical Nutrition"
    assert merged["pages"] == "101-110"
    assert merged["flags"] == ("retracted",)
    assert set(merged["sources"]) == {"pubmed", "Embase"}  # type: ignore[arg-type]
    assert merged["ids"] == (1, 2, 3)
    assert merge_fields([]) == {}


def test_search_set_records_are_never_linked() -> None:
    a = rec(1, TITLE, search_set="old")
    assert find_matches([a, replace(a, id=2, search_set="new")])
    assert not find_matches([a, replace(a, id=2)])


def test_progress_and_unique_ids() -> None:
    calls: list[tuple[int, int]] = []
    find_matches([BASE, replace(BASE, id=2)], progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]
    with pytest.raises(ValueError):
        find_matches([BASE, BASE])


def test_empty_input() -> None:
    assert find_matches([]) == []
    assert group_matches([], []) == {}


# ---- normalization helpers


@pytest.mark.parametrize(
    ("raw", "kind", "main"),
    [
        ("Erratum: Effect of X on Y", "erratum", "effect of x on y"),
        ("Correction to: Effect of X on Y", "erratum", "effect of x on y"),
        ('Corrigendum to "Effect of X on Y"', "erratum", "effect of x on y"),
        ("Effect of X on Y (vol 12, pg 101, 2019)", "erratum", "effect of x on y"),
        ("Retraction note to: Effect of X on Y", "retraction", "effect of x on y"),
        ("Re: Effect of X on Y", "comment", "effect of x on y"),
        ("Comment on 'Effect of X on Y'", "comment", "effect of x on y"),
        ("Effect of X on Y - Reply", "comment", "effect of x on y reply"),
        ("Effect of X on Y: protocol for a systematic review", "protocol", None),
        ("Correction of hyponatraemia in the elderly", "", None),
        ("Response to cardiac resynchronization therapy in women", "", None),
        ("Re-evaluation of the Y scale", "", None),
        ("[Effect of X on Y]. [Review] [16 refs] [Romanian]", "", "effect of x on y"),
        ("Effect of X on Y.[Erratum appears in J Med. 2010;3:4]", "", "effect of x on y"),
        ("RETRACTED: Effect of X on Y", "", "effect of x on y"),
    ],
)
def test_title_kinds(raw: str, kind: str, main: str | None) -> None:
    info = prepare_title(raw)
    assert info.kind == kind
    if main is not None:
        assert info.main == main


def test_title_translations_and_numbers() -> None:
    info = prepare_title(
        "Utilidad de los antimicrobianos en trauma; Are antimicrobials useful in trauma?"
    )
    assert len(info.variants) == 3
    assert prepare_title("[Clinical research on p53]").translated
    assert prepare_title("Linomide in MS: Part I: trial design").numbers == (1,)
    assert prepare_title("Linomide in MS: part II").numbers == (2,)
    assert prepare_title("Five-year follow-up").numbers == (5,)
    assert prepare_title("Editorial").stock
    assert prepare_title("Introduction to the minitrack on gig work").stock


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (
            "JPEN. Journal of parenteral and enteral nutrition",
            "Jpen: Journal of Parenteral & Enteral Nutrition",
            True,
        ),
        (
            "Proc Natl Acad Sci U S A",
            "Proceedings of the National Academy of Sciences of the United States of America",
            True,
        ),
        ("New Engl J Med", "New England Journal of Medicine", True),
        ("Dtsch-Med-Wochenschr", "Deutsche Medizinische Wochenschrift", True),
        ("Jthoraccardiovascsurg", "Journal of Thoracic & Cardiovascular Surgery", True),
        ("Amcis 2017 Proceedings", "Americas Conference on Information Systems", True),
        ("Ann Fr Anesth Reanim", "Annales Francaises d Anesthesie et de Reanimation", True),
        ("Stroke", "Topics in Stroke Rehabilitation", False),
        ("J Med", "Journal of Medical Ethics", False),
        ("Journal of Digital Studies", "Workshop of Digital Studies", False),
    ],
)
def test_venues(a: str, b: str, same: bool) -> None:
    va, vb = prepare_venue(a), prepare_venue(b)
    got = any(venues_compatible(x, y) for x in va.alternatives for y in vb.alternatives)
    assert got is same


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        ("221-8", "221", "228"),
        ("1007-1015", "1007", "1015"),
        ("S27", "27", ""),
        ("e589", "589", ""),
        ("106-11; discussion 111", "106", "111"),
        ("01-Sep", "1", "9"),
        ("No Pagination Specified", "", ""),
        ("CD002273", "2273", ""),
    ],
)
def test_pages(raw: str, start: str, end: str) -> None:
    info = prepare_pages(raw)
    assert (info.start, info.end) == (start, end)


def test_split_authors_and_fold() -> None:
    assert split_authors("Smith, J. and Lee, K.") == ["Smith, J.", "Lee, K."]
    assert split_authors("B. Abrahao; P. Parigi") == ["B. Abrahao", "P. Parigi"]
    assert split_authors("Tan A.Schulze A.O'Donnell C. P.") == [
        "Tan A.",
        "Schulze A.",
        "O'Donnell C. P.",
    ]
    assert fold("Grundström, K. & Ødegård") == "grundstrom k and odegard"


def test_large_buckets_stay_linear_and_linked() -> None:
    """500 identical records end up in one group; 1,000 one-page editorials of one issue
    by the same editor are not merged with each other."""
    same = [replace(BASE, id=i) for i in range(500)]
    editorials = [
        rec(1000 + i, "Editorial", authors=("Lee, K.",), pages=str(10 * i + 1)) for i in range(1000)
    ]
    records = same + editorials
    mapping = group_matches([r.id for r in records], find_matches(records), records=records)
    assert len({mapping.get(i, i) for i in range(500)}) == 1
    assert not any(k >= 1000 for k in mapping)


def test_same_locator_other_issue_is_not_a_translation() -> None:
    a = rec(1, "Digital services mediated by online labor platforms", issue="1", pages="66-71")
    b = rec(
        2,
        "[Big data-driven algorithmic decision-making in selecting employees]",
        issue="2",
        pages="66-71",
    )
    assert verdict(a, b) != DUPLICATE


def test_same_surname_other_initials_is_another_author() -> None:
    a = rec(1, "Sellers trust and continued use of online marketplaces", authors=("Sun, Heshan",))
    b = rec(2, "Content sharing in a social broadcasting ecosystem", authors=("Sun, Sherry X.",))
    assert verdict(a, b) != DUPLICATE


def test_group_matches_checks_new_members_against_the_group() -> None:
    """Links A~B and B~C stored earlier; with the records, C (other pages than A) is kept
    out of A's group."""
    a = rec(1, TITLE, pages="101-110")
    b = rec(2, TITLE, pages="")
    c = rec(3, TITLE, pages="201-210")
    links = [_m(1, 2, 0.9), _m(2, 3, 0.8)]
    assert _groups(group_matches([1, 2, 3], links)) == [{1, 2, 3}]
    assert _groups(group_matches([1, 2, 3], links, records=[a, b, c])) == [{1, 2}]
    # a person's confirmation is not second-guessed
    grouped = group_matches([1, 2, 3], links, {(1, 3): True}, records=[a, b, c])
    assert _groups(grouped) == [{1, 2, 3}]


def test_notice_flags_from_the_source() -> None:
    """An erratum that kept the original's title but is flagged by its source."""
    a = rec(1, TITLE)
    b = rec(2, TITLE, issue="6", pages="620", publication_types=("Published Erratum",))
    assert verdict(a, b) != DUPLICATE
    c = rec(3, TITLE, issue="6", pages="620", flags=("erratum",))
    assert verdict(b, c) == DUPLICATE  # both are the erratum
