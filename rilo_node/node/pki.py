"""Development and network PKI: a CA, node certificates that carry the node id, client certificates."""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from rilo_node.core.identity import NODE_DNS_SUFFIX, Identity, node_dns  # noqa: F401 - re-exported


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class CertificateAuthority:
    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def create(cls, name: str = "RILO Net development CA", days: int = 3650) -> "CertificateAuthority":
        key = _key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(_pem_cert(cert), _pem_key(key))

    @classmethod
    def load(cls, cert_path: Path, key_path: Path) -> "CertificateAuthority":
        return cls(Path(cert_path).read_bytes(), Path(key_path).read_bytes())

    def _issue(self, common_name: str, *, dns: list[str], server: bool, days: int) -> tuple[bytes, bytes]:
        ca_cert = x509.load_pem_x509_certificate(self.cert_pem)
        ca_key = serialization.load_pem_private_key(self.key_pem, password=None)
        key = _key()
        now = datetime.datetime.now(datetime.timezone.utc)
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([ExtendedKeyUsageOID.SERVER_AUTH] if server else [])
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
            )
        )
        if dns:
            names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
            names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return _pem_cert(cert), _pem_key(key)

    def issue_node(self, node_id: str, days: int = 825) -> tuple[bytes, bytes]:
        """A node's TLS certificate: server and client use (nodes call each other)."""
        return self._issue(f"node:{node_id}", dns=[node_dns(node_id), "localhost"], server=True, days=days)

    def issue_client(self, node_id: str, name: str = "national-system", days: int = 825) -> tuple[bytes, bytes]:
        """A national system's certificate for calling its own node `node_id`."""
        if ":" in name:
            raise ValueError("a client name may not contain ':'")
        return self._issue(f"client:{node_id}:{name}", dns=[], server=False, days=days)


def write_pem(path: Path, data: bytes, private: bool = False) -> None:
    """Write a PEM file; a private one is created 0600 in a 0700 folder, never readable by others, not even
    for a moment."""
    if private:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
