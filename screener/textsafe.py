"""Text from outside made safe: control characters and terminal escape sequences removed.

Core module: pure functions only, no IO. Everything that enters a review from a file, a
server or a person passes `clean_text` at the boundary (importers, sources, CLI input), and
everything printed that came from outside passes `safe_for_terminal` again, because old
reviews and error bodies may still hold raw bytes.

What is removed: ESC sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, DCS/SOS/PM/APC
strings, two-byte ESC sequences), C0 controls except tab and newline (carriage returns
become newlines), DEL, C1 controls (U+0080-U+009F, which some terminals obey as 8-bit
CSI/OSC), and Unicode bidirectional overrides that make printed text read differently from
what is stored ("Trojan source").
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

# OSC / DCS / SOS / PM / APC strings run to BEL or ST (ESC \ or the C1 ST U+009C);
# an unterminated one runs to the end of the text.
_ESC_STRING = re.compile(
    r"(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
# CSI: ESC [ (or C1 CSI U+009B), parameters, intermediates, one final byte.
_CSI = re.compile(r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?")
# Any other escape: ESC, optional intermediates, one final byte.
_ESC_OTHER = re.compile(r"\x1b[\x20-\x2f]*[\x30-\x7e]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CRLF = re.compile(r"\r\n?")
_NEEDS_CLEANING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str | None) -> str | None:
    """Return `value` without escape sequences and control characters (tab, newline kept).

    `None` stays `None`, so optional fields keep meaning "absent". Idempotent.
    """
    if value is None or not isinstance(value, str):
        return value
    # Fast path (C speed) for the overwhelming majority of fields; a field with other
    # unprintable characters (e.g. a no-break space) is checked by the regex.
    if value.replace("\n", "").replace("\t", "").isprintable():
        return value
    if not _NEEDS_CLEANING.search(value):
        return value
    text = _CRLF.sub("\n", value)
    text = _ESC_STRING.sub("", text)
    text = _CSI.sub("", text)
    text = _ESC_OTHER.sub("", text)
    return _CONTROL.sub("", text)


def clean_line(value: str | None) -> str:
    """Return `value` cleaned and folded to one line (newlines and tabs become spaces)."""
    text = clean_text(value) or ""
    return " ".join(text.split()) if ("\n" in text or "\t" in text) else text


def safe_for_terminal(value: object) -> str:
    """Return `str(value)` fit to print: what `clean_text` removes cannot reach a terminal."""
    text = value if isinstance(value, str) else str(value)
    return clean_text(text) or ""


def has_control(value: str | None) -> bool:
    """True if `value` holds anything `clean_text` would remove."""
    return bool(value) and clean_text(value) != value


def clean_fields(obj: T) -> T:
    """A frozen dataclass with `clean_text` applied to every text field, including text
    inside tuples (authors, keywords, (name, value) pairs); the same object if clean."""
    names = _field_names(type(obj))
    # Fast path, exact: `clean_text` leaves a text alone unless it holds one of these
    # characters, so one scan of all texts together settles the (usual) clean record.
    if not _NEEDS_CLEANING.search("".join(_texts(getattr(obj, n) for n in names))):
        return obj
    changes = {}
    for name in names:
        value = getattr(obj, name)
        cleaned = _clean_value(value)
        if cleaned is not value:
            changes[name] = cleaned
    return dataclasses.replace(obj, **changes) if changes else obj  # type: ignore[type-var]


@functools.lru_cache(maxsize=64)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _texts(values) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, tuple):
            yield from _texts(value)


def _clean_value(value):
    if isinstance(value, str):
        cleaned = clean_text(value)
        return value if cleaned == value else cleaned
    if isinstance(value, tuple):
        items = tuple(_clean_value(v) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value
