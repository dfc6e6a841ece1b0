"""Tell an export's format from its name and its first lines: `detect_format`, `check_format`.

Besides the four formats screener reads, it recognises the exports people most often
pick by mistake (Web of Science plain text, Ovid tagged, EndNote XML/.enw, Excel, HTML
error pages, ...) so the message can say what the file is and what to export instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from screener.errors import ImportFileError

FORMATS = ("ris", "nbib", "pubmed-xml", "bibtex", "csv")
NAMES = {
    "ris": "RIS",
    "nbib": "MEDLINE/.nbib",
    "pubmed-xml": "PubMed XML",
    "bibtex": "BibTeX",
    "csv": "CSV",
}
EXTENSIONS = {
    ".ris": "ris",
    ".nbib": "nbib",
    ".medline": "nbib",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".csv": "csv",
    ".tsv": "csv",
}
WHAT_TO_EXPORT = "export the records as RIS, MEDLINE (.nbib), PubMed XML, BibTeX or CSV"
_PUBMED_XML = re.compile(r"<(?:PubmedArticleSet|PubmedArticle|PubmedBookArticle)[\s>]")

_RIS_TY = re.compile(r"^TY {1,2}-", re.MULTILINE)
_RIS_ER = re.compile(r"^ER {1,2}-", re.MULTILINE)
_MEDLINE_PMID = re.compile(r"^PMID- ?\d", re.MULTILINE)
_BIBTEX_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_WOS_PLAIN = re.compile(r"^(?:FN (?:Clarivate|Thomson)|PT [A-Z]$)", re.MULTILINE)
_OVID_TAGGED = re.compile(r"^(?:<\d+\.? ?>|VN  - Ovid Technologies)", re.MULTILINE)
_ENDNOTE_TAGGED = re.compile(r"^%[0A-Z] \S", re.MULTILINE)
_BINARY_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook or other zip archive: save it as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file: save it as CSV"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
)


def binary_kind(head: bytes) -> str:
    """What a binary file is, from its first bytes ("" when it is not a known binary)."""
    for magic, description in _BINARY_MAGIC:
        if head.startswith(magic):
            return description
    return ""


def sniff(text: str) -> tuple[str, str]:
    """(format, description) from the first lines; format is "" when screener cannot read it.

    The description names what the text looks like, e.g. ("", "Web of Science plain text").
    Both are "" when nothing is recognised.
    """
    text = re.sub(r"\r\n?", "\n", text.lstrip("\ufeff"))
    first = text.lstrip()[:200].lower()
    if _RIS_TY.search(text) or (_RIS_ER.search(text) and "PMID- " not in text):
        return "ris", "RIS"
    if _MEDLINE_PMID.search(text):
        return "nbib", "MEDLINE/.nbib"
    if first.startswith("<") and _PUBMED_XML.search(text):
        return "pubmed-xml", "PubMed XML"
    if first.startswith("@") or _BIBTEX_ENTRY.search(text):
        return "bibtex", "BibTeX"
    unsupported = _unsupported(text, first)
    if unsupported:
        return "", unsupported
    if _looks_like_table(text):
        return "csv", "CSV"
    return "", ""


def _unsupported(text: str, first: str) -> str:
    if first.startswith("<"):
        if "<html" in first or "<!doctype html" in first:
            return "an HTML page (perhaps an error or login page saved instead of the export)"
        if "<records>" in text[:4000].lower() or "<xml>" in first:
            return "EndNote XML"
        return "an XML file"
    if first.startswith("{\\rtf"):
        return "an RTF document"
    if first.startswith(("{", "[")):
        return "a JSON file (e.g. CSL-JSON)"
    if _WOS_PLAIN.search(text):
        return 'Web of Science plain text (choose "RIS" or "Tab delimited" when exporting)'
    if _OVID_TAGGED.search(text):
        return 'an Ovid tagged export (choose "RIS" as the export format in Ovid)'
    if _ENDNOTE_TAGGED.search(text):
        return "EndNote tagged text (.enw)"
    return ""


def _looks_like_table(text: str) -> bool:
    header = next((line for line in text.splitlines() if line.strip()), "")
    return any(header.count(sep) >= 1 for sep in (",", ";", "\t"))


def detect_format(path: Path, text: str) -> str:
    """The format of an export: by extension, then by content; ImportFileError if unknown.

    A known extension whose content clearly says another format is an error, never a
    silent switch: the run log records the format that was read.
    """
    by_name = EXTENSIONS.get(path.suffix.lower(), "")
    sniffed, description = sniff(text)
    if by_name:
        check_format(path, text, by_name)
        return by_name
    if sniffed:
        return sniffed
    if description:
        raise ImportFileError(
            f"{path}: this looks like {description}, which screener cannot read: {WHAT_TO_EXPORT}"
        )
    raise ImportFileError(
        f"{path}: cannot tell the file format from its name or its first lines: "
        f"{WHAT_TO_EXPORT}, or name the format (one of {', '.join(FORMATS)})"
    )


def check_format(path: Path, text: str, fmt: str) -> None:
    """ImportFileError when the text is clearly not in `fmt` (saying what it looks like)."""
    sniffed, description = sniff(text)
    if sniffed == fmt or (not sniffed and not description):
        return
    if sniffed == "csv" and fmt != "csv":
        # A first line with a comma is weak evidence; the reader will say what it finds.
        return
    if sniffed:
        raise ImportFileError(
            f"{path}: this looks like {description}, not {NAMES[fmt]}: "
            f"name the format as {sniffed} or check that this is the right file"
        )
    raise ImportFileError(
        f"{path}: this looks like {description}, not {NAMES[fmt]}, "
        f"and screener cannot read it: {WHAT_TO_EXPORT}"
    )
