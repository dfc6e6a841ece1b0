"""PubMed searches against a local E-utilities stand-in and replayed real responses."""

from __future__ import annotations

from datetime import date

import pytest

from screener import workflow
from screener.errors import SourceError
from screener.http import HttpClient
from screener.models import PubmedQuery, SavedSearch
from screener.sources.pubmed import PubmedClient
from tests.conftest import shared_path
from tests.standin import StandIn


def _client(url: str, *, rate: float = 200.0, batch: int = 100, **kw) -> PubmedClient:
    http = HttpClient(url, service="PubMed E-utilities", max_tries=3, backoff=0.01)
    client = PubmedClient(
        http, email="me@example.org", api_key=kw.get("api_key", ""), batch_size=batch
    )
    http.limiter.set_rate(rate)  # tests run faster than NCBI allows; the stand-in agrees
    return client


def _search(cutoff=date(2025, 5, 10), start=date(2000, 1, 1)) -> SavedSearch:
    query = PubmedQuery(term="exosome AND alopecia", date_field="pdat", cutoff=cutoff, start=start)
    return SavedSearch(name="t", path="queries/t.toml", pubmed=query, text="x")


def _run(store, client, search=None, cutoff=None):
    events = list(
        workflow.run_search(store, search or _search(), pubmed_client=client, cutoff=cutoff)
    )
    finished = [e for e in events if isinstance(e, workflow.RunFinished)]
    return finished[-1].run, events


def test_search_stores_every_record_once_and_logs_the_run(store):
    with StandIn(250) as standin:
        standin.state.rate_limit = 1000
        run, events = _run(store, _client(standin.url))
    assert (run.count_reported, run.count_stored, run.count_new) == (250, 250, 250)
    assert run.status == "completed"
    assert run.platform == "PubMed via NCBI E-utilities"
    assert run.query == ('(exosome AND alopecia) AND ("2000/01/01"[dp] : "2025/05/10"[dp])')
    assert run.query_translation  # what NCBI said it searched
    assert run.date_to == "2025-05-10" and run.date_from == "2000-01-01"
    assert store.count_records() == 250
    sent = standin.state.requests
    assert all(r["tool"] == "screener" and r["email"] == "me@example.org" for r in sent)
    assert any(isinstance(e, workflow.BatchStored) for e in events)


def test_history_server_paging_and_webenv_reuse(store):
    with StandIn(12_500) as standin:  # over the 9,999 cap: must be split
        standin.state.rate_limit = 1000
        run, events = _run(store, _client(standin.url, batch=1000))
        sent = standin.state.requests
    assert run.count_stored == 12_500 == store.count_records()
    windows = [e for e in events if isinstance(e, workflow.WindowSearched)]
    assert len(windows) >= 2 and all(w.count <= 9999 for w in windows)
    searches = [r for r in sent if r["endpoint"] == "esearch.fcgi"]
    assert "WebEnv" not in searches[0]
    webenvs = {r.get("WebEnv") for r in searches[1:]}
    assert len(webenvs) == 1 and None not in webenvs  # one history environment reused
    fetches = [r for r in sent if r["endpoint"] == "efetch.fcgi"]
    assert all(r["method"] == "POST" and "query_key" in r for r in fetches)
    assert all(int(r["retstart"]) + int(r["retmax"]) <= 9999 + 1000 for r in fetches)
    assert max(int(r["retmax"]) for r in fetches) == 1000


def test_rerun_same_cutoff_stores_nothing_new_later_cutoff_only_new(store):
    with StandIn(300, start=date(2020, 1, 1), days=1000) as standin:
        standin.state.rate_limit = 1000
        client = _client(standin.url)
        first, _ = _run(store, client, cutoff=date(2021, 12, 31))
        again, _ = _run(store, client, cutoff=date(2021, 12, 31))
        fetched_before = sum(1 for r in standin.state.requests if r["endpoint"] == "efetch.fcgi")
        standin.state.add_records(40, date(2023, 1, 1), 30)
        later, _ = _run(store, client, cutoff=date(2025, 5, 10))
        posts = [r for r in standin.state.requests if r["endpoint"] == "efetch.fcgi"]
    assert again.count_new == 0 and again.count_stored == first.count_stored
    assert fetched_before == len([1 for _ in range(fetched_before)])  # no fetch on rerun
    assert later.count_reported == 340
    assert later.count_new == 340 - first.count_stored
    assert store.count_records() == 340
    # The update fetched only the missing PMIDs, by id list.
    assert "id" in posts[-1] and len(posts[-1]["id"].split(",")) <= 100


def test_rate_limit_is_respected_with_no_429(store):
    with StandIn(60) as standin:
        http = HttpClient(standin.url, service="PubMed", max_tries=3, backoff=0.01)
        client = PubmedClient(http, email="me@example.org", batch_size=10)  # 3 per second
        run, _ = _run(store, client)
        assert standin.state.count_429 == 0
    assert run.count_stored == 60


