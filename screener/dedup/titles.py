"""Titles prepared for comparison: markup and database annotations dropped, notice type
(erratum, retraction notice, comment/reply, protocol), translations, series numbers,
stock titles. Core module: pure functions, no IO.
"""

from __future__ import annotations

import re

from screener.dedup import rules
from screener.dedup.text import _SPACES, clean_markup, fold

# Greek letters as the databases that cannot print them spell them out.
_GREEK = str.maketrans(
    {
        ch: name
        for chars, name in (
            ("αΑ", "alpha"), ("βΒϐ", "beta"), ("γΓ", "gamma"), ("δΔ", "delta"),
            ("εΕϵ", "epsilon"), ("ζΖ", "zeta"), ("ηΗ", "eta"), ("θΘϑ", "theta"),
            ("ιΙ", "iota"), ("κΚϰ", "kappa"), ("λΛ", "lambda"), ("μΜµ", "mu"),
            ("νΝ", "nu"), ("ξΞ", "xi"), ("πΠ", "pi"), ("ρΡ", "rho"), ("σΣς", "sigma"),
            ("τΤ", "tau"), ("φΦϕ", "phi"), ("χΧ", "chi"), ("ψΨ", "psi"), ("ωΩ", "omega"),
        )
        for ch in chars
    }
)  # fmt: skip

_ORIGINAL_MARK = re.compile(r"\s*<\s*original\s*>\s*", re.IGNORECASE)
_TO_MARK = re.compile(r"\]\s*TO:\s*")
# Notes that databases append to the *original* record (not notices themselves).
_APPENDED_NOTE = re.compile(
    r"\s*\[(?:\[?corrected\]\s*\[?)?\s*(?:published\s+)?"
    r"(?:errat(?:um|a)|retraction|retracted|comment|update|summary for patients|"
    r"expression of concern|reprint|republished|corrected and republished)s?\s+"
    r"(?:appears?\s+|published\s+)?(?:in|from|of)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_CORRECTED = re.compile(r"\s*\[corrected\]", re.IGNORECASE)
_LANGUAGES = (
    "afrikaans|arabic|bulgarian|catalan|chinese|croatian|czech|danish|dutch|english|"
    "estonian|finnish|french|german|greek|hebrew|hungarian|icelandic|indonesian|italian|"
    "japanese|korean|latvian|lithuanian|malay|norwegian|persian|polish|portuguese|"
    "romanian|russian|serbian|slovak|slovene|slovenian|spanish|swedish|thai|turkish|"
    "ukrainian|vietnamese"
)
_TRAILING_ANNOTATION = re.compile(
    r"\s*[\[(]\s*(?:"
    rf"(?:(?:article|text) in )?(?:{_LANGUAGES})(?:\s*(?:,|and|/)\s*(?:{_LANGUAGES}))*"
    rf"(?: (?:abstract|text|translation))?"
    r"|review|\d+ refs?|review article|corrected|editorial|letter|letters|comment|news|"
    r"abstract(?:\s*no\.?\s*:?\s*[\w-]*)?|multiple letters|see comments?|"
    r"retracted(?: article)?|retraction|erratum|published erratum|\d{1,2}|"
    r"isrctn\d*|nct\d*|careers"
    r")\s*[\])]?\s*[.;,:]?\s*$",
    re.IGNORECASE,
)
# Web of Science style erratum title: "<original title> (vol 85, pg 553, 2010)".
_WOS_ERRATUM = re.compile(
    r"\s*[\[(]\s*vol\.?\s*\d+[^()\[\]]{0,30}?\b(?:pg|p|page)\.?\s*[\w-]+[^()\[\]]{0,20}[\])]\s*$",
    re.IGNORECASE,
)
# Embase style erratum title: "<original title> (New Engl J Med (2009) 360 (542-544))".
_CITATION_ERRATUM = re.compile(
    r"\s*\((?:[^()]{3,120}\(\d{4}\)\s*[\w.]+\s*(?:\(\s*[\w\s.]*\))?\s*"
    r"\(\s*[\w]+(?:\s*[-–]\s*\w+)?\s*\))\)\s*$"
)
_LEADING_PUNCT = re.compile(r"^[\s\"'“”‘’«»*.]+")

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Matched against the lower-cased title with its punctuation.
    (
        "retraction",
        re.compile(
            r"^(?:retraction(?:\s+(?:note|notice|statement))?\s*(?:[:\-–]|to\b|for\b|$|"
            r"of\s*[:\"“])|notice of retraction|statement of retraction|withdrawal notice|"
            r"withdrawn\s*[:.]|(?:editorial\s+)?expression of concern)"
        ),
    ),
    (
        "erratum",
        re.compile(
            r"^(?:errat(?:um|a)\b|corrigend(?:um|a)\b|addendum\s*(?:[:\-–]|to\b)|"
            r"(?:authors?|authors'|author's|publishers?|publisher's)\s+(?:correction|erratum)\b|"
            r"notice of correction\b|correction notice\b|"
            r"corrections?\s*(?:[:\-–]|to\b|for\b|$)|correction\s+(?:of|to)\s*[:\"“])"
            r"|[:\-–]\s*(?:erratum|correction|corrigendum|errata)\s*\.?$"
            r"|\((?:erratum|correction)\)\s*\.?$"
        ),
    ),
    (
        "comment",
        re.compile(
            r"^(?:re\s*:|(?:comments?|commentary)\s*(?:on\b|to\b|about\b|regarding\b|upon\b|"
            r"[:\-–])|(?:reply|replies)\b|in (?:reply|response)\b|"
            r"(?:the\s+)?authors?'?s?'?\s+(?:reply|response)\b|"
            r"(?:response|reply)\s+(?:to|from)\s+(?:the\s+)?(?:comments?\b|letters?\b|"
            r"commentary|editorial|critique|criticism|correspondence|discussion|dr\b|drs\b|"
            r"prof|professor|reviewers?\b|authors?\b|editors?\b|readers?\b|[\"“'‘])|"
            r"response\s*:|letters? to the editors?\b|letters?\s*[:\-–]|"
            r"letter\s+(?:to|regarding|re)\b|correspondence\s*[:\-–]|rebuttal\b|"
            r"discussion\s+(?:on|of)\b)"
            r"|(?:\s[-–:]\s*|\s*\(\s*)(?:reply|author reply|authors'? reply|the authors reply|"
            r"in reply|response|authors'? response|rejoinder|comment)\s*\)?\s*\.?$"
        ),
    ),
    (
        "protocol",
        re.compile(
            r"\b(?:study|trial|review|research|evaluation) protocol\b|"
            r"\bprotocol (?:for|of) (?:an? |the )?(?:[\w-]+ ){0,3}"
            r"(?:systematic|scoping|rapid|umbrella|realist|review|meta|randomi[sz]ed|"
            r"cluster|pilot|feasibility|multi-?cent\w*|prospective|phase|clinical|trial|"
            r"study|cohort|mixed|qualitative|controlled|double|cross|longitudinal|"
            r"evaluation|network|living|overview|mapping)|"
            r"[:\-–]\s*(?:a\s+)?(?:study\s+)?protocol\s*\.?$|^protocol\b"
        ),
    ),
)
# "RETRACTED: <title>" marks the retracted article itself (same work, flagged).
_RETRACTED_PREFIX = re.compile(
    r"^\s*(?:retracted(?: article)?|withdrawn article)\s*[:.\-]\s*", re.I
)
# Prefixes that only label the record type; dropped before comparing titles.
_LABEL_PREFIX = re.compile(
    r"^(?:errat(?:um|a)|corrigend(?:um|a)|addendum|correction(?: notice)?|"
    r"notice of correction|retraction(?: note| notice)?|notice of retraction|"
    r"expression of concern|comments?|commentary|reply|response|in reply|re|"
    r"letter to the editor|author(?:s)? (?:reply|correction))"
    r"\s*(?:(?:to|on|for|of|regarding)\b\s*(?:the\s+article\s*)?[:\-–\"“'‘]?|[:\-–])\s*",
    re.IGNORECASE,
)

