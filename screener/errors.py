"""The error hierarchy: every failure a user can cause or meet is a `ScreenerError`.

Front ends turn these into one clear line on stderr and a non-zero exit.
"""


class ScreenerError(Exception):
    """Base class: the message is what the user reads, so it says what to do next."""


class QueryFileError(ScreenerError):
    """A saved-search TOML file is missing, malformed or inconsistent."""


class DatabaseError(ScreenerError):
    """The review database cannot be opened or is from a newer screener."""


class DatabaseLockedError(DatabaseError):
    """Another process held the review's write lock for longer than the busy timeout."""


class ReadOnlyDatabaseError(DatabaseError):
    """A command tried to write to a review it may only read (file, folder or mount)."""


class DiskFullError(DatabaseError):
    """The disk (or quota) holding the review filled up; the change was rolled back."""


class CorruptDatabaseError(DatabaseError):
    """The review file is damaged or is not a screener review at all."""


class SourceError(ScreenerError):
    """A remote service failed, refused, or answered with something unusable."""


class ImportFileError(ScreenerError):
    """A file to import is unreadable, in the wrong format, or has broken entries."""


class NotFoundError(ScreenerError):
    """A record, run or search named by the user does not exist."""


class BlindingError(ScreenerError):
    """A reviewer asked for something that would break blinding."""


class InvariantError(ScreenerError):
    """A computed number breaks an arithmetic rule: a bug, never a silent number."""


class SearchBusyError(ScreenerError):
    """Another process is running the same saved search in this review."""


class DatabaseUnreachableError(DatabaseError):
    """The review server cannot be reached, or the connection broke mid-change."""
