"""`screener doi add` and `screener enrich`: other methods, and Crossref gap-filling."""

from __future__ import annotations

from pathlib import Path

import click

from screener.cli import clients
from screener.cli.common import (
    db_option,
    follow,
    handle_errors,
    json_option,
    open_store,
    print_json,
    warn,
)
from screener.errors import ScreenerError
from screener.workflow import others


@click.group()
def doi() -> None:
    """Add records found by other methods (citation searching, websites, ...) by DOI."""


@doi.command("add")
@click.argument("dois", nargs=-1)
@click.option(
    "--file",
    "doi_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A text file of DOIs, one per line (# starts a comment).",
)
@click.option(
    "--method",
    type=click.Choice(list(others.OTHER_METHODS)),
    default="citation-searching",
    show_default=True,
    help="How the records were identified (PRISMA 'other methods').",
)
@click.option("--note", default="", help="Where they came from, for the search log.")
@db_option
@json_option
@handle_errors
def add_cmd(
    dois: tuple[str, ...],
    doi_file: Path | None,
    method: str,
    note: str,
    db_path: Path | None,
    as_json: bool,
) -> None:
    """Look up each DOI (Crossref, else doi.org) and store it as found by METHOD."""
    wanted = list(dois)
    if doi_file is not None:
        try:
            wanted += others.read_doi_lines(doi_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ScreenerError(f"{doi_file}: cannot read it ({exc}).") from None
    results: list = []
    with open_store(db_path, create=True) as store:
        follow(others.add_dois(store, clients.doi_resolver(), wanted, method, note), results)
    report = results[-1]
    if as_json:
        print_json({"run": report.run, "problems": report.problems})
        return
    run = report.run
    click.echo(
        f"{others.OTHER_METHODS[method]} (run {run.id}): {run.count_stored} stored, "
        f"{run.count_new} new, {len(report.problems)} not stored."
    )
    for problem in report.problems:
        warn(f"{problem.doi}: {problem.reason}")


@click.command()
@click.option(
    "--only-gaps", is_flag=True, help="Only records missing an abstract, journal or year."
)
@click.option("--again", is_flag=True, help="Also look up records enriched before.")
@db_option
@json_option
@handle_errors
def enrich(only_gaps: bool, again: bool, db_path: Path | None, as_json: bool) -> None:
    """Fill empty fields of records that have a DOI from Crossref, and flag records
    Crossref marks as retracted, corrected or updated. Never overwrites a source's data."""
    results: list = []
    with open_store(db_path) as store:
        follow(
            others.enrich(store, clients.crossref_client(), only_gaps=only_gaps, again=again),
            results,
        )
    report = results[-1]
    if as_json:
        print_json(report)
        return
    filled = ", ".join(f"{name} {n}" for name, n in sorted(report.filled.items())) or "none"
    click.echo(
        f"Looked up {report.looked_up} record(s) in Crossref "
        f"({report.not_found} unknown there). Filled: {filled}."
    )
    for record_id, title, flags in report.flagged:
        warn(f"record {record_id} is now flagged {', '.join(flags)}: {title[:70]}")
