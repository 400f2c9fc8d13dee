"""A node's own records: idempotent submission, corrections, retraction, projections rebuilt from bytes."""

from __future__ import annotations

import pytest

from rilo_node.core.convert import seizure_from_bytes
from rilo_node.core.errors import (
    AlreadyExistsError,
    NotFoundError,
    PolicyError,
    ValidationError,
)
from rilo_node.core.federation import validate_filter
from rilo_node.core.signing import Keyring, SigningKey, verify_record
from rilo_node.node.clock import FakeClock
from rilo_node.node.records import ConflictError, RecordBook
from rilo_node.pb.rilo.v1 import record_pb2
from rilo_node.store.db import Store, search_local
from rilo_node.store.search import filter_sql
from tests.conftest import seizure_example

RID = "01JQ6ZK0000000000000000001"


@pytest.fixture
def book(tmp_path, directory):
    store = Store(tmp_path / "node.db")
    key = SigningKey("de", bytes(range(32)))
    yield RecordBook(store, key, directory, FakeClock(), node_country="DE")
    store.close()


def keyring(book) -> Keyring:
    ring = Keyring()
    ring.add(book.key.node_id, book.key.public_raw)
    return ring


def signed(book, record_id):
    rec = book.store.get_record("de", record_id)
    return record_pb2.SignedRecord(header=rec.header, body=rec.body or b"", annex=rec.annex or b"",
                                   signature=rec.signature, key_id=rec.key_id)


def test_a_submitted_seizure_is_signed_and_its_policy_explicit(book):
    out = book.submit_seizure(seizure_example(record_id=RID))
    assert (out.origin, out.record_id, out.version, out.created) == ("de", RID, 1, True)
    v = verify_record(signed(book, RID), keyring(book))
    assert v.has_annex
    assert v.header.policy.discover.scope != 0 and v.header.policy.annex.scope != 0
    assert seizure_from_bytes(v.record.body)["items"][0]["category"] == "COCAINE"


def test_resubmitting_the_same_seizure_returns_the_same_key(book):
    first = book.submit_seizure(seizure_example(record_id=RID))
    again = book.submit_seizure(seizure_example(record_id=RID))
    assert (again.record_id, again.version, again.created) == (first.record_id, 1, False)
    assert book.store.counts("de")["records"] == 1


def test_the_same_record_id_with_other_content_is_refused(book):
    book.submit_seizure(seizure_example(record_id=RID))
    with pytest.raises(AlreadyExistsError):
        book.submit_seizure(seizure_example(record_id=RID, case_ref="other"))
    assert book.store.get_record("de", RID).version == 1


def test_a_bad_seizure_names_the_field_and_stores_nothing(book):
    with pytest.raises(ValidationError) as err:
        book.submit_seizure(seizure_example(items=[{"section": "REVENUE", "category": "COCAINE"}]))
    assert err.value.field == "items[0].category"
    with pytest.raises(PolicyError) as err:
        book.submit_seizure(seizure_example(policy={"share": {"scope": "PLANET"}}))
    assert err.value.field == "policy.share.scope"
    with pytest.raises(ValidationError) as err:
        book.submit_seizure(seizure_example(country="FR"))
    assert err.value.field == "country"
    assert book.store.counts("de")["records"] == 0


def test_a_correction_is_the_next_version_signed_again(book):
    book.submit_seizure(seizure_example(record_id=RID))
    out = book.update_seizure(RID, seizure_example(case_ref="corrected"))
    assert out.version == 2 and out.created
    v = verify_record(signed(book, RID), keyring(book))
    assert v.header.version == 2
    assert seizure_from_bytes(v.record.body)["case_ref"] == "corrected"
    # Sending the same correction twice makes no third version.
    assert book.update_seizure(RID, seizure_example(case_ref="corrected")).version == 2
    # A retry of the original submission still finds its key.
    assert book.submit_seizure(seizure_example(record_id=RID)).version == 1


def test_correcting_an_unknown_record_is_not_found(book):
    with pytest.raises(NotFoundError):
        book.update_seizure(RID, seizure_example())


def test_retraction_is_a_signed_tombstone_that_removes_the_record_from_search(book):
    book.submit_seizure(seizure_example(record_id=RID))
    out = book.retract(RID)
    assert out.version == 2
    v = verify_record(signed(book, RID), keyring(book))
    assert v.header.retracted and v.record.body == b"" and not v.has_annex
    where, args = filter_sql(validate_filter({}))
    assert search_local(book.store, where, args, 10) == []
    assert book.retract(RID).version == 2
    with pytest.raises(ConflictError):
        book.update_seizure(RID, seizure_example())
    assert book.store.integrity_problems() == []


def test_the_search_projection_rebuilds_from_the_signed_bytes(book):
    for i in range(5):
        book.submit_seizure(seizure_example(case_ref=f"c{i}", description=f"word{i} banana"))
    book.store.write(lambda c: c.execute("DELETE FROM seizures"))
    assert book.store.integrity_problems()
    assert book.reindex() == 5
    assert book.store.integrity_problems() == []
    where, args = filter_sql(validate_filter({"text": "word3"}))
    assert len(search_local(book.store, where, args, 10)) == 1


