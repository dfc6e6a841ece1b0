"""PubMed through NCBI E-utilities: ESearch per date window, EFetch in large batches.

PubMed's ESearch (and EFetch from the history server) stop at 9,999 records, so a
search is split into date windows, bisected until each holds fewer than the cap. Each
window is searched once with the history server; its records are then fetched in
batches by a background thread while the caller parses and stores the previous batch.
"""

from __future__ import annotations

import math
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import requests
from Bio.Entrez.Parser import CorruptedXMLError, NotXMLError, ValidationError

from screener.errors import SourceError
from screener.http import HttpClient, PermanentResponseError, RetryableResponseError
from screener.queries import split_window
from screener.sources.entrez import read_entrez
from screener.sources.pubmed_parse import FetchTimings
from screener.textsafe import clean_line, clean_text

DEFAULT_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
PLATFORM = "PubMed via NCBI E-utilities"
DATABASE = "PubMed"
CAP = 9999  # ESearch and history-server EFetch serve at most this many per query
TOOL = "screener"
STOP_WAIT = 1.0  # seconds a stopping run waits for its fetch thread
_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)
_ROOT = re.compile(rb"<([A-Za-z][\w.-]*)[\s>/]")  # the first element: after <?xml and <!DOCTYPE
_TRANSIENT = ("search backend failed", "temporarily unavailable", "try again", "timeout")
_DATE_TAGS = {"pdat": "dp", "edat": "edat", "crdt": "crdt"}


@dataclass(frozen=True)
class Window:
    """A contiguous, inclusive date window of one search, with what ESearch said of it."""

    start: date
    end: date
    count: int
    ids: tuple[str, ...] = ()
    webenv: str = ""
    query_key: str = ""
    translation: str = ""


@dataclass
class SearchPlan:
    """The windows that together cover the whole search, each under the cap."""

    term_as_sent: str
    windows: list[Window] = field(default_factory=list)
    translation: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(w.count for w in self.windows)


def windowed_term(term: str, date_field: str, start: date, end: date) -> str:
    """The query exactly as sent for one window: the user's term AND a date range."""
    tag = _DATE_TAGS[date_field]
    return f'({term}) AND ("{start:%Y/%m/%d}"[{tag}] : "{end:%Y/%m/%d}"[{tag}])'


class PubmedClient:
    """E-utilities over an HttpClient; sends tool, email and api_key on every request."""

    def __init__(
        self,
        http: HttpClient,
        *,
        email: str = "",
        api_key: str = "",
        batch_size: int = 1000,
        parse_processes: int = 2,
    ) -> None:
        self.http = http
        self.parse_processes = parse_processes  # 0: parse in the calling thread
        self.timings = FetchTimings()
        self.email = email
        self.api_key = api_key
        self.batch_size = batch_size
        self.http.limiter.set_rate(10.0 if api_key else 3.0)

    def _params(self, **params: object) -> dict[str, object]:
        base: dict[str, object] = {"db": "pubmed", "tool": TOOL}
        if self.email:
            base["email"] = self.email
        if self.api_key:
            base["api_key"] = self.api_key
        base.update({k: v for k, v in params.items() if v not in (None, "")})
        return base

    # ---- searching -------------------------------------------------------------------

    def esearch(self, term: str, *, retmax: int = CAP, webenv: str = "") -> dict:
        """One ESearch with the history server; returns what Entrez.read parsed."""
        data = self._params(term=term, usehistory="y", retmax=retmax, WebEnv=webenv)
        response = self.http.request("POST", "esearch.fcgi", data=data, check=_check_xml)
        try:
            result = read_entrez(response.content)
        except (NotXMLError, CorruptedXMLError, ValidationError, RuntimeError, ValueError) as exc:
            raise SourceError(
                f"PubMed ESearch answered something unreadable: {clean_line(str(exc))}"
            ) from None
        for error in result.get("ErrorList", {}).get("FieldNotFound", []):
            raise SourceError(
                f"PubMed does not know the field in {clean_line(str(error))!r}; check the term."
            )
        return result

    def search_windows(
        self, term: str, date_field: str, start: date, end: date, plan: SearchPlan
    ) -> Iterator[tuple[Window, int]]:
        """Search every window of [start, end], splitting those the server will not list whole.

        A window is split when its count is over the cap, and also when ESearch lists
        fewer ids than it counts (a server whose cap is lower than 9,999, or a misreport):
        the lower figure becomes the cap for the rest of the run. A single day that still
        lists fewer ids than its count fails the run. Yields each final window with the
        number of windows still to search, and fills `plan` as it goes. One WebEnv is
        reused for every window of the run.
        """
        pending = [(start, end)]
        webenv = ""
        cap = CAP
        while pending:
            lo, hi = pending.pop(0)
            result = self.esearch(windowed_term(term, date_field, lo, hi), webenv=webenv)
            webenv = str(result.get("WebEnv", webenv))
            count = int(result["Count"])
            ids = tuple(str(i) for i in result.get("IdList", []))
            _collect_warnings(result, plan.warnings)
            if not plan.translation:  # the first search covers the whole window
                plan.translation = clean_text(str(result.get("QueryTranslation", ""))) or ""
            if count <= cap and len(ids) < count:
                cap = max(1, len(ids))  # the server lists at most this many per query
            if count > cap:
                if lo == hi:
                    raise SourceError(_too_many_for_one_day(count, len(ids), lo, cap))
                # Aim for windows of ~80% of the cap so most need no further split.
                parts = max(2, math.ceil(count / max(1, cap * 0.8)))
                pending[:0] = split_window(lo, hi, parts)
                continue
            window = Window(
                start=lo,
                end=hi,
                count=count,
                ids=ids,
                webenv=webenv,
                query_key=str(result.get("QueryKey", "")),
                translation=clean_text(str(result.get("QueryTranslation", ""))) or "",
            )
            plan.windows.append(window)
            yield window, len(pending)

    # ---- fetching --------------------------------------------------------------------

    def fetch_batches(
        self, window: Window, wanted: Sequence[str]
    ) -> Iterator[tuple[Sequence[str], bytes]]:
        """EFetch XML for `wanted` ids of a window, batch by batch.

        When every id of the window is wanted, page the history server; otherwise (a
        resumed or updated run) POST the missing ids.
        """
        size = self.batch_size
        if len(wanted) == len(window.ids) and window.webenv and window.query_key:
            for start in range(0, len(wanted), size):
                ids = wanted[start : start + size]
                yield (
                    ids,
                    self._efetch(
                        WebEnv=window.webenv,
                        query_key=window.query_key,
                        retstart=start,
                        retmax=size,
                    ),
                )
        else:
            for start in range(0, len(wanted), size):
                ids = wanted[start : start + size]
                yield ids, self._efetch(id=",".join(ids))

    def _efetch(self, **params: object) -> bytes:
        data = self._params(retmode="xml", **params)
        response = self.http.request("POST", "efetch.fcgi", data=data, check=_check_xml)
        return response.content

    def prefetch(
        self, jobs: Iterable[tuple[Window, Sequence[str]]], depth: int = 2
    ) -> Iterator[tuple[Window, Sequence[str], bytes]]:
        """Fetch in a background thread, `depth` batches ahead of the consumer.

        The consumer parses and stores one batch while the next is on the wire, so a
        run takes about as long as the slower of the two, not their sum.
        """
        out: queue.Queue = queue.Queue(maxsize=depth)
        stop = threading.Event()
        done = object()

        def worker() -> None:
            try:
                for window, wanted in jobs:
                    for ids, body in self.fetch_batches(window, wanted):
                        if not _put(out, (window, ids, body), stop):
                            return
                _put(out, done, stop)
            except BaseException as exc:  # handed to the consumer, raised there
                _put(out, exc, stop)

        thread = threading.Thread(target=worker, name="pubmed-fetch", daemon=True)
        thread.start()
        finished = False
        try:
            while True:
                item = _get(out)
                if item is done:
                    finished = True
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            if not finished and thread.is_alive():
                # Stopping early (Ctrl-C, a failure): abort the request in flight rather
                # than wait for it, and give the thread a moment to notice.
                self.http.cancel()
                _drain(out)
                thread.join(STOP_WAIT)


