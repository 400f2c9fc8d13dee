"""`rilo-node hitcheck` and `seizure add` with annex identifiers against real node processes (`cluster up
--hitcheck-quota`): found from another node and only at the holder, refused input never sent, the quota, the
audit, and nothing of what was asked in any other node's files (SQLite, WAL, logs)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from rilo_node.core import hitfilter, identifiers, oprf
from tests.e2e.conftest import run_cli
from tests.e2e.test_cluster import cli, wait_for

pytestmark = pytest.mark.slow

NODES = ["rilo-we", "de", "nl"]
QUOTA = 4
SEEDED = "CSQU 305438-3"
UNKNOWN = "MSCU 100007-0"


@pytest.fixture
def net(tmp_path):
    from rilo_node.core.topology import dump_topology
    from rilo_node.node.directory import default_topology_path, load_topology

    topo = tmp_path / "topology.toml"
    topo.write_text(dump_topology(load_topology(default_topology_path()).subset(NODES)))
    workdir = tmp_path / "net"
    up = run_cli("cluster", "up", "--topology", topo, "--workdir", workdir, "--members-per-area", "all",
                 "--hitcheck-quota", QUOTA, "--detach", timeout=180)
    assert up.returncode == 0, up.stderr
    try:
        yield workdir
    finally:
        run_cli("cluster", "down", "--workdir", workdir, timeout=120)


def filter_versions(workdir: Path, node: str, origin: str) -> dict:
    db = Path(workdir) / "nodes" / node / "data" / "node.db"
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return dict(conn.execute("SELECT record_id, version FROM records WHERE origin = ? AND kind = 10", (origin,)))
    finally:
        conn.close()


def seizure(tmp_path, name, idents):
    f = tmp_path / name
    f.write_text(json.dumps({"seizure_date": "2026-03-14", "country": "DE",
                             "items": [{"section": "DRUGS", "category": "COCAINE", "quantity": 40, "unit": "KG"}],
                             "annex": {"identifiers": [{"type": t, "value": v} for t, v in idents]}}))
    return f


def test_hitcheck_through_the_cli(net, tmp_path):
    # A bad identifier in an annex: refused naming it, nothing stored.
    before = cli(net, "records", "export", "--node", "de").stdout
    bad = cli(net, "seizure", "add", "--file", seizure(tmp_path, "bad.json", [("CONTAINER", "CSQU 305438-4")]),
              "--node", "de", check=False)
    assert bad.returncode == 2 and "annex.identifiers[0].value" in bad.stderr and "CSQU 305438-4" in bad.stderr
    assert cli(net, "records", "export", "--node", "de").stdout == before

    added = cli(net, "seizure", "add", "--file", seizure(tmp_path, "s.json", [("CONTAINER", SEEDED),
                                                                             ("PASSPORT", "nld:xn0123456")]),
                "--node", "de", "--json")
    assert added.returncode == 0, added.stderr
    held = json.loads(added.stdout)
    record = run_cli("records", "get", "de", held["record_id"], "--cluster", net, "--node", "de", "--json",
                     check=True).stdout
    assert '"CSQU3054383"' in record and '"NLD:XN0123456"' in record  # stored normalised

    def de_filter_everywhere():
        own = filter_versions(net, "de", "de")
        missing = [n for n in NODES if filter_versions(net, n, "de") != own]
        return missing if own else "de has published no filter yet"
    wait_for(de_filter_everywhere, what="de's filter with the new identifier at every node")

    one = cli(net, "hitcheck", "--node", "nl", "--type", "container", "--value", "csqu.305438.3",
              "--case-ref", "NL-2026-7", "--json")
    assert one.returncode == 0, one.stderr
    r = json.loads(one.stdout)
    assert r["value"] == "CSQU3054383" and r["type"] == "CONTAINER" and r["hits"] == ["de"] and r["complete"]
    assert sorted(n["node"] for n in r["nodes"]) == sorted(NODES)
    assert {n["status"] for n in r["nodes"]} == {"OK"} and all(isinstance(n["ms"], int) for n in r["nodes"])
    assert r["query_id"]

    lines = tmp_path / "ask.jsonl"
    lines.write_text("\n".join(json.dumps(x) for x in [
        {"type": "CONTAINER", "value": "CSQU3054383"}, {"type": "CONTAINER", "value": UNKNOWN},
        {"type": "CONTAINER", "value": "CSQU3054384"}]) + "\n")
    many = cli(net, "hitcheck", "--node", "nl", "--file", lines, "--case-ref", "NL-2026-7", "--json", check=False)
    assert many.returncode == 2, many.stderr
    out = [json.loads(x) for x in many.stdout.splitlines()]
    assert [o.get("hits") for o in out[:2]] == [["de"], []]
    assert out[2]["line"] == 3 and "check digit" in out[2]["error"]

    human = cli(net, "hitcheck", "--node", "nl", "--type", "PASSPORT", "--value", "NLD:XN0123456",
                "--case-ref", "NL-2026-7")
    assert "held by de" in human.stdout and "rilo-node request create --to de" in human.stdout
    # QUOTA evaluations used at each of de and rilo-we: the next is refused by every node.
    spent = cli(net, "hitcheck", "--node", "nl", "--type", "IMO", "--value", "9074729", "--case-ref", "NL-2026-7",
                check=False)
    assert spent.returncode == 1 and "quota" in spent.stderr
    missing_ref = run_cli("hitcheck", "--cluster", net, "--node", "nl", "--type", "IMO", "--value", "9074729")
    assert missing_ref.returncode == 2 and "case-ref" in missing_ref.stderr

    # de killed (SIGKILL) just after its last answers: their counts and audit lines, journaled before each
    # answer left, are in its store after the restart (moved in before the kill, or at the start).
    assert cli(net, "cluster", "stop", "de", "--kill").returncode == 0
    assert cli(net, "cluster", "start", "de").returncode == 0
    db = Path(net) / "nodes" / "de" / "data" / "node.db"
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        assert conn.execute("SELECT used FROM hitcheck_quota WHERE asker = 'nl'").fetchone()[0] == QUOTA
    finally:
        conn.close()
    again = cli(net, "hitcheck", "--node", "nl", "--type", "IMO", "--value", "9074729", "--case-ref", "NL-2026-7",
                "--json", check=False)
    assert again.returncode == 1 and "quota" in again.stderr

    # The audit: the evaluating node knows who asked, for which case, what type; the asker, the value.
    audit = [json.loads(x) for x in cli(net, "audit", "--node", "de", "--json", "--limit", "1000").stdout.splitlines()]
    answers = [a for a in audit if a["action"] == "hitcheck_answer"]
    assert {(a["actor"], a["detail"]["case_ref"], a["detail"]["type"]) for a in answers} == {
        ("nl", "NL-2026-7", "CONTAINER"), ("nl", "NL-2026-7", "PASSPORT")}
    assert all(set(a["detail"]) == {"case_ref", "type", "count"} for a in answers)
    mine = [json.loads(x) for x in cli(net, "audit", "--node", "nl", "--json", "--limit", "1000").stdout.splitlines()]
    assert {(a["detail"]["value"], tuple(a["detail"]["hits"])) for a in mine if a["action"] == "hitcheck"} == {
        ("CSQU3054383", ("de",)), ("MSCU1000070", ()), ("NLD:XN0123456", ("de",)),
        ("9074729", ())}  # the one every node refused was asked all the same: it is audited too

    # Nothing of what nl asked in any file of the other nodes (SQLite, WAL, logs), but de's own annex.
    asked = [("CONTAINER", SEEDED), ("CONTAINER", UNKNOWN), ("PASSPORT", "NLD:XN0123456"), ("IMO", "9074729")]
    for node in ("rilo-we", "de"):
        folder = Path(net) / "nodes" / node
        _epoch, key_hex = (folder / "keys" / "hitcheck.key").read_text().split()
        key = bytes.fromhex(key_hex)
        files = [p for p in folder.rglob("*") if p.is_file() and p.name != "hitcheck.key"]
        assert any(p.name.endswith(".db-wal") for p in files) and any(p.name.endswith(".log") for p in files)
        blobs = [p.read_bytes() for p in files]
        for t, v in asked:
            norm = identifiers.normalise(t, v)
            if node == "de" and t in ("CONTAINER", "PASSPORT") and v != UNKNOWN:
                continue  # de holds these in its own annex
            x = identifiers.oprf_input(t, norm)
            out = oprf.evaluate(key, x)
            needles = {v.encode(), norm.encode(), norm.lower().encode(), x, hashlib.sha256(norm.encode()).digest(),
                       hashlib.sha256(norm.encode()).hexdigest().encode(), hashlib.sha256(x).digest(),
                       hashlib.sha256(x).hexdigest().encode(), out, out.hex().encode(), hitfilter.entry_of(out),
                       hitfilter.entry_of(out).hex().encode()}
            for p, blob in zip(files, blobs):
                for needle in needles:
                    assert needle not in blob, f"{p} keeps {needle!r} of {t} {v}"
