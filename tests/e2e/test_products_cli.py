"""Exports and imports in the exchange formats through the command line, against a real node."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from stix2validator import ValidationOptions, validate_string

from tests.conftest import seizure_example
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.slow


def add(node, tmp_path, **overrides):
    f = tmp_path / "s.json"
    f.write_text(json.dumps(seizure_example(**overrides)))
    return json.loads(node.cli("seizure", "add", "--file", f, "--json", check=True).stdout)


def test_exports_in_every_format_and_records_get_shows_the_labels(served_node, tmp_path):
    node = served_node("de")
    add(node, tmp_path, record_id="01JQ6ZK0000000000000000003",
        policy={"share": {"scope": "REGION"}, "tlp": "AMBER", "handling": "H2"})
    add(node, tmp_path, record_id="01JQ6ZK0000000000000000004", case_ref="two items",
        items=[{"section": "DRUGS", "category": "COCAINE", "quantity": 1, "unit": "KG"},
               {"section": "REVENUE", "category": "TOBACCO_PRODUCTS", "quantity": 200, "unit": "PIECES"}])
    got = json.loads(node.cli("records", "get", "de", "01JQ6ZK0000000000000000003", "--json", check=True).stdout)
    assert got["tlp"] == "AMBER" and got["handling"] == "H2"

    rows = list(csv.DictReader(io.StringIO(node.cli("records", "export", "--format", "csv", check=True).stdout)))
    # Its own H2 records leave with the origin; one row per item; no annex unless asked.
    assert sorted((r["record_id"][-1], r["item"], r["category"]) for r in rows) == [
        ("3", "1", "COCAINE"), ("4", "1", "COCAINE"), ("4", "2", "TOBACCO_PRODUCTS")]
    assert "annex_json" not in rows[0] and "courier" not in json.dumps(rows)

    out = tmp_path / "export.xlsx"
    node.cli("records", "export", "--format", "xlsx", "--out", out, "--with-annex", check=True)
    sheet = load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 4 and "annex_json" in values[0]
    assert sum("courier" in (v[values[0].index("annex_json")] or "") for v in values[1:]) == 3

    bundle = node.cli("records", "export", "--format", "stix", check=True).stdout
    assert validate_string(bundle, ValidationOptions(version="2.1")).is_valid
    assert sum(o["type"] == "observed-data" for o in json.loads(bundle)["objects"]) == 2
    assert "courier" not in bundle

    bad = node.cli("records", "export", "--format", "xlsx")
    assert bad.returncode == 2 and "--out" in bad.stderr

    hits = list(csv.DictReader(io.StringIO(node.cli("search", "--format", "csv", check=True).stdout)))
    assert {h["record_id"] for h in hits} == {"01JQ6ZK0000000000000000003", "01JQ6ZK0000000000000000004"}
    assert {h["handling"] for h in hits} == {"H0", "H2"}
    stix_hits = node.cli("search", "--format", "stix", check=True).stdout
    assert validate_string(stix_hits, ValidationOptions(version="2.1")).is_valid

    stats = list(csv.DictReader(io.StringIO(
        node.cli("stats", "--group-by", "section", "--format", "csv", check=True).stdout)))
    want = json.loads(node.cli("stats", "--group-by", "section", "--json", check=True).stdout)
    assert {(r["section"], int(r["cases"]), int(r["items"])) for r in stats} == {
        (g["key"]["section"], g["cases"], g["items"]) for g in want["groups"]}


def test_a_contradictory_label_is_refused_and_nothing_stored(served_node, tmp_path):
    node = served_node("de")
    f = tmp_path / "red.json"
    f.write_text(json.dumps(seizure_example(policy={"tlp": "RED", "share": {"scope": "GLOBAL"}})))
    bad = node.cli("seizure", "add", "--file", f)
    assert bad.returncode == 2 and "policy.share.scope" in bad.stderr and "contradicts TLP RED" in bad.stderr
    assert node.cli("records", "export", check=True).stdout == ""


def test_the_cen_excel_upload_and_a_stix_bundle_import(served_node, tmp_path):
    node = served_node("de")
    wb = Workbook()
    wb.remove(wb.active)
    drugs = wb.create_sheet("Drugs")
    drugs.append(["case_ref", "seizure_date", "country", "category", "quantity", "unit"])
    drugs.append(["X-1", "2026-03-14", "DE", "COCAINE", 2.5, "KG"])
    drugs.append(["X-2", "2026-03-14", "DE", "COCAINE", "two", "KG"])
    revenue = wb.create_sheet("Revenue")
    revenue.append(["case_ref", "seizure_date", "country", "category", "quantity", "unit"])
    revenue.append(["Y-1", "2026-03-15", "DE", "TOBACCO_PRODUCTS", 4000, "PIECES"])
    path = tmp_path / "cen.xlsx"
    wb.save(path)
    res = node.cli("seizure", "import", path, "--json", "--quiet")
    assert res.returncode == 2, res.stderr
    summary = json.loads(res.stdout)
    assert summary["stored"] == 2 and summary["refused"] == 1
    assert summary["errors"][0]["line"] == "sheet 'Drugs', row 3"
    assert "column E (quantity)" in res.stderr and "sheet 'Drugs', row 3" in res.stderr

    bundle = tmp_path / "out.stix.json"
    node.cli("records", "export", "--format", "stix", "--out", bundle, check=True)
    # The node's own bundle imports back as the records it already holds.
    again = json.loads(node.cli("seizure", "import", bundle, "--json", "--quiet", check=True).stdout)
    assert again["stored"] == 2 and again["already_present"] == 2 and again["refused"] == 0
    data = json.loads(bundle.read_text())
    data["objects"].append({"type": "malware", "spec_version": "2.1", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "x",
                            "is_family": False})
    bundle.write_text(json.dumps(data))
    res = node.cli("seizure", "import", bundle, "--format", "stix", "--json", "--quiet")
    assert res.returncode == 2 and "'malware' object does not map to a seizure" in res.stderr
    assert json.loads(res.stdout)["already_present"] == 2


def test_help_names_the_formats():
    out = run_cli("stats", "--help", check=True).stdout
    assert "--format" in out and "xlsx" in out
