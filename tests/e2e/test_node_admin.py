"""`rilo-node security-events` against a real `rilo-node serve` process, and `rilo-node config check` on node
folders made by `rilo-node init`: what an admin runs to look after a node for years."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from rilo_node.api.client import Target
from rilo_node.core.signing import SigningKey
from rilo_node.core.topology import dump_topology
from rilo_node.node.directory import load_topology
from rilo_node.node.pki import CertificateAuthority, node_dns, write_pem
from rilo_node.pb.rilo.v1 import peer_pb2, peer_pb2_grpc, record_pb2
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.slow


# -- security-events ---------------------------------------------------------------------

def deliver_as_peer(node, peer: str, records: list[record_pb2.SignedRecord]) -> list[str]:
    """Deliver records to the served node as directory node `peer`, with a certificate of the node's own CA."""
    folder = node.folder
    ca = CertificateAuthority.load(folder / "tls" / "ca.pem", folder / "tls" / "ca.key")
    cert, key = ca.issue_node(peer)
    write_pem(folder.parent / f"{peer}.pem", cert)
    write_pem(folder.parent / f"{peer}.key", key, private=True)
    target = Target(node.address, folder / "tls" / "ca.pem", folder.parent / f"{peer}.pem",
                    folder.parent / f"{peer}.key", node_dns("de"))
    with target.channel() as channel:
        return list(peer_pb2_grpc.PeerServiceStub(channel).Deliver(peer_pb2.DeliverRequest(records=records),
                                                                   timeout=10).outcomes)


def test_security_events_lists_what_the_node_refused(served_node):
    node = served_node("de")
    assert node.cli("security-events", check=True).stdout == "no security events\n"
    assert node.cli("security-events", "--json", check=True).stdout == ""
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    forged = record_pb2.SignedRecord(header=b"not a header", signature=bytes(64), key_id="rilo-we:0000000000000000")
    assert deliver_as_peer(node, "rilo-we", [forged])[0].startswith("refused")

    text = node.cli("security-events", check=True).stdout.splitlines()
    assert len(text) == 1 and " bad_record " in text[0] and " rilo-we " in text[0] and "deliver: refused" in text[0]
    [event] = [json.loads(line) for line in node.cli("security-events", "--json", check=True).stdout.splitlines()]
    assert event["kind"] == "bad_record" and event["peer"] == "rilo-we" and event["record_id"] is None
    assert set(event) == {"id", "at", "kind", "peer", "origin", "record_id", "detail"}
    assert node.cli("security-events", "--kind", "bad_record", "--json", check=True).stdout.count("\n") == 1
    assert node.cli("security-events", "--kind", "not_entitled", check=True).stdout == "no security events\n"
    since = before.astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert node.cli("security-events", "--since", since, "--json", check=True).stdout.count("\n") == 1
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert node.cli("security-events", "--since", later, "--json", check=True).stdout == ""
    assert node.cli("security-events", "--after-id", str(event["id"]), "--json", check=True).stdout == ""
    status = json.loads(node.cli("status", "--json", check=True).stdout)
    assert status["security_events"] == 1


@pytest.mark.parametrize("flags, flag", [
    (["--since", "yesterday"], "--since"),
    (["--since", "2026-11-28T02:00:00"], "--since"),  # no offset
    (["--since", "2026-02-30T00:00:00Z"], "--since"),
    (["--kind", "evil"], "--kind"),
    (["--limit", "-1"], "--limit"),
    (["--limit", "10001"], "--limit"),
    (["--after-id", "-5"], "--after-id"),
])
def test_security_events_refuses_a_bad_flag_with_exit_2_naming_it(flags, flag, tmp_path):
    proc = run_cli("security-events", *flags, "--node-dir", tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"argument {flag}:" in proc.stderr and "Traceback" not in proc.stderr


def test_audit_refuses_a_negative_limit_with_exit_2(tmp_path):
    proc = run_cli("audit", "--limit", "-1", "--node-dir", tmp_path)
    assert proc.returncode == 2 and "argument --limit:" in proc.stderr and "Traceback" not in proc.stderr


# -- config check ------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    run_cli("init", "--id", "de", "--dir", tmp_path / "de", check=True)
    return tmp_path / "de"


def check(folder) -> tuple[int, str, str]:
    proc = run_cli("config", "check", "--config", folder / "node.toml")
    return proc.returncode, proc.stdout, proc.stderr


def test_config_check_passes_a_fresh_init_folder_in_one_line(folder):
    code, out, err = check(folder)
    assert code == 0, err
    assert out.count("\n") == 1 and ": OK: node de (member), signing key de:" in out and "node:de valid until" in out


def test_config_check_names_a_missing_key_file(folder):
    (folder / "keys" / "signing.key").unlink()
    code, out, err = check(folder)
    assert code == 2 and out == ""
    assert "signing.key" in err and str(folder / "keys" / "signing.key") in err and "no such file" in err
    assert "Traceback" not in err


def test_config_check_names_a_missing_tls_key(folder):
    (folder / "tls" / "node.key").unlink()
    code, _, err = check(folder)
    assert code == 2 and "tls.key" in err and "no such file" in err


def test_config_check_names_a_node_id_the_directory_does_not_have(folder):
    config = folder / "node.toml"
    config.write_text(config.read_text().replace('id = "de"', 'id = "zz"'))
    code, _, err = check(folder)
    assert code == 2 and "node.id 'zz' is not a node of the directory" in err


def test_config_check_names_a_signing_key_the_directory_does_not_list(folder):
    topology = folder / "topology.toml"
    other = SigningKey.generate("de").public_b64
    topology.write_text(dump_topology(load_topology(topology).with_node_fields("de", signing_key=other)))
    code, _, err = check(folder)
    assert code == 2 and "signing.key" in err and other in err and "lists for 'de'" in err
    # The key the folder holds, listed: OK, and said so.
    mine = (folder / "keys" / "signing.pub").read_text().strip()
    topology.write_text(dump_topology(load_topology(topology).with_node_fields("de", signing_key=mine)))
    code, out, err = check(folder)
    assert code == 0 and "as the directory lists it" in out, err


def test_config_check_names_a_certificate_of_another_ca(folder, tmp_path):
    run_cli("init", "--id", "de", "--dir", tmp_path / "other", check=True)  # its own development CA
    (folder / "tls" / "ca.pem").write_bytes((tmp_path / "other" / "tls" / "ca.pem").read_bytes())
    code, _, err = check(folder)
    assert code == 2 and "tls.cert" in err and "not signed by the CA in tls.ca" in err


def test_config_check_of_a_config_that_does_not_load_exits_2(tmp_path):
    (tmp_path / "node.toml").write_text('[node]\nid = "de"\ncolour = "blue"\n')
    proc = run_cli("config", "check", "--config", tmp_path / "node.toml")
    assert proc.returncode == 2 and "unknown key node.colour" in proc.stderr
    proc = run_cli("config", "check", "--config", tmp_path / "missing.toml")
    assert proc.returncode == 2 and "no such config file" in proc.stderr
