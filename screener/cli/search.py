"""`screener search run | list | log`: saved searches and their runs."""

from __future__ import annotations

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
    with open_store(db_path, create=True) as store:
        events = workflow.run_search(
            store,
            saved,
            pubmed_client=clients.pubmed_client() if saved.pubmed else None,
            crossref_client=clients.crossref_client() if saved.crossref else None,
            cutoff=end,
        )
        follow(events, finished)
    if as_json:
        print_json({"search": saved.name, "runs": finished})
        return
    for run in finished:
        _say_finished(run)


def _say_finished(run: Run) -> None:
    window = f"{run.date_from or 'start'} to {run.date_to}"
    click.echo(
        f"{run.database} run {run.id} ({run.date_field}, {window}): "
        f"{run.count_reported} found, {run.count_stored} stored in this run, "
        f"{run.count_new} new."
    )
    if run.count_new == 0:
        click.echo("Nothing new since the last run.")
    if run.warnings:
        for line in run.warnings.splitlines():
            warn(line)


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
            r.database,
            r.search_name or r.file_name,
            r.started[:16].replace("T", " "),
            f"{r.date_from or '…'}..{r.date_to}" if r.date_to else "",
            "" if r.count_reported is None else str(r.count_reported),
            str(r.count_stored),
            str(r.count_new),
            r.status,
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
    lines = [
        f"Run {run.id}: {run.database} ({run.platform}) — {run.status}",
        f"  search:       {run.search_name or run.file_name}",
        f"  query sent:   {run.query}",
        f"  translation:  {run.query_translation}",
        f"  date field:   {run.date_field}  window: {run.date_from or 'start'} .. {run.date_to}",
        f"  started:      {run.started}  finished: {run.finished}",
        f"  found: {run.count_reported}  stored: {run.count_stored}  new: {run.count_new}",
    ]
    if run.filters:
        lines.append(f"  filters:      {run.filters}")
    if run.error:
        lines.append(f"  error:        {run.error}")
    if run.warnings:
        lines.append(f"  warnings:     {run.warnings}")
    return "\n".join(lines)
