"""Signing keys over time (pure): windows after a rotation, revocations and who may sign them, and the signed
directory (docs/protocol.md#signing-keys-over-time, docs/protocol.md#the-signed-directory)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rilo_node.core.errors import SignatureError
from rilo_node.core.events import utc_text
from rilo_node.core.signing import (
    DIRECTORY_DOMAIN,
    KEY_STATEMENT_DOMAIN,
    KeyRevokedError,
    Keyring,
    SigningKey,
    apply_key_statement,
    make_record,
    sign_directory,
    sign_key_statement,
    sign_revocation,
    verify_directory,
    verify_key_statement,
    verify_record,
    verify_revocation,
)
from rilo_node.pb.rilo.v1 import keys_pb2, policy_pb2, record_pb2

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
K1 = SigningKey("de", bytes(range(32)))
K2 = SigningKey("de", bytes(range(1, 33)))
K3 = SigningKey("de", bytes(range(2, 34)))
FR = SigningKey("fr", bytes(range(3, 35)))
WCO = SigningKey("wco", bytes(range(4, 36)))


def at(seconds: float) -> str:
    return utc_text(T0 + timedelta(seconds=seconds))


def record(key: SigningKey, created: str, rid: str = "01JQ6ZK0000000000000000001") -> record_pb2.SignedRecord:
    return make_record(key, record_id=rid, version=1, kind=record_pb2.RECORD_KIND_SEIZURE, created_at=created,
                       policy=policy_pb2.SharingPolicy(), body=b"body")


def ring(*keys: SigningKey) -> Keyring:
    r = Keyring()
    for k in keys:
        r.add(k.node_id, k.public_raw)
    return r


def rotated() -> Keyring:
    """de rotated from K1 to K2 at T0; K1 signs what is dated before T0 + 60 s."""
    r = ring(K1, FR, WCO)
    signed = sign_key_statement(K1, K2.public_raw, valid_from=at(0), previous_not_after=at(60))
    apply_key_statement(r, verify_key_statement(signed, r))
    return r


def test_after_a_rotation_the_old_key_verifies_what_it_signed_inside_its_window_only():
    r = rotated()
    verify_record(record(K1, at(-3600)), r)
    verify_record(record(K1, at(59.999999)), r)  # the overlap: signed while the key was being swapped
    with pytest.raises(SignatureError, match="rotated"):
        verify_record(record(K1, at(60)), r)
    verify_record(record(K2, at(1)), r)
    assert r.key_id_of("de") == K2.key_id and r.entry(K1.key_id).not_after == at(60)


def test_a_key_statement_is_signed_by_the_key_it_hands_over_from_and_nothing_else():
    r = ring(K1, FR)
    stmt = sign_key_statement(K1, K2.public_raw, valid_from=at(0), previous_not_after=at(60))
    tampered = keys_pb2.SignedKeyStatement()
    tampered.CopyFrom(stmt)
    tampered.statement = stmt.statement.replace(K2.public_raw, K3.public_raw)
    with pytest.raises(SignatureError, match="bad signature"):
        verify_key_statement(tampered, r)
    with pytest.raises(SignatureError, match="unknown key"):  # a statement from a key no one trusts
        verify_key_statement(sign_key_statement(K3, K2.public_raw, valid_from=at(0), previous_not_after=at(0)), r)
    # A statement naming de but signed by fr's key is refused.
    stmt_de = keys_pb2.KeyStatement.FromString(stmt.statement)
    data = stmt_de.SerializeToString(deterministic=True)
    by_fr = keys_pb2.SignedKeyStatement(statement=data, signature=FR.sign(KEY_STATEMENT_DOMAIN + data),
                                        key_id=FR.key_id)
    with pytest.raises(SignatureError, match="previous key"):
        verify_key_statement(by_fr, r)
    with pytest.raises(SignatureError, match="stops before"):
        verify_key_statement(sign_key_statement(K1, K2.public_raw, valid_from=at(60), previous_not_after=at(0)), r)
    assert KEY_STATEMENT_DOMAIN == b"RILO-NET/v1/key-statement\x00"


def test_a_key_hands_over_once_a_second_successor_is_refused():
    r = rotated()
    again = sign_key_statement(K1, K3.public_raw, valid_from=at(10), previous_not_after=at(20))
    with pytest.raises(SignatureError, match="second successor"):
        verify_key_statement(again, r)
    # The same statement again is no second successor.
    same = sign_key_statement(K1, K2.public_raw, valid_from=at(0), previous_not_after=at(60))
    assert verify_key_statement(same, r).key_id == K2.key_id


def test_a_rotated_key_cannot_hand_over_past_its_window():
    r = rotated()
    late = sign_key_statement(K2, K3.public_raw, valid_from=at(120), previous_not_after=at(180))
    assert verify_key_statement(late, r).key_id == K3.key_id  # K2 signs at 120 s
    stale = sign_key_statement(K1, K3.public_raw, valid_from=at(120), previous_not_after=at(180))
    with pytest.raises(SignatureError):
        verify_key_statement(stale, r)  # K1 stopped at 60 s (and already handed over)


def test_a_revoked_key_verifies_what_it_signed_before_since_and_nothing_after():
    r = rotated()
    rev = verify_revocation(sign_revocation(K2, K1.key_id, since=at(-60), issued_at=at(5)), r)
    r.revoke(rev.key_id, rev.since)
    verify_record(record(K1, at(-61)), r)
    with pytest.raises(KeyRevokedError, match="revoked since"):
        verify_record(record(K1, at(-60)), r)
    assert r.refuses(K1.key_id, at(-30)) and not r.refuses(K1.key_id, at(-120))
    assert r.verify_key(K1.key_id) is None  # a revoked key signs no query or answer
    assert r.key_id_of("de") == K2.key_id


def test_who_may_revoke_a_key():
    r = rotated()
    # A later key of the node, the key itself, and wco may; an earlier key, or another node, may not.
    verify_revocation(sign_revocation(K2, K1.key_id, since=at(0), issued_at=at(5)), r)
    verify_revocation(sign_revocation(K1, K1.key_id, since=at(0), issued_at=at(5)), r)
    verify_revocation(sign_revocation(WCO, K2.key_id, since=at(0), issued_at=at(5)), r)
    with pytest.raises(SignatureError, match="may not revoke"):
        verify_revocation(sign_revocation(K1, K2.key_id, since=at(0), issued_at=at(5)), r)
    with pytest.raises(SignatureError, match="may not revoke"):
        verify_revocation(sign_revocation(FR, K2.key_id, since=at(0), issued_at=at(5)), r)
    forged = sign_revocation(FR, K1.key_id, since=at(0), issued_at=at(5))
    forged.key_id = K2.key_id  # claims de's new key signed it
    with pytest.raises(SignatureError, match="bad signature"):
        verify_revocation(forged, r)


@settings(max_examples=200, deadline=None)
@given(created=st.integers(-10**6, 10**6), since=st.integers(-10**6, 10**6))
def test_a_revoked_keys_record_verifies_exactly_when_it_is_dated_before_since(created, since):
    r = ring(K1)
    r.revoke(K1.key_id, at(since))
    rec = record(K1, at(created))
    if created < since:
        verify_record(rec, r)
    else:
        with pytest.raises(KeyRevokedError):
            verify_record(rec, r)


@settings(max_examples=100, deadline=None)
@given(first=st.integers(-1000, 1000), second=st.integers(-1000, 1000))
def test_the_earliest_revocation_stands_whatever_the_order(first, second):
    a, b = ring(K1), ring(K1)
    a.revoke(K1.key_id, at(first))
    a.revoke(K1.key_id, at(second))
    b.revoke(K1.key_id, at(second))
    b.revoke(K1.key_id, at(first))
    assert a.entry(K1.key_id).revoked_since == b.entry(K1.key_id).revoked_since == at(min(first, second))


def test_the_directory_is_signed_by_wco_and_checked_before_it_is_parsed():
    r = ring(K1, WCO)
    signed = sign_directory(WCO, version=3, issued_at=at(0), topology="[regions]\n")
    doc = verify_directory(signed, r)
    assert (doc.version, doc.topology) == (3, "[regions]\n")
    with pytest.raises(SignatureError, match="not of 'wco'"):
        verify_directory(sign_directory(K1, version=3, issued_at=at(0), topology=""), r)
    tampered = keys_pb2.SignedDirectory()
    tampered.CopyFrom(signed)
    tampered.document = signed.document.replace(b"regions", b"region2")
    with pytest.raises(SignatureError, match="bad signature"):
        verify_directory(tampered, r)
    with pytest.raises(SignatureError, match="not signed"):
        verify_directory(keys_pb2.SignedDirectory(document=signed.document), r)
    with pytest.raises(SignatureError, match="at least 1"):
        verify_directory(sign_directory(WCO, version=0, issued_at=at(0), topology=""), r)
    r.revoke(WCO.key_id, at(-1))
    with pytest.raises(KeyRevokedError):
        verify_directory(signed, r)
    assert DIRECTORY_DOMAIN == b"RILO-NET/v1/directory\x00"


def test_a_directory_signature_is_known_bytes_for_a_fixed_key():
    # Any implementation signs the same bytes: domain || deterministic DirectoryDocument.
    signed = sign_directory(WCO, version=1, issued_at="2026-06-01T12:00:00.000000Z", topology="x")
    doc = keys_pb2.DirectoryDocument(version=1, issued_at="2026-06-01T12:00:00.000000Z", topology="x")
    assert signed.document == doc.SerializeToString(deterministic=True)
    assert signed.document.hex() == "0801121b323032362d30362d30315431323a30303a30302e3030303030305a1a0178"
    assert signed.signature == WCO.sign(DIRECTORY_DOMAIN + signed.document)
    assert signed.key_id == WCO.key_id


def test_keys_of_nodes_that_leave_the_directory_are_forgotten():
    r = rotated()
    r.retain_nodes({"fr", "wco"})
    assert K1.key_id not in r and K2.key_id not in r and r.key_id_of("fr") == FR.key_id
