"""Text folding shared by the dedup normalizers. Core module: pure functions, no IO."""

from __future__ import annotations

import html
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
        [
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o",
            "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
            "yu", "ya", "i", "i", "ie", "g",
        ],
        strict=True,
    )
)  # fmt: skip
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "&": " and ",
    }
)


def fold(text: str) -> str:
    """Lower-case, accent-free text; punctuation (and `_`) becomes single spaces.

    Non-Latin letters are kept (so Chinese or Korean titles still compare), only accents
    are dropped.
    """
    if not text:
        return ""
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    elif "&" in text:
        text = text.replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def transliterate(text: str) -> str:
    """Cyrillic to Latin (rough, for author names given in both scripts)."""
    if text.isascii():
        return text
    return "".join(_CYRILLIC.get(ch, ch) for ch in text)


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:_.-]*(?:\s[^<>]*)?/?>")


def clean_markup(text: str) -> str:
    """Drop HTML/MathML tags (keeping their text) and decode entities."""
    if not text:
        return ""
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return _SPACES.sub(" ", text).strip()
