"""`LazyGroup`: a click group whose commands are imported when they run, not at start-up.

`screener --help` lists every command from a table of names and summaries, so start-up and
help import no command module; `screener simulate` imports only the module that defines
`simulate` (and what that needs), not the search, store or TUI libraries of the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives ("package.module:attribute") and its one-line summary (the
    first paragraph of its docstring: a test checks they agree). `extra` are commands
    defined elsewhere that join it as subcommands when it is loaded."""

    target: str
    summary: str
    extra: tuple[str, ...] = field(default=())


def load(target: str) -> click.Command:
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command


class LazyGroup(click.Group):
    """A group whose commands are `LazyCommand`s, imported on first use."""

    def __init__(self, *args, lazy: dict[str, LazyCommand] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            spec = self.lazy[cmd_name]
            command = load(spec.target)
            if spec.extra and not isinstance(command, click.Group):
                raise TypeError(f"{spec.target} is not a group; it cannot take {spec.extra}")
            for target in spec.extra:
                command.add_command(load(target))
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a command not loaded yet is listed from its summary."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:  # a stand-in, so click shortens the summary as its own
                command = click.Command(name, help=self.lazy[name].summary)
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
