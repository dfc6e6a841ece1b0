"""The command-line front end: a thin click layer over `screener.workflow`."""

from __future__ import annotations

import click

from screener import __version__
from screener.cli.dedup import dedup
from screener.cli.importing import import_cmd
from screener.cli.others import doi, enrich
from screener.cli.reporting import export, prisma, search_report
from screener.cli.screening import agreement, conflicts, decisions, resolve, review, screen
from screener.cli.search import search


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="screener")
def main() -> None:
    """screener: search, deduplicate, screen and report a systematic review.

    One SQLite file is one review: --db PATH, else $SCREENER_DB, else db/review.sqlite.
    """


main.add_command(search)
search.add_command(search_report)
main.add_command(import_cmd)
main.add_command(doi)
main.add_command(enrich)
main.add_command(dedup)
for command in (review, screen, conflicts, resolve, agreement, decisions, prisma, export):
    main.add_command(command)
