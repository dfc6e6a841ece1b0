"""Bounds for one HTTP transfer: a total deadline and a size cap counted after decompression.

Socket timeouts bound each read, not the whole transfer: a server dripping one byte every
few seconds never trips them. A `Deadline` is a watchdog that shuts the request's socket
down when its time is up (or when the client is cancelled), which makes a blocked read
return at once. `WatchedAdapter` mounts connections that report their socket to the
Deadline of the thread sending. `read_body` reads the raw body and decompresses it here,
with the output bounded, so a gzip bomb is refused before it takes memory.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from screener.textsafe import clean_line

CHUNK = 64 * 1024


class TransferError(Exception):
    """The body stopped arriving before its end (cut off, reset, corrupt compression)."""


class TooLargeError(Exception):
    """The body is larger than the cap."""


class DeadlineError(Exception):
    """The request's deadline passed (or the client was cancelled) before it finished."""


_current = threading.local()  # the Deadline of the request this thread is sending


class Deadline:
    """Shuts the sockets of one request down when its time is up or it is aborted.

    Socket timeouts bound each read, not the whole transfer; a shut-down socket makes a
    blocked read return at once, whatever the server is doing.
    """

    def __init__(self, seconds: float) -> None:
        self.expires = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self.expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _current.deadline = None
        with self._lock:
            self._sockets.clear()

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing to stop
        sock.shutdown(socket.SHUT_RDWR)


def _watch_current(sock: socket.socket | None) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self, *args, **kwargs):  # type: ignore[override]
        _watch_current(self.sock)  # before the (possibly endless) wait for headers
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self, *args, **kwargs):  # type: ignore[override]
        _watch_current(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections report their socket to the request's Deadline."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


def read_body(response: requests.Response, max_bytes: int, deadline: Deadline) -> bytes:
    """The body, decompressed here so its size is capped as it grows; raises on a cut-off."""
    declared = response.headers.get("Content-Length", "")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if declared.isdigit() and encoding in ("", "identity") and int(declared) > max_bytes:
        raise TooLargeError()
    decoder = _decoder(encoding)
    body = bytearray()
    while True:
        if deadline.expired or deadline.remaining() <= 0:
            raise DeadlineError()
        chunk = response.raw.read(CHUNK, decode_content=False)
        if not chunk:
            break
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, max_bytes - len(body) + 1)
            except zlib.error as exc:
                raise TransferError(f"corrupt {encoding} data: {exc}") from None
            if decoder.unconsumed_tail:
                raise TooLargeError()
        body += chunk
        if len(body) > max_bytes:
            raise TooLargeError()
    if deadline.expired:
        raise DeadlineError()
    if decoder is not None:
        body += decoder.flush()
        if not decoder.eof:
            raise TransferError(f"the {encoding} data ends before its end")
    return bytes(body)


def _decoder(encoding: str):
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    raise TransferError(f"an encoding screener did not ask for ({clean_line(encoding)[:40]})")
