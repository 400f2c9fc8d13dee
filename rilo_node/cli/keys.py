"""`rilo-node keys`, `directory`, `cert` and `ca`: signing keys over time, the signed directory, and TLS
certificates by request (docs/operator-guide.md#signing-keys-and-certificates-over-time)."""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from rilo_node.cli.argtypes import bounded_int, lower
from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, print_json
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.core.events import parse_rfc3339
from rilo_node.pb.rilo.v1 import keys_pb2, keys_pb2_grpc

# `status` warns this long before the node's certificate expires.
CERT_WARN_DAYS = 30
MAX_VERSION = 2**63 - 1
MAX_DAYS = 3650


def _stub(client) -> keys_pb2_grpc.KeyAdminServiceStub:
    return keys_pb2_grpc.KeyAdminServiceStub(client.channel)


def key_json(k: keys_pb2.KeyInfo) -> dict:
    return {"key_id": k.key_id, "node": k.node, "public_key": k.public_key, "source": k.source,
            "valid_from": k.valid_from or None, "not_after": k.not_after or None,
            "revoked_since": k.revoked_since or None, "current": k.current}


def cmd_keys_list(args) -> int:
    with client_of(args) as c:
        resp = call(_stub(c).ListKeys, keys_pb2.ListKeysRequest(node=args.of or ""), args)
    if args.json:
        for k in resp.keys:
            print_json(key_json(k))
        return EXIT_OK
    print(f"signing key in use: {resp.signing_key_id}   directory version {resp.directory_version}   "
          f"quarantined records: {resp.quarantined}")
    for k in resp.keys:
        window = f"from {k.valid_from or '-'} until {k.not_after or '-'}"
        state = f"REVOKED since {k.revoked_since}" if k.revoked_since else ("current" if k.current else "")
        print(f"  {k.key_id:<28} {k.source:<9} {window}  {state}".rstrip())
    return EXIT_OK


def cmd_keys_rotate(args) -> int:
    with client_of(args) as c:
        resp = call(_stub(c).RotateKey, keys_pb2.RotateKeyRequest(hitcheck_only=args.hitcheck_only), args)
    data = {"key_id": resp.key_id, "public_key": resp.public_key, "valid_from": resp.valid_from,
            "previous_key_id": resp.previous_key_id, "previous_not_after": resp.previous_not_after,
            "hitcheck_epoch": resp.hitcheck_epoch}
    if args.json:
        print_json(data)
    elif args.hitcheck_only:
        print(f"hit-check key rotated: epoch {resp.hitcheck_epoch}; the filter is rebuilt under it "
              f"(the signing key {resp.key_id} is unchanged)")
    else:
        print(f"signing key rotated: {resp.key_id} signs from {resp.valid_from}")
        print(f"  public key: {resp.public_key}")
        print(f"  {resp.previous_key_id} still verifies what it signed before {resp.previous_not_after}")
    return EXIT_OK


def cmd_keys_revoke(args) -> int:
    with client_of(args) as c:
        resp = call(_stub(c).RevokeKey, keys_pb2.RevokeKeyRequest(key_id=args.key_id, since=args.since), args)
    if args.json:
        print_json({"key_id": resp.key_id, "since": resp.since, "quarantined": resp.quarantined})
    else:
        print(f"key {resp.key_id} revoked since {resp.since}: {resp.quarantined} records held here quarantined")
    return EXIT_OK


def cmd_directory_show(args) -> int:
    with client_of(args) as c:
        resp = call(_stub(c).GetDirectory, keys_pb2.GetDirectoryRequest(), args)
    if args.toml:
        print(resp.topology, end="" if resp.topology.endswith("\n") else "\n")
    elif args.json:
        print_json({"version": resp.version, "issued_at": resp.issued_at or None, "nodes": resp.nodes})
    else:
        source = f"signed by wco, issued {resp.issued_at}" if resp.version else "the node's topology file"
        print(f"directory version {resp.version} ({source}): {resp.nodes} nodes")
    return EXIT_OK


def cmd_directory_publish(args) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"--file {args.file}: cannot read: {exc}", EXIT_BAD_INPUT) from None
    with client_of(args) as c:
        resp = call(_stub(c).PublishDirectory,
                    keys_pb2.PublishDirectoryRequest(topology=text, version=args.version or 0), args)
    if args.json:
        print_json({"version": resp.version, "issued_at": resp.issued_at, "nodes": resp.nodes})
    else:
        print(f"directory version {resp.version} signed and applied ({resp.nodes} nodes), issued {resp.issued_at}; "
              "peers take it within seconds")
    return EXIT_OK


