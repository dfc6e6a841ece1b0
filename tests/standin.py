"""A local stand-in for NCBI E-utilities (ESearch + EFetch over PubMed) on 127.0.0.1.

Serves synthetic PubMed XML for N records spread over dates, with the real service's
habits: the 9,999 cap on ESearch and history-server EFetch, WebEnv/query_key, a
3-per-second rate limit answered with 429 and NCBI's JSON body, and injectable faults
(HTML pages, truncated XML, "Search Backend failed" errors, 5xx) and network faults
(a body dripped a byte at a time, a transfer cut off mid-body, a redirect to another
host, a gzip bomb), a per-request latency, and caps that differ from 9,999 (a server
whose ESearch lists fewer ids than it counts). Used by the tests and by
bench/bench_pubmed.py; run directly to serve a big set by hand (a free port is picked
unless --port is given; the URL is printed):

    python tests/standin.py --records 25000 [--port 8765] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import errno
import re
import socket
import sys
import threading
import time
import zlib
from collections import deque
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CAP = 9999
HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle,'
    b' 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    b"<PubmedArticleSet>\n"
)
ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD '
    'esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
_RANGE = re.compile(r'"(\d{4})/(\d{2})/(\d{2})"\[(\w+)\] : "(\d{4})/(\d{2})/(\d{2})"\[\w+\]')
_WORDS = [
    "exosome",
    "extracellular",
    "vesicle",
    "alopecia",
    "hair",
    "follicle",
    "dermal",
    "papilla",
    "growth",
    "stem",
    "cell",
    "androgenetic",
    "areata",
    "regeneration",
    "mesenchymal",
    "derived",
    "therapy",
    "randomized",
    "trial",
    "mouse",
]


def article_xml(pmid: int, day: date, i: int) -> bytes:
    words = " ".join(_WORDS[(i + k) % len(_WORDS)] for k in range(8))
    abstract = " ".join(_WORDS[(i * 7 + k) % len(_WORDS)] for k in range(120))
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print">'
        f'<Journal><ISSN IssnType="Electronic">1234-5678</ISSN><JournalIssue '
        f'CitedMedium="Internet"><Volume>{i % 40}</Volume><Issue>{i % 12}</Issue><PubDate>'
        f"<Year>{day.year}</Year><Month>{day:%b}</Month><Day>{day.day}</Day></PubDate>"
        f"</JournalIssue><Title>Journal of Synthetic Studies</Title>"
        f"<ISOAbbreviation>J Synth Stud</ISOAbbreviation></Journal>"
        f"<ArticleTitle>Study {i} of {words}.</ArticleTitle><Pagination><MedlinePgn>"
        f"{i % 900 + 1}-{i % 900 + 9}</MedlinePgn></Pagination>"
        f'<ELocationID EIdType="doi" ValidYN="Y">10.5555/synth.{pmid}</ELocationID>'
        f'<Abstract><AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">{abstract}'
        f'</AbstractText><AbstractText Label="RESULTS" NlmCategory="RESULTS">{abstract}'
        f'</AbstractText></Abstract><AuthorList CompleteYN="Y"><Author ValidYN="Y">'
        f"<LastName>Author{i % 97}</LastName><ForeName>Ann</ForeName><Initials>A</Initials>"
        f'</Author><Author ValidYN="Y"><LastName>Writer{i % 89}</LastName><ForeName>Bo'
        f"</ForeName><Initials>B</Initials></Author></AuthorList><Language>eng</Language>"
        f'<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
        f"</PublicationTypeList></Article><MedlineJournalInfo><MedlineTA>J Synth Stud"
        f"</MedlineTA></MedlineJournalInfo></MedlineCitation><PubmedData><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">'
        f"10.5555/synth.{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>\n"
    ).encode()


class EUtilsState:
    """The records served, the history server, the request log and queued faults."""

    def __init__(self, n: int, start: date = date(2000, 1, 1), days: int = 9000) -> None:
        self.records: list[tuple[int, date]] = []
        self.set_records(n, start, days)
        self.history: dict[tuple[str, str], list[int]] = {}
        self.requests: list[dict] = []
        self.faults: deque[str] = deque()
        self.rate_limit = 3
        self.stamps: deque[float] = deque()
        self.count_429 = 0
        self.lock = threading.Lock()
        self._webenv = 0
        self.efetch_ok_left: int | None = None  # then every EFetch answers 500
        self.esearch_cap = CAP  # ids ESearch lists at most (Count stays the truth)
        self.efetch_cap = CAP  # history-server EFetch stops here
        self.latency = 0.0  # seconds before each answer (NCBI's is about 0.2)
        self.drip_interval = 2.0  # seconds between bytes of a "drip" fault
        self.redirect_to = ""  # where a "redirect" fault sends the client
        self.timeline: list[tuple[float, float]] = []  # (start, end) of each answer

    def set_records(self, n: int, start: date, days: int, first_pmid: int = 30_000_000) -> None:
        self.records = [
            (first_pmid + i, start + timedelta(days=(i * days) // max(n, 1))) for i in range(n)
        ]
        self.by_pmid = {pmid: (pmid, day, i) for i, (pmid, day) in enumerate(self.records)}

    def add_records(self, n: int, start: date, days: int) -> None:
        base = max((p for p, _ in self.records), default=30_000_000) + 1
        extra = [(base + i, start + timedelta(days=(i * days) // max(n, 1))) for i in range(n)]
        self.records.extend(extra)
        self.by_pmid = {pmid: (pmid, day, i) for i, (pmid, day) in enumerate(self.records)}

    def over_rate(self) -> bool:
        now = time.monotonic()
        with self.lock:
            while self.stamps and now - self.stamps[0] >= 1.0:
                self.stamps.popleft()
            self.stamps.append(now)
            if len(self.stamps) > self.rate_limit:
                self.count_429 += 1
                return True
        return False

    def matching(self, term: str) -> list[int]:
        match = _RANGE.search(term)
        if not match:
            return [pmid for pmid, _ in self.records]
        y1, m1, d1, _field, y2, m2, d2 = match.groups()
        lo, hi = date(int(y1), int(m1), int(d1)), date(int(y2), int(m2), int(d2))
        return [pmid for pmid, day in self.records if lo <= day <= hi]

    def new_query(self, webenv: str, ids: list[int]) -> tuple[str, str]:
        with self.lock:
            if not webenv:
                self._webenv += 1
                webenv = f"MCID_standin_{self._webenv}"
            key = str(1 + sum(1 for w, _ in self.history if w == webenv))
            self.history[(webenv, key)] = ids
        return webenv, key


class Handler(BaseHTTPRequestHandler):
    state: EUtilsState

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle(parse_qs(urlparse(self.path).query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        params = parse_qs(self.rfile.read(length).decode())
        params.update(parse_qs(urlparse(self.path).query))
        self._handle(params)

    def _handle(self, raw: dict[str, list[str]]) -> None:
        params = {k: v[0] for k, v in raw.items()}
        endpoint = urlparse(self.path).path.rsplit("/", 1)[-1]
        state = self.state
        state.requests.append({"endpoint": endpoint, "method": self.command, **params})
        began = time.monotonic()
        if state.latency:
            time.sleep(state.latency)
        try:
            self._answer(endpoint, params)
        finally:
            state.timeline.append((began, time.monotonic()))

    def _answer(self, endpoint: str, params: dict[str, str]) -> None:
        state = self.state
        if state.over_rate():
            body = (
                b'{"error":"API rate limit exceeded","api-key":"127.0.0.1","count":"4","limit":"3"}'
            )
            return self._send(429, body, "application/json", {"Retry-After": "1"})
        self.body_fault = ""
        if state.faults:
            fault = state.faults.popleft()
            if fault in BODY_FAULTS:
                self.body_fault = fault
            elif self._fault(fault):
                return
        if endpoint == "esearch.fcgi":
            return self._esearch(params)
        if endpoint == "efetch.fcgi":
            if state.efetch_ok_left is not None:
                if state.efetch_ok_left <= 0:
                    return self._send(500, b"<html>WWW Error 500</html>", "text/html")
                state.efetch_ok_left -= 1
            return self._efetch(params)
        self._send(404, b"unknown endpoint", "text/plain")

    def _fault(self, fault: str) -> bool:
        if fault == "html":
            self._send(200, b"<html><body><h1>Service unavailable</h1></body></html>", "text/html")
        elif fault == "truncated":
            self._send(200, HEAD + b"<PubmedArticle><MedlineCitation>", "text/xml")
        elif fault == "backend":
            body = (
                ESEARCH_HEAD + "<eSearchResult><ERROR>Search Backend failed: Database is "
                "not supported: pubmed</ERROR></eSearchResult>\n"
            )
            self._send(200, body.encode(), "text/xml")
        elif fault == "bad-request":
            body = (
                ESEARCH_HEAD + "<eSearchResult><ERROR>Invalid query syntax near term"
                "</ERROR></eSearchResult>\n"
            )
            self._send(200, body.encode(), "text/xml")
        elif fault == "500":
            self._send(500, b"<html>WWW Error 500 Diagnostic</html>", "text/html")
        elif fault == "error-escapes":
            self._send(500, b"<html>\x1b]0;pwned\x07\x1b[2JWWW Error 500</html>", "text/html")
        elif fault == "redirect":
            self.send_response(307)
            self.send_header("Location", self.state.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif fault == "redirect-same-host":
            self.send_response(307)
            self.send_header("Location", self.path)  # same origin: to be followed
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif fault == "gzip-bomb":
            body = gzip_bomb()
            self._send(200, body, "text/xml", {"Content-Encoding": "gzip"})
        elif fault == "drip-headers":
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.state.drip_interval)
        else:
            return False
        return True

    def _esearch(self, params: dict[str, str]) -> None:
        ids = self.state.matching(params.get("term", ""))
        retmax = min(int(params.get("retmax", 20)), self.state.esearch_cap)
        webenv, key = self.state.new_query(params.get("WebEnv", ""), ids)
        id_xml = "".join(f"<Id>{pmid}</Id>" for pmid in ids[:retmax])
        term = params.get("term", "").replace("&", "&amp;").replace("<", "&lt;")
        body = (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(ids)}</Count><RetMax>"
            f"{min(retmax, len(ids))}</RetMax><RetStart>0</RetStart><QueryKey>{key}</QueryKey>"
            f"<WebEnv>{webenv}</WebEnv><IdList>{id_xml}</IdList><TranslationSet/>"
            f"<QueryTranslation>{term}</QueryTranslation></eSearchResult>\n"
        )
        self._send(200, body.encode(), "text/xml")

    def _efetch(self, params: dict[str, str]) -> None:
        state = self.state
        if "id" in params:
            wanted = [int(x) for x in params["id"].split(",") if x]
        else:
            ids = state.history.get((params.get("WebEnv", ""), params.get("query_key", "")))
            if ids is None:
                return self._send(400, b"Unknown WebEnv or query_key", "text/plain")
            start, count = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            cap = state.efetch_cap
            if start >= cap:
                return self._send(
                    400, b"'retstart' cannot be larger than 9998. For PubMed...", "text/plain"
                )
            wanted = ids[start : min(start + count, cap)]
        parts = [HEAD]
        for pmid in wanted:
            found = state.by_pmid.get(pmid)
            if found:
                parts.append(article_xml(found[0], found[1], found[2]))
        parts.append(b"</PubmedArticleSet>\n")
        self._send(200, b"".join(parts), "text/xml")

    def _send(self, code: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        fault = getattr(self, "body_fault", "")
        if fault == "drip":
            return self._drip(code, body, ctype)
        if fault == "cut":
            return self._cut(code, body, ctype)
        if fault == "chunked-cut":
            return self._chunked_cut(code, body, ctype)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-RateLimit-Limit", str(self.state.rate_limit))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, code: int, body: bytes, ctype: str) -> None:
        """The whole body, one byte every `drip_interval` s: each read is quick, the
        transfer endless."""
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.state.drip_interval)
        except OSError:  # the client gave up: what it should do
            pass

    def _cut(self, code: int, body: bytes, ctype: str) -> None:
        """Announce the whole body, send half, hang up."""
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _chunked_cut(self, code: int, body: bytes, ctype: str) -> None:
        """A chunked body that stops after its first chunk, without the final chunk."""
        self.protocol_version = "HTTP/1.1"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        half = body[: len(body) // 2]
        self.wfile.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


BODY_FAULTS = frozenset({"drip", "cut", "chunked-cut"})
_BOMB: list[bytes] = []


def gzip_bomb(size: int = 256 * 2**20) -> bytes:
    """`size` zero bytes gzipped (about 1/1000 of it): harmless unless decompressed whole."""
    if not _BOMB:
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = bytes(2**20)
        parts = [packer.compress(block) for _ in range(size // len(block))]
        _BOMB.append(b"".join([*parts, packer.flush()]))
    return _BOMB[0]


class StandIn:
    """Start the server in a thread: `with StandIn(25000) as s: s.url ...`."""

    def __init__(self, records: int = 100, port: int = 0, **state_args: object) -> None:
        self.state = EUtilsState(records, **state_args)
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/entrez/eutils/"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=25000)
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535 or args.records < 0 or args.latency < 0:
        parser.error("--port is 0 to 65535; --records and --latency are 0 or more")
    try:
        standin = StandIn(args.records, port=args.port)
    except OSError as exc:
        why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
        print(
            f"standin: port {args.port} {why}; pass --port 0 (the default) for a free one.",
            file=sys.stderr,
        )
        return 1
    standin.state.latency = args.latency
    with standin:
        print(f"serving {args.records} records at {standin.url} (Ctrl-C stops)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
