"""File importers: read an export file (RIS, MEDLINE/.nbib, PubMed XML, BibTeX, CSV) into
`Record`s.

`read_file(path, database)` returns an `ImportResult`: the records, and the `Problem`s of
entries that could not be read (never raised: the caller decides whether to import the
good ones). Whole-file failures - unreadable, empty, binary, in another format, or not a
single readable entry - raise `ImportFileError` naming the file and what to do.

Pure readers: the only IO is reading the given file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from screener.errors import ImportFileError
from screener.importers import bibtex, csvfile, medline, pubmedxml, ris
from screener.importers.common import Draft, finish
from screener.importers.sniff import (
    FORMATS,
    NAMES,
    WHAT_TO_EXPORT,
    binary_kind,
    check_format,
    detect_format,
)
from screener.importers.textio import TextFile
from screener.models import Record

__all__ = ["FORMATS", "FieldWarning", "ImportResult", "Problem", "detect_format", "read_file"]

_READERS: dict[str, Callable[[TextFile], Iterator[Draft]]] = {
    "ris": ris.read,
    "nbib": medline.read,
    "pubmed-xml": pubmedxml.read,
    "bibtex": bibtex.read,
    "csv": csvfile.read,
}
_ENTRY_HINTS = {
    "ris": "no line starts with 'TY  - '",
    "nbib": "no line starts with 'PMID- ' or another MEDLINE tag",
    "pubmed-xml": "no <PubmedArticle> element",
    "bibtex": "no '@article{...}'-style entry",
    "csv": "a header line but no data rows",
}


@dataclass(frozen=True)
class Problem:
    """One entry that could not be imported."""

    entry: int  # 1-based entry number in the file
    line: int  # 1-based line where that entry starts (0 if unknown)
    message: str  # what is wrong, in plain words


@dataclass(frozen=True)
class FieldWarning:
    """Something in an imported entry read leniently (kept, but worth a look)."""

    entry: int  # 1-based entry number in the file
    line: int  # 1-based line of the field (0 if unknown)
    tag: str  # the field's tag or name in the file, e.g. "ISSN", "journal"
    message: str


@dataclass(frozen=True)
class ImportResult:
    """What one file gave: its format and encoding, good records, bad entries, warnings."""

    format: str  # the format actually read
    encoding: str  # the encoding actually used
    records: tuple[Record, ...]
    problems: tuple[Problem, ...]
    warnings: tuple[FieldWarning, ...] = ()

    def warnings_by_tag(self) -> dict[str, int]:
        """How many warnings each tag drew, most first."""
        counts: dict[str, int] = {}
        for warning in self.warnings:
            counts[warning.tag] = counts.get(warning.tag, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def read_file(path: Path, database: str, fmt: str = "auto", encoding: str = "") -> ImportResult:
    """Read an export file; `database` (e.g. "Scopus") becomes every record's `source`.

    `fmt` is "auto" (by extension, then content) or one of `FORMATS`; `encoding` names
    the file's codec ("" detects it).
    """
    path = Path(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise ImportFileError(
            f"{path}: unknown import format {fmt!r}: use one of {', '.join(FORMATS)} or auto"
        )
    if not database or not database.strip():
        raise ImportFileError(
            f"{path}: no database name given: say which database the file was exported from "
            "(e.g. Scopus, Embase, Web of Science)"
        )
    source = _open(path, encoding)
    sample = source.sample()
    if fmt == "auto":
        fmt = detect_format(path, sample)
    else:
        check_format(path, sample, fmt)
    done = finish(_READERS[fmt](source), database.strip())
    problems = tuple(Problem(entry, line, message) for entry, line, message in done.problems)
    if not done.records:
        raise _nothing_read(path, fmt, problems)
    return ImportResult(
        format=fmt,
        encoding=source.encoding,
        records=tuple(done.records),
        problems=problems,
        warnings=tuple(FieldWarning(*warning) for warning in done.warnings),
    )


def _open(path: Path, encoding: str) -> TextFile:
    source = TextFile(path, encoding)
    if source.size == 0 or source.is_blank():
        raise ImportFileError(
            f"{path}: the file is empty: export the records again and check the download finished"
        )
    kind = binary_kind(source.head)
    if kind:
        raise ImportFileError(
            f"{path}: this is {kind}, not an export screener can read: {WHAT_TO_EXPORT}"
        )
    return source


def _nothing_read(path: Path, fmt: str, problems: tuple[Problem, ...]) -> ImportFileError:
    if not problems:
        return ImportFileError(
            f"{path}: no {NAMES[fmt]} entries found ({_ENTRY_HINTS[fmt]}): check that this is "
            f"the export file, or name its format if it is not {NAMES[fmt]}"
        )
    first = problems[0]
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return ImportFileError(
        f"{path}: line {first.line}: no entry could be read; entry {first.entry}: "
        f"{first.message}{more}"
    )
