"""Author names reduced to comparable keys. Core module: pure functions, no IO."""

from __future__ import annotations

import re

from screener.dedup.text import clean_markup, fold, transliterate

MAX_AUTHORS = 10  # authors compared per record

_PARTICLES = frozenset(
    [
        "de",
        "del",
        "della",
        "der",
        "den",
        "di",
        "da",
        "dos",
        "das",
        "du",
        "la",
        "le",
        "van",
        "von",
        "vander",
        "vande",
        "ter",
        "ten",
        "al",
        "el",
        "bin",
        "ibn",
        "jr",
        "sr",
        "ii",
        "iii",
        "iv",
        "mc",
        "st",
        "y",
        "e",
    ]
)
_INITIALS_ONLY = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_ENDNOTE_GLUED = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z'’])")
_AUTHOR_SPLIT = re.compile(r"\s+and\s+|\s*;\s*", re.IGNORECASE)
_NON_PERSON = frozenset(
    [
        "unknown",
        "anonymous",
        "anon",
        "group",
        "investigators",
        "collaborators",
        "committee",
        "consortium",
        "society",
        "association",
        "inc",
        "ltd",
        "pharmaceuticals",
        "corporation",
        "network",
        "team",
        "trialists",
    ]
)


def split_authors(value: str) -> list[str]:
    """Split a free-form author string ("A, B and C, D", "A; B", EndNote "Tan A.Lee B.")."""
    if not value:
        return []
    names: list[str] = []
    for chunk in _AUTHOR_SPLIT.split(value):
        chunk = chunk.strip()
        if not chunk:
            continue
        if "," not in chunk and _ENDNOTE_GLUED.search(chunk):
            names.extend(p.strip() for p in _ENDNOTE_GLUED.split(chunk) if p.strip())
        else:
            names.append(chunk)
    return names


class AuthorKey:
    """One author reduced to comparable keys."""

    __slots__ = ("surname", "given", "initials", "alt")

    def __init__(
        self, surname: frozenset[str], given: frozenset[str], initials: frozenset[str]
    ) -> None:
        self.surname = surname  # tokens of the family name
        self.given = given  # given-name tokens of 2+ letters
        self.initials = initials  # first letters of the given names
        self.alt = surname | given


def _tokens(text: str) -> list[str]:
    return [t for t in fold(transliterate(text.lower())).split() if t]


_AUTHOR_CACHE: dict[str, AuthorKey | None] = {}


def parse_author(name: str) -> AuthorKey | None:
    """Family-name tokens of one author name, in any of the usual layouts (cached)."""
    try:
        return _AUTHOR_CACHE[name]
    except KeyError:
        pass
    key = _parse_author(name)
    if len(_AUTHOR_CACHE) > 500_000:
        _AUTHOR_CACHE.clear()
    _AUTHOR_CACHE[name] = key
    return key


def _parse_author(name: str) -> AuthorKey | None:
    name = clean_markup(name).strip()
    if not name:
        return None
    ambiguous = False
    if "," in name:
        family, _, given = name.partition(",")
        family_tokens = _tokens(family)
        given_tokens = _tokens(given)
        if not family_tokens and given_tokens:
            family_tokens, given_tokens = given_tokens, []
    else:
        raw = name.replace(".", ". ").split()
        if not raw:
            return None
        # "Smith JA", "Smith J. A."
        tail = len(raw)
        while tail > 1 and _INITIALS_ONLY.match(raw[tail - 1]):
            tail -= 1
        if tail < len(raw):
            family_tokens = _tokens(" ".join(raw[:tail]))
            given_tokens = _tokens(" ".join(raw[tail:]))
            if len(raw) - tail == 1 and len(raw[-1].strip(".")) > 1 and raw[-1].isupper():
                given_tokens = list(raw[-1].strip(".").lower())  # "Smith JA" -> j, a
        else:
            # "J. A. Smith", "John Smith": family name is what follows the initials/given
            head = 0
            while head < len(raw) - 1 and _INITIALS_ONLY.match(raw[head]):
                head += 1
            if head:
                family_tokens = _tokens(" ".join(raw[head:]))
                given_tokens = _tokens(" ".join(raw[:head]))
            else:
                toks = _tokens(name)
                # ambiguous order ("Omulo Sylvia" / "Hala Annabi"): keep both ends
                family_tokens = [toks[0], toks[-1]] if len(toks) > 1 else toks
                given_tokens = toks
                ambiguous = True
    surname = frozenset(t for t in family_tokens if len(t) > 1 and t not in _PARTICLES)
    if not surname:
        surname = frozenset(t for t in family_tokens if t)
    if not surname:
        return None
    given = frozenset(t for t in given_tokens if len(t) > 1 and t not in _PARTICLES)
    # initials are only known when the given names are (not for "Shin" or "Omulo Sylvia")
    initials = frozenset() if ambiguous else frozenset(t[0] for t in given_tokens if t)
    return AuthorKey(surname, given, initials)


def prepare_authors(authors: tuple[str, ...] | list[str]) -> tuple[tuple[AuthorKey, ...], bool]:
    """Parse an author list; the flag says whether it names people (not "Anonymous")."""
    names: list[str] = []
    for item in authors:
        if item and (" and " in item or ";" in item):
            names.extend(split_authors(item))
        elif item:
            names.append(item)
    keys: list[AuthorKey] = []
    for name in names[:MAX_AUTHORS]:
        key = parse_author(name)
        if key is not None:
            keys.append(key)
    if not keys:
        return (), False
    real = not all(k.surname & _NON_PERSON for k in keys)
    return tuple(keys), real
