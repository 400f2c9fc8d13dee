"""Signed records: known answers with a fixed key, and every tampered byte is caught."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rilo_node.core.errors import SignatureError
from rilo_node.core.signing import (
    DOMAIN,
    Keyring,
    SigningKey,
    make_record,
    strip_annex,
    strip_body,
    verify_record,
)
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2

# RFC 8032 §7.1, test 1.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

FIXED_SEED = bytes(range(32))


def fixed_record(annex: bytes | None = b"annex-bytes") -> record_pb2.SignedRecord:
    policy = policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_REGION),
        discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GLOBAL),
        annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        handling=policy_pb2.HANDLING_H0,
    )
    return make_record(
        SigningKey("de", FIXED_SEED), record_id="01JQ6ZK0000000000000000000", version=1,
        kind=record_pb2.RECORD_KIND_SEIZURE, created_at="2026-03-14T10:00:00.000000Z", policy=policy,
        body=b"body-bytes", annex=annex,
    )


def keyring_with(*keys: SigningKey) -> Keyring:
    ring = Keyring()
    for k in keys:
        ring.add(k.node_id, k.public_raw)
    return ring


def test_ed25519_matches_rfc8032_test_vector_1():
    key = SigningKey("de", RFC8032_SEED)
    assert key.public_raw == RFC8032_PUBLIC
    assert key.sign(b"") == RFC8032_SIG


def test_key_id_is_node_and_public_key_fingerprint():
    key = SigningKey("de", FIXED_SEED)
    assert key.key_id == "de:" + hashlib.sha256(key.public_raw).hexdigest()[:16]


# Known answers: any change to the header encoding or the signing input breaks these, on purpose.
KNOWN_HEADER = (
    "0a026465121a30314a51365a4b30303030303030303030303030303030303030180120012a1b323032362d30332d3134"
    "5431303a30303a30302e3030303030305a320e0a020804120208061a02080128013a1364653a353634373561613735"
    "3436333437346342203717cba429bb2e1d238a89e2cfba7c2c1ebfeeb81d404bb1a588190a8523673d4a203bdf3698"
    "92d4923470d3392e09074f42553965adf70af0886070b83ccd456914"
)
KNOWN_SIGNATURE = (
    "9a044ceecba987f4597f415f7d3d02b52bf8ff9dfb954b45c64a0ea23cb6ae4ceacd1cf5a2f1919f1d898206bc264edc"
    "59f98422b8d53f77009fece2e828bc09"
)


def test_fixed_key_gives_exact_header_and_signature():
    rec = fixed_record()
    assert rec.header.hex() == KNOWN_HEADER
    assert rec.signature.hex() == KNOWN_SIGNATURE
    assert rec.key_id == "de:56475aa75463474c"
    # The header commits to the SHA-256 of body and annex.
    header = record_pb2.RecordHeader.FromString(rec.header)
    assert header.body_sha256 == hashlib.sha256(b"body-bytes").digest()
    assert header.annex_sha256 == hashlib.sha256(b"annex-bytes").digest()


def test_signature_covers_the_domain_prefix():
    key = SigningKey("de", FIXED_SEED)
    rec = fixed_record()
    assert rec.signature != key.sign(rec.header)


def test_a_good_record_verifies_and_parses_after_the_check():
    key = SigningKey("de", FIXED_SEED)
    v = verify_record(fixed_record(), keyring_with(key))
    assert v.header.origin == "de" and v.header.version == 1
    assert v.has_body and v.has_annex


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


@pytest.mark.parametrize("part", ["header", "body", "annex", "signature"])
def test_flipping_any_byte_of_any_part_is_caught(part):
    key = SigningKey("de", FIXED_SEED)
    ring = keyring_with(key)
    rec = fixed_record()
    original = getattr(rec, part)
    for i in range(len(original)):
        tampered = record_pb2.SignedRecord()
        tampered.CopyFrom(rec)
        setattr(tampered, part, _flip(original, i))
        with pytest.raises(SignatureError):
            verify_record(tampered, ring)


@settings(max_examples=200)
@given(part=st.sampled_from(["header", "body", "annex", "signature"]), data=st.data())
def test_any_replacement_of_a_part_is_caught(part, data):
    ring = keyring_with(SigningKey("de", FIXED_SEED))
    rec = fixed_record()
    new = data.draw(st.binary(min_size=1, max_size=200).filter(lambda b: b != getattr(rec, part)))
    setattr(rec, part, new)
    with pytest.raises(SignatureError):
        verify_record(rec, ring)


def test_an_unknown_key_is_refused():
    with pytest.raises(SignatureError, match="unknown signing key"):
        verify_record(fixed_record(), Keyring())


def test_a_record_signed_by_another_nodes_key_is_refused():
    # fr signs a record that claims origin de, with fr's own (known) key.
    fr = SigningKey("fr", bytes(range(1, 33)))
    rec = fixed_record()
    header = record_pb2.RecordHeader()
    header.ParseFromString(rec.header)
    header.key_id = fr.key_id
    hb = header.SerializeToString(deterministic=True)
    forged = record_pb2.SignedRecord(header=hb, body=rec.body, annex=rec.annex, signature=fr.sign(DOMAIN + hb),
                                     key_id=fr.key_id)
    with pytest.raises(SignatureError, match="signed by a key of 'fr'"):
        verify_record(forged, keyring_with(SigningKey("de", FIXED_SEED), fr))


def test_envelope_key_id_must_match_the_signed_header():
    de = SigningKey("de", FIXED_SEED)
    other = SigningKey("de", bytes(range(2, 34)))
    rec = fixed_record()
    rec.key_id = other.key_id
    rec.signature = other.sign(DOMAIN + rec.header)
    with pytest.raises(SignatureError, match="header names key"):
        verify_record(rec, keyring_with(de, other))


def test_a_record_without_its_annex_still_verifies():
    v = verify_record(strip_annex(fixed_record()), keyring_with(SigningKey("de", FIXED_SEED)))
    assert v.has_body and not v.has_annex


def test_an_annex_the_header_does_not_announce_is_refused():
    ring = keyring_with(SigningKey("de", FIXED_SEED))
    rec = fixed_record(annex=None)
    rec.annex = b"smuggled personal data"
    with pytest.raises(SignatureError, match="annex"):
        verify_record(rec, ring)


def test_a_missing_body_is_refused_unless_a_tombstone_is_expected():
    ring = keyring_with(SigningKey("de", FIXED_SEED))
    tomb = strip_body(fixed_record())
    with pytest.raises(SignatureError, match="body is missing"):
        verify_record(tomb, ring)
    assert not verify_record(tomb, ring, allow_stripped_body=True).has_body


def test_signing_key_round_trips_through_pem():
    key = SigningKey("de", FIXED_SEED)
    again = SigningKey.from_pem("de", key.to_pem())
    assert again.seed == FIXED_SEED and again.key_id == key.key_id
