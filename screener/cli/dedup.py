"""`screener dedup ...`: find duplicates, review uncertain pairs, undo, export, stats."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from screener.cli.common import (
    db_option,
    handle_errors,
    json_option,
    open_store,
    print_json,
    resolve_db,
    table,
    warn,
    write_output,
)
from screener.textsafe import clean_line
from screener.workflow import dedup as dedup_flow

_FIELDS = (
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "source",
)


@click.group(invoke_without_command=True)
@db_option
@json_option
@click.pass_context
@handle_errors
def dedup(ctx: click.Context, db_path: Path | None, as_json: bool) -> None:
    """Link records that are the same work (run with no subcommand to deduplicate).

    Exact identifiers first, then fuzzy titles corroborated by year, authors, journal,
    volume and pages. Links, never deletions; uncertain pairs wait for `dedup review`.
    """
    if ctx.invoked_subcommand is not None:
        return
    with open_store(db_path) as store:
        total = store.count_records()
        with click.progressbar(
            length=max(total, 1), label="  comparing records", file=sys.stderr
        ) as bar:
            state = {"done": 0}

            def progress(done: int, _total: int) -> None:
                bar.update(done - state["done"])
                state["done"] = done

            report = dedup_flow.deduplicate(store, progress)
    if as_json:
        print_json(report)
        return
    methods = ", ".join(f"{m} {n}" for m, n in sorted(report.pairs_by_method.items()))
    click.echo(
        f"{report.records} records: {report.duplicates} duplicates in {report.groups} "
        f"groups (pairs by method: {methods or 'none'})."
    )
    click.echo(
        f"Links: {report.links_added} added, {report.links_changed} changed, "
        f"{report.links_removed} removed."
    )
    if report.uncertain_pending:
        click.echo(
            f"{report.uncertain_pending} uncertain pair(s) wait for a person: "
            "screener dedup review --as NAME"
        )
    if report.held_screened:
        warn(
            f"{report.held_screened} record(s) already screened look like duplicates of "
            "other screened records; they were not merged. Confirm with dedup review."
        )


@dedup.command("stats")
@db_option
@json_option
@handle_errors
def stats_cmd(db_path: Path | None, as_json: bool) -> None:
    """Counts by method and the PRISMA 'duplicates removed' number."""
    with open_store(db_path) as store:
        stats = dedup_flow.stats(store)
    if as_json:
        print_json(stats)
        return
    for key, value in stats.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "none"
        click.echo(f"{key.replace('_', ' ')}: {value}")


@dedup.command("pairs")
@click.option("--all", "show_all", is_flag=True, help="Every pair, not only undecided ones.")
@db_option
@json_option
@handle_errors
def pairs_cmd(show_all: bool, db_path: Path | None, as_json: bool) -> None:
    """List uncertain pairs waiting for a person (or every pair with --all)."""
    with open_store(db_path) as store:
        pairs = store.pairs() if show_all else dedup_flow.pending_pairs(store)
    if as_json:
        print_json(pairs)
        return
    rows = [
        [str(p.a), str(p.b), f"{p.score:.2f}", clean_line(p.method), p.verdict, p.decision or "-"]
        for p in pairs
    ]
    click.echo(table(rows, ["a", "b", "score", "method", "verdict", "decision"]))


@dedup.command("review")
@click.option("--as", "who", required=True, help="Your name, recorded with each decision.")
@click.option("--plain", is_flag=True, help="Answer in the terminal instead of the TUI.")
@db_option
@handle_errors
def review_cmd(who: str, plain: bool, db_path: Path | None) -> None:
    """Go through the uncertain pairs side by side and confirm or reject each."""
    if not plain:
        from screener.tui.dedup_review import run_dedup_review

        run_dedup_review(resolve_db(db_path), who)
        return
    with open_store(db_path) as store:
        queue = dedup_flow.review_queue(store)
        if not queue:
            click.echo("No uncertain pairs wait for a decision.")
            return
        decided: set[tuple[int, int]] = set()
        for number, item in enumerate(queue, start=1):
            pair = item.pair
            if (pair.a, pair.b) in decided:
                continue
            near = "; near-identical: title, authors, year the same" if item.near_identical else ""
            click.echo(
                f"\nPair {number} of {len(queue)}: records {pair.a} and {pair.b} "
                f"({clean_line(pair.method)}, score {pair.score:.2f}{near})"
            )
            _show_pair(item.a, item.b, pair)
            block = [
                i.pair for i in queue if i.near_identical and (i.pair.a, i.pair.b) not in decided
            ]
            choices = ["y", "n", "s", "q"] + (["a"] if item.near_identical else [])
            hint = f" / [a]ll {len(block)} near-identical" if item.near_identical else ""
            answer = click.prompt(
                f"Same work? [y]es / [n]o / [s]kip / [q]uit{hint}",
                type=click.Choice(choices),
                show_choices=False,
            )
            if answer == "q":
                break
            if answer == "a":
                if click.confirm(f"Link all {len(block)} near-identical pairs as duplicates?"):
                    pairs = [(p.a, p.b) for p in block]
                    dedup_flow.decide_pairs(store, pairs, True, who)
                    decided.update(pairs)
                    click.echo(f"Linked {len(pairs)} pairs.")
                continue
            if answer != "s":
                dedup_flow.decide_pair(store, pair.a, pair.b, answer == "y", who)
                decided.add((pair.a, pair.b))


def _show_pair(left, right, pair) -> None:
    # Titles in full: the difference that matters is often at the end.
    click.echo(f"  {pair.a}: {clean_line(left.title)}\n  {pair.b}: {clean_line(right.title)}")
    rows = []
    for name in _FIELDS:
        a, b = _value(left, name), _value(right, name)
        mark = "=" if a and a == b else ("!" if a and b else " ")
        rows.append([name, mark, a[:60], b[:60]])
    click.echo(table(rows, ["field", "", f"record {pair.a}", f"record {pair.b}"]))
    if pair.evidence:
        evidence = "; ".join(f"{k}: {v}" for k, v in pair.evidence.items())
        click.echo("evidence: " + clean_line(evidence))


def _value(record, name: str) -> str:
    """A field as one printable line (titles and names come from outside: no escapes)."""
    value = getattr(record, name)
    if isinstance(value, tuple):
        value = "; ".join(value)
    return "" if value is None else clean_line(str(value))


@dedup.command("decide")
@click.argument("a", type=int)
@click.argument("b", type=int)
@click.option("--same/--different", required=True, help="The two records are the same work?")
@click.option("--as", "who", required=True, help="Your name, recorded with the decision.")
@db_option
@json_option
@handle_errors
def decide_cmd(a: int, b: int, same: bool, who: str, db_path: Path | None, as_json: bool) -> None:
    """Decide one pair from a script: records A and B are (not) the same work."""
    with open_store(db_path) as store:
        report = dedup_flow.decide_pair(store, a, b, same, who)
    if as_json:
        print_json(report)
        return
    click.echo(
        f"Recorded: {a} and {b} are {'the same work' if same else 'different works'}. "
        f"{report.duplicates} duplicates in {report.groups} groups."
    )


@dedup.command("undo")
@click.argument("record", type=int)
@click.option("--as", "who", required=True, help="Your name, recorded with the change.")
@db_option
@handle_errors
def undo_cmd(record: int, who: str, db_path: Path | None) -> None:
    """Split RECORD out of its duplicate group (its pairs with the group are rejected)."""
    with open_store(db_path) as store:
        report = dedup_flow.undo_link(store, record, who)
    click.echo(
        f"Record {record} now stands alone. {report.duplicates} duplicates in "
        f"{report.groups} groups."
    )


@dedup.command("export-groups")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@db_option
@handle_errors
def export_groups_cmd(file: Path, force: bool, db_path: Path | None) -> None:
    """Write the groups as CSV (column merged_ids, source ids joined by ';')."""
    with open_store(db_path) as store:
        text = dedup_flow.export_groups_csv(store)
    if str(file) == "-":  # as -o - everywhere else: standard output
        click.echo(text, nl=False)
        return
    write_output(file, text, force)
    click.echo(f"Wrote {text.count(chr(10)) - 1} group(s) to {file}.")
