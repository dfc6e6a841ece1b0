"""Read BibTeX/BibLaTeX files (Zotero, JabRef, Google Scholar, Scopus, WoS): `read`.

`bibtexparser` 2.x splits the file into blocks (entries in braces or parentheses). Its
middlewares are deliberately not run: its string resolution ignores `#`, its
LatexDecodingMiddleware would decode DOIs and URLs too (`\\_` is a literal there), and its
RemoveEnclosing step must not run before macros are expanded. Values are resolved here
from the raw text instead, using bibtexparser's own name functions:

* `@string` macros with `#` concatenation (`jean # " " # cesar`), which bibtexparser's
  ResolveStringReferencesMiddleware does not expand, and BibTeX's month macros;
* a field given twice keeps its first value, with a warning (bibtexparser would fail
  the whole entry); a second entry with a key already used is kept with a suffixed id;
* LaTeX is decoded with pylatexenc's published macro table (`{\\"u}` → ü, `$\\Sigma^0$`
  → Σ^0, `\\~{}` → ~), after a fast path for plain accents;
* names are split by bibtexparser's name functions ("and" outside braces; "Last, First"
  out), and biblatex's `family=..., given=...` form is understood;
* biblatex `date` over `year`, `fjournal` (the full journal name) over `journal`, and
  `number` as an issue only for periodicals (in a book or report it is a series or
  report number, kept in `extra`).

Blocks bibtexparser could not parse become problems with their line, as do entries
without a title or identifier.
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
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
    String,
)

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
    """One `Draft` per entry block (parsed, duplicate-field, duplicate-key or failed)."""
    text = source.read_text()
    with _quiet_parser():
        library = bibtexparser.parse_string(text, parse_stack=[])
    intern = Interner()
    macros = dict(MONTHS)
    entry = 0
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, String):
            macros[block.key.lower()] = resolve(str(block.value), macros)
            continue
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            entry += 1
            yield build(entry, line, block.ignore_error_block, intern, macros)
        elif isinstance(block, ParsingFailedBlock):
            entry += 1
            yield Draft(entry, line, error=_failure(block))
        elif isinstance(block, Entry):
            entry += 1
            yield build(entry, line, block, intern, macros)


# BibTeX's predefined month macros (plain.bst).
MONTHS = {
    name[:3].lower(): name
    for name in (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
}


def resolve(value: str, macros: dict[str, str], unknown: list[str] | None = None) -> str:
    """A raw BibTeX value as text: `{...}`/`"..."` parts unwrapped, macros expanded,
    parts joined by `#` concatenated. Unknown macro names are kept as written (and
    listed in `unknown`)."""
    value = value.strip()
    if "#" not in value:  # the common case, without walking the value
        return _part(value, macros, unknown)
    parts = _concatenated(value)
    if parts is None:
        return value
    return "".join(_part(part, macros, unknown) for part in parts)


def _part(part: str, macros: dict[str, str], unknown: list[str] | None) -> str:
    if len(part) >= 2 and (part[0], part[-1]) in (("{", "}"), ('"', '"')):
        return part[1:-1]
    known = macros.get(part.lower())
    if known is not None:
        return known
    if unknown is not None and part and not part.isdigit():
        unknown.append(part)
    return part


def _concatenated(value: str) -> list[str] | None:
    """The `#`-separated parts of a value (outside braces and quotes), or None if unbalanced."""
    parts, depth, quoted, current = [], 0, False, []
    escaped = False
    for char in value:
        if escaped:  # \{ and \} are text, not grouping
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return None
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if depth or quoted:
        return None
    parts.append("".join(current).strip())
    return [p for p in parts if p]


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


# Entry types whose `number` is an issue; elsewhere it numbers a series or a report.
_PERIODICALS = frozenset({"article", "periodical", "suppperiod", "online", "misc", "unpublished"})


def _fields(block: Entry, line: int, draft: Draft, macros: dict[str, str]) -> dict[str, str]:
    """Field name → resolved value; a repeated field keeps its first value, with a warning."""
    raw: dict[str, str] = {}
    for item in block.fields:
        key = item.key.lower()
        where = (item.start_line + 1) if item.start_line is not None else line
        if key in raw:
            draft.warn(where, key, f"field {key!r} given twice in this entry: the first is kept")
            continue
        unknown: list[str] = []
        raw[key] = resolve(str(item.value), macros, unknown)
        for name in unknown:
            draft.warn(where, key, f"no @string defines {name!r}: kept as written")
    return raw


def build(
    entry: int, line: int, block: Entry, intern: Interner, macros: dict[str, str] | None = None
) -> Draft:
    """The draft for one parsed entry."""
    draft = Draft(entry, line, own_id=block.key or "")
    raw = _fields(block, line, draft, macros if macros is not None else dict(MONTHS))
    entry_type = block.entry_type.lower()
    short = latex(raw.get("journal") or raw.get("journaltitle") or "")
    journal = latex(raw.get("fjournal", "")) or short or latex(raw.get("booktitle", ""))
    abbrev = latex(raw.get("shortjournal") or raw.get("journal-abbrev", ""))
    if not abbrev and short and short != journal:
        abbrev = short  # with fjournal, `journal` is usually the abbreviation
    eprint_type = (raw.get("eprinttype") or raw.get("archiveprefix") or "").lower()
    number = latex(raw.get("number", ""))
    periodical = entry_type in _PERIODICALS
    draft.fields = {
        "title": latex(raw.get("title", "")),
        "abstract": latex(raw.get("abstract", "")),
        "authors": authors(raw.get("author", "")),
        "year": first_year(raw.get("date")) or first_year(raw.get("year")),
        "journal": intern(journal),
        "journal_abbrev": intern(abbrev),
        "volume": latex(raw.get("volume", "")),
        "issue": latex(raw.get("issue", "")) or (number if periodical else ""),
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
        "extra": (("number", number),) if number and not periodical else (),
    }
    return draft


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
        extended = _extended_name(name)
        if extended:
            names.append(latex(extended))
            continue
        try:
            merged = parse_single_name_into_parts(name, strict=False).merge_last_name_first
        except ValueError:
            merged = name
        if merged.strip():
            names.append(latex(merged))
    return tuple(n for n in names if n)


_NAME_PART = re.compile(r"\s*(family|given|prefix|suffix|useprefix)\s*=\s*(\{[^{}]*\}|[^,]*)\s*")


def _extended_name(name: str) -> str:
    """biblatex's `family=Berg, given=Anna, prefix=von` as "von Berg, Anna" ("" if not one)."""
    if "=" not in name:
        return ""
    parts = {}
    for piece in name.split(","):
        match = _NAME_PART.fullmatch(piece)
        if not match:
            return ""
        parts[match.group(1)] = match.group(2).strip().strip("{}").strip()
    if not parts.get("family"):
        return ""
    family = " ".join(p for p in (parts.get("prefix", ""), parts["family"]) if p)
    given = ", ".join(p for p in (parts.get("given", ""), parts.get("suffix", "")) if p)
    return f"{family}, {given}" if given else family


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
    if "\\" in text or _MATH.search(value):
        return None
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1)
def _decoder() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text")


