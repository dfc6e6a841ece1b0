"""A polite HTTP client: base URL, timeouts, a request-rate limit and retry with backoff.

Used by the sources; nothing else in screener talks to the network. A response is
retried when the server says "later" (429, 5xx), when the connection fails, or when
the caller's `check` finds the body unusable in a way worth retrying (HTML instead of
XML, truncated XML, a transient backend error sent with HTTP 200).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

import requests

from screener import __version__
from screener.errors import SourceError

USER_AGENT = f"screener/{__version__} (systematic-review workbench)"
_TAGS = re.compile(r"<[^>]*>")


class RetryableResponseError(Exception):
    """Raised by a response check: the body is unusable now but may be fine on retry."""


class PermanentResponseError(Exception):
    """Raised by a response check: the server refused the request; retrying won't help."""


# Servers count requests per second as they receive them; network jitter can bunch
# requests sent exactly 1/rate apart into one second, so leave a 10% margin (Biopython
# found the same: 0.37 s, not 0.334 s, between requests without an NCBI key).
MARGIN = 1.1


class RateLimiter:
    """At most `rate` request starts per second, shared by every thread of a client."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = MARGIN / rate if rate > 0 else 0.0
        self._clock = clock
        self._next = 0.0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def set_rate(self, rate: float) -> None:
        """Change the rate; a slower rate applies from the very next request."""
        with self._lock:
            self.interval = MARGIN / rate if rate > 0 else 0.0
            self._next = max(self._next, self._last + self.interval)

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._last = start
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)


class HttpClient:
    """requests.Session over one base URL with throttling and bounded, backed-off retries."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        rate: float = 3.0,
        timeout: tuple[float, float] = (10.0, 120.0),
        max_tries: int = 5,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        on_response: Callable[[requests.Response], None] | None = None,
        on_retry: Callable[[str, float, int, int], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.service = service
        self.limiter = RateLimiter(rate)
        self.timeout = timeout
        self.max_tries = max(1, max_tries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers.update(headers or {})
        self.requests_sent = 0
        self.retries = 0
        self.status_counts: dict[int, int] = {}
        self.on_response = on_response  # sees every response, e.g. to read rate headers
        self.on_retry = on_retry  # told (problem, delay, attempt, max tries) before a wait
        self._count_lock = threading.Lock()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        data: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        check: Callable[[requests.Response], None] | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send a request; retry what is worth retrying; raise SourceError when done trying.

        `ok_statuses` lists non-2xx statuses the caller handles itself (e.g. 404).
        """
        url = self.url(path)
        last_problem = ""
        for attempt in range(1, self.max_tries + 1):
            self.limiter.wait()
            try:
                response = self._send(method, url, params, data, headers)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"cannot reach {self.service} at {self.base_url} ({_short(exc)})"
                self._pause(attempt, None, last_problem)
                continue
            except requests.RequestException as exc:  # a bad URL: retrying won't help
                raise SourceError(
                    f"cannot send a request to {self.service} at {url!r} ({_short(exc)}); "
                    "check its base URL setting."
                ) from None
            if response.status_code == 429 or response.status_code >= 500:
                last_problem = (
                    f"{self.service} answered HTTP {response.status_code} "
                    f"({_body_excerpt(response, 80)})"
                )
                self._pause(attempt, response, last_problem)
                continue
            if response.status_code >= 400 and response.status_code not in ok_statuses:
                raise SourceError(
                    f"{self.service} refused the request (HTTP {response.status_code}): "
                    f"{_body_excerpt(response)}"
                )
            if check is not None and response.status_code < 400:
                try:
                    check(response)
                except RetryableResponseError as exc:
                    last_problem = f"{self.service}: {exc}"
                    self._pause(attempt, response, last_problem)
                    continue
                except PermanentResponseError as exc:
                    raise SourceError(f"{self.service}: {exc}") from None
            return response
        raise SourceError(
            f"{last_problem}; gave up after {self.max_tries} tries. "
            "Try again later, or check the URL and your network."
        )

    def _send(self, method, url, params, data, headers) -> requests.Response:
        with self._count_lock:
            self.requests_sent += 1
        response = self.session.request(
            method, url, params=params, data=data, headers=headers, timeout=self.timeout
        )
        with self._count_lock:
            code = response.status_code
            self.status_counts[code] = self.status_counts.get(code, 0) + 1
        if self.on_response is not None:
            self.on_response(response)
        return response

    def _pause(self, attempt: int, response: requests.Response | None, problem: str) -> None:
        if attempt >= self.max_tries:
            return
        with self._count_lock:
            self.retries += 1
        delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        retry_after = _retry_after(response) if response is not None else None
        if retry_after is not None:
            delay = min(max(delay, retry_after), self.max_backoff * 5)
        if self.on_retry is not None:
            self.on_retry(problem, delay, attempt, self.max_tries)
        time.sleep(delay)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 120 else text[:117] + "..."


def _body_excerpt(response: requests.Response, limit: int = 200) -> str:
    text = " ".join(_TAGS.sub(" ", response.text[:4000]).split())
    return text[:limit] if text else "(empty body)"
