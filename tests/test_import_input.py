"""Import input safety: legacy encodings detected or refused, non-regular files refused
without blocking, and control characters / escape sequences removed from every field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from screener.errors import ImportFileError
from screener.importers import read_file
from screener.importers.fingerprint import file_sha256
from screener.importers.textio import legacy_codec

JAPANESE = [
    ("日本の小児における睡眠時間と肥満の関連：横断研究", "山田, 太郎"),
    ("高齢者の転倒予防のための運動介入：無作為化比較試験", "佐藤, 花子"),
]
CHINESE = [
    ("中国儿童睡眠时间与肥胖的关系：一项横断面研究", "王, 小明"),
    ("老年人跌倒预防的运动干预：随机对照试验", "李, 华"),
]
RUSSIAN = [
    ("Связь продолжительности сна и ожирения у детей: поперечное исследование", "Иванов, И."),
    ("Физические упражнения для профилактики падений у пожилых людей", "Петрова, А."),
]
POLISH = [("Badanie snu i zdrowia u dzieci w Łodzi: źdźbło prawdy", "Kowalski, Łukasz")]


def ris(entries: list[tuple[str, str]]) -> str:
    return "".join(
        f"TY  - JOUR\nTI  - {title}\nAU  - {author}\nPY  - 2020\nER  - \n\n"
        for title, author in entries
    )


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("codec", "entries", "reported"),
    [
        ("shift_jis", JAPANESE, {"shift_jis", "cp932"}),
        ("gb18030", CHINESE, {"gb18030"}),
        ("koi8_r", RUSSIAN, {"koi8_r"}),
        ("cp1251", RUSSIAN, {"cp1251"}),
    ],
)
def test_legacy_code_pages_are_detected_not_garbled(tmp_path, codec, entries, reported):
    path = write(tmp_path, f"{codec}.ris", ris(entries).encode(codec))
    result = read_file(path, "CNKI")
    assert result.encoding in reported
    assert [r.title for r in result.records] == [title for title, _ in entries]
    assert [r.authors for r in result.records] == [(author,) for _, author in entries]


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-le", "utf-32-be", "utf-16"])
def test_utf32_and_utf16_with_or_without_bom(tmp_path, codec):
    path = write(tmp_path, "wide.ris", ris(JAPANESE + RUSSIAN).encode(codec))
    result = read_file(path, "x")
    assert [r.title for r in result.records] == [t for t, _ in JAPANESE + RUSSIAN]


def test_western_text_stays_windows_1252(tmp_path):
    text = ris([("Étude du sommeil – résumé “quality” 5 µg", "Müller, Jürgen")])
    result = read_file(write(tmp_path, "w.ris", text.encode("cp1252")), "x")
    assert result.encoding == "cp1252"
    assert result.records[0].title == "Étude du sommeil – résumé “quality” 5 µg"
    assert result.records[0].authors == ("Müller, Jürgen",)


def test_undetectable_text_is_refused_naming_what_was_tried(tmp_path):
    noise = bytes(range(0x80, 0x100))
    path = write(tmp_path, "noise.ris", b"TY  - JOUR\nTI  - " + noise + b"\nER  - \n")
    with pytest.raises(ImportFileError) as caught:
        read_file(path, "x")
    message = str(caught.value)
    assert "noise.ris: line 2" in message
    assert "Windows-1252" in message and "--encoding" in message and "UTF-8" in message
    assert legacy_codec(noise * 4) == ""


def test_encoding_option_overrides_detection(tmp_path):
    path = write(tmp_path, "pl.ris", ris(POLISH).encode("cp1250"))
    # Short Polish text reads as plausible Windows-1252 ("£odzi"): the user names it.
    result = read_file(path, "x", encoding="cp1250")
    assert result.encoding == "cp1250"
    assert result.records[0].title == POLISH[0][0]
    assert result.records[0].authors == (POLISH[0][1],)


def test_named_encoding_that_does_not_fit_or_does_not_exist(tmp_path):
    path = write(tmp_path, "jp.ris", ris(JAPANESE).encode("shift_jis"))
    with pytest.raises(ImportFileError, match=r"jp.ris: line 2: byte \d+ cannot be decoded as"):
        read_file(path, "x", encoding="utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding 'klingon'"):
        read_file(path, "x", encoding="klingon")


def test_encoding_option_on_the_command_line(tmp_path, runner, monkeypatch):
    from screener.cli import main

    monkeypatch.setenv("SCREENER_DB", str(tmp_path / "r.sqlite"))
    path = write(tmp_path, "pl.ris", ris(POLISH).encode("cp1250"))
    result = runner.invoke(main, ["import", str(path), "--database", "x", "--encoding", "cp1250"])
    assert result.exit_code == 0, result.output
    assert "cp1250" in result.output


# --- files that are not regular files -----------------------------------------------------


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "export.ris"
    os.mkfifo(fifo)
    # In a child process: a regression would block on open() forever, not fail.
    done = subprocess.run(
        [sys.executable, "-m", "screener", "import", str(fifo), "--database", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SCREENER_DB": str(tmp_path / "r.sqlite")},
    )
    assert done.returncode != 0
    assert "is a named pipe (FIFO), not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a character device")])
def test_devices_and_directories_are_refused(tmp_path, path, kind):
    with pytest.raises(ImportFileError, match=f"is {kind}, not a regular file"):
        file_sha256(Path(path))
    with pytest.raises(ImportFileError, match=f"is {kind}, not a regular file"):
        read_file(Path(path), "x")
    with pytest.raises(ImportFileError, match="is a directory, not a regular file"):
        read_file(tmp_path, "x")


# --- control characters and escape sequences ----------------------------------------------

HOSTILE = "Sleep\x1b]0;pwned\x07 in \x1b[2Jdogs\x9b31m\x00\u202e"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("h.ris", f"TY  - JOUR\nTI  - {HOSTILE}\nAU  - {HOSTILE}\nKW  - {HOSTILE}\nER  - \n"),
        ("h.nbib", f"PMID- 1\nTI  - {HOSTILE}\nFAU - {HOSTILE}\nOT  - {HOSTILE}\n"),
        (
            "h.bib",
            f"@article{{k, title={{{HOSTILE}}}, author={{{HOSTILE}}},\n keywords={{{HOSTILE}}}}}",
        ),
        ("h.csv", f"title,authors,keywords,other\n{HOSTILE},{HOSTILE},{HOSTILE},{HOSTILE}\n"),
    ],
)
def test_control_characters_never_reach_a_stored_field(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text.replace("\x00", ""), encoding="utf-8")
    (record,) = read_file(path, "x").records
    assert record.title == "Sleep in dogs"
    # (BibTeX reads the name as "in dogs, Sleep": last name first, as it should)
    assert len(record.authors) == 1 and "pwned" not in record.authors[0]
    assert record.keywords == ("Sleep in dogs",)
    for value in [record.title, *record.authors, *record.keywords, *sum(record.extra, ())]:
        assert not any(ch in value for ch in "\x1b\x07\x9b\u202e")