# -- certificates: offline, on files ------------------------------------------------------------

def _node_tls(node_dir: str):
    from rilo_node.node.config import load_config

    path = Path(node_dir) / "node.toml"
    if not path.exists():
        raise CliError(f"--node-dir {node_dir}: no node.toml (make the folder with `rilo-node init`)", EXIT_BAD_INPUT)
    return load_config(path)


def _pending(config, client: str | None) -> tuple[Path, Path, Path, str]:
    """(key file, pending key, request file, common name) of the node certificate or a client's."""
    tls = config.tls_cert.parent
    if client:
        if ":" in client or not client.strip():
            raise CliError("--client: a client name is not empty and has no ':'", EXIT_BAD_INPUT)
        return (tls / "client.key", tls / "client.key.new", tls / "client.csr", f"client:{config.node_id}:{client}")
    return config.tls_key, config.tls_key.with_name(config.tls_key.name + ".new"), tls / "node.csr", \
        f"node:{config.node_id}"


def cmd_cert_request(args) -> int:
    from rilo_node.node.pki import certificate_request, write_pem

    config = _node_tls(args.node_dir)
    _, pending, csr_path, cn = _pending(config, args.client)
    csr, key = certificate_request(cn)
    write_pem(pending, key, private=True)
    write_pem(csr_path, csr)
    if args.json:
        print_json({"subject": cn, "request": str(csr_path), "key": str(pending)})
    else:
        print(f"certificate request for {cn}: {csr_path}")
        print(f"  its new key stays here: {pending} (mode 0600)")
        print(f"next: the Secretariat runs `rilo-node ca sign {csr_path.name} --ca-cert ca.pem --ca-key ca.key`; "
              f"then `rilo-node cert install CERT --node-dir {args.node_dir}`")
    return EXIT_OK


def cmd_cert_install(args) -> int:
    from rilo_node.node.pki import check_certificate, write_pem

    config = _node_tls(args.node_dir)
    key_file, pending, csr_path, cn = _pending(config, args.client)
    if not pending.exists():
        raise CliError(f"no pending request: {pending} is missing (run `rilo-node cert request` first)",
                       EXIT_BAD_INPUT)
    try:
        cert_pem = Path(args.cert).read_bytes()
        cert = check_certificate(cert_pem, pending.read_bytes(), config.tls_ca.read_bytes(), cn)
    except OSError as exc:
        raise CliError(f"{args.cert}: cannot read: {exc.strerror or exc}", EXIT_BAD_INPUT) from None
    except ValueError as exc:
        raise CliError(f"{args.cert}: {exc}", EXIT_BAD_INPUT) from None
    cert_file = config.tls_cert if not args.client else config.tls_cert.with_name("client.pem")
    # The key first, then the certificate: a serving node takes the pair only once they match.
    os.replace(pending, key_file)
    write_pem(cert_file, cert_pem)
    csr_path.unlink(missing_ok=True)
    until = cert.not_valid_after_utc.strftime("%Y-%m-%d")
    if args.json:
        print_json({"subject": cn, "certificate": str(cert_file), "not_after": until})
    else:
        print(f"installed {cert_file} for {cn}, valid until {until}")
        if not args.client:
            print("  a serving node uses it for new connections at once; no restart needed")
    return EXIT_OK


def cmd_ca_sign(args) -> int:
    from rilo_node.node.pki import CertificateAuthority, write_pem

    try:
        ca = CertificateAuthority.load(Path(args.ca_cert), Path(args.ca_key))
        csr = Path(args.csr).read_bytes()
    except OSError as exc:
        raise CliError(f"{exc.filename}: cannot read: {exc.strerror or exc}", EXIT_BAD_INPUT) from None
    try:
        cert, ident = ca.sign_request(csr, days=args.days)
    except ValueError as exc:
        raise CliError(f"{args.csr}: {exc}", EXIT_BAD_INPUT) from None
    out = Path(args.out) if args.out else Path(args.csr).with_suffix(".pem")
    write_pem(out, cert)
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=args.days)).strftime("%Y-%m-%d")
    if args.json:
        print_json({"subject": str(ident), "certificate": str(out), "days": args.days})
    else:
        print(f"signed {ident} for {args.days} days (until about {until}): {out}")
    return EXIT_OK


