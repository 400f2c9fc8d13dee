"""Development and network PKI: a CA, node certificates that carry the node id, client certificates."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from rilo_node.core.identity import NODE_DNS_SUFFIX, Identity, node_dns  # noqa: F401 - re-exported
from rilo_node.node.pemfiles import write_pem  # noqa: F401 - re-exported


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

    def _issue(self, common_name: str, *, dns: list[str], server: bool, days: int,
               ips: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
        key = _key()
        cert = self._certificate(common_name, key.public_key(), dns=dns, server=server, days=days, ips=ips)
        return cert, _pem_key(key)

    def _certificate(self, common_name: str, public_key, *, dns: list[str], server: bool, days: int,
                     ips: tuple[str, ...] = ()) -> bytes:
        ca_cert = x509.load_pem_x509_certificate(self.cert_pem)
        ca_key = serialization.load_pem_private_key(self.key_pem, password=None)
        now = datetime.datetime.now(datetime.timezone.utc)
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([ExtendedKeyUsageOID.SERVER_AUTH] if server else [])
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject)
            .public_key(public_key)
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
            names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in dict.fromkeys(("127.0.0.1", *ips))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return _pem_cert(builder.sign(ca_key, hashes.SHA256()))

    def issue_node(self, node_id: str, days: int = 825, ips: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
        """A node's TLS certificate: server and client use (nodes call each other); `ips` are the addresses
        it is reached at besides 127.0.0.1 (a host's own address, e.g. under `cluster up --hosts`)."""
        return self._issue(f"node:{node_id}", dns=[node_dns(node_id), "localhost"], server=True, days=days, ips=ips)

    def issue_client(self, node_id: str, name: str = "national-system", days: int = 825) -> tuple[bytes, bytes]:
        """A national system's certificate for calling its own node `node_id`."""
        if ":" in name:
            raise ValueError("a client name may not contain ':'")
        return self._issue(f"client:{node_id}:{name}", dns=[], server=False, days=days)

    def sign_request(self, csr_pem: bytes, days: int = 825) -> tuple[bytes, Identity]:
        """A certificate for a certificate signing request (`cert request`), as `init` would issue it: the CA,
        not the requester, decides the names and usages, from the identity in the request's CN (`node:<id>`
        or `client:<id>:<name>`). Refuses (ValueError) a request whose signature does not verify, whose CN
        is no RILO identity, or whose key is weak."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError as exc:
            raise ValueError(f"not a PEM certificate signing request: {exc}") from None
        if not csr.is_signature_valid:
            raise ValueError("the request's signature does not verify (it was altered, or not made with its key)")
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        ident = Identity.parse(str(names[0].value)) if names else None
        if ident is None or ident.kind not in ("node", "client"):
            raise ValueError("the request's CN must be node:<id> or client:<id>:<name>")
        public = csr.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            if public.curve.key_size < 256:
                raise ValueError(f"an EC key of {public.curve.key_size} bits is too weak (P-256 or stronger)")
        elif isinstance(public, rsa.RSAPublicKey):
            if public.key_size < 2048:
                raise ValueError(f"an RSA key of {public.key_size} bits is too weak (2048 or more)")
        else:
            raise ValueError("the request's key must be EC (P-256 or stronger) or RSA (2048 bits or more)")
        if ident.kind == "node":
            cert = self._certificate(f"node:{ident.node_id}", public, dns=[node_dns(ident.node_id), "localhost"],
                                     server=True, days=days)
        else:
            cert = self._certificate(f"client:{ident.node_id}:{ident.name}", public, dns=[], server=False, days=days)
        return cert, ident


def certificate_request(common_name: str) -> tuple[bytes, bytes]:
    """A new P-256 key and a certificate signing request for `common_name`: (PEM request, PEM key)."""
    key = _key()
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def check_certificate(cert_pem: bytes, key_pem: bytes, ca_pem: bytes, common_name: str) -> x509.Certificate:
    """The certificate, if it is for `common_name`, issued by the CA of `ca_pem`, for the key of `key_pem` and
    not expired; else ValueError saying which."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise ValueError(f"not a PEM certificate: {exc}") from None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names or names[0].value != common_name:
        raise ValueError(f"the certificate is for {names[0].value if names else 'no CN'!r}, not {common_name!r}")
    ca = x509.load_pem_x509_certificate(ca_pem)
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise ValueError("the certificate was not issued by this node's network CA (tls/ca.pem)") from None
    if not same_public_key(serialization.load_pem_private_key(key_pem, password=None), cert):
        raise ValueError("the certificate is not for the key of the pending request")
    if cert.not_valid_after_utc <= datetime.datetime.now(datetime.timezone.utc):
        raise ValueError(f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    return cert


def same_public_key(key, cert: x509.Certificate) -> bool:
    """Whether `key` (a private key) is the key of `cert`. The running node checks its TLS pair with the ssl
    module instead (api/server.pair_matches), so as not to load this package."""
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)
