"""`screener ranking status|stop-check`, `screener simulate`, `screener methods` and
`screener review stop-screening`: screening prioritisation from the command line."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import click

from screener.cli.common import db_option, handle_errors, json_option, open_store, print_json
from screener.cli.output import check_target, emit, output_option, write_text
from screener.errors import ScreenerError
from screener.screening import TITLE_ABSTRACT
from screener.textsafe import safe_for_terminal

# The same as screener.screening.stopping.RULES (a test checks): the ranking modules pull
# in numpy and scipy, which every other command should not wait for.
BUSCAR, RULES = "buscar", ("buscar", "consecutive")


def _flow():
    from screener.workflow import ranking

    return ranking


def _rule_options(func):
    func = click.option(
        "--consecutive",
        type=int,
        default=100,
        show_default=True,
        help="For --rule consecutive: excludes in a row needed.",
    )(func)
    func = click.option(
        "--confidence",
        type=float,
        default=0.95,
        show_default=True,
        help="Confidence of the statistical rule.",
    )(func)
    func = click.option(
        "--recall", type=float, default=0.95, show_default=True, help="Recall target."
    )(func)
    return click.option(
        "--rule",
        type=click.Choice(RULES),
        default=BUSCAR,
        show_default=True,
        help="buscar: hypergeometric test (Callaghan & Müller-Hansen 2020); "
        "consecutive: N excludes in a row (no recall guarantee).",
    )(func)


@click.group()
def ranking() -> None:
    """Screening prioritisation: each reviewer's ranked queue and when to stop."""


@ranking.command("status")
@click.option("--reviewer", required=True, help="Whose queue (only their own numbers).")
@db_option
@json_option
@handle_errors
def status_cmd(reviewer: str, db_path: Path | None, as_json: bool) -> None:
    """A reviewer's progress at title-abstract and the includes the model expects among
    the records they have not screened."""
    with open_store(db_path) as store:
        status = _flow().ranking_status(store, reviewer)
    if as_json:
        print_json(status)
        return
    order = status["order"]
    if order == "relevance":
        order += (
            " (ranked by your decisions)"
            if status["ranked"]
            else (" (random until you have an include and an exclude)")
        )
    estimate = status["estimated_relevant_remaining"]
    lines = [
        f"Reviewer: {safe_for_terminal(status['reviewer'])}",
        f"Order: {order}",
        f"Screened: {status['screened']:,} of {status['records']:,} "
        f"({status['include']} include, {status['exclude']} exclude, {status['maybe']} maybe)",
        f"Remaining: {status['remaining']:,}",
    ]
    if estimate is not None:
        lines.append(f"Relevant records the model expects among them: about {estimate:.0f}")
    lines.append(f"Stopping (buscar, 95% recall, 95% confidence): {status['stopping']['reason']}")
    click.echo("\n".join(lines))


@ranking.command("stop-check")
@click.option("--reviewer", required=True, help="Whose own sequence of decisions to test.")
@_rule_options
@db_option
@json_option
@handle_errors
def stop_check_cmd(reviewer, rule, recall, confidence, consecutive, db_path, as_json) -> None:
    """Whether a stopping rule is met on a reviewer's own title-abstract decisions, and why."""
    with open_store(db_path) as store:
        check = _flow().stop_check(
            store,
            reviewer,
            rule=rule,
            recall=recall,
            confidence=confidence,
            consecutive=consecutive,
        )
    if as_json:
        print_json(check.as_dict())
        return
    verdict = "MET: screening may stop" if check.met else "NOT MET: keep screening"
    click.echo(f"{verdict}.\n{check.reason}")


@click.command("stop-screening")
@click.option(
    "--stage",
    type=click.Choice([TITLE_ABSTRACT]),
    default=TITLE_ABSTRACT,
    show_default=True,
    help="The stage to stop (title-abstract only).",
)
@_rule_options
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    help="Whose sequence must meet the rule (repeat; default: everyone who screened).",
)
@click.option("--as", "adjudicator", required=True, help="The adjudicator who decides.")
@db_option
@json_option
@handle_errors
def stop_screening_cmd(
    stage, rule, recall, confidence, consecutive, reviewers, adjudicator, db_path, as_json
) -> None:
    """Record the decision to stop title-abstract screening by a rule, with its statistics.
    Records nobody screened are then reported in PRISMA as marked ineligible by automation
    tools (excluded_automatic), never as excluded by reviewers."""
    with open_store(db_path) as store:
        decision = _flow().stop_screening(
            store,
            stage,
            adjudicator,
            reviewers,
            rule=rule,
            recall=recall,
            confidence=confidence,
            consecutive=consecutive,
        )
    if as_json:
        print_json(decision)
        return
    click.echo(
        f"Stopped {stage} screening by the {rule} rule (recall target {recall:.0%}); "
        f"{decision['marked_by_automation']:,} records not screened are counted as marked "
        "ineligible by automation tools."
    )


