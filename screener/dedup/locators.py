"""Volume, issue, pages and identifiers. Core module: pure functions, no IO."""

from __future__ import annotations

import re
from functools import lru_cache

from screener.normalize import normalize_doi, normalize_pmcid, normalize_pmid

_DIGITS = re.compile(r"\d+")

_FIRST_NUMBERISH = re.compile(r"[a-z]*\d+[a-z]?|\b[ivxlc]+\b", re.IGNORECASE)
_SUPPLEMENT = re.compile(r"\bsup(?:pl?|plement)?\.?\s*(\d*)", re.IGNORECASE)
_NO_PAGES = re.compile(r"no pagination|pagination|unpaginated|n/?a\b", re.IGNORECASE)


def normalize_volume(value: str) -> str:
    """ "20 (5 Supplement 1)" -> "20"; "30a" -> "30a"; "" if no number."""
    if not value:
        return ""
    value = value.strip().lower()
    match = _FIRST_NUMBERISH.search(value)
    if not match:
        return ""
    token = match.group(0)
    digits = _DIGITS.search(token)
    if digits:
        return token[digits.start() :].lstrip("0") or "0"
    return token


def normalize_issue(value: str) -> str:
    """Issue as a comparable token: "Suppl 1" -> "s1", "4-5" -> "4-5", "2" -> "2"."""
    if not value:
        return ""
    value = value.strip().lower()
    supp = _SUPPLEMENT.search(value)
    if supp:
        return "s" + (supp.group(1).lstrip("0") or "")
    match = re.search(r"\d+(?:\s*[-/]\s*\d+)?", value)
    if not match:
        return ""  # "May", "Spring": not comparable with issue numbers
    return re.sub(r"\s+", "", match.group(0)).replace("/", "-")


_PAGE_RANGE = re.compile(
    r"([a-z]{0,3})\s*(\d+)\s*([a-z]?)(?:\s*(?:-+|–|—|to)\s*([a-z]{0,3})\s*(\d+)\s*([a-z]?))?",
    re.IGNORECASE,
)


# Page shapes: how much a page string can be trusted as a locator.
RANGE = "range"  # "1234-1240", "221-8", "S12-S14", "e1-e9"
SINGLE = "single"  # "1234": one page, an article number
MARKED = "marked"  # "S27", "A12", "e589": letters and digits (supplement, e-locator, fragment)
GARBLED = "garbled"  # "Suppl-23", "1240-1234", anything else with digits


class PagesInfo:
    __slots__ = ("start", "end", "starts", "shape")

    def __init__(
        self,
        start: str = "",
        end: str = "",
        starts: frozenset[str] = frozenset(),
        shape: str = "",
    ):
        self.start = start  # numeric core of the first page, "" if none
        self.end = end
        self.starts = starts  # numeric cores of every range's first page
        self.shape = shape  # RANGE / SINGLE / MARKED / GARBLED, "" without pages

    @property
    def well_formed(self) -> bool:
        """A page range, or a plain page number: a locator two records can disagree on."""
        return self.shape in (RANGE, SINGLE)


_EMPTY_PAGES = PagesInfo()


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_EXCEL_DATE = re.compile(r"^\s*(?:(\d{1,2})-([a-z]{3})|([a-z]{3})-(\d{1,2}))\s*$", re.IGNORECASE)


