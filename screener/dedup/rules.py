"""The named rules added to the engine after it was first tuned, and where they came from.

Core module: data only, no IO. Each rule is a general fact about bibliographic data,
switched on by default. `WRITTEN_FROM` records which labelled benchmark sets were looked
at while writing (or revising) the rule, so `bench/bench_dedup.py --leave-one-out` can
measure every set with the rules that saw it switched off. "issue-10" means the rule was
written from the patterns described in issue 10 and tested on hand-written pairs
(tests/test_dedup_rules.py) before any set was run.

`DISABLED` is for measurement only (the benchmark's worker process fills it).
"""

from __future__ import annotations

RULES: dict[str, str] = {
    "locator-quality": (
        "a malformed locator (an implausible volume, a page string that is no range, a "
        "supplement marker, the end page alone) is weak evidence: it never makes a hard "
        "conflict; only two well-formed different values do"
    ),
    "exact-core": (
        "title, every author and year equal: one garbled locator does not keep the pair "
        "apart (two well-formed different locators still do)"
    ),
    "journal-normal": (
        "journal names compared after dropping conference-supplement suffixes, leading "
        "articles, '&'/'and' and punctuation, and expanding ISO4 abbreviations"
    ),
    "title-mangled": (
        "titles that differ only by digits one of them lost (a gene or chemical name "
        "mangled), or only in how words are split, are not other numbered parts"
    ),
    "doi-container": (
        "a DOI carried by more than six records of the review (a meeting supplement, an "
        "issue) names a container: it neither links nor separates two records"
    ),
    "title-truncated": (
        "a title cut at a fixed field length (100, 120, 128, 150, 200, 250, 255 characters) "
        "is the start of the full title"
    ),
}

# Benchmark sets looked at while writing or revising each rule (see the module
# docstring). Every rule was written from issue 10's patterns and hand-written pairs;
# two were revised after looking at a set, and the whole rule counts as seen by it:
# - locator-quality: letter-and-digits pages ("P55", "E60") and garbled volumes making
#   titles look recurring were found in stress copies of respiratory records;
# - journal-normal: a journal with a meeting suffix against the meeting's own name
#   ("... Haemostasis. Conference: ..." / "23rd Congress of ...") was found when
#   haematology lost a pair;
# - title-mangled: titles with the same letters and digits split differently
#   ("first-line" / "firstline" read as the number "first") in a respiratory stress copy.
WRITTEN_FROM: dict[str, frozenset[str]] = {name: frozenset() for name in RULES}
WRITTEN_FROM["locator-quality"] = frozenset({"respiratory"})
WRITTEN_FROM["title-mangled"] = frozenset({"respiratory"})
WRITTEN_FROM["journal-normal"] = frozenset({"haematology"})

DISABLED: set[str] = set()


def enabled(name: str) -> bool:
    """Whether rule `name` is on (it always is, except in leave-one-out measurements)."""
    return name not in DISABLED


def written_from(set_name: str) -> set[str]:
    """The rules that were written while looking at benchmark set `set_name`."""
    return {name for name, sets in WRITTEN_FROM.items() if set_name in sets}
