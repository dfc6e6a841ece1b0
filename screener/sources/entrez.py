"""Biopython's Entrez XML parser, kept offline: it never fetches a DTD or schema.

`Bio.Entrez.read` loads the DTD a document names from Biopython's bundled copies, and
when it has none it downloads it (with no timeout) from NCBI. A document naming a DTD
Biopython does not bundle would make a search hang on a connection that never answers,
or fetch something chosen by the server. Here a missing DTD is replaced by the newest
bundled DTD of the same family (`pubmed_260101.dtd` -> `pubmed_250101.dtd`: NCBI's
yearly DTDs only add elements, which the parser still reads), and with no such family the
parse fails with a clear error. Schemas (XSD) are only read from the bundled copies.
"""

from __future__ import annotations

import io
import os
import re
from functools import lru_cache
from typing import Any

from Bio.Entrez.Parser import DataHandler

_VERSIONED = re.compile(r"^(?P<family>.+?)[_-]?(?P<version>\d+)(?P<ext>\.(?:mod\.)?dtd)$")


class OfflineEntrezError(RuntimeError):
    """A document needs a DTD or schema that is not bundled; screener never downloads one."""


class _OfflineHandler(DataHandler):
    """A DataHandler whose DTD and XSD lookups never fall through to the network."""

    def open_dtd_file(self, filename: str):
        handle = super().open_dtd_file(filename)
        if handle is not None:
            return handle
        substitute = nearest_bundled_dtd(filename)
        if substitute is not None:
            return super().open_dtd_file(substitute)
        raise OfflineEntrezError(
            f"the XML names the DTD {filename!r}, which Biopython does not bundle; screener "
            "does not download DTDs. Upgrading Biopython may bring it."
        )

    def open_xsd_file(self, filename: str):
        handle = super().open_xsd_file(filename)
        if handle is None:
            raise OfflineEntrezError(
                f"the XML names the schema {filename!r}, which Biopython does not bundle; "
                "screener does not download schemas."
            )
        return handle


def read_entrez(body: bytes) -> Any:
    """Parse an E-utilities XML body like `Entrez.read(..., validate=False)`, offline."""
    handler = _OfflineHandler(validate=False, escape=False, ignore_errors=False)
    return handler.read(io.BytesIO(body))


def nearest_bundled_dtd(filename: str) -> str | None:
    """The newest bundled DTD of the same family as `filename`, or None."""
    match = _VERSIONED.match(os.path.basename(filename))
    if match is None:
        return None
    family, ext = match.group("family"), match.group("ext")
    candidates = [
        (int(m.group("version")), name)
        for name in _bundled_dtds()
        if (m := _VERSIONED.match(name)) and m.group("family") == family and m.group("ext") == ext
    ]
    return max(candidates)[1] if candidates else None


@lru_cache(maxsize=1)
def _bundled_dtds() -> tuple[str, ...]:
    folders = [DataHandler.global_dtd_dir, DataHandler.local_dtd_dir]
    names: set[str] = set()
    for folder in folders:
        if folder and os.path.isdir(folder):
            names.update(os.listdir(folder))
    return tuple(sorted(names))
