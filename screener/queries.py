"""Saved searches: parse `queries/*.toml` text into `SavedSearch`, and split date windows.

Core module: no IO. The caller reads the file and passes its text and path, so every
error can name the file and the key that is wrong.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from typing import Any

from screener.errors import QueryFileError
from screener.models import CrossrefQuery, PubmedQuery, SavedSearch

PUBMED_DATE_FIELDS = {
    "pdat": "Date - Publication",
    "edat": "Date - Entry",
    "crdt": "Date - Create",
}
CROSSREF_DATE_FIELDS = {"pub": "pub-date", "created": "created-date", "index": "index-date"}
EARLIEST = date(1800, 1, 1)
_TOP_KEYS = {"name", "description", "pubmed", "crossref"}
_PUBMED_KEYS = {"term", "date_field", "from", "cutoff"}
_CROSSREF_KEYS = {"query", "field_queries", "filter", "date_field", "from", "cutoff"}


def parse_saved_search(text: str, path: str) -> SavedSearch:
    """Parse and check a saved search; raise QueryFileError naming the file and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QueryFileError(f"{path}: not valid TOML ({exc}). Fix the syntax and retry.") from None
    _reject_unknown(data, _TOP_KEYS, path, "")
    name = _string(data, "name", path, "", required=True)
    if "pubmed" not in data and "crossref" not in data:
        raise QueryFileError(f"{path}: needs a [pubmed] or [crossref] section saying what to run.")
    pubmed = _pubmed(_table(data, "pubmed", path), path) if "pubmed" in data else None
    crossref = _crossref(_table(data, "crossref", path), path) if "crossref" in data else None
    return SavedSearch(
        name=name,
        description=_string(data, "description", path, ""),
        path=path,
        pubmed=pubmed,
        crossref=crossref,
        text=text,
    )


def _pubmed(table: dict[str, Any], path: str) -> PubmedQuery:
    _reject_unknown(table, _PUBMED_KEYS, path, "pubmed.")
    # Line breaks keep long strategies readable in the file; PubMed gets one line.
    term = " ".join(_string(table, "term", path, "pubmed.", required=True).split())
    date_field = _string(table, "date_field", path, "pubmed.") or "pdat"
    if date_field not in PUBMED_DATE_FIELDS:
        choices = ", ".join(PUBMED_DATE_FIELDS)
        raise QueryFileError(
            f"{path}: pubmed.date_field = {date_field!r} is not one of {choices} "
            "(publication, Entrez and create date)."
        )
    cutoff = _date(table, "cutoff", path, "pubmed.", required=True)
    start = _date(table, "from", path, "pubmed.")
    assert cutoff is not None
    check_window(start, cutoff, f"{path}: pubmed")
    return PubmedQuery(term=term, date_field=date_field, cutoff=cutoff, start=start)


def _crossref(table: dict[str, Any], path: str) -> CrossrefQuery:
    _reject_unknown(table, _CROSSREF_KEYS, path, "crossref.")
    query = _string(table, "query", path, "crossref.")
    fields = _pairs(table, "field_queries", path, "crossref.")
    field_queries = tuple((k if k.startswith("query.") else f"query.{k}", v) for k, v in fields)
    if not query and not field_queries:
        raise QueryFileError(f"{path}: crossref needs `query` or `field_queries` to search for.")
    date_field = _string(table, "date_field", path, "crossref.") or "pub"
    if date_field not in CROSSREF_DATE_FIELDS:
        choices = ", ".join(CROSSREF_DATE_FIELDS)
        raise QueryFileError(
            f"{path}: crossref.date_field = {date_field!r} is not one of {choices}."
        )
    cutoff = _date(table, "cutoff", path, "crossref.", required=True)
    start = _date(table, "from", path, "crossref.")
    assert cutoff is not None
    check_window(start, cutoff, f"{path}: crossref")
    return CrossrefQuery(
        query=query,
        field_queries=field_queries,
        filters=_pairs(table, "filter", path, "crossref."),
        date_field=date_field,
        cutoff=cutoff,
        start=start,
    )


def check_window(start: date | None, cutoff: date, where: str) -> None:
    """A search window must run forwards and must not end in the future."""
    if start is not None and cutoff < start:
        raise QueryFileError(
            f"{where}: cutoff {cutoff.isoformat()} is before from {start.isoformat()}; "
            "the cutoff is the inclusive end of the window."
        )


def parse_cli_date(value: str, what: str = "--cutoff") -> date:
    """Parse a YYYY-MM-DD date typed on the command line."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise QueryFileError(f"{what} {value!r} is not a date: use YYYY-MM-DD.") from None


def _reject_unknown(table: dict[str, Any], allowed: set[str], path: str, prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise QueryFileError(
            f"{path}: unknown key {prefix}{unknown[0]} (known keys here: {known})."
        )


def _table(data: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = data[key]
    if not isinstance(value, dict):
        raise QueryFileError(f"{path}: {key} must be a [{key}] table.")
    return value


def _string(table: dict, key: str, path: str, prefix: str, required: bool = False) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise QueryFileError(f"{path}: missing required key {prefix}{key}.")
        return ""
    if not isinstance(value, str):
        raise QueryFileError(f"{path}: {prefix}{key} must be a string in quotes.")
    value = value.strip()
    if required and not value:
        raise QueryFileError(f"{path}: {prefix}{key} is empty.")
    return value


def _date(table: dict, key: str, path: str, prefix: str, required: bool = False) -> date | None:
    value = table.get(key)
    if value is None:
        if required:
            raise QueryFileError(
                f"{path}: missing required key {prefix}{key} (a date like 2025-05-10)."
            )
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise QueryFileError(f"{path}: {prefix}{key} = {value!r} is not a date: use YYYY-MM-DD.")


def _pairs(table: dict, key: str, path: str, prefix: str) -> tuple[tuple[str, str], ...]:
    value = table.get(key)
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise QueryFileError(f'{path}: {prefix}{key} must be a table of name = "value".')
    return tuple((str(k), str(v)) for k, v in value.items())


def split_window(start: date, end: date, parts: int) -> list[tuple[date, date]]:
    """Split an inclusive day window into up to `parts` contiguous, non-overlapping pieces."""
    days = (end - start).days + 1
    parts = max(1, min(parts, days))
    size, extra = divmod(days, parts)
    windows, cursor = [], start
    for i in range(parts):
        length = size + (1 if i < extra else 0)
        last = cursor + timedelta(days=length - 1)
        windows.append((cursor, last))
        cursor = last + timedelta(days=1)
    return windows