_GENERIC_TITLES = frozenset(
    fold(t)
    for t in (
        "editorial",
        "editorials",
        "guest editorial",
        "editorial note",
        "editorial notes",
        "editorial introduction",
        "editor's note",
        "editors note",
        "editor's comments",
        "editor's introduction",
        "from the editor",
        "from the editors",
        "letter from the editor",
        "introduction",
        "introduction to the special issue",
        "preface",
        "foreword",
        "book review",
        "book reviews",
        "review",
        "reviews",
        "letter",
        "letters",
        "letter to the editor",
        "reply",
        "response",
        "in reply",
        "comment",
        "comments",
        "commentary",
        "erratum",
        "errata",
        "correction",
        "corrigendum",
        "retraction",
        "retraction note",
        "in this issue",
        "issue information",
        "news",
        "abstracts",
        "conference report",
        "obituary",
        "index",
        "contents",
        "table of contents",
        "acknowledgment",
        "acknowledgments",
        "acknowledgement",
        "acknowledgements",
        "reviewers",
        "announcement",
        "announcements",
        "call for papers",
        "front matter",
        "back matter",
        "masthead",
        "unknown",
        "untitled",
        "research commentary",
        "overview",
        "summary",
        "discussion",
        "panel",
        "keynote",
        "poster",
    )
)

