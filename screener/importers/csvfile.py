"""Read spreadsheet exports (CSV/TSV from Scopus, PubMed, WoS, Rayyan, bib-dedupe): `read`.

Columns are matched by name, case-insensitively, through `COLUMNS` (aliases in order of
preference; keywords, MeSH and ISSN gather every matching column). The delimiter (comma,
semicolon or tab) is taken from the header line. The csv module reads in strict mode: a
row with a quote left open, or with the wrong number of cells, is a problem, and reading
starts again on the line after the row's first line instead of losing the rest of the
file. Author cells are split on " and ", ";" or new lines, and two common unseparated
forms are recognised (PubMed's "Smith J, Doe A" and EndNote's run-together "Tan A.Schulze A.").
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator

from screener.errors import ImportFileError
from screener.importers.common import (
    Draft,
    Interner,
    blank,
    clean_pages,
    issns,
    join_pages,
    split_terms,
    squash,
    type_flags,
)
from screener.importers.textio import TextFile
from screener.normalize import first_year, normalize_doi, normalize_pmcid, normalize_pmid

# Record field (or helper key) → accepted column names, most preferred first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "record_id", "record id", "key", "eid", "ut", "covidence #", "accession number"),
    "title": ("title", "article title", "document title", "primary title", "ti", "t1"),
    "abstract": ("abstract", "ab", "abstract note", "n2"),
    "authors": ("author", "authors", "au", "author(s)", "af", "author full names"),
    "year": (
        "year",
        "py",
        "publication year",
        "published year",
        "year published",
        "date",
        "publication date",
    ),
    "journal": (
        "journal",
        "source title",
        "journal/book",
        "secondary title",
        "so",
        "journal title",
        "publication title",
        "journal name",
        "journaltitle",
        "t2",
        "jf",
    ),
    "journal_abbrev": (
        "journal abbreviation",
        "abbreviated source title",
        "ji",
        "j9",
        "ja",
        "j2",
        "journal_abbrev",
        "iso abbreviation",
    ),
    "booktitle": ("booktitle", "book title", "bt"),
    "volume": ("volume", "vl", "vol"),
    "issue": ("issue", "number", "is", "ip"),
    "pages": ("pages", "pg", "page", "page range", "pagination"),
    "page_start": ("page start", "start page", "bp", "sp", "first page"),
    "page_end": ("page end", "end page", "ep", "last page"),
    "article_number": ("art. no.", "article number", "ar"),
    "doi": ("doi", "di", "do"),
    "pmid": ("pmid", "pubmed id", "pm", "pubmed"),
    "pmcid": ("pmcid", "pmc", "pmc id"),
    "keywords": ("keywords", "author keywords", "index keywords", "de", "kw", "keywords plus"),
    "mesh": ("mesh", "mesh terms", "mesh headings", "mh"),
    "language": ("language", "la", "language of original document", "lang"),
    "issn": ("issn", "sn", "eissn", "e-issn", "ei", "isbn"),
    "publisher": ("publisher", "pu", "pb"),
    "url": ("url", "link", "links", "ur"),
    "entry_type": ("entrytype", "entry type", "type", "reference type", "item type", "ty"),
    "publication_types": ("document type", "publication type", "dt"),
}
# Web of Science tab-delimited exports: "ID" is Keywords Plus there, "UT" the record id.
WOS_COLUMNS = {**COLUMNS, "id": ("ut",), "keywords": ("de", "id")}
ENTRY_TYPES = {
    "journal article": "article",
    "conference paper": "inproceedings",
    "conference proceedings": "inproceedings",
    "book section": "incollection",
    "book chapter": "incollection",
    "thesis": "phdthesis",
    "report": "techreport",
}
_LAST_INITIALS = re.compile(r"^[^\W\d][\w'’\- ]*? [A-Z]{1,4}$")  # "Smith J", "van der Berg JA"
_LAST_INITIALS_DOTTED = re.compile(r"^[^\W\d][\w'’\- ]*? (?:[A-Z]\.-?\s?)+$")  # "Smith J.A."
_RUN_TOGETHER = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][^.\s])")  # "Tan A.Schulze A." → 2 names


def _field_size_limit() -> None:
    """Allow cells as large as the file (abstracts, or a run-away quoted cell)."""
    wanted = min(sys.maxsize, 2**31 - 1)
    if csv.field_size_limit() < wanted:
        csv.field_size_limit(wanted)


def _delimiter(header: str) -> str:
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {sep: outside.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def column_map(header: list[str]) -> dict[str, list[int]]:
    """Record field → indexes of the columns that feed it, most preferred first."""
    names = [h.strip().lstrip("\ufeff").strip('"').lower() for h in header]
    names = [re.sub(r"\s+", " ", n) for n in names]
    wos = "ut" in names and "pt" in names
    table = WOS_COLUMNS if wos else COLUMNS
    mapping: dict[str, list[int]] = {}
    for key, aliases in table.items():
        indexes = [names.index(alias) for alias in aliases if alias in names]
        if indexes:
            mapping[key] = indexes
    return mapping


def read(source: TextFile) -> Iterator[Draft]:
    """One `Draft` per data row, in file order (blank rows are skipped, not counted)."""
    _field_size_limit()
    lines = [line + "\n" for line in source.lines()]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return
    delimiter = _delimiter(lines[first])
    header = next(csv.reader([lines[first]], delimiter=delimiter))
    columns = column_map(header)
    if not {"title", "doi", "pmid"} & columns.keys():
        shown = ", ".join(h.strip() for h in header[:12] if h.strip())
        raise ImportFileError(
            f"{source.path}: line {first + 1}: no column holds titles, DOIs or PMIDs (the header "
            f"has: {shown}): name the title column 'title' (or 'doi'/'pmid') and import again"
        )
    intern = Interner()
    entry = 0
    position = first + 1  # 0-based index of the next line to read
    while position < len(lines):
        reader = csv.reader(iter(lines[position:]), delimiter=delimiter, strict=True)
        consumed = 0
        while True:
            start = position + consumed + 1  # 1-based line where the next row starts
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                entry += 1
                yield Draft(entry, start, error=_quote_error(exc, reader.line_num - consumed))
                position = start  # read on from the line after the broken row's first line
                break
            span, consumed = reader.line_num - consumed, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            entry += 1
            error = _shape_error(row, len(header), span)
            yield (
                Draft(entry, start, error=error)
                if error
                else build(entry, start, row, columns, intern, header)
            )


def _quote_error(exc: csv.Error, span: int) -> str:
    if "end of data" in str(exc):
        return (
            'a quote (") opened in this row is never closed, so the rest of the file '
            f"({span} lines) would be one cell: close the quote and import again"
        )
    return (
        f"a quote (\") in this row is not closed where a cell ends ({exc}): check the row's "
        "quotes - a cell with quotes inside must be quoted and its quotes doubled"
    )


def _shape_error(row: list[str], width: int, span: int) -> str:
    extra = row[width:]
    if len(row) == width or (len(row) > width and not any(c.strip() for c in extra)):
        return ""
    if span > 1:
        return (
            f"this row has {len(row)} cells where the header has {width}, and runs over "
            f'{span} lines: a quote (") is probably not closed; fix it and import again'
        )
    return (
        f"this row has {len(row)} cells where the header has {width}: a delimiter or quote "
        "is probably missing or extra; fix the row and import again"
    )


def _cell(row: list[str], columns: dict[str, list[int]], key: str) -> str:
    for index in columns.get(key, ()):
        if index < len(row):
            value = blank(row[index])
            if value:
                return value
    return ""


def _cells(row: list[str], columns: dict[str, list[int]], key: str) -> list[str]:
    return [blank(row[i]) for i in columns.get(key, ()) if i < len(row) and blank(row[i])]


def build(
    entry: int,
    line: int,
    row: list[str],
    columns: dict[str, list[int]],
    intern: Interner,
    header: list[str] = (),
) -> Draft:
    """The draft for one data row; cells of columns no field maps are kept as `extra`."""

    def cell(key: str) -> str:
        return _cell(row, columns, key)

    types = split_terms([cell("publication_types")])
    pages = clean_pages(cell("pages")) or join_pages(cell("page_start"), cell("page_end"))
    kind = cell("entry_type").lower()
    fields = {
        "title": squash(cell("title")),
        "abstract": squash(cell("abstract")),
        "authors": split_authors(cell("authors")),
        "year": first_year(cell("year")),
        "journal": intern(squash(cell("journal") or cell("booktitle") or cell("journal_abbrev"))),
        "journal_abbrev": intern(squash(cell("journal_abbrev"))),
        "volume": squash(cell("volume")),
        "issue": squash(cell("issue")),
        "pages": pages or clean_pages(cell("article_number")),
        "doi": normalize_doi(cell("doi")),
        "pmid": normalize_pmid(cell("pmid")),
        "pmcid": normalize_pmcid(cell("pmcid")),
        "issn": intern(issns(_cells(row, columns, "issn"))),
        "publisher": intern(squash(cell("publisher"))),
        "entry_type": intern(ENTRY_TYPES.get(kind, kind)),
        "publication_types": intern.many(types),
        "keywords": intern.many(split_terms(_cells(row, columns, "keywords"), ";\n")),
        "mesh": intern.many(split_terms(_cells(row, columns, "mesh"), ";\n")),
        "language": intern(squash(cell("language"))),
        "url": cell("url"),
        "flags": tuple(type_flags(types)),
        "extra": _extra(row, columns, header),
    }
    return Draft(entry, line, fields, own_id=cell("id"))


def _extra(row: list[str], columns: dict[str, list[int]], header: list[str]) -> tuple:
    used = {i for indexes in columns.values() for i in indexes}
    return tuple(
        (header[i].strip(), row[i].strip())
        for i in range(min(len(header), len(row)))
        if i not in used and header[i].strip() and blank(row[i])
    )


def split_authors(value: str) -> tuple[str, ...]:
    """Author names from one cell: "A and B", "A; B", one per line, "Smith J, Doe A", ..."""
    text = value.strip()
    if not text:
        return ()
    if " and " in text or ";" in text or "\n" in text:
        parts = re.split(r"\s+and\s+|;|\n", text)
    elif _RUN_TOGETHER.search(text):
        parts = _RUN_TOGETHER.split(text)
    else:
        parts = [text]
        pieces = [p.strip() for p in text.split(",")]
        if len(pieces) > 1 and all(
            _LAST_INITIALS.match(p) or _LAST_INITIALS_DOTTED.match(p) for p in pieces
        ):
            parts = pieces
    return tuple(name for name in (squash(p) for p in parts) if name)
