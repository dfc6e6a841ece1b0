"""The command-line front end: a thin click layer over `screener.workflow`."""

from __future__ import annotations

import sys

import click

from screener import __version__
from screener.cli.backup import backup
from screener.cli.dedup import dedup
from screener.cli.importing import import_cmd
from screener.cli.others import doi, enrich
from screener.cli.ranking import methods, ranking, simulate, stop_screening_cmd
from screener.cli.reporting import export, prisma, search_report
from screener.cli.screening import agreement, conflicts, decisions, resolve, review, screen
from screener.cli.search import search
from screener.cli.team import copy_cmd, grant, team
from screener.errors import ScreenerError
from screener.textsafe import clean_line, safe_for_terminal


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="screener")
def main() -> None:
    """screener: search, deduplicate, screen and report a systematic review.

    One SQLite file is one review: --db PATH, else $SCREENER_DB, else db/review.sqlite;
    a team on many machines uses a PostgreSQL server: --db postgresql://user@host/db.
    """


main.add_command(search)
search.add_command(search_report)
main.add_command(import_cmd)
main.add_command(doi)
main.add_command(enrich)
main.add_command(dedup)
for command in (review, screen, conflicts, resolve, agreement, decisions, prisma, export):
    main.add_command(command)
main.add_command(backup)
for command in (ranking, simulate, methods):
    main.add_command(command)
review.add_command(stop_screening_cmd)
review.add_command(grant)
review.add_command(team)
review.add_command(copy_cmd)


def run() -> None:
    """The console entry point: every failure is one line on stderr and a non-zero exit."""
    try:
        code = main.main(standalone_mode=False)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "screener"
        message = safe_for_terminal(exc.format_message())
        click.echo(f"Error: {message} (see '{where} --help')", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ScreenerError as exc:  # one not caught by a command's own handler
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except (click.exceptions.Abort, EOFError):
        click.echo("Error: stopped (no more input).", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: still one line, with what to do about it
        what = safe_for_terminal(clean_line(str(exc)))
        click.echo(
            f"Error: internal error ({type(exc).__name__}: {what}); please report it with the "
            "command you ran.",
            err=True,
        )
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)