_LOCATOR_WORDS = frozenset(["volume", "vol", "paper", "article", "issue", "number", "no", "part"])
# Recurring items whose title repeats every year or issue.
_STOCK_PREFIX = re.compile(
    r"^(?:introduction to the (?:\w+ )?(?:mini ?track|track|special issue|special section|"
    r"symposium|panel|workshop|focus issue|issue)|(?:mini ?track|track) introduction|"
    r"editorial (?:introduction|note|notes|statement|board|comments?)|editor s (?:comments?|"
    r"introduction|note)|remarks from|guest editorial|in this issue|letter from the editor)\b"
)

_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
    "xi": 11,
    "xii": 12,
}
_WORD_NUMBERS = {
    word: value
    for value, words in enumerate(
        (
            (),
            ("one", "first", "single"),
            ("two", "second", "twice", "double"),
            ("three", "third", "thrice", "triple"),
            ("four", "fourth"),
            ("five", "fifth"),
            ("six", "sixth"),
            ("seven", "seventh"),
            ("eight", "eighth"),
            ("nine", "ninth"),
            ("ten", "tenth"),
            ("eleven",),
            ("twelve",),
            ("fifteen",),
            ("twenty",),
        )
    )
    for word in words
}
_WORD_NUMBERS["fifteen"] = 15
_WORD_NUMBERS["twenty"] = 20
_NUMBERED = frozenset(
    [
        "part",
        "parts",
        "phase",
        "stage",
        "type",
        "grade",
        "class",
        "series",
        "chapter",
        "section",
        "volume",
        "vol",
        "no",
        "number",
        "paper",
        "book",
        "issue",
        "study",
        "trial",
        "report",
    ]
)
_DIGITS = re.compile(r"\d+")


_TRAILING_CHARS = " \t.;,:*-–—"


def _strip_trailing(text: str) -> tuple[str, bool]:
    """Remove trailing annotations; returns the text and whether it was a WoS erratum."""
    wos = False
    for _ in range(6):
        text = text.rstrip(_TRAILING_CHARS)
        if not text.endswith(("]", ")")):
            break
        new = _TRAILING_ANNOTATION.sub("", text)
        if new == text:
            new = _CITATION_ERRATUM.sub("", _WOS_ERRATUM.sub("", text))
            if new == text:
                break
            wos = True
        text = new
    return text, wos