@click.command()
@db_option
@json_option
@handle_errors
def methods(db_path: Path | None, as_json: bool) -> None:
    """The methods text on automation in screening (PRISMA 2020 item 8): tool, model,
    features, stopping rule, recall target and the number screened."""
    with open_store(db_path) as store:
        info = _flow().methods(store)
    if as_json:
        print_json({**info, "text": _flow().methods_text(info)})
        return
    click.echo(_flow().methods_text(info))


@click.command()
@click.argument("labels_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of priors and model.")
@click.option("--prior-included", type=int, default=1, show_default=True)
@click.option("--prior-excluded", type=int, default=1, show_default=True)
@click.option(
    "--label",
    "label_column",
    default="",
    help="The 0/1 label column [default: label_included, included, label, "
    "label_final or final_decision].",
)
@click.option(
    "--recall",
    type=float,
    default=0.95,
    show_default=True,
    help="Recall target of the stopping rule.",
)
@click.option("--confidence", type=float, default=0.95, show_default=True)
@output_option
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the recall curve: a .svg, or a .png (needs matplotlib).",
)
@json_option
@handle_errors
def simulate(
    labels_csv,
    seed,
    prior_included,
    prior_excluded,
    label_column,
    recall,
    confidence,
    output,
    plot,
    as_json,
) -> None:
    """Replay a labelled review (CSV: title, abstract, a 0/1 label) through the ranking the
    screen uses; report records screened to 95% and 100% recall, WSS@95, recall after 10%,
    where the stopping rule stops and the recall there, time and peak memory."""
    if plot is not None and plot.suffix.lower() not in (".svg", ".png"):
        raise ScreenerError(f"{plot}: --plot writes a .svg or a .png file.")
    try:
        text = labels_csv.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScreenerError(f"{labels_csv}: cannot read it ({exc}); give a UTF-8 CSV.") from None
    if "\r" in text:  # as a text file reads: \r\n and \r end lines (decoding alone is faster)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    started = time.perf_counter()
    from screener.workflow import simulating

    data = simulating.read_labelled(text, str(labels_csv), label_column)
    with click.progressbar(
        length=int(data.labels.sum()), label="includes found", file=sys.stderr
    ) as bar:
        done = [0]

        def progress(found: int, total: int) -> None:
            bar.update(found - done[0])
            done[0] = found

        figures, curve = simulating.run_simulation(
            data,
            seed=seed,
            prior_included=prior_included,
            prior_excluded=prior_excluded,
            recall=recall,
            confidence=confidence,
            progress=progress,
        )
    figures["wall_seconds"] = round(time.perf_counter() - started, 2)
    figures["peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if not output.to_stdout:  # the curve goes to the file; the figures stay on stdout
        emit(simulating.curve_csv(curve), output, "the recall curve")
    if plot is not None:
        title = f"{labels_csv.name} (seed {seed})"
        if plot.suffix.lower() == ".svg":
            svg = simulating.curve_svg(curve, title, figures["stopped_at"])
            write_text(plot, svg, output.force)
        else:
            check_target(plot, output.force)
            simulating.curve_png(curve, title, str(plot), figures["stopped_at"])
    if as_json:
        print_json(figures)
        return
    click.echo(_simulation_text(labels_csv.name, figures))


def _simulation_text(name: str, f: dict) -> str:
    stop = (
        f"after {f['stopped_at']:,} records, recall {f['recall_at_stop']:.1%}"
        if f["stopped_at"]
        else "never (it would screen everything)"
    )
    return "\n".join(
        [
            f"{safe_for_terminal(name)}: {f['records']:,} records, {f['includes']} includes "
            f"(seed {f['seed']}, priors {f['prior_included']} + {f['prior_excluded']})",
            f"Screened to 95% recall:  {f['screened_to_95']:,}",
            f"Screened to 100% recall: {f['screened_to_100']:,}",
            f"WSS@95:                  {f['wss_95']:.3f}",
            f"Recall after 10%:        {f['recall_at_10pct']:.1%}",
            f"Stopping rule ({f['stop_rule']}): stops {stop}",
            f"Wall time {f['wall_seconds']:.1f} s, peak memory {f['peak_memory_mib']} MiB",
        ]
    )
