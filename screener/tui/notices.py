"""Errors the screens turn into notifications, and the record of notifications shown
(tests and benchmarks read `app.notices`)."""

from __future__ import annotations

import sqlite3

from textual.notifications import SeverityLevel

from screener.errors import ScreenerError
from screener.textsafe import safe_for_terminal

# Shown as a notification, never a traceback: the workflow's errors, and SQLite's (a
# locked or unwritable database) on the way to the workflow.
FAILURES = (ScreenerError, sqlite3.Error)


class NoticesMixin:
    """Keep every notification shown, so tests and benchmarks can read them."""

    notices: list[tuple[str, str]]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        # Messages may carry outside text (a title, a server's error): never raw escapes.
        message = safe_for_terminal(message)
        self.notices.append((severity, message))
        super().notify(  # type: ignore[misc]
            message, title=title, severity=severity, timeout=timeout, markup=markup
        )
