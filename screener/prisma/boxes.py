"""The boxes of a PRISMA 2020 flow diagram, with their labels and numbers.

Core module: no IO. One description of the diagram (which boxes, in which phase and column,
with which lines) shared by the text, Markdown and SVG renderers, so all three say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.prisma.flow import Count, Flow

IDENTIFICATION, SCREENING, INCLUDED = "Identification", "Screening", "Included"
PHASES = (IDENTIFICATION, SCREENING, INCLUDED)
# Columns, left to right. A "side" column holds the boxes an arrow leads out to.
PREVIOUS, DBR, DBR_SIDE, OTHER, OTHER_SIDE = "previous", "dbr", "dbr_side", "other", "other_side"
# Rows, top to bottom.
ROWS = ("identified", "screened", "sought", "assessed", "included", "total", "meta_analysis")
ROW_PHASE = {
    "identified": IDENTIFICATION,
    "screened": SCREENING,
    "sought": SCREENING,
    "assessed": SCREENING,
    "included": INCLUDED,
    "total": INCLUDED,
    "meta_analysis": INCLUDED,
}


@dataclass(frozen=True)
class Line:
    """One line of a box: a label, its number (None for a heading line) and its indent."""

    label: str
    n: int | None = None
    depth: int = 0

    @property
    def text(self) -> str:
        return self.label if self.n is None else f"{self.label} (n = {self.n})"


@dataclass(frozen=True)
class Box:
    key: str
    row: str
    column: str
    lines: tuple[Line, ...]
    undecided: bool = False  # items awaiting a decision: drawn dashed, never as excluded


@dataclass(frozen=True)
class Diagram:
    headers: dict[str, str]  # column -> title ("dbr" and "other" span their side column)
    boxes: tuple[Box, ...]
    as_of: str
    notes: tuple[str, ...]

    def box(self, key: str) -> Box | None:
        return next((b for b in self.boxes if b.key == key), None)


def diagram(flow: Flow) -> Diagram:
    """Every box of the flow, in reading order (identification, screening, included)."""
    new = "new " if flow.has_previous else ""
    headers = {DBR: f"Identification of {new}studies via databases and registers"}
    if flow.has_previous:
        headers[PREVIOUS] = "Previous studies"
    if flow.has_other:
        headers[OTHER] = f"Identification of {new}studies via other methods"
    boxes = _identification(flow) + _screening(flow) + _other(flow) + _included(flow)
    return Diagram(headers, tuple(boxes), flow.inputs.as_of, flow.notes)


def _identification(flow: Flow) -> list[Box]:
    i = flow.inputs
    boxes = []
    if flow.has_previous:
        boxes.append(
            Box(
                "previous",
                "identified",
                PREVIOUS,
                (
                    Line("Studies included in previous version of review", i.previous_studies),
                    Line(
                        "Reports of studies included in previous version of review",
                        i.previous_reports,
                    ),
                ),
            )
        )
    identified = [Line("Records identified from:"), Line("Databases", flow.database_results, 1)]
    identified += _breakdown(i.databases, 2)
    identified += [Line("Registers", flow.register_results, 1)] + _breakdown(i.registers, 2)
    boxes += [
        Box("identified", "identified", DBR, tuple(identified)),
        Box(
            "removed",
            "identified",
            DBR_SIDE,
            (
                Line("Records removed before screening:"),
                Line("Duplicate records removed", i.duplicates_removed, 1),
                Line("Records marked as ineligible by automation tools", i.automation_excluded, 1),
                Line("Records removed for other reasons", i.other_removed, 1),
            ),
        ),
    ]
    return boxes


def _screening(flow: Flow) -> list[Box]:
    i = flow.inputs
    excluded = [Line("Records excluded", flow.records_excluded)]
    if i.records_excluded_automation:
        excluded += [
            Line("by a human", i.records_excluded_human, 1),
            Line("by automation tools", i.records_excluded_automation, 1),
        ]
    boxes = [
        Box("screened", "screened", DBR, (Line("Records screened", i.records_screened),)),
        Box("excluded", "screened", DBR_SIDE, tuple(excluded)),
    ]
    if i.records_undecided:
        boxes.append(
            Box(
                "records_undecided",
                "screened",
                DBR_SIDE,
                (Line("Records awaiting a screening decision", i.records_undecided),),
                undecided=True,
            )
        )
    boxes += [
        Box("sought", "sought", DBR, (Line("Reports sought for retrieval", i.reports_sought),)),
        Box(
            "not_retrieved",
            "sought",
            DBR_SIDE,
            (Line("Reports not retrieved", i.reports_not_retrieved),),
        ),
        Box(
            "assessed",
            "assessed",
            DBR,
            (Line("Reports assessed for eligibility", i.reports_assessed),),
        ),
        Box(
            "reports_excluded",
            "assessed",
            DBR_SIDE,
            (
                Line("Reports excluded", flow.reports_excluded_total),
                *_breakdown(i.reports_excluded, 1),
            ),
        ),
    ]
    if i.reports_undecided:
        boxes.append(
            Box(
                "reports_undecided",
                "assessed",
                DBR_SIDE,
                (Line("Reports awaiting an eligibility decision", i.reports_undecided),),
                undecided=True,
            )
        )
    return boxes


def _other(flow: Flow) -> list[Box]:
    if not flow.has_other:
        return []
    i = flow.inputs
    return [
        Box(
            "other_identified",
            "identified",
            OTHER,
            (Line("Records identified from:"), *_breakdown(i.other_methods, 1)),
        ),
        Box(
            "other_sought", "sought", OTHER, (Line("Reports sought for retrieval", i.other_sought),)
        ),
        Box(
            "other_not_retrieved",
            "sought",
            OTHER_SIDE,
            (Line("Reports not retrieved", i.other_not_retrieved),),
        ),
        Box(
            "other_assessed",
            "assessed",
            OTHER,
            (Line("Reports assessed for eligibility", i.other_assessed),),
        ),
        Box(
            "other_excluded",
            "assessed",
            OTHER_SIDE,
            (
                Line("Reports excluded", flow.other_excluded_total),
                *_breakdown(i.other_excluded, 1),
            ),
        ),
    ]


def _included(flow: Flow) -> list[Box]:
    i = flow.inputs
    if flow.has_previous:
        boxes = [
            Box(
                "included",
                "included",
                DBR,
                (
                    Line("New studies included in review", i.studies_included),
                    Line("Reports of new included studies", i.reports_included),
                ),
            ),
            Box(
                "total",
                "total",
                DBR,
                (
                    Line("Total studies included in review", flow.total_studies),
                    Line("Reports of total included studies", flow.total_reports),
                ),
            ),
        ]
    else:
        boxes = [
            Box(
                "included",
                "included",
                DBR,
                (
                    Line("Studies included in review", i.studies_included),
                    Line("Reports of included studies", i.reports_included),
                ),
            ),
        ]
    if i.meta_analysis_studies or i.meta_analysis_reports:
        boxes.append(
            Box(
                "meta_analysis",
                "meta_analysis",
                DBR,
                (
                    Line("Studies included in meta-analysis", i.meta_analysis_studies),
                    Line("Reports of studies included in meta-analysis", i.meta_analysis_reports),
                ),
            )
        )
    return boxes


def _breakdown(items: tuple[Count, ...], depth: int) -> list[Line]:
    return [Line(c.name, c.n, depth) for c in items]
