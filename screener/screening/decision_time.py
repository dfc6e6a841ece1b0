"""When a decision was made, as given with it (e.g. the `time` column of `decisions import`).

Core module: pure functions, no IO; the caller passes the current time. A decision's own time
dates it in reports (`prisma --as-of`), so it must be a real instant and not in the future.

Accepted: ISO 8601 as Python reads it (`2026-10-01`, `2026-10-01T14:30`, `2026-10-01 14:30:05`,
`2026-10-01T14:30:05.123+02:00`, `...Z`, `20261001T143005Z`). A time without an offset is taken
as UTC, and a date alone as its first instant (UTC). The result has the form every stored time
has (`2026-10-01T12:30:05.123000Z`), so times compare as text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from screener.screening.settings import DecisionError

# Clocks of the machines a spreadsheet came from may run a little ahead of this one.
CLOCK_SKEW = timedelta(minutes=5)
STORED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def parse_decision_time(text: str | None, now: datetime) -> str | None:
    """The decision time `text` in the stored form, or None when it is empty (then the time
    of writing stands). Raises DecisionError if it is not ISO 8601 or lies in the future
    (beyond a few minutes of clock skew); the caller adds where the text came from."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise DecisionError(
            f"time {text!r} is not an ISO 8601 date or time: write e.g. 2026-10-01 or "
            "2026-10-01T14:30:00Z"
        ) from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when.year < 1900:  # no screening decision predates it; the stored form needs 4 digits
        raise DecisionError(f"time {text!r} is before 1900: give the year in full")
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if when > now + CLOCK_SKEW:
        raise DecisionError(
            f"time {text!r} is in the future (now is {now:%Y-%m-%d %H:%M} UTC): give the "
            "time the decision was made, or leave it empty for the time of import"
        )
    return when.strftime(STORED_FORMAT)


def stored_time(text: str | None) -> str | None:
    """A stored decision time in the stored form, or None if it cannot be read (old data);
    lenient: no check against the clock."""
    try:
        when = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime(STORED_FORMAT)
