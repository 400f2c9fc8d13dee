"""Exchange formats, the pure parts and the files: handling codes in exports, rows of CSV/XLSX, the
CEN-style Excel upload, STIX 2.1 bundles (checked by stix2-validator) and their import."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from stix2validator import ValidationOptions, validate_string

from rilo_node.cli.formats import iter_workbook, write_table
from rilo_node.core import products
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.core.seizure import submission_json
from rilo_node.core.stix import SEIZURE_SCO, TLP_MARKINGS, bundle_json, bundle_seizures
from tests.conftest import seizure_example


def record(origin="de", rid="01JQ6ZK0000000000000000003", policy=None, **body_overrides):
    body = seizure_example(**body_overrides)
    body.pop("policy")
    annex = body.pop("annex")
    return {"origin": origin, "record_id": rid, "version": 2, "kind": "SEIZURE",
            "created_at": "2026-03-15T10:00:00.123456Z",
            "policy": policy or {"share": {"scope": "REGION"}, "tlp": "AMBER", "handling": "H0"},
            "body": body, "annex": annex, "withdrawn": False}


# -- handling codes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("origin, policy, me, allowed", [
    ("de", {"handling": "H2"}, "de", True),                                   # its own record
    ("de", {"handling": "H2"}, "fr", False),                                  # no onward dissemination
    ("de", {"handling": "H2", "share": {"scope": "REGION", "nodes": ["fr"]}}, "fr", True),  # released to fr
    ("de", {"handling": "H2", "share": {"scope": "REGION", "nodes": ["nl"]}}, "fr", False),  # released to another
    ("de", {"handling": "H1"}, "fr", True),
    ("de", {"handling": "H3", "handling_note": "x"}, "fr", True),
    ("de", {}, "fr", True),                                                   # H0 by default
])
def test_h2_leaves_exports_unless_own_or_released(origin, policy, me, allowed):
    assert products.may_disseminate(origin, policy, me) is allowed
    hit = {"origin": origin, "handling": policy.get("handling", "H0"), "policy": policy}
    assert products.hit_may_disseminate(hit, me) is allowed


def test_seizure_rows_are_one_per_item_and_leave_the_annex_out_unless_asked():
    rec = record(items=[{"section": "DRUGS", "category": "COCAINE", "quantity": 1.5, "unit": "KG"},
                        {"section": "REVENUE", "category": "TOBACCO_PRODUCTS", "quantity": 200, "unit": "PIECES"}])
    rows = products.seizure_rows(rec)
    assert [r["item"] for r in rows] == [1, 2]
    assert [r["category"] for r in rows] == ["COCAINE", "TOBACCO_PRODUCTS"]
    assert rows[0]["tlp"] == "AMBER" and rows[0]["handling"] == "H0" and rows[0]["transit_countries"] == "PA"
    assert "annex_json" not in rows[0] and "NL" not in json.dumps(rows)
    with_annex = products.seizure_rows(rec, with_annex=True)
    assert json.loads(with_annex[0]["annex_json"])["offenders"][0]["nationality"] == "NL"


def test_stats_rows_show_a_hidden_group_as_below_k():
    stats = {"groups": [{"key": {"section": "DRUGS"}, "cases": 7, "items": 9},
                        {"key": {"section": "REVENUE"}, "cases": 0, "items": 0, "below": 5}]}
    assert products.stats_rows(stats, ["section"]) == [
        {"section": "DRUGS", "cases": 7, "items": 9}, {"section": "REVENUE", "cases": "<5", "items": ""}]


def test_a_group_with_shown_figures_and_a_hidden_part_shows_both():
    stats = {"groups": [{"key": {"section": "DRUGS"}, "cases": 7, "items": 9, "below": 5}]}
    assert products.stats_rows(stats, ["section"]) == [{"section": "DRUGS", "cases": "7 + <5", "items": "9"}]
    assert products.cases_text(3) == "3" and products.cases_text(0, 10) == "<10"


# -- CSV and XLSX files ------------------------------------------------------------------------------

def test_tables_round_trip_through_csv_and_xlsx_and_never_write_a_formula(tmp_path):
    rows = [{"a": "=HYPERLINK(\"http://x\")", "b": 3}, {"a": "-1+2", "b": 2.5}, {"a": "plain", "b": True}]
    write_table(rows, ("a", "b"), "csv", str(tmp_path / "t.csv"))
    back = list(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text())))
    assert [r["a"] for r in back] == ["'=HYPERLINK(\"http://x\")", "'-1+2", "plain"]
    assert write_table(rows, ("a", "b"), "xlsx", str(tmp_path / "t.xlsx")) == 3
    sheet = load_workbook(tmp_path / "t.xlsx").active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["a", "b"] and values[1] == ["'=HYPERLINK(\"http://x\")", 3]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    with pytest.raises(CliError, match="--out"):
        write_table(rows, ("a", "b"), "xlsx", None)


def cen_workbook(path, sheets: dict[str, list[list]]):
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return str(path)


HEADER = ["case_ref", "seizure_date", "country", "category", "quantity", "unit", "location_type"]


def test_the_cen_upload_reads_one_sheet_per_commodity_group(tmp_path):
    import datetime

    path = cen_workbook(tmp_path / "cen.xlsx", {
        "Drugs": [HEADER, ["A-1", datetime.date(2026, 3, 14), "DE", "COCAINE", 12.5, "KG", "AIRPORT"],
                  [None] * 7,  # an empty row is skipped
                  ["A-2", "2026-03-15", "DE", "CANNABIS", 3, "KG", "SEAPORT"]],
        "Revenue": [HEADER, ["B-1", "2026-03-16", "DE", "TOBACCO_PRODUCTS", 4000, "PIECES", "LAND_BOUNDARY"]],
    })
    found = list(iter_workbook(path))
    assert [str(w) for w, _ in found] == ["sheet 'Drugs', row 2", "sheet 'Drugs', row 4", "sheet 'Revenue', row 2"]
    cases = [submission_json(s) for _, s in found]
    assert cases[0]["seizure_date"] == "2026-03-14" and cases[0]["items"][0]["section"] == "DRUGS"
    assert cases[0]["items"][0]["quantity"] == 12.5 and cases[2]["items"][0]["section"] == "REVENUE"
    assert cases[2]["items"][0]["category"] == "TOBACCO_PRODUCTS" and all(c["record_id"] for c in cases)
    # Reading again gives the same record ids: an interrupted upload never stores a case twice.
    assert [submission_json(s)["record_id"] for _, s in iter_workbook(path)] == [c["record_id"] for c in cases]


def test_cen_upload_errors_name_sheet_row_and_column(tmp_path):
    path = cen_workbook(tmp_path / "cen.xlsx", {
        "Drugs": [HEADER, ["A-1", "2026-03-14", "DE", "COCAINE", "lots", "KG", "AIRPORT"],
                  ["A-2", "2026-03-14", None, "COCAINE", 1, "KG", "AIRPORT"],
                  ["A-3", "2026-03-14", "DE", "TOBACCO_PRODUCTS", 1, "KG", "AIRPORT"],
                  ["A-4", "2026-03-14", "DE", "COCAINE", 1, "KG", "PORT"]],
    })
    errors = {str(w): e for w, e in iter_workbook(path)}
    assert all(isinstance(e, ValidationError) for e in errors.values())
    assert str(errors["sheet 'Drugs', row 2"]).startswith("column E (quantity): 'lots' is not a number")
    assert str(errors["sheet 'Drugs', row 3"]) == "column C (country): mandatory, and empty"
    assert str(errors["sheet 'Drugs', row 4"]).startswith("column D (category):")
    assert str(errors["sheet 'Drugs', row 5"]).startswith("column G (location_type):")


@pytest.mark.parametrize("sheets, message", [
    ({"Cars": [HEADER]}, "sheet 'Cars': not a commodity group"),
    ({"Drugs": [["seizure_date", "country", "colour"]]}, "sheet 'Drugs', row 1, column C: unknown column 'colour'"),
    ({"Drugs": [["seizure_date", "category"]]}, "sheet 'Drugs', row 1: missing mandatory column 'country'"),
    ({"Drugs": [["section", "seizure_date"]]}, "the sheet names the section"),
])
def test_a_wrong_workbook_stops_the_upload_naming_the_sheet(tmp_path, sheets, message):
    path = cen_workbook(tmp_path / "cen.xlsx", sheets)
    with pytest.raises(CliError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        list(iter_workbook(path))
    assert caught.value.code == 2


def test_a_file_that_is_no_workbook_is_bad_input(tmp_path):
    (tmp_path / "x.xlsx").write_text("not a zip")
    with pytest.raises(CliError, match="not an Excel workbook") as caught:
        list(iter_workbook(str(tmp_path / "x.xlsx")))
    assert caught.value.code == 2


# -- STIX 2.1 ----------------------------------------------------------------------------------------

def validated(text: str):
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    return json.loads(text)


@pytest.mark.parametrize("tlp", list(TLP_MARKINGS))
def test_a_stix_export_is_valid_and_marks_tlp_and_handling(tlp):
    policy = {"share": {"scope": "NAMED", "nodes": ["fr"]} if tlp == "RED" else {"scope": "REGION"}, "tlp": tlp,
              "handling": "H3", "handling_note": "ask the origin before any court use"}
    bundle = validated(bundle_json([record(policy=policy), record(rid="01JQ6ZK0000000000000000004")]))
    by_type: dict[str, list] = {}
    for obj in bundle["objects"]:
        by_type.setdefault(obj["type"], []).append(obj)
    assert len(by_type["observed-data"]) == 2 and len(by_type["note"]) == 2 and len(by_type[SEIZURE_SCO]) == 2
    first = next(o for o in by_type[SEIZURE_SCO] if o["record_id"] == "01JQ6ZK0000000000000000003")
    tlp_id = TLP_MARKINGS[tlp][0]
    assert tlp_id in first["object_marking_refs"]
    tlp_def = next(m for m in by_type["marking-definition"] if m["id"] == tlp_id)
    assert tlp_def["name"] == "TLP:" + TLP_MARKINGS[tlp][1].upper()
    statements = [m["definition"]["statement"] for m in by_type["marking-definition"]
                  if m["id"] in first["object_marking_refs"] and m.get("definition_type") == "statement"]
    assert statements == ["RILO Net handling H3: other restrictions: ask the origin before any court use"]
    observed = next(o for o in by_type["observed-data"] if first["id"] in o["object_refs"])
    assert observed["first_observed"].startswith("2026-03-14") and observed["object_marking_refs"]
    assert next(n for n in by_type["note"] if observed["id"] in n["object_refs"])["content"] == \
        "cocaine hidden in banana boxes"


def test_the_annex_is_exported_only_when_asked():
    plain = bundle_json([record()])
    assert "offenders" not in plain and "courier" not in plain
    assert validated(bundle_json([record()], with_annex=True))
    assert "courier" in bundle_json([record()], with_annex=True)


def test_the_same_record_exports_to_the_same_ids():
    a = {o["id"] for o in json.loads(bundle_json([record()]))["objects"]}
    b = {o["id"] for o in json.loads(bundle_json([record()]))["objects"]}
    assert a == b


def test_a_stix_bundle_imports_back_into_the_same_seizures():
    rec = record(policy={"share": {"scope": "REGION"}, "tlp": "GREEN", "handling": "H2"})
    found = list(bundle_seizures(bundle_json([rec], with_annex=True)))
    assert len(found) == 1
    where, data = found[0]
    assert where.startswith("object ") and SEIZURE_SCO in where
    assert data["policy"] == {"tlp": "GREEN", "handling": "H2"}
    data.pop("policy")
    annex = data.pop("annex")
    assert annex == rec["annex"]
    assert data == {**rec["body"], "record_id": rec["record_id"]}


def test_stix_objects_that_do_not_map_are_refused_one_by_one():
    bundle = json.loads(bundle_json([record()]))
    bundle["objects"] += [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern": "[file:name = 'x']",
         "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--0b5b6ec8-0b6a-4d3c-8c68-9e8d7a1b2c3d",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
         "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:00:00Z", "number_observed": 1,
         "object_refs": ["file--5a6a7b8c-0b6a-4d3c-8c68-9e8d7a1b2c3d"]},
    ]
    found = list(bundle_seizures(json.dumps(bundle)))
    refused = [(w, str(e)) for w, e in found if isinstance(e, ValidationError)]
    kept = [d for _, d in found if not isinstance(d, ValidationError)]
    assert len(kept) == 1 and len(refused) == 2
    assert "indicator--8e2e2d2b" in refused[0][0] and "'indicator' object does not map" in refused[0][1]
    assert "observed-data--0b5b6ec8" in refused[1][0] and "reports no x-rilo-seizure" in refused[1][1]


@pytest.mark.parametrize("text", ["[]", "{\"type\": \"indicator\"}", "not json"])
def test_a_text_that_is_not_a_bundle_is_refused_whole(text):
    with pytest.raises(ValidationError):
        list(bundle_seizures(text))
