"""Export records with their screening status (blinded), and the PRISMA-S search report."""

from __future__ import annotations

from dataclasses import replace

from screener import exporters
from screener.errors import ScreenerError
from screener.exporters import ExportItem
from screener.screening import FULL_TEXT, STAGES, final_class, visible_votes
from screener.store import Store
from screener.textsafe import clean_fields, clean_line, safe_for_terminal
from screener.workflow.screening import (
    ReviewerQueue,
    all_votes,
    check_person,
    count_late_changes,
    load_settings,
    stage_ids,
    stage_outcomes,
)

# A report not retrieved is its own outcome (PRISMA's "Reports not retrieved" box): never
# "excluded", which at full text means assessed and excluded with a reason (item 16b).
STATUSES = ("included", "excluded", "not-retrieved", "undecided", "all")
ITEM_STATUS = {"include": "included", "exclude": "excluded", "not-retrieved": "not-retrieved"}
NO_REASON = "No reason given"  # as the PRISMA flow counts an exclusion without a reason
FORMATS = ("ris", "bibtex", "csv")


def export_items(store: Store, stage: str, status: str, viewer: str = "") -> list[ExportItem]:
    """The records screened at `stage` with their final status there; votes only as
    `viewer` may see them (none without a viewer)."""
    if stage not in STAGES:
        raise ScreenerError(f"unknown stage {stage!r}: use {' or '.join(STAGES)}.")
    if status not in STATUSES:
        raise ScreenerError(f"unknown status {status!r}: use {', '.join(STATUSES)}.")
    settings = load_settings(store)
    if viewer:  # a name the review does not know sees nothing and is told so
        viewer = check_person(settings, viewer, store.login)
    ids = stage_ids(store, stage, settings)
    found = stage_outcomes(store, stage, settings, ids)
    shown = (
        visible_votes(all_votes(store, stage), viewer, found, settings.adjudicators)
        if viewer
        else []
    )
    votes: dict[int, list[str]] = {}
    for v in shown:
        text = f"{v.reviewer}: {v.decision}" + (f" ({v.reason})" if v.reason else "")
        text += f" — {v.note}" if v.note else ""
        votes.setdefault(v.record_id, []).append(clean_line(text))
    queue = ReviewerQueue(store, viewer or "-", stage, settings)
    sizes = store.group_sizes()
    items = []
    for record_id in ids:
        o = found[record_id]
        item_status = ITEM_STATUS.get(final_class(o, settings), "undecided")
        if o.decision == "maybe" and stage == FULL_TEXT:
            item_status = "undecided"
        if status != "all" and item_status != status:
            continue
        items.append(
            ExportItem(
                record_id,
                # A review made by an older screener may hold raw control bytes.
                clean_fields(queue.merged_record(record_id)),
                item_status,
                o.decision,
                o.reason,
                tuple(votes.get(record_id, ())),
                sizes.get(record_id, 1),
                store.fulltext(record_id),
            )
        )
    return items


def export_text(
    store: Store, fmt: str, stage: str, status: str, viewer: str = "", guard: bool = True
) -> tuple[str, int]:
    """The export as text, and how many records it holds; CSV cells are neutralised
    against formula injection unless `guard` is False."""
    items = export_items(store, stage, status, viewer)
    writer = {
        "ris": exporters.to_ris,
        "bibtex": exporters.to_bibtex,
        "csv": lambda found: exporters.to_csv(found, guard),
    }
    if fmt not in writer:
        raise ScreenerError(f"unknown format {fmt!r}: use ris, bibtex or csv.")
    return writer[fmt](items), len(items)


def excluded_full_text(store: Store) -> str:
    """PRISMA item 16b: reports assessed at full text and excluded, with reasons (Markdown
    table). One row per report the PRISMA "Reports excluded" boxes count, under the same
    reason; reports not retrieved were never assessed and are not listed."""
    items = [
        replace(item, reason=item.reason or NO_REASON)
        for item in export_items(store, FULL_TEXT, "excluded")
    ]
    return exporters.excluded_table_markdown(items)


DEDUP_METHOD = (
    "Records were deduplicated with screener: exact identifiers first (normalized DOI, "
    "PMID, PMCID), then fuzzy title matching (rapidfuzz) within blocks, corroborated by "
    "year, authors, journal, volume, issue and pages. Duplicates were linked to one "
    "canonical record, never deleted; uncertain pairs were decided by a person."
)
UPDATE_METHOD = (
    "Searches were updated by rerunning the full saved strategy up to a later cutoff "
    "date; records already stored (same PMID or DOI from the same source) were not "
    "stored again, so only new records entered screening."
)


