"""Journal and conference names: alternatives, abbreviations, acronyms.

Core module: pure functions, no IO.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from screener.dedup import rules
from screener.dedup.journals import spelling_prefixes, title_variants, word_variants
from screener.dedup.text import clean_markup, fold

_VENUE_STOP = frozenset(
    [
        "the",
        "of",
        "and",
        "for",
        "in",
        "on",
        "at",
        "de",
        "des",
        "du",
        "la",
        "le",
        "les",
        "el",
        "y",
        "e",
        "et",
        "fur",
        "fuer",
        "und",
        "der",
        "die",
        "das",
        "i",
        "a",
        "an",
    ]
)
_VENUE_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)?$")
_CONFERENCE_WORDS = frozenset(
    [
        "conference",
        "conf",
        "symposium",
        "workshop",
        "congress",
        "colloquium",
        "meeting",
        "proceedings",
        "proc",
        "amcis",
        "icis",
        "ecis",
        "pacis",
        "hicss",
    ]
)
_JOURNAL_WORDS = frozenset(
    [
        "journal",
        "j",
        "journals",
        "transactions",
        "quarterly",
        "letters",
        "magazine",
        "annals",
        "bulletin",
        "revista",
        "zeitschrift",
        "archives",
    ]
)


class VenueInfo:
    __slots__ = ("alternatives", "conference", "journal_like", "folded", "supplement")

    def __init__(self) -> None:
        self.alternatives: tuple[tuple[str, ...], ...] = ()
        self.conference = False
        self.journal_like = False
        self.folded = ""
        self.supplement = False  # a meeting's abstracts printed in this journal


# Embase names a meeting abstract's journal "<Journal>. Conference: <meeting>": the
# abstract is published in the journal (a supplement), so the journal is the venue.
_MEETING_SUFFIX = re.compile(
    r"^(?P<journal>.+?)\s*[.;,]\s*(?:conference|congress|meeting|symposium)\s*:.*$",
    re.IGNORECASE | re.DOTALL,
)


_VENUE_BOILERPLATE = frozenset(
    ["proceedings", "proc", "papers", "paper", "vol", "volume", "edition", "ed"]
)


def _venue_tokens(text: str) -> tuple[str, ...]:
    toks = fold(text).split()
    kept = tuple(
        t
        for t in toks
        if t not in _VENUE_STOP and t not in _VENUE_BOILERPLATE and not _ORDINAL.match(t)
    )
    if not rules.enabled("journal-normal"):
        return kept
    return tuple(_standard_word(t) for t in kept)


@lru_cache(maxsize=65536)
def _standard_word(token: str) -> str:
    """One spelling of a journal word (the table in `screener.dedup.journals`)."""
    token = word_variants().get(token, token)
    for variant, standard in spelling_prefixes():
        if token.startswith(variant):
            return standard + token[len(variant) :]
    return token


@cache
def _other_names() -> dict[tuple[str, ...], tuple[str, ...]]:
    names: dict[tuple[str, ...], tuple[str, ...]] = {}
    for a, b in title_variants():
        ta, tb = _venue_tokens(a), _venue_tokens(b)
        names[ta], names[tb] = tb, ta
    return names


@lru_cache(maxsize=65536)
def prepare_venue(journal: str, entry_type: str = "") -> VenueInfo:
    info = VenueInfo()
    if not journal:
        info.conference = entry_type in ("inproceedings", "conference", "proceedings")
        return info
    text = clean_markup(journal)
    if rules.enabled("journal-normal"):
        meeting = _MEETING_SUFFIX.match(text)
        if meeting:
            text = meeting.group("journal")
            info.supplement = True
    info.folded = fold(text)
    alternatives: list[tuple[str, ...]] = []
    pieces = text.split("=")
    for inner in _VENUE_NOISE.findall(text):  # "Gan to Kagaku Ryoho [Japanese Journal of ...]"
        if len(inner.split()) >= 2:
            pieces.append(inner[1:-1])
    for piece in pieces:
        stripped = _VENUE_NOISE.sub(" ", piece)
        full = _venue_tokens(stripped)
        if full:
            alternatives.append(full)
        if ":" in stripped or " - " in stripped or ";" in stripped:
            for sub in re.split(r":| - |;", stripped):
                toks = _venue_tokens(sub)
                if toks and toks not in alternatives:
                    alternatives.append(toks)
        if "." in stripped and ":" not in stripped:
            # "JPEN. Journal of parenteral ..." - the part after an abbreviation
            head, _, tail = stripped.partition(". ")
            toks = _venue_tokens(tail)
            if tail and len(toks) >= 2 and toks not in alternatives:
                alternatives.append(toks)
    if rules.enabled("journal-normal"):
        for toks in list(alternatives):
            other = _other_names().get(toks)
            if other and other not in alternatives:
                alternatives.append(other)
    info.alternatives = tuple(alternatives)
    words = set(info.folded.split())
    info.conference = bool(words & _CONFERENCE_WORDS) and not (
        "proceedings" in words and ("academy" in words or "royal" in words)
    )
    if entry_type in ("inproceedings", "conference", "proceedings"):
        info.conference = True
    info.journal_like = bool(words & _JOURNAL_WORDS) and not info.conference
    return info


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _abbrev_of(short: str, full: str) -> bool:
    """Whether token `short` can abbreviate token `full` ("natl"/"national", "j"/"journal")."""
    if short == full:
        return True
    if not short or not full or short[0] != full[0] or len(short) > len(full):
        return False
    return full.startswith(short) or _is_subsequence(short, full)


def _abbreviates(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """Every token of `short` abbreviates the next token of `full`, covering both."""
    if len(short) != len(full):
        return False
    return all(_abbrev_of(s, f) for s, f in zip(short, full, strict=True))


def _acronym_of(acronym: str, words: tuple[str, ...]) -> bool:
    """ "amcis" ~ ("americas", "conference", "information", "systems")."""
    if len(acronym) < 3 or not words:
        return False

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(acronym):
            return j == len(words) or all(w.isdigit() for w in words[j:])
        if j == len(words):
            return False
        word = words[j]
        for k in range(1, min(len(word), len(acronym) - i) + 1):
            if word[:k] != acronym[i : i + k]:
                break
            if go(i + k, j + 1):
                return True
        return False

    return go(0, 0)


@lru_cache(maxsize=262144)
def venues_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same venue written differently (abbreviated, squashed, acronym, contained)."""
    if a == b:
        return True
    if not a or not b:
        return False
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) == len(full) and (_abbreviates(a, b) or _abbreviates(b, a)):
        return True
    set_short, set_full = set(short), set(full)
    if len(short) >= 2 and set_short <= set_full:
        return True
    if len(short) >= 3 and len(set_short & set_full) >= 0.8 * len(set_short):
        return True
    if len(short) == 1:
        token = short[0]
        joined = "".join(full)
        if len(token) >= 8 and token[0] == joined[0] and _is_subsequence(token, joined):
            return True
        if 3 <= len(token) <= 7 and _acronym_of(token, full):
            return True
    # drop-in abbreviations with a different token count ("Jthoraccardiovascsurg")
    joined_short, joined_full = "".join(short), "".join(full)
    return (
        len(joined_short) >= 8
        and len(short) < len(full)
        and joined_short[0] == joined_full[0]
        and _abbreviation_cover(short, full)
    )


def _abbreviation_cover(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """Each short token abbreviates one or more consecutive full tokens, in order."""

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(short):
            return j == len(full)
        if j == len(full):
            return False
        token = short[i]
        for k in range(j + 1, min(len(full), j + 4) + 1):
            joined = "".join(full[j:k])
            if token[0] == joined[0] and _is_subsequence(token, joined) and go(i + 1, k):
                return True
        return False

    return go(0, 0)
