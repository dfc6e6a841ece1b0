"""Records from a server made safe to store: every text field passes `textsafe.clean_text`.

The boundary where text from PubMed, Crossref and the DOI registration agencies enters
the review: the sources' mappers return records through `safe_record`, so a title or
abstract holding escape sequences or control characters is stored without them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from screener.models import Record
from screener.textsafe import clean_text

_TEXT_FIELDS = tuple(f.name for f in fields(Record) if f.name not in ("year",))


def safe_record(record: Record) -> Record:
    """`record` with control characters and escape sequences removed from every text."""
    changes = {}
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        cleaned = _safe(value)
        if cleaned is not value and cleaned != value:
            changes[name] = cleaned
    return record.with_changes(**changes) if changes else record


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple):
        return tuple(_safe(item) for item in value)
    return value