def search_report(store: Store) -> dict:
    """PRISMA-S: every source with its platform, full query as run, limits, the date of
    each run and the records found and stored; how updates and deduplication were done."""
    from screener.workflow.dedup import stats

    sources: dict[tuple[str, str], dict] = {}
    for run in store.list_runs():
        key = (run.database, run.platform)
        source = sources.setdefault(
            key, {"database": run.database, "platform": run.platform, "kind": run.kind, "runs": []}
        )
        source["runs"].append(
            {
                "run": run.id,
                "search": run.search_name or run.file_name,
                "query": run.query,
                "query_translation": run.query_translation,
                "date_field": run.date_field,
                "date_from": run.date_from,
                "date_to": run.date_to,
                "filters": run.filters,
                "method": run.method,
                "started": run.started,
                "finished": run.finished,
                "status": run.status,
                "error": run.error,
                "records_found": run.count_reported,
                "records_stored": run.count_stored,
                "records_new": run.count_new,
                "file_sha256": run.file_sha256,
            }
        )
    for source in sources.values():
        done = [r for r in source["runs"] if r["status"] == "completed"]
        # An import was searched when the user says (--date-searched); the import date is
        # not the search date, so it is not passed off as one.
        if source["kind"] == "import":
            dates = [r["date_to"] for r in done if r["date_to"]]
            imported = max((r["started"][:10] for r in done), default="")
            source["last_searched"] = max(dates, default="") or (
                f"not recorded (imported {imported}; use --date-searched)" if imported else ""
            )
        else:
            source["last_searched"] = max((r["started"][:10] for r in done), default="")
        source["updated"] = len({r["date_to"] for r in done if r["date_to"]}) > 1
    dedup = stats(store)
    return {
        "sources": list(sources.values()),
        "searches": store.list_searches(),
        "update_method": UPDATE_METHOD,
        "deduplication": {"method": DEDUP_METHOD, **dedup},
        "screening": _screening_method(store),
    }


def _screening_method(store: Store) -> dict:
    """How independent the screening was: votes changed after the other reviewer had
    voted, per stage (agreement is computed on the first independent votes)."""
    settings = load_settings(store)
    return {
        "reviewers": list(settings.reviewers),
        "adjudicators": list(settings.adjudicators),
        "votes_changed_after_other_voted": {
            stage: len(count_late_changes(store, stage)) for stage in STAGES
        },
    }


def _run_markdown(run: dict, kind: str) -> list[str]:
    name = _safe(run["search"])
    title = f"Run {run['run']}" + (f": {name}" if name else "")
    lines = [f"### {title} ({run['started'][:10]}, {_safe(run['status'])})", ""]
    for heading, text in (
        ("Query as run:", run["query"]),
        ("As the database translated it:", run["query_translation"]),
    ):
        if text:
            lines += [heading, "", "```", safe_for_terminal(text), "```", ""]
    # An import's limits were set in the database's own interface: unknown unless told.
    unknown = "not recorded (give the strategy with its limits: import --query)"
    none = unknown if kind == "import" else "none"
    lines.append(f"- Limits: {'; '.join(_limits(run)) or none}")
    lines.append(f"- Records {_counts_in_words(run)}")
    if run.get("error"):
        lines.append(f"- Error: {_safe(run['error'])}")
    lines.append("")
    return lines


def _limits(run: dict) -> list[str]:
    limits = []
    start, end = run["date_from"], run["date_to"]
    if run["date_field"] and (start or end):
        window = (
            f"from {start} to {end}"
            if start and end
            else (f"from {start}" if start else f"up to {end}")
        )
        limits.append(f"date field {run['date_field']}, {window}")
    if run["filters"]:
        limits.append(f"filters {run['filters']}")
    if run["method"] and run["method"] != "databases":
        limits.append(f"method {run['method']}")
    return [_safe(limit) for limit in limits]


def _counts_in_words(run: dict) -> str:
    found = run["records_found"]
    if found is not None:
        told = f"found: {found}, "
    elif run["status"] != "completed":
        told = "found: not reported (the run did not complete), "
    else:
        told = ""
    return f"{told}stored: {run['records_stored']}, new to the review: {run['records_new']}"


def _safe(text: object) -> str:
    """One line of outside text fit to print ('' for None)."""
    return "" if text is None else clean_line(safe_for_terminal(text)).strip()


def search_report_markdown(report: dict) -> str:
    """The PRISMA-S report as Markdown: only what is known, in words; every value that came
    from outside (names, queries, errors) without control characters or escapes."""
    lines = ["# Search report (PRISMA-S)", ""]
    for source in report["sources"]:
        lines += [
            f"## {_safe(source['database'])}",
            "",
            f"- Platform: {_safe(source['platform']) or 'not recorded (use --platform)'}",
            f"- Date last searched: {_safe(source['last_searched']) or 'never completed'}",
            f"- Runs: {len(source['runs'])}" + (" (updated)" if source["updated"] else ""),
            "",
        ]
        for run in source["runs"]:
            lines += _run_markdown(run, source["kind"])
    dedup = report["deduplication"]
    lines += [
        "## Updates",
        "",
        report["update_method"],
        "",
        "## Deduplication",
        "",
        dedup["method"],
        "",
        f"- Duplicates removed: {dedup['duplicates_removed']} of {dedup['records']} "
        f"records ({dedup['links_confirmed_by_a_person']} confirmed by a person)",
        "",
    ]
    screening = report.get("screening")
    if screening and screening["reviewers"]:
        changed = screening["votes_changed_after_other_voted"]
        lines += [
            "## Screening",
            "",
            f"Records were screened independently by {len(screening['reviewers'])} reviewers, "
            "blinded to each other's votes until a record was reconciled; agreement is "
            "reported on each reviewer's first independent vote.",
            "",
            *(
                f"- Votes changed after the other reviewer had voted ({stage}): {n}"
                for stage, n in changed.items()
            ),
            "",
        ]
    return "\n".join(lines)
