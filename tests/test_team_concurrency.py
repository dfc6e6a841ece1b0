"""Three reviewers deciding at once while the owner imports and deduplicates: on SQLite
and on PostgreSQL every decision is stored once, nobody sees a deadlock or lock error, and
PRISMA gives the same numbers on both."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from screener.models import Record
from screener.screening.settings import ReviewSettings
from screener.store import Store
from screener.workflow import screening as flow
from tests.conftest import ROOT

REVIEWERS = ("ann", "bob", "cy")
N = 1000

WRITER = """
import sys
from screener.store import Store
from screener.workflow.screening import ReviewerQueue
who, n = sys.argv[2], int(sys.argv[3])
with Store(sys.argv[1]) as store:
    queue = ReviewerQueue.open(store, who, "title-abstract", ids=list(range(1, n + 1)))
    for record_id in queue.ids:
        queue.decide(record_id, "include" if record_id % 3 else "exclude", "", "")
print("ok")
"""


def _ris(count: int) -> str:
    """`count` records in pairs that are duplicates of each other (same DOI and title)."""
    entries = []
    for i in range(count):
        pair = i // 2
        entries.append(
            f"TY  - JOUR\nTI  - Embase trial {pair} of exosomes for alopecia\n"
            f"AU  - Author{pair}, A\nPY  - 2021\nDO  - 10.5555/embase.{pair}\n"
            f"JO  - Journal {pair % 7}\nID  - E{i}\nER  - \n"
        )
    return "\n".join(entries)


def _run_scenario(db: str, tmp_path) -> dict:
    with Store(db) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        store.add_records(
            run,
            [Record(source="Scopus", source_id=str(i), title=f"Study {i}") for i in range(N)],
        )
        store.finish_run(run, "completed")
        flow.save_settings(store, ReviewSettings(reviewers=REVIEWERS, required=2))
    (tmp_path / "embase.ris").write_text(_ris(100))
    env = {**os.environ, "SCREENER_DB": db}
    owner = (
        f"{sys.executable} -m screener import {tmp_path / 'embase.ris'} --database Embase "
        f"&& {sys.executable} -m screener dedup"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db, who, str(N)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in REVIEWERS
    ]
    procs.append(
        subprocess.Popen(
            owner,
            shell=True,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    results = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), results
    for _, err in results[:3]:
        assert err == ""
    assert "deadlock" not in results[3][1].lower() and "locked" not in results[3][1].lower()
    with Store(db) as store:
        votes = list(store.decision_rows())
        audited = store.conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'decisions'"
        ).fetchone()[0]
    assert len(votes) == len({(v.record_id, v.reviewer) for v in votes}) == 3 * N
    assert audited == 3 * N
    prisma = subprocess.run(
        [sys.executable, "-m", "screener", "prisma", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(prisma.stdout)


@pytest.mark.slow
def test_three_reviewers_an_import_and_a_dedup_at_once_on_both_backends(tmp_path, pg_server):
    lite = tmp_path / "lite"
    lite.mkdir()
    on_sqlite = _run_scenario(str(lite / "review.sqlite"), lite)
    server = tmp_path / "server"
    server.mkdir()
    on_postgres = _run_scenario(pg_server.url(pg_server.new_database()), server)
    assert on_postgres == on_sqlite
    assert on_sqlite["duplicates"] == 50 and on_sqlite["records_screened"] == N + 50