@pytest.mark.parametrize("flt,expected", [
    ({"section": "DRUGS"}, 1), ({"section": "REVENUE"}, 0), ({"category": "COCAINE"}, 1),
    ({"country": "de"}, 1), ({"departure_country": "EC"}, 1), ({"destination_country": "FR"}, 0),
    ({"route_country": "PA"}, 1), ({"route_country": "CO"}, 0), ({"date_from": "2026-03-14"}, 1),
    ({"date_to": "2026-03-13"}, 0), ({"text": "banana boxes"}, 1), ({"text": "apple"}, 0),
    ({"origin": "de"}, 1), ({"origin": "fr"}, 0),
])
def test_each_local_filter_matches_as_its_reference(book, flt, expected):
    book.submit_seizure(seizure_example())
    where, args = filter_sql(validate_filter(flt))
    assert len(search_local(book.store, where, args, 10)) == expected


def test_a_retry_after_a_restore_finds_the_record_a_peer_gave_back(book):
    book.submit_seizure(seizure_example(record_id=RID))
    # After a restore from an old backup the submissions table no longer knows the id, but the
    # record came back from a peer.
    book.store.write(lambda c: c.execute("DELETE FROM submissions"))
    again = book.submit_seizure(seizure_example(record_id=RID))
    assert (again.version, again.created) == (1, False)
    with pytest.raises(AlreadyExistsError):
        book.submit_seizure(seizure_example(record_id=RID, case_ref="other"))


def test_the_search_rows_are_read_from_the_signed_case_and_reindex_rebuilds_them_equal(book):
    book.submit_seizure(seizure_example(transit_countries=["pa", "ES", "PA"]))
    book.submit_seizure(seizure_example(case_ref="two", items=[
        {"section": "AML_CTF", "category": "CASH_SMUGGLING", "quantity": 5000, "unit": "CURRENCY", "currency": "eur"},
        {"section": "DRUGS", "category": "CANNABIS"}]))

    def rows():
        out = []
        for table in ("seizures", "seizure_items", "seizure_facts"):
            cols = [c[1] for c in book.store.reader.execute(f"PRAGMA table_info({table})") if c[1] not in ("id", "sid")]
            out.append(sorted(book.store.reader.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall(), key=repr))
        return out

    before = rows()
    row = book.store.reader.execute(
        "SELECT country, route_countries, sections, categories, items, location_type, ecommerce, month "
        "FROM seizures ORDER BY items").fetchall()
    assert row[0] == ("DE", " EC PA ES DE ", " DRUGS ", " COCAINE ", 1, "SEAPORT", 0, "2026-03")
    assert row[1][2:5] == (" AML_CTF DRUGS ", " CANNABIS CASH_SMUGGLING ", 2)
    currencies = book.store.reader.execute("SELECT currency FROM seizure_items WHERE currency IS NOT NULL").fetchall()
    assert currencies == [("EUR",)]
    assert book.reindex() == 2
    assert rows() == before


def test_the_facts_of_a_seizure_follow_its_search_row(book):
    """seizure_facts (what statistics by section or category read): a row per (section, category) of the
    items, re-pointed when the search row takes another policy, gone with the row."""
    from rilo_node.store import db as st

    book.submit_seizure(seizure_example(record_id=RID, items=[
        {"section": "DRUGS", "category": "COCAINE"}, {"section": "DRUGS", "category": "COCAINE"},
        {"section": "AML_CTF", "category": "CASH_SMUGGLING", "quantity": 5, "unit": "CURRENCY", "currency": "eur"}]))
    sid, pid = book.store.reader.execute("SELECT id, pid FROM seizures").fetchone()

    def facts():
        return sorted(book.store.reader.execute(
            "SELECT sid, section, category, pid, departure_country, items FROM seizure_facts").fetchall())

    assert facts() == [(sid, "AML_CTF", "CASH_SMUGGLING", pid, "EC", 1), (sid, "DRUGS", "COCAINE", pid, "EC", 2)]
    book.store.write(lambda conn: st.set_projection_policy_txn(conn, "de", RID, 2, b"\x08\x01"))
    other = book.store.reader.execute("SELECT pid FROM seizures").fetchone()[0]
    assert other != pid and {f[3] for f in facts()} == {other}
    book.store.write(lambda conn: st.delete_projection_txn(conn, "de", RID))
    assert facts() == []


def test_while_catching_up_after_a_restore_no_own_version_is_signed(book):
    from rilo_node.core.errors import UnavailableError

    book.submit_seizure(seizure_example(record_id=RID))
    book.catching_up = True
    with pytest.raises(UnavailableError, match="catching up"):
        book.submit_seizure(seizure_example(case_ref="new"))
    with pytest.raises(UnavailableError):
        book.update_seizure(RID, seizure_example(case_ref="corrected"))
    with pytest.raises(UnavailableError):
        book.retract(RID)
    assert book.retain(1) == 0 and book.publish_validated() == 0
    book.catching_up = False
    assert book.update_seizure(RID, seizure_example(case_ref="corrected")).version == 2
