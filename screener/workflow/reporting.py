"""PRISMA 2020 numbers counted from what is stored, never typed in.

How each box is counted (one unit screened = a duplicate group's canonical record):
- identified: records per database / register / other method, from the runs that
  returned them (runs started by `as_of`);
- a group belongs to the databases-and-registers column if any member came from a
  database or register, else to the other-methods column;
- duplicates removed: database/register records of a group beyond its first (and, in an
  update, new records that duplicate a record of the previous version);
- screened, excluded, undecided: the title/abstract outcome of each group;
- marked ineligible by automation tools: after `review stop-screening`, the groups
  nobody screened at title/abstract (not counted as screened or undecided);
- sought: groups that passed title/abstract; not retrieved, excluded (by reason),
  included and undecided: their full-text outcome;
- one report per group, and one study per report (screener has no link between several
  reports of one study yet), so studies = reports.
For an updated review (asked for: `updated=True`), the update starts with the first
later run of a search with a later cutoff: records first identified before it are the
previous version, and its studies are those included by decisions made before it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from screener.errors import ScreenerError
from screener.prisma import Count, Flow, FlowInputs, build_flow
from screener.screening import (
    FULL_TEXT,
    RECONCILED,
    TITLE_ABSTRACT,
    Outcome,
    Resolution,
    ReviewSettings,
    Vote,
    final_class,
    outcomes,
    passes_to_full_text,
)
from screener.store import Store
from screener.workflow.automation import screening_stop
from screener.workflow.others import OTHER_METHODS
from screener.workflow.screening import load_settings

REGISTERS = "registers"


@dataclass(frozen=True)
class Group:
    canonical: int
    members: tuple[int, ...]
    column: str  # "dbr" or "other"
    previous: bool  # holds a record of the previous version (update reviews)


def update_boundary(store: Store) -> str:
    """When the first update run started ('' if none): a run of a saved search whose
    cutoff is later than that of an earlier completed run of the same search."""
    latest: dict[tuple[str, str], str] = {}
    for run in store.search_runs():
        if run.status != "completed":
            continue
        key = (run.search_name, run.source)
        if key in latest and run.date_to > latest[key]:
            return run.started
        latest[key] = max(latest.get(key, ""), run.date_to)
    return ""


def prisma_flow(store: Store, as_of: str | None = None, updated: bool = False) -> Flow:
    """The checked PRISMA flow of the review (as it stood at the end of `as_of`); with
    `updated`, the updated-review variant (previous version vs new studies)."""
    settings = load_settings(store)
    origins = {rid: (db, method, first) for rid, db, method, first in store.record_origins(as_of)}
    boundary = _boundary(store, as_of) if updated else ""
    groups = _groups(store, origins, as_of, boundary)
    ids = [g.canonical for g in groups]
    ta = _outcomes(store, as_of, settings, TITLE_ABSTRACT, ids)
    ft = _outcomes(store, as_of, settings, FULL_TEXT, ids)
    previous = 0
    if boundary:
        previous = _previous_studies(store, groups, settings, boundary)
    inputs = _inputs(origins, groups, ta, ft, settings, boundary, as_of or "", previous)
    return build_flow(_automation(store, inputs, groups, ta, as_of))


def _automation(store: Store, inputs: FlowInputs, groups, ta, as_of) -> FlowInputs:
    """After title-abstract screening was stopped by a rule (`review stop-screening`), the
    records nobody screened are "marked as ineligible by automation tools": removed before
    screening, never counted as excluded by reviewers nor as undecided."""
    stop = screening_stop(store)
    if stop is None or (as_of and stop["decided_at"][:10] > as_of):
        return inputs
    left = [g.canonical for g in groups if not g.previous and g.column == "dbr"]
    auto = sum(1 for i in left if ta[i].votes == 0 and ta[i].status not in RECONCILED)
    return dataclasses.replace(
        inputs,
        automation_excluded=inputs.automation_excluded + auto,
        records_screened=inputs.records_screened - auto,
        records_undecided=inputs.records_undecided - auto,
    )


def _boundary(store: Store, as_of: str | None) -> str:
    boundary = update_boundary(store)
    if not boundary or (as_of and boundary[:10] > as_of):
        raise ScreenerError(
            "no update run: an updated review needs a later run of a saved search with a "
            "later cutoff (screener search run FILE --cutoff DATE). Leave out --update."
        )
    return boundary


def _previous_studies(store: Store, groups, settings, boundary: str) -> int:
    """Studies the previous version included: decisions made before the update began.
    Every previous-version record must have had its final answer by then."""
    old = [g for g in groups if g.previous]
    ids = [g.canonical for g in old]
    ta = _outcomes(store, boundary, settings, TITLE_ABSTRACT, ids)
    ft = _outcomes(store, boundary, settings, FULL_TEXT, ids)
    passed = [g for g in old if passes_to_full_text(ta[g.canonical], settings)]
    undecided = _tally(old, ta, settings, TITLE_ABSTRACT)["undecided"]
    undecided += _tally(passed, ft, settings, FULL_TEXT)["undecided"]
    if undecided:
        raise ScreenerError(
            f"the previous version was not finished when the update began ({boundary[:16]}): "
            f"{undecided} of its records had no final decision. Report it as a new review "
            "(leave out --update), or use --as-of a date after it was finished."
        )
    return _tally(passed, ft, settings, FULL_TEXT)["include"]


def _groups(store: Store, origins: dict, as_of: str | None, boundary: str) -> list[Group]:
    links = {row["record_id"]: row["canonical_id"] for row in store.rows_as_of("duplicates", as_of)}
    members: dict[int, list[int]] = {}
    for record_id in origins:
        canonical = links.get(record_id, record_id)
        if canonical not in origins:  # its canonical record came later: stands alone
            canonical = record_id
        members.setdefault(canonical, []).append(record_id)
    groups = []
    for canonical, ids in sorted(members.items()):
        dbr = any(_column(origins[i][1]) == "dbr" for i in ids)
        previous = bool(boundary) and any(origins[i][2] < boundary for i in ids)
        groups.append(Group(canonical, tuple(sorted(ids)), "dbr" if dbr else "other", previous))
    return groups


def _column(method: str) -> str:
    return "other" if method in OTHER_METHODS else "dbr"


def _outcomes(store, as_of, settings, stage, ids) -> dict[int, Outcome]:
    votes = [
        Vote(
            r["record_id"],
            r["stage"],
            r["reviewer"],
            r["decision"],
            r["reason"],
            r["note"],
            r["decided_at"],
        )
        for r in store.rows_as_of("decisions", as_of)
        if r["stage"] == stage
    ]
    resolutions = [
        Resolution(
            r["record_id"],
            r["stage"],
            r["decision"],
            r["reason"],
            r["rationale"],
            r["adjudicator"],
            r["resolved_at"],
        )
        for r in store.rows_as_of("resolutions", as_of)
        if r["stage"] == stage
    ]
    return outcomes(votes, resolutions, settings, stage, ids)


def _inputs(
    origins, groups, ta, ft, settings: ReviewSettings, boundary, as_of, previous_included
) -> FlowInputs:
    new = [g for g in groups if not g.previous]
    new_ids = {i for g in new for i in g.members}
    if boundary:  # new records that duplicate a previous-version record are removed too
        new_ids |= {i for g in groups if g.previous for i in g.members if origins[i][2] >= boundary}
    dbr_new = [i for i in new_ids if _column(origins[i][1]) == "dbr"]
    left = [g for g in new if g.column == "dbr"]
    right = [g for g in new if g.column == "other"]
    ta_left = _tally(left, ta, settings, TITLE_ABSTRACT)
    ft_left = _tally(
        [g for g in left if passes_to_full_text(ta[g.canonical], settings)], ft, settings, FULL_TEXT
    )
    ft_right = _tally(
        [g for g in right if passes_to_full_text(ta[g.canonical], settings)],
        ft,
        settings,
        FULL_TEXT,
    )
    previous_included = _tally(
        [g for g in groups if g.previous and passes_to_full_text(ta[g.canonical], settings)],
        ft,
        settings,
        FULL_TEXT,
    )["include"]
    included = ft_left["include"] + ft_right["include"]
    return FlowInputs(
        databases=_counts(origins, dbr_new, lambda m: m != REGISTERS),
        registers=_counts(origins, dbr_new, lambda m: m == REGISTERS),
        other_methods=_other_counts(origins, new_ids),
        duplicates_removed=len(dbr_new) - len(left),
        records_screened=len(left),
        records_excluded_human=ta_left["exclude"],
        records_undecided=ta_left["undecided"],
        reports_sought=ta_left["include"],
        reports_not_retrieved=ft_left["not-retrieved"],
        reports_assessed=ta_left["include"] - ft_left["not-retrieved"],
        reports_excluded=_reasons(ft_left["reasons"]),
        reports_undecided=ft_left["undecided"] + ft_right["undecided"],
        other_sought=ft_right["all"],
        other_not_retrieved=ft_right["not-retrieved"],
        other_assessed=ft_right["all"] - ft_right["not-retrieved"],
        other_excluded=_reasons(ft_right["reasons"]),
        studies_included=included,
        reports_included=included,
        previous_studies=previous_included,
        previous_reports=previous_included,
        as_of=as_of,
    )


def _tally(groups: list[Group], found: dict[int, Outcome], settings, stage) -> dict:
    """Counts of final classes at a stage: include (passes on), exclude (with reasons),
    not-retrieved, undecided (no final decision yet, conflicts included)."""
    tally = {
        "all": len(groups),
        "include": 0,
        "exclude": 0,
        "not-retrieved": 0,
        "undecided": 0,
        "reasons": Counter(),
    }
    for group in groups:
        o = found[group.canonical]
        if o.status not in ("decided", "resolved"):
            tally["undecided"] += 1
        elif o.decision == "not-retrieved":
            tally["not-retrieved"] += 1
        elif (stage == TITLE_ABSTRACT and passes_to_full_text(o, settings)) or (
            stage == FULL_TEXT and final_class(o, settings) == "include" and o.decision != "maybe"
        ):
            tally["include"] += 1
        elif stage == FULL_TEXT and o.decision == "maybe":
            tally["undecided"] += 1  # maybe at full text is not a final answer
        else:
            tally["exclude"] += 1
            tally["reasons"][o.reason or "No reason given"] += 1
    return tally


def _counts(origins, ids, keep) -> tuple[Count, ...]:
    tally = Counter(origins[i][0] for i in ids if keep(origins[i][1]))
    return tuple(Count(name, n) for name, n in sorted(tally.items()))


def _other_counts(origins, ids) -> tuple[Count, ...]:
    tally = Counter(OTHER_METHODS[origins[i][1]] for i in ids if origins[i][1] in OTHER_METHODS)
    return tuple(Count(name, n) for name, n in sorted(tally.items()))


def _reasons(counter: Counter) -> tuple[Count, ...]:
    return tuple(Count(name, n) for name, n in sorted(counter.items(), key=lambda x: (-x[1], x[0])))
