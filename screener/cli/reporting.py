"""`screener prisma`, `screener export` and `screener search report`: reports from the review."""

from __future__ import annotations

import json
from pathlib import Path

import click

from screener.cli.common import db_option, handle_errors, open_store
from screener.cli.output import Output, emit, formula_guard_option, output_option
from screener.prisma import to_markdown, to_prisma_csv, to_prisma_json, to_svg, to_text
from screener.queries import parse_cli_date
from screener.screening import STAGES
from screener.textsafe import safe_for_terminal
from screener.workflow import exporting
from screener.workflow.exporting import FORMATS as FORMATS_EXPORT
from screener.workflow.exporting import STATUSES
from screener.workflow.reporting import prisma_flow

FORMATS = ("text", "json", "csv", "markdown", "svg")


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@output_option
@click.option("--as-of", help="The numbers as they stood at the end of this day (YYYY-MM-DD).")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SCREENER_PRISMA_TEMPLATE",
    help="PRISMA2020 PRISMA.csv template to fill (csv format; default: built in).",
)
@click.option(
    "--update",
    is_flag=True,
    help="The updated-review variant: records found before the first update run (a later "
    "run of a search with a later cutoff) are the previous version.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@db_option
@handle_errors
def prisma(
    fmt: str,
    output: Output,
    as_of: str | None,
    template: Path | None,
    update: bool,
    as_json: bool,
    db_path: Path | None,
) -> None:
    """Every box of the PRISMA 2020 flow diagram, counted from what is stored.

    Formats: text and markdown (terminal, manuscript), json (keys of the PRISMA2020 R
    package), csv (the PRISMA2020 template with the numbers filled in, for the Shiny app
    and PRISMA_data()), svg (the diagram)."""
    if as_json:
        fmt = "json"
    day = parse_cli_date(as_of, "--as-of").isoformat() if as_of else None
    with open_store(db_path) as store:
        flow = prisma_flow(store, day, updated=update)
    if fmt == "json":
        text = json.dumps(_printable(to_prisma_json(flow)), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = to_prisma_csv(flow, _template(template))
    else:
        text = {"text": to_text, "markdown": to_markdown, "svg": to_svg}[fmt](flow)
    if fmt in ("text", "markdown"):  # names and reasons came from outside
        text = safe_for_terminal(text)
    emit(text, output, f"the PRISMA flow ({fmt})")


def _template(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # keep its CRLF line ends
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read the template ({exc}).") from None


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS_EXPORT), default="csv", show_default=True
)
@click.option("--stage", type=click.Choice(STAGES), default="full-text", show_default=True)
@click.option("--status", type=click.Choice(STATUSES), default="included", show_default=True)
@click.option(
    "--as",
    "viewer",
    default="",
    help="Include the votes you may see (yours; others' once reconciled).",
)
@click.option(
    "--excluded-full-text",
    is_flag=True,
    help="PRISMA item 16b: studies excluded at full text with reasons (Markdown).",
)
@output_option
@formula_guard_option
@db_option
@handle_errors
def export(
    fmt: str,
    stage: str,
    status: str,
    viewer: str,
    excluded_full_text: bool,
    output: Output,
    raw_cells: bool,
    db_path: Path | None,
) -> None:
    """Export records with their screening status as RIS, BibTeX or CSV."""
    with open_store(db_path) as store:
        if excluded_full_text:
            text = safe_for_terminal(exporting.excluded_full_text(store))  # titles from outside
            what = "the studies excluded at full text"
        else:
            text, count = exporting.export_text(
                store, fmt, stage, status, viewer, guard=not raw_cells
            )
            what = f"{count} record(s) {status if status != 'all' else ''} at {stage}"
    emit(text, output, " ".join(what.split()))


def _printable(value):
    """`value` with every string fit to print (JSON escapes C0 controls, not C1 or bidi)."""
    if isinstance(value, str):
        return safe_for_terminal(value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    return value


@click.command("report")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@output_option
@db_option
@handle_errors
def search_report(fmt: str, as_json: bool, output: Output, db_path: Path | None) -> None:
    """PRISMA-S search report: every source, query as run, limits, dates, counts."""
    from screener.workflow import ranking  # issue 13: automation in screening (item 8)

    with open_store(db_path) as store:
        report = exporting.search_report(store)
        automation = ranking.methods(store)
    automation["text"] = ranking.methods_text(automation)
    if as_json or fmt == "json":
        report = {**report, "screening_automation": automation}
        text = json.dumps(_printable(report), indent=2, ensure_ascii=False) + "\n"
    else:
        text = exporting.search_report_markdown(report)
        text += f"\n## Screening automation (PRISMA 2020 item 8)\n\n{automation['text']}\n"
    emit(text, output)
