"""Crossref REST API: cursor-paged `/works` searches up to a cutoff, and `/works/{doi}`.

A search sends the free-text query, field queries and filters of a saved search plus a
date window (`from-/until-{pub,created,index}-date`, inclusive) and pages with
`cursor=*` then `next-cursor`. Crossref often returns the same cursor string for every
page, so paging stops on a page shorter than `rows` (or when every reported result has
arrived), never on a repeated cursor. The request rate follows the `x-rate-limit-*`
headers of each response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

import requests

from screener.errors import QueryFileError, SourceError
from screener.http import HttpClient, PermanentResponseError, RateLimiter, RetryableResponseError
from screener.models import CrossrefQuery, Record
from screener.normalize import normalize_doi
from screener.sources.crossref_map import record_from_crossref
from screener.textsafe import clean_line

DEFAULT_URL = "https://api.crossref.org/"
DATABASE = "Crossref"
PLATFORM = "Crossref REST API"
MAX_ROWS = 1000
DATE_FILTERS = {"pub": "pub-date", "created": "created-date", "index": "index-date"}
# The DOI path segment: "/" stays readable (as every client sends it); the rest is quoted.
DOI_SAFE = "/:;()"
_CLIENT_ERRORS = tuple(code for code in range(400, 500) if code != 429)
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class CrossrefPage:
    """One page of a cursor search: its records, the total Crossref reports, the cursor."""

    items: list[Record]
    total_results: int
    cursor: str  # the next-cursor this page returned
    number: int = 1  # 1-based page number


class HeaderRate:
    """Keeps a RateLimiter at the rate Crossref announces in its response headers.

    `x-rate-limit-limit` requests per `x-rate-limit-interval` (e.g. "50" per "1s"); the
    limiter is set to exactly that (or to `max_rate` if lower), never faster. Attached
    as a response hook of the session, it reads every response: redirect hops, 429s and
    retried 5xx too. `concurrency` and `pool` are kept for the run log; requests are sent
    one at a time, which is within any concurrency limit.
    """

    def __init__(self, limiter: RateLimiter, max_rate: float | None = None) -> None:
        self.limiter = limiter
        self.max_rate = max_rate
        self.rate: float | None = None
        self.concurrency: int | None = None
        self.pool = ""

    def attach(self, http: HttpClient) -> HeaderRate:
        """Read every response of `http` (after its body is read under the size cap)."""
        http.response_hooks.append(self)
        return self

    def __call__(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        headers = response.headers
        limit = _number(headers.get("x-rate-limit-limit") or headers.get("x-ratelimit-limit"))
        seconds = parse_interval(headers.get("x-rate-limit-interval", ""))
        concurrency = _number(headers.get("x-concurrency-limit"))
        if concurrency:
            self.concurrency = int(concurrency)
        self.pool = headers.get("x-api-pool", self.pool)
        if not limit or not seconds:
            return
        rate = limit / seconds
        if self.max_rate:
            rate = min(rate, self.max_rate)
        if rate == self.rate:
            return
        self.rate = rate
        self.limiter.set_rate(rate)  # a slower rate applies from the very next request


def parse_interval(value: str | None) -> float | None:
    """Seconds in an `x-rate-limit-interval` value ("1s", "60s", "500ms", "1m")."""
    match = _INTERVAL.match(value or "")
    if not match:
        return None
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    return seconds if seconds > 0 else None


class CrossrefClient:
    """The Crossref REST API over an HttpClient, in the polite pool when `mailto` is set."""

    def __init__(
        self, http: HttpClient, mailto: str | None = None, *, max_rate: float | None = None
    ) -> None:
        self.http = http
        self.mailto = mailto or None
        self.rate = HeaderRate(http.limiter, max_rate).attach(http)
        self._failure = ""  # what the last 5xx envelope said, for the final error
        http.response_hooks.append(self._remember_failure)

    # ---- searching -------------------------------------------------------------------

    def search(
        self, query: CrossrefQuery, cutoff: date, rows: int = MAX_ROWS
    ) -> Iterator[CrossrefPage]:
        """Every page of the search, up to `cutoff` (inclusive), `rows` records a page."""
        if not 1 <= rows <= MAX_ROWS:
            raise ValueError(f"rows must be between 1 and {MAX_ROWS}, not {rows}")
        base = search_params(query, cutoff)
        base["rows"] = str(rows)
        cursor, number, received = "*", 0, 0
        while True:
            number += 1
            params = {**base, "cursor": cursor, **self._polite()}
            try:
                message = self._get_json("works", params, expect="work-list")
            except SourceError as exc:
                where = f"page {number} of the search, {received} records received before it"
                raise SourceError(f"{exc} ({where})") from None
            items = [i for i in message.get("items") or [] if isinstance(i, Mapping)]
            total = _int(message.get("total-results"))
            next_cursor = str(message.get("next-cursor") or "")
            received += len(items)
            records = [record_from_crossref(i) for i in items if i.get("DOI")]
            yield CrossrefPage(records, total, next_cursor, number)
            if len(items) < rows or not next_cursor or received >= total:
                return
            cursor = next_cursor

    def describe(self, query: CrossrefQuery, cutoff: date) -> str:
        """The search as sent, for the run log: each parameter and its exact value."""
        params = search_params(query, cutoff)
        return " ".join(
            f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in params.items()
        )

    # ---- single works ------------------------------------------------------------------

    def work(self, doi: str) -> Record | None:
        """The Crossref record of one DOI, or None if Crossref does not know it."""
        key = normalize_doi(doi)
        if not key:
            return None
        message = self._get_json(f"works/{quote(key, safe=DOI_SAFE)}", self._polite(), "work")
        return record_from_crossref(message) if message else None

    # ---- plumbing ------------------------------------------------------------------------

    def _polite(self) -> dict[str, str]:
        return {"mailto": self.mailto} if self.mailto else {}

    def _get_json(self, path: str, params: Mapping[str, str], expect: str) -> dict[str, Any]:
        """GET a Crossref JSON message; {} for a 404 on a single work; SourceError else."""
        check = _JsonCheck(expect)
        self._failure = ""
        try:
            response = self.http.request(
                "GET", path, params=params, check=check, ok_statuses=_CLIENT_ERRORS
            )
        except SourceError as exc:
            if self._failure:
                raise SourceError(f"{exc} {self.http.service} said: {self._failure}") from None
            raise
        if response.status_code == 404 and expect == "work":
            return {}
        if response.status_code >= 400:
            raise SourceError(refusal(self.http.service, response))
        return check.message

    def _remember_failure(self, response: requests.Response, *args: object, **kw: object) -> None:
        if response.status_code >= 500 and response.content.lstrip().startswith(b"{"):
            try:
                data = response.json()
            except ValueError:
                return
            if isinstance(data, dict):
                self._failure = envelope_text(data)


@dataclass
class _JsonCheck:
    """A response check that parses the JSON once and keeps its `message`."""

    expect: str
    message: dict[str, Any] = field(default_factory=dict)

    def __call__(self, response: requests.Response) -> None:
        body = response.content.lstrip()
        if not body.startswith(b"{"):
            raise RetryableResponseError("answered with something that is not JSON (an HTML page?)")
        try:
            data = json.loads(body)
        except ValueError:
            raise RetryableResponseError("answered with truncated or broken JSON") from None
        if data.get("status") == "failed":
            raise PermanentResponseError(envelope_text(data))
        if data.get("status") == "error":
            raise RetryableResponseError(envelope_text(data))
        message = data.get("message")
        if data.get("message-type") != self.expect or not isinstance(message, dict):
            kind = clean_line(str(data.get("message-type")))[:80]
            raise PermanentResponseError(f"expected a {self.expect} message, got {kind!r}")
        self.message = message


def search_params(query: CrossrefQuery, cutoff: date) -> dict[str, str]:
    """The query, field queries and filter (with the date window) of a search, in order."""
    if query.date_field not in DATE_FILTERS:
        raise QueryFileError(
            f"crossref date_field {query.date_field!r} is not one of {', '.join(DATE_FILTERS)}."
        )
    if query.start and query.start > cutoff:
        raise QueryFileError(f"crossref: cutoff {cutoff} is before from {query.start}.")
    params: dict[str, str] = {}
    if query.query:
        params["query"] = query.query
    for name, value in query.field_queries:
        params[name if name.startswith("query.") else f"query.{name}"] = value
    params["filter"] = filter_string(query, cutoff)
    return params


def filter_string(query: CrossrefQuery, cutoff: date) -> str:
    """The `filter` value as sent: the saved filters, then the inclusive date window."""
    suffix = DATE_FILTERS[query.date_field]
    filters = [f"{name}:{value}" for name, value in query.filters]
    if query.start:
        filters.append(f"from-{suffix}:{query.start.isoformat()}")
    filters.append(f"until-{suffix}:{cutoff.isoformat()}")
    return ",".join(filters)


def refusal(service: str, response: requests.Response) -> str:
    """One line for a 4xx answer: the error envelope's message, or the body's start."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("status") in ("failed", "error"):
        text = envelope_text(data)
    else:
        text = clean_line(" ".join(response.text.split()))[:200] or "(empty body)"
    line = f"{service} refused the request (HTTP {response.status_code}): {text}"
    if "cursor-invalid" in text:
        line += " The paging cursor expired (after 5 minutes) or is wrong; rerun the search."
    return line


def envelope_text(data: Mapping[str, Any]) -> str:
    """The messages of a Crossref error envelope as one line."""
    message = data.get("message")
    parts = []
    if isinstance(message, list):
        for entry in message:
            if not isinstance(entry, Mapping):
                continue
            text = " ".join(str(entry.get("message", "")).split()).rstrip(".")
            detail = ", ".join(str(entry[k]) for k in ("type", "value") if entry.get(k))
            parts.append(f"{text} ({detail})" if detail else text)
    elif isinstance(message, Mapping):  # the exception envelope of a 500
        text = str(message.get("message") or message.get("description") or "")
        parts.append(" ".join(text.split())[:200])
    else:
        parts.append(" ".join(str(message or "").split())[:200])
    kind = clean_line(str(data.get("message-type", "")))[:80]
    joined = clean_line("; ".join(p for p in parts if p))[:600] or "no message"
    return f"{kind}: {joined}" if kind else joined


def _number(value: str | None) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
