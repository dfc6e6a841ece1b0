"""The PRISMA 2020 flow diagram as plain SVG 1.1.

Core module: no IO. The layout follows the PRISMA 2020 templates: blue phase labels on the left
(identification, screening, included); a grey "Previous studies" column for an updated review;
the databases-and-registers column with its exclusion boxes to the right; a grey other-methods
column when other methods were used; the included boxes at the bottom of the main column.
Items awaiting a decision get dashed boxes of their own, never the excluded boxes.

Only rectangles, lines, polygons and <text> with a generic font list: no scripts, no external
fonts, no markers or CSS, so browsers, LibreOffice and Word draw it alike. Each box is a
<g id="box-KEY"> whose <text> lines, joined by spaces, read as the box's lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from screener.prisma.boxes import (
    DBR,
    DBR_SIDE,
    OTHER,
    OTHER_SIDE,
    PHASES,
    PREVIOUS,
    ROW_PHASE,
    ROWS,
    Box,
    Diagram,
    Line,
    diagram,
)
from screener.prisma.flow import Flow
from screener.textsafe import clean_line

FONT = "Arial, Helvetica, Liberation Sans, DejaVu Sans, sans-serif"
SIZE = 12  # px
LINE_H = 15
CHAR_W = 0.58 * SIZE  # a generous average glyph width, so wrapped text fits its box
PAD = 8
INDENT = 12
BOX_W, COL_GAP, ROW_GAP, STACK_GAP = 280, 54, 34, 14
MARGIN, BAR_W, BAR_GAP, HEADER_GAP = 20, 28, 16, 22
HEAD_LEN, HEAD_HALF = 9, 4.5
COLOURS = {
    DBR: "#FFC125",  # the PRISMA2020 package's goldenrod title box
    "grey": "#DCDCDC",  # title boxes of the previous-studies and other-methods columns
    "greybox": "#EFEFEF",  # boxes of those columns
    "phase": "#BCD2EE",  # light steel blue phase labels
}


@dataclass
class _Placed:
    box: Box
    x: float
    y: float
    w: float
    h: float
    lines: list[tuple[str, int]]  # wrapped (text, depth)

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def to_svg(flow: Flow) -> str:
    """The flow diagram as a standalone SVG 1.1 document."""
    d = diagram(flow)
    columns = [c for c in (PREVIOUS, DBR, DBR_SIDE, OTHER, OTHER_SIDE) if _has_column(d, c)]
    col_x = {c: MARGIN + BAR_W + BAR_GAP + k * (BOX_W + COL_GAP) for k, c in enumerate(columns)}
    width = col_x[columns[-1]] + BOX_W + MARGIN
    headers, header_h = _headers(d, col_x)
    placed, row_span = _place_rows(d, col_x, MARGIN + header_h + HEADER_GAP)
    bottom = max(p.y + p.h for p in placed.values())
    footer = _footer(d)
    height = bottom + 20 + LINE_H * len(footer) + MARGIN
    body = [f'<rect x="0" y="0" width="{width}" height="{height:.0f}" fill="#FFFFFF"/>']
    body += headers + _phases(row_span)
    body += [_draw_box(p) for p in placed.values()]
    body += _arrows(placed, col_x)
    body += [
        _text(MARGIN, bottom + 24 + LINE_H * k, line, "start") for k, line in enumerate(footer)
    ]
    return _document(width, height, body, d)


def _has_column(d: Diagram, column: str) -> bool:
    if column in (OTHER_SIDE, DBR_SIDE):
        return any(b.column == column for b in d.boxes)
    return column in d.headers or any(b.column == column for b in d.boxes)


def _headers(d: Diagram, col_x: dict[str, float]) -> tuple[list[str], float]:
    spans = {PREVIOUS: (PREVIOUS, PREVIOUS), DBR: (DBR, DBR_SIDE), OTHER: (OTHER, OTHER_SIDE)}
    items = []
    for column, title in d.headers.items():
        first, last = spans[column]
        x0, x1 = col_x[first], col_x.get(last, col_x[first]) + BOX_W
        items.append((column, title, x0, x1 - x0, _wrap(Line(title), x1 - x0 - 2 * PAD)))
    height = max(2 * PAD + LINE_H * len(lines) for *_, lines in items)
    out = []
    for column, _title, x, w, lines in items:
        fill = COLOURS[DBR] if column == DBR else COLOURS["grey"]
        out.append(f'<g id="header-{column}">')
        out.append(_rect(x, MARGIN, w, height, fill, rx=8))
        out += _lines(lines, x, MARGIN, w, height, "middle", bold=True)
        out.append("</g>")
    return out, height


def _place_rows(d: Diagram, col_x: dict[str, float], top: float):
    """Place boxes row by row; a row's first boxes share one centre line for the arrows."""
    placed: dict[str, _Placed] = {}
    row_span: dict[str, tuple[float, float]] = {}
    for row in ROWS:
        cells: dict[str, list[_Placed]] = {}
        for box in (b for b in d.boxes if b.row == row):
            lines = _box_lines(box)
            cells.setdefault(box.column, []).append(
                _Placed(box, col_x[box.column], 0, BOX_W, 2 * PAD + LINE_H * len(lines), lines)
            )
        if not cells:
            continue
        anchor = top + max(stack[0].h for stack in cells.values()) / 2
        for stack in cells.values():
            y = anchor - stack[0].h / 2
            for p in stack:
                p.y, y = y, y + p.h + STACK_GAP
                placed[p.box.key] = p
        bottom = max(p.y + p.h for stack in cells.values() for p in stack)
        row_span[row] = (top, bottom)
        top = bottom + ROW_GAP
    return placed, row_span


