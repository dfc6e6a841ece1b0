"""Widgets shared by the screening and the resolve screens."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from screener.models import Record
from screener.store import Store
from screener.textsafe import clean_fields, safe_for_terminal
from screener.tui import render
from screener.workflow.screening import group_record


class RecordPanel(VerticalScroll, can_focus=False):
    """One record: badges, title, authors/citation/ids, abstract, keywords. Scrolls."""

    def compose(self) -> ComposeResult:
        yield Static(id="badges")
        yield Static(Text("Opening the review…", style="italic"), id="title")
        yield Static(id="meta")
        yield Static(id="abstract")
        yield Static(id="keywords")

    def show(
        self,
        record_id: int,
        record: Record,
        group_size: int,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        scroll_home: bool = True,
    ) -> None:
        record = clean_fields(record)  # outside text: no escape sequence reaches the terminal
        badges = render.badges_text(record.flags, group_size)
        self._set("#badges", badges, visible=bool(badges))
        self._set("#title", render.title_text(record, include, exclude))
        self._set("#meta", render.meta_text(record, record_id))
        self._set("#abstract", render.abstract_text(record.abstract, include, exclude))
        keywords = render.keywords_text(record, include, exclude)
        self._set("#keywords", keywords, visible=bool(keywords))
        if scroll_home:
            self.scroll_home(animate=False)

    def message(self, text: str, style: str = "italic") -> None:
        """Show a message instead of a record (loading, nothing to screen, an error)."""
        for part in ("#badges", "#meta", "#abstract", "#keywords"):
            self._set(part, Text(), visible=False)
        self._set("#title", Text(safe_for_terminal(text), style=style))

    def _set(self, selector: str, text: Text, visible: bool = True) -> None:
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = visible


class KeyHints(Widget):
    """The key hint bar: 'i include · e exclude · ...', never breaking a hint in two."""

    def __init__(self, keys: Sequence[tuple[str, str]], **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.keys = list(keys)

    def lines(self, width: int) -> list[Text]:
        lines = [Text()]
        for key, label in self.keys:
            item = Text.assemble((key, "bold reverse"), f" {label}")
            if lines[-1] and len(lines[-1]) + 3 + len(item) > width:
                lines.append(Text())
            if lines[-1]:
                lines[-1].append(" · ", style="dim")
            lines[-1].append_text(item)
        return lines

    def render(self) -> Text:
        return Text("\n").join(self.lines(max(self.content_size.width, 1)))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(max(width, 1)))


def record_of(store: Store, record_id: int) -> tuple[Record, int]:
    """The record merged with its duplicate group (as reviewers see it), and the group size.

    For the resolve screen, whose adjudicator may have no reviewer queue.
    """
    return group_record(store, record_id)
