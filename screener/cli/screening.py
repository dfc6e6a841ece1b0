"""Screening commands: review settings, screen (TUI), conflicts, resolve, agreement,
decisions import/export."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from screener.cli.common import (
    db_option,
    handle_errors,
    json_option,
    open_store,
    print_json,
    resolve_db,
    table,
    warn,
)
from screener.cli.output import Output, emit, formula_guard_option, output_option
from screener.errors import ScreenerError
from screener.screening import DECISIONS, ORDERS, STAGES, ReviewSettings
from screener.store import review_exists
from screener.textsafe import clean_line, safe_for_terminal
from screener.workflow import screening as flow

stage_option = click.option(
    "--stage",
    type=click.Choice(STAGES),
    default=STAGES[0],
    show_default=True,
    help="Screening stage.",
)


@click.group()
def review() -> None:
    """Review settings: reviewers, decisions needed, adjudicators, exclusion reasons; on a
    PostgreSQL server, logins (grant, team); moving a review between backends (copy)."""


@review.command("init")
@click.option("--reviewer", "reviewers", multiple=True, help="A reviewer (repeat for each).")
@click.option(
    "--adjudicator", "adjudicators", multiple=True, help="Who resolves conflicts (repeat for each)."
)
@click.option(
    "--required",
    type=int,
    default=2,
    show_default=True,
    help="Independent decisions needed per record at each stage.",
)
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    help="An exclusion reason (repeat; default: a standard list).",
)
@click.option(
    "--from-file",
    "toml_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read everything from a review.toml instead (see README).",
)
@click.option("--force", is_flag=True, help="Replace the settings of a review set up already.")
@click.option(
    "--as", "who", default="", help="Your name (an adjudicator, to replace existing settings)."
)
@click.option(
    "--order",
    type=click.Choice(ORDERS),
    default="relevance",
    show_default=True,
    help="Title-abstract queue: ranked by each reviewer's decisions, seeded random, or stored.",
)
@db_option
@json_option
@handle_errors
def init_cmd(
    reviewers, adjudicators, required, reasons, toml_file, force, who, order, db_path, as_json
) -> None:
    """Set up screening for this review (stored in the review database)."""
    with open_store(db_path, create=True) as store:
        if store.get_setting(flow.SETTINGS_KEY) is not None and not force:
            raise ScreenerError(
                "this review is set up already; change it with `screener review settings`, "
                "or replace every setting with `screener review init --force`."
            )
        if toml_file is not None:
            settings = flow.settings_from_file(store, _read(toml_file), str(toml_file), who)
        else:
            values = dict(
                reviewers=reviewers, adjudicators=adjudicators, required=required, order=order
            )
            if reasons:
                values["exclusion_reasons"] = reasons
            settings = flow.change_settings(store, ReviewSettings(**values), who)
    _show_settings(settings, as_json)


@review.command("settings")
@click.argument("toml_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reviewer", "reviewers", multiple=True, help="Add a reviewer.")
@click.option("--adjudicator", "adjudicators", multiple=True, help="Add an adjudicator.")
@click.option("--include-term", "include_terms", multiple=True, help="Add a highlight term.")
@click.option("--exclude-term", "exclude_terms", multiple=True, help="Add an exclude term.")
@click.option(
    "--as", "who", default="", help="Your name: an adjudicator, to change who screens or how."
)
@click.option("--order", type=click.Choice(ORDERS), help="Title-abstract queue order.")
@db_option
@json_option
@handle_errors
def settings_cmd(
    toml_file, reviewers, adjudicators, include_terms, exclude_terms, who, order, db_path, as_json
) -> None:
    """Show the settings; load a review.toml (TOML_FILE) or add names and terms.

    Once the review names adjudicators, only they may change it (--as NAME); anyone may
    add highlight terms."""
    with open_store(db_path) as store:
        if toml_file is not None:
            settings = flow.settings_from_file(store, _read(toml_file), str(toml_file), who)
        else:
            settings = flow.load_settings(store)
            added = dict(
                reviewers=reviewers,
                adjudicators=adjudicators,
                include_terms=include_terms,
                exclude_terms=exclude_terms,
            )
            changes = {
                k: tuple(dict.fromkeys((*getattr(settings, k), *v))) for k, v in added.items() if v
            }
            if order:
                changes["order"] = order
            if changes:
                settings = flow.change_settings(
                    store, dataclasses.replace(settings, **changes), who
                )
    _show_settings(settings, as_json)


@review.command("pilot")
@click.option("--size", type=int, help="Start a pilot: screen a random sample of this size.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the sample.")
@click.option("--end", is_flag=True, help="End the pilot: screening goes on with all records.")
@click.option(
    "--as", "who", default="", help="Your name (an adjudicator, once the review names one)."
)
@db_option
@json_option
@handle_errors
def pilot_cmd(
    size: int | None, seed: int, end: bool, who: str, db_path: Path | None, as_json: bool
) -> None:
    """Calibration: everyone screens the same random sample first; `screener agreement
    --pilot` reports how well they agreed before the full run."""
    with open_store(db_path) as store:
        ended = False
        if end:
            ended = flow.end_pilot(store, who)
        elif size:
            flow.start_pilot(store, size, seed, who)
        pilot = flow.current_pilot(store)
    if as_json:
        print_json(pilot)
        return
    if ended:
        click.echo("Pilot ended: `screener screen` shows every record again.")
    elif not pilot["ids"]:
        click.echo("No pilot is running; `--size N` starts one.")
    else:
        click.echo(
            f"Pilot running: {len(pilot['ids'])} records (seed {pilot['seed']}). "
            "`screener screen` shows only these until `screener review pilot --end`."
        )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScreenerError(f"{path}: cannot read it ({exc}).") from None


def _show_settings(settings: ReviewSettings, as_json: bool) -> None:
    if as_json:
        print_json(dataclasses.asdict(settings))
        return
    required = ", ".join(f"{stage} {n}" for stage, n in settings.required)
    click.echo(f"reviewers:         {', '.join(settings.reviewers) or '(anyone)'}")
    click.echo(f"adjudicators:      {', '.join(settings.adjudicators) or '(anyone)'}")
    click.echo(f"decisions needed:  {required}")
    click.echo(f"queue order:       {settings.order}")
    click.echo(f"maybe counts as:   {settings.maybe_counts_as}")
    click.echo("exclusion reasons: " + "; ".join(settings.exclusion_reasons))
    if settings.include_terms or settings.exclude_terms:
        click.echo(
            f"highlight:         +{', '.join(settings.include_terms)} "
            f"-{', '.join(settings.exclude_terms)}"
        )


@click.command()
@click.option("--reviewer", required=True, help="Who is screening (or adjudicating).")
@stage_option
@click.option(
    "--resolve", "resolve_mode", is_flag=True, help="Adjudicate conflicts instead of screening."
)
@db_option
@handle_errors
def screen(reviewer: str, stage: str, resolve_mode: bool, db_path: Path | None) -> None:
    """Screen records one at a time in the terminal UI (press ? for the keys).

    While a pilot is running (`screener review pilot`), only its sample is shown."""
    from screener.tui.app import make_app

    path = resolve_db(db_path)
    if not review_exists(path):
        raise ScreenerError(f"{path}: no review here yet; run a search or an import first.")
    with open_store(db_path) as store:
        flow.check_screener(store, reviewer, stage, resolve=resolve_mode)
    app = make_app(path, reviewer, stage, resolve=resolve_mode)
    app.run()
    if app.failure is not None:  # one line, as every other command: see screener.cli.run
        raise app.failure
    if app.return_code:
        sys.exit(app.return_code)


@click.command()
@stage_option
@click.option(
    "--as",
    "viewer",
    required=True,
    help="Who is asking: an adjudicator (reviewers may not see conflicts: blinding).",
)
@click.option(
    "--changed",
    is_flag=True,
    help="List votes changed after the other reviewer had voted (they may hide a conflict).",
)
@db_option
@json_option
@handle_errors
def conflicts(stage: str, viewer: str, changed: bool, db_path: Path | None, as_json: bool) -> None:
    """Records where the required reviewers disagree (adjudicators only)."""
    if changed:
        _print_late_changes(stage, viewer, db_path, as_json)
        return
    with open_store(db_path) as store:
        found = flow.conflicts(store, stage, viewer)
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo(f"No conflicts at {stage}.")
        return
    for conflict in found:
        click.echo(f"#{conflict.record_id}  {safe_for_terminal(clean_line(conflict.title))[:90]}")
        for vote in conflict.votes:
            extra = f" ({vote.reason})" if vote.reason else ""
            note = f" — {vote.note}" if vote.note else ""
            click.echo(safe_for_terminal(f"    {vote.reviewer}: {vote.decision}{extra}{note}"))
    click.echo(
        f"{len(found)} conflict(s). Resolve with `screener screen --resolve` or `screener resolve`."
    )


def _print_late_changes(stage: str, viewer: str, db_path: Path | None, as_json: bool) -> None:
    with open_store(db_path) as store:
        changes = flow.late_changes(store, stage, viewer)
    if as_json:
        print_json(changes)
        return
    if not changes:
        click.echo(f"No vote at {stage} was changed after the other reviewer had voted.")
        return
    for c in changes:
        click.echo(
            safe_for_terminal(
                f"#{c.record_id}  {c.reviewer}: {c.before} -> {c.after or 'withdrawn'}  ({c.at})"
            )
        )
    click.echo(
        f"{len(changes)} vote(s) changed after the other reviewer had voted: agreement uses "
        "the votes as they were first; check these records."
    )


@click.command()
@click.argument("record", type=int)
@click.option("--decision", type=click.Choice(DECISIONS), required=True)
@click.option("--reason", default="", help="Exclusion reason (required to exclude at full text).")
@click.option("--rationale", default="", help="Why: recorded with the resolution.")
@click.option("--as", "adjudicator", required=True, help="The adjudicator's name.")
@click.option(
    "--override",
    is_flag=True,
    help="Overrule a decision the reviewers agreed on (with --rationale).",
)
@stage_option
@db_option
@json_option
@handle_errors
def resolve(
    record: int,
    decision: str,
    reason: str,
    rationale: str,
    adjudicator: str,
    override: bool,
    stage: str,
    db_path: Path | None,
    as_json: bool,
) -> None:
    """Record the final decision on RECORD at a stage (a conflict, or any record).

    Overriding a decision the reviewers agreed on needs --override and a --rationale."""
    with open_store(db_path) as store:
        outcome = flow.resolve(
            store, record, stage, decision, reason, rationale, adjudicator, override=override
        )
    if as_json:
        print_json(outcome)
        return
    click.echo(
        f"Record {record} at {stage}: {outcome.decision}"
        + (f" ({outcome.reason})" if outcome.reason else "")
        + f", by {adjudicator}."
    )


@click.command()
@stage_option
@click.option("--pilot", "pilot_only", is_flag=True, help="Only the pilot sample's records.")
@click.option("--as", "viewer", default="", help="An adjudicator: include unresolved conflicts.")
@db_option
@json_option
@handle_errors
def agreement(
    stage: str, pilot_only: bool, viewer: str, db_path: Path | None, as_json: bool
) -> None:
    """Percent agreement, Cohen's kappa (95% CI), PABAK and the 2x2 table per pair.

    Over reconciled records only, unless an adjudicator asks (--as): then over every
    record both reviewers decided, conflicts included."""
    with open_store(db_path) as store:
        pairs = flow.stage_agreement(store, stage, pilot_only=pilot_only, viewer=viewer)
        is_adjudicator = flow.is_adjudicator(store, viewer)
        changed = len(flow.count_late_changes(store, stage)) if is_adjudicator else None
    if as_json:
        print_json(pairs)
        return
    if not pairs:
        click.echo(f"No two reviewers have both decided the same records at {stage} yet.")
        return
    if is_adjudicator:
        click.echo(
            "Counted over every record both reviewers decided, on each reviewer's first "
            "independent vote."
            + (
                f" {changed} vote(s) were changed later (see `conflicts --changed`)."
                if changed
                else ""
            )
        )
    else:
        click.echo(
            "Counted only over reconciled records (agreed, or conflicts already resolved), on "
            "each reviewer's first independent vote: unresolved conflicts are left out, so "
            "this overstates agreement until they are resolved. An adjudicator (--as) sees "
            "the figures over every record."
        )
    for p in pairs:
        kappa = "undefined" if p.kappa is None else f"{p.kappa:.3f}"
        ci = "" if p.kappa_ci is None else f" (95% CI {p.kappa_ci[0]:.3f} to {p.kappa_ci[1]:.3f})"
        (ii, ie), (ei, ee) = p.table
        click.echo(
            f"{p.reviewer_a} vs {p.reviewer_b} at {stage}: n = {p.n}, agreement "
            f"{p.percent_agreement:.1f}%, kappa {kappa}{ci}, PABAK {p.pabak:.3f}"
        )
        if p.not_retrieved:
            click.echo(f"  ({p.not_retrieved} record(s) marked not retrieved are left out)")
        click.echo(
            table(
                [["include", str(ii), str(ie)], ["exclude", str(ei), str(ee)]],
                [f"{p.reviewer_a} \\ {p.reviewer_b}", "include", "exclude"],
            )
        )


@click.group()
def decisions() -> None:
    """Import decisions made elsewhere, or export them (blinded)."""


@decisions.command("export")
@click.option(
    "--as",
    "viewer",
    required=True,
    help="Who exports: others' votes appear only once records are reconciled.",
)
@click.option("--stage", type=click.Choice(STAGES), default=None, help="One stage only.")
@output_option
@formula_guard_option
@db_option
@handle_errors
def export_cmd(
    viewer: str, stage: str | None, output: Output, raw_cells: bool, db_path: Path | None
) -> None:
    """Decisions as CSV: record_id, doi, pmid, title, reviewer, stage, decision, reason,
    note, time."""
    with open_store(db_path) as store:
        text = flow.export_decisions(store, viewer, stage, guard=not raw_cells)
    emit(text, output, f"{text.count(chr(10)) - 1} decision(s)")


@decisions.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reviewer", default="", help="Reviewer for rows without a reviewer column.")
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    default=None,
    help="Stage for rows without a stage column (default title-abstract).",
)
@click.option("--skip-bad", is_flag=True, help="Import the good rows and list the bad ones.")
@click.option(
    "--as",
    "who",
    required=True,
    help="Who is importing the file (recorded as the actor in the audit log; the votes "
    "stay the reviewers').",
)
@db_option
@json_option
@handle_errors
def import_cmd(
    file: Path,
    reviewer: str,
    stage: str | None,
    skip_bad: bool,
    who: str,
    db_path: Path | None,
    as_json: bool,
) -> None:
    """Import decisions from a CSV (record_id or doi or pmid, reviewer, stage, decision,
    reason, note, time), all in one transaction: nothing is stored if a row is bad.

    Rows naming a duplicate go to its group's record. A column the file lacks (note,
    time) leaves what is stored alone."""
    with open_store(db_path) as store:
        who = flow.check_person(flow.load_settings(store), who, store.login)
        result = flow.import_decisions(
            store,
            _read(file),
            str(file),
            reviewer=reviewer,
            stage=stage or "",
            skip_bad=skip_bad,
            recorded_by=who,
        )
    if as_json:
        print_json(result)
        return
    click.echo(
        f"Imported {result.rows} decision(s) from {file} on {result.records} record(s): "
        f"{result.stored} stored, {result.unchanged} already so."
    )
    if result.to_canonical:
        click.echo(
            f"{result.to_canonical} row(s) named a duplicate record and went to the record "
            "its group is screened as."
        )
    if result.free_text_reasons:
        warn(
            "title/abstract reasons not in the review's list, kept as written: "
            + "; ".join(safe_for_terminal(r) for r in result.free_text_reasons)
        )
    for problem in result.skipped:
        warn(f"skipped {safe_for_terminal(problem)}")
