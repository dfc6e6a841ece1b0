"""`screener review grant`, `review team` (logins on a PostgreSQL review) and `review copy`
(moving a review between a SQLite file and a PostgreSQL server)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from screener.cli.common import db_option, handle_errors, json_option, open_store, print_json
from screener.store import review_target
from screener.workflow import copying
from screener.workflow import team as flow


@click.command("grant")
@click.argument("person")
@click.option(
    "--role",
    type=click.Choice(flow.ROLES),
    required=True,
    help="reviewer: screens blinded; adjudicator: also resolves conflicts; owner: everything.",
)
@click.option(
    "--password",
    is_flag=True,
    help="Set the login's password (asked for, never echoed). Without it the login uses "
    "whatever else the server accepts (e.g. peer or certificate authentication).",
)
@db_option
@json_option
@handle_errors
def grant(person: str, role: str, password: bool, db_path: Path | None, as_json: bool) -> None:
    """Give PERSON a login to this PostgreSQL review as reviewer, adjudicator or owner.

    Creates the database role if it does not exist, else maps it; run it as the review's
    owner (a role that owns screener's tables and may create roles). On a server, the
    reviewer's name is their login: --reviewer / --as must repeat it, and the server hides
    other reviewers' unreconciled votes from them, in screener and in psql alike.
    """
    secret = (
        click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        if password
        else None
    )
    with open_store(db_path) as store:
        made = flow.grant(store, person, role, secret)
    if as_json:
        print_json(made)
        return
    verb = "Created login" if made.created else "Mapped existing login"
    click.echo(f"{verb} {made.person} as {made.role}.", err=True)


@click.command("team")
@db_option
@json_option
@handle_errors
def team(db_path: Path | None, as_json: bool) -> None:
    """List the logins of this PostgreSQL review and their roles."""
    with open_store(db_path) as store:
        members = flow.team(store)
    if as_json:
        print_json(members)
        return
    for person, role in members.items():
        click.echo(f"{person}\t{role}")


@click.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("dest", metavar="DEST")
@json_option
@handle_errors
def copy_cmd(source: str, dest: str, as_json: bool) -> None:
    """Copy a whole review from SRC to DEST: a SQLite file or a postgresql:// URL each.

    Every record, run, link, decision, resolution, setting and audit entry is copied with
    its ids, in one transaction; DEST must be new or empty. Each table's row count and
    SHA-256 are checked equal on both sides before the copy is kept.
    """
    src, out = review_target(source), review_target(dest)
    with click.progressbar(
        length=copying.total_rows(src), label="  copying", file=sys.stderr
    ) as bar:
        tables = copying.copy(src, out, lambda _table, rows: bar.update(rows))
    if as_json:
        print_json(tables)
        return
    for table in tables:
        click.echo(f"{table.table:<14}{table.rows:>10,}  sha256 {table.sha256[:16]}")
    click.echo(f"Copied {source} to {dest}: counts and checksums equal.", err=True)
