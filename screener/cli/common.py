"""Options, output helpers and error handling shared by every command."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from screener import workflow
from screener.cli.output import remember_review_db, write_text
from screener.errors import ScreenerError
from screener.textsafe import clean_line, safe_for_terminal

if TYPE_CHECKING:
    from screener.store import Store

# The store (sqlite_utils, and psycopg for a server) is imported by the functions that open
# a review, not here: every command imports this module, `screener CMD --help` included.

DEFAULT_DB = Path("db") / "review.sqlite"


def db_option(func: Callable) -> Callable:
    """`--db PATH|URL`, else $SCREENER_DB, else db/review.sqlite."""
    return click.option(
        "--db",
        "db_path",
        metavar="PATH|URL",
        default=None,
        help="Review database: a SQLite file, or postgresql://user@host/db for a shared "
        "server [env SCREENER_DB; default db/review.sqlite].",
    )(func)


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def resolve_db(db_path: str | Path | None) -> str | Path:
    """A PostgreSQL URL as it is (a Path would spoil its //), else a file path."""
    from screener.store import is_postgres_url

    value = db_path if db_path is not None else os.environ.get("SCREENER_DB")
    if not value:
        return DEFAULT_DB
    return str(value) if is_postgres_url(value) else Path(value)


def open_store(db_path: Path | None, create: bool = False) -> Store:
    """Open the review; only commands that add records may create a new one (a mistyped
    path must not silently become an empty review)."""
    from screener.store import Store, is_postgres_url, review_exists

    target = resolve_db(db_path)
    if not create and not review_exists(target):
        raise ScreenerError(
            f"{target}: no review here; check --db / SCREENER_DB, or start one with "
            "`screener search run` or `screener import`."
        )
    if not is_postgres_url(target):  # a file that no output may be written over
        remember_review_db(target)
    return Store(target)


def handle_errors(func: Callable) -> Callable:
    """Domain errors become one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScreenerError as exc:
            raise click.ClickException(safe_for_terminal(str(exc))) from None
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
            sys.exit(130)

    return wrapper


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# JSON escapes C0 controls itself; C1 controls (which some terminals obey as CSI/OSC) and
# bidi overrides are written as \u escapes too, so the value is unchanged for a parser.
_JSON_RISKY = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def print_json(value: Any) -> None:
    text = json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)
    click.echo(_JSON_RISKY.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def warn(message: str) -> None:
    click.secho(f"Warning: {safe_for_terminal(message)}", fg="yellow", err=True)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned text table (no colour: it is often piped); cells from outside are
    printed on one line without control characters."""
    rows = [[clean_line(safe_for_terminal(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(str(c))) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def follow(events: Iterable, finished: list) -> None:
    """Show windows as they are searched, then a progress bar over the fetch; collect
    what each run ended with into `finished`. Progress goes to stderr (stdout may be JSON)."""
    bar = None
    try:
        for event in events:
            if isinstance(event, workflow.WindowSearched):
                click.echo(
                    f"  {event.source}: {event.start} to {event.end}: {event.count} records"
                    + (f" ({event.pending} windows to go)" if event.pending else ""),
                    err=True,
                )
            elif isinstance(event, workflow.FetchPlanned):
                click.echo(
                    f"  {event.source}: {event.reported} found in {event.windows} window(s); "
                    f"{event.already_stored} already stored, {event.to_fetch} to fetch",
                    err=True,
                )
                if event.to_fetch:
                    bar = click.progressbar(
                        length=event.to_fetch,
                        label=f"  fetching {event.source}",
                        file=sys.stderr,
                    )
                    bar.__enter__()
            elif isinstance(event, workflow.BatchStored) and bar is not None:
                bar.update(event.fetched)
            elif isinstance(event, workflow.BatchStored):
                pass
            else:  # the run's end: a RunFinished or a use case's own report
                if bar is not None:
                    bar.__exit__(None, None, None)
                    bar = None
                finished.append(event.run if isinstance(event, workflow.RunFinished) else event)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def write_output(path: Path, text: str, force: bool = False) -> None:
    """Write a file whole or not at all, never over the review or an existing file
    unless `force` (see `screener.cli.output`)."""
    write_text(path, text, force)