def test_api_key_is_sent_and_raises_the_rate(store):
    with StandIn(20) as standin:
        standin.state.rate_limit = 10
        http = HttpClient(standin.url, service="PubMed", max_tries=3, backoff=0.01)
        client = PubmedClient(http, email="me@example.org", api_key="KEY", batch_size=5)
        assert http.limiter.interval == pytest.approx(0.11)  # 10 per second, with margin
        _run(store, client)
        assert all(r["api_key"] == "KEY" for r in standin.state.requests)
        assert standin.state.count_429 == 0


@pytest.mark.parametrize("fault", ["html", "truncated", "backend", "500"])
def test_transient_faults_are_retried(store, fault):
    with StandIn(30) as standin:
        standin.state.rate_limit = 1000
        standin.state.faults.extend([fault, fault])
        run, _ = _run(store, _client(standin.url))
    assert run.status == "completed" and run.count_stored == 30


def test_429_is_retried_honouring_retry_after(store):
    with StandIn(30) as standin:
        standin.state.rate_limit = 1  # the stand-in will answer 429 to a burst
        run, _ = _run(store, _client(standin.url, rate=50))
        assert standin.state.count_429 >= 1
    assert run.status == "completed" and run.count_stored == 30


def test_persistent_failure_marks_run_failed_and_keeps_what_was_stored(store):
    with StandIn(300) as standin:
        standin.state.rate_limit = 1000
        client = _client(standin.url, batch=100)
        standin.state.efetch_ok_left = 2
        with pytest.raises(SourceError, match="gave up after 3 tries"):
            _run(store, client)
        run = store.list_runs()[-1]
        assert run.status == "failed" and "HTTP 500" in run.error
        kept = store.count_records()
        assert 0 < kept < 300 and run.count_stored == kept
        standin.state.efetch_ok_left = None
        resumed, _ = _run(store, client)
    assert resumed.count_new == 300 - kept and store.count_records() == 300


def test_permanent_error_is_one_clear_error(store):
    with StandIn(10) as standin:
        standin.state.rate_limit = 1000
        standin.state.faults.append("bad-request")
        with pytest.raises(SourceError, match="Invalid query syntax"):
            _run(store, _client(standin.url))
    assert store.list_runs()[-1].status == "failed"


def test_unreachable_server_fails_cleanly(store):
    client = _client("http://127.0.0.1:9/entrez/eutils/")
    with pytest.raises(SourceError, match="cannot reach PubMed E-utilities"):
        _run(store, client)
    assert [r.status for r in store.list_runs()] == ["failed"]


# ---- replayed real responses (../shared/fixtures) ------------------------------------


def test_real_esearch_and_efetch_replayed(store, httpserver):
    esearch = shared_path("fixtures", "biocommons_eutils", "decoded", "test_esearchresult__1.xml")
    efetch = shared_path("fixtures", "metapub", "pmid_xml", "38534005.xml")
    httpserver.expect_request("/esearch.fcgi", method="POST").respond_with_data(
        esearch.read_bytes(), content_type="text/xml"
    )
    httpserver.expect_request("/efetch.fcgi", method="POST").respond_with_data(
        efetch.read_bytes(), content_type="text/xml"
    )
    run, _ = _run(store, _client(httpserver.url_for("/")))
    assert run.count_reported == 34  # the recorded Count
    # One real article came back for the recorded WebEnv: stored, and the others noted.
    assert store.count_records() == 1
    assert store.get_record(1).doi == "10.1515/cclm-2024-0070"
    assert "EFetch did not return" in run.warnings
    request = httpserver.log[1][0]
    assert request.form["WebEnv"].startswith("MCID_") and request.form["query_key"] == "1"


def test_real_phrase_not_found_is_a_warning_not_an_error(store, httpserver):
    body = shared_path("fixtures", "biopython", "Entrez", "esearch8.xml").read_bytes()
    httpserver.expect_request("/esearch.fcgi").respond_with_data(body, content_type="text/xml")
    run, _ = _run(store, _client(httpserver.url_for("/")))
    assert run.count_reported == 0 and run.status == "completed"
    assert "PhraseNotFound" in run.warnings


@pytest.mark.parametrize("name", ["epost2.xml", "esummary8.xml"])
def test_real_error_element_is_one_clear_error(store, httpserver, name):
    body = shared_path("fixtures", "biopython", "Entrez", name).read_bytes()
    httpserver.expect_request("/esearch.fcgi").respond_with_data(body, content_type="text/xml")
    with pytest.raises(SourceError) as err:
        _run(store, _client(httpserver.url_for("/")))
    assert "\n" not in str(err.value)
    assert store.list_runs()[-1].status == "failed"


@pytest.mark.parametrize("name", ["pubmed3.html", "einfo4.xml"])
def test_real_html_and_truncated_bodies_are_retried_then_fail(store, httpserver, name):
    body = shared_path("fixtures", "biopython", "Entrez", name).read_bytes()
    httpserver.expect_request("/esearch.fcgi").respond_with_data(body, content_type="text/xml")
    with pytest.raises(SourceError, match="gave up after 3 tries"):
        _run(store, _client(httpserver.url_for("/")))
    assert len(httpserver.log) == 3
