"""Modal dialogs: key help, a text prompt, the exclusion-reason picker.

Each is a `ModalScreen[T]` that returns its answer with `dismiss(value)`; `None` always
means "cancelled" (Escape), so the caller can tell it from an empty answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screener.tui.render import help_text

NO_REASON = "__none__"


class HelpScreen(ModalScreen[None]):
    """Every key of the screen that opened it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "close"),
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
    ]

    def __init__(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.help_title = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(help_text(self.help_title, self.rows), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help", VerticalScroll).scroll_relative(y=lines, animate=False)


class TextPrompt(ModalScreen[str | None]):
    """One line of text: Enter answers, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question, style="bold"))
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Label(Text("Enter to confirm · Escape to cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()

    @on(Input.Submitted)
    def answered(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonPicker(ModalScreen[str | None]):
    """Pick an exclusion reason from the review's list (digits 1-9 pick at once).

    With `required` False there is a "no reason" choice; with `free_text` the reviewer
    may type another reason (title/abstract accepts free text, full text does not).
    """

    BINDINGS = [Binding("escape", "cancel", "cancel")] + [
        Binding(str(n), f"pick({n})", show=False) for n in range(10)
    ]

    def __init__(self, reasons: Sequence[str], required: bool, free_text: bool) -> None:
        super().__init__()
        self.reasons = list(reasons)
        self.required = required
        self.free_text = free_text

    def compose(self) -> ComposeResult:
        need = "required" if self.required else "optional"
        with Vertical(classes="dialog", id="reason-dialog"):
            yield Label(Text(f"Exclusion reason ({need})", style="bold"))
            yield OptionList(*self._options(), id="reasons")
            if self.free_text:
                yield Input(placeholder="or type another reason, then Enter", id="other")
            hint = "1-9 or Enter to pick" + (" · Tab to type" if self.free_text else "")
            yield Label(Text(hint + " · Escape to cancel", "dim"))

    def _options(self) -> list[Option]:
        options = [
            Option(Text(f"{n}  {reason}" if n < 10 else f"   {reason}"), id=f"r{n}")
            for n, reason in enumerate(self.reasons, start=1)
        ]
        if not self.required:
            options.append(Option(Text("0  (no reason)", style="italic"), id=NO_REASON))
        return options

    def on_mount(self) -> None:
        self.query_one("#reasons", OptionList).focus()

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == NO_REASON:
            self.dismiss("")
        else:
            self.dismiss(self.reasons[int(str(event.option.id)[1:]) - 1])

    @on(Input.Submitted, "#other")
    def typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_pick(self, number: int) -> None:
        """1-9 pick a listed reason; 0 picks "no reason" where a reason is optional."""
        if number == 0 and not self.required:
            self.dismiss("")
        elif 0 < number <= len(self.reasons):
            self.dismiss(self.reasons[number - 1])

    def action_cancel(self) -> None:
        self.dismiss(None)
