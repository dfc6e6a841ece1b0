"""Benchmark: a PubMed search against the local E-utilities stand-in, under NCBI's conditions.

The stand-in behaves like NCBI in 2026: about 0.2 s of latency per request, ESearch and
history-server EFetch both stopping at 9,999 records (so the date window is split), and
3 requests per second (a 4th in one second gets HTTP 429). Prints the wall time of
`screener search run`, the requests and 429s, where the time went (network wait, Biopython
parse, mapping, SQLite writes, other), the peak memory of the run (every process of it),
and the floor it is measured against, in the same run: the larger of (requests / 3) and
the time Biopython alone needs to parse the same XML. Then kills a second run with SIGKILL
halfway, reruns it, and checks the review ends with the same records and no duplicates.

    python bench/bench_pubmed.py [--records 25000] [--latency 0.2] [--processes 2]
                                 [--profile FILE] [--no-kill]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from screener.sources.entrez import read_entrez  # noqa: E402
from tests.standin import HEAD, StandIn, article_xml  # noqa: E402

QUERY = """name = "bench"
[pubmed]
term = 'exosome AND alopecia'
date_field = "pdat"
from = "2000-01-01"
cutoff = "2025-05-10"
"""


def parse_floor(standin: StandIn, batch: int) -> tuple[float, float]:
    """Seconds (wall, CPU) Biopython's parser alone takes over the same XML, same batches."""
    records = standin.state.records
    total = cpu = 0.0
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        parts = [HEAD, *(article_xml(p, d, start + k) for k, (p, d) in enumerate(chunk))]
        body = b"".join(parts) + b"</PubmedArticleSet>\n"
        began, began_cpu = time.perf_counter(), time.process_time()
        read_entrez(body)
        total += time.perf_counter() - began
        cpu += time.process_time() - began_cpu
    return total, cpu


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


class TreeMemory:
    """Peak resident memory of a process and its children, summed, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(self.pid)))


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(frontier)
    return found


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run_search(
    cmd: list[str], env: dict, timings_file: Path, root: Path = ROOT
) -> tuple[float, int, dict]:
    began = time.perf_counter()
    cpu_before = _children_cpu()
    env = dict(env, PYTHONPATH=str(root))
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    peak = memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"search run failed ({proc.returncode}): {err.decode()[-2000:]}")
    phases = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    phases["cpu"] = _children_cpu() - cpu_before  # the run and its parse workers
    return wall, peak, phases


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=25_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--processes", type=int, default=2, help="parse workers (0: inline)")
    parser.add_argument("--profile", help="write a cProfile of the search run to this file")
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL/resume check")
    parser.add_argument(
        "--compare",
        metavar="DIR",
        help="also run the screener checked out in DIR (e.g. an older commit) in this run",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="screener-bench-"))
    query = tmp / "bench.toml"
    query.write_text(QUERY)
    with StandIn(args.records) as standin:
        standin.state.latency = args.latency  # ESearch/EFetch caps stay at 9,999; 3 req/s
        floor_parse, floor_cpu = parse_floor(standin, args.batch)
        db = tmp / "review.sqlite"
        timings_file = tmp / "timings.json"
        env = dict(
            os.environ,
            SCREENER_PUBMED_URL=standin.url,
            NCBI_EMAIL="bench@example.org",
            SCREENER_DB=str(db),
            SCREENER_PUBMED_BATCH=str(args.batch),
            SCREENER_PARSE_PROCESSES=str(args.processes),
            SCREENER_TIMINGS=str(timings_file),
        )
        cmd = [sys.executable, "-m", "screener", "search", "run", str(query)]
        if args.profile:
            cmd[1:3] = ["-m", "cProfile", "-o", args.profile, "-m", "screener"]
        if args.compare:
            other_root = Path(args.compare).resolve()
            sent_before = len(standin.state.requests)
            other_db = tmp / "compare.sqlite"
            other_wall, other_peak, other_phases = run_search(
                cmd, dict(env, SCREENER_DB=str(other_db)), tmp / "none.json", other_root
            )
            other_requests = len(standin.state.requests) - sent_before
            other_stored = count(other_db, "SELECT COUNT(*) FROM records")
            print(f"compared: {other_root}")
            print(
                f"  wall {other_wall:.1f} s, {other_requests} requests, {other_stored} stored, "
                f"peak memory {other_peak / 2**20:.0f} MiB, "
                f"wall / floor {other_wall / max(other_requests / 3, floor_parse):.2f}, "
                f"CPU {other_phases['cpu']:.1f} s"
            )
            standin.state.requests.clear()
        wall, peak, phases = run_search(cmd, env, timings_file)
        requests = len(standin.state.requests)
        floor = max(requests / 3, floor_parse)
        stored = count(db, "SELECT COUNT(*) FROM records")
        distinct = count(db, "SELECT COUNT(DISTINCT source_id) FROM records")
        main_busy = phases["search"] + phases["network_wait"] + phases["parse_wait"]
        other = wall - main_busy - phases["write"]
        print(f"conditions             latency {args.latency} s/request, caps 9,999, 3 req/s")
        print(f"records served         {args.records}")
        print(f"records stored         {stored} ({distinct} distinct PMIDs)")
        print(f"requests               {requests}  (429s: {standin.state.count_429})")
        print(f"parse processes        {phases['processes']}")
        print(f"wall time              {wall:.1f} s")
        print("where the main process spent it:")
        print(f"  ESearch windows      {phases['search']:.1f} s")
        print(f"  waiting for network  {phases['network_wait']:.1f} s")
        print(f"  waiting for parsing  {phases['parse_wait']:.1f} s")
        print(f"  SQLite writes        {phases['write']:.1f} s")
        print(f"  other (start-up...)  {other:.1f} s")
        print("work done beside it (summed over parse workers):")
        print(f"  Biopython parse      {phases['parse']:.1f} s")
        print(f"  mapping to records   {phases['map']:.1f} s")
        print(f"peak memory (all)      {peak / 2**20:.0f} MiB")
        print(f"floor: requests / 3    {requests / 3:.1f} s")
        print(f"floor: Biopython parse {floor_parse:.1f} s")
        print(f"wall / floor           {wall / floor:.2f}  (target <= 1.5)")
        # On a shared, loaded machine wall times swing with other work; CPU seconds do not.
        print(f"CPU: run (all procs)   {phases['cpu']:.1f} s")
        ratio = phases["cpu"] / floor_cpu
        print(f"CPU: Biopython parse   {floor_cpu:.1f} s  (run / parse {ratio:.2f})")
        print(f"load average           {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if args.no_kill:
            return
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
        print(f"429s in all            {standin.state.count_429}")


if __name__ == "__main__":
    main()
