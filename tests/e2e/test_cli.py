"""The command line against a real `rilo-node serve` process, as an office admin would use it."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import seizure_example
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.slow


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_init_refuses_an_unknown_node_id_and_an_existing_folder(tmp_path):
    bad = run_cli("init", "--id", "atlantis", "--dir", tmp_path / "x")
    assert bad.returncode == 2 and "atlantis" in bad.stderr
    ok = run_cli("init", "--id", "kr", "--dir", tmp_path / "kr", "--json", check=True)
    assert json.loads(ok.stdout)["signing_key_id"].startswith("kr:")
    again = run_cli("init", "--id", "kr", "--dir", tmp_path / "kr")
    assert again.returncode == 1 and "--force" in again.stderr


def test_init_force_keeps_the_signing_key_unless_told_to_make_a_new_one(tmp_path):
    first = json.loads(run_cli("init", "--id", "kr", "--dir", tmp_path / "kr", "--json", check=True).stdout)
    again = json.loads(run_cli("init", "--id", "kr", "--dir", tmp_path / "kr", "--force", "--json", check=True).stdout)
    assert again["signing_key_id"] == first["signing_key_id"]
    alone = run_cli("init", "--id", "kr", "--dir", tmp_path / "kr", "--new-signing-key")
    assert alone.returncode == 2 and "--force" in alone.stderr
    new = json.loads(run_cli("init", "--id", "kr", "--dir", tmp_path / "kr", "--force", "--new-signing-key", "--json",
                             check=True).stdout)
    assert new["signing_key_id"] != first["signing_key_id"]


def test_init_makes_the_node_folder_and_its_keys_private(tmp_path):
    run_cli("init", "--id", "kr", "--dir", tmp_path / "kr", check=True)
    folder = tmp_path / "kr"
    for sub in ("", "keys", "tls", "data"):
        assert (folder / sub).stat().st_mode & 0o777 == 0o700, sub
    for key in ("keys/signing.key", "tls/node.key", "tls/client.key", "tls/ca.key"):
        assert (folder / key).stat().st_mode & 0o777 == 0o600, key


def test_insecure_only_binds_loopback(tmp_path):
    bad = run_cli("init", "--id", "kr", "--dir", tmp_path / "kr", "--insecure", "--listen", "0.0.0.0:7000")
    assert bad.returncode == 2 and "127.0.0.1" in bad.stderr


def test_add_get_update_retract_and_export(served_node, tmp_path):
    node = served_node("de")
    f = tmp_path / "s.json"
    f.write_text(json.dumps(seizure_example(record_id="01JQ6ZK0000000000000000003")))
    added = node.cli("seizure", "add", "--file", f, "--json", check=True)
    key = json.loads(added.stdout)
    assert key == {"origin": "de", "record_id": "01JQ6ZK0000000000000000003", "version": 1, "created": True}
    # A retry is harmless and says so.
    assert json.loads(node.cli("seizure", "add", "--file", f, "--json", check=True).stdout)["created"] is False
    f.write_text(json.dumps(seizure_example(case_ref="corrected")))
    upd = node.cli("seizure", "update", "01JQ6ZK0000000000000000003", "--file", f, "--json", check=True)
    assert json.loads(upd.stdout)["version"] == 2
    got = json.loads(node.cli("records", "get", "de", "01JQ6ZK0000000000000000003", "--json", check=True).stdout)
    assert got["body"]["case_ref"] == "corrected" and got["version"] == 2 and got["withdrawn"] is False
    assert got["annex"]["offenders"][0]["nationality"] == "NL"
    assert got["policy"]["share"]["scope"] == "REGION" and got["policy"]["annex"]["scope"] == "ORIGIN"
    node.cli("records", "retract", "01JQ6ZK0000000000000000003", check=True)
    lines = [json.loads(x) for x in node.cli("records", "export", check=True).stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["withdrawn"] is True and lines[0]["body"] is None and lines[0]["annex"] is None
    assert set(lines[0]) >= {"origin", "record_id", "version", "kind", "created_at", "policy", "body", "annex",
                             "withdrawn"}


def test_a_bad_seizure_exits_2_naming_the_field(served_node, tmp_path):
    node = served_node("de")
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(seizure_example(seizure_date="14/03/2026")))
    proc = node.cli("seizure", "add", "--file", f)
    assert proc.returncode == 2 and "seizure_date" in proc.stderr
    f.write_text("{not json")
    proc = node.cli("seizure", "add", "--file", f)
    assert proc.returncode == 2 and "not JSON" in proc.stderr


def test_import_reports_each_bad_line_and_stores_the_good_ones(served_node, tmp_path):
    node = served_node("de")
    rows = [seizure_example(case_ref=f"c{i}") for i in range(10)]
    rows[2] = seizure_example(items=[{"section": "DRUGS", "category": "TOBACCO_PRODUCTS"}])
    rows[5] = "this is not json"
    rows[7] = seizure_example(location_type="BEACH")
    f = write_jsonl(tmp_path / "in.jsonl", rows)
    proc = node.cli("seizure", "import", f, "--json")
    assert proc.returncode == 2
    summary = json.loads(proc.stdout)
    assert summary["stored"] == 7 and summary["refused"] == 3
    assert [(e["line"], e["field"]) for e in summary["errors"]] == [(3, "items[0].category"), (6, ""),
                                                                     (8, "location_type")]
    assert f"{f}:3: items[0].category" in proc.stderr and f"{f}:8: location_type" in proc.stderr
    # Importing the same file again stores nothing twice.
    again = json.loads(node.cli("seizure", "import", f, "--json").stdout)
    assert again["created"] == 0 and again["already_present"] == 7
    assert len(node.cli("records", "export", check=True).stdout.splitlines()) == 7


def test_import_never_sends_a_stream_over_the_nodes_cap(served_node, tmp_path):
    from rilo_node.api.limits import MAX_SUBMISSIONS_PER_STREAM as PER_STREAM

    node = served_node("de")
    # Lines the node refuses (de reports DE, not FR; cheap to check), then one it stores: with a --batch
    # above the cap, the import still goes through in streams the node takes.
    rows = [seizure_example(country="FR", case_ref=f"c{i}") for i in range(PER_STREAM)] + [seizure_example()]
    f = write_jsonl(tmp_path / "in.jsonl", rows)
    proc = node.cli("seizure", "import", f, "--json", "--quiet", "--batch", PER_STREAM * 3)
    assert proc.returncode == 2, proc.stderr[-500:]
    summary = json.loads(proc.stdout)
    assert (summary["stored"], summary["refused"]) == (1, PER_STREAM)
    assert {e["field"] for e in summary["errors"]} == {"country"}


def test_import_reads_csv(served_node, tmp_path):
    node = served_node("de")
    f = tmp_path / "in.csv"
    with f.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["seizure_date", "country", "section", "category", "quantity", "unit", "transit_countries",
                    "description", "tlp"])
        w.writerow(["2026-01-02", "DE", "REVENUE", "TOBACCO_PRODUCTS", "12000", "PIECES", "PL;LT", "cigarettes", "GREEN"])
        w.writerow(["2026-01-03", "DE", "DRUGS", "CANNABIS", "abc", "KG", "", "herbal cannabis", ""])
        w.writerow(["2026-01-04", "DE", "DRUGS", "KHAT", "3.5", "KG", "", "fresh khat", "AMBER"])
    proc = node.cli("seizure", "import", f, "--json")
    assert proc.returncode == 2
    summary = json.loads(proc.stdout)
    assert summary["stored"] == 2 and [e["line"] for e in summary["errors"]] == [3]
    assert "quantity" in summary["errors"][0]["field"] or "quantity" in summary["errors"][0]["message"]
    lines = [json.loads(x) for x in node.cli("records", "export", check=True).stdout.splitlines()]
    green = [x for x in lines if x["body"]["items"][0]["category"] == "TOBACCO_PRODUCTS"][0]
    assert green["policy"]["tlp"] == "GREEN" and green["policy"]["share"]["scope"] == "GLOBAL"
    assert green["body"]["transit_countries"] == ["PL", "LT"]


def test_search_status_and_audit_print_json(served_node, tmp_path):
    node = served_node("de")
    f = write_jsonl(tmp_path / "in.jsonl", [
        seizure_example(description="cocaine in banana boxes"),
        seizure_example(description="cannabis resin in a truck", departure_country="MA",
                        items=[{"section": "DRUGS", "category": "CANNABIS", "quantity": 40, "unit": "KG"}]),
    ])
    node.cli("seizure", "import", f, check=True)
    out = json.loads(node.cli("search", "--category", "CANNABIS", "--departure", "ma", "--json", check=True).stdout)
    assert out["complete"] is True and len(out["hits"]) == 1
    hit = out["hits"][0]
    assert hit["held"] is True and hit["summary"]["categories"] == ["CANNABIS"] and hit["body"]["departure_country"] == "MA"
    assert [{k: n[k] for k in ("node", "status", "hits")} for n in out["nodes"]] == [
        {"node": "de", "status": "OK", "hits": 1}]
    assert isinstance(out["nodes"][0]["ms"], int)
    text = json.loads(node.cli("search", "--text", "banana", "--scope", "local", "--json", check=True).stdout)
    assert len(text["hits"]) == 1
    bad = node.cli("search", "--from", "yesterday")
    assert bad.returncode == 2 and "date_from" in bad.stderr
    status = json.loads(node.cli("status", "--json", check=True).stdout)
    assert status["node_id"] == "de" and status["records_held"] == 2
    audit = [json.loads(x) for x in node.cli("audit", "--json", check=True).stdout.splitlines()]
    assert [a["action"] for a in audit if a["action"] == "search"] == ["search", "search"]
    assert node.cli("status", check=True).stdout.startswith("node de (member")


def test_search_pages_with_a_token_or_all_at_once(served_node, tmp_path):
    """--limit N gives the first N hits newest first and a next_page_token; --page-token continues with no
    repeat and no gap; --all reads every page; a token of another search is exit 2 naming page_token."""
    node = served_node("de")
    f = write_jsonl(tmp_path / "in.jsonl", [seizure_example(case_ref=f"p{i}", seizure_date=f"2026-03-{10 + i % 3:02d}")
                                            for i in range(7)])
    node.cli("seizure", "import", f, check=True)
    everything = json.loads(node.cli("search", "--all", "--limit", "2", "--json", check=True).stdout)
    keys = [(h["origin"], h["record_id"]) for h in everything["hits"]]
    assert len(keys) == 7 and "next_page_token" not in everything
    dates = [h["summary"]["seizure_date"] for h in everything["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert all(h["tlp"] in (None, "CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED") and h["handling"] == "H0"
               for h in everything["hits"])
    pages, token = [], None
    while True:
        args = ["search", "--limit", "3", "--json"] + (["--page-token", token] if token else [])
        page = json.loads(node.cli(*args, check=True).stdout)
        pages += [(h["origin"], h["record_id"]) for h in page["hits"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert pages == keys
    first = json.loads(node.cli("search", "--limit", "3", "--json", check=True).stdout)
    other = node.cli("search", "--limit", "3", "--category", "COCAINE", "--page-token", first["next_page_token"])
    assert other.returncode == 2 and "page_token" in other.stderr and "Traceback" not in other.stderr


def test_a_client_command_without_a_node_says_how_to_name_one():
    proc = run_cli("status")
    assert proc.returncode == 2 and "--node-dir" in proc.stderr


def test_top_once_shows_the_node_its_records_and_peers(served_node, tmp_path):
    node = served_node("de")
    f = tmp_path / "s.json"
    f.write_text(json.dumps(seizure_example(record_id="01JQ6ZK0000000000000000077")))
    node.cli("seizure", "add", "--file", f, check=True)
    out = node.cli("top", "--once", "--interval", "0.2", check=True)
    assert "nodes" in out.stdout and "de" in out.stdout and "serving" in out.stdout
    assert "Traceback" not in out.stderr
    bad = node.cli("top", "--once", "--interval", "0")
    assert bad.returncode == 2 and "--interval" in bad.stderr
