"""`rilo-node op ...`, `seizure add` with a GROUP policy and `search --group`, against real node processes
(`cluster up`, a partner among them)."""

from __future__ import annotations

import json
import subprocess
import threading

import pytest

from tests.e2e.conftest import RILO, cluster_up
from tests.e2e.test_cluster import cli, wait_for

pytestmark = pytest.mark.slow

NODES = ["wco", "rilo-we", "de", "fr", "nl", "interpol"]


@pytest.fixture
def net(tmp_path):
    yield from cluster_up(tmp_path, NODES)


def js(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_an_operation_through_the_cli(net, tmp_path):
    op = js(cli(net, "op", "create", "--node", "rilo-we", "--name", "Tide", "--members", "de,interpol",
                "--purpose", "cocaine in reefers", "--ends", "2099-12-31", "--id", "op-tide", "--json"))
    assert op["operation_id"] == "op-tide" and op["owner"] == "rilo-we" and op["status"] == "OPEN"
    assert op["members"] == ["de", "interpol", "rilo-we"] and op["ends"].startswith("2099-12-31")
    wait_for(lambda: [n for n in ("de", "interpol")
                      if cli(net, "op", "show", "op-tide", "--node", n, "--json", check=False).returncode],
             what="the members hold the operation")
    listed = [json.loads(line) for line in cli(net, "op", "list", "--node", "de", "--json").stdout.splitlines()]
    assert [o["operation_id"] for o in listed] == ["op-tide"]

    # The short form of a seizure (date, country, one item), shared to the group.
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"seizure_date": "2026-03-14", "country": "DE",
                                 "items": [{"section": "DRUGS", "category": "COCAINE", "quantity": 40, "unit": "KG"}],
                                 "policy": {"share": {"scope": "GROUP", "group": "op-tide"}}}))
    key = js(cli(net, "seizure", "add", "--file", short, "--node", "de", "--json"))
    ref = f"{key['origin']}/{key['record_id']}"
    # A member cites only what it holds: interpol posts below once de's report has reached it.
    wait_for(lambda: cli(net, "records", "get", key["origin"], key["record_id"], "--node", "interpol", "--json",
                         check=False).returncode, what="interpol holds de's report")

    # A node that is not in the operation may not share to it: exit 2, nothing stored.
    nl_file = tmp_path / "nl.json"
    nl_file.write_text(short.read_text().replace('"DE"', '"NL"'))
    refused = cli(net, "seizure", "add", "--file", nl_file, "--node", "nl", check=False)
    assert refused.returncode == 2 and "op-tide" in refused.stderr

    # Messages: --follow shows one from another member as soon as it is stored.
    follow = subprocess.Popen([*RILO, "op", "messages", "op-tide", "--follow", "--json", "--cluster", str(net),
                               "--node", "de"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(follow.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        posted = js(cli(net, "op", "post", "op-tide", "--node", "interpol", "--text", "reefer MSCU1234565 to Antwerp",
                        "--ref", ref, "--json"))
        assert posted["origin"] == "interpol" and posted["refs"] == [ref]
        wait_for(lambda: None if lines else "no line yet", what="--follow shows the message")
    finally:
        follow.terminate()
        follow.wait(30)
    shown = json.loads(lines[0])
    assert shown["text"] == "reefer MSCU1234565 to Antwerp" and shown["origin"] == "interpol"
    assert set(shown) == {"operation_id", "origin", "record_id", "created_at", "text", "refs"}

    # A message over 4,000 characters is bad input.
    long = cli(net, "op", "post", "op-tide", "--node", "de", "--text", "x" * 4001, check=False)
    assert long.returncode == 2 and "text" in long.stderr

    # search --group: the members find the group's seizure; others nothing.
    def hits(node):
        out = js(cli(net, "search", "--group", "op-tide", "--scope", "global", "--node", node, "--json"))
        return [(h["origin"], h["record_id"], h["held"]) for h in out["hits"]]

    wait_for(lambda: None if hits("interpol") == [(key["origin"], key["record_id"], True)] else hits("interpol"),
             what="interpol finds the group's seizure")
    assert hits("fr") == []

    # Not a member: exit 2, and the same words whether or not the operation exists.
    a = cli(net, "op", "show", "op-tide", "--node", "fr", check=False)
    b = cli(net, "op", "show", "op-nothing", "--node", "fr", check=False)
    assert a.returncode == b.returncode == 2
    assert a.stderr.replace("op-tide", "X") == b.stderr.replace("op-nothing", "X")
    # Owner-only commands from a member: exit 2, nothing changes.
    assert cli(net, "op", "close", "op-tide", "--node", "de", check=False).returncode == 2
    assert cli(net, "op", "add", "op-tide", "zz", "--node", "rilo-we", check=False).returncode == 2
    assert cli(net, "op", "extend", "op-tide", "--ends", "2001-01-01", "--node", "rilo-we", check=False).returncode == 2

    # Adding a member later: it receives what was shared so far.
    cli(net, "op", "add", "op-tide", "fr", "--node", "rilo-we")
    wait_for(lambda: None if _counts(net, "fr") == (1, 1) else _counts(net, "fr"), what="fr holds the group's records")

    report = js(cli(net, "op", "report", "op-tide", "--node", "rilo-we", "--json"))
    per = {m["node"]: (m["records"], m["messages"]) for m in report["per_member"]}
    assert per["de"] == (1, 0) and per["interpol"] == (0, 1)
    assert report["seizures"] == [{"section": "DRUGS", "category": "COCAINE", "count": 1}]
    assert cli(net, "op", "report", "op-tide", "--node", "de", check=False).returncode == 2

    # The close: access ends for the members; the owner keeps the archive.
    closed = js(cli(net, "op", "close", "op-tide", "--node", "rilo-we", "--json"))
    assert closed["status"] == "CLOSED"
    wait_for(lambda: [n for n in ("de", "fr", "interpol")
                      if cli(net, "op", "show", "op-tide", "--node", n, check=False).returncode != 2],
             what="access ends at the members")
    archive = js(cli(net, "op", "show", "op-tide", "--node", "rilo-we", "--json"))
    assert (archive["records"], archive["messages"]) == (1, 1)
    wait_for(lambda: None if hits("interpol") == [] else hits("interpol"), what="interpol no longer finds it")


def _counts(net, node):
    res = cli(net, "op", "show", "op-tide", "--node", node, "--json", check=False)
    if res.returncode:
        return res.stderr.strip()
    out = json.loads(res.stdout)
    return out["records"], out["messages"]
