"""Read BibTeX/BibLaTeX files (Zotero, JabRef, Google Scholar, Scopus, WoS): `read`.

`bibtexparser` 2.x splits the file into blocks; blocks it could not parse become problems
with their line, as do entries without a title or identifier. A second entry with a key
already used is kept (with a suffixed id) rather than dropped. LaTeX in values is decoded
(`{\\"u}` → ü) with pylatexenc - bibtexparser's own dependency - only where a value holds
a backslash; braces are simply dropped elsewhere. Authors are split on "and" outside
braces and written "Last, First" like every other format.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import bibtexparser
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

from screener.importers.common import (
    Draft,
    Interner,
    clean_pages,
    issns,
    split_terms,
    squash,
)
from screener.importers.textio import TextFile
from screener.normalize import first_year, normalize_doi, normalize_pmcid, normalize_pmid

_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s]*)")
_ESCAPE = re.compile(r"\\([_%&#$])")


def read(source: TextFile) -> Iterator[Draft]:
    """One `Draft` per entry block (parsed, duplicate-key or failed), in file order."""
    text = source.read_text()
    with _quiet_parser():
        library = bibtexparser.parse_string(text)
    intern = Interner()
    entry = 0
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            entry += 1
            yield build(entry, line, block.ignore_error_block, intern, enclosed=True)
        elif isinstance(block, ParsingFailedBlock):
            entry += 1
            yield Draft(entry, line, error=_failure(block))
        elif isinstance(block, Entry):
            entry += 1
            yield build(entry, line, block, intern)


@contextmanager
def _quiet_parser() -> Iterator[None]:
    """bibtexparser logs each broken block as a warning; they are reported as problems instead."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _failure(block: ParsingFailedBlock) -> str:
    reason = (
        getattr(block.error, "abort_reason", "") or str(block.error) or type(block.error).__name__
    )
    match = _KEY.match((block.raw or "").lstrip())
    which = f"entry {match.group(1)!r}" if match and match.group(1) else "this entry"
    reason = reason.strip().rstrip(".")
    return f"BibTeX syntax error in {which}: {reason}; check its braces, quotes and commas"


def _value(value: Any, enclosed: bool) -> str:
    text = str(value).strip()
    if enclosed and len(text) >= 2 and (text[0], text[-1]) in (("{", "}"), ('"', '"')):
        text = text[1:-1]
    return text


def build(entry: int, line: int, block: Entry, intern: Interner, enclosed: bool = False) -> Draft:
    """The draft for one parsed entry."""
    raw = {f.key.lower(): _value(f.value, enclosed) for f in block.fields}
    entry_type = block.entry_type.lower()
    journal = latex(raw.get("journal") or raw.get("journaltitle") or raw.get("booktitle", ""))
    eprint_type = (raw.get("eprinttype") or raw.get("archiveprefix") or "").lower()
    fields = {
        "title": latex(raw.get("title", "")),
        "abstract": latex(raw.get("abstract", "")),
        "authors": authors(raw.get("author", "")),
        "year": first_year(raw.get("year") or raw.get("date")),
        "journal": intern(journal),
        "journal_abbrev": intern(latex(raw.get("shortjournal") or raw.get("journal-abbrev", ""))),
        "volume": latex(raw.get("volume", "")),
        "issue": latex(raw.get("number") or raw.get("issue", "")),
        "pages": clean_pages(latex(raw.get("pages", ""))),
        "doi": normalize_doi(_literal(raw.get("doi", ""))),
        "pmid": normalize_pmid(
            raw.get("pmid") or (raw.get("eprint") if eprint_type == "pubmed" else "")
        ),
        "pmcid": normalize_pmcid(
            raw.get("pmcid") or (raw.get("eprint") if eprint_type == "pmc" else "")
        ),
        "issn": intern(issns([raw.get("issn", "")])),
        "publisher": intern(latex(raw.get("publisher", ""))),
        "entry_type": intern(entry_type),
        "keywords": intern.many(_keywords(raw.get("keywords", ""))),
        "language": intern(latex(raw.get("language") or raw.get("langid", ""))),
        "url": _literal(raw.get("url", "")),
    }
    return Draft(entry, line, fields, own_id=block.key or "")


def _keywords(value: str) -> list[str]:
    text = latex(value)
    return split_terms([text], ";" if ";" in text else ",")


def _literal(value: str) -> str:
    """A DOI or URL as written: escapes like \\_ undone and braces dropped, nothing decoded."""
    return _ESCAPE.sub(r"\1", value).replace("{", "").replace("}", "").strip()


def authors(value: str) -> tuple[str, ...]:
    """Names from an author field, each as "Last, First" (corporate names kept whole)."""
    names = []
    for name in split_multiple_persons_names(value) if value.strip() else []:
        name = name.strip()
        if name.lower() == "others":  # "and others": BibTeX's "et al."
            continue
        if name.startswith("{") and name.endswith("}"):
            names.append(latex(name))
            continue
        try:
            merged = parse_single_name_into_parts(name, strict=False).merge_last_name_first
        except ValueError:
            merged = name
        if merged.strip():
            names.append(latex(merged))
    return tuple(n for n in names if n)


_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}  # fmt: skip
_SYMBOLS = {
    "aa": "å", "AA": "Å", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
}  # fmt: skip
_BASE = r"(?:\\([ij])(?![A-Za-z])|([A-Za-z]))"
_ACCENT = re.compile(
    r"\\(?:([\"'`^~=.])\s*(?:\{\s*" + _BASE + r"\s*\}|" + _BASE + r")"
    r"|([uvHckrdb])(?:\s*\{\s*" + _BASE + r"\s*\}|\s+([A-Za-z])))"
)
_SYMBOL = re.compile(r"\\(aa|AA|ss|ae|AE|oe|OE|o|O|l|L|i|j)(?![A-Za-z])(?:\s*\{\})?\s?")


def _accent(match: re.Match[str]) -> str:
    groups = match.groups()
    mark = _ACCENTS[groups[0] or groups[5]]
    base = next(g for g in groups[1:5] + groups[6:] if g)
    return base + mark


def _fast_latex(value: str) -> str | None:
    """The common accent and symbol macros decoded, or None when other LaTeX remains."""
    text = _ACCENT.sub(_accent, value)
    text = _SYMBOL.sub(lambda m: _SYMBOLS[m.group(1)], text)
    text = _ESCAPE.sub(r"\1", text)
    return None if "\\" in text else unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1)
def _decoder() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim")


@lru_cache(maxsize=4096)
def latex(value: str) -> str:
    """Plain text from a BibTeX value: accents decoded, braces dropped, "--" as a dash.

    Accents and symbols like {\\"u}, \\'{e}, \\aa, \\& are decoded here; anything else with
    a backslash (\\emph, math, ...) goes to pylatexenc, which is slower but knows LaTeX.
    """
    if not value:
        return ""
    text = _fast_latex(value) if "\\" in value else value
    if text is None:
        try:
            text = _decoder().latex_to_text(value)
        except Exception:  # pylatexenc is tolerant; never let odd markup lose an entry
            text = _ESCAPE.sub(r"\1", value)
    text = text.replace("{", "").replace("}", "").replace("---", "\u2014")
    text = text.replace("--", "\u2013").replace("~", " ")
    return squash(text.replace("\xa0", " "))
