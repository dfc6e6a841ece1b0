"""A polite, bounded HTTP client: base URL, deadlines, size caps, rate limit, retries.

Used by the sources; nothing else in screener talks to the network. Every request has
a total deadline (a watchdog shuts the socket when it passes, so a server dripping one
byte at a time cannot hold a run) and a size cap counted while the body streams in, after
decompression (so a gzip bomb cannot take memory). Redirects are followed only within
the configured scheme, host and port, so a POST body with `api_key` or `email` is never
sent anywhere else; a client may allow credential-free GET redirects to other hosts
(doi.org forwards to registration agencies).

A response is retried when the server says "later" (429, 5xx), when the connection fails
or the transfer is cut off mid-body, or when the caller's `check` finds the body unusable
in a way worth retrying (HTML instead of XML, truncated XML, a transient backend error
sent with HTTP 200). Text from the server that goes into an error message is cleaned.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from screener import __version__
from screener.errors import SourceError
from screener.http_limits import (
    Deadline,
    DeadlineError,
    TooLargeError,
    TransferError,
    WatchedAdapter,
    read_body,
)
from screener.textsafe import clean_line

USER_AGENT = f"screener/{__version__} (systematic-review workbench)"
DEFAULT_DEADLINE = 180.0  # seconds for one whole request: connect, headers and body
DEFAULT_MAX_BYTES = 128 * 2**20  # bytes of one body, counted after decompression
MAX_REDIRECTS = 5
_TAGS = re.compile(r"<[^>]*>")
_REDIRECTS = (301, 302, 303, 307, 308)


class RetryableResponseError(Exception):
    """Raised by a response check: the body is unusable now but may be fine on retry."""


class PermanentResponseError(Exception):
    """Raised by a response check: the server refused the request; retrying won't help."""


class RequestCancelledError(SourceError):
    """The client was cancelled (the run is stopping); no further request is sent."""


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

    def wait(self, cancelled: threading.Event | None = None) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._last = start
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            if cancelled is not None:
                cancelled.wait(delay)
            else:
                time.sleep(delay)


# ---- the client --------------------------------------------------------------------------


