"""The command-line front end: a thin click layer over `screener.workflow`."""

from __future__ import annotations

import sys

import click

from screener import __version__
from screener.cli.lazy import LazyCommand, LazyGroup
from screener.errors import ScreenerError
from screener.textsafe import clean_line, safe_for_terminal

# Every command, imported only when it runs (so `screener simulate` does not wait for
# requests, sqlite_utils or textual). The summary is what `screener --help` lists: the
# first paragraph of the command's docstring (tests/test_cli_startup.py checks they agree).
COMMANDS = {
    "agreement": LazyCommand(
        "screener.cli.screening:agreement",
        "Percent agreement, Cohen's kappa (95% CI), PABAK and the 2x2 table per pair.",
    ),
    "backup": LazyCommand(
        "screener.cli.backup:backup", "Copy the review to DEST with SQLite's online backup API."
    ),
    "conflicts": LazyCommand(
        "screener.cli.screening:conflicts",
        "Records where the required reviewers disagree (adjudicators only).",
    ),
    "decisions": LazyCommand(
        "screener.cli.screening:decisions",
        "Import decisions made elsewhere, or export them (blinded).",
    ),
    "dedup": LazyCommand(
        "screener.cli.dedup:dedup",
        "Link records that are the same work (run with no subcommand to deduplicate).",
    ),
    "doi": LazyCommand(
        "screener.cli.others:doi",
        "Add records found by other methods (citation searching, websites, ...) by DOI.",
    ),
    "enrich": LazyCommand(
        "screener.cli.others:enrich",
        "Fill empty fields of records that have a DOI from Crossref, and flag records "
        "Crossref marks as retracted, corrected or updated.",
    ),
    "export": LazyCommand(
        "screener.cli.reporting:export",
        "Export records with their screening status as RIS, BibTeX or CSV.",
    ),
    "import": LazyCommand(
        "screener.cli.importing:import_cmd",
        "Import an export FILE (RIS, MEDLINE .nbib, PubMed XML, BibTeX or CSV) as one run.",
    ),
    "methods": LazyCommand(
        "screener.cli.ranking:methods",
        "The methods text on automation in screening (PRISMA 2020 item 8): tool, model, "
        "features, stopping rule, recall target and the number screened.",
    ),
    "prisma": LazyCommand(
        "screener.cli.reporting:prisma",
        "Every box of the PRISMA 2020 flow diagram, counted from what is stored.",
    ),
    "ranking": LazyCommand(
        "screener.cli.ranking:ranking",
        "Screening prioritisation: each reviewer's ranked queue and when to stop.",
    ),
    "resolve": LazyCommand(
        "screener.cli.screening:resolve",
        "Record the final decision on RECORD at a stage (a conflict, or any record).",
    ),
    "review": LazyCommand(
        "screener.cli.screening:review",
        "Review settings: reviewers, decisions needed, adjudicators, exclusion reasons; on a "
        "PostgreSQL server, logins (grant, team); moving a review between backends (copy).",
        extra=(
            "screener.cli.ranking:stop_screening_cmd",
            "screener.cli.team:grant",
            "screener.cli.team:team",
            "screener.cli.team:copy_cmd",
        ),
    ),
    "screen": LazyCommand(
        "screener.cli.screening:screen",
        "Screen records one at a time in the terminal UI (press ? for the keys).",
    ),
    "search": LazyCommand(
        "screener.cli.search:search",
        "Run saved searches (queries/*.toml) and show what was run.",
        extra=("screener.cli.reporting:search_report",),
    ),
    "simulate": LazyCommand(
        "screener.cli.ranking:simulate",
        "Replay a labelled review (CSV: title, abstract, a 0/1 label) through the ranking the "
        "screen uses; report records screened to 95% and 100% recall, WSS@95, recall after "
        "10%, where the stopping rule stops and the recall there, time and peak memory.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="screener")
def main() -> None:
    """screener: search, deduplicate, screen and report a systematic review.

    One SQLite file is one review: --db PATH, else $SCREENER_DB, else db/review.sqlite;
    a team on many machines uses a PostgreSQL server: --db postgresql://user@host/db.
    """


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
