"""PRISMA 2020 core: invariants, JSON, the PRISMA2020 CSV (real and built-in template), text."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from screener.errors import InvariantError
from screener.prisma import (
    COLUMNS,
    Count,
    FlowInputs,
    PrismaTemplateError,
    build_flow,
    builtin_template,
    to_markdown,
    to_prisma_csv,
    to_prisma_json,
    to_text,
)
from screener.prisma.csvexport import _parse, _serialize

SHARED = Path(__file__).resolve().parents[2] / "shared"
TEMPLATE = SHARED / "fixtures" / "prisma2020" / "PRISMA.csv"
C = Count

# The exosome review, counted by hand:
#   identified 120 + 95 + 110 = 325; 325 - 130 duplicates = 195 screened;
#   195 - 160 excluded = 35 sought; 35 - 2 not retrieved = 33 assessed;
#   33 - (10 + 8 + 4 = 22) excluded = 11 reports, of 11 studies.
EXOSOME = FlowInputs(
    databases=(C("PubMed", 120), C("Scopus", 95), C("Embase", 110)),
    registers=(),
    other_methods=(),
    duplicates_removed=130,
    records_screened=195,
    records_excluded_human=160,
    reports_sought=35,
    reports_not_retrieved=2,
    reports_assessed=33,
    reports_excluded=(
        C("Wrong population", 10),
        C("Wrong outcome", 8),
        C("Conference abstract", 4),
    ),
    studies_included=11,
    reports_included=11,
    as_of="2026-11-03",
)
EXOSOME_JSON = {
    "previous_studies": 0,
    "previous_reports": 0,
    "database_results": 325,
    "database_specific_results": [
        {"name": "PubMed", "n": 120},
        {"name": "Scopus", "n": 95},
        {"name": "Embase", "n": 110},
    ],
    "register_results": 0,
    "register_specific_results": [],
    "website_results": 0,
    "organisation_results": 0,
    "citations_results": 0,
    "duplicates": 130,
    "excluded_automatic": 0,
    "excluded_other": 0,
    "records_screened": 195,
    "records_excluded": 160,
    "dbr_sought_reports": 35,
    "dbr_notretrieved_reports": 2,
    "other_sought_reports": 0,
    "other_notretrieved_reports": 0,
    "dbr_assessed": 33,
    "dbr_excluded": [
        {"name": "Wrong population", "n": 10},
        {"name": "Wrong outcome", "n": 8},
        {"name": "Conference abstract", "n": 4},
    ],
    "other_assessed": 0,
    "other_excluded": [],
    "new_studies": 11,
    "new_reports": 11,
    "total_studies": 11,
    "total_reports": 11,
    "total_studies_ma": 0,
    "total_reports_ma": 0,
}
# What the `n` column must hold for the exosome review (rows not listed keep the template's).
EXOSOME_N = {key: str(value) for key, value in EXOSOME_JSON.items() if isinstance(value, int)} | {
    "database_specific_results": "PubMed, 120; Scopus, 95; Embase, 110",
    "register_specific_results": "0",  # none: never the template's "Register 1, xxx; ..."
    "dbr_excluded": "Wrong population, 10; Wrong outcome, 8; Conference abstract, 4",
    "other_excluded": "0",
}

# An updated review with every column: other methods, undecided items, automation, registers.
#   identified 325 + 15 = 340; removed 140 + 5 + 3 = 148; screened 192;
#   192 - (150 + 2) excluded - 5 undecided = 35 sought; 35 - 2 = 33 assessed;
#   other methods: 6 + 2 + 12 + 3 = 23 identified; 9 sought - 1 = 8 assessed; 5 excluded;
#   included reports: (33 - 22) + (8 - 5) - 3 undecided = 11, of 10 studies;
#   totals: 20 + 10 = 30 studies, 26 + 11 = 37 reports.
FULL = FlowInputs(
    databases=(C("PubMed", 120), C("Scopus", 95), C("Embase", 110)),
    registers=(C("ClinicalTrials.gov", 15),),
    other_methods=(
        C("Websites", 6),
        C("Organisations", 2),
        C("Citation searching", 12),
        C("Hand searching", 3),
    ),
    duplicates_removed=140,
    automation_excluded=5,
    other_removed=3,
    records_screened=192,
    records_excluded_human=150,
    records_excluded_automation=2,
    records_undecided=5,
    reports_sought=35,
    reports_not_retrieved=2,
    reports_assessed=33,
    reports_excluded=(C("Wrong population", 10), C("Wrong outcome", 8), C("No full data", 4)),
    reports_undecided=3,
    other_sought=9,
    other_not_retrieved=1,
    other_assessed=8,
    other_excluded=(C("Wrong design", 5),),
    studies_included=10,
    reports_included=11,
    previous_studies=20,
    previous_reports=26,
    meta_analysis_studies=25,
    meta_analysis_reports=30,
    as_of="2026-11-03",
)


def template_text() -> str:
    if not TEMPLATE.exists():
        pytest.skip(
            f"../shared is absent ({TEMPLATE} not found): the PRISMA2020 template is not here"
        )
    # newline="" keeps the template's CRLF line endings, as a caller should.
    with TEMPLATE.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- flow and JSON -------------------------------------------------------------------------


def test_exosome_json_every_key():
    data = to_prisma_json(build_flow(EXOSOME))
    assert json.loads(json.dumps(data)) == data
    assert data == EXOSOME_JSON | {
        "screener": {
            "as_of": "2026-11-03",
            "records_identified": 325,
            "records_removed": 130,
            "records_excluded_human": 160,
            "records_excluded_automation": 0,
            "records_undecided": 0,
            "reports_undecided": 0,
            "dbr_excluded_total": 22,
            "other_excluded_total": 0,
            "other_identified": 0,
            "other_methods": [],
            "other_methods_without_csv_row": [],
            "notes": [],
        }
    }


def test_flow_reads_inputs_through_and_derives_totals():
    flow = build_flow(FULL)
    assert flow.records_screened == 192  # an input, read through
    assert (flow.database_results, flow.register_results, flow.records_identified) == (325, 15, 340)
    assert (flow.records_removed, flow.records_excluded) == (148, 152)
    assert (flow.website_results, flow.organisation_results, flow.citations_results) == (6, 2, 12)
    assert flow.other_unmapped == (C("Hand searching", 3),)
    assert (flow.other_identified, flow.reports_excluded_total, flow.other_excluded_total) == (
        23,
        22,
        5,
    )
    assert (flow.total_studies, flow.total_reports) == (30, 37)
    assert flow.has_previous and flow.has_other
    assert not build_flow(EXOSOME).has_previous and not build_flow(EXOSOME).has_other


VIOLATIONS = [
    # (changes, text the message must contain)
    (
        {"records_screened": 190},
        "R1 identification: records identified from databases and registers (325) − removed "
        "before screening (130: duplicates 130, automation 0, other 0) = 195 ≠ records screened "
        "(190)",
    ),
    (
        {"records_excluded_human": 150},
        "R2 screening: records screened (195) − records excluded (150: human 150, automation 0) "
        "− records undecided (0) = 45 ≠ reports sought for retrieval (35)",
    ),
    (
        {"reports_not_retrieved": 3},
        "R3 retrieval: reports sought (35) − not retrieved (3) = 32 ≠ reports assessed (33)",
    ),
    (
        {"reports_included": 12},
        "R6 inclusion: reports assessed (33) − excluded (22) + other-methods reports assessed (0) "
        "− excluded (0) − reports undecided (0) = 11 ≠ reports of new included studies (12)",
    ),
    ({"studies_included": 12}, "R7 new: studies (12) > reports (11)"),
    ({"previous_studies": 3}, "R7 previous version: studies (3) > reports (0)"),
    ({"previous_reports": 3}, "R7 previous version: reports (3) but no studies"),
    ({"meta_analysis_studies": 12, "meta_analysis_reports": 12}, "R8 meta-analysis: studies (12)"),
    ({"other_sought": 1, "other_assessed": 1}, "R4 other methods: reports sought (other methods)"),
    (
        {"other_methods": (C("Websites", 4),), "other_sought": 2, "other_assessed": 1},
        "R3 retrieval (other methods): reports sought (2) − not retrieved (0) = 2 ≠ reports "
        "assessed (other methods) (1)",
    ),
    (
        {"reports_excluded": (C("Wrong population", 40),)},
        "R5 full text: reports excluded with reasons (40) > reports assessed (33)",
    ),
    ({"duplicates_removed": -1}, "duplicates_removed must be a whole number >= 0, not -1"),
    ({"records_screened": 195.0}, "records_screened must be a whole number >= 0, not 195.0"),
    ({"reports_sought": True}, "reports_sought must be a whole number >= 0, not True"),
    ({"databases": (C("PubMed", 120), C("pubmed", 205))}, "'pubmed' appears more than once"),
    ({"databases": (C(" ", 325),)}, "databases: every item needs a name"),
    ({"databases": (("PubMed", 325),)}, "must hold Count(name, n) items"),
    ({"reports_excluded": (C("Wrong outcome", -22),)}, "'Wrong outcome' must be a whole number"),
    (
        {"other_methods": (C("Websites", 2), C("web sites", 1))},
        "'Websites' and 'web sites' both count website_results",
    ),
]


@pytest.mark.parametrize(("changes", "message"), VIOLATIONS)
def test_broken_rule_raises_readable_invariant_error(changes, message):
    with pytest.raises(InvariantError) as caught:
        build_flow(replace(EXOSOME, **changes))
    assert message in str(caught.value)


def test_every_broken_rule_is_listed_at_once():
    with pytest.raises(InvariantError) as caught:
        build_flow(replace(EXOSOME, records_screened=190, reports_assessed=30))
    text = str(caught.value)
    assert text.startswith("PRISMA flow numbers do not add up:\n")
    assert "≠ records screened (190)" in text
    assert "= 30 ≠ reports sought for retrieval (35)" in text  # 190 - 160
    assert "= 33 ≠ reports assessed (30)" in text  # 35 - 2
    assert "= 8 ≠ reports of new included studies (11)" in text  # 30 - 22
    assert text.count("\n  - ") == 4


def test_undecided_records_are_never_excluded():
    # 5 more records screened, still undecided: screened 200, excluded stays 160.
    inputs = replace(EXOSOME, duplicates_removed=125, records_screened=200, records_undecided=5)
    flow = build_flow(inputs)
    data = to_prisma_json(flow)
    assert data["records_screened"] == 200
    assert data["records_excluded"] == 160
    assert data["screener"]["records_undecided"] == 5
    assert any("5 screened records are still awaiting a decision" in n for n in flow.notes)
    text = to_text(flow)
    assert "Records excluded (n = 160)" in text
    assert (
        "Records awaiting a screening decision (n = 5)  [awaiting a decision, not excluded]" in text
    )
    assert (
        "Records awaiting a screening decision (n = 5) *(awaiting a decision, not excluded)*"
        in (to_markdown(flow))
    )
    # Counting them as excluded instead breaks R2.
    with pytest.raises(InvariantError, match="R2 screening"):
        build_flow(replace(inputs, records_excluded_human=165))


def test_undecided_reports_count_as_assessed_not_excluded():
    flow = build_flow(FULL)
    data = to_prisma_json(flow)
    assert data["dbr_assessed"] == 33
    assert data["dbr_excluded"] == [
        {"name": "Wrong population", "n": 10},
        {"name": "Wrong outcome", "n": 8},
        {"name": "No full data", "n": 4},
    ]
    assert data["screener"]["reports_undecided"] == 3
    assert "Reports awaiting an eligibility decision (n = 3)" in to_text(flow)


def test_other_methods_map_to_template_rows_and_unknown_ones_are_noted():
    flow = build_flow(FULL)
    data = to_prisma_json(flow)
    assert (data["website_results"], data["organisation_results"], data["citations_results"]) == (
        6,
        2,
        12,
    )
    assert data["screener"]["other_methods_without_csv_row"] == [{"name": "Hand searching", "n": 3}]
    assert any("'Hand searching' (n = 3) has no row" in note for note in flow.notes)
    assert "Hand searching (n = 3)" in to_text(flow)


# --- the PRISMA2020 CSV ----------------------------------------------------------------------


def assert_only_n_filled(out: str, template: str, expected_n: dict[str, str]):
    got, want = rows_of(out), rows_of(template)
    assert got[0] == list(COLUMNS) == want[0]
    assert len(got) == len(want) and [r[0] for r in got] == [r[0] for r in want]
    for got_row, want_row in zip(got[1:], want[1:], strict=True):
        assert got_row[:7] == want_row[:7], got_row[0]
        assert got_row[7] == expected_n.get(got_row[0], want_row[7]), got_row[0]


def test_csv_with_real_template_fills_only_n():
    template = template_text()
    out = to_prisma_csv(build_flow(EXOSOME), template)
    assert_only_n_filled(out, template, EXOSOME_N)
    assert len([r for r in rows_of(out)[1:] if r[0] != "NA"]) >= 31
    # Same bytes apart from `n`: CRLF, quoting, no final newline, untouched rows identical.
    assert out.count("\r\n") == template.count("\r\n") and "\n" not in out.replace("\r\n", "")
    assert out.endswith("\r\n") == template.endswith("\r\n")
    untouched = [line for line in template.split("\r\n") if line.startswith(("NA,", "identific"))]
    assert all(line in out.split("\r\n") for line in untouched)


def test_real_template_round_trips_byte_for_byte():
    template = template_text()
    rows = _parse(template)
    assert _serialize(rows, "\r\n", final_newline=template.endswith("\n")) == template


def test_builtin_template_has_the_real_templates_keys_boxes_and_placeholders():
    real, ours = rows_of(template_text()), rows_of(builtin_template())
    assert ours[0] == real[0] == list(COLUMNS)
    assert [r[0] for r in ours] == [r[0] for r in real]  # the `data` keys, in order
    assert [r[2] for r in ours] == [r[2] for r in real]  # box ids (read by position)
    assert [r[7] for r in ours] == [r[7] for r in real]  # placeholders and zeros
    # Tooltips on the same rows (the R package indexes some of them by position).
    assert [r[5] == "NA" for r in ours] == [r[5] == "NA" for r in real]


# The columns in our own words; every other cell must be the package template's.
TEXT_COLUMNS = ("description", "boxtext", "tooltips")


def test_builtin_template_equals_the_package_template_in_every_non_text_cell():
    real, ours = rows_of(template_text()), rows_of(builtin_template())
    assert len(ours) == len(real)
    for number, (mine, theirs) in enumerate(zip(ours, real, strict=True), start=1):
        for column, (cell, expected) in enumerate(zip(mine, theirs, strict=True)):
            name = COLUMNS[column]
            if name in TEXT_COLUMNS:
                # Which rows carry a tooltip matters to the package (NA means none).
                assert (cell == "NA") == (expected == "NA"), (number, name, cell)
            else:
                assert cell == expected, (number, mine[0], name, cell, expected)


def test_filled_csv_equals_the_package_template_but_n_and_the_text_columns():
    real = rows_of(template_text())
    for inputs in (
        EXOSOME,
        FULL,
        replace(
            EXOSOME,
            databases=(),
            duplicates_removed=0,
            records_screened=0,
            records_excluded_human=0,
            reports_sought=0,
            reports_not_retrieved=0,
            reports_assessed=0,
            reports_excluded=(),
            studies_included=0,
            reports_included=0,
        ),
    ):
        ours = rows_of(to_prisma_csv(build_flow(inputs)))
        keep = [i for i, name in enumerate(COLUMNS) if name not in (*TEXT_COLUMNS, "n")]
        assert [[r[i] for i in keep] for r in ours] == [[r[i] for i in keep] for r in real]
        n = {r[0]: r[7] for r in ours}
        assert "xxx" not in "".join(n.values())  # no placeholder survives filling


def test_no_registers_or_databases_is_written_as_zero_not_the_placeholder():
    n = {r[0]: r[7] for r in rows_of(to_prisma_csv(build_flow(EXOSOME)))}
    assert n["register_specific_results"] == "0" and n["register_results"] == "0"
    # The package reads a cell of digits as a count with no named items (no "Register 1").
    assert n["register_specific_results"].isdigit()
    assert n["other_excluded"] == "0"


def test_csv_with_builtin_template():
    out = to_prisma_csv(build_flow(EXOSOME))
    assert_only_n_filled(out, builtin_template(), EXOSOME_N)
    assert out.endswith("\n") and "\r" not in out
    assert all(len(row) == 8 for row in rows_of(out))


def test_builtin_template_keys_never_contain_one_another():
    # The R package finds rows with grep(key): a key inside another would match twice.
    keys = [r[0] for r in rows_of(builtin_template())[1:] if r[0] != "NA"]
    anchored = {"total_studies", "total_reports"}  # grep'd as "total_studies$" in the package
    for key in keys:
        others = [k for k in keys if k != key and key in k]
        assert not others or key in anchored, (key, others)


def parse_like_prisma2020(cell: str) -> list[tuple[str, str]]:
    """The R package's reading of a reason cell: split on ';', label before the first comma."""
    items = re.split(r"; ?", cell)
    return [(item.split(",")[0], re.sub(r"[^0-9]", "", item.partition(",")[2])) for item in items]


