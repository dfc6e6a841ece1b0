"""Fault injection against the local stand-in: every network failure ends, clearly and in time.

Slow drips, transfers cut off mid-body, redirects to another host, servers whose ESearch
lists fewer ids than it counts, gzip bombs, DTDs Biopython does not bundle, escape
sequences in error bodies, Ctrl-C during a fetch, and two runs of one search. Deadlines
are small here so each test is bounded in time.
"""

from __future__ import annotations

import _thread
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from screener import workflow
from screener.errors import SearchBusyError, SourceError
from screener.http import HttpClient
from screener.models import PubmedQuery, SavedSearch
from screener.sources.entrez import OfflineEntrezError, read_entrez
from screener.sources.pubmed import PubmedClient
from screener.sources.pubmed_xml import parse_efetch
from tests.standin import HEAD, StandIn, article_xml, gzip_bomb


def _client(url: str, *, deadline: float = 30.0, tries: int = 3, **kw) -> PubmedClient:
    http = HttpClient(
        url,
        service="PubMed E-utilities",
        max_tries=tries,
        backoff=0.01,
        deadline=deadline,
        timeout=(2.0, 2.0),
        **kw,
    )
    client = PubmedClient(http, email="me@example.org", api_key="secret-key", batch_size=100)
    http.limiter.set_rate(1000.0)
    return client


def _search(start=date(2000, 1, 1), cutoff=date(2025, 5, 10)) -> SavedSearch:
    query = PubmedQuery(term="exosome AND alopecia", date_field="pdat", cutoff=cutoff, start=start)
    return SavedSearch(name="t", path="queries/t.toml", pubmed=query, text="x")


def _run(store, client):
    events = list(workflow.run_search(store, _search(), pubmed_client=client))
    return [e for e in events if isinstance(e, workflow.RunFinished)][-1].run


def _standin(records: int) -> StandIn:
    standin = StandIn(records)
    standin.state.rate_limit = 10_000
    return standin


# ---- deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["drip", "drip-headers"])
def test_a_dripping_server_fails_by_the_deadline_and_the_run_is_marked_failed(store, fault):
    with _standin(50) as standin:
        standin.state.drip_interval = 0.2  # each read is quick: only a deadline stops it
        standin.state.faults.append(fault)
        began = time.monotonic()
        with pytest.raises(SourceError, match="did not finish answering within 1 s"):
            _run(store, _client(standin.url, deadline=1.0))
        elapsed = time.monotonic() - began
    assert elapsed < 4.0
    assert [r.status for r in store.list_runs()] == ["failed"]
    assert "within 1 s" in store.list_runs()[0].error


# ---- transfers cut off mid-body ----------------------------------------------------------


@pytest.mark.parametrize("fault", ["cut", "chunked-cut"])
def test_a_transfer_cut_off_mid_body_is_retried(store, fault):
    with _standin(150) as standin:
        standin.state.faults.extend(["pass", fault])  # ESearch fine, first EFetch cut off
        run = _run(store, _client(standin.url))
        sent = [r["endpoint"] for r in standin.state.requests]
    assert run.status == "completed" and run.count_stored == 150
    assert sent.count("efetch.fcgi") == 3  # two batches, one of them twice


def test_a_transfer_cut_off_every_time_says_so_not_bad_url(store):
    with _standin(50) as standin:
        standin.state.faults.extend(["cut", "cut"])
        with pytest.raises(SourceError) as caught:
            _run(store, _client(standin.url, tries=2))
    message = str(caught.value)
    assert "cut the answer off" in message and "gave up after 2 tries" in message
    assert "base URL" not in message
    assert [r.status for r in store.list_runs()] == ["failed"]


# ---- redirects ---------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    seen: list[bytes]

    def log_message(self, *args: object) -> None:
        pass

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length", 0) or 0)
        self.seen.append(self.path.encode() + b" " + self.rfile.read(length))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _record


