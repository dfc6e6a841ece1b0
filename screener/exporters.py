"""Write records as RIS, BibTeX or CSV text, with their screening status and notes.

Core module: pure functions returning text (the caller writes the file). The RIS and
BibTeX written here read back into Zotero, EndNote, rispy, bibtexparser, and screener's
own importers with the same fields.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from screener.models import Record
from screener.textsafe import clean_text

_RIS_TYPES = {
    "article": "JOUR",
    "inproceedings": "CPAPER",
    "book": "BOOK",
    "inbook": "CHAP",
    "incollection": "CHAP",
    "phdthesis": "THES",
    "thesis": "THES",
    "techreport": "RPRT",
    "report": "RPRT",
    "preprint": "UNPB",
    "unpublished": "UNPB",
    "dataset": "DATA",
    "misc": "GEN",
    "online": "ELEC",
}
_BIB_TYPES = {
    "article": "article",
    "inproceedings": "inproceedings",
    "book": "book",
    "inbook": "incollection",
    "incollection": "incollection",
    "phdthesis": "phdthesis",
    "thesis": "phdthesis",
    "techreport": "techreport",
    "report": "techreport",
    "misc": "misc",
    "online": "online",
    "unpublished": "unpublished",
}
# BibTeX entry types whose `number` is an issue (elsewhere it numbers a series or report).
_BIB_PERIODICALS = frozenset({"article", "misc", "online", "unpublished"})
_BIB_CONTAINED = frozenset({"inproceedings", "incollection"})  # journal -> booktitle
CSV_COLUMNS = (
    "record_id",
    "status",
    "decision",
    "reason",
    "votes",
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "pmcid",
    "source",
    "source_id",
    "group_size",
    "flags",
    "abstract",
    "keywords",
    "url",
    "fulltext",
)


@dataclass(frozen=True)
class ExportItem:
    """One record to export and what the review says of it."""

    record_id: int
    record: Record
    status: str  # included | excluded | undecided
    decision: str = ""  # the final decision at the stage, if any
    reason: str = ""
    votes: tuple[str, ...] = ()  # "reviewer: decision (reason) — note", as the viewer may see
    group_size: int = 1
    fulltext: str = ""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _pages(pages: str) -> tuple[str, str]:
    start, _, end = pages.partition("-")
    return start.strip(), end.strip()


def to_ris(items: Iterable[ExportItem]) -> str:
    """RIS that screener, rispy, Zotero and EndNote read back with the same fields."""
    lines: list[str] = []
    for item in items:
        r = item.record
        tag = lines.append
        kind = _RIS_TYPES.get(r.entry_type, "GEN" if r.entry_type else "JOUR")
        tag(f"TY  - {kind}")
        tag(f"ID  - {item.record_id}")
        if r.title:
            tag(f"TI  - {_one_line(r.title)}")
        for author in r.authors:
            tag(f"AU  - {_one_line(author)}")
        if r.year:
            tag(f"PY  - {r.year}")
        if r.journal:
            tag(f"T2  - {_one_line(r.journal)}")
        if r.journal_abbrev:
            tag(f"J2  - {_one_line(r.journal_abbrev)}")
        extra = dict(r.extra)
        for name, value in (
            ("T3", extra.get("series", "")),
            ("VL", r.volume),
            ("IS", r.issue),
            ("DO", r.doi),
            ("SN", r.issn),
            ("PB", r.publisher),
            ("LA", r.language),
            ("UR", r.url),
        ):
            if value:
                tag(f"{name}  - {_one_line(value)}")
        start, end = _pages(r.pages)
        if start:
            tag(f"SP  - {start}")
        if end:
            tag(f"EP  - {end}")
        if r.pmid:
            tag(f"C2  - PMID: {r.pmid}")
        if r.pmcid:  # a note, since rispy and others keep only one C2
            tag(f"N1  - PMCID: {r.pmcid}")
        if r.publication_types:  # one line: rispy and others keep a single M3
            tag(f"M3  - {'; '.join(_one_line(t) for t in r.publication_types)}")
        if r.abstract:
            tag(f"AB  - {_one_line(r.abstract)}")
        for keyword in (*r.keywords, *r.mesh):
            tag(f"KW  - {_one_line(keyword)}")
        for note in _notes(item):
            tag(f"N1  - {note}")
        tag("ER  - ")
        tag("")
    return "\n".join(lines)


def _notes(item: ExportItem) -> list[str]:
    notes = [
        f"screener: {item.status}"
        + (f" ({item.decision})" if item.decision else "")
        + (f"; reason: {item.reason}" if item.reason else "")
    ]
    notes += [f"vote: {_one_line(v)}" for v in item.votes]
    if item.record.flags:
        notes.append("flags: " + ", ".join(item.record.flags))
    if item.fulltext:
        notes.append(f"full text: {item.fulltext}")
    return notes


# Characters BibTeX gives a meaning to, written so that they read back as themselves
# (in bibtexparser, biber and BibTeX): braces and backslashes included.
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIB_SPECIALS = re.compile("[" + re.escape("".join(_BIB_SPECIAL)) + "]")
_BIB_LITERAL = re.compile(r"[{}\\]")  # in DOIs and URLs, which are written verbatim


def _bib(value: str) -> str:
    """Text as a BibTeX value: specials escaped and "--" kept as two hyphens ("-{}-")."""
    text = _BIB_SPECIALS.sub(lambda m: _BIB_SPECIAL[m.group(0)], _one_line(value))
    return re.sub(r"-(?=-)", "-{}", text)


def _bib_literal(value: str) -> str:
    """A DOI or URL: written as is (biber reads them verbatim); braces and backslashes
    percent-encoded so the entry stays well-formed."""
    return _BIB_LITERAL.sub(lambda m: f"%{ord(m.group(0)):02X}", _one_line(value))


def _bib_name(name: str) -> str:
    """One author: "Last, First" as is; a name without a comma (a group) or with " and "
    in it braced whole, so it stays one author and is not split into first and last."""
    text = _bib(name)
    if "," not in name or re.search(r"\band\b", name, re.IGNORECASE):
        return "{" + text + "}"
    return text


def to_bibtex(items: Iterable[ExportItem]) -> str:
    """BibTeX whose every field reads back unchanged in bibtexparser, biber and screener."""
    entries = []
    for item in items:
        r = item.record
        kind = _BIB_TYPES.get(r.entry_type, "article")
        extra = dict(r.extra)
        periodical = kind in _BIB_PERIODICALS
        fields = [
            ("title", _bib(r.title)),
            ("author", " and ".join(_bib_name(a) for a in r.authors)),
            ("year", str(r.year or "")),
            ("booktitle" if kind in _BIB_CONTAINED else "journal", _bib(r.journal)),
            ("shortjournal", _bib(r.journal_abbrev)),
            ("series", _bib(extra.get("series", ""))),
            ("volume", _bib(r.volume)),
            ("number", _bib(r.issue if periodical else extra.get("number", ""))),
            ("issue", "" if periodical else _bib(r.issue)),
            ("pages", _bib(r.pages.replace("-", "--")).replace("-{}-", "--")),
            ("doi", _bib_literal(r.doi)),
            ("pmid", r.pmid),
            ("pmcid", r.pmcid),
            ("issn", _bib(r.issn)),
            ("publisher", _bib(r.publisher)),
            ("language", _bib(r.language)),
            ("url", _bib_literal(r.url)),
            ("abstract", _bib(r.abstract)),
            ("keywords", _bib("; ".join((*r.keywords, *r.mesh)))),
            ("note", _bib("; ".join(_notes(item)))),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        entries.append(f"@{kind}{{screener{item.record_id},\n{body}\n}}\n")
    return "\n".join(entries)


# A cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV
# Injection"): such cells get a leading single quote, which Excel, LibreOffice and Google
# Sheets show as text. Plain numbers ("-3", "+1.5") are left alone: they run nothing.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralize_formula(value: object) -> str:
    """`value` as a CSV cell that no spreadsheet runs as a formula (see above)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_writer(out: io.StringIO, guard: bool = True):
    """A csv writer whose cells hold no control characters, and are neutralised against
    formulas unless `guard` is False (for programs)."""
    writer = csv.writer(out, lineterminator="\n")
    cell = neutralize_formula if guard else (lambda value: "" if value is None else str(value))

    class _Clean:
        def writerow(self, row: Iterable[object]) -> None:
            writer.writerow([clean_text(cell(value)) for value in row])

    return _Clean()