@lru_cache(maxsize=65536)
def prepare_pages(value: str) -> PagesInfo:
    """Parse "221-8", "S27", "e589", "233-8, 230-5", "106-11; discussion 111", and
    spreadsheet-mangled ranges ("01-Sep" for 1-9, "15-Jul" for 7-15)."""
    if not value or _NO_PAGES.search(value):
        return _EMPTY_PAGES
    excel = _EXCEL_DATE.match(value)
    if excel:
        day = excel.group(1) or excel.group(4)
        month = _MONTHS.get((excel.group(2) or excel.group(3)).lower())
        if month:
            low, high = sorted((int(day), month))
            end = str(high) if high != low else ""
            return PagesInfo(str(low), end, frozenset([str(low)]), RANGE if end else SINGLE)
    text = value.lower().replace("+", ",")
    text = re.sub(r"\babstract\b|\bposter\b|#", " ", text)
    starts: list[str] = []
    first_start = first_end = ""
    for chunk in re.split(r"[;,]", text):
        match = _PAGE_RANGE.search(chunk)
        if not match:
            continue
        start = match.group(2).lstrip("0") or "0"
        end = ""
        if match.group(5):
            end = match.group(5).lstrip("0") or "0"
            if len(end) < len(start):  # "221-8" -> 228
                end = start[: len(start) - len(end)] + end
        starts.append(start)
        if not first_start:
            first_start, first_end = start, end
    if not first_start:
        return _EMPTY_PAGES
    if first_end == first_start:
        first_end = ""
    return PagesInfo(first_start, first_end, frozenset(starts), page_shape(value))


_RANGE_SHAPE = re.compile(
    r"^([a-z]{0,2})(\d+)[a-z]?\s*(?:-+|–|—)\s*([a-z]{0,2})(\d+)[a-z]?(?:\s*[;,].*)?$"
)
_SINGLE_SHAPE = re.compile(r"^\d+$")
_MARKED_SHAPE = re.compile(r"^[a-z]{1,2}\d+[a-z]?$")


def page_shape(value: str) -> str:
    """RANGE, SINGLE, MARKED or GARBLED (see the constants) for a non-empty page string.

    A range whose end is below its start ("1240-1234") or whose prefixes differ
    ("S12-A14") is garbled; a supplement marker ("Suppl-23", "Suppl 2") is garbled."""
    text = re.sub(r"^pp?(?:\.\s*|\s+)(?=\d)", "", value.strip().lower())
    if _SUPPLEMENT.search(text) and not re.match(r"^s\d", text):
        return GARBLED
    match = _RANGE_SHAPE.match(text)
    if match:
        start, end = match.group(2), match.group(4)
        if len(end) < len(start):  # "221-8"
            end = start[: len(start) - len(end)] + end
        same_prefix = match.group(3) in ("", match.group(1))
        return RANGE if same_prefix and int(end) >= int(start) else GARBLED
    if _SINGLE_SHAPE.match(text):
        return SINGLE
    if _MARKED_SHAPE.match(text):
        return MARKED
    return GARBLED


_PLAIN_VOLUME = re.compile(
    r"^\d{1,4}[a-z]?(?:\s*\([^()]*\))?(?:\s*(?:suppl\w*|pt|part)\.?\s*\w*)?$"
)


def volume_well_formed(value: str) -> bool:
    """Whether a volume field holds a plausible volume ("63", "30a", "20 (5 Suppl 1)"),
    not a cut or shifted value ("1)", "(3)", "63 1-2") or free text."""
    return bool(_PLAIN_VOLUME.match(value.strip().lower()))


_DOI_LENIENT = re.compile(r"^(?:https?://)?(?:dx\.)?(?:doi\.org/|doi:\s*)?(10\.\d+/\S+)$", re.I)


def normalize_identifiers(doi: str, pmid: str, pmcid: str) -> tuple[str, str, str]:
    """DOI (lower case, no resolver; lenient about short registrant codes), PMID, PMCID."""
    normalized = normalize_doi(doi)
    if not normalized and doi:
        match = _DOI_LENIENT.match(doi.strip())
        if match:
            normalized = match.group(1).rstrip(".;,").lower()
    return normalized, normalize_pmid(pmid), normalize_pmcid(pmcid)


_COCHRANE_VERSION = re.compile(r"^(10\.1002/14651858\.[a-z]{2}\d+)(?:\.pub\d+)?$")


def doi_work_key(doi: str) -> str:
    """DOI without a version suffix (Cochrane ".pub3"), or "" if it has none."""
    match = _COCHRANE_VERSION.match(doi)
    return match.group(1) if match else ""
