"""Benchmark: a 25,000-record PubMed search against the local E-utilities stand-in.

Prints the wall time of `screener search run`, the number of requests, 429s, and the
floor it is measured against: the larger of (requests / 3 per second) and the time
Biopython alone needs to parse the same XML. Then kills a second run with SIGKILL
halfway, reruns it, and checks the review ends with the same records and no duplicates.

    python bench/bench_pubmed.py [--records 25000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from Bio import Entrez

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.standin import HEAD, StandIn, article_xml  # noqa: E402

QUERY = """name = "bench"
[pubmed]
term = 'exosome AND alopecia'
date_field = "pdat"
from = "2000-01-01"
cutoff = "2025-05-10"
"""


def parse_floor(standin: StandIn, batch: int) -> float:
    """Seconds Biopython's Entrez.read alone takes over the same XML, in the same batches."""
    bodies = []
    records = standin.state.records
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        parts = [HEAD, *(article_xml(p, d, start + k) for k, (p, d) in enumerate(chunk))]
        bodies.append(b"".join(parts) + b"</PubmedArticleSet>\n")
    began = time.perf_counter()
    for body in bodies:
        Entrez.read(io.BytesIO(body), validate=False)
    return time.perf_counter() - began


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=25_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="screener-bench-"))
    query = tmp / "bench.toml"
    query.write_text(QUERY)
    with StandIn(args.records) as standin:
        floor_parse = parse_floor(standin, args.batch)
        db = tmp / "review.sqlite"
        env = dict(
            os.environ,
            SCREENER_PUBMED_URL=standin.url,
            NCBI_EMAIL="bench@example.org",
            SCREENER_DB=str(db),
            SCREENER_PUBMED_BATCH=str(args.batch),
        )
        cmd = [sys.executable, "-m", "screener", "search", "run", str(query)]
        began = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
        wall = time.perf_counter() - began
        requests = len(standin.state.requests)
        floor = max(requests / 3, floor_parse)
        stored = count(db, "SELECT COUNT(*) FROM records")
        print(f"records served         {args.records}")
        print(f"records stored         {stored}")
        print(f"requests               {requests}  (429s: {standin.state.count_429})")
        print(f"wall time              {wall:.1f} s")
        print(f"floor: requests / 3    {requests / 3:.1f} s")
        print(f"floor: Biopython parse {floor_parse:.1f} s")
        print(f"wall / floor           {wall / floor:.2f}  (target <= 1.5)")

        killed_db = tmp / "killed.sqlite"
        env["SCREENER_DB"] = str(killed_db)
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        half = 0
        while half < args.records // 2 and proc.poll() is None:
            time.sleep(0.1)
            with contextlib.suppress(sqlite3.Error):
                half = count(killed_db, "SELECT COUNT(*) FROM records")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
        total = count(killed_db, "SELECT COUNT(*) FROM records")
        distinct = count(killed_db, "SELECT COUNT(DISTINCT source_id) FROM records")
        with sqlite3.connect(killed_db) as conn:
            statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
        print(f"SIGKILL after          {half} stored")
        print(f"after rerun            {total} records, {distinct} distinct PMIDs, runs {statuses}")


if __name__ == "__main__":
    main()
