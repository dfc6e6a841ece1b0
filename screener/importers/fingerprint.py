"""The sha256 of a file to import, so the same export is never imported twice by mistake."""

from __future__ import annotations

import hashlib
from pathlib import Path

from screener.errors import ImportFileError
from screener.importers.textio import check_regular


def file_sha256(path: Path) -> str:
    check_regular(path)  # a FIFO or a device would block or never end
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file.") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    return digest.hexdigest()
