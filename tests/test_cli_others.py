"""Crossref searches, `doi add` and `enrich` from the command line, over replayed
real Crossref and doi.org responses."""

from __future__ import annotations

import json
import os

import pytest
from replay import FIXTURES, Replay, recording

from screener.cli import main
from screener.models import Record
from screener.store import Store

needs_shared = pytest.mark.skipif(
    not (FIXTURES / "habanero" / "decoded").is_dir(),
    reason="../shared/fixtures (recorded Crossref responses) is absent",
)
HOSTS = {"https://api.crossref.org/": "/crossref/", "https://doi.org/": "/doi/"}
QUERY = """
name = "cr"
[crossref]
query = "ecology"
date_field = "index"
from = "2022-01-01"
cutoff = "2022-11-08"
[crossref.filter]
type = "journal-article"
"""


@pytest.fixture
def env(tmp_path, monkeypatch, httpserver, review_db):
    replay = Replay(httpserver, hosts=HOSTS)
    monkeypatch.setenv("SCREENER_DB", review_db)
    monkeypatch.setenv("SCREENER_CROSSREF_URL", replay.url("/crossref/"))
    monkeypatch.setenv("SCREENER_DOI_URL", replay.url("/doi/"))
    monkeypatch.setenv("CROSSREF_MAILTO", "me@example.org")
    monkeypatch.setenv("SCREENER_MAX_TRIES", "2")
    monkeypatch.setenv("SCREENER_BACKOFF", "0.01")
    return tmp_path, replay


@needs_shared
def test_crossref_search_run_is_logged_with_query_and_filters(env, runner):
    tmp, replay = env
    page = recording("rcrossref", "cr_works_with_cursor_and_progress_bar__0.json")
    replay.add(page, path="/crossref/works", any_query=True)  # 30 < 1000 rows: last page
    (tmp / "cr.toml").write_text(QUERY)
    result = runner.invoke(main, ["search", "run", str(tmp / "cr.toml"), "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["runs"][0]
    assert run["database"] == "Crossref" and run["platform"] == "Crossref REST API"
    assert run["count_stored"] == 30 and run["count_reported"] == 452242
    assert (
        "type:journal-article,from-index-date:2022-01-01,until-index-date:2022-11-08"
        in (run["query"])
    )
    sent = replay.sent[0].args
    assert sent["cursor"] == ["*"] and sent["rows"] == ["1000"]
    assert sent["mailto"] == ["me@example.org"]


@needs_shared
def test_doi_add_stores_found_and_lists_the_rest(env, runner):
    tmp, replay = env
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    replay.add(recording("habanero", "test_works_bad_id_warn__0.txt"))
    replay.respond(
        "GET",
        "/doi/10.1371/notarealdoi",
        404,
        "<html>DOI Not Found</html>",
        {"content-type": "text/html"},
    )
    dois = tmp / "dois.txt"
    dois.write_text(
        "# from reference lists\n10.1371/journal.pone.0033693\n10.1371/notarealdoi\nnot-a-doi\n"
    )
    result = runner.invoke(main, ["doi", "add", "--file", str(dois), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["run"]["database"] == "Citation searching"
    assert payload["run"]["method"] == "citation-searching"
    assert payload["run"]["count_stored"] == 1
    problems = {p["doi"]: p["reason"] for p in payload["problems"]}
    assert problems == {"10.1371/notarealdoi": "DOI not found", "not-a-doi": "not a valid DOI"}
    with Store(os.environ["SCREENER_DB"]) as store:
        record = store.get_record(1)
    assert record.source == "citation-searching"
    assert record.doi == "10.1371/journal.pone.0033693"
    assert "has-erratum" in record.flags


@needs_shared
def test_enrich_fills_gaps_without_overwriting_and_flags(env, runner):
    tmp, replay = env
    with Store(os.environ["SCREENER_DB"]) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        mine = Record(
            source="Scopus",
            source_id="1",
            title="My own title",
            doi="10.1371/journal.pone.0033693",
            year=2011,
        )
        store.add_records(run, [mine])
        store.finish_run(run, "completed")
    replay.add(recording("habanero", "test_works_with_one_id__0.json"))
    result = runner.invoke(main, ["enrich", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["looked_up"] == 1 and "journal" in report["filled"]
    with Store(os.environ["SCREENER_DB"]) as store:
        record = store.get_record(1)
        audit = store.audit_entries()
    assert record.title == "My own title" and record.year == 2011  # never overwritten
    assert record.journal == "PLoS ONE"
    assert "has-erratum" in record.flags
    assert audit and audit[0]["entity"] == "records"
    again = runner.invoke(main, ["enrich", "--json"])
    assert json.loads(again.stdout)["looked_up"] == 0  # each record is asked once
