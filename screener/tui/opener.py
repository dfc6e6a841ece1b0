"""Open an attached full text (a PDF path or a URL) in the desktop's viewer.

Called from a worker thread, never from the UI thread. A console browser would fight the
TUI for the terminal, so only a desktop opener is used: `xdg-open` (Linux), `open`
(macOS), `os.startfile` (Windows), or `webbrowser` when a display is known to exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import webbrowser
from pathlib import Path
from urllib.parse import urlparse

from screener.errors import ScreenerError

URL_SCHEMES = ("http", "https", "file", "ftp")


def as_target(location: str) -> str:
    """A URL as it is; a local path expanded and checked, as an absolute path."""
    location = location.strip()
    if urlparse(location).scheme in URL_SCHEMES:
        return location
    path = Path(location).expanduser()
    if not path.exists():
        raise ScreenerError(f"{path}: no such file; attach the full text again with f.")
    return str(path.resolve())


def open_location(location: str) -> str:
    """Open `location`; return how it was opened. Raises ScreenerError if it cannot."""
    target = as_target(location)
    if sys.platform == "win32":  # pragma: no cover - not the platform tests run on
        os.startfile(target)  # noqa: S606
        return "startfile"
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) and (sys.platform == "darwin" or _has_display()):
        launch([opener, target])
        return opener
    if _has_display() and webbrowser.open(target if "://" in target else Path(target).as_uri()):
        return "webbrowser"
    raise ScreenerError(f"no desktop viewer here to open {target}; open it yourself.")


def launch(command: list[str]) -> None:
    """Start a viewer detached from the terminal (no output over the TUI)."""
    subprocess.Popen(  # noqa: S603
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