@pytest.fixture
def other_host():
    seen: list[bytes] = []
    handler = type("Rec", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/steal", seen
    server.shutdown()
    server.server_close()


def test_a_redirect_to_another_host_is_refused_and_sends_it_nothing(store, other_host):
    url, seen = other_host
    with _standin(50) as standin:
        standin.state.redirect_to = url
        standin.state.faults.append("redirect")
        with pytest.raises(SourceError, match="redirected to another host"):
            _run(store, _client(standin.url))
    assert seen == []  # not the POST body, not the api_key, not the e-mail: nothing
    assert [r.status for r in store.list_runs()] == ["failed"]


def test_a_redirect_within_the_host_is_followed_with_the_same_post(store):
    with _standin(50) as standin:
        standin.state.faults.append("redirect-same-host")
        run = _run(store, _client(standin.url))
        first, second = standin.state.requests[:2]
    assert run.status == "completed" and run.count_stored == 50
    assert second["method"] == "POST" and second["term"] == first["term"]
    assert second["api_key"] == "secret-key"


# ---- ESearch listing fewer ids than it counts --------------------------------------------


def test_a_lower_esearch_cap_splits_windows_until_every_record_is_stored(store):
    with _standin(1000) as standin:
        standin.state.esearch_cap = 300  # a server whose cap is not 9,999
        standin.state.efetch_cap = 300
        run = _run(store, _client(standin.url))
        searches = [r for r in standin.state.requests if r["endpoint"] == "esearch.fcgi"]
    assert run.status == "completed"
    assert (run.count_reported, run.count_stored) == (1000, 1000)
    assert store.count_records() == 1000
    assert len(searches) > 4  # split until each window is listed whole


def test_a_single_day_listing_fewer_ids_than_counted_fails_loudly(store):
    with _standin(0) as standin:
        standin.state.set_records(400, date(2020, 5, 1), days=1)  # all on one day
        standin.state.esearch_cap = 300
        with pytest.raises(SourceError, match="counted 400 records for 2020-05-01 but listed"):
            _run(store, _client(standin.url))
    run = store.list_runs()[0]
    assert run.status == "failed" and run.count_stored == 0


# ---- size caps ---------------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_without_taking_memory(store):
    gzip_bomb()  # built before the server answers with it (it takes a second or two)
    with _standin(50) as standin:
        standin.state.faults.append("gzip-bomb")  # 256 MiB of zeros in 260 kB
        tracemalloc.start()
        try:
            with pytest.raises(SourceError, match="larger than 4 MiB"):
                _run(store, _client(standin.url, max_bytes=4 * 2**20))
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 32 * 2**20
    assert [r.status for r in store.list_runs()] == ["failed"]


def test_a_body_over_the_cap_is_refused(store):
    with _standin(300) as standin, pytest.raises(SourceError, match="larger than 97 kB"):
        _run(store, _client(standin.url, max_bytes=100_000))  # one EFetch is ~300 kB


# ---- the XML parser never fetches --------------------------------------------------------


def _refuse_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the parser tried to use the network")

    monkeypatch.setattr("socket.socket.connect", refuse)
    monkeypatch.setattr("Bio.Entrez.Parser.urlopen", refuse)


def test_a_newer_dtd_is_read_with_the_bundled_one_offline(monkeypatch):
    _refuse_network(monkeypatch)
    head = HEAD.replace(b"pubmed_250101.dtd", b"pubmed_290101.dtd")  # not bundled
    body = head + article_xml(123, date(2021, 3, 4), 7) + b"</PubmedArticleSet>\n"
    (record,) = parse_efetch(body)
    assert record.pmid == "123" and record.year == 2021


def test_an_unknown_dtd_is_an_error_not_a_download(monkeypatch):
    _refuse_network(monkeypatch)
    body = HEAD.replace(b"pubmed_250101.dtd", b"nothing_known.dtd") + b"<PubmedArticleSet/>"
    with pytest.raises(OfflineEntrezError, match="does not download"):
        read_entrez(body)


# ---- outside text in errors --------------------------------------------------------------


def test_escape_sequences_in_an_error_body_do_not_reach_the_message(store):
    with _standin(10) as standin:
        standin.state.faults.append("error-escapes")
        with pytest.raises(SourceError) as caught:
            _run(store, _client(standin.url, tries=1))
    assert "WWW Error 500" in str(caught.value)
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)
    assert "\x1b" not in store.list_runs()[0].error


