"""Normalizers for identifiers and text shared by sources, importers and dedup.

Core module: pure functions only, no IO.
"""

from __future__ import annotations

import html
import re
import unicodedata

_DOI_PREFIXES = re.compile(
    r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|https?://doi\.org/|doi\.org/)", re.IGNORECASE
)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
# Inline markup PubMed, Crossref (JATS) and publishers put in titles and abstracts. Only
# real tags are dropped: a bare "<" in "p < 0.05" is text, not markup.
_TAG = re.compile(
    r"</?(?:[a-z]+:)?(?:i|b|u|em|strong|sup|sub|sc|italic|bold|underline|inf|span|"
    r"math|mi|mo|mn|mrow|msub|msup|msubsup|mfrac|msqrt|mtext|mstyle|mspace|mover|munder|"
    r"mtable|mtr|mtd|semantics|annotation|small|font|a)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_BLOCK_TAG = re.compile(
    r"</?(?:[a-z]+:)?(?:p|br|div|title|sec|list|list-item|abstract)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d|21\d\d)")


def normalize_doi(value: str | None) -> str:
    """Return a DOI in lower case without resolver prefixes, or "" if it is not a DOI."""
    if not value:
        return ""
    doi = value.strip()
    doi = _DOI_PREFIXES.sub("", doi).strip()
    doi = doi.rstrip(".;,")
    # URL-encoded slashes appear in exported links.
    doi = doi.replace("%2F", "/").replace("%2f", "/")
    doi = doi.lower()
    return doi if _DOI_SHAPE.match(doi) else ""


def normalize_pmid(value: str | int | None) -> str:
    """Return a PMID as digits without leading zeros, or ""."""
    if value is None:
        return ""
    digits = re.sub(r"\D", "", str(value))
    return digits.lstrip("0")


def normalize_pmcid(value: str | None) -> str:
    """Return a PMCID as "PMC" + digits, or ""."""
    if not value:
        return ""
    match = re.search(r"(?:PMC)?\s*(\d+)", str(value).strip(), re.IGNORECASE)
    return f"PMC{match.group(1)}" if match else ""


def clean_text(value: str | None) -> str:
    """Flatten markup and whitespace: HTML/XML tags dropped, entities decoded."""
    if not value:
        return ""
    text = _BLOCK_TAG.sub(" ", _TAG.sub("", str(value)))
    text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


def first_year(value: str | int | None) -> int | None:
    """The first plausible four-digit year in a date string ("1998 Dec-1999 Jan" → 1998)."""
    if value is None:
        return None
    match = _YEAR.search(str(value))
    return int(match.group(1)) if match else None


def fold(text: str) -> str:
    """Lower-case ASCII-folded text with punctuation turned into single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", " ", text.lower())
    return _SPACE.sub(" ", text).strip()
