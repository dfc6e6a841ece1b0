"""Where a command's output goes: stdout, `-o -`, a new file, or (with --force) over a file.

A file is written whole or not at all (a temporary file renamed into place), never over
the open review database (or its -wal/-shm), never over an existing regular file without
`--force`; device nodes and FIFOs (`-o /dev/null`, a named pipe) are written into, never
renamed over.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from screener.errors import ScreenerError

_DB_KEY = "screener.review_db"


@dataclass(frozen=True)
class Output:
    """Where to write: `path` None means standard output."""

    path: Path | None
    force: bool = False

    @property
    def to_stdout(self) -> bool:
        return self.path is None


def remember_review_db(path: Path) -> None:
    """Note the review the command opened, so no output can be written over it."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta.setdefault(_DB_KEY, set()).add(Path(path))


def _open_reviews() -> set[Path]:
    ctx = click.get_current_context(silent=True)
    return set(ctx.find_root().meta.get(_DB_KEY, ())) if ctx is not None else set()


def _is_review_file(target: Path, reviews: set[Path]) -> bool:
    for review in reviews:
        for candidate in (review, Path(f"{review}-wal"), Path(f"{review}-shm")):
            try:
                if candidate.exists() and os.path.samefile(target, candidate):
                    return True
            except OSError:
                continue
            if os.path.abspath(target) == os.path.abspath(candidate):
                return True
    return False


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def check_target(path: Path, force: bool) -> str:
    """How to write to `path`: "replace" (atomic) or "stream" (a device or FIFO).

    Raises ScreenerError where writing would lose data."""
    if _is_review_file(path, _open_reviews()):
        raise ScreenerError(f"{path}: that is the review database itself; choose another file.")
    try:
        info = path.stat()
    except FileNotFoundError:
        return "replace"
    except OSError as exc:
        raise ScreenerError(f"{path}: cannot write it ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScreenerError(f"{path}: is a directory; give a file name.")
    if not stat.S_ISREG(info.st_mode):
        return "stream"
    if _looks_like_sqlite(path):
        raise ScreenerError(f"{path}: is a database (SQLite); refusing to write a report over it.")
    if not force:
        raise ScreenerError(f"{path}: exists; add --force to overwrite it, or choose a new name.")
    return "replace"


def write_text(path: Path, text: str, force: bool = False) -> None:
    """Write `text` to `path` as `check_target` allows."""
    how = check_target(path, force)
    if how == "stream":
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise ScreenerError(f"{path}: cannot write it ({exc.strerror or exc}).") from None
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # Keep the permissions an overwritten file had; new files get the umask's.
        with open(tmp, "x", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ScreenerError(f"{path}: cannot write it ({exc.strerror or exc}).") from None


def _store_force(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta["screener.output_force"] = value
    return value


def _make_output(ctx: click.Context, _param: click.Parameter, value: str | None) -> Output:
    force = bool(ctx.meta.get("screener.output_force"))
    if value is None or value == "-":
        return Output(None, force)
    return Output(Path(value), force)


def output_option(func):
    """`-o/--output FILE` (`-` for stdout) and `--force` to overwrite an existing file."""
    func = click.option(
        "-o",
        "--output",
        callback=_make_output,
        metavar="FILE",
        help="Write to FILE instead of stdout ('-' for stdout); an existing file needs --force.",
    )(func)
    return click.option(
        "--force",
        "force_output",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_store_force,
        help="Overwrite the output file if it exists.",
    )(func)


def emit(text: str, output: Output | Path | None, what: str = "") -> None:
    """Print `text`, or write it whole to the output file and say so on stderr."""
    if isinstance(output, Path):
        output = Output(output)
    if output is None or output.to_stdout:
        click.echo(text, nl=not text.endswith("\n"))
        sys.stdout.flush()
        return
    write_text(output.path, text, output.force)
    click.echo(f"Wrote {what + ' to ' if what else ''}{output.path}.", err=True)


def formula_guard_option(func):
    """`--no-formula-guard`: write CSV cells exactly, for programs rather than spreadsheets."""
    return click.option(
        "--no-formula-guard",
        "raw_cells",
        is_flag=True,
        help="CSV: write cells exactly as stored. By default a cell starting with = + - @ "
        "(a formula to a spreadsheet) gets a leading ' so Excel shows it as text.",
    )(func)
