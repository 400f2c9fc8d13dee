"""`rilo-node request ...` and `rilo-node seizure validate|return|validations` against real node processes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.e2e.conftest import cluster_up
from tests.e2e.test_cluster import cli, export, wait_for

pytestmark = pytest.mark.slow

NODES = ["wco", "rilo-we", "rilo-ap", "de", "fr", "jp"]


@pytest.fixture
def net(tmp_path):
    yield from cluster_up(tmp_path, NODES)


def js(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_request_from_hit_to_release_and_closure(net, tmp_path):
    seizure = tmp_path / "jp.json"
    seizure.write_text(json.dumps({
        "seizure_date": "2026-11-20", "country": "JP", "destination_country": "DE",
        "items": [{"section": "DRUGS", "category": "COCAINE", "quantity": 12, "unit": "KG"}],
        "description": "cocaine in machine parts bound for Hamburg",
        "policy": {"share": {"scope": "REGION"}, "discover": {"scope": "GLOBAL"}},
        "annex": {"notes": "exporter: Example Trading KK"}}))
    sk = js(cli(net, "seizure", "add", "--file", seizure, "--json", "--node", "jp"))

    def notice():
        hits = js(cli(net, "search", "--origin", "jp", "--scope", "global", "--json", "--node", "de"))["hits"]
        return None if [h for h in hits if h["record_id"] == sk["record_id"] and not h["held"]] else hits

    wait_for(notice, what="de sees a notice of the jp seizure")

    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    common = ["--type", "INFORMATION", "--basis", "Nairobi Convention, Annex X", "--subject", "Exporter details",
              "--node", "de"]
    # Bad input: exit 2, the field named, nothing stored.
    past = cli(net, "request", "create", "--to", "jp", "--due", "2020-01-01", *common, check=False)
    assert past.returncode == 2 and "request.due_date" in past.stderr
    unknown = cli(net, "request", "create", "--to", "zz", "--due", due, *common, check=False)
    assert unknown.returncode == 2 and "request.addressee" in unknown.stderr
    assert js(cli(net, "request", "list", "--json", "--node", "de"))["requests"] == []

    req = js(cli(net, "request", "create", "--to", "jp", "--via-rilo", "--due", due, "--urgency", "URGENT",
                 "--about", f"jp/{sk['record_id']}", "--json", *common))
    ref = f"de/{req['record_id']}"

    def in_inbox():
        rows = js(cli(net, "request", "list", "--inbox", "--json", "--node", "jp"))["requests"]
        return None if [r for r in rows if r["record_id"] == req["record_id"]] else rows

    wait_for(in_inbox, what="request in jp's inbox")
    row = js(cli(net, "request", "list", "--json", "--node", "rilo-we"))["requests"][0]
    assert (row["requester"], row["addressee"], row["via_rilo"], row["status"], row["urgency"]) == \
        ("de", "jp", "rilo-we", "SENT", "URGENT")

    refusal = cli(net, "request", "respond", ref, "--status", "REFUSED", "--node", "jp", check=False)
    assert refusal.returncode == 2 and "reason" in refusal.stderr
    answer = js(cli(net, "request", "respond", req["record_id"], "--status", "ANSWERED", "--text", "see the record",
                    "--with-annex", "--json", "--node", "jp"))
    assert [(k["origin"], k["record_id"], k["version"]) for k in answer["released"]] == [("jp", sk["record_id"], 2)]

    def released():
        held = export(net, "de").get(("jp", sk["record_id"]))
        return None if held and held["version"] == 2 and held["annex"] else f"de holds {held}"

    wait_for(released, what="the released record with its annex at de")
    shown = js(cli(net, "request", "show", ref, "--json", "--node", "de"))
    assert shown["status"] == "ANSWERED" and shown["events"][0]["released"][0]["version"] == 2
    assert ("jp", sk["record_id"]) not in export(net, "fr")  # the release was to de alone

    js(cli(net, "request", "close", ref, "--text", "thanks", "--json", "--node", "de"))
    wait_for(lambda: None if js(cli(net, "request", "show", ref, "--json", "--node", "jp"))["status"] == "CLOSED"
             else "open", what="closed at jp")
    audit = [json.loads(line) for line in cli(net, "audit", "--json", "--node", "de").stdout.splitlines()]
    assert [e for e in audit if e["action"] == "released_to_me"]
    # The request and its responses never left its three parties.
    for node in ("fr", "rilo-ap", "wco"):
        kinds = {r["kind"] for r in export(net, node).values()}
        assert not kinds & {"REQUEST", "RESPONSE", "CLOSURE"}, (node, kinds)


def test_validation_through_the_cli(net, tmp_path):
    config = net / "nodes" / "de" / "node.toml"
    assert cli(net, "cluster", "stop", "de").returncode == 0
    config.write_text(config.read_text().replace("required = false", "required = true"))
    assert cli(net, "cluster", "start", "de").returncode == 0
    seizure = tmp_path / "de.json"
    seizure.write_text(json.dumps({
        "seizure_date": "2026-11-25", "country": "DE",
        "items": [{"section": "DRUGS", "category": "COCAINE", "quantity": 3, "unit": "KG"}],
        "policy": {"share": {"scope": "GLOBAL"}}}))
    sk = js(cli(net, "seizure", "add", "--file", seizure, "--json", "--node", "de"))

    def pending_at_rilo():
        rows = js(cli(net, "seizure", "validations", "--pending", "--json", "--node", "rilo-we"))["seizures"]
        return None if [r for r in rows if r["record_id"] == sk["record_id"]] else rows

    wait_for(pending_at_rilo, what="pending at rilo-we")
    mine = js(cli(net, "seizure", "validations", "--json", "--node", "de"))["seizures"]
    assert mine[0]["state"] == "PENDING" and mine[0]["held_in_region"] is True
    no_comment = cli(net, "seizure", "return", "de", sk["record_id"], "--node", "rilo-we", check=False)
    assert no_comment.returncode == 2 and "--comment" in no_comment.stderr
    not_mine = cli(net, "seizure", "validate", "de", sk["record_id"], "--node", "rilo-ap", check=False)
    assert not_mine.returncode == 2 and "origin" in not_mine.stderr
    assert ("de", sk["record_id"]) not in export(net, "jp")

    assert cli(net, "seizure", "validate", "de", sk["record_id"], "--node", "rilo-we").returncode == 0

    def spread():
        held = export(net, "jp").get(("de", sk["record_id"]))
        return None if held and held["version"] == 2 else f"jp holds {held}"

    wait_for(spread, what="validated seizure at jp")
    wait_for(lambda: None if js(cli(net, "seizure", "validations", "--json", "--node", "de"))["seizures"][0]["state"]
             == "ENDORSED" else "pending", what="endorsed at de")
