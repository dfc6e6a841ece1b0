"""screener: a terminal workbench for systematic reviews."""

__version__ = "0.1.0"
