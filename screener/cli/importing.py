"""`screener import FILE --database NAME`: bring in exports from other databases."""

from __future__ import annotations

from pathlib import Path

import click

from screener.cli.common import db_option, handle_errors, json_option, open_store, print_json, warn
from screener.importers import FORMATS
from screener.queries import parse_cli_date
from screener.workflow.importing import METHODS, import_file


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--database",
    required=True,
    help="The database it was exported from, as PRISMA lists it (e.g. Scopus, "
    'Embase, "Web of Science").',
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="File format (auto: by extension, then content).",
)
@click.option(
    "--encoding",
    default="",
    metavar="CODEC",
    help="The file's text encoding (e.g. cp1250, shift_jis, gb18030, koi8_r, utf-32), "
    "when detection cannot tell it (default: detect).",
)
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Import the valid entries and list the broken ones (default: import nothing).",
)
@click.option("--force", is_flag=True, help="Import a file that was imported before.")
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="databases",
    show_default=True,
    help="PRISMA box: a bibliographic database, a trials register, or an other method "
    "(e.g. references found by citation searching).",
)
@click.option("--platform", default="", help='Interface searched, e.g. "Ovid", "Elsevier".')
@click.option("--query", default="", help="The search strategy as run there (PRISMA-S).")
@click.option("--date-searched", default="", help="When that search was run (YYYY-MM-DD).")
@db_option
@json_option
@handle_errors
def import_cmd(
    file: Path,
    database: str,
    fmt: str,
    encoding: str,
    skip_bad: bool,
    force: bool,
    method: str,
    platform: str,
    query: str,
    date_searched: str,
    db_path: Path | None,
    as_json: bool,
) -> None:
    """Import an export FILE (RIS, MEDLINE .nbib, BibTeX or CSV) as one run."""
    if date_searched:
        date_searched = parse_cli_date(date_searched, "--date-searched").isoformat()
    with open_store(db_path, create=True) as store:
        imported = import_file(
            store,
            file,
            database,
            fmt=fmt,
            encoding=encoding,
            skip_bad=skip_bad,
            force=force,
            method=method,
            platform=platform,
            query=query,
            date_searched=date_searched,
        )
    if as_json:
        print_json(imported)
        return
    run = imported.run
    click.echo(
        f"{run.database} (run {run.id}, {imported.format}, {imported.encoding}): "
        f"{run.count_stored} stored, {run.count_new} new"
        + (f", {len(imported.skipped)} skipped" if imported.skipped else "")
        + "."
    )
    for line in run.warnings.splitlines():
        warn(f"skipped {line}")
