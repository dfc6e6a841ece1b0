"""The PRISMA 2020 flow as plain text (terminal) and Markdown (manuscript): every box.

Core module: no IO, no UI toolkit. Phases top to bottom, and within a phase the columns left to
right (previous studies, databases and registers, other methods), each box's lines indented.
"""

from __future__ import annotations

import re

from screener.prisma.boxes import (
    DBR,
    DBR_SIDE,
    OTHER,
    OTHER_SIDE,
    PHASES,
    PREVIOUS,
    ROW_PHASE,
    Box,
    Diagram,
    diagram,
)
from screener.prisma.flow import Flow

TITLE = "PRISMA 2020 flow diagram"
# Column groups in reading order; the side columns read with their main column.
_GROUPS = ((PREVIOUS,), (DBR, DBR_SIDE), (OTHER, OTHER_SIDE))
_UNDECIDED = "awaiting a decision, not excluded"


def to_text(flow: Flow) -> str:
    """A readable flow for the terminal: phases, column titles, boxes as indented lines."""
    d = diagram(flow)
    out = [TITLE + (f" (numbers as of {d.as_of})" if d.as_of else ""), ""]
    for phase in PHASES:
        out.append(phase.upper())
        for title, boxes in _sections(d, phase):
            if title:
                out.append(f"  {title}")
            indent = "    " if title else "  "
            for box in boxes:
                for number, line in enumerate(box.lines):
                    suffix = f"  [{_UNDECIDED}]" if box.undecided and number == 0 else ""
                    out.append(f"{indent}{'  ' * line.depth}{line.text}{suffix}")
        out.append("")
    out += _notes_text(d)
    return "\n".join(out).rstrip() + "\n"


def to_markdown(flow: Flow) -> str:
    """The flow as Markdown: a heading per phase, a bold title per column, nested lists."""
    d = diagram(flow)
    out = [f"## {TITLE}", ""]
    if d.as_of:
        out += [f"*Numbers as of {_md(d.as_of)}.*", ""]
    for phase in PHASES:
        out += [f"### {phase}", ""]
        for title, boxes in _sections(d, phase):
            if title:
                out += [f"**{_md(title)}**", ""]
            for box in boxes:
                for number, line in enumerate(box.lines):
                    suffix = f" *({_UNDECIDED})*" if box.undecided and number == 0 else ""
                    out.append(f"{'  ' * line.depth}- {_md(line.text)}{suffix}")
            out.append("")
    if d.notes:
        out += ["### Notes", ""] + [f"- {_md(note)}" for note in d.notes] + [""]
    return "\n".join(out).rstrip() + "\n"


def _sections(d: Diagram, phase: str) -> list[tuple[str, list[Box]]]:
    """(column title, boxes) for one phase, left to right; the title only where it is new."""
    sections = []
    for group in _GROUPS:
        boxes = [b for b in d.boxes if ROW_PHASE[b.row] == phase and b.column in group]
        if not boxes:
            continue
        title = d.headers.get(group[0], "") if phase == PHASES[0] else _screening_title(group)
        sections.append((title, boxes))
    if phase == PHASES[-1]:
        return [("", [b for _, boxes in sections for b in boxes])]
    return sections


def _screening_title(group: tuple[str, ...]) -> str:
    return {DBR: "Databases and registers", OTHER: "Other methods"}.get(group[0], "")


def _notes_text(d: Diagram) -> list[str]:
    if not d.notes:
        return []
    return ["Notes:"] + [f"  - {note}" for note in d.notes]


def _md(text: str) -> str:
    """Escape what Markdown would read as emphasis, code, links, tables or HTML."""
    return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", text)
