"""Import export files (RIS, MEDLINE/.nbib, BibTeX, CSV) as runs: all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from screener.errors import ImportFileError
from screener.importers import FieldWarning, ImportResult, Problem, read_file
from screener.importers.fingerprint import file_sha256
from screener.models import Record, Run
from screener.normalize import fold
from screener.store import Store
from screener.workflow.others import OTHER_METHODS

METHODS = ("databases", "registers", *OTHER_METHODS)
_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class FileImported:
    run: Run
    format: str
    encoding: str
    skipped: tuple[Problem, ...]
    warnings: tuple[FieldWarning, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (id in the file, id stored)


def preview_file(
    path: Path, database: str, *, fmt: str = "auto", encoding: str = ""
) -> ImportResult:
    """What importing the file would store, read exactly as `import_file` reads it."""
    return read_file(path, database, fmt, encoding)


def import_file(
    store: Store,
    path: Path,
    database: str,
    *,
    fmt: str = "auto",
    encoding: str = "",
    skip_bad: bool = False,
    force: bool = False,
    method: str = "databases",
    platform: str = "",
    query: str = "",
    date_searched: str = "",
) -> FileImported:
    """Import one file as one run. With a broken entry, nothing is imported unless
    `skip_bad`; the same file (by sha256) is refused unless `force`. `encoding` names
    the file's codec when detection cannot tell it."""
    if method not in METHODS:
        raise ImportFileError(f"unknown method {method!r}: use one of {', '.join(METHODS)}.")
    sha = file_sha256(path)
    earlier = store.find_import(sha)
    if earlier is not None and not force:
        raise ImportFileError(
            f"{path}: this file was already imported (run {earlier.id}, {earlier.database}, "
            f"{earlier.started[:10]}); use --force to import it again."
        )
    result = read_file(path, database, fmt, encoding)
    if result.problems and not skip_bad:
        raise ImportFileError(_problems_message(path, result))
    records, renamed = _scope_reused_ids(store, result.records, database.strip(), sha)
    store.mark_interrupted_runs()
    run_id = store.start_run(
        kind="import",
        source="file",
        database=database.strip(),
        platform=platform,
        method=method,
        query=query,
        date_to=date_searched,
        file_name=str(path),
        file_sha256=sha,
        count_reported=len(result.records) + len(result.problems),
    )
    try:
        store.add_records(run_id, records)  # one transaction: never half a file
    except BaseException as exc:
        store.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")
        raise
    warnings = "\n".join(
        [f"skipped {_describe(p)}" for p in result.problems]
        + [
            f"id {old!r} was already used for another work in {database}; stored as {new!r}"
            for old, new in renamed
        ]
        + [describe_warning(w) for w in result.warnings]
    )
    run = store.finish_run(run_id, "completed", warnings=warnings)
    return FileImported(
        run, result.format, result.encoding, result.problems, result.warnings, tuple(renamed)
    )


def describe_warning(warning: FieldWarning) -> str:
    where = f"entry {warning.entry}" + (f" (line {warning.line})" if warning.line else "")
    return f"{where}, {warning.tag}: {warning.message}"


def _scope_reused_ids(
    store: Store, records: tuple[Record, ...], database: str, sha: str
) -> tuple[list[Record], list[tuple[str, str]]]:
    """Exports number records 1..N, so an id seen before in this database may be another
    work: a different title gets an id scoped to this file instead of being dropped."""
    stored = store.titles_of(database, [r.source_id for r in records])
    kept, renamed = [], []
    for record in records:
        old = stored.get(record.source_id)
        if old is not None and not same_title(old, record.title):
            new_id = f"{record.source_id}@{sha[:8]}"
            renamed.append((record.source_id, new_id))
            record = record.with_changes(source_id=new_id)
        kept.append(record)
    return kept, renamed


def same_title(a: str, b: str) -> bool:
    if not a or not b:
        return a == b
    return fuzz.ratio(fold(a), fold(b)) >= 90


def _describe(problem: Problem) -> str:
    where = f"entry {problem.entry}" + (f" (line {problem.line})" if problem.line else "")
    return f"{where}: {problem.message}"


def _problems_message(path: Path, result: ImportResult) -> str:
    shown = "; ".join(_describe(p) for p in result.problems[:_SHOWN_PROBLEMS])
    more = len(result.problems) - _SHOWN_PROBLEMS
    extra = f"; and {more} more" if more > 0 else ""
    return (
        f"{path}: {len(result.problems)} broken entr"
        f"{'y' if len(result.problems) == 1 else 'ies'}: {shown}{extra}. Nothing was imported: "
        f"fix the file, or use --skip-bad to import the {len(result.records)} good ones."
    )
