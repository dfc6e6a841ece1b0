"""The `screener search` commands as a user types them: output, JSON, and clean errors."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from screener.cli import main
from tests.conftest import ROOT
from tests.standin import StandIn

QUERY = """
name = "demo"
description = "demo search"
[pubmed]
term = 'exosome AND alopecia'
date_field = "pdat"
from = "2000-01-01"
cutoff = "2025-05-10"
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("NCBI_EMAIL", "me@example.org")
    monkeypatch.setenv("SCREENER_MAX_TRIES", "2")
    monkeypatch.setenv("SCREENER_BACKOFF", "0.01")
    monkeypatch.setenv("SCREENER_DB", str(tmp_path / "review.sqlite"))
    query = tmp_path / "demo.toml"
    query.write_text(QUERY)
    return tmp_path


def _statuses(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT status FROM runs")]


def test_run_then_rerun_then_log_json(env, runner, monkeypatch):
    with StandIn(40) as standin:
        monkeypatch.setenv("SCREENER_PUBMED_URL", standin.url)
        first = runner.invoke(main, ["search", "run", str(env / "demo.toml")])
        again = runner.invoke(main, ["search", "run", str(env / "demo.toml"), "--json"])
    assert first.exit_code == 0, first.output
    assert "40 found, 40 stored in this run, 40 new" in first.output
    assert again.exit_code == 0
    payload = json.loads(again.stdout)
    assert payload["runs"][0]["count_new"] == 0
    assert payload["runs"][0]["platform"] == "PubMed via NCBI E-utilities"
    log = runner.invoke(main, ["search", "log", "--json"])
    runs = json.loads(log.stdout)
    assert [r["count_new"] for r in runs] == [40, 0]
    assert runs[0]["query_translation"]
    text = runner.invoke(main, ["search", "log"]).output
    assert "completed" in text and "PubMed" in text
    listed = json.loads(
        runner.invoke(main, ["search", "list", "--json", "--queries", str(env)]).stdout
    )
    assert listed[0]["name"] == "demo" and listed[0]["runs"] == 2


def test_cutoff_option_overrides_the_file(env, runner, monkeypatch):
    with StandIn(40) as standin:
        monkeypatch.setenv("SCREENER_PUBMED_URL", standin.url)
        result = runner.invoke(
            main, ["search", "run", str(env / "demo.toml"), "--cutoff", "2001-01-01", "--json"]
        )
    run = json.loads(result.stdout)["runs"][0]
    assert run["date_to"] == "2001-01-01"
    assert '"2001/01/01"[dp])' in run["query"]


def test_missing_email_warns_once(env, runner, monkeypatch):
    monkeypatch.delenv("NCBI_EMAIL")
    with StandIn(5) as standin:
        monkeypatch.setenv("SCREENER_PUBMED_URL", standin.url)
        result = runner.invoke(main, ["search", "run", str(env / "demo.toml")])
    assert result.stderr.count("NCBI_EMAIL is not set") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'\n[pubmed\n", "not valid TOML"),
        (QUERY.replace('"pdat"', '"mdat"'), "pubmed.date_field = 'mdat' is not one of"),
        (QUERY.replace('"2000-01-01"', '"2026-01-01"'), "is before from 2026-01-01"),
    ],
)
def test_bad_files_give_one_line_and_no_run(env, runner, text, message):
    bad = env / "bad.toml"
    bad.write_text(text)
    result = runner.invoke(main, ["search", "run", str(bad)])
    assert result.exit_code == 1
    assert message in result.stderr and str(bad) in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not (env / "review.sqlite").exists() or _statuses(env / "review.sqlite") == []


def test_bad_cutoff_option(env, runner):
    result = runner.invoke(main, ["search", "run", str(env / "demo.toml"), "--cutoff", "May"])
    assert result.exit_code == 1 and "--cutoff 'May' is not a date" in result.stderr


def test_unreachable_server_one_line_and_run_marked_failed(env, runner, monkeypatch):
    monkeypatch.setenv("SCREENER_PUBMED_URL", "http://127.0.0.1:9/entrez/eutils/")
    result = runner.invoke(main, ["search", "run", str(env / "demo.toml")])
    assert result.exit_code == 1
    assert "cannot reach PubMed E-utilities" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert _statuses(env / "review.sqlite") == ["failed"]


def test_error_response_one_line_and_run_marked_failed(env, runner, monkeypatch):
    with StandIn(5) as standin:
        standin.state.faults.append("bad-request")
        monkeypatch.setenv("SCREENER_PUBMED_URL", standin.url)
        result = runner.invoke(main, ["search", "run", str(env / "demo.toml")])
    assert result.exit_code == 1
    assert "Invalid query syntax" in result.stderr and "Traceback" not in result.output
    assert _statuses(env / "review.sqlite") == ["failed"]


def test_every_command_has_help(runner):
    for args in (
        ["--help"],
        ["search", "--help"],
        ["search", "run", "--help"],
        ["search", "list", "--help"],
        ["search", "log", "--help"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.slow
def test_sigkill_halfway_then_rerun_ends_whole_without_duplicates(tmp_path):
    query = tmp_path / "demo.toml"
    query.write_text(QUERY)
    db = tmp_path / "review.sqlite"
    with StandIn(2000) as standin:
        env = dict(
            os.environ,
            SCREENER_PUBMED_URL=standin.url,
            NCBI_EMAIL="me@example.org",
            SCREENER_DB=str(db),
            SCREENER_PUBMED_BATCH="100",
        )
        cmd = [sys.executable, "-m", "screener", "search", "run", str(query)]
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < 500:
            time.sleep(0.2)
            if db.exists():
                try:
                    with sqlite3.connect(db) as conn:
                        stored = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert 0 < stored < 2000
        result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 2000
        assert conn.execute("SELECT COUNT(DISTINCT source_id) FROM records").fetchone()[0] == 2000
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["interrupted", "completed"]
