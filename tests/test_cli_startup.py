"""Start-up: `screener --help` lists every command without importing them, and a command
imports only what it needs (the figures are in bench/, not here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from screener import workflow
from screener.cli import COMMANDS, main
from screener.cli.lazy import LazyGroup, load

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("requests", "sqlite_utils", "numpy", "scipy", "sklearn", "textual", "psycopg")


def _fresh_main() -> LazyGroup:
    """The same group as `main` with nothing loaded yet (other tests load commands)."""
    return LazyGroup(
        name="screener",
        lazy=COMMANDS,
        params=main.params,
        help=main.help,
        context_settings=main.context_settings,
    )


def _loaded(name: str) -> click.Command:
    return main.get_command(click.Context(main), name)


def _heavy_modules_after(code: str) -> list[str]:
    """The heavy libraries in sys.modules after running `code` in a new interpreter."""
    script = (
        f"import sys\n{code}\n"
        f"print('LOADED', *(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stderr.split("LOADED", 1)[1].split()


def test_help_lists_every_command_with_its_summary():
    result = subprocess.run(
        [sys.executable, "-m", "screener", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    listed = result.stdout.split("Commands:", 1)[1]
    names = [line.split()[0] for line in listed.splitlines() if line.startswith("  ")]
    assert names == sorted(COMMANDS)
    assert "agreement  Percent agreement, Cohen's kappa" in listed


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_summary_is_the_first_paragraph_of_the_command_help(name):
    command = _loaded(name)
    assert command.name == name
    assert COMMANDS[name].summary == command.get_short_help_str(limit=10**6), (
        f"update the summary of {name!r} in screener/cli/__init__.py to match its docstring"
    )


@pytest.mark.parametrize("width", [60, 80, 200])
def test_lazy_help_reads_as_the_help_of_the_loaded_commands(width):
    runner = CliRunner()
    fresh = _fresh_main()
    lazy = runner.invoke(fresh, ["--help"], terminal_width=width, max_content_width=width)
    assert fresh.commands == {}  # nothing was imported to list them
    for name in COMMANDS:
        fresh.get_command(click.Context(fresh), name)
    loaded = runner.invoke(fresh, ["--help"], terminal_width=width, max_content_width=width)
    assert lazy.exit_code == loaded.exit_code == 0
    assert lazy.output == loaded.output


@pytest.mark.parametrize(
    ("group", "subcommands"),
    [("review", {"stop-screening", "grant", "team", "copy"}), ("search", {"report"})],
)
def test_subcommands_defined_elsewhere_join_their_group(group, subcommands):
    result = CliRunner().invoke(main, [group, "--help"])
    assert result.exit_code == 0
    assert subcommands <= set(_loaded(group).commands)
    for name in subcommands:
        assert f"  {name} " in result.output


def test_an_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["nosuch"])
    assert result.exit_code == 2
    assert "No such command 'nosuch'" in result.output


def test_load_refuses_what_is_not_a_command():
    with pytest.raises(TypeError, match="not a click command"):
        load("screener.cli:COMMANDS")


@pytest.mark.parametrize(
    "code",
    [
        "import screener.cli",
        "from screener.cli import main\nmain.main(['--help'], standalone_mode=False)",
        "from screener.cli import main\nmain.main(['simulate', '--help'], standalone_mode=False)",
    ],
)
def test_start_up_and_help_import_no_heavy_library(code):
    assert _heavy_modules_after(code) == []


def test_simulate_does_not_import_the_store_or_network_libraries():
    loaded = _heavy_modules_after("import screener.cli.ranking, screener.workflow.simulating")
    assert "numpy" in loaded  # the ranking core needs it
    assert not {"requests", "sqlite_utils", "textual", "psycopg", "sklearn"} & set(loaded)


def test_a_whole_simulation_runs_without_scikit_learn(tmp_path):
    """scikit-learn is a test dependency only: the ranking computes its model itself."""
    data = tmp_path / "labels.csv"
    rows = ["title,abstract,label_included"]
    rows += [f"hair loss trial {i},minoxidil,{int(i % 5 == 0)}" for i in range(30)]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = (
        "import sys\nsys.modules['sklearn'] = None  # importing it now fails\n"
        "from screener.cli import main\n"
        f"main.main(['simulate', {str(data)!r}, '--json'], standalone_mode=False)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '"wss_95"' in done.stdout


def test_workflow_names_load_on_first_use():
    assert _heavy_modules_after("import screener.workflow") == []
    assert set(workflow.__all__) == set(workflow._LAZY)
    assert set(workflow.__all__) <= set(dir(workflow))
    for name in workflow.__all__:
        assert getattr(workflow, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        workflow.nosuch  # noqa: B018
