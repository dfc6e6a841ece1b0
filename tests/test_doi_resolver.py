"""DoiResolver: Crossref first, then doi.org content negotiation, replayed locally."""

from __future__ import annotations

import pytest
from replay import FIXTURES, Replay, recording

from screener.http import HttpClient
from screener.models import FLAG_HAS_ERRATUM
from screener.sources.crossref import CrossrefClient
from screener.sources.doi import CSL_JSON, NOT_A_DOI, NOT_FOUND, DoiResolver

HOSTS = {
    "https://api.crossref.org/": "/crossref/",
    "http://api.crossref.org/": "/crossref/",
    "https://doi.org/": "/doi/",
    "http://doi.org/": "/doi/",
}
WATER = "10.1126/science.169.3946.635"
needs_shared = pytest.mark.skipif(
    not (FIXTURES / "habanero" / "decoded").is_dir(),
    reason="../shared/fixtures/habanero (recorded Crossref and doi.org responses) is absent",
)


@pytest.fixture
def replay(httpserver):
    return Replay(httpserver, hosts=HOSTS)


@pytest.fixture
def resolver(replay):
    def http(path: str, service: str) -> HttpClient:
        return HttpClient(replay.url(path), service=service, rate=1000.0, backoff=0.01, max_tries=3)

    crossref = CrossrefClient(http("/crossref/", "Crossref"), "me@example.org")
    return DoiResolver(http("/doi/", "doi.org"), crossref)


def crossref_404(replay: Replay, doi: str) -> None:
    replay.add(
        recording("habanero", "test_works_bad_id_warn__0.txt"),
        path=f"/crossref/works/{doi}",
        query={},
    )


@needs_shared
def test_crossref_record_first_and_no_doi_org_request(replay, resolver):
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    found = resolver.lookup("doi:10.1371/journal.pone.0033693")
    assert (found.doi, found.problem, found.agency) == (
        "10.1371/journal.pone.0033693",
        "",
        "crossref",
    )
    assert found.record is not None and found.record.source == "crossref"
    assert found.record.year == 2012 and found.record.flags == (FLAG_HAS_ERRATUM,)
    assert [r.path for r in replay.sent] == ["/crossref/works/10.1371/journal.pone.0033693"]


@needs_shared
@pytest.mark.parametrize(
    "hops",
    [
        # https://doi.org → 302 → api.crossref.org/v1/works/{doi}/transform
        ["test_content_negotiation__0.html"],
        # http://doi.org → 301 → https://doi.org → 302 → the same transform URL
        ["test_content_negotiation_alt_url__0.html", "test_content_negotiation_alt_url__1.html"],
    ],
)
def test_content_negotiation_follows_redirects_to_csl_json(replay, resolver, hops):
    crossref_404(replay, WATER)
    for hop in hops:
        rec = recording("habanero", hop)
        assert rec.status in (301, 302)
        replay.add(rec, path=f"/doi/{WATER}")  # http:// and https:// both land here
    # The recorded redirect target, answered with the recorded CSL-JSON of the same DOI.
    csl = recording("habanero", "test_content_negotiation_citeproc_json__1.txt")
    replay.add(csl, path=f"/crossref/v1/works/{WATER}/transform")

    found = resolver.lookup(f"https://doi.org/{WATER}")

    assert found.problem == "" and found.agency == "crossref"
    record = found.record
    assert record is not None and record.source == "doi" and record.source_id == WATER
    assert record.title.startswith("The Structure of Ordinary Water")
    assert (record.year, record.journal, record.authors, record.doi) == (
        1970,
        "Science",
        ("Frank, Henry S.",),
        WATER,
    )
    assert (record.volume, record.issue, record.pages) == ("169", "3946", "635-641")
    assert record.abstract.startswith("The train of thought")
    doi_hops = [r for r in replay.sent if r.path.startswith("/doi/")]
    assert len(doi_hops) == len(hops)
    transform = replay.sent[-1]
    assert transform.raw_uri == "/crossref/v1/works/10.1126%2Fscience.169.3946.635/transform"
    # The Accept header survives every redirect hop.
    assert all(r.headers["Accept"] == CSL_JSON for r in [*doi_hops, transform])
    assert "mailto" not in transform.args
    assert replay.unmatched == [] and replay.pending() == 0


@needs_shared
def test_unknown_doi_is_not_found(replay, resolver):
    crossref_404(replay, "10.1126/foo")
    rec = recording(
        "habanero", "test_content_negotiation_raises_an_http_error_with_bad_requests__0.html"
    )
    assert rec.status == 404 and b"DOI Not Found" in rec.body
    replay.add(rec)
    found = resolver.lookup("10.1126/foo")
    assert (found.doi, found.record, found.problem, found.agency) == (
        "10.1126/foo",
        None,
        NOT_FOUND,
        "",
    )
    assert [r.path for r in replay.sent] == ["/crossref/works/10.1126/foo", "/doi/10.1126/foo"]


@needs_shared
def test_doi_org_400_is_not_a_valid_doi(replay, resolver):
    # Recorded for https://doi.org/foo; served for a DOI-shaped string doi.org rejects.
    rec = recording("habanero", "test_content_negotiation_throws_warnings__2.html")
    assert rec.status == 400 and b"Not a DOI" in rec.body
    crossref_404(replay, "10.1126/x")
    replay.add(rec, path="/doi/10.1126/x")
    found = resolver.lookup("10.1126/x")
    assert (found.record, found.problem) == (None, NOT_A_DOI)


def test_malformed_doi_is_refused_without_a_request(replay, resolver):
    found = resolver.lookup("foo")
    assert (found.doi, found.record, found.problem) == ("foo", None, NOT_A_DOI)
    assert replay.sent == []


@needs_shared
def test_agency_answer_that_is_not_csl_json(replay, resolver):
    crossref_404(replay, WATER)
    replay.add(recording("habanero", "test_content_negotiation__0.html"), path=f"/doi/{WATER}")
    bibtex = recording("habanero", "test_content_negotiation__1.bib")
    replay.add(bibtex, path=f"/crossref/v1/works/{WATER}/transform")
    found = resolver.lookup(WATER)
    assert found.record is None
    assert found.problem == "crossref gave no CSL-JSON (application/x-bibtex)"


@needs_shared
def test_lookup_many_keeps_order_and_asks_once_per_doi(replay, resolver):
    replay.add(recording("habanero", "test_works_mixed_ids_warn__0.json"))
    crossref_404(replay, "10.1371/notarealdoi")
    replay.add(
        recording(
            "habanero", "test_content_negotiation_raises_an_http_error_with_bad_requests__0.html"
        ),
        path="/doi/10.1371/notarealdoi",
    )
    replay.add(recording("habanero", "test_works_mixed_ids_warn__2.json"))
    dois = [
        "10.1371/journal.pone.0033693",
        "not a doi",
        "10.1371/notarealdoi",
        "https://doi.org/10.1371/JOURNAL.PONE.0033693",
        "10.1371/journal.pone.0020476",
    ]
    found = list(resolver.lookup_many(dois))
    assert [f.problem for f in found] == ["", NOT_A_DOI, NOT_FOUND, "", ""]
    assert found[0] is found[3]
    assert found[4].record is not None and found[4].record.doi == "10.1371/journal.pone.0020476"
    assert len(replay.sent) == 4 and replay.pending() == 0