def test_breakdown_names_with_separators_are_read_back_whole():
    inputs = replace(
        EXOSOME,
        reports_excluded=(C("Wrong population (adults, not children)", 10), C("A; B", 12)),
    )
    flow = build_flow(inputs)
    row = next(r for r in rows_of(to_prisma_csv(flow)) if r[0] == "dbr_excluded")
    assert parse_like_prisma2020(row[7]) == [
        ("Wrong population (adults / not children)", "10"),
        ("A / B", "12"),
    ]
    assert sum("contains ',' or ';'" in note for note in flow.notes) == 2


def test_updated_review_csv_and_json():
    flow = build_flow(FULL)
    data = to_prisma_json(flow)
    assert (data["previous_studies"], data["previous_reports"]) == (20, 26)
    assert (data["new_studies"], data["new_reports"]) == (10, 11)
    assert (data["total_studies"], data["total_reports"]) == (30, 37)
    assert (data["total_studies_ma"], data["total_reports_ma"]) == (25, 30)
    n = {row[0]: row[7] for row in rows_of(to_prisma_csv(flow))}
    assert (n["previous_studies"], n["total_studies"], n["total_reports"]) == ("20", "30", "37")
    assert n["register_specific_results"] == "ClinicalTrials.gov, 15"
    assert n["other_excluded"] == "Wrong design, 5"
    assert (n["website_results"], n["citations_results"], n["other_sought_reports"]) == (
        "6",
        "12",
        "9",
    )
    assert n["records_excluded"] == "152" and n["excluded_automatic"] == "5"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("data,node,box\nx,y,z\n", "must start with the header"),
        ("", "must start with the header"),
        ("data,node,box,description,boxtext,tooltips,url,n\nduplicates,NA,box3\n", "has 3 cells"),
        ("data,node,box,description,boxtext,tooltips,url,n\nduplicates,,,,,,,0\n", "no row for"),
    ],
)
def test_unusable_template_is_refused(template, message):
    with pytest.raises(PrismaTemplateError, match=message):
        to_prisma_csv(build_flow(EXOSOME), template)


