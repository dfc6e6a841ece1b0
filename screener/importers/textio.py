"""Read an export file as text lines, whatever its encoding: `TextFile`, `check_regular`.

The rule, line by line: UTF-8 (a byte-order mark is dropped); lines that are not UTF-8
are in one legacy code page, chosen once from the first such lines (`legacy_codec`):
Windows-1252 (what EndNote, Excel and older Ovid/WoS exports write) when that reads as
plausible text, else what charset-normalizer detects (Shift-JIS, GB18030, KOI8-R,
Windows-1251, ...) when it is confident; otherwise the file is refused, naming what was
tried, since storing garbled titles silently is worse than asking for `--encoding`.
Windows-1252 lines with bytes it does not define fall back to latin-1, for a handful of
lines only. UTF-16 and UTF-32 files (with a BOM, or recognised by their zero bytes), and
files whose encoding the user names, are decoded as a whole. `TextFile.encoding` reports
what was used, e.g. "utf-8", "utf-8-sig", "cp1252", "koi8_r", or "utf-8+cp1252" for a
file that mixes them (exports concatenated from two sources).

Lines end at LF, CRLF or a lone CR (Web of Science mixes them); numbers are 1-based and
count every line, blank or not, as an editor would.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

from screener.errors import ImportFileError
from screener.textsafe import clean_text

SAMPLE_BYTES = 64 * 1024
BLOCK_BYTES = 1024 * 1024
MAX_LATIN1_LINES = 10
# charset-normalizer's own default: decoded text messier than this is not text.
MAX_MESS = 0.2
DETECT_BYTES = 256 * 1024  # enough non-UTF-8 lines to tell a code page
_NEWLINES = re.compile(r"\r\n|\r|\n")
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_regular(path: Path) -> os.stat_result:
    """The file's status, or ImportFileError unless it is an existing regular file.

    Called before anything opens the file: opening a FIFO blocks until a writer comes,
    and a device such as /dev/zero never ends.
    """
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file: check the path") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a regular file")
        raise ImportFileError(
            f"{path}: is {kind}, not a regular file: save the export to a file and import that"
        )
    return status


def legacy_codec(raw: bytes) -> str:
    """The code page of text that is not UTF-8: "cp1252", a detected codec, or "".

    Windows-1252 wins when it decodes the bytes into plausible text (charset-normalizer's
    mess ratio at most `MAX_MESS`): it is by far the commonest legacy encoding of exports,
    and detectors often name a cousin (cp1250, mac_latin2) for short Western samples. Other
    code pages are taken from charset-normalizer's best guess when that is itself not messy.
    "" means nothing fits: the caller refuses rather than guess.
    """
    western = raw.decode("cp1252", errors="replace")
    undefined = western.count("\ufffd")
    if undefined <= MAX_LATIN1_LINES and mess_ratio(western, 1.0) <= MAX_MESS:
        return "cp1252"
    best = from_bytes(raw).best()
    if best is None or best.chaos > MAX_MESS:
        return ""
    return best.encoding


def _wide_encoding(head: bytes) -> str:
    """The codec for a UTF-32 or UTF-16 file (by BOM, or by where its zero bytes are)."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    quads = head[: 4096 - 4096 % 4]
    if len(quads) >= 16:
        quarter = len(quads) // 4
        zeros = [quads[i::4].count(0) for i in range(4)]
        # Every code point is below U+110000 and nearly all below U+10000.
        if zeros[3] == quarter and zeros[2] >= 0.9 * quarter and zeros[0] < quarter / 2:
            return "utf-32-le"
        if zeros[0] == quarter and zeros[1] >= 0.9 * quarter and zeros[3] < quarter / 2:
            return "utf-32-be"
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

    def __init__(self, path: Path, encoding: str = "") -> None:
        """`encoding` names the file's codec and turns detection off ("" detects)."""
        self.path = path
        self.size = check_regular(path).st_size
        try:
            with path.open("rb") as handle:
                self.head = handle.read(SAMPLE_BYTES)
        except OSError as exc:
            raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
        self.bom = self.head.startswith(codecs.BOM_UTF8)
        self.wide = _named_codec(path, encoding) if encoding else _wide_encoding(self.head)
        self.legacy = ""  # the code page of non-UTF-8 lines, chosen at the first one
        self._counts: dict[str, int] = {"utf-8": 0, "cp1252": 0, "latin-1": 0}

    @property
    def encoding(self) -> str:
        """The encoding(s) actually used for the lines read so far."""
        if self.wide:
            return self.wide
        base = "utf-8-sig" if self.bom else "utf-8"
        legacy = [name for name, count in self._counts.items() if count and name != "utf-8"]
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
        """Every line, decoded, without its line ending, control characters and escapes.

        Cleaning here, before any reader splits a value (keywords on ";", authors on
        " and "), keeps an escape sequence's parameters from surviving as text.
        """
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
                        lines = _safe(self._decode_block(_chomp(block[: cut - 1]), number))
                        number += len(lines)
                        yield from lines
        except OSError as exc:
            raise ImportFileError(
                f"{self.path}: cannot read the file: {exc.strerror or exc}"
            ) from None
        if pending:
            yield from _safe(self._decode_block(_chomp(pending), number))

    def _decode_block(self, raw: bytes, before: int) -> list[str]:
        """The lines of a run of whole lines (no final newline); `before` lines came earlier."""
        if b"\x00" in raw:
            raise self._binary(before + _count_lines(raw[: raw.index(b"\x00")]) + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            parts = _NEWLINES.split(raw.decode("latin-1"))  # only to find the line breaks
            raws = [p.encode("latin-1") for p in parts]
            if not self.legacy:
                self.legacy = self._choose_legacy(raws, before)
            return [self._decode(p, before + n) for n, p in enumerate(raws, 1)]
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

    def _choose_legacy(self, raws: list[bytes], before: int) -> str:
        """The code page of this file's non-UTF-8 lines, or ImportFileError if none fits."""
        bad, first = [], 0
        for number, raw in enumerate(raws, before + 1):
            if raw.isascii() or _is_utf8(raw):
                continue
            first = first or number
            bad.append(raw)
            if sum(map(len, bad)) > DETECT_BYTES:
                break
        codec = legacy_codec(b"\n".join(bad))
        if not codec:
            raise ImportFileError(
                f"{self.path}: line {first}: the text is not UTF-8, and neither Windows-1252 "
                "nor a code page charset-normalizer detects (Shift-JIS, GB18030, KOI8-R, ...) "
                "reads it as plausible text: name the encoding with --encoding (e.g. cp1250, "
                "shift_jis, gb18030, koi8_r) or save the file as UTF-8"
            )
        return codec

    def _decode(self, raw: bytes, number: int) -> str:
        """One line that is not valid UTF-8 as a whole block: UTF-8, else the legacy codec."""
        if raw.isascii():
            return raw.decode("ascii")
        try:
            text = raw.decode("utf-8")
            self._counts["utf-8"] += 1
        except UnicodeDecodeError:
            try:
                text = raw.decode(self.legacy)
                self._counts[self.legacy] = self._counts.get(self.legacy, 0) + 1
            except UnicodeDecodeError:
                if self.legacy != "cp1252":
                    raise ImportFileError(
                        f"{self.path}: line {number}: this line cannot be read as "
                        f"{self.legacy}, the encoding the rest of the file is in: name the "
                        "encoding with --encoding or save the file as UTF-8"
                    ) from None
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
            data = self.path.read_bytes()
            text = data.decode(self.wide)
        except UnicodeDecodeError as exc:
            line = _count_lines(data[: exc.start]) + 1
            raise ImportFileError(
                f"{self.path}: line {line}: byte {exc.start} cannot be decoded as {self.wide}: "
                "name the right encoding with --encoding, or save the file as UTF-8"
            ) from None
        except OSError as exc:
            raise ImportFileError(
                f"{self.path}: cannot read the file: {exc.strerror or exc}"
            ) from None
        lines = _NEWLINES.split(text.lstrip("\ufeff"))
        if lines and lines[-1] == "":
            lines.pop()
        yield from _safe(lines)


# What `clean_text` removes (a tab alone makes a line not printable, but needs nothing).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _safe(lines: list[str]) -> list[str]:
    """The lines, cleaned only when the block holds something to clean (the rare case)."""
    if all(map(str.isprintable, lines)):
        return lines
    return [
        clean_text(line) if not line.isprintable() and _UNSAFE.search(line) else line
        for line in lines
    ]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _named_codec(path: Path, name: str) -> str:
    """The codec the user named, checked (ImportFileError for an unknown name)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ImportFileError(
            f"{path}: unknown encoding {name!r}: use a Python codec name such as utf-8, cp1252, "
            "cp1250, shift_jis, gb18030, koi8_r or utf-32"
        ) from None
