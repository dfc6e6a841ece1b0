"""`screener search run | list | log`: saved searches and their runs."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import date
from pathlib import Path

import click

from screener import workflow
from screener.cli import clients
from screener.cli.common import (
    db_option,
    follow,
    handle_errors,
    json_option,
    open_store,
    print_json,
    table,
    warn,
)
from screener.errors import ScreenerError
from screener.models import Run
from screener.queries import parse_cli_date
from screener.textsafe import clean_line, safe_for_terminal


@click.group()
def search() -> None:
    """Run saved searches (queries/*.toml) and show what was run."""


@search.command("run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--cutoff", help="Inclusive end date YYYY-MM-DD, overriding the file (updates).")
@db_option
@json_option
@handle_errors
def run_cmd(file: Path, cutoff: str | None, db_path: Path | None, as_json: bool) -> None:
    """Run the saved search FILE up to its cutoff and store every record once."""
    saved = workflow.load_saved_search(file)
    end = parse_cli_date(cutoff) if cutoff else None
    for section in (saved.pubmed, saved.crossref):
        last = end or (section.cutoff if section else None)
        if last and last > date.today():
            warn(
                f"the cutoff {last} is in the future: rerunning this search later will not "
                "give the same records. A cutoff of today or earlier is reproducible."
            )
    finished: list[Run] = []
    pubmed_client = clients.pubmed_client() if saved.pubmed else None
    with open_store(db_path, create=True) as store:
        events = workflow.run_search(
            store,
            saved,
            pubmed_client=pubmed_client,
            crossref_client=clients.crossref_client() if saved.crossref else None,
            cutoff=end,
        )
        follow(events, finished)
    if pubmed_client is not None and os.environ.get("SCREENER_TIMINGS"):
        # Where a PubMed fetch spent its time, for bench/bench_pubmed.py.
        Path(os.environ["SCREENER_TIMINGS"]).write_text(
            json.dumps(dataclasses.asdict(pubmed_client.timings))
        )
    if as_json:
        print_json({"search": saved.name, "runs": finished})
        return
    for run in finished:
        _say_finished(run)


def _say_finished(run: Run) -> None:
    limits = f" ({_window(run)})" if _window(run) else ""
    found = "" if run.count_reported is None else f"{run.count_reported} found, "
    click.echo(
        safe_for_terminal(
            f"{run.database} run {run.id}{limits}: {found}{run.count_stored} stored in this "
            f"run, {run.count_new} new."
        )
    )
    if run.count_new == 0:
        click.echo("Nothing new since the last run.")
    if run.warnings:
        for line in run.warnings.splitlines():
            warn(safe_for_terminal(line))


@search.command("list")
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("queries"),
    show_default=True,
    help="Folder of saved searches to list beside those already run.",
)
@db_option
@json_option
@handle_errors
def list_cmd(queries_dir: Path, db_path: Path | None, as_json: bool) -> None:
    """List saved searches: files in queries/ and searches already run."""
    with open_store(db_path, create=True) as store:
        rows = workflow.list_searches(store, queries_dir)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"No saved searches: write one in {queries_dir}/ (see README).")
        return
    body = [
        [
            r["name"],
            r.get("path", ""),
            str(r.get("runs", 0)),
            (r.get("last_run") or "never")[:16].replace("T", " "),
            r.get("last_status") or "",
        ]
        for r in rows
    ]
    click.echo(table(body, ["name", "file", "runs", "last run", "status"]))
    for r in rows:
        if r.get("error"):
            warn(r["error"])


@search.command("unlock")
@click.argument("name")
@db_option
@handle_errors
def unlock_cmd(name: str, db_path: Path | None) -> None:
    """Release the lock of search NAME held by a process that is gone.

    A lock left by a dead process on this machine is taken over by the next run on its
    own; this is for a process that stopped on another machine sharing the review.
    """
    with open_store(db_path) as store:
        released = workflow.unlock_search(store, name)
    click.echo(f"Released the lock of {name!r}." if released else f"{name!r} was not locked.")


@search.command("log")
@click.argument("name", required=False)
@click.option("--full", is_flag=True, help="Show every field of every run.")
@db_option
@json_option
@handle_errors
def log_cmd(name: str | None, full: bool, db_path: Path | None, as_json: bool) -> None:
    """Every run (searches and imports) as PRISMA-S wants it documented."""
    with open_store(db_path) as store:
        runs = workflow.search_log(store, name)
    if as_json:
        print_json(runs)
        return
    if not runs:
        if name:
            raise ScreenerError(
                f"no run of a search named {name!r}; `screener search list` shows the names."
            )
        click.echo("No runs yet: `screener search run queries/FILE.toml` starts one.")
        return
    if full:
        for run in runs:
            click.echo(_describe(run) + "\n")
        return
    rows = [
        [
            str(r.id),
            clean_line(r.database),
            clean_line(r.search_name or r.file_name),
            r.started[:16].replace("T", " "),
            clean_line(_table_window(r)),
            "" if r.count_reported is None else str(r.count_reported),
            str(r.count_stored),
            str(r.count_new),
            clean_line(r.status),
        ]
        for r in runs
    ]
    click.echo(
        table(
            rows,
            ["run", "database", "search", "started", "window", "found", "stored", "new", "status"],
        )
    )


def _describe(run: Run) -> str:
    """Every field of a run that is known, in words; outside text made safe to print."""
    head = f"Run {run.id}: {run.database}" + (f" ({run.platform})" if run.platform else "")
    fields = [
        ("search", run.search_name),
        ("file", run.file_name),
        ("query sent", run.query),
        ("translation", run.query_translation),
        ("date limits", _window(run)),
        ("searched on", run.date_to if run.kind == "import" else ""),
        ("filters", run.filters),
        ("method", run.method if run.method not in ("", "databases") else ""),
        ("started", _when(run.started)),
        ("finished", _when(run.finished)),
        ("records", _counts(run)),
        ("error", run.error),
        ("warnings", run.warnings),
    ]
    lines = [safe_for_terminal(f"{head} — {run.status}")]
    lines += [
        f"  {label + ':':<13} {safe_for_terminal(value).strip()}"
        for label, value in fields
        if value
    ]
    return "\n".join(lines)


def _window(run: Run) -> str:
    """The date limits of a search run in words ('' when it had none)."""
    dates = _dates(run.date_from, run.date_to)
    return f"{run.date_field} {dates}" if run.date_field and dates else ""


def _table_window(run: Run) -> str:
    if run.kind == "import":  # an import's date is the day the database was searched
        return f"searched {run.date_to}" if run.date_to else ""
    return _dates(run.date_from, run.date_to)


def _dates(start: str, end: str) -> str:
    if start and end:
        return f"from {start} to {end}"
    return f"up to {end}" if end else (f"from {start}" if start else "")


def _when(stamp: str) -> str:
    return f"{stamp[:19].replace('T', ' ')} UTC" if stamp else ""


def _counts(run: Run) -> str:
    found = "" if run.count_reported is None else f"{run.count_reported} found, "
    return f"{found}{run.count_stored} stored, {run.count_new} new to the review"
