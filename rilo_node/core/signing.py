"""Signed records: canonical header bytes, Ed25519 sign and verify-before-parse (pure)."""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing
from google.protobuf.message import DecodeError

from rilo_node.core.errors import SignatureError
from rilo_node.pb.rilo.v1 import keys_pb2, policy_pb2, record_pb2

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
        object.__setattr__(self, "_key_id", key_id_for(self.node_id, bytes(self._nacl.verify_key)))

    @property
    def public_raw(self) -> bytes:
        return bytes(self._nacl.verify_key)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return self._key_id

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


class KeyRevokedError(SignatureError):
    """A record, statement or directory signed by a key that was revoked at the time it is dated."""


def instant(text: str, what: str = "time") -> datetime.datetime:
    """An RFC 3339 time (as nodes write them, `...Z` or with an offset) as an aware datetime."""
    try:
        moment = datetime.datetime.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SignatureError(f"{what} {text!r} is not an RFC 3339 time with an offset")
    return moment


@dataclass
class KeyEntry:
    """One trusted record-signing key and the times it may sign at (docs/protocol.md#signing-keys-over-time).

    A record verifies with it when its `created_at` is before `not_after` (set when the node rotated to
    a successor) and before `revoked_since` (set by a revocation); `valid_from` orders a node's keys.
    """

    key_id: str
    node: str
    public_raw: bytes
    verify_key: nacl.signing.VerifyKey
    source: str = "directory"  # or "rotation"
    valid_from: str | None = None
    previous: str | None = None
    not_after: str | None = None
    revoked_since: str | None = None
    order: int = 0

    def signs_at(self, when: datetime.datetime) -> bool:
        if self.not_after is not None and when >= instant(self.not_after):
            return False
        return self.revoked_since is None or when < instant(self.revoked_since)


