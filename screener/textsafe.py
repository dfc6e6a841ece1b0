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

import re

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


def clean_text(value: str | None) -> str | None:
    """Return `value` without escape sequences and control characters (tab, newline kept).

    `None` stays `None`, so optional fields keep meaning "absent". Idempotent.
    """
    if value is None or not isinstance(value, str):
        return value
    if value.isprintable():  # fast path: the overwhelming majority of fields
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
