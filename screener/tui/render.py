"""How a record, a vote and a key map look in the terminal: rich `Text`, no widgets.

Everything here is a pure function of its arguments, so the screens stay small and the
look can be tested without running an app. Text that comes from the data (titles,
abstracts, notes) is never parsed as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from screener.models import Record
from screener.screening import Vote, highlight_spans
from screener.textsafe import clean_fields, safe_for_terminal

INCLUDE_STYLE = "bold green"
EXCLUDE_STYLE = "bold red underline"
LABEL_STYLE = "bold"
DECISION_STYLES = {
    "include": "bold green",
    "exclude": "bold red",
    "maybe": "bold yellow",
    "not-retrieved": "bold magenta",
}
FLAG_STYLE = "bold white on red"
GROUP_STYLE = "bold black on yellow"
MAX_AUTHORS = 8

# A structured-abstract label: "BACKGROUND:", "Methods and findings:" at a line start,
# or an all-capitals one after a sentence (MEDLINE files squash the sections together).
_LINE_LABEL = re.compile(r"^([A-Z][A-Za-z0-9 ,&/()'-]{1,48}):(?=\s)", re.MULTILINE)
_INLINE_LABEL = re.compile(r"(?<=[.?!)\]]) +(?=[A-Z][A-Z &/-]{2,40}:\s)")


def highlighted(
    text: str, include_terms: Sequence[str], exclude_terms: Sequence[str], style: str = ""
) -> Text:
    """`text` with include terms in green and exclude terms in red (underlined)."""
    result = Text(text, style=style)
    if include_terms or exclude_terms:
        for start, end, kind in highlight_spans(text, include_terms, exclude_terms):
            result.stylize(INCLUDE_STYLE if kind == "include" else EXCLUDE_STYLE, start, end)
    return result


def abstract_layout(abstract: str) -> str:
    """The abstract with each structured section on its own line."""
    return _INLINE_LABEL.sub("\n", abstract.strip())


def abstract_text(
    abstract: str, include_terms: Sequence[str], exclude_terms: Sequence[str]
) -> Text:
    """The abstract, section labels in bold, terms highlighted."""
    if not abstract.strip():
        return Text("(no abstract)", style="dim italic")
    laid_out = abstract_layout(abstract)
    result = highlighted(laid_out, include_terms, exclude_terms)
    for match in _LINE_LABEL.finditer(laid_out):
        result.stylize(LABEL_STYLE, match.start(), match.end())
    return result


def title_text(record: Record, include_terms: Sequence[str], exclude_terms: Sequence[str]) -> Text:
    return highlighted(record.title or "(no title)", include_terms, exclude_terms, "bold")


def authors_line(authors: Sequence[str], limit: int = MAX_AUTHORS) -> str:
    if not authors:
        return "(no authors)"
    shown = "; ".join(authors[:limit])
    return shown if len(authors) <= limit else f"{shown}; … ({len(authors)} authors)"


def citation_line(record: Record) -> str:
    """Journal, year, volume(issue):pages."""
    journal = record.journal or record.journal_abbrev or "(no journal)"
    where = record.volume
    if record.issue:
        where += f"({record.issue})"
    if record.pages:
        where += f":{record.pages}"
    year = str(record.year) if record.year else "n.d."
    return " · ".join(part for part in (journal, year, where) if part)


def identifiers_line(record: Record, record_id: int) -> str:
    parts = [f"#{record_id}"]
    for label, value in (("DOI", record.doi), ("PMID", record.pmid), ("PMCID", record.pmcid)):
        if value:
            parts.append(f"{label} {value}")
    parts.append(f"{record.source} {record.source_id}")
    return " · ".join(parts)


def meta_text(record: Record, record_id: int) -> Text:
    """Authors, citation, identifiers, publication types and language, one per line."""
    text = Text()
    text.append(authors_line(record.authors), style="italic")
    text.append("\n")
    text.append(citation_line(record))
    text.append("\n")
    text.append(identifiers_line(record, record_id), style="dim")
    details = []
    if record.publication_types:
        details.append("Type: " + "; ".join(record.publication_types))
    if record.language:
        details.append("Language: " + record.language)
    if details:
        text.append("\n" + " · ".join(details))
    return text


def badges_text(flags: Iterable[str], group_size: int) -> Text:
    """Flags (retracted, erratum ...) as red badges; a duplicate group as a yellow one."""
    text = Text()
    for flag in flags:
        text.append(f" {flag.upper()} ", style=FLAG_STYLE)
        text.append(" ")
    if group_size > 1:
        text.append(f" {group_size} RECORDS IN DUPLICATE GROUP ", style=GROUP_STYLE)
    return text


def keywords_text(
    record: Record, include_terms: Sequence[str], exclude_terms: Sequence[str]
) -> Text:
    text = Text()
    for label, values in (("Keywords", record.keywords), ("MeSH", record.mesh)):
        if values:
            if text:
                text.append("\n")
            text.append(f"{label}: ", style=LABEL_STYLE)
            text.append_text(highlighted("; ".join(values), include_terms, exclude_terms))
    return text


def vote_text(own: Vote | None, pending_note: str = "", fulltext: str = "") -> Text:
    """The reviewer's own vote on the record (never anyone else's)."""
    own = clean_fields(own) if own is not None else None
    pending_note, fulltext = safe_for_terminal(pending_note), safe_for_terminal(fulltext)
    text = Text("Your vote: ", style="bold")
    if own is None:
        text.append("undecided", style="dim")
    else:
        text.append(own.decision.upper(), style=DECISION_STYLES.get(own.decision, "bold"))
        if own.reason:
            text.append(f" — {own.reason}")
        if own.note:
            text.append("  note: ", style="bold")
            text.append(own.note)
    if pending_note:
        text.append("  note (saved with your decision): ", style="bold")
        text.append(pending_note)
    if fulltext:
        text.append("\nFull text: ", style="bold")
        text.append(fulltext)
    return text


def counts_text(progress: dict[str, int], full_text: bool) -> Text:
    """'done 12/300 · include 5 · exclude 6 · maybe 1' for this reviewer only."""
    text = Text(f"done {progress['done']:,}/{progress['total']:,}")
    names = ["include", "exclude", "maybe"] + (["not-retrieved"] if full_text else [])
    for name in names:
        text.append(" · ")
        text.append(f"{name} {progress.get(name, 0):,}", style=DECISION_STYLES[name])
    return text


def other_vote_text(vote: Vote) -> Text:
    """One reviewer's vote as an adjudicator sees it (resolve mode only)."""
    vote = clean_fields(vote)
    text = Text(vote.reviewer, style="bold underline")
    text.append("\n")
    text.append(vote.decision.upper(), style=DECISION_STYLES.get(vote.decision, "bold"))
    if vote.reason:
        text.append("\nreason: ", style="bold")
        text.append(vote.reason)
    if vote.note:
        text.append("\nnote: ", style="bold")
        text.append(vote.note)
    if vote.decided_at:
        text.append(f"\n{vote.decided_at[:16].replace('T', ' ')}", style="dim")
    return text


def help_text(title: str, rows: Sequence[tuple[str, str]]) -> Group:
    """A key table: keys in one column, what they do wrapped in the other."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for key, description in rows:
        table.add_row(key, description)
    return Group(
        Text(title + "\n", style="bold"),
        table,
        Text("\nPress Escape, ? or q to close.", style="dim"),
    )
