"""`rilo-node keys`, `directory`, `cert` and `ca` against a real `rilo-node serve` process: rotate and revoke a
signing key, renew the TLS certificate by request without a restart, and the warning `status` gives before
the certificate expires."""

from __future__ import annotations

import json
import socket
import ssl
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.conftest import seizure_example
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.slow


def served_certificate(node) -> x509.Certificate:
    """The certificate the node presents to a new connection (a TLS handshake with the client certificate)."""
    tls = node.folder / "tls"
    context = ssl.create_default_context(cafile=str(tls / "ca.pem"))
    context.load_cert_chain(str(tls / "client.pem"), str(tls / "client.key"))
    context.set_alpn_protocols(["h2"])
    context.check_hostname = False
    host, port = node.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw, context.wrap_socket(raw) as conn:
        return x509.load_der_x509_certificate(conn.getpeercert(binary_form=True))


def test_keys_are_rotated_listed_and_revoked_through_the_cli(served_node, tmp_path):
    node = served_node("de")
    f = tmp_path / "s.json"
    f.write_text(json.dumps(seizure_example()))
    first = json.loads(node.cli("seizure", "add", "--file", f, "--json", check=True).stdout)
    [old] = [json.loads(line) for line in node.cli("keys", "list", "--json", check=True).stdout.splitlines()]
    assert old["current"] and old["node"] == "de" and old["revoked_since"] is None

    rotated = json.loads(node.cli("keys", "rotate", "--json", check=True).stdout)
    assert rotated["previous_key_id"] == old["key_id"] and rotated["key_id"] != old["key_id"]
    listed = {k["key_id"]: k for k in map(json.loads, node.cli("keys", "list", "--json", check=True).stdout.split("\n")[:-1])}
    assert listed[old["key_id"]]["not_after"] == rotated["previous_not_after"] and not listed[old["key_id"]]["current"]
    assert listed[rotated["key_id"]]["current"] and listed[rotated["key_id"]]["source"] == "rotation"

    refused = node.cli("keys", "revoke", rotated["key_id"], "--since", "2026-01-01T00:00:00Z")
    assert refused.returncode == 2 and "rotate first" in refused.stderr and "Traceback" not in refused.stderr
    bad = node.cli("keys", "revoke", old["key_id"], "--since", "yesterday")
    assert bad.returncode == 2 and "argument --since" in bad.stderr
    unknown = node.cli("keys", "revoke", "de:0000000000000000", "--since", "2026-01-01T00:00:00Z")
    assert unknown.returncode == 2 and "key_id" in unknown.stderr
    since = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    revoked = json.loads(node.cli("keys", "revoke", old["key_id"], "--since", since, "--json", check=True).stdout)
    assert revoked["quarantined"] == 1
    [event] = map(json.loads, node.cli("security-events", "--kind", "quarantined", "--json", check=True).stdout.split("\n")[:-1])
    assert event["record_id"] == first["record_id"] and old["key_id"] in event["detail"]
    status = json.loads(node.cli("status", "--json", check=True).stdout)
    assert status["quarantined"] == 1 and status["signing_key_id"] == rotated["key_id"]

    # The node starts again with the new key, though its topology file lists the old one; config check agrees.
    node.stop()
    topology = node.folder / "topology.toml"
    topology.write_text(topology.read_text() + f'\n[nodes.de]\nsigning_key = "{old["public_key"]}"\n')
    check = run_cli("config", "check", "--config", node.folder / "node.toml")
    assert check.returncode == 0 and rotated["key_id"] in check.stdout, check.stdout + check.stderr
    node.start()
    assert json.loads(node.cli("status", "--json", check=True).stdout)["signing_key_id"] == rotated["key_id"]
    assert (node.folder / "keys" / "signing.key").stat().st_mode & 0o777 == 0o600


def test_a_certificate_is_renewed_by_request_and_signing_while_the_node_serves(served_node, tmp_path):
    node = served_node("de")
    before = served_certificate(node)
    assert node.cli("status", check=True).stderr == ""  # 825 days left: no warning

    req = json.loads(run_cli("cert", "request", "--node-dir", node.folder, "--json", check=True).stdout)
    assert req["subject"] == "node:de" and (node.folder / "tls" / "node.key.new").stat().st_mode & 0o777 == 0o600
    tls = node.folder / "tls"
    for days in ("0", "-1", "99999"):
        bad = run_cli("ca", "sign", req["request"], "--ca-cert", tls / "ca.pem", "--ca-key", tls / "ca.key",
                      "--days", days)
        assert bad.returncode == 2 and "argument --days" in bad.stderr
    out = tmp_path / "renewed.pem"
    run_cli("ca", "sign", req["request"], "--ca-cert", tls / "ca.pem", "--ca-key", tls / "ca.key", "--days", "20",
            "--out", out, check=True)
    # A certificate for another key is refused, and nothing is replaced.
    other = run_cli("cert", "install", tls / "client.pem", "--node-dir", node.folder)
    assert other.returncode == 2 and "is for 'client:de:national-system', not 'node:de'" in other.stderr
    run_cli("cert", "install", out, "--node-dir", node.folder, check=True)
    assert not (tls / "node.key.new").exists()

    after = served_certificate(node)  # a new connection, the same process
    assert after.serial_number != before.serial_number
    assert after.public_bytes(serialization.Encoding.PEM) == out.read_bytes()
    status = node.cli("status", check=True)
    assert "warning: the node's TLS certificate expires on" in status.stderr and "in 19 days" in status.stderr
    assert json.loads(node.cli("status", "--json", check=True).stdout)["certificate_not_after"].startswith(
        after.not_valid_after_utc.strftime("%Y-%m-%d"))


def test_a_tampered_request_is_refused_by_the_ca(served_node, tmp_path):
    node = served_node("de")
    req = json.loads(run_cli("cert", "request", "--node-dir", node.folder, "--client", "customs-app", "--json",
                             check=True).stdout)
    assert req["subject"] == "client:de:customs-app"
    tls = node.folder / "tls"
    text = open(req["request"]).read().splitlines()
    body = "".join(text[1:-1])
    # Flip one character inside the signed part: the request no longer verifies.
    i = len(body) // 3
    tampered_body = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1:]
    tampered = tmp_path / "bad.csr"
    tampered.write_text("\n".join([text[0], *[tampered_body[j:j + 64] for j in range(0, len(tampered_body), 64)],
                                   text[-1]]) + "\n")
    bad = run_cli("ca", "sign", tampered, "--ca-cert", tls / "ca.pem", "--ca-key", tls / "ca.key")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    good = run_cli("ca", "sign", req["request"], "--ca-cert", tls / "ca.pem", "--ca-key", tls / "ca.key",
                   "--out", tmp_path / "app.pem", "--json", check=True)
    assert json.loads(good.stdout)["subject"] == "client:de:customs-app"


def test_only_wco_publishes_the_directory(served_node, tmp_path):
    node = served_node("de")
    shown = json.loads(node.cli("directory", "show", "--json", check=True).stdout)
    assert shown["version"] == 0 and shown["nodes"] > 100
    toml = tmp_path / "topology.toml"
    toml.write_text(node.cli("directory", "show", "--toml", check=True).stdout)
    refused = node.cli("directory", "publish", "--file", toml)
    assert refused.returncode == 1 and "only 'wco' signs the directory" in refused.stderr
    missing = node.cli("directory", "publish", "--file", tmp_path / "nope.toml")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
