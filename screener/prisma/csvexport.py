"""PRISMA 2020 flow as the PRISMA2020 R package / Shiny app CSV, and as JSON.

Core module: no IO. The caller reads the template file (the package's `PRISMA.csv`) and passes
its text; without one, `builtin_template()` gives a template of our own with the same columns,
the same `data` keys in the same order, the same `box` ids and placeholders, and short labels.

The CSV writer changes only the `n` column: same header, same rows in the same order, same line
ending and final newline as the template, standard CSV quoting. Numbers are plain integers and
an unused numeric box gets 0 (the Shiny app shows "Previous studies" and the meta-analysis box
only when their `n` is not "0"). Breakdowns are written as "Name, n; Name, n", and an empty
breakdown (no registers, no exclusion reasons) as 0, never as the template's placeholder
("Register 1, xxx; ..."), which would draw registers that do not exist. The package reads a
bare number in a breakdown row as a count with no named items (`PRISMA_parse_reasons_`'s
numeric branch); "NA" would break the Shiny app's upload check and an empty cell reads as
"n = NA". (The Shiny app turns "Individual registers" on for any value but the placeholder;
switch it off there when there are none.)

The built-in template has every non-text cell of the package's `PRISMA.csv` 1.1.4 (`data`,
`node`, `box`, `url`, `n`, and which rows have a tooltip); only `description`, `boxtext` and
`tooltips` are in our words.
"""

from __future__ import annotations

import csv
import io

from screener.errors import ScreenerError
from screener.prisma.flow import Count, Flow, csv_safe_name

COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")
BREAKDOWN_KEYS = (
    "database_specific_results",
    "register_specific_results",
    "dbr_excluded",
    "other_excluded",
)
# The template's placeholders (what the built-in template holds before it is filled).
PLACEHOLDERS = {
    "database_specific_results": "Database 1, xxx; Database 2, xxx; Database 3, xxx",
    "register_specific_results": "Register 1, xxx; Register 2, xxx; Register 3, xxx",
    "dbr_excluded": "Reason1, xxx; Reason2, xxx; Reason3, xxx",
    "other_excluded": "Reason1, xxx; Reason2, xxx; Reason3, xxx",
}
NA = "NA"