class HttpClient:
    """requests.Session over one base URL: throttled, bounded, retried with backoff."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        rate: float = 3.0,
        timeout: tuple[float, float] = (10.0, 120.0),
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_tries: int = 5,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        on_response: Callable[[requests.Response], None] | None = None,
        on_retry: Callable[[str, float, int, int], None] | None = None,
        redirects_to_other_hosts: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.service = service
        self.limiter = RateLimiter(rate)
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_tries = max(1, max_tries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.session = session or requests.Session()
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, WatchedAdapter())
        self.session.headers["User-Agent"] = USER_AGENT
        # Only encodings decoded here, under the size cap (never brotli/zstd by surprise).
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self.session.headers.update(headers or {})
        self.redirects_to_other_hosts = redirects_to_other_hosts
        self.requests_sent = 0
        self.retries = 0
        self.status_counts: dict[int, int] = {}
        # Each sees every response (redirect hops, 429s, retried 5xx), body already read.
        self.response_hooks: list[Callable[[requests.Response], None]] = []
        if on_response is not None:
            self.response_hooks.append(on_response)
        self.on_retry = on_retry  # told (problem, delay, attempt, max tries) before a wait
        self._count_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._inflight: set[Deadline] = set()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def cancel(self) -> None:
        """Stop now: abort requests in flight (from any thread) and refuse new ones."""
        self._cancelled.set()
        with self._count_lock:
            inflight = list(self._inflight)
        for deadline in inflight:
            deadline.expire()

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
            self.limiter.wait(self._cancelled)
            self._stop_if_cancelled()
            try:
                response = self._send(method, url, params, data, headers)
            except (requests.ConnectionError, requests.Timeout, TransferError) as exc:
                self._stop_if_cancelled()
                last_problem = f"cannot reach {self.service} at {self.base_url} ({_short(exc)})"
                if isinstance(exc, TransferError):
                    last_problem = f"{self.service} cut the answer off ({_short(exc)})"
                self._pause(attempt, None, last_problem)
                continue
            except DeadlineError:
                self._stop_if_cancelled()
                raise SourceError(
                    f"{self.service} did not finish answering within {self.deadline:g} s; "
                    "it may be overloaded. Try again later (SCREENER_DEADLINE sets the limit)."
                ) from None
            except TooLargeError:
                raise SourceError(
                    f"{self.service} sent an answer larger than {_size(self.max_bytes)}; "
                    "refused (SCREENER_MAX_BYTES sets the limit)."
                ) from None
            except requests.RequestException as exc:  # a bad URL: retrying won't help
                raise SourceError(
                    f"cannot send a request to {self.service} at {clean_line(url)!r} "
                    f"({_short(exc)}); check its base URL setting."
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
                    last_problem = f"{self.service}: {clean_line(str(exc))}"
                    self._pause(attempt, response, last_problem)
                    continue
                except PermanentResponseError as exc:
                    raise SourceError(f"{self.service}: {clean_line(str(exc))}") from None
            return response
        raise SourceError(
            f"{last_problem}; gave up after {self.max_tries} "
            f"{'try' if self.max_tries == 1 else 'tries'}. "
            "Try again later, or check the URL and your network."
        )

    def _stop_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise RequestCancelledError(f"stopped: the request to {self.service} was cancelled.")

    def _send(self, method, url, params, data, headers) -> requests.Response:
        """One request with its redirects, within one deadline; the body read and capped."""
        with Deadline(self.deadline) as deadline:
            with self._count_lock:
                self._inflight.add(deadline)
            try:
                return self._follow(deadline, method, url, params, data, headers)
            finally:
                with self._count_lock:
                    self._inflight.discard(deadline)

    def _follow(self, deadline, method, url, params, data, headers) -> requests.Response:
        history: list[requests.Response] = []
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send_once(deadline, method, url, params, data, headers)
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                response.history = history
                return response
            history.append(response)
            target = urljoin(response.url, location)
            self._check_redirect(method, url, target)
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, data = "GET", None  # what browsers and requests do
            url, params = target, None  # the query, if any, is in the Location
        raise SourceError(
            f"{self.service} redirected more than {MAX_REDIRECTS} times; check its base URL."
        )

    def _check_redirect(self, method: str, current: str, target: str) -> None:
        if _origin(target) == _origin(self.base_url):
            return
        if (
            self.redirects_to_other_hosts
            and method in ("GET", "HEAD")
            and urlsplit(target).scheme in ("http", "https")
        ):
            return
        raise SourceError(
            f"{self.service} at {clean_line(_origin_text(self.base_url))} redirected to another "
            f"host ({clean_line(_origin_text(target))}); screener does not follow it, so "
            "nothing of the request (e-mail, API key) goes there. If the service moved, set "
            "its base URL to the new address."
        )

    def _send_once(self, deadline, method, url, params, data, headers) -> requests.Response:
        with self._count_lock:
            self.requests_sent += 1
        remaining = deadline.remaining()
        if remaining <= 0 or deadline.expired:
            raise DeadlineError()
        connect, read = self.timeout
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                timeout=(min(connect, remaining), min(read, remaining)),
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException:
            if deadline.expired:
                raise DeadlineError() from None
            raise
        try:
            body = read_body(response, self.max_bytes, deadline)
        except (TransferError, OSError, urllib3.exceptions.HTTPError) as exc:
            if deadline.expired:
                raise DeadlineError() from None
            raise TransferError(str(exc) or type(exc).__name__) from None
        finally:
            response.close()
        response._content = body
        response._content_consumed = True
        with self._count_lock:
            code = response.status_code
            self.status_counts[code] = self.status_counts.get(code, 0) + 1
        for hook in self.response_hooks:
            hook(response)
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
        self._cancelled.wait(delay)
        self._stop_if_cancelled()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def _origin_text(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count // 1024} kB"


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


# requests/urllib3 wrap the system's reason ("[Errno 111] Connection refused") in their own
# class names and object addresses: a reviewer needs the reason only.
_SYSTEM_REASON = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _short(exc: Exception) -> str:
    text = clean_line(str(exc))
    reason = _SYSTEM_REASON.search(text)
    if reason:
        return reason.group(1).strip()
    if "timed out" in text.lower():
        return "the connection timed out"
    return text if len(text) < 120 else text[:117] + "..."


def _body_excerpt(response: requests.Response, limit: int = 200) -> str:
    text = clean_line(" ".join(_TAGS.sub(" ", response.text[:4000]).split()))
    return text[:limit] if text else "(empty body)"