def _get(out: queue.Queue):
    """`out.get()` in short waits, so Ctrl-C in the main thread is noticed at once."""
    while True:
        try:
            return out.get(timeout=0.2)
        except queue.Empty:
            continue


def _put(out: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put unless the consumer has stopped; False when it has."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def _drain(out: queue.Queue) -> None:
    while True:
        try:
            out.get_nowait()
        except queue.Empty:
            return


def _too_many_for_one_day(count: int, listed: int, day: date, cap: int) -> str:
    if listed < count:
        return (
            f"PubMed counted {count} records for {day:%Y-%m-%d} but listed only {listed}; "
            "screener cannot get the rest by splitting dates further, so the run stops "
            "rather than miss records. Narrow the term, or try again later."
        )
    return (
        f"PubMed holds {count} records for {day:%Y-%m-%d} alone, more than the {cap} one "
        "query can return; narrow the term or use another date field."
    )


def _collect_warnings(result: dict, warnings: list[str]) -> None:
    for key in ("PhraseIgnored", "QuotedPhraseNotFound", "OutputMessage"):
        for text in result.get("WarningList", {}).get(key, []):
            message = f"{key}: {clean_line(str(text))}"
            if message not in warnings:
                warnings.append(message)
    for text in result.get("ErrorList", {}).get("PhraseNotFound", []):
        message = f"PhraseNotFound: {clean_line(str(text))}"
        if message not in warnings:
            warnings.append(message)


def _check_xml(response: requests.Response) -> None:
    """Retry HTML pages, truncated bodies and transient <ERROR>s sent with HTTP 200."""
    body = response.content.lstrip()
    if body.startswith(b"{") and b"rate limit" in body[:300].lower():
        raise RetryableResponseError("rate limit exceeded (said in the body)")
    if not body.startswith(b"<?xml"):
        raise RetryableResponseError("answered with something that is not XML (an HTML page?)")
    match = _ERROR.search(body[:4096])
    if match:
        message = clean_line(match.group(1).decode("utf-8", "replace"))[:300]
        if any(word in message.lower() for word in _TRANSIENT):
            raise RetryableResponseError(f"said {message!r}")
        raise PermanentResponseError(f"said {message!r}")
    root = _ROOT.search(body[:4096])
    tail = body.rstrip()[-200:]
    if root is None or not (tail.endswith(b"</" + root.group(1) + b">") or tail.endswith(b"/>")):
        raise RetryableResponseError("answered with truncated XML")