class Keyring:
    """The public record-signing keys this node trusts, by key id; each belongs to one node, and may have a
    validity window and a revocation (docs/protocol.md#signing-keys-over-time)."""

    def __init__(self):
        self._keys: dict[str, KeyEntry] = {}
        self._added = 0
        self.version = 0  # grows with every change to the keys trusted, their windows or revocations

    def add(self, node_id: str, public_raw: bytes, *, source: str = "directory", valid_from: str | None = None,
            previous: str | None = None) -> str:
        """Trust a key of `node_id`. A key already trusted keeps its window and revocation."""
        if len(public_raw) != 32:
            raise SignatureError(f"node {node_id!r}: an Ed25519 public key is 32 bytes")
        key_id = key_id_for(node_id, public_raw)
        entry = self._keys.get(key_id)
        self._added += 1
        if entry is None:
            self._keys[key_id] = KeyEntry(key_id, node_id, bytes(public_raw), nacl.signing.VerifyKey(public_raw),
                                          source=source, valid_from=valid_from, previous=previous, order=self._added)
            self.version += 1
        elif source == "rotation" and entry.source == "directory":
            entry.source, entry.valid_from, entry.previous = source, valid_from, previous
            self.version += 1
        return key_id

    def add_b64(self, node_id: str, public_b64: str, **kwargs) -> str:
        try:
            raw = base64.b64decode(public_b64, validate=True)
        except ValueError as exc:
            raise SignatureError(f"node {node_id!r}: signing key is not base64: {exc}") from None
        return self.add(node_id, raw, **kwargs)

    def close(self, key_id: str, not_after: str) -> None:
        """The key signs nothing dated at or after `not_after` (its successor's statement says so)."""
        entry = self._keys[key_id]
        if entry.not_after is None or instant(not_after) < instant(entry.not_after):
            entry.not_after = not_after
            self.version += 1

    def revoke(self, key_id: str, since: str) -> bool:
        """Revoke from `since`; an earlier revocation stands. True when this changed the key."""
        entry = self._keys[key_id]
        if entry.revoked_since is None or instant(since) < instant(entry.revoked_since):
            entry.revoked_since = since
            self.version += 1
            return True
        return False

    def retain_nodes(self, node_ids) -> None:
        """Forget the keys of nodes that are no longer in the directory."""
        keep = set(node_ids)
        kept = {k: e for k, e in self._keys.items() if e.node in keep}
        if len(kept) != len(self._keys):
            self.version += 1
        self._keys = kept

    def entry(self, key_id: str) -> KeyEntry | None:
        return self._keys.get(key_id)

    def entries(self) -> list[KeyEntry]:
        return sorted(self._keys.values(), key=lambda e: (e.node, e.order))

    def key_id_of(self, node_id: str) -> str | None:
        """The node's current key: of its keys not revoked, the one that came last in its rotations (a key
        with no `valid_from`, listed by the directory, before any rotated to)."""
        mine = [e for e in self._keys.values() if e.node == node_id and e.revoked_since is None]
        if not mine:
            return None
        return max(mine, key=lambda e: (instant(e.valid_from) if e.valid_from else _EPOCH, e.order)).key_id

    def successor_of(self, key_id: str) -> str | None:
        for e in self._keys.values():
            if e.previous == key_id:
                return e.key_id
        return None

    def predecessors(self, key_id: str) -> list[str]:
        """The keys this key's rotation statements chain back to (its node's earlier keys)."""
        out, entry = [], self._keys.get(key_id)
        while entry is not None and entry.previous and entry.previous not in out:
            out.append(entry.previous)
            entry = self._keys.get(entry.previous)
        return out

    def owner(self, key_id: str) -> str | None:
        entry = self._keys.get(key_id)
        return entry.node if entry else None

    def verify_key(self, key_id: str) -> nacl.signing.VerifyKey | None:
        """The key to check a query or an answer with: none for an unknown or a revoked key."""
        entry = self._keys.get(key_id)
        return entry.verify_key if entry and entry.revoked_since is None else None

    def check_dated(self, key_id: str, when: str, what: str = "record") -> KeyEntry:
        """The key's entry, if it may sign what is dated `when`; else SignatureError (KeyRevokedError for a
        revocation)."""
        entry = self._keys.get(key_id)
        if entry is None:
            raise SignatureError(f"unknown signing key {key_id!r}")
        if entry.not_after is None and entry.revoked_since is None:
            return entry
        moment = instant(when, f"{what} time")
        if entry.revoked_since is not None and moment >= instant(entry.revoked_since):
            raise KeyRevokedError(f"key {key_id!r} is revoked since {entry.revoked_since}; the {what} is dated {when}")
        if entry.not_after is not None and moment >= instant(entry.not_after):
            raise SignatureError(f"key {key_id!r} signs nothing dated at or after {entry.not_after} (it was "
                                 f"rotated); the {what} is dated {when}")
        return entry

    def refuses(self, key_id: str, when: str) -> bool:
        """True when a known key was revoked (or rotated away) before `when`: what it signed then is not passed
        on. An unknown key is not judged here."""
        entry = self._keys.get(key_id)
        if entry is None or (entry.not_after is None and entry.revoked_since is None):
            return False
        try:
            self.check_dated(key_id, when)
        except SignatureError:
            return True
        return False

    def __contains__(self, key_id: str) -> bool:
        return key_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)


_EPOCH = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)


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
    entry = keyring.entry(record.key_id)
    if entry is None:
        raise SignatureError(f"unknown signing key {record.key_id!r}")
    verify_key = entry.verify_key
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
    owner = entry.node
    if header.origin != owner:
        raise SignatureError(f"record of origin {header.origin!r} signed by a key of {owner!r}")
    # Inside the key's window, and not after its revocation (docs/protocol.md#signing-keys-over-time).
    keyring.check_dated(record.key_id, header.created_at)
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


# --- key statements, revocations and the signed directory (docs/protocol.md#signing-keys-over-time) ---