# The built-in template, one row per `data` key in the order of the PRISMA2020 package's CSV:
# (data, node, box, boxtext, description). Rows with a node get a tooltip, as there; the url is
# "<data or box>.html" on those rows, NA on the others, except where `_URLS` says otherwise.
# Descriptions are ours; box texts are the PRISMA 2020 box labels. `organisation_results` has
# an empty node in the package's template (not NA): kept, so every non-text cell is the same.
_BUILTIN_ROWS = (
    (NA, "node4", "prevstud", "Previous studies", "Title of the previous-review column"),
    (
        "previous_studies",
        "node5",
        "box1",
        "Studies included in previous version of review",
        "Number of studies the previous version of the review included",
    ),
    (
        "previous_reports",
        NA,
        "box1",
        "Reports of studies included in previous version of review",
        "Number of reports of the studies the previous version included",
    ),
    (
        NA,
        "node6",
        "newstud",
        "Identification of new studies via databases and registers",
        "Title of the databases and registers column",
    ),
    (
        "database_results",
        "node7",
        "box2",
        "Databases",
        "Records found in bibliographic databases (all databases together)",
    ),
    (
        "database_specific_results",
        NA,
        "box2",
        "Specific Databases",
        "Records found in each database, written as Name, n; Name, n",
    ),
    ("register_results", NA, "box2", "Registers", "Records found in trial or study registers"),
    (
        "register_specific_results",
        NA,
        "box2",
        "Specific Registers",
        "Records found in each register, written as Name, n; Name, n",
    ),
    (
        NA,
        "node16",
        "othstud",
        "Identification of new studies via other methods",
        "Title of the other-methods column",
    ),
    ("website_results", "node17", "box11", "Websites", "Records found on websites"),
    ("organisation_results", "", "box11", "Organisations", "Records obtained from organisations"),
    (
        "citations_results",
        NA,
        "box11",
        "Citation searching",
        "Records found by searching citations and reference lists",
    ),
    (
        "duplicates",
        "node8",
        "box3",
        "Duplicate records",
        "Database and register records removed as duplicates before screening",
    ),
    (
        "excluded_automatic",
        NA,
        "box3",
        "Records marked as ineligible by automation tools",
        "Records removed before screening by an automation tool",
    ),
    (
        "excluded_other",
        NA,
        "box3",
        "Records removed for other reasons",
        "Records removed before screening for any other reason",
    ),
    (
        "records_screened",
        "node9",
        "box4",
        "Records screened",
        "Database and register records screened on title and abstract",
    ),
    (
        "records_excluded",
        "node10",
        "box5",
        "Records excluded",
        "Database and register records excluded on title and abstract",
    ),
    (
        "dbr_sought_reports",
        "node11",
        "box6",
        "Reports sought for retrieval",
        "Full texts sought for database and register records",
    ),
    (
        "dbr_notretrieved_reports",
        "node12",
        "box7",
        "Reports not retrieved",
        "Full texts that could not be obtained (databases and registers)",
    ),
    (
        "other_sought_reports",
        "node18",
        "box12",
        "Reports sought for retrieval",
        "Full texts sought for records found by other methods",
    ),
    (
        "other_notretrieved_reports",
        "node19",
        "box13",
        "Reports not retrieved",
        "Full texts that could not be obtained (other methods)",
    ),
    (
        "dbr_assessed",
        "node13",
        "box8",
        "Reports assessed for eligibility",
        "Full texts assessed for eligibility (databases and registers)",
    ),
    (
        "dbr_excluded",
        "node14",
        "box9",
        "Reports excluded",
        "Full texts excluded, with reasons (Reason, n; Reason, n)",
    ),
    (
        "other_assessed",
        "node20",
        "box14",
        "Reports assessed for eligibility",
        "Full texts assessed for eligibility (other methods)",
    ),
    (
        "other_excluded",
        "node21",
        "box15",
        "Reports excluded",
        "Full texts excluded (other methods), with reasons (Reason, n; Reason, n)",
    ),
    (
        "new_studies",
        "node15",
        "box10",
        "New studies included in review",
        "Studies newly included in this review",
    ),
    (
        "new_reports",
        NA,
        "box10",
        "Reports of new included studies",
        "Reports of the newly included studies",
    ),
    (
        "total_studies",
        "node22",
        "box16",
        "Total studies included in review",
        "Studies included in total: previous plus new",
    ),
    (
        "total_reports",
        NA,
        "box16",
        "Reports of total included studies",
        "Reports of all included studies: previous plus new",
    ),
    (
        "identification",
        "node1",
        "identification",
        "Identification",
        "Side label of the first phase",
    ),
    ("screening", "node2", "screening", "Screening", "Side label of the second phase"),
    ("included", "node3", "included", "Included", "Side label of the last phase"),
    (
        "total_studies_ma",
        "node23",
        "box17",
        "Total studies included in meta-analysis",
        "Studies included in the meta-analysis",
    ),
    (
        "total_reports_ma",
        NA,
        "box17",
        "Reports of total included studies in meta-analysis",
        "Reports of the studies included in the meta-analysis",
    ),
)


# The package template's urls that do not follow the rule above.
_URLS = {
    "previous_reports": "previous_reports.html",
    "database_specific_results": "database_results.html",
    "register_specific_results": "database_results.html",
    "dbr_excluded": "dbrexcludedrecords.html",
    "total_studies_ma": "total_studies_meta_analysis.html",
}


class PrismaTemplateError(ScreenerError):
    """The PRISMA2020 CSV template given to the writer is not one it can fill."""


def builtin_template() -> str:
    """A PRISMA2020 CSV template of our own: same columns, keys, order and box ids."""
    rows = [list(COLUMNS)]
    for data, node, box, boxtext, description in _BUILTIN_ROWS:
        key = data if data != NA else box
        has_node = node not in (NA, "")
        tooltip = description if has_node else NA
        url = _URLS.get(data, f"{key}.html" if has_node else NA)
        rows.append(
            [data, node, box, description, boxtext, tooltip, url, PLACEHOLDERS.get(data, "0")]
        )
    return _serialize(rows, "\n", final_newline=True)