def to_csv(items: Iterable[ExportItem], guard: bool = True) -> str:
    """Records as CSV; cells neutralised against formula injection unless `guard` is False."""
    out = io.StringIO()
    writer = csv_writer(out, guard)  # type: ignore[assignment]
    writer.writerow(CSV_COLUMNS)
    for item in items:
        r = item.record
        writer.writerow(
            [
                item.record_id,
                item.status,
                item.decision,
                item.reason,
                " | ".join(item.votes),
                r.title,
                "; ".join(r.authors),
                r.year or "",
                r.journal,
                r.volume,
                r.issue,
                r.pages,
                r.doi,
                r.pmid,
                r.pmcid,
                r.source,
                r.source_id,
                item.group_size,
                ", ".join(r.flags),
                r.abstract,
                "; ".join((*r.keywords, *r.mesh)),
                r.url,
                item.fulltext,
            ]
        )
    return out.getvalue()


def excluded_table_markdown(items: Iterable[ExportItem]) -> str:
    """PRISMA item 16b: studies excluded at full text, with the reason."""
    rows = ["| Study | Year | DOI / PMID | Reason for exclusion |", "|---|---|---|---|"]
    for item in items:
        r = item.record
        first = r.authors[0].split(",")[0] if r.authors else "Anonymous"
        who = f"{first} et al." if len(r.authors) > 1 else first
        ident = r.doi or (f"PMID {r.pmid}" if r.pmid else "")
        cells = (f"{who}: {r.title}", r.year or "", ident, item.reason or "-")
        rows.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _markdown_cell(value: object) -> str:
    """A Markdown table cell: one line, pipes escaped (GFM), no raw HTML from outside."""
    text = _one_line(clean_text(str(value)) or "")
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