@lru_cache(maxsize=4096)
def latex(value: str) -> str:
    """Plain text from a BibTeX value: accents decoded, braces dropped, "--" as a dash.

    Accents and symbols like {\\"u}, \\'{e}, \\aa, \\& are decoded here; anything else with
    a backslash (\\emph, math, ...) goes to pylatexenc, which is slower but knows LaTeX.
    """
    if not value:
        return ""
    # A bare ~ is a non-breaking space; \~{}, \textasciitilde etc. are literal characters.
    value = _BARE_TILDE.sub(" ", _LITERAL.sub(lambda m: _KEEP[m.group(1) or m.group(2)], value))
    # Escaped braces are text, not grouping: kept aside while the grouping braces go.
    value = value.replace("\\{", _KEEP_OPEN).replace("\\}", _KEEP_CLOSE)
    # Dash ligatures only where the hyphens touch: "-{}-" stays two hyphens.
    value = value.replace("---", "\u2014").replace("--", "\u2013")
    text = _fast_latex(value) if "\\" in value or "$" in value else value
    if text is None:
        try:
            text = _decoder().latex_to_text(value)
        except Exception:  # pylatexenc is tolerant; never let odd markup lose an entry
            text = _ESCAPE.sub(r"\1", value)
    text = text.replace("{", "").replace("}", "")
    if any(stand_in in text for stand_in in _RESTORE):
        text = "".join(_RESTORE.get(char, char) for char in text)
    return squash(text.replace("\xa0", " "))


# Commands that stand for one literal character (what `screener.exporters` writes).
_LITERAL = re.compile(
    r"\\([~^])\{\}|\\(textasciitilde|textasciicircum|textbackslash)(?:\{\}|(?![A-Za-z])\s?)"
)
# Private-use stand-ins, so these survive the decoding and the dropping of braces.
_KEEP = {
    "~": "\ue000",
    "textasciitilde": "\ue000",
    "^": "\ue003",
    "textasciicircum": "\ue003",
    "textbackslash": "\ue004",
}
_KEEP_OPEN, _KEEP_CLOSE = "\ue001", "\ue002"
_BARE_TILDE = re.compile(r"(?<!\\)~")
_MATH = re.compile(r"(?<!\\)\$")  # an unescaped $ opens maths
_RESTORE = {"\ue000": "~", "\ue001": "{", "\ue002": "}", "\ue003": "^", "\ue004": "\\"}
