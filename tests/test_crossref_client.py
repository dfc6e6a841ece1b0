"""CrossrefClient against a local server replaying real Crossref recordings."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest
from replay import FIXTURES, Replay, body_json, recording

from screener.errors import QueryFileError, SourceError
from screener.http import MARGIN, HttpClient
from screener.models import FLAG_ERRATUM, FLAG_HAS_ERRATUM, CrossrefQuery
from screener.sources.crossref import (
    CrossrefClient,
    HeaderRate,
    filter_string,
    parse_interval,
    search_params,
)

HOSTS = {"https://api.crossref.org/": "/crossref/", "http://api.crossref.org/": "/crossref/"}
needs_shared = pytest.mark.skipif(
    not (FIXTURES / "habanero" / "decoded").is_dir()
    or not (FIXTURES / "rcrossref" / "decoded").is_dir(),
    reason="../shared/fixtures (recorded Crossref responses) is absent",
)
ECOLOGY_CURSOR = (
    body_json("rcrossref", "cr_works_with_cursor_and_progress_bar__0.json")["message"][
        "next-cursor"
    ]
    if (FIXTURES / "rcrossref").is_dir()
    else ""
)


@pytest.fixture
def replay(httpserver):
    return Replay(httpserver, hosts=HOSTS)


def make_client(replay: Replay, mailto: str | None = None, **kwargs) -> CrossrefClient:
    http = HttpClient(
        replay.url("/crossref/"), service="Crossref", rate=1000.0, backoff=0.01, max_tries=3
    )
    return CrossrefClient(http, mailto, **kwargs)


def work_list(items: list, total: int, cursor: str = "") -> dict:
    message = {"facets": {}, "total-results": total, "items": items, "items-per-page": 30}
    if cursor:
        message["next-cursor"] = cursor
    return {
        "status": "ok",
        "message-type": "work-list",
        "message-version": "1.0.0",
        "message": message,
    }


# ---- parameters and the run log (no server) -------------------------------------------


def test_search_params_and_describe():
    query = CrossrefQuery(
        query="exosome alopecia",
        field_queries=(("query.bibliographic", 'hair "loss"'), ("author", "Smith")),
        filters=(("type", "journal-article"), ("has-abstract", "true")),
        date_field="created",
        start=date(2024, 1, 1),
    )
    params = search_params(query, date(2024, 6, 30))
    assert params == {
        "query": "exosome alopecia",
        "query.bibliographic": 'hair "loss"',
        "query.author": "Smith",
        "filter": "type:journal-article,has-abstract:true,"
        "from-created-date:2024-01-01,until-created-date:2024-06-30",
    }
    client = CrossrefClient(HttpClient("http://127.0.0.1:9/", service="Crossref"), "me@x.org")
    assert client.describe(query, date(2024, 6, 30)) == (
        'query="exosome alopecia" query.bibliographic="hair \\"loss\\"" query.author="Smith" '
        'filter="type:journal-article,has-abstract:true,'
        'from-created-date:2024-01-01,until-created-date:2024-06-30"'
    )


@pytest.mark.parametrize(
    ("date_field", "start", "expected"),
    [
        ("pub", None, "until-pub-date:2025-05-10"),
        ("index", date(2025, 5, 9), "from-index-date:2025-05-09,until-index-date:2025-05-10"),
        ("created", None, "until-created-date:2025-05-10"),
    ],
)
def test_date_window_filters(date_field, start, expected):
    query = CrossrefQuery(query="x", date_field=date_field, start=start)
    assert filter_string(query, date(2025, 5, 10)) == expected


def test_bad_window_and_date_field_are_query_errors():
    with pytest.raises(QueryFileError, match="before"):
        search_params(CrossrefQuery(query="x", start=date(2025, 1, 2)), date(2025, 1, 1))
    with pytest.raises(QueryFileError, match="date_field"):
        search_params(CrossrefQuery(query="x", date_field="deposit"), date(2025, 1, 1))


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1s", 1.0),
        ("60s", 60.0),
        ("500ms", 0.5),
        ("1m", 60.0),
        ("2", 2.0),
        ("", None),
        ("soon", None),
        ("0s", None),
    ],
)
def test_parse_interval(value, seconds):
    assert parse_interval(value) == seconds


# ---- cursor paging ---------------------------------------------------------------------


@needs_shared
def test_cursor_paging_sends_cursor_then_next_cursor_and_stops_on_short_page(replay):
    query = CrossrefQuery(
        query="ecology",
        filters=(("type", "journal-article"),),
        date_field="index",
        start=date(2022, 1, 1),
    )
    window = "type:journal-article,from-index-date:2022-01-01,until-index-date:2022-11-08"
    sent = {"query": "ecology", "filter": window, "rows": "30"}
    pages = [
        recording("rcrossref", f"cr_works_with_cursor_and_progress_bar__{i}.json") for i in range(3)
    ]
    replay.add(pages[0], query={**sent, "cursor": "*"})
    for page in pages[1:]:  # the same URL twice: answered in recorded order
        replay.add(page, query={**sent, "cursor": ECOLOGY_CURSOR})
    last_item = body_json("habanero", "test_works_with_one_id__0.json")["message"]
    replay.respond(
        "GET",
        "/crossref/works",
        200,
        work_list([last_item], 452242, ECOLOGY_CURSOR),
        {"content-type": "application/json"},
        query={**sent, "cursor": ECOLOGY_CURSOR},
    )
    client = make_client(replay, mailto="me@example.org")

    result = list(client.search(query, date(2022, 11, 8), rows=30))

    assert [p.number for p in result] == [1, 2, 3, 4]
    assert [len(p.items) for p in result] == [30, 30, 30, 1]
    assert {p.total_results for p in result} == {452242}
    assert all(p.cursor == ECOLOGY_CURSOR for p in result)
    # What was sent: cursor=* first, then the (unchanging) next-cursor, every time the
    # query, the filter with the window, rows and mailto (polite pool).
    assert [r.args["cursor"] for r in replay.sent] == [["*"]] + [[ECOLOGY_CURSOR]] * 3
    for request in replay.sent:
        assert request.path == "/crossref/works"
        assert request.args["query"] == ["ecology"]
        assert request.args["filter"] == [window]
        assert request.args["rows"] == ["30"]
        assert request.args["mailto"] == ["me@example.org"]
    assert replay.unmatched == [] and replay.pending() == 0
    first = result[0].items[0]
    assert (first.doi, first.title, first.journal, first.year, first.entry_type) == (
        "10.1093/obo/9780199830060-0238",
        "Communicating Ecology",
        "Ecology",
        2022,
        "inbook",
    )
    smut = next(r for r in result[1].items if r.doi == "10.2307/1943146")
    assert (smut.title, smut.year, smut.journal, smut.authors) == (
        "Smut Ecology",
        1957,
        "Ecology",
        ("Cooke, Wm. Bridge",),
    )
    assert (smut.volume, smut.issue, smut.pages) == ("38", "4", "671")
    assert result[3].items[0].flags == (FLAG_HAS_ERRATUM,)
    # rcrossref's 2022 headers: 50 requests per 1s.
    assert client.rate.rate == 50.0
    assert client.http.limiter.interval == pytest.approx(MARGIN / 50)


@needs_shared
def test_correction_notices_arrive_flagged_and_paging_stops_on_empty_page(replay):
    cursor = body_json("rcrossref", "cr_journals_with_cursor_and_progress_bar__0.json")["message"][
        "next-cursor"
    ]
    for i in range(3):
        rec = recording("rcrossref", f"cr_journals_with_cursor_and_progress_bar__{i}.json")
        replay.add(rec, path="/crossref/works", any_query=True)
    # Past the end Crossref answers an empty items list (rest-api-doc, deep paging).
    replay.respond("GET", "/crossref/works", 200, work_list([], 274684, cursor), any_query=True)
    client = make_client(replay)

    result = list(
        client.search(CrossrefQuery(filters=(("issn", "1932-6203"),)), date(2022, 11, 9), rows=30)
    )

    assert [len(p.items) for p in result] == [30, 30, 30, 0]
    records = [r for p in result for r in p.items]
    notices = [r for r in records if FLAG_ERRATUM in r.flags]
    assert len(notices) == 17
    assert all(r.title.startswith("Correction:") for r in notices)
    notice = next(r for r in records if r.doi == "10.1371/journal.pone.0129989")
    assert notice.relations == (("correction-of", "10.1371/journal.pone.0120799"),)
    assert "mailto" not in replay.sent[0].args
    assert replay.sent[0].args["filter"] == ["issn:1932-6203,until-pub-date:2022-11-09"]


@needs_shared
def test_paging_stops_when_all_reported_results_arrived(replay):
    for i in range(2):
        rec = recording("habanero", f"test_workscontainer_with_cursor__{i}.json")
        data = json.loads(rec.body)
        data["message"]["total-results"] = 10
        replay.add(rec, path="/crossref/works", any_query=True, body=json.dumps(data).encode())
    client = make_client(replay)
    result = list(client.search(CrossrefQuery(query="x"), date(2026, 6, 16), rows=5))
    assert [len(p.items) for p in result] == [5, 5]
    assert len(replay.sent) == 2
    assert result[0].items[0].doi == "10.4061/2010/505436"


# ---- errors ------------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize(
    ("source", "body_file", "needle"),
    [
        (
            "rcrossref",
            "cr_works_fails_well__1.json",
            "Integer specified as 200 but must be a positive integer less than or equal to 100",
        ),
        (
            "habanero",
            "test_works_query_filters_not_allowed_with_dois__0.json",
            "This route does not support field query parameters",
        ),
    ],
)
def test_validation_failure_is_one_line_source_error(replay, source, body_file, needle):
    replay.add(recording(source, body_file), path="/crossref/works", any_query=True)
    client = make_client(replay)
    with pytest.raises(SourceError) as caught:
        list(client.search(CrossrefQuery(query="ecology"), date(2026, 1, 1)))
    message = str(caught.value)
    assert needle in message
    assert "HTTP 400" in message and "validation-failure" in message
    assert "\n" not in message
    assert len(replay.sent) == 1  # a 400 is not retried


@needs_shared
def test_validation_failure_on_a_single_work(replay):
    rec = recording("habanero", "test_works_query_filters_not_allowed_with_dois__0.json")
    replay.add(rec, any_query=True)
    client = make_client(replay)
    with pytest.raises(SourceError, match="does not support field query parameters"):
        client.work("10.1371/journal.pone.0033693")


@needs_shared
def test_invalid_cursor_after_first_page(replay):
    first = recording("habanero", "test_cursor__0.json")
    replay.add(
        first,
        path="/crossref/works",
        query={
            "query": "widget",
            "filter": "until-pub-date:2026-06-16",
            "rows": "20",
            "cursor": "*",
        },
    )
    cursor = json.loads(first.body)["message"]["next-cursor"]
    replay.add(
        recording("habanero", "test_cursor_fails_cursor_value__0.json"),
        path="/crossref/works",
        query={
            "query": "widget",
            "rows": "20",
            "cursor": cursor,
            "filter": "until-pub-date:2026-06-16",
        },
    )
    client = make_client(replay)
    pages = []
    with pytest.raises(SourceError) as caught:
        for page in client.search(CrossrefQuery(query="widget"), date(2026, 6, 16), rows=20):
            pages.append(page)
    assert len(pages) == 1 and len(pages[0].items) == 20 and pages[0].total_results == 454
    message = str(caught.value)
    assert "HTTP 404" in message and "Cursor specified but it is invalid" in message
    assert "rerun the search" in message and "page 2" in message and "\n" not in message
    assert len(replay.sent) == 2


@needs_shared
def test_exception_envelope_500_is_retried_then_source_error(replay):
    rec = recording("rcrossref", "cr_works_with_cursor_fails_well__0.json")
    for _ in range(3):
        replay.add(rec, path="/crossref/works", any_query=True)
    client = make_client(replay)
    with pytest.raises(SourceError) as caught:
        list(client.search(CrossrefQuery(query="x"), date(2022, 11, 9)))
    message = str(caught.value)
    assert "HTTP 500" in message and "gave up after 3 tries" in message
    assert "exception: Response Exception" in message and "\n" not in message
    assert len(replay.sent) == 3 and client.http.retries == 2


@needs_shared
def test_500_then_success_is_retried(replay):
    replay.add(
        recording("rcrossref", "cr_works_with_cursor_fails_well__0.json"),
        path="/crossref/works/10.1371/journal.pone.0033693",
        query={},
    )
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    record = make_client(replay).work("10.1371/journal.pone.0033693")
    assert record is not None and record.year == 2012
    assert len(replay.sent) == 2


@needs_shared
def test_html_page_with_200_is_retried(replay):
    path = "/crossref/works/10.1371/journal.pone.0033693"
    replay.respond(
        "GET", path, 200, "<html><body>Service busy</body></html>", {"content-type": "text/html"}
    )
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    record = make_client(replay).work("10.1371/journal.pone.0033693")
    assert record is not None and record.journal == "PLoS ONE"
    assert len(replay.sent) == 2


@needs_shared
def test_429_retry_after_is_honoured(replay):
    path = "/crossref/works/10.1371/journal.pone.0033693"
    replay.respond(
        "GET",
        path,
        429,
        {"status": "error", "message": "rate limit"},
        {
            "content-type": "application/json",
            "Retry-After": "1",
            "x-rate-limit-limit": "5",
            "x-rate-limit-interval": "1s",
        },
    )
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    client = make_client(replay)
    started = time.monotonic()
    record = client.work("10.1371/journal.pone.0033693")
    elapsed = time.monotonic() - started
    assert record is not None and record.doi == "10.1371/journal.pone.0033693"
    assert elapsed >= 0.95  # backoff is 0.01 s: the wait came from Retry-After
    assert len(replay.sent) == 2 and client.http.retries == 1
    assert client.http.status_counts == {429: 1, 200: 1}


# ---- single works --------------------------------------------------------------------------


@needs_shared
def test_work_by_doi(replay):
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    client = make_client(replay, mailto="me@example.org")
    record = client.work("https://doi.org/10.1371/JOURNAL.PONE.0033693")
    assert record is not None
    assert record.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert (record.year, record.journal, record.doi) == (
        2012,
        "PLoS ONE",
        "10.1371/journal.pone.0033693",
    )
    assert record.authors[0] == "Sadasivan, Shankar"
    assert record.flags == (FLAG_HAS_ERRATUM,)
    # The DOI goes into the path with its "/" as is, like every Crossref client sends it.
    assert replay.sent[0].path == "/crossref/works/10.1371/journal.pone.0033693"
    assert replay.sent[0].raw_uri.startswith("/crossref/works/10.1371/journal.pone.0033693?")
    assert replay.sent[0].args == {"mailto": ["me@example.org"]}


@needs_shared
@pytest.mark.parametrize(
    ("source", "body_file", "content_type"),
    [
        ("habanero", "test_works_bad_id_warn__0.txt", "text/plain"),
        # 2022: the plain-text body was labelled JSON.
        ("rcrossref", "cr_works__warns_well__0.txt", "application/json;charset=utf-8"),
    ],
)
def test_unknown_doi_is_none(replay, source, body_file, content_type):
    rec = recording(source, body_file)
    assert rec.status == 404 and rec.body.strip() == b"Resource not found."
    assert rec.headers["content-type"] == content_type
    replay.add(rec, path="/crossref/works/10.1371/notarealdoi")
    client = make_client(replay)
    assert client.work("10.1371/notarealdoi") is None
    assert len(replay.sent) == 1


def test_not_a_doi_sends_nothing(replay):
    assert make_client(replay).work("blblbl") is None
    assert replay.sent == []


def test_doi_with_reserved_characters_is_quoted(replay):
    doi = "10.1002/(sici)1097-4636(199709)36:3<327::aid-jbm7>3.0.co;2-e"
    replay.respond("GET", f"/crossref/works/{doi}", 404, "Resource not found.")
    assert make_client(replay).work(doi) is None
    assert replay.sent[0].raw_uri == (
        "/crossref/works/10.1002/(sici)1097-4636(199709)36:3%3C327::aid-jbm7%3E3.0.co;2-e"
    )


# ---- rate headers ---------------------------------------------------------------------------


@needs_shared
def test_rate_headers_lower_the_limiter(replay):
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    replay.add(recording("habanero", "test_works_mixed_ids_warn__2.json"))
    client = make_client(replay)
    assert client.http.limiter.interval == pytest.approx(MARGIN / 1000)
    client.work("10.1371/journal.pone.0033693")
    # habanero 2026, public pool: 5 per 1s, one request at a time.
    assert client.rate.rate == 5.0
    assert client.http.limiter.interval == pytest.approx(MARGIN / 5)
    assert (client.rate.concurrency, client.rate.pool) == (1, "public")
    started = time.monotonic()
    record = client.work("10.1371/journal.pone.0020476")
    assert record is not None and record.doi == "10.1371/journal.pone.0020476"
    assert time.monotonic() - started >= 0.15  # the second request waited its turn


@needs_shared
def test_max_rate_caps_what_headers_allow(replay):
    replay.add(recording("habanero", "test_works_with_many_ids__2.json"))
    client = make_client(replay, max_rate=2.0)
    record = client.work("10.1038/srep16696")
    assert record is not None and record.journal == "Scientific Reports"
    assert client.rate.pool == "polite" and client.rate.concurrency == 3
    assert client.rate.rate == 2.0  # headers allow 10/s; the caller asked for at most 2


def test_header_rate_ignores_responses_without_interval():
    http = HttpClient("http://127.0.0.1:9/", service="x", rate=3.0)
    rate = HeaderRate(http.limiter)

    class FakeResponse:
        headers = {"X-RateLimit-Limit": "10"}  # NCBI style: no interval

    rate(FakeResponse())
    assert rate.rate is None and http.limiter.interval == pytest.approx(MARGIN / 3)
