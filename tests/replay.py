"""Replay recorded HTTP interactions from a real local server (pytest-httpserver).

The recordings are the `decoded/INDEX.json` manifests under `../shared/fixtures/<source>/`:
method, URI, status, key headers and the exact body file of every interaction.

    replay = Replay(httpserver, hosts={"https://api.crossref.org/": "/crossref/"})
    replay.add(recording("habanero", "test_cursor__0.json"))
    ...  # point the client at replay.url("/crossref/")
    assert replay.sent[0].args["cursor"] == ["*"]

Requests are matched on method, path (percent-decoded) and query parameters, ignoring
volatile ones (`mailto`, `tool`, `email`, `api_key`). Each key keeps a FIFO queue, so
repeated identical URLs (Crossref cursors) are answered in recorded order. A request
with no recording left gets HTTP 418 and is listed in `unmatched`, so the client under
test fails at once instead of retrying. `Location` headers are rewritten to the local
server, so redirect chains (doi.org → api.crossref.org) are followed locally.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"
IGNORED_PARAMS = frozenset({"mailto", "tool", "email", "api_key"})


@dataclass(frozen=True)
class Recording:
    """One recorded interaction: what was asked, and the response as served."""

    method: str
    uri: str
    status: int
    headers: dict[str, str]
    body: bytes
    body_file: str


@dataclass(frozen=True)
class SentRequest:
    """A request the local server received."""

    method: str
    path: str
    args: dict[str, list[str]]
    headers: dict[str, str]
    query_string: str
    raw_uri: str  # the request target exactly as it arrived (still percent-encoded)


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def load_index(source: str) -> list[Recording]:
    """Every interaction of `fixtures/<source>/decoded/INDEX.json`, bodies read."""
    folder = FIXTURES / source / "decoded"
    entries = json.loads((folder / "INDEX.json").read_text(encoding="utf-8"))
    recordings = []
    for entry in entries:
        headers = {name: values[0] for name, values in entry["headers"].items() if values}
        body = (folder / entry["body_file"]).read_bytes() if entry.get("body_file") else b""
        recordings.append(
            Recording(
                method=entry["method"],
                uri=entry["uri"],
                status=int(entry["status"]),
                headers=headers,
                body=body,
                body_file=entry.get("body_file") or "",
            )
        )
    return recordings


def recording(source: str, body_file: str) -> Recording:
    """The interaction whose body is `body_file` (e.g. "test_cursor__0.json")."""
    for item in load_index(source):
        if item.body_file == body_file:
            return item
    raise KeyError(f"{source}: no interaction with body {body_file}")


def body_json(source: str, body_file: str) -> dict:
    return json.loads((FIXTURES / source / "decoded" / body_file).read_bytes())


@dataclass
class Replay:
    """A FIFO of answers per (method, path, query) served by one pytest-httpserver."""

    server: HTTPServer
    hosts: Mapping[str, str] = field(default_factory=dict)  # recorded prefix → local path
    ignored: frozenset[str] = IGNORED_PARAMS
    sent: list[SentRequest] = field(default_factory=list)
    unmatched: list[SentRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queues: dict[tuple, deque[_Answer]] = {}
        self._any_query: dict[tuple, deque[_Answer]] = {}
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)

    def url(self, path: str = "/") -> str:
        return self.server.url_for(path)

    def local_path(self, uri: str) -> str:
        """The local path serving a recorded URI (its host mapped by `hosts`)."""
        for prefix in sorted(self.hosts, key=len, reverse=True):
            if uri.startswith(prefix):
                rest = uri[len(prefix) :].split("?", 1)[0]
                return self.hosts[prefix].rstrip("/") + "/" + rest
        return urlsplit(uri).path

    def add(
        self,
        rec: Recording,
        *,
        path: str | None = None,
        query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        any_query: bool = False,
        status: int | None = None,
        body: bytes | None = None,
    ) -> None:
        """Queue a recording; `path`/`query` override where it is served (to assert sent
        parameters the recording did not have), `any_query` matches on the path alone."""
        local = path or self.local_path(rec.uri)
        params = query if query is not None else parse_qsl(urlsplit(rec.uri).query)
        headers = {name: self._rewrite(value) for name, value in rec.headers.items()}
        answer = _Answer(status or rec.status, headers, rec.body if body is None else body)
        self._queue(rec.method, local, params, any_query).append(answer)

    def respond(
        self,
        method: str,
        path: str,
        status: int,
        body: bytes | str | dict,
        headers: Mapping[str, str] | None = None,
        *,
        query: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        any_query: bool = False,
    ) -> None:
        """Queue a hand-written answer."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        answer = _Answer(status, dict(headers or {}), body)
        self._queue(method, path, query, any_query).append(answer)

    def pending(self) -> int:
        """Answers queued but never asked for."""
        queues = [*self._queues.values(), *self._any_query.values()]
        return sum(len(q) for q in queues)

    # ---- internals ---------------------------------------------------------------------

    def _queue(self, method, path, query, any_query) -> deque[_Answer]:
        items = query.items() if isinstance(query, Mapping) else query
        key = (method.upper(), unquote(path), self._norm(items))
        table = self._any_query if any_query else self._queues
        return table.setdefault(key[:2] if any_query else key, deque())

    def _norm(self, items: Iterable[tuple[str, str]]) -> tuple:
        return tuple(sorted((k, str(v)) for k, v in items if k not in self.ignored))

    def _rewrite(self, value: str) -> str:
        for prefix in sorted(self.hosts, key=len, reverse=True):
            if value.startswith(prefix):
                local = self.local_path(value)
                query = urlsplit(value).query
                return self.server.url_for(local) + (f"?{query}" if query else "")
        return value

    def _dispatch(self, request: Request) -> Response:
        sent = SentRequest(
            method=request.method,
            path=request.path,
            args={k: request.args.getlist(k) for k in request.args},
            headers=dict(request.headers),
            query_string=request.query_string.decode(),
            raw_uri=request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI", ""),
        )
        self.sent.append(sent)
        key = (request.method, request.path, self._norm(request.args.items(multi=True)))
        queue = self._queues.get(key) or self._any_query.get(key[:2])
        if not queue:
            self.unmatched.append(sent)
            return Response(f"replay: nothing recorded for {key}", status=418)
        answer = queue.popleft()
        response = Response(answer.body, status=answer.status)
        response.headers.remove("Content-Type")
        for name, value in answer.headers.items():
            if name.lower() != "date":
                response.headers[name] = value
        return response
