"""Every key of the screening and resolve screens, for the help screen and the hint bar.

Each row is (key as shown, what it does, full text only?); `for_stage` drops the
full-text rows at title/abstract.
"""

from __future__ import annotations

from textual.binding import Binding

from screener.screening import FULL_TEXT

# Scrolling a long record or help text: the same keys on every screen.
SCROLL_BINDINGS = [
    Binding("up", "scroll(-1)", show=False),
    Binding("down", "scroll(1)", show=False),
    Binding("pageup", "scroll(-10)", show=False),
    Binding("pagedown,space", "scroll(10)", show=False),
    Binding("home", "scroll_to(0)", show=False),
    Binding("end", "scroll_to(1)", show=False),
]

SCREEN_KEYS = [
    ("i", "include", False),
    ("e", "exclude: pick a reason (1-9; 0 = no reason where optional)", False),
    ("m", "maybe", False),
    ("r", "not retrieved (full text only)", True),
    ("n", "note on this record, saved with your decision", False),
    ("u", "undo your last decision of this session", False),
    ("→ or j", "next record", False),
    ("← or k", "previous record", False),
    ("↑ ↓ PgUp PgDn", "scroll a long record; Home/End: top/bottom", False),
    ("/", "search title, abstract, authors, DOI, PMID; / Enter again: next match", False),
    ("g", "go to a record number in your queue, or #id for a record id", False),
    ("f", "attach the full text: a PDF path or a URL (full text only)", True),
    ("o", "open the attached full text (full text only)", True),
    ("?", "this help", False),
    ("q", "quit (every decision is already saved)", False),
]
HINTS = [
    ("i", "include", False),
    ("e", "exclude", False),
    ("m", "maybe", False),
    ("r", "not retrieved", True),
    ("n", "note", False),
    ("u", "undo", False),
    ("→/j", "next", False),
    ("←/k", "prev", False),
    ("/", "search", False),
    ("g", "go to", False),
    ("f", "attach PDF", True),
    ("o", "open PDF", True),
    ("?", "help", False),
    ("q", "quit", False),
]


RESOLVE_KEYS = [
    ("i", "resolve as include (then type the rationale)", False),
    ("e", "resolve as exclude: pick a reason, then the rationale", False),
    ("m", "resolve as maybe (then the rationale)", False),
    ("r", "resolve as not retrieved (full text only)", True),
    ("→ or j", "next conflict", False),
    ("← or k", "previous conflict", False),
    ("↑ ↓ PgUp PgDn", "scroll a long record; Home/End: top/bottom", False),
    ("?", "this help", False),
    ("q", "quit (every resolution is already saved)", False),
]
RESOLVE_HINTS = [
    ("i", "include", False),
    ("e", "exclude", False),
    ("m", "maybe", False),
    ("r", "not retrieved", True),
    ("→/j", "next", False),
    ("←/k", "prev", False),
    ("?", "help", False),
    ("q", "quit", False),
]


def for_stage(keys: list[tuple[str, str, bool]], stage: str) -> list[tuple[str, str]]:
    return [(key, text) for key, text, full in keys if stage == FULL_TEXT or not full]
