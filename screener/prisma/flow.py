"""PRISMA 2020 flow numbers: the inputs a caller counts, the checks, the derived totals.

Core module: no IO, no SQL, no UI toolkit. The caller counts every number from stored data
and passes a `FlowInputs`; `build_flow` checks the arithmetic rules below and returns a `Flow`
(the inputs plus derived totals and notes) or raises `InvariantError` listing every broken rule
with its numbers.

The rules (all numbers are integers >= 0):

R1  identification  database_results + register_results
                    - duplicates_removed - automation_excluded - other_removed == records_screened
R2  screening       records_screened - records_excluded_human - records_excluded_automation
                    - records_undecided == reports_sought
R3  retrieval       reports_sought - reports_not_retrieved == reports_assessed      (databases
                    and registers) and other_sought - other_not_retrieved == other_assessed
R4  other methods   other_sought <= records identified via other methods
R5  full text       sum(reports_excluded) <= reports_assessed, sum(other_excluded) <= other_assessed
R6  inclusion       (reports_assessed - sum(reports_excluded))
                    + (other_assessed - sum(other_excluded)) - reports_undecided == reports_included
R7  studies/reports studies <= reports, and studies == 0 exactly when reports == 0 (new studies,
                    previous version, meta-analysis)
R8  totals          total_studies = previous_studies + studies_included, total_reports =
                    previous_reports + reports_included (derived, so true by construction);
                    meta-analysis counts <= totals
R9  breakdowns      names are non-empty and unique (ignoring case) within a breakdown

Undecided items are never counted as excluded:
- `records_undecided`: records screened at title/abstract with no final decision yet. They sit
  between "Records screened" and "Reports sought" (R2).
- `reports_undecided`: reports (either column) that were retrieved and assessed at full text but
  have no final decision yet ("awaiting classification"). They count as assessed (R3) and sit
  between "Reports assessed" and "Reports of included studies" (R6). A report still waiting to
  be retrieved is counted here too: screener records no separate retrieval state.
The PRISMA2020 CSV has no box for either; `Flow.notes` says so when they are not zero.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from screener.errors import InvariantError
from screener.textsafe import clean_line

# Other-method names the PRISMA2020 template has a row for (compared lower-cased).
OTHER_METHOD_KEYS = {
    "website_results": ("websites", "website", "web sites", "web site"),
    "organisation_results": ("organisations", "organisation", "organizations", "organization"),
    "citations_results": ("citation searching", "citation search", "citations", "citation"),
}
# What the CSV uses to separate items ("; ") and a name from its number (", ").
CSV_SEPARATORS = (";", ",")


@dataclass(frozen=True)
class Count:
    """One named number: a database, register, other method or exclusion reason."""

    name: str
    n: int


@dataclass(frozen=True, kw_only=True)
class FlowInputs:
    """Everything the flow diagram needs, counted by the caller from stored data."""

    databases: tuple[Count, ...]  # records identified per database (PubMed 120, Scopus 80)
    registers: tuple[Count, ...] = ()  # per register (ClinicalTrials.gov ...)
    other_methods: tuple[Count, ...] = ()  # Websites, Organisations, Citation searching, ...
    duplicates_removed: int  # database/register records removed as duplicates
    automation_excluded: int = 0  # removed before screening by automation tools
    other_removed: int = 0  # removed before screening for other reasons
    records_screened: int  # database/register records screened at title/abstract
    records_excluded_human: int
    records_excluded_automation: int = 0  # excluded at screening by automation tools
    records_undecided: int = 0  # screened but not yet decided (never counted as excluded)
    reports_sought: int
    reports_not_retrieved: int
    reports_assessed: int
    reports_excluded: tuple[Count, ...]  # full-text exclusions per reason (databases/registers)
    reports_undecided: int = 0  # assessed at full text, no final decision yet (both columns)
    other_sought: int = 0
    other_not_retrieved: int = 0
    other_assessed: int = 0
    other_excluded: tuple[Count, ...] = ()
    studies_included: int  # new studies
    reports_included: int  # reports of new included studies
    previous_studies: int = 0  # updated review: studies in the previous version
    previous_reports: int = 0
    meta_analysis_studies: int = 0  # optional: studies (of the total) in a meta-analysis
    meta_analysis_reports: int = 0
    as_of: str = ""  # the date the numbers stand for


@dataclass(frozen=True)
class Flow:
    """Checked inputs plus derived totals. Input fields read through: `flow.records_screened`."""

    inputs: FlowInputs
    database_results: int
    register_results: int
    records_identified: int  # databases + registers
    records_removed: int  # duplicates + automation + other, before screening
    records_excluded: int  # at title/abstract: human + automation
    website_results: int
    organisation_results: int
    citations_results: int
    other_unmapped: tuple[Count, ...]  # other methods without a PRISMA2020 CSV row
    other_identified: int  # all other methods
    reports_excluded_total: int
    other_excluded_total: int
    total_studies: int
    total_reports: int
    has_previous: bool
    has_other: bool
    notes: tuple[str, ...]

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: fall back to the inputs' fields.
        if name in _INPUT_FIELDS and "inputs" in self.__dict__:
            return getattr(self.inputs, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


_INPUT_FIELDS = frozenset(f.name for f in fields(FlowInputs))


def build_flow(inputs: FlowInputs) -> Flow:
    """Check every rule; return the Flow or raise InvariantError listing each broken rule."""
    problems = _check_values(inputs)
    if problems:
        raise _invariant_error(problems)
    mapped, unmapped, mapping_problems = _map_other_methods(inputs.other_methods)
    if mapping_problems:
        raise _invariant_error(mapping_problems)
    flow = _derive(inputs, mapped, unmapped)
    problems = _check_rules(flow)
    if problems:
        raise _invariant_error(problems)
    return flow


def _invariant_error(problems: list[str]) -> InvariantError:
    head = "PRISMA flow numbers do not add up" if len(problems) > 1 else "PRISMA flow"
    lines = "\n".join(f"  - {p}" for p in problems)
    return InvariantError(f"{head}:\n{lines}" if len(problems) > 1 else f"{head}: {problems[0]}")


def _check_values(inputs: FlowInputs) -> list[str]:
    problems = []
    for f in fields(inputs):
        value = getattr(inputs, f.name)
        if f.name == "as_of":
            if not isinstance(value, str):
                problems.append(f"as_of must be a string, not {value!r}")
        elif isinstance(value, tuple | list):
            problems.extend(_check_breakdown(f.name, value))
        elif not _is_count(value):
            problems.append(f"{f.name} must be a whole number >= 0, not {value!r}")
    return problems


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_breakdown(field_name: str, items) -> list[str]:
    problems, seen = [], set()
    for item in items:
        if not isinstance(item, Count):
            problems.append(f"{field_name} must hold Count(name, n) items, not {item!r}")
            continue
        name = item.name.strip() if isinstance(item.name, str) else ""
        if not name:
            problems.append(f"{field_name}: every item needs a name, not {item.name!r}")
        elif name.casefold() in seen:
            problems.append(f"{field_name}: {name!r} appears more than once")
        seen.add(name.casefold())
        if not _is_count(item.n):
            problems.append(f"{field_name}: {item.name!r} must be a whole number >= 0")
    return problems


def _map_other_methods(items: tuple[Count, ...]):
    """Sort other methods into the three template rows; the rest stay unmapped."""
    mapped: dict[str, Count] = {}
    unmapped, problems = [], []
    for item in items:
        key = other_method_key(item.name)
        if key is None:
            unmapped.append(item)
        elif key in mapped:
            problems.append(
                f"other_methods: {mapped[key].name!r} and {item.name!r} both count {key}; "
                "give one number per method"
            )
        else:
            mapped[key] = item
    return {k: c.n for k, c in mapped.items()}, tuple(unmapped), problems


def other_method_key(name: str) -> str | None:
    """The template key for an other-method name ("Websites" -> "website_results"), or None."""
    wanted = " ".join(name.casefold().split())
    for key, names in OTHER_METHOD_KEYS.items():
        if wanted in names:
            return key
    return None


def _derive(inputs: FlowInputs, mapped: dict[str, int], unmapped: tuple[Count, ...]) -> Flow:
    database_results = sum(c.n for c in inputs.databases)
    register_results = sum(c.n for c in inputs.registers)
    other_identified = sum(c.n for c in inputs.other_methods)
    other_excluded_total = sum(c.n for c in inputs.other_excluded)
    has_other = bool(inputs.other_methods) or any(
        (inputs.other_sought, inputs.other_not_retrieved, inputs.other_assessed)
    )
    return Flow(
        inputs=inputs,
        database_results=database_results,
        register_results=register_results,
        records_identified=database_results + register_results,
        records_removed=inputs.duplicates_removed
        + inputs.automation_excluded
        + inputs.other_removed,
        records_excluded=inputs.records_excluded_human + inputs.records_excluded_automation,
        website_results=mapped.get("website_results", 0),
        organisation_results=mapped.get("organisation_results", 0),
        citations_results=mapped.get("citations_results", 0),
        other_unmapped=unmapped,
        other_identified=other_identified,
        reports_excluded_total=sum(c.n for c in inputs.reports_excluded),
        other_excluded_total=other_excluded_total,
        total_studies=inputs.previous_studies + inputs.studies_included,
        total_reports=inputs.previous_reports + inputs.reports_included,
        has_previous=inputs.previous_studies > 0 or inputs.previous_reports > 0,
        has_other=has_other or other_excluded_total > 0,
        notes=_notes(inputs, unmapped),
    )


def _check_rules(flow: Flow) -> list[str]:
    i = flow.inputs
    problems = [
        _equal(
            "R1 identification: records identified from databases and registers "
            f"({flow.records_identified}) − removed before screening ({flow.records_removed}: "
            f"duplicates {i.duplicates_removed}, automation {i.automation_excluded}, "
            f"other {i.other_removed})",
            flow.records_identified - flow.records_removed,
            "records screened",
            i.records_screened,
        ),
        _equal(
            f"R2 screening: records screened ({i.records_screened}) − records excluded "
            f"({flow.records_excluded}: human {i.records_excluded_human}, automation "
            f"{i.records_excluded_automation}) − records undecided ({i.records_undecided})",
            i.records_screened - flow.records_excluded - i.records_undecided,
            "reports sought for retrieval",
            i.reports_sought,
        ),
        _equal(
            f"R3 retrieval: reports sought ({i.reports_sought}) − not retrieved "
            f"({i.reports_not_retrieved})",
            i.reports_sought - i.reports_not_retrieved,
            "reports assessed",
            i.reports_assessed,
        ),
        _equal(
            f"R3 retrieval (other methods): reports sought ({i.other_sought}) − not retrieved "
            f"({i.other_not_retrieved})",
            i.other_sought - i.other_not_retrieved,
            "reports assessed (other methods)",
            i.other_assessed,
        ),
        _at_most(
            "R4 other methods: reports sought (other methods)",
            i.other_sought,
            "records identified via other methods",
            flow.other_identified,
        ),
        _at_most(
            "R5 full text: reports excluded with reasons",
            flow.reports_excluded_total,
            "reports assessed",
            i.reports_assessed,
        ),
        _at_most(
            "R5 full text (other methods): reports excluded with reasons",
            flow.other_excluded_total,
            "reports assessed (other methods)",
            i.other_assessed,
        ),
        _equal(
            f"R6 inclusion: reports assessed ({i.reports_assessed}) − excluded "
            f"({flow.reports_excluded_total}) + other-methods reports assessed "
            f"({i.other_assessed}) − excluded ({flow.other_excluded_total}) − reports "
            f"undecided ({i.reports_undecided})",
            i.reports_assessed
            - flow.reports_excluded_total
            + i.other_assessed
            - flow.other_excluded_total
            - i.reports_undecided,
            "reports of new included studies",
            i.reports_included,
        ),
    ]
    problems += _studies_vs_reports("new", i.studies_included, i.reports_included)
    problems += _studies_vs_reports("previous version", i.previous_studies, i.previous_reports)
    problems += _studies_vs_reports(
        "meta-analysis", i.meta_analysis_studies, i.meta_analysis_reports
    )
    problems += [
        _at_most(
            "R8 meta-analysis: studies",
            i.meta_analysis_studies,
            "total studies",
            flow.total_studies,
        ),
        _at_most(
            "R8 meta-analysis: reports",
            i.meta_analysis_reports,
            "total reports",
            flow.total_reports,
        ),
    ]
    return [p for p in problems if p]


def _equal(left_text: str, left: int, right_name: str, right: int) -> str:
    if left == right:
        return ""
    return f"{left_text} = {left} ≠ {right_name} ({right})"


def _at_most(left_name: str, left: int, right_name: str, right: int) -> str:
    if left <= right:
        return ""
    return f"{left_name} ({left}) > {right_name} ({right})"


def _studies_vs_reports(which: str, studies: int, reports: int) -> list[str]:
    if studies > reports:
        return [f"R7 {which}: studies ({studies}) > reports ({reports}); every study has a report"]
    if reports > 0 and studies == 0:
        return [f"R7 {which}: reports ({reports}) but no studies; reports belong to studies"]
    return []


def _notes(inputs: FlowInputs, unmapped: tuple[Count, ...]) -> tuple[str, ...]:
    notes = []
    if inputs.records_undecided:
        notes.append(
            f"{inputs.records_undecided} screened records are still awaiting a decision; "
            "they are not counted as excluded. The PRISMA2020 CSV has no box for them."
        )
    if inputs.reports_undecided:
        notes.append(
            f"{inputs.reports_undecided} reports assessed at full text are still awaiting "
            "a decision; they are not counted as excluded. The PRISMA2020 CSV has no box "
            "for them."
        )
    for item in unmapped:
        notes.append(
            f"Other method {item.name!r} (n = {item.n}) has no row in the PRISMA2020 CSV "
            "(only Websites, Organisations and Citation searching); the other outputs show it."
        )
    for field_name in ("databases", "registers", "reports_excluded", "other_excluded"):
        for item in getattr(inputs, field_name):
            if any(sep in item.name for sep in CSV_SEPARATORS):
                notes.append(
                    f"{field_name}: {item.name!r} contains ',' or ';', which the PRISMA2020 "
                    f"CSV uses as separators; the CSV writes it as {csv_safe_name(item.name)!r}."
                )
    return tuple(notes)


def csv_safe_name(name: str) -> str:
    """A name the PRISMA2020 reason parser reads back whole: no ';' or ',' (and no control
    characters, which the CSV's readers would keep)."""
    name = clean_line(name)
    for sep in CSV_SEPARATORS:
        name = name.replace(sep, " / ")
    name = " ".join(name.split())
    # A spreadsheet runs a cell starting with = + - @ as a formula (OWASP): quote it.
    return "'" + name if name[:1] in ("=", "+", "-", "@") else name