def test_template_with_a_key_twice_is_refused():
    text = builtin_template()
    doubled = text + "duplicates,NA,box3,again,Duplicate records,NA,NA,0\n"
    with pytest.raises(PrismaTemplateError, match="two rows for 'duplicates'"):
        to_prisma_csv(build_flow(EXOSOME), doubled)


def test_byte_order_mark_and_line_ending_are_kept():
    text = "\ufeff" + builtin_template().replace("\n", "\r\n")
    out = to_prisma_csv(build_flow(EXOSOME), text)
    assert out.startswith("\ufeffdata,node,box,") and out.endswith("\r\n")


# --- text and Markdown -----------------------------------------------------------------------


def test_text_shows_every_box():
    text = to_text(build_flow(FULL))
    for expected in [
        "PRISMA 2020 flow diagram (numbers as of 2026-11-03)",
        "Previous studies",
        "Studies included in previous version of review (n = 20)",
        "Identification of new studies via databases and registers",
        "Databases (n = 325)",
        "PubMed (n = 120)",
        "Registers (n = 15)",
        "Duplicate records removed (n = 140)",
        "Records marked as ineligible by automation tools (n = 5)",
        "Records removed for other reasons (n = 3)",
        "Identification of new studies via other methods",
        "Citation searching (n = 12)",
        "Records screened (n = 192)",
        "Records excluded (n = 152)",
        "by a human (n = 150)",
        "by automation tools (n = 2)",
        "Reports sought for retrieval (n = 35)",
        "Reports not retrieved (n = 2)",
        "Reports assessed for eligibility (n = 33)",
        "Reports excluded (n = 22)",
        "Reports sought for retrieval (n = 9)",
        "Reports excluded (n = 5)",
        "New studies included in review (n = 10)",
        "Reports of new included studies (n = 11)",
        "Total studies included in review (n = 30)",
        "Reports of total included studies (n = 37)",
        "Studies included in meta-analysis (n = 25)",
    ]:
        assert expected in text, expected
    # Phases in order.
    assert text.index("IDENTIFICATION") < text.index("SCREENING") < text.index("INCLUDED")


