"""The node takes a TLS key and certificate only as a matching pair (api/server.pair_matches), checked
without the cryptography package, and agreeing with pki.same_public_key (`config check`)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from rilo_node.api.server import pair_matches
from rilo_node.node.pki import CertificateAuthority, same_public_key, write_pem


def pair(tmp_path, name, cert, key):
    write_pem(tmp_path / f"{name}.pem", cert)
    write_pem(tmp_path / f"{name}.key", key, private=True)
    return tmp_path / f"{name}.pem", tmp_path / f"{name}.key"


def test_a_matching_pair_is_taken_and_a_key_of_another_certificate_is_not(tmp_path):
    ca = CertificateAuthority.create("test CA")
    cert_a, key_a = ca.issue_node("de")
    cert_b, key_b = ca.issue_node("fr")
    assert pair_matches(*pair(tmp_path, "a", cert_a, key_a))
    assert pair_matches(*pair(tmp_path, "mixed", cert_a, key_b)) is False
    cert, key, other = (x509.load_pem_x509_certificate(cert_a), serialization.load_pem_private_key(key_a, None),
                        serialization.load_pem_private_key(key_b, None))
    assert same_public_key(key, cert) and not same_public_key(other, cert)


def test_an_encrypted_key_is_refused_without_asking_for_a_password(tmp_path):
    ca = CertificateAuthority.create("test CA")
    cert, key = ca.issue_node("de")
    locked = serialization.load_pem_private_key(key, password=None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"))
    assert pair_matches(*pair(tmp_path, "locked", cert, locked)) is False


def test_missing_or_unreadable_files_are_no_pair(tmp_path):
    ca = CertificateAuthority.create("test CA")
    cert, _key = ca.issue_node("de")
    write_pem(tmp_path / "c.pem", cert)
    (tmp_path / "junk.key").write_bytes(b"not a key")
    assert pair_matches(tmp_path / "c.pem", tmp_path / "absent.key") is False
    assert pair_matches(tmp_path / "c.pem", tmp_path / "junk.key") is False
