"""The issue-10 rules, each on record pairs written for it (not taken from any benchmark set).

Every rule is a general fact about exported bibliographic data; each test shows the fact
links what it should and that the traps next to it stay apart.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from screener.dedup import DUPLICATE, UNCERTAIN, DedupRecord, find_matches, group_matches, rules
from screener.dedup.locators import GARBLED, MARKED, RANGE, SINGLE, page_shape, volume_well_formed
from screener.dedup.venues import prepare_venue

TITLE = "Inhaled corticosteroid withdrawal in stable chronic obstructive pulmonary disease"
AUTHORS = ("Okafor, Chidi N.", "Lindqvist, Britt M.", "Tanaka, Hiroshi K.")


def rec(id: int, **kw) -> DedupRecord:
    base = dict(
        title=TITLE,
        authors=AUTHORS,
        year=2014,
        journal="European Respiratory Journal",
        volume="63",
        issue="4",
        pages="1201-1209",
        doi="",
        pmid="",
        pmcid="",
    )
    base.update(kw)
    return DedupRecord(id=id, **base)


def verdict(a: DedupRecord, b: DedupRecord) -> str:
    """The engine's verdict on the pair, or "" when it does not even report it."""
    for m in find_matches([a, b]):
        return m.verdict
    return ""


def linked(*records: DedupRecord) -> dict[int, int]:
    matches = find_matches(list(records))
    return group_matches([r.id for r in records], matches, records=list(records))


ORIGINAL = rec(1)


# --------------------------------------------------------------------- locator quality


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("1201-1209", RANGE),
        ("221-8", RANGE),
        ("S112-S113", RANGE),
        ("1209", SINGLE),
        ("S27", MARKED),
        ("e4321", MARKED),
        ("Suppl-12", GARBLED),
        ("1209-1201", GARBLED),
    ],
)
def test_page_shapes(value, shape):
    assert page_shape(value) == shape


@pytest.mark.parametrize(("value", "ok"), [("63", True), ("30a", True), ("1)", False)])
def test_volume_well_formed(value, ok):
    assert volume_well_formed(value) is ok


@pytest.mark.parametrize(
    "copy",
    [
        replace(ORIGINAL, id=2, volume="1)"),  # volume cut
        replace(ORIGINAL, id=2, volume="4", issue="63"),  # volume and issue swapped
        # a meeting-supplement record carrying the supplement number as its volume
        replace(
            ORIGINAL,
            id=2,
            volume="1",
            journal="European Respiratory Journal. Conference: "
            "European Respiratory Society Annual Congress 2014",
        ),  # fmt: skip
        replace(ORIGINAL, id=2, pages="Suppl-12"),  # supplement marker
        replace(ORIGINAL, id=2, pages="P12"),  # letter-and-digits fragment
        replace(ORIGINAL, id=2, pages="1209"),  # the end page alone
        replace(ORIGINAL, id=2, pages=""),  # no pages
    ],
    ids=["cut-volume", "swapped", "supplement-volume", "suppl-pages", "fragment", "end", "empty"],
)
def test_one_garbled_locator_does_not_keep_an_exact_pair_apart(copy):
    assert verdict(ORIGINAL, copy) == DUPLICATE
    assert linked(ORIGINAL, copy) == {2: 1}


@pytest.mark.parametrize(
    "other",
    [
        replace(ORIGINAL, id=2, pages="1301-1309"),  # another article of the same issue
        replace(ORIGINAL, id=2, volume="64", pages="88-96"),  # another volume
        replace(ORIGINAL, id=2, volume="1"),  # a well-formed other volume, no supplement
    ],
    ids=["other-pages", "other-volume", "small-volume"],
)
def test_two_well_formed_different_locators_stay_apart(other):
    assert verdict(ORIGINAL, other) != DUPLICATE
    assert linked(ORIGINAL, other) == {}


def test_garbled_locator_without_an_exact_core_waits_for_a_person():
    # one author differs: the garbled volume is no conflict, but no proof either
    other = replace(ORIGINAL, id=2, volume="1)", authors=AUTHORS[:2] + ("Berg, Anna",))
    assert verdict(ORIGINAL, other) == UNCERTAIN


# --------------------------------------------------------------------- journals


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Circulation", "Circulation. Conference: American Heart Association Scientific Sessions"),
        ("FASEB Journal", "FASEB Journal. Conference: Experimental Biology 2016"),
        ("Journal of Infection & Chemotherapy", "The Journal of Infection and Chemotherapy"),
        ("Br J Haematol", "British Journal of Hematology"),
        ("Paediatr Anaesth", "Pediatric Anesthesia"),
        ("Am J Respir Crit Care Med", "American Journal of Respiratory and Critical Care Medicine"),
        ("Zhonghua yi xue za zhi", "National Medical Journal of China"),
        ("Stroke", "Stroke; a journal of cerebral circulation"),
    ],
)
def test_journal_variants_agree(a, b):
    left = rec(1, journal=a, volume="", issue="", pages="")
    right = rec(2, journal=b, volume="", issue="", pages="")
    match = find_matches([left, right])[0]
    assert match.evidence["journal"] == "agree"
    assert match.verdict == DUPLICATE


def test_meeting_suffix_marks_a_supplement_not_a_conference():
    info = prepare_venue("FASEB Journal. Conference: Experimental Biology 2016")
    assert info.supplement and not info.conference and info.journal_like