def _matching_bracket(text: str) -> int:
    """Index of the "]" that closes the "[" at position 0, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
    return -1


class TitleInfo:
    """A title prepared for comparison."""

    __slots__ = (
        "main",
        "squashed",
        "variants",
        "kind",
        "retracted",
        "translated",
        "numbers",
        "tokens",
        "generic",
        "stock",
        "cut",
    )

    def __init__(self) -> None:
        self.main = ""  # folded main title (spaces kept)
        self.squashed = ""  # folded main title, no spaces
        self.variants: tuple[str, ...] = ()  # squashed forms: main + translations/parts
        self.kind = ""  # "" | erratum | retraction | comment | protocol
        self.retracted = False
        self.translated = False  # the title was a bracketed translation
        self.numbers: tuple[int, ...] = ()  # numbers in the main title, sorted
        self.tokens = 0
        self.generic = True  # too short to identify a work, or a stock title
        self.stock = False  # a stock title ("Editorial", "Book review", the journal name)
        self.cut = False  # ends at a field length databases cut titles to (see FIELD_LENGTHS)


def title_numbers(folded: str) -> tuple[int, ...]:
    """Numbers that tell apart parts of a series: digits, and roman/word numbers after
    "part", "phase", ... (and a trailing roman numeral)."""
    found: list[int] = [int(d) for d in _DIGITS.findall(folded) if len(d) <= 6]
    words = folded.split()
    for i, word in enumerate(words):
        if word in _WORD_NUMBERS and word not in ("single", "double", "triple", "second"):
            found.append(_WORD_NUMBERS[word])  # "five-year follow-up" vs "six-year ..."
        elif word in _ROMAN:
            value = _ROMAN[word]
            prev = words[i - 1] if i else ""
            if prev in _NUMBERED or (i == len(words) - 1 and len(word) > 1):
                found.append(value)
            elif len(word) >= 2 and word not in ("vi", "xi", "ix", "iv"):
                # "ii", "iii", "vii", "viii", "xii" are not English words
                found.append(value)
    return tuple(sorted(found))


_KIND_HINTS = (
    "errat", "corrig", "correct", "addend", "retract", "withdr", "concern", "comment",
    "repl", "respon", "letter", "re:", "re :", "correspond", "rebuttal", "discussion",
    "protocol", "rejoinder",
)  # fmt: skip


_KIND_HINT = re.compile("|".join(re.escape(hint) for hint in _KIND_HINTS))


def _kind_of(text: str) -> str:
    lowered = text.lower()
    if not _KIND_HINT.search(lowered):
        return ""
    lowered = _SPACES.sub(" ", lowered.replace("’", "'")).strip()
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(lowered):
            return kind
    return ""


# Lengths at which exporting databases cut long titles (field sizes of common exports).
FIELD_LENGTHS = frozenset([100, 120, 128, 150, 200, 250, 254, 255, 256])


def prepare_title(raw: str, journal_folded: str = "") -> TitleInfo:
    """Clean a title, find its notice type, its translations and its series numbers."""
    info = TitleInfo()
    if not raw:
        return info
    length = len(raw.rstrip())
    # a cut may leave a trailing space that the export then trimmed
    info.cut = length in FIELD_LENGTHS or (length + 1 in FIELD_LENGTHS and raw[-1:] != ".")
    text = raw
    if "<" in text:
        text = _ORIGINAL_MARK.sub(" <ORIGINAL> ", text)
        text = text.replace("<ORIGINAL>", "\x00ORIG\x00")
    text = clean_markup(text)
    text = text.replace("\x00ORIG\x00", "\x01")
    text = _LEADING_PUNCT.sub("", text)

    match = _RETRACTED_PREFIX.match(text)
    if match:
        info.retracted = True
        text = text[match.end() :]

    parts: list[str] = []
    if "\x01" in text:  # EndNote: "<translated title> <ORIGINAL> <original title>"
        first, _, rest = text.partition("\x01")
        text, parts = first.strip(), [rest.strip()]
    if "] TO:" in text or "]TO:" in text:
        first, rest = _TO_MARK.split(text, maxsplit=1)
        text, parts = first + "]", parts + [rest]

    if "[" in text:
        text = _CORRECTED.sub("", _APPENDED_NOTE.sub("", text))
    text, wos_erratum = _strip_trailing(text)
    text = _LEADING_PUNCT.sub("", text)

    # A title wholly in brackets is a translation (MEDLINE convention).
    close = _matching_bracket(text) if text.startswith("[") else -1
    if close > len(text) * 0.7:
        info.translated = True
        rest = text[close + 1 :]
        text, _ = _strip_trailing(text[1:close].strip())
        if len(rest.split()) >= 3:
            parts.append(rest)
    # "<title> [<translated title>]": keep both.
    elif text.endswith("]") and "[" in text:
        start = text.rfind("[")
        inner = text[start + 1 : -1]
        if len(inner.split()) >= 3 and start > 0:
            parts.append(inner)
            text = text[:start].strip()
    if text.startswith("[") and "]" not in text and len(text) > 60:
        info.translated = True  # truncated bracketed title
        text = text[1:]
    if "; " in text:  # Embase: "<original>; <English>" (or the other way round)
        left, _, right = text.partition("; ")
        if len(left.split()) >= 4 and len(right.split()) >= 4:
            parts.extend([left, right])

    if not text.isascii() and rules.enabled("title-mangled"):
        text = text.translate(_GREEK)  # "TNF-α" in one database, "TNF-alpha" in another
    folded = fold(text)
    kind = _kind_of(text)
    if wos_erratum:
        kind = "erratum"
    info.kind = kind
    # Compare the title without its label ("Erratum: X" is compared as "X"; the kind
    # keeps them apart from X itself).
    label = _LABEL_PREFIX.match(text)
    folded_core = fold(text[label.end() :]) if label and len(text) - label.end() > 10 else folded
    words = folded_core.split()
    footnote = len(words) >= 6 and words[-1].isdigit() and len(words[-1]) <= 2
    if footnote and words[-2] not in _NUMBERED and not words[-2].isdigit():
        words.pop()  # a footnote marker: "... employee representation 1"
        folded_core = " ".join(words)
    info.main = folded_core
    info.squashed = folded_core.replace(" ", "")
    info.tokens = len(words)
    info.numbers = title_numbers(folded_core)
    stock = folded_core in _GENERIC_TITLES or not words or bool(_STOCK_PREFIX.match(folded_core))
    if journal_folded and folded_core.startswith(journal_folded) and folded_core != journal_folded:
        # "Communications of the AIS Communications of the AIS Volume 52 Paper 41"
        rest = folded_core.replace(journal_folded, " ").split()
        stock = stock or all(w.isdigit() or w in _LOCATOR_WORDS for w in rest)
    info.stock = stock
    info.generic = stock or len(words) < 3 or len(info.squashed) < 12

    variants = [info.squashed] if info.squashed else []
    for part in parts:
        part_text, _ = _strip_trailing(clean_markup(part).strip(" []"))
        squashed = fold(part_text).replace(" ", "")
        if len(squashed) >= 12 and squashed not in variants:
            variants.append(squashed)
    info.variants = tuple(variants)
    return info