def _phases(row_span: dict[str, tuple[float, float]]) -> list[str]:
    out = []
    for phase in PHASES:
        spans = [span for row, span in row_span.items() if ROW_PHASE[row] == phase]
        if not spans:
            continue
        y0, y1 = spans[0][0], spans[-1][1]
        cx, cy = MARGIN + BAR_W / 2, (y0 + y1) / 2
        size = min(SIZE + 1, (y1 - y0 - 12) / (len(phase) * CHAR_W / SIZE))  # fit the bar
        out.append(f'<g id="phase-{phase.lower()}">')
        out.append(_rect(MARGIN, y0, BAR_W, y1 - y0, COLOURS["phase"], rx=8, stroke="none"))
        out.append(
            f'<text x="{cx:.1f}" y="{cy + size * 0.35:.1f}" transform="rotate(-90 {cx:.1f} '
            f'{cy:.1f})" text-anchor="middle" font-family="{FONT}" font-size="{size:.1f}" '
            f'font-weight="bold" fill="#000000">{escape(phase)}</text>'
        )
        out.append("</g>")
    return out


def _centred(box: Box) -> bool:
    """Boxes of "label (n = x)" items are centred; lists with a heading or indent are not."""
    return all(line.depth == 0 and line.n is not None for line in box.lines)


def _box_lines(box: Box) -> list[tuple[str, int]]:
    """Wrapped lines; centred items are kept apart by an empty line so each reads whole."""
    out: list[tuple[str, int]] = []
    for line in box.lines:
        if out and _centred(box):
            out.append(("", 0))
        out += _wrap(line, BOX_W - 2 * PAD)
    return out


def _draw_box(p: _Placed) -> str:
    grey = p.box.column in (PREVIOUS, OTHER, OTHER_SIDE)
    fill = COLOURS["greybox"] if grey else "#FFFFFF"
    dash = ' stroke-dasharray="6,4"' if p.box.undecided else ""
    anchor = "middle" if _centred(p.box) else "start"
    out = [f'<g id="box-{p.box.key}">', _rect(p.x, p.y, p.w, p.h, fill, extra=dash)]
    out += _lines(p.lines, p.x, p.y, p.w, p.h, anchor)
    out.append("</g>")
    return "\n".join(out)


def _lines(lines, x, y, w, h, anchor: str, bold: bool = False) -> list[str]:
    top = y + (h - LINE_H * len(lines)) / 2 + LINE_H * 0.78
    out = []
    for k, (text, depth) in enumerate(lines):
        if not text:
            continue
        tx = x + w / 2 if anchor == "middle" else x + PAD + INDENT * depth
        out.append(_text(tx, top + LINE_H * k, text, anchor, bold))
    return out


