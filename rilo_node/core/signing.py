"""Signed records: canonical header bytes, Ed25519 sign and verify-before-parse (pure)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing
from google.protobuf.message import DecodeError

from rilo_node.core.errors import SignatureError
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2

# PKCS#8 DER of an Ed25519 private key is this prefix and the 32-byte seed (RFC 8410 §7).
_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")

# What the origin signs is DOMAIN || header. The prefix keeps a record signature from
# ever being valid for another kind of message signed with the same key.
DOMAIN = b"RILO-NET/v1/record-header\x00"
EMPTY_SHA256 = hashlib.sha256(b"").digest()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def key_id_for(node_id: str, public_raw: bytes) -> str:
    """`<node>:<first 16 hex digits of SHA-256 of the raw public key>`."""
    return f"{node_id}:{hashlib.sha256(public_raw).hexdigest()[:16]}"


@dataclass(frozen=True)
class SigningKey:
    """A node's Ed25519 record-signing key (separate from its TLS key)."""

    node_id: str
    seed: bytes

    def __post_init__(self):
        if len(self.seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        object.__setattr__(self, "_nacl", nacl.signing.SigningKey(self.seed))

    @property
    def public_raw(self) -> bytes:
        return bytes(self._nacl.verify_key)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return key_id_for(self.node_id, self.public_raw)

    def sign(self, message: bytes) -> bytes:
        return self._nacl.sign(message).signature

    @classmethod
    def generate(cls, node_id: str) -> "SigningKey":
        return cls(node_id, bytes(nacl.signing.SigningKey.generate()))

    def to_pem(self) -> bytes:
        """PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes it."""
        der = base64.b64encode(_PKCS8_ED25519_PREFIX + self.seed).decode()
        return f"-----BEGIN PRIVATE KEY-----\n{der}\n-----END PRIVATE KEY-----\n".encode()

    @classmethod
    def from_pem(cls, node_id: str, pem: bytes) -> "SigningKey":
        text = pem.decode("ascii", "replace")
        body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
        try:
            der = base64.b64decode(body, validate=True)
        except ValueError:
            der = b""
        if "BEGIN PRIVATE KEY" in text and len(der) == 48 and der.startswith(_PKCS8_ED25519_PREFIX):
            return cls(node_id, der[16:])
        # Other encodings of the same key (e.g. with attributes): let cryptography read them.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise SignatureError(f"the signing key file cannot be read: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SignatureError("the signing key file does not hold an Ed25519 private key")
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        return cls(node_id, raw)


class Keyring:
    """The public record-signing keys this node trusts, by key id; each belongs to one node."""

    def __init__(self):
        self._keys: dict[str, tuple[str, nacl.signing.VerifyKey]] = {}
        self._by_node: dict[str, str] = {}

    def add(self, node_id: str, public_raw: bytes) -> str:
        if len(public_raw) != 32:
            raise SignatureError(f"node {node_id!r}: an Ed25519 public key is 32 bytes")
        key_id = key_id_for(node_id, public_raw)
        self._keys[key_id] = (node_id, nacl.signing.VerifyKey(public_raw))
        self._by_node[node_id] = key_id
        return key_id

    def key_id_of(self, node_id: str) -> str | None:
        """The newest key added for a node."""
        return self._by_node.get(node_id)

    def add_b64(self, node_id: str, public_b64: str) -> str:
        try:
            raw = base64.b64decode(public_b64, validate=True)
        except ValueError as exc:
            raise SignatureError(f"node {node_id!r}: signing key is not base64: {exc}") from None
        return self.add(node_id, raw)

    def owner(self, key_id: str) -> str | None:
        entry = self._keys.get(key_id)
        return entry[0] if entry else None

    def verify_key(self, key_id: str) -> nacl.signing.VerifyKey | None:
        entry = self._keys.get(key_id)
        return entry[1] if entry else None

    def __contains__(self, key_id: str) -> bool:
        return key_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class VerifiedRecord:
    """A record whose signature and hashes checked out; header parsed only after that."""

    header: record_pb2.RecordHeader
    record: record_pb2.SignedRecord
    has_body: bool
    has_annex: bool

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.header.origin, self.header.record_id, self.header.version)


def make_record(
    key: SigningKey,
    *,
    record_id: str,
    version: int,
    kind: int,
    created_at: str,
    policy: policy_pb2.SharingPolicy,
    body: bytes,
    annex: bytes | None = None,
    retracted: bool = False,
) -> record_pb2.SignedRecord:
    """Build the header once, serialize it once, sign those bytes."""
    header = record_pb2.RecordHeader(
        origin=key.node_id,
        record_id=record_id,
        version=version,
        kind=kind,
        created_at=created_at,
        policy=policy,
        key_id=key.key_id,
        body_sha256=sha256(body),
        annex_sha256=sha256(annex) if annex else b"",
        retracted=retracted,
    )
    header_bytes = header.SerializeToString(deterministic=True)
    return record_pb2.SignedRecord(
        header=header_bytes,
        body=body,
        annex=annex or b"",
        signature=key.sign(DOMAIN + header_bytes),
        key_id=key.key_id,
    )


def verify_record(record: record_pb2.SignedRecord, keyring: Keyring, *, allow_stripped_body: bool = False) -> VerifiedRecord:
    """Check the signature on the header bytes as received, then parse, then check the hashes.

    A body may be absent only where the caller allows it (a tombstone kept after a
    withdrawal); an annex may always be absent (redaction), never altered.
    """
    verify_key = keyring.verify_key(record.key_id)
    if verify_key is None:
        raise SignatureError(f"unknown signing key {record.key_id!r}")
    if len(record.signature) != 64:
        raise SignatureError("signature is not 64 bytes")
    try:
        verify_key.verify(DOMAIN + record.header, record.signature)
    except nacl.exceptions.BadSignatureError:
        raise SignatureError(f"bad signature for key {record.key_id!r}") from None
    header = record_pb2.RecordHeader()
    try:
        header.ParseFromString(record.header)
    except DecodeError:
        raise SignatureError("signed header does not parse") from None
    if header.key_id != record.key_id:
        raise SignatureError(f"header names key {header.key_id!r}, envelope {record.key_id!r}")
    owner = keyring.owner(record.key_id)
    if header.origin != owner:
        raise SignatureError(f"record of origin {header.origin!r} signed by a key of {owner!r}")
    if record.body or header.body_sha256 == EMPTY_SHA256:
        if sha256(record.body) != header.body_sha256:
            raise SignatureError("body does not match the SHA-256 in the signed header")
        has_body = True
    elif allow_stripped_body:
        has_body = False
    else:
        raise SignatureError("body is missing")
    if record.annex:
        if not header.annex_sha256 or sha256(record.annex) != header.annex_sha256:
            raise SignatureError("annex does not match the SHA-256 in the signed header")
    return VerifiedRecord(header=header, record=record, has_body=has_body, has_annex=bool(record.annex))


def strip_annex(record: record_pb2.SignedRecord) -> record_pb2.SignedRecord:
    """The same record without its annex; the signature still verifies."""
    return record_pb2.SignedRecord(header=record.header, body=record.body, signature=record.signature, key_id=record.key_id)


def strip_body(record: record_pb2.SignedRecord) -> record_pb2.SignedRecord:
    """Header and signature only: a verifiable tombstone."""
    return record_pb2.SignedRecord(header=record.header, signature=record.signature, key_id=record.key_id)
