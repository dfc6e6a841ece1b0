"""PRISMA 2020 flow: check the numbers, then export them as CSV, JSON, text, Markdown and SVG.

Core package: pure functions and frozen dataclasses. No IO (the CSV writer takes the template's
text, read by the caller), no SQL, no UI toolkit. The public API:

- `Count`, `FlowInputs` - what the caller counts from stored data;
- `build_flow(inputs) -> Flow` - checks the arithmetic rules (see `screener.prisma.flow`) and
  raises `InvariantError` naming every broken rule with its numbers;
- `to_prisma_json(flow)`, `to_prisma_csv(flow, template_text=None)` - the PRISMA2020 R package /
  Shiny app's `data` keys; `builtin_template()` when no template file is at hand;
- `to_text(flow)`, `to_markdown(flow)`, `to_svg(flow)` - every box, for people.
"""

from screener.prisma.csvexport import (
    COLUMNS,
    TEMPLATE_KEYS,
    PrismaTemplateError,
    builtin_template,
    template_values,
    to_prisma_csv,
    to_prisma_json,
)
from screener.prisma.flow import Count, Flow, FlowInputs, build_flow, other_method_key
from screener.prisma.svg import to_svg
from screener.prisma.text import to_markdown, to_text

__all__ = [
    "COLUMNS",
    "TEMPLATE_KEYS",
    "Count",
    "Flow",
    "FlowInputs",
    "PrismaTemplateError",
    "build_flow",
    "builtin_template",
    "other_method_key",
    "template_values",
    "to_markdown",
    "to_prisma_csv",
    "to_prisma_json",
    "to_svg",
    "to_text",
]
