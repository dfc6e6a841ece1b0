"""`screener backup`: a consistent copy of the review, safe while others use it."""

from __future__ import annotations

from pathlib import Path

import click

from screener.cli.common import db_option, handle_errors, json_option, open_store, print_json
from screener.workflow.backups import backup_review


@click.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace DEST if it exists (it must be a screener review: this is how you restore).",
)
@db_option
@json_option
@handle_errors
def backup(dest: Path, force: bool, db_path: Path | None, as_json: bool) -> None:
    """Copy the review to DEST with SQLite's online backup API.

    The copy is consistent as of one moment even while others screen or import, and is
    checked before it is put in place. To restore, copy the backup back while nobody has
    the review open, or run `screener backup --db BACKUP REVIEW --force`.
    """
    with open_store(db_path) as store:
        made = backup_review(store, dest, force=force)
    if as_json:
        print_json({**vars(made), "source": str(made.source), "dest": str(made.dest)})
        return
    verb = "Replaced" if made.replaced else "Wrote"
    click.echo(f"{verb} {made.dest} ({made.size:,} bytes), a copy of {made.source}.", err=True)
