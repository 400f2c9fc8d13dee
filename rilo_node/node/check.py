"""`rilo-node config check`: will this node.toml start a node? The config, the directory, the key files.

Checks what `serve` would refuse (and a little more, before it bites): the config and its directory
load, the node id is in the directory, the TLS and signing key files exist and are readable, the
signing key is the one the directory lists for this node, and the node certificate is signed by the
CA file, names this node, goes with the TLS key and is valid now.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from rilo_node.core.errors import ConfigError, RiloError
from rilo_node.core.identity import node_dns
from rilo_node.core.signing import SigningKey
from rilo_node.node.config import NodeConfig, load_config
from rilo_node.node.directory import load_topology
from rilo_node.node.keys import rotated_to
from rilo_node.node.pki import same_public_key


@dataclass
class ConfigReport:
    """What `check_config` found: `problems` (each naming the config key or the file), and, for the OK line,
    what it checked."""

    path: Path
    config: NodeConfig | None = None
    problems: list[str] = field(default_factory=list)
    role: str = ""
    signing_key_id: str = ""
    signing_key_listed: bool = False
    cert_not_after: datetime.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """The one line of a config that passed."""
        c = self.config
        tls = ("insecure (no TLS)" if c.insecure else
               f"certificate node:{c.node_id} valid until {self.cert_not_after:%Y-%m-%d}")
        listed = "as the directory lists it" if self.signing_key_listed else "the directory lists none"
        return f"{c.path}: OK: node {c.node_id} ({self.role}), signing key {self.signing_key_id} ({listed}), {tls}"


def _read(report: ConfigReport, key: str, path: Path | None) -> bytes | None:
    """The bytes of the file a config key names, or None with a problem naming both."""
    if path is None:
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        report.problems.append(f"{key} ({path}): no such file")
    except IsADirectoryError:
        report.problems.append(f"{key} ({path}): is a folder, not a file")
    except OSError as exc:
        report.problems.append(f"{key} ({path}): cannot read: {exc.strerror or exc}")
    return None


def check_config(path: str | Path, *, now: datetime.datetime | None = None) -> ConfigReport:
    """Check the node config at `path` and everything it points to; never raises for what it finds."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    report = ConfigReport(Path(path))
    try:
        config = load_config(path)
    except ConfigError as exc:  # "<the config's path>: <what>": the path is said once, by the caller
        report.problems.append(str(exc).removeprefix(f"{Path(path).resolve()}: "))
        return report
    except (OSError, UnicodeDecodeError) as exc:  # a folder, no permission, not UTF-8
        report.problems.append(f"cannot read the config: {getattr(exc, 'strerror', None) or exc}")
        return report
    report.config = config
    try:
        directory = load_topology(config.topology)
    except RiloError as exc:
        report.problems.append(f"node.topology: {exc}")
        return report
    info = directory.get(config.node_id)
    if info is None:
        report.problems.append(f"node.id {config.node_id!r} is not a node of the directory {config.topology}")
    else:
        report.role = info.role
        if config.validation_required and not (info.role == "member" and info.area and directory.get(info.area)):
            report.problems.append(f"validation.required: {config.node_id!r} reports to no RILO in the directory "
                                   f"{config.topology}")

    pem = _read(report, "signing.key", config.signing_key)
    if pem is not None:
        try:
            key = SigningKey.from_pem(config.node_id, pem)
        except RiloError as exc:
            report.problems.append(f"signing.key ({config.signing_key}): {exc}")
        else:
            report.signing_key_id = key.key_id
            listed = info.signing_key if info else None
            report.signing_key_listed = bool(listed)
            if listed and listed != key.public_b64 and not rotated_to(config.db_path, key.key_id):
                report.problems.append(
                    f"signing.key ({config.signing_key}): its public key {key.public_b64} is not the signing_key "
                    f"the directory {config.topology} lists for {config.node_id!r} ({listed})")

    if not config.insecure:
        _check_tls(report, config, now)
    return report


def _check_tls(report: ConfigReport, config: NodeConfig, now: datetime.datetime) -> None:
    ca_pem = _read(report, "tls.ca", config.tls_ca)
    cert_pem = _read(report, "tls.cert", config.tls_cert)
    key_pem = _read(report, "tls.key", config.tls_key)
    ca = _certificate(report, "tls.ca", config.tls_ca, ca_pem)
    cert = _certificate(report, "tls.cert", config.tls_cert, cert_pem)
    key = None
    if key_pem is not None:
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            report.problems.append(f"tls.key ({config.tls_key}): not a PEM private key without a password ({exc})")
    for name, path, c in (("tls.ca", config.tls_ca, ca), ("tls.cert", config.tls_cert, cert)):
        if c is not None and not c.not_valid_before_utc <= now <= c.not_valid_after_utc:
            report.problems.append(f"{name} ({path}): valid from {c.not_valid_before_utc:%Y-%m-%d %H:%M} to "
                                   f"{c.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, not now")
    if cert is None:
        return
    report.cert_not_after = cert.not_valid_after_utc
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if names != [f"node:{config.node_id}"]:
        named = ", ".join(map(str, names)) or "missing"
        report.problems.append(f"tls.cert ({config.tls_cert}): its common name is {named}, not node:{config.node_id}")
    try:
        dns = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        dns = []
    if node_dns(config.node_id) not in dns:
        report.problems.append(f"tls.cert ({config.tls_cert}): does not name {node_dns(config.node_id)} "
                               f"(it names {', '.join(dns) or 'no DNS name'}), which peers check")
    if ca is not None:
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            report.problems.append(f"tls.cert ({config.tls_cert}): not signed by the CA in tls.ca ({config.tls_ca})")
    if key is not None and not same_public_key(key, cert):
        report.problems.append(f"tls.key ({config.tls_key}): not the key of the certificate in tls.cert "
                               f"({config.tls_cert})")


def _certificate(report: ConfigReport, key: str, path: Path | None, pem: bytes | None) -> x509.Certificate | None:
    if pem is None:
        return None
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        report.problems.append(f"{key} ({path}): not a PEM certificate ({exc})")
        return None