KEY_STATEMENT_DOMAIN = b"RILO-NET/v1/key-statement\x00"
REVOCATION_DOMAIN = b"RILO-NET/v1/key-revocation\x00"
DIRECTORY_DOMAIN = b"RILO-NET/v1/directory\x00"
SECRETARIAT = "wco"  # signs the directory, and may revoke any key


def _check_signature(verify_key: nacl.signing.VerifyKey, domain: bytes, data: bytes, signature: bytes, what: str):
    if len(signature) != 64:
        raise SignatureError(f"{what}: signature is not 64 bytes")
    try:
        verify_key.verify(domain + data, signature)
    except nacl.exceptions.BadSignatureError:
        raise SignatureError(f"{what}: bad signature") from None


def _parse(cls, data: bytes, what: str):
    msg = cls()
    try:
        msg.ParseFromString(data)
    except DecodeError:
        raise SignatureError(f"{what} does not parse") from None
    return msg


def sign_key_statement(previous: SigningKey, new_public_raw: bytes, *, valid_from: str,
                       previous_not_after: str) -> keys_pb2.SignedKeyStatement:
    """The statement by which `previous` hands over to the new key (signed by `previous`)."""
    stmt = keys_pb2.KeyStatement(node=previous.node_id, key_id=key_id_for(previous.node_id, new_public_raw),
                                 public_key=new_public_raw, valid_from=valid_from, previous_key_id=previous.key_id,
                                 previous_not_after=previous_not_after)
    data = stmt.SerializeToString(deterministic=True)
    return keys_pb2.SignedKeyStatement(statement=data, signature=previous.sign(KEY_STATEMENT_DOMAIN + data),
                                       key_id=previous.key_id)


def verify_key_statement(signed: keys_pb2.SignedKeyStatement, keyring: Keyring) -> keys_pb2.KeyStatement:
    """Check a key statement against the keys trusted now; the statement, or SignatureError.

    The signer must be a trusted key of the statement's node, the key it hands over from, and allowed to sign
    at `valid_from` (not rotated away or revoked by then); a key hands over once (no second successor)."""
    signer = keyring.entry(signed.key_id)
    if signer is None:
        raise SignatureError(f"key statement signed by unknown key {signed.key_id!r}")
    _check_signature(signer.verify_key, KEY_STATEMENT_DOMAIN, signed.statement, signed.signature, "key statement")
    stmt = _parse(keys_pb2.KeyStatement, signed.statement, "key statement")
    if stmt.previous_key_id != signed.key_id:
        raise SignatureError(f"key statement names {stmt.previous_key_id!r} as previous key but is signed by "
                             f"{signed.key_id!r}")
    if stmt.node != signer.node:
        raise SignatureError(f"key statement for {stmt.node!r} signed by a key of {signer.node!r}")
    if len(stmt.public_key) != 32 or stmt.key_id != key_id_for(stmt.node, stmt.public_key):
        raise SignatureError(f"key statement: {stmt.key_id!r} is not the id of the key it carries")
    if instant(stmt.previous_not_after, "previous_not_after") < instant(stmt.valid_from, "valid_from"):
        raise SignatureError("key statement: the previous key stops before the new one starts")
    keyring.check_dated(signed.key_id, stmt.valid_from, "key statement")
    successor = keyring.successor_of(signed.key_id)
    if successor is not None and successor != stmt.key_id:
        raise SignatureError(f"key {signed.key_id!r} already handed over to {successor!r}; a second successor "
                             f"{stmt.key_id!r} is refused")
    return stmt


def apply_key_statement(keyring: Keyring, stmt: keys_pb2.KeyStatement) -> bool:
    """Trust the new key from the statement and close the previous one's window; True when new."""
    known = stmt.key_id in keyring and keyring.entry(stmt.key_id).previous == stmt.previous_key_id
    keyring.add(stmt.node, stmt.public_key, source="rotation", valid_from=stmt.valid_from,
                previous=stmt.previous_key_id)
    keyring.close(stmt.previous_key_id, stmt.previous_not_after)
    return not known