def template_values(flow: Flow) -> dict[str, int | tuple[Count, ...]]:
    """Every number of the PRISMA2020 template, keyed by its `data` key, in template order."""
    i = flow.inputs
    return {
        "previous_studies": i.previous_studies,
        "previous_reports": i.previous_reports,
        "database_results": flow.database_results,
        "database_specific_results": i.databases,
        "register_results": flow.register_results,
        "register_specific_results": i.registers,
        "website_results": flow.website_results,
        "organisation_results": flow.organisation_results,
        "citations_results": flow.citations_results,
        "duplicates": i.duplicates_removed,
        "excluded_automatic": i.automation_excluded,
        "excluded_other": i.other_removed,
        "records_screened": i.records_screened,
        "records_excluded": flow.records_excluded,
        "dbr_sought_reports": i.reports_sought,
        "dbr_notretrieved_reports": i.reports_not_retrieved,
        "other_sought_reports": i.other_sought,
        "other_notretrieved_reports": i.other_not_retrieved,
        "dbr_assessed": i.reports_assessed,
        "dbr_excluded": i.reports_excluded,
        "other_assessed": i.other_assessed,
        "other_excluded": i.other_excluded,
        "new_studies": i.studies_included,
        "new_reports": i.reports_included,
        "total_studies": flow.total_studies,
        "total_reports": flow.total_reports,
        "total_studies_ma": i.meta_analysis_studies,
        "total_reports_ma": i.meta_analysis_reports,
    }


def to_prisma_json(flow: Flow) -> dict:
    """The template numbers under their `data` keys, plus screener's own under "screener"."""
    out: dict = {}
    for key, value in template_values(flow).items():
        out[key] = (
            [{"name": c.name, "n": c.n} for c in value] if isinstance(value, tuple) else value
        )
    i = flow.inputs
    out["screener"] = {
        "as_of": i.as_of,
        "records_identified": flow.records_identified,
        "records_removed": flow.records_removed,
        "records_excluded_human": i.records_excluded_human,
        "records_excluded_automation": i.records_excluded_automation,
        "records_undecided": i.records_undecided,
        "reports_undecided": i.reports_undecided,
        "dbr_excluded_total": flow.reports_excluded_total,
        "other_excluded_total": flow.other_excluded_total,
        "other_identified": flow.other_identified,
        "other_methods": [{"name": c.name, "n": c.n} for c in i.other_methods],
        "other_methods_without_csv_row": [{"name": c.name, "n": c.n} for c in flow.other_unmapped],
        "notes": list(flow.notes),
    }
    return out


def to_prisma_csv(flow: Flow, template_text: str | None = None) -> str:
    """The template with only its `n` column filled from the flow (built-in template if None).

    Read the template with `newline=""` (or decode its bytes) so its CRLF line endings reach
    this function and come back unchanged; the result is a valid template either way.
    """
    text = builtin_template() if template_text is None else template_text
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    rows = _parse(text[len(bom) :])
    index = _index_rows(rows)
    for key, value in template_values(flow).items():
        row = rows[index[key]]
        row[7] = _cell(value)
    terminator = "\r\n" if "\r\n" in text else "\n"
    return bom + _serialize(rows, terminator, final_newline=text.endswith(("\n", "\r")))


def _cell(value: int | tuple[Count, ...]) -> str:
    if not isinstance(value, tuple):
        return str(value)
    if value:
        return "; ".join(f"{csv_safe_name(c.name)}, {c.n}" for c in value)
    return "0"  # none: a count with no named items, never the template's placeholder


def _parse(text: str) -> list[list[str]]:
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    if not rows or tuple(rows[0]) != COLUMNS:
        found = ",".join(rows[0]) if rows else "nothing"
        raise PrismaTemplateError(
            f"The PRISMA2020 template must start with the header {','.join(COLUMNS)}; "
            f"found {found}. Use the package's PRISMA.csv or the built-in template."
        )
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(COLUMNS):
            raise PrismaTemplateError(
                f"PRISMA2020 template row {number} has {len(row)} cells, not {len(COLUMNS)}."
            )
    return rows


def _index_rows(rows: list[list[str]]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, row in enumerate(rows[1:], start=1):
        key = row[0]
        if key in ("", NA):
            continue
        if key in index:
            raise PrismaTemplateError(f"The PRISMA2020 template has two rows for {key!r}.")
        index[key] = position
    missing = [key for key in FILLED_KEYS if key not in index]
    if missing:
        raise PrismaTemplateError(
            f"The PRISMA2020 template has no row for {', '.join(missing)}; "
            "use the package's PRISMA.csv (version 1.1.4 or later) or the built-in template."
        )
    return index


def _serialize(rows: list[list[str]], terminator: str, *, final_newline: bool) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=terminator).writerows(rows)
    text = buffer.getvalue()
    return text if final_newline else text[: -len(terminator)]


# Every `data` key of the template in order (label rows included), and the ones we fill.
TEMPLATE_KEYS = tuple(row[0] for row in _BUILTIN_ROWS if row[0] != NA)
FILLED_KEYS = tuple(
    k for k in TEMPLATE_KEYS if k not in ("identification", "screening", "included")
)