def test_different_journals_still_disagree():
    left = rec(1, journal="Blood", volume="", pages="", authors=AUTHORS[:1])
    right = rec(2, journal="Circulation", volume="", pages="", authors=("Berg, Anna",))
    assert verdict(left, right) != DUPLICATE


# --------------------------------------------------------------------- titles


GENE_TITLE = "IL-6 and IL-10 polymorphisms and [18F]FDG uptake in sarcoidosis"


def test_lost_digits_in_a_name_with_shortened_initials_link():
    a = rec(1, title=GENE_TITLE)
    b = rec(
        2,
        title="IL- and IL-10 polymorphisms and [8F]FDG uptake in sarcoidosis",
        authors=("Okafor, C.", "Lindqvist, B.", "Tanaka, H."),
    )
    assert verdict(a, b) == DUPLICATE


@pytest.mark.parametrize(
    "title",
    [
        "IL-8 and IL-10 polymorphisms and [18F]FDG uptake in sarcoidosis",  # another gene
        GENE_TITLE + ": part 2",
    ],
)
def test_changed_numbers_are_other_works(title):
    a = rec(1, title=GENE_TITLE)
    b = rec(2, title=title, pages="1301-1309")
    assert verdict(a, b) != DUPLICATE


LONG_TITLE = (
    "Long-term outcomes of pulmonary rehabilitation delivered at home versus in hospital "
    "outpatient clinics for adults with chronic obstructive pulmonary disease after an "
    "acute exacerbation: a pragmatic randomised controlled non-inferiority trial in primary care"
)


def test_title_cut_at_a_field_length_links():
    assert len(LONG_TITLE) > 215
    full = rec(1, title=LONG_TITLE, pages="")
    cut = rec(2, title=LONG_TITLE[:200], pages="", journal="Eur Respir J")
    assert verdict(full, cut) == DUPLICATE


def test_title_prefix_not_at_a_field_length_with_other_pages_stays_apart():
    full = rec(1, title=LONG_TITLE)
    shorter = rec(2, title=LONG_TITLE[:150].rsplit(" ", 1)[0] + " x", pages="1301-1309")
    assert verdict(full, shorter) != DUPLICATE


# --------------------------------------------------------------------- identifiers


def test_doi_in_one_copy_only_links():
    assert verdict(rec(1, doi="10.1183/erj.2014.1201"), rec(2)) == DUPLICATE


def test_a_container_doi_neither_links_nor_separates():
    supplement = "10.1183/erj.suppl.2014"
    unrelated = [
        rec(10 + i, title=f"Unrelated abstract number {i} about asthma and {w}", doi=supplement,
            authors=(f"Person{i}, A.",), pages=f"S{i}")
        for i, w in enumerate(["mice", "rats", "dogs", "cats", "pigs", "cows", "owls"])
    ]  # fmt: skip
    a = rec(1, doi=supplement, pages="")
    b = rec(2, doi="10.1183/erj.2014.1201")
    assert set(linked(a, b, *unrelated).items()) in ({(2, 1)}, {(1, 2)})


# --------------------------------------------------------------------- traps


@pytest.mark.parametrize(
    "trap",
    [
        rec(2, title="Erratum: " + TITLE, pages="1500"),
        rec(2, title=TITLE + " - Reply", pages="1501-1502"),
        rec(2, title=TITLE + ": study protocol", year=2012, volume="", issue="", pages=""),
        rec(2, title=TITLE + ". Part 2", pages="1210-1218"),
        rec(2, year=2016, doi="10.1183/erj.2016.77", volume="", issue="", pages=""),
        rec(2, title="Retraction notice: " + TITLE, pages="1600"),
    ],
    ids=["erratum", "reply", "protocol", "part", "year-doi", "retraction"],
)
def test_traps_stay_apart(trap):
    original = rec(1, doi="10.1183/erj.2014.1201")
    assert linked(original, trap) == {}


def test_a_rule_can_be_switched_off_for_leave_one_out():
    copy = replace(ORIGINAL, id=2, volume="1)")
    rules.DISABLED.add("locator-quality")
    try:
        assert verdict(ORIGINAL, copy) != DUPLICATE
    finally:
        rules.DISABLED.discard("locator-quality")
    assert verdict(ORIGINAL, copy) == DUPLICATE


def test_a_hyphen_lost_from_a_word_number_is_not_another_part():
    a = rec(1, title="First-line docetaxel in advanced lung cancer: a phase III study")
    b = rec(2, title="Firstline docetaxel in advanced lung cancer: a phase III study")
    assert verdict(a, b) == DUPLICATE


def test_greek_letters_spelt_out_are_the_same_title():
    bare = dict(volume="", issue="", pages="")  # nothing but the title to go on
    a = rec(1, title="TNF-α and IL-1β in COPD", authors=AUTHORS, **bare)
    b = rec(
        2,
        title="TNF-alpha and IL-1beta in COPD",
        authors=("Okafor, C.", "Lindqvist, B.", "Tanaka, H."),
        **bare,
    )
    assert verdict(a, b) == DUPLICATE


def test_a_volume_equal_to_the_other_issue_is_no_swap_when_the_issues_differ_too():
    # 12(3) against 3(7): not a swap, two well-formed volumes
    a = rec(1, volume="12", issue="3")
    b = rec(2, volume="3", issue="7")
    assert verdict(a, b) != DUPLICATE
