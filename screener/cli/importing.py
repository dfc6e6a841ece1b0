"""`screener import FILE --database NAME`: bring in exports from other databases."""

from __future__ import annotations

from pathlib import Path

import click

from screener.cli.common import db_option, handle_errors, json_option, open_store, print_json, warn
from screener.importers import FORMATS, ImportResult
from screener.models import Record
from screener.queries import parse_cli_date
from screener.textsafe import safe_for_terminal
from screener.workflow.importing import (
    METHODS,
    FileImported,
    describe_warning,
    import_file,
    preview_file,
)

_SHOWN_WARNINGS = 5


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
    "--dry-run",
    is_flag=True,
    help="Store nothing: show, field by field, what the first records would be stored as, "
    "and a summary of warnings per tag.",
)
@click.option(
    "--show",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="With --dry-run: how many records to show.",
)
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
    dry_run: bool,
    show: int,
    method: str,
    platform: str,
    query: str,
    date_searched: str,
    db_path: Path | None,
    as_json: bool,
) -> None:
    """Import an export FILE (RIS, MEDLINE .nbib, PubMed XML, BibTeX or CSV) as one run."""
    if dry_run:
        preview = preview_file(file, database, fmt=fmt, encoding=encoding)
        _print_preview(preview, show, as_json)
        return
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
    _print_imported(imported)


def _print_imported(imported: FileImported) -> None:
    run = imported.run
    click.echo(
        f"{safe_for_terminal(run.database)} (run {run.id}, {imported.format}, "
        f"{imported.encoding}): {run.count_stored} stored, {run.count_new} new"
        + (f", {len(imported.skipped)} skipped" if imported.skipped else "")
        + "."
    )
    for line in run.warnings.splitlines()[: len(imported.skipped) + len(imported.renamed)]:
        warn(safe_for_terminal(line))
    if imported.warnings:
        _print_warnings(imported.warnings, "see them all with `screener search log`")


def _print_warnings(warnings: tuple, where: str, summary: bool = True) -> None:
    counts: dict[str, int] = {}
    for warning in warnings:
        counts[warning.tag] = counts.get(warning.tag, 0) + 1
    if summary:
        by_tag = ", ".join(f"{t} {n}" for t, n in sorted(counts.items(), key=lambda i: -i[1]))
        warn(safe_for_terminal(f"{len(warnings)} fields read leniently (by tag: {by_tag})"))
    for warning in warnings[:_SHOWN_WARNINGS]:
        warn(safe_for_terminal(describe_warning(warning)))
    if len(warnings) > _SHOWN_WARNINGS:
        warn(f"... and {len(warnings) - _SHOWN_WARNINGS} more: {where}")


def _print_preview(preview: ImportResult, show: int, as_json: bool) -> None:
    shown = preview.records[:show]
    if as_json:
        print_json(
            {
                "format": preview.format,
                "encoding": preview.encoding,
                "records": len(preview.records),
                "problems": preview.problems,
                "warnings_by_tag": preview.warnings_by_tag(),
                "warnings": preview.warnings,
                "shown": shown,
            }
        )
        return
    click.echo(
        f"Dry run: nothing stored. {len(preview.records)} records would be stored "
        f"({preview.format}, {preview.encoding})"
        + (f"; {len(preview.problems)} entries are broken" if preview.problems else "")
        + "."
    )
    for number, record in enumerate(shown, 1):
        click.echo(f"\n--- record {number} of {len(preview.records)}")
        for name, value in _stored_fields(record):
            click.echo(safe_for_terminal(f"{name:<18}{value}"))
    for problem in preview.problems[:_SHOWN_WARNINGS]:
        warn(safe_for_terminal(f"entry {problem.entry} (line {problem.line}): {problem.message}"))
    if preview.warnings:
        click.echo("\nWarnings per tag:")
        for tag, count in preview.warnings_by_tag().items():
            click.echo(safe_for_terminal(f"  {tag:<16}{count}"))
        _print_warnings(preview.warnings, "use --json to list them all", summary=False)


def _stored_fields(record: Record) -> list[tuple[str, str]]:
    """Every non-empty field as it would be stored (lists one item per line)."""
    rows = []
    for name in Record.field_names():
        value = getattr(record, name)
        if value in ("", None, ()):
            continue
        if isinstance(value, tuple):
            for item in value:
                shown = ": ".join(item) if isinstance(item, tuple) else item
                rows.append((name, shown))
        else:
            rows.append((name, str(value)))
    return rows
