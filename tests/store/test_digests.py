"""What the write transaction keeps beside the records equals what a scan of the records gives, after any
mix of new records, corrections, retractions, withdrawals and deletes: the anti-entropy digests (store
`pid_digests`) and the counts GetStatus reports (`origin_counts`, `counters`)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from rilo_node.core.replication import digest
from rilo_node.core.signing import SigningKey
from rilo_node.node.clock import FakeClock
from rilo_node.node.records import RecordBook
from rilo_node.store import db as st
from rilo_node.store.db import Store
from tests.conftest import seizure_example

POLICIES = [None, {"share": {"scope": "AREA"}}, {"share": {"scope": "GLOBAL"}}, {"tlp": "AMBER"}]


def kept_digest(store: Store) -> dict:
    acc: dict = {}
    for bucket, n, x1, x2 in store.reader.execute("SELECT bucket, n, x1, x2 FROM pid_digests"):
        e = acc.setdefault(bucket, [0, 0, 0])
        e[0] += n
        e[1] ^= x1
        e[2] ^= x2
    return {b: (n, x1.to_bytes(8, "big", signed=True) + x2.to_bytes(8, "big", signed=True))
            for b, (n, x1, x2) in acc.items() if n}


def live_digest(store: Store) -> dict:
    return digest(store.reader.execute("SELECT origin, record_id, version FROM records WHERE withdrawn = 0"))


ops = hs.lists(hs.tuples(hs.sampled_from(["new", "correct", "retract", "withdraw", "delete"]), hs.integers(0, 50),
                         hs.integers(0, len(POLICIES) - 1)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_the_kept_digest_is_the_digest_of_the_live_records(tmp_path_factory, directory, ops):
    store = Store(tmp_path_factory.mktemp("dig") / "node.db", synchronous="OFF")
    book = RecordBook(store, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
    try:
        ids: list[str] = []
        for op, pick, policy in ops:
            data = seizure_example(case_ref=f"c{len(ids)}-{pick}")
            if POLICIES[policy]:
                data["policy"] = POLICIES[policy]
            if op == "new" or not ids:
                ids.append(book.submit_seizure(data).record_id)
                continue
            rid = ids[pick % len(ids)]
            held = store.get_record("de", rid)
            if op == "correct" and not held.retracted and not held.withdrawn:
                book.update_seizure(rid, data)
            elif op == "retract":
                book.retract(rid)
            elif op == "withdraw":
                store.write(lambda c, rid=rid, v=held.version: st.apply_withdrawal_txn(c, "de", rid, v + 1))
            elif op == "delete":
                store.write(lambda c, rid=rid: c.execute("DELETE FROM records WHERE record_id = ?", (rid,)))
                ids.remove(rid)
            assert kept_digest(store) == live_digest(store), op
        assert kept_digest(store) == live_digest(store)
        scanned = store.reader.execute("SELECT COUNT(*), SUM(origin = 'de'), SUM(withdrawn) FROM records").fetchone()
        counts = store.counts("de")
        assert (counts["records"], counts["own"], counts["withdrawn"]) == tuple(x or 0 for x in scanned)
    finally:
        store.close()
