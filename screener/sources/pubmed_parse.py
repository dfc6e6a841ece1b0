"""Parse EFetch bodies into records in worker processes, while the caller stores.

Biopython's parser is pure Python: in a thread it would compete for the GIL with the
SQLite writes of the main thread. `BatchParser` hands each body to a small pool of
processes (parse and map there, records back), keeps at most a few batches in flight
(memory stays bounded by the batch size), and gives results back in the order the
bodies were submitted. With `processes=0` it parses inline (small fetches, tests).
Workers ignore SIGINT: Ctrl-C is handled once, by the main process.

`FetchTimings` adds up where a fetch spends its time, for `bench/bench_pubmed.py`.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from screener.errors import SourceError
from screener.models import Record
from screener.sources.entrez import read_entrez
from screener.sources.pubmed_xml import PubmedXmlError, records_from_parsed, xml_errors


@dataclass
class FetchTimings:
    """Seconds spent per phase of a PubMed fetch (parse and map are summed over workers)."""

    search: float = 0.0  # ESearch over every window
    network_wait: float = 0.0  # the main process waiting for the next body
    parse_wait: float = 0.0  # the main process waiting for a worker's records
    parse: float = 0.0  # Biopython's Entrez parser
    map: float = 0.0  # parsed XML to Records
    write: float = 0.0  # SQLite: storing records and linking them to the run
    batches: int = 0
    processes: int = 0


@dataclass(frozen=True)
class ParsedBatch:
    """The records of one EFetch body, or the reason it could not be parsed."""

    ids: Sequence[str]
    records: list[Record]
    parse_seconds: float
    map_seconds: float
    error: str = ""


def parse_batch(ids: Sequence[str], body: bytes) -> ParsedBatch:
    """Parse and map one body (runs in a worker process, or inline)."""
    began = time.perf_counter()
    try:
        parsed = read_entrez(body)
    except xml_errors() as exc:
        return ParsedBatch(
            ids, [], time.perf_counter() - began, 0.0, f"{type(exc).__name__}: {exc}"
        )
    parsed_at = time.perf_counter()
    records = records_from_parsed(parsed)
    return ParsedBatch(ids, records, parsed_at - began, time.perf_counter() - parsed_at)


def _start_worker(parent: int) -> None:
    """Ignore Ctrl-C (the main process handles it) and end when the main process is gone
    (killed with SIGKILL, it cannot tell its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class BatchParser:
    """Submit (ids, body) pairs; iterate `ParsedBatch`es in submission order."""

    def __init__(self, processes: int, timings: FetchTimings, depth: int | None = None):
        self.timings = timings
        self.processes = processes
        self.depth = depth or max(2, processes + 1)
        self._pending: deque[Future | ParsedBatch] = deque()
        self._pool: ProcessPoolExecutor | None = None
        if processes > 0:
            context = multiprocessing.get_context("spawn")  # no fork of a threaded process
            self._pool = ProcessPoolExecutor(
                processes, context, initializer=_start_worker, initargs=(os.getpid(),)
            )
        timings.processes = processes

    def __enter__(self) -> BatchParser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)

    @property
    def full(self) -> bool:
        return len(self._pending) >= self.depth

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(self, ids: Sequence[str], body: bytes) -> None:
        if self._pool is None:
            self._pending.append(parse_batch(ids, body))
        else:
            self._pending.append(self._pool.submit(parse_batch, ids, body))

    def next_result(self) -> ParsedBatch:
        """The oldest batch submitted, parsed; raises PubmedXmlError if it was unreadable."""
        item = self._pending.popleft()
        began = time.perf_counter()
        batch = item if isinstance(item, ParsedBatch) else _result(item)
        self.timings.parse_wait += time.perf_counter() - began if self._pool else 0.0
        self.timings.parse += batch.parse_seconds
        self.timings.map += batch.map_seconds
        self.timings.batches += 1
        if batch.error:
            raise PubmedXmlError(batch.error)
        return batch

    def drain(self) -> Iterator[ParsedBatch]:
        while self._pending:
            yield self.next_result()


def _result(future: Future) -> ParsedBatch:
    """`future.result()` in short waits, so Ctrl-C in the main process is noticed at once."""
    while True:
        try:
            return future.result(timeout=0.2)
        except TimeoutError:
            continue
        except BrokenProcessPool:
            raise SourceError(
                "a process parsing PubMed's XML stopped unexpectedly (out of memory, or "
                "killed); what was stored stays stored and a rerun resumes. "
                "SCREENER_PARSE_PROCESSES=0 parses in the main process instead."
            ) from None
