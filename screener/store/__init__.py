"""The review database: one SQLite file per review, and the only package that writes SQL.

Opening a file creates it and applies any pending migrations (users never run an
upgrade step); a file written by a newer screener is refused with a clear error.
WAL mode and a busy timeout let several reviewers write to one file at once.
"""

from screener.store.base import StoreBase, now
from screener.store.dedup import DedupMixin
from screener.store.ranking import RankingMixin
from screener.store.records import RECORD_COLUMNS, RecordsMixin, row_to_record
from screener.store.reporting import ReportingMixin
from screener.store.runs import RunsMixin
from screener.store.screening import ScreeningMixin


class Store(
    RunsMixin, RecordsMixin, DedupMixin, ScreeningMixin, ReportingMixin, RankingMixin, StoreBase
):
    """An open review database."""


__all__ = ["RECORD_COLUMNS", "Store", "now", "row_to_record"]
