"""Read an export file as text lines, whatever its encoding: `TextFile`.

The rule, line by line: UTF-8 (a byte-order mark is dropped), else Windows-1252 (what
EndNote, Excel and older Ovid/WoS exports write), else latin-1 - but only for a handful
of lines, since a line that is neither UTF-8 nor cp1252 is usually binary or some other
code page, where guessing would silently garble titles. UTF-16 files (with a BOM, or
recognised by their zero bytes) are decoded as a whole. `TextFile.encoding` reports what
was used, e.g. "utf-8", "utf-8-sig", "cp1252", or "utf-8+cp1252" for a file that mixes
them (exports concatenated from two sources).

Lines end at LF, CRLF or a lone CR (Web of Science mixes them); numbers are 1-based and
count every line, blank or not, as an editor would.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from screener.errors import ImportFileError

SAMPLE_BYTES = 64 * 1024
BLOCK_BYTES = 1024 * 1024
MAX_LATIN1_LINES = 10
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _wide_encoding(head: bytes) -> str:
    """The codec for a UTF-16 file (by BOM, or by zero bytes in every other position)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    pairs = head[: 2048 - 2048 % 2]
    if len(pairs) >= 8:
        odd_zeros = pairs[1::2].count(0)
        even_zeros = pairs[0::2].count(0)
        half = len(pairs) // 2
        if odd_zeros > 0.8 * half and even_zeros == 0:
            return "utf-16-le"
        if even_zeros > 0.8 * half and odd_zeros == 0:
            return "utf-16-be"
    return ""


def _chomp(raw: bytes) -> bytes:
    """Without the CR of a final CRLF (the LF was cut off already)."""
    return raw[:-1] if raw.endswith(b"\r") else raw


def _count_lines(raw: bytes) -> int:
    return raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")


class TextFile:
    """One export file, decoded lazily: `sample()` for sniffing, `lines()` to parse."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with path.open("rb") as handle:
                self.head = handle.read(SAMPLE_BYTES)
            self.size = path.stat().st_size
        except OSError as exc:
            raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
        self.bom = self.head.startswith(codecs.BOM_UTF8)
        self.wide = _wide_encoding(self.head)
        self._counts = {"utf-8": 0, "cp1252": 0, "latin-1": 0}

    @property
    def encoding(self) -> str:
        """The encoding(s) actually used for the lines read so far."""
        if self.wide:
            return self.wide
        base = "utf-8-sig" if self.bom else "utf-8"
        legacy = [name for name in ("cp1252", "latin-1") if self._counts[name]]
        if not legacy:
            return base
        if not self._counts["utf-8"]:
            return "+".join(legacy)
        return "+".join([base, *legacy])

    def sample(self) -> str:
        """The first 64 KiB as text, decoded leniently: enough to tell the format."""
        if self.wide:
            return self.head.decode(self.wide, errors="replace").lstrip("\ufeff")
        head = self.head[3:] if self.bom else self.head
        try:
            return head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3 and len(self.head) == SAMPLE_BYTES:
                return head[: exc.start].decode("utf-8", errors="replace")
            return head.decode("cp1252", errors="replace")

    def is_blank(self) -> bool:
        """True when the file holds nothing but whitespace."""
        if self.size > SAMPLE_BYTES:
            return False
        return not self.sample().strip()

    def lines(self) -> Iterator[str]:
        """Every line, decoded, without its line ending."""
        if self.wide:
            yield from self._wide_lines()
            return
        number = 0
        pending = b""
        try:
            with self.path.open("rb") as handle:
                if self.bom:
                    handle.seek(len(codecs.BOM_UTF8))
                while block := handle.read(BLOCK_BYTES):
                    block = pending + block
                    cut = block.rfind(b"\n") + 1
                    pending = block[cut:]
                    if cut:
                        lines = self._decode_block(_chomp(block[: cut - 1]), number)
                        number += len(lines)
                        yield from lines
        except OSError as exc:
            raise ImportFileError(
                f"{self.path}: cannot read the file: {exc.strerror or exc}"
            ) from None
        if pending:
            yield from self._decode_block(_chomp(pending), number)

    def _decode_block(self, raw: bytes, before: int) -> list[str]:
        """The lines of a run of whole lines (no final newline); `before` lines came earlier."""
        if b"\x00" in raw:
            raise self._binary(before + _count_lines(raw[: raw.index(b"\x00")]) + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            parts = _NEWLINES.split(raw.decode("latin-1"))  # only to find the line breaks
            return [self._decode(p.encode("latin-1"), before + n) for n, p in enumerate(parts, 1)]
        if not raw.isascii():
            self._counts["utf-8"] += 1
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if "\ufeff" in text:  # a byte-order mark in mid-file: two exports were concatenated
            lines = [line.removeprefix("\ufeff") for line in lines]
        return lines

    def read_text(self) -> str:
        """The whole file as one string with "\\n" line endings (for parsers that need it)."""
        return "\n".join(self.lines())

    def _decode(self, raw: bytes, number: int) -> str:
        """One line that is not valid UTF-8 as a whole block: UTF-8, cp1252, or latin-1."""
        if raw.isascii():
            return raw.decode("ascii")
        try:
            text = raw.decode("utf-8")
            self._counts["utf-8"] += 1
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp1252")
                self._counts["cp1252"] += 1
            except UnicodeDecodeError:
                text = self._latin1(raw, number)
        return text.removeprefix("\ufeff")

    def _latin1(self, raw: bytes, number: int) -> str:
        self._counts["latin-1"] += 1
        if self._counts["latin-1"] > MAX_LATIN1_LINES:
            raise ImportFileError(
                f"{self.path}: line {number}: too many lines are neither UTF-8 nor Windows-1252 "
                "text, so the encoding cannot be told: save the file as UTF-8 and import it again"
            )
        return raw.decode("latin-1")

    def _binary(self, number: int) -> ImportFileError:
        return ImportFileError(
            f"{self.path}: line {number}: the file holds binary data (zero bytes), not text: "
            "export the records again as RIS, MEDLINE (.nbib), BibTeX or CSV"
        )

    def _wide_lines(self) -> Iterator[str]:
        try:
            text = self.path.read_bytes().decode(self.wide)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{self.path}: looks like UTF-16 text but byte {exc.start} cannot be decoded: "
                "save the file as UTF-8 and import it again"
            ) from None
        except OSError as exc:
            raise ImportFileError(
                f"{self.path}: cannot read the file: {exc.strerror or exc}"
            ) from None
        lines = _NEWLINES.split(text.lstrip("\ufeff"))
        if lines and lines[-1] == "":
            lines.pop()
        yield from lines
