"""Control characters and escape sequences never survive `clean_text`."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener.textsafe import clean_line, clean_text, has_control, safe_for_terminal

CASES = [
    ("a\x1b]0;pwned\x07b", "ab"),  # OSC retitles the window
    ("x\x1b[2Jy", "xy"),  # CSI clears the screen
    ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
    ("tab\tnl\ncrlf\r\ncr\r", "tab\tnl\ncrlf\ncr\n"),
    ("\x9b31mred", "red"),  # C1 CSI
    ("bidi\u202eevil", "bidievil"),
    ("nul\x00bell\x07del\x7f", "nulbelldel"),
    ("Œstrogen – β-blockers ≤ 5 µg", "Œstrogen – β-blockers ≤ 5 µg"),
    ("unterminated \x1b]0;title", "unterminated "),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_none_and_line():
    assert clean_text(None) is None
    assert clean_line("a\n\tb\x1b[1m") == "a b"
    assert safe_for_terminal(3) == "3"
    assert has_control("x\x1by") and not has_control("plain")


@given(st.text())
def test_no_control_survives_and_idempotent(text):
    cleaned = clean_text(text)
    assert not any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in cleaned)
    assert clean_text(cleaned) == cleaned