def _arrows(placed: dict[str, _Placed], col_x: dict[str, float]) -> list[str]:
    out = []
    down = (
        ("identified", "screened"),
        ("screened", "sought"),
        ("sought", "assessed"),
        ("assessed", "included"),
        ("included", "total"),
        ("other_identified", "other_sought"),
        ("other_sought", "other_assessed"),
    )
    right = (
        ("identified", "removed"),
        ("screened", "excluded"),
        ("sought", "not_retrieved"),
        ("assessed", "reports_excluded"),
        ("other_sought", "other_not_retrieved"),
        ("other_assessed", "other_excluded"),
    )
    for a, b in down:
        if a in placed and b in placed:
            out.append(
                _arrow([(placed[a].cx, placed[a].y + placed[a].h), (placed[a].cx, placed[b].y)])
            )
    for a, b in right:
        if a in placed and b in placed:
            y = placed[a].cy
            out.append(_arrow([(placed[a].x + placed[a].w, y), (placed[b].x, y)]))
    last = "total" if "total" in placed else "included"
    if "meta_analysis" in placed:
        src, dst = placed[last], placed["meta_analysis"]
        out.append(_arrow([(src.cx, src.y + src.h), (src.cx, dst.y)]))
    for source, branch in (("screened", "records_undecided"), ("assessed", "reports_undecided")):
        if source in placed and branch in placed:
            src, dst = placed[source], placed[branch]
            mid = src.x + src.w + COL_GAP / 2
            out.append(_arrow([(mid, src.cy), (mid, dst.cy), (dst.x, dst.cy)], dashed=True))
    if "other_assessed" in placed:
        src, dst = placed["other_assessed"], placed["included"]
        out.append(_arrow([(src.cx, src.y + src.h), (src.cx, dst.cy), (dst.x + dst.w, dst.cy)]))
    if "previous" in placed and "total" in placed:
        src, dst = placed["previous"], placed["total"]
        out.append(_arrow([(src.cx, src.y + src.h), (src.cx, dst.cy), (dst.x, dst.cy)]))
    return out


def _arrow(points: list[tuple[float, float]], dashed: bool = False) -> str:
    """A polyline ending in a filled arrowhead at its last point."""
    (x0, y0), (x1, y1) = points[-2], points[-1]
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    bx, by = x1 - ux * HEAD_LEN, y1 - uy * HEAD_LEN
    shaft = [*points[:-1], (bx, by)]
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in shaft)
    head = [
        (x1, y1),
        (bx - uy * HEAD_HALF, by + ux * HEAD_HALF),
        (bx + uy * HEAD_HALF, by - ux * HEAD_HALF),
    ]
    hpts = " ".join(f"{x:.1f},{y:.1f}" for x, y in head)
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    return (
        f'<g class="arrow"><polyline points="{pts}" fill="none" stroke="#000000" '
        f'stroke-width="1.3"{dash}/><polygon points="{hpts}" fill="#000000"/></g>'
    )


def _wrap(line: Line, width: float) -> list[tuple[str, int]]:
    """Greedy word wrap; "(n = 12)" stays whole so a number never splits from its brackets."""
    chars = max(8, int((width - INDENT * line.depth) / CHAR_W))
    tokens = line.label.split() + ([f"(n = {line.n})"] if line.n is not None else [])
    out, current = [], ""
    for token in tokens:
        if current and len(current) + 1 + len(token) > chars:
            out.append(current)
            current = token
        else:
            current = f"{current} {token}" if current else token
    out.append(current)
    # Continuation lines of an indented item keep its indent.
    return [(text, line.depth) for text in out]


def _footer(d: Diagram) -> list[str]:
    out = [f"Numbers as of {d.as_of}."] if d.as_of else []
    if any(b.undecided for b in d.boxes):
        out.append("Dashed boxes: items awaiting a decision; they are not counted as excluded.")
    return out


def _rect(x, y, w, h, fill, rx=0, stroke="#000000", extra="") -> str:
    corner = f' rx="{rx}" ry="{rx}"' if rx else ""
    line = f' stroke="{stroke}" stroke-width="1"' if stroke != "none" else ' stroke="none"'
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"{corner} '
        f'fill="{fill}"{line}{extra}/>'
    )


def _text(x: float, y: float, text: str, anchor: str, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-family="{FONT}" '
        f'font-size="{SIZE}"{weight} fill="#000000">{_xml(text)}</text>'
    )


def _xml(text: str) -> str:
    """Text for an XML element: control characters (not allowed in XML 1.0) removed."""
    return escape(clean_line(text))


def _document(width: float, height: float, body: list[str], d: Diagram) -> str:
    title = "PRISMA 2020 flow diagram" + (f", numbers as of {d.as_of}" if d.as_of else "")
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">',
            f"<title>{_xml(title)}</title>",
            *body,
            "</svg>",
            "",
        ]
    )