def test_new_review_text_uses_the_new_review_labels():
    text = to_text(build_flow(EXOSOME))
    assert "Identification of studies via databases and registers" in text
    assert "Studies included in review (n = 11)" in text
    assert "Reports of included studies (n = 11)" in text
    assert "previous" not in text.lower() and "other methods" not in text


def test_markdown_lists_every_box_and_escapes_names():
    inputs = replace(EXOSOME, databases=(C("PubMed", 120), C("Scopus*", 95), C("Embase", 110)))
    md = to_markdown(build_flow(inputs))
    assert md.startswith("## PRISMA 2020 flow diagram\n\n*Numbers as of 2026-11-03.*\n")
    assert "    - Scopus\\* (n = 95)" in md
    assert "- Reports excluded (n = 22)\n  - Wrong population (n = 10)" in md
    for heading in ("### Identification", "### Screening", "### Included"):
        assert heading in md


def test_core_imports_no_ui_toolkit():
    code = (
        "import sys, screener.prisma; "
        "print(sorted(m for m in ('textual', 'click', 'rich', 'sqlite3') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_csv_names_carry_no_control_characters():
    flow = build_flow(replace(EXOSOME, reports_excluded=(C("Wrong\x1b[1m population\x07", 22),)))
    n = {r[0]: r[7] for r in rows_of(to_prisma_csv(flow))}
    assert n["dbr_excluded"] == "Wrong population, 22"