def certificate_warning(not_after: str, now: datetime.datetime) -> str | None:
    """The line `status` prints when the node's certificate expires within CERT_WARN_DAYS days (or has)."""
    if not not_after:
        return None
    try:
        at = parse_rfc3339(not_after, "certificate_not_after")
    except ValidationError:
        return None
    left = (at - now).total_seconds() / 86400
    if left >= CERT_WARN_DAYS:
        return None
    if left <= 0:
        return f"warning: the node's TLS certificate expired on {at:%Y-%m-%d}: renew it now (rilo-node cert request)"
    return (f"warning: the node's TLS certificate expires on {at:%Y-%m-%d}, in {int(left)} days: renew it "
            "(rilo-node cert request, then ca sign, then cert install)")


def _since(text: str) -> str:
    try:
        parse_rfc3339(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def add_parsers(sub) -> None:
    """keys list|rotate|revoke, directory show|publish, cert request|install, ca sign."""
    keys = sub.add_parser("keys", help="the record-signing keys: list, rotate, revoke").add_subparsers(
        dest="action", required=True)
    p = keys.add_parser("list", help="every signing key this node trusts, with its window and revocation")
    p.add_argument("--of", type=lower, metavar="NODE", help="only this node's keys")
    p.add_argument("--json", action="store_true", help="one JSON object per key")
    add_connection_args(p)
    p.set_defaults(func=cmd_keys_list)
    p = keys.add_parser("rotate", help="a new signing key from now; the old one still verifies what it signed")
    p.add_argument("--hitcheck-only", action="store_true",
                   help="rotate only the hit-check key (hit/no-hit); the filter is rebuilt under the new key")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_keys_rotate)
    p = keys.add_parser("revoke", help="refuse and quarantine what a key signed from a time on, on every node")
    p.add_argument("key_id", metavar="KEY_ID", help="e.g. de:690ff40801f6888b (keys list shows them)")
    p.add_argument("--since", required=True, type=_since, metavar="TIME",
                   help="RFC 3339 with an offset: records the key signed dated at or after it are refused")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_keys_revoke)

    directory = sub.add_parser("directory", help="the network directory in use; wco publishes new versions"
                               ).add_subparsers(dest="action", required=True)
    p = directory.add_parser("show", help="the directory version in use")
    p.add_argument("--json", action="store_true")
    p.add_argument("--toml", action="store_true", help="print the directory itself (topology TOML)")
    add_connection_args(p)
    p.set_defaults(func=cmd_directory_show)
    p = directory.add_parser("publish", help="wco: sign a topology file as the next directory version")
    p.add_argument("--file", required=True, metavar="FILE", help="the topology TOML of the new version")
    p.add_argument("--version", type=bounded_int(1, MAX_VERSION), metavar="N",
                   help="the version number (default: one more than the version in use)")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_directory_publish)

    cert = sub.add_parser("cert", help="the node's TLS certificate: request a new one, install it"
                          ).add_subparsers(dest="action", required=True)
    p = cert.add_parser("request", help="a new key and a certificate signing request (CSR) for the CA")
    p.add_argument("--node-dir", required=True, metavar="DIR", help="the node's folder")
    p.add_argument("--client", metavar="NAME", help="a national system's client certificate instead")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cert_request)
    p = cert.add_parser("install", help="put a certificate the CA signed in place, with the key of the request")
    p.add_argument("cert", metavar="CERT", help="the certificate (PEM) from `rilo-node ca sign`")
    p.add_argument("--node-dir", required=True, metavar="DIR", help="the node's folder")
    p.add_argument("--client", metavar="NAME", help="a client certificate requested with --client NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cert_install)

    ca = sub.add_parser("ca", help="where the network CA's key is: sign certificate requests"
                        ).add_subparsers(dest="action", required=True)
    p = ca.add_parser("sign", help="sign a certificate request (node:<id> or client:<id>:<name>)")
    p.add_argument("csr", metavar="CSR", help="the request (PEM) from `rilo-node cert request`")
    p.add_argument("--ca-cert", required=True, metavar="FILE")
    p.add_argument("--ca-key", required=True, metavar="FILE")
    p.add_argument("--days", type=bounded_int(1, MAX_DAYS), default=825, metavar="N",
                   help=f"validity, at most {MAX_DAYS} (default 825)")
    p.add_argument("--out", metavar="FILE", help="where to write the certificate (default: CSR name with .pem)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ca_sign)