def sign_revocation(key: SigningKey, key_id: str, *, since: str, issued_at: str) -> keys_pb2.SignedKeyRevocation:
    rev = keys_pb2.KeyRevocation(key_id=key_id, since=since, revoked_by=key.node_id, issued_at=issued_at)
    data = rev.SerializeToString(deterministic=True)
    return keys_pb2.SignedKeyRevocation(revocation=data, signature=key.sign(REVOCATION_DOMAIN + data),
                                        key_id=key.key_id)


def may_revoke(keyring: Keyring, signer_key_id: str, key_id: str) -> bool:
    """wco's keys may revoke any key; a node's key may revoke itself and the keys it succeeded, never a later
    one (a stolen old key cannot revoke the key that replaced it)."""
    signer = keyring.entry(signer_key_id)
    target = keyring.entry(key_id)
    if signer is None or target is None:
        return False
    if signer.node == SECRETARIAT:
        return True
    return signer.node == target.node and (signer_key_id == key_id or key_id in keyring.predecessors(signer_key_id))


def verify_revocation(signed: keys_pb2.SignedKeyRevocation, keyring: Keyring) -> keys_pb2.KeyRevocation:
    """Check a revocation against the keys trusted now; the revocation, or SignatureError."""
    signer = keyring.entry(signed.key_id)
    if signer is None:
        raise SignatureError(f"revocation signed by unknown key {signed.key_id!r}")
    _check_signature(signer.verify_key, REVOCATION_DOMAIN, signed.revocation, signed.signature, "revocation")
    rev = _parse(keys_pb2.KeyRevocation, signed.revocation, "revocation")
    if rev.revoked_by != signer.node:
        raise SignatureError(f"revocation by {rev.revoked_by!r} signed by a key of {signer.node!r}")
    if rev.key_id not in keyring:
        raise SignatureError(f"revocation of unknown key {rev.key_id!r}")
    instant(rev.since, "since")
    if rev.key_id != signed.key_id:
        keyring.check_dated(signed.key_id, rev.issued_at, "revocation")
    if not may_revoke(keyring, signed.key_id, rev.key_id):
        raise SignatureError(f"{signed.key_id!r} may not revoke {rev.key_id!r}")
    return rev


def sign_directory(key: SigningKey, *, version: int, issued_at: str, topology: str) -> keys_pb2.SignedDirectory:
    """wco's signature over a version of the directory (docs/protocol.md#the-signed-directory)."""
    doc = keys_pb2.DirectoryDocument(version=version, issued_at=issued_at, topology=topology)
    data = doc.SerializeToString(deterministic=True)
    return keys_pb2.SignedDirectory(document=data, signature=key.sign(DIRECTORY_DOMAIN + data), key_id=key.key_id)


def verify_directory(signed: keys_pb2.SignedDirectory, keyring: Keyring) -> keys_pb2.DirectoryDocument:
    """Check a signed directory: a key of wco's that may sign at its `issued_at`, and a signature over the bytes
    as received; only then parse. The document, or SignatureError."""
    if not signed.signature or not signed.key_id:
        raise SignatureError("the directory is not signed")
    signer = keyring.entry(signed.key_id)
    if signer is None:
        raise SignatureError(f"directory signed by unknown key {signed.key_id!r}")
    if signer.node != SECRETARIAT:
        raise SignatureError(f"directory signed by a key of {signer.node!r}, not of {SECRETARIAT!r}")
    _check_signature(signer.verify_key, DIRECTORY_DOMAIN, signed.document, signed.signature, "directory")
    doc = _parse(keys_pb2.DirectoryDocument, signed.document, "directory")
    if doc.version < 1:
        raise SignatureError("directory version must be at least 1")
    keyring.check_dated(signed.key_id, doc.issued_at, "directory")
    return doc