# ---- Ctrl-C --------------------------------------------------------------------------------


def test_ctrl_c_during_a_fetch_stops_within_a_second_and_marks_the_run(store):
    with _standin(150) as standin:
        standin.state.drip_interval = 0.5
        standin.state.faults.extend(["pass", "drip"])  # the first EFetch never ends
        pressed: list[float] = []

        def press() -> None:
            time.sleep(0.8)
            pressed.append(time.monotonic())
            _thread.interrupt_main()

        threading.Thread(target=press, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            _run(store, _client(standin.url, deadline=60.0))
        stopped = time.monotonic() - pressed[0]
    assert stopped < 1.5
    run = store.list_runs()[0]
    assert run.status == "interrupted"


# ---- one process per search ----------------------------------------------------------------


def test_a_second_run_of_the_same_search_says_who_holds_it(store, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        store.conn.execute(
            "INSERT INTO search_locks VALUES ('t', ?, ?, '2026-01-01T10:00:00Z')",
            (holder.pid, os.uname().nodename),
        )
        store.conn.commit()
        with _standin(10) as standin:
            with pytest.raises(SearchBusyError, match=f"process {holder.pid} on this machine"):
                _run(store, _client(standin.url))
            assert standin.state.requests == []  # nothing was fetched twice
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone: its lock is stale and the next run takes it over.
    with _standin(10) as standin:
        assert _run(store, _client(standin.url)).status == "completed"
    assert store.conn.execute("SELECT COUNT(*) FROM search_locks").fetchone()[0] == 0


def test_a_lock_from_another_host_is_kept_and_can_be_released(store):
    store.conn.execute(
        "INSERT INTO search_locks VALUES ('t', 1, 'elsewhere', '2026-01-01T10:00:00Z')"
    )
    store.conn.commit()
    with pytest.raises(SearchBusyError, match="host elsewhere.*search unlock t"):
        store.lock_search("t")
    assert workflow.unlock_search(store, "t")
    store.lock_search("t")


# ---- the same, as a user meets them --------------------------------------------------------

QUERY = """name = "demo"
[pubmed]
term = 'exosome AND alopecia'
date_field = "pdat"
from = "2000-01-01"
cutoff = "2025-05-10"
"""


def _start(tmp_path, url: str) -> tuple[subprocess.Popen, list[str], dict]:
    query = tmp_path / "demo.toml"
    query.write_text(QUERY)
    env = dict(
        os.environ,
        SCREENER_PUBMED_URL=url,
        NCBI_EMAIL="me@example.org",
        SCREENER_DB=str(tmp_path / "review.sqlite"),
        SCREENER_PUBMED_BATCH="50",
    )
    cmd = [sys.executable, "-m", "screener", "search", "run", str(query)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, cmd, env


def _wait_for_efetch(standin: StandIn, proc: subprocess.Popen) -> None:
    limit = time.monotonic() + 30
    while time.monotonic() < limit and proc.poll() is None:
        if any(r["endpoint"] == "efetch.fcgi" for r in standin.state.requests):
            return
        time.sleep(0.05)
    raise AssertionError("the run never reached EFetch")


def test_two_runs_of_one_search_at_once_the_second_says_who_and_fails(tmp_path):
    with _standin(400) as standin:
        standin.state.latency = 0.3
        first, cmd, env = _start(tmp_path, standin.url)
        _wait_for_efetch(standin, first)
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        first.wait(timeout=60)
    assert second.returncode == 1
    assert f"already being run by process {first.pid} on this machine" in second.stderr
    assert first.returncode == 0, first.stderr.read()


def test_ctrl_c_stops_a_run_within_a_second_and_it_is_logged_interrupted(tmp_path):
    with _standin(400) as standin:
        standin.state.drip_interval = 0.5
        standin.state.faults.extend(["pass", "drip"])
        proc, _cmd, _env = _start(tmp_path, standin.url)
        _wait_for_efetch(standin, proc)
        time.sleep(0.3)
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        stopped = time.monotonic() - pressed
    assert proc.returncode == 130 and stopped < 1.5, proc.stderr.read()
    with sqlite3.connect(tmp_path / "review.sqlite") as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs")]
        locks = conn.execute("SELECT COUNT(*) FROM search_locks").fetchone()[0]
    assert statuses == ["interrupted"] and locks == 0


def test_history_paging_that_stops_short_is_completed_by_id(store):
    with _standin(1000) as standin:
        standin.state.efetch_cap = 950  # the last history page gives 50 of 100
        run = _run(store, _client(standin.url))
        by_id = [r for r in standin.state.requests if "id" in r]
    assert run.status == "completed" and run.count_stored == 1000
    assert not run.warnings
    assert len(by_id) == 1 and len(by_id[0]["id"].split(",")) == 50  # the rest, by PMID


def test_credential_free_gets_may_follow_a_redirect_elsewhere_when_allowed(other_host):
    url, seen = other_host  # doi.org forwards to the registration agency's host
    with _standin(1) as standin:
        standin.state.redirect_to = url
        standin.state.faults.append("redirect")
        http = HttpClient(standin.url, service="doi.org", redirects_to_other_hosts=True)
        response = http.request("GET", "10.1000/x")
    assert response.status_code == 200 and response.url.startswith(url)
    assert seen == [b"/steal "]


def test_crossref_text_with_escape_sequences_is_stored_clean():
    from screener.sources.crossref_map import record_from_crossref

    item = {
        "DOI": "10.1/x",
        "title": ["\x1b]0;owned\x07A \x1b[2Jtitle"],
        "container-title": ["J\x9b31m"],
        "author": [{"family": "Doe\x1b[5m", "given": "A"}],
    }
    record = record_from_crossref(item)
    assert record.title == "A title"
    assert "\x1b" not in record.authors[0] and "\x9b" not in record.journal


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the workers")
def test_parse_workers_end_when_the_run_is_killed(tmp_path):
    with _standin(3000) as standin:
        standin.state.latency = 0.2
        proc, _cmd, _env = _start(tmp_path, standin.url)
        _wait_for_efetch(standin, proc)
        limit = time.monotonic() + 20
        while time.monotonic() < limit and len(_children(proc.pid)) < 2:
            time.sleep(0.1)
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        limit = time.monotonic() + 5
        while time.monotonic() < limit and any(os.path.exists(f"/proc/{w}") for w in workers):
            time.sleep(0.1)
    assert workers  # the run parsed in worker processes
    alive = [w for w in workers if os.path.exists(f"/proc/{w}")]
    assert alive == [], "worker processes outlived the run"


def test_the_markup_free_fast_path_cleans_exactly_as_normalize_does():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from screener.normalize import clean_text as reference
    from screener.sources.pubmed_xml import clean_text

    @settings(max_examples=500, deadline=None)
    @given(st.text())
    def same(text: str) -> None:
        assert clean_text(text) == reference(text)

    same()


def test_a_parse_worker_that_dies_is_one_clear_error_and_the_run_failed(store, monkeypatch):
    import screener.sources.pubmed_parse as pubmed_parse

    monkeypatch.setattr(pubmed_parse, "parse_batch", _die)  # pickled to the worker by name
    with _standin(500) as standin:
        client = _client(standin.url)
        client.parse_processes = 1
        with pytest.raises(SourceError, match="stopped unexpectedly"):
            _run(store, client)
    assert [r.status for r in store.list_runs()] == ["failed"]


def _die(ids, body):
    os._exit(3)
