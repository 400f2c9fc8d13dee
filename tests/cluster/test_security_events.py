"""ListSecurityEvents over mutual TLS: what a node refused from a peer, filtered by kind and time, and only
for the node's own client certificates."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from rilo_node.api.client import NodeClient, Target
from rilo_node.node.pki import node_dns
from rilo_node.pb.rilo.v1 import node_pb2, peer_pb2, record_pb2
from tests.cluster.test_replication import own_record, peer_stub


def record_id(rec: record_pb2.SignedRecord) -> str:
    return record_pb2.RecordHeader.FromString(rec.header).record_id


def events(cluster, node_id: str, **request) -> list[node_pb2.SecurityEvent]:
    with cluster.client(node_id) as c:
        return list(c.admin.ListSecurityEvents(node_pb2.ListSecurityEventsRequest(**request), timeout=10).events)


def field_of(err: grpc.RpcError) -> str:
    return dict(err.trailing_metadata() or ()).get("rilo-field", "")


@pytest.fixture
def refused(make_cluster):
    """fr refused two records delivered by a rogue rilo-we: a forged one (bad_record), then, after `between`,
    one it may not hold (not_entitled)."""
    cluster = make_cluster(["wco", "rilo-we", "de", "fr"])
    forged = own_record(cluster, "de", policy={"share": {"scope": "ORIGIN"}})  # fr never holds it
    forged.signature = bytes(64)
    secret = own_record(cluster, "de", policy={"share": {"scope": "ORIGIN"}})
    channel, stub = peer_stub(cluster, "rilo-we", "fr")
    with channel:
        assert stub.Deliver(peer_pb2.DeliverRequest(records=[forged]), timeout=10).outcomes[0].startswith("refused")
        time.sleep(0.05)
        between = datetime.now(timezone.utc)
        time.sleep(0.05)
        assert stub.Deliver(peer_pb2.DeliverRequest(records=[secret]), timeout=10).outcomes == ["not entitled"]
    return cluster, between, record_id(secret)


def test_refused_records_are_listed_oldest_first_with_who_sent_them(refused):
    cluster, _, secret_id = refused
    listed = events(cluster, "fr")
    assert [e.id for e in listed] == sorted(e.id for e in listed)
    bad = [e for e in listed if e.kind == "bad_record"]
    assert bad and bad[0].peer == "rilo-we" and bad[0].detail.startswith("deliver: ")
    assert bad[0].at.endswith("Z")
    not_entitled = [e for e in listed if e.kind == "not_entitled"]
    assert [(e.peer, e.origin, e.record_id) for e in not_entitled] == [("rilo-we", "de", secret_id)]
    assert listed.index(bad[0]) < listed.index(not_entitled[0])
    # The count GetStatus reports is the same table.
    with cluster.client("fr") as c:
        assert c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).security_events >= len(listed)


def test_the_listing_filters_by_kind(refused):
    cluster, _, secret_id = refused
    bad = events(cluster, "fr", kind="bad_record")
    assert bad and {e.kind for e in bad} == {"bad_record"}
    assert [e.record_id for e in events(cluster, "fr", kind="not_entitled")] == [secret_id]
    assert events(cluster, "fr", kind="bad_answer") == []


def test_the_listing_filters_by_time_in_any_offset(refused):
    cluster, between, secret_id = refused
    after = events(cluster, "fr", since=between.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert secret_id in {e.record_id for e in after}
    assert "bad_record" not in {e.kind for e in after}
    # The same moment written with another offset selects the same events.
    plus_two = between.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert [e.id for e in events(cluster, "fr", since=plus_two)] == [e.id for e in after]
    assert events(cluster, "fr", since=(datetime.now(timezone.utc) + timedelta(days=1)).isoformat()) == []
    # Both filters at once.
    assert [e.record_id for e in events(cluster, "fr", since=plus_two, kind="not_entitled")] == [secret_id]
    assert events(cluster, "fr", since=plus_two, kind="bad_record") == []


def test_limit_and_after_id_page_through_the_events(refused):
    cluster, _, _ = refused
    every = events(cluster, "fr")
    assert len(every) >= 2
    first = events(cluster, "fr", limit=1)
    assert [e.id for e in first] == [every[0].id]
    rest = events(cluster, "fr", after_id=first[0].id)
    assert [e.id for e in rest] == [e.id for e in every[1:]]


@pytest.mark.parametrize("request_fields, field", [
    ({"since": "yesterday"}, "since"),
    ({"since": "2026-11-28T02:00:00"}, "since"),  # no offset: not RFC 3339
    ({"kind": "evil"}, "kind"),
    ({"limit": 10_001}, "limit"),
])
def test_a_bad_filter_is_invalid_argument_naming_the_field(make_cluster, request_fields, field):
    cluster = make_cluster(["rilo-we", "de"])
    with pytest.raises(grpc.RpcError) as err:
        events(cluster, "de", **request_fields)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(err.value) == field


def test_only_the_nodes_own_client_certificates_may_list_its_security_events(make_cluster):
    cluster = make_cluster(["rilo-we", "de", "fr"])
    de, fr = cluster.folders["de"], cluster.folders["fr"]
    address = f"127.0.0.1:{cluster.ports['de']}"
    for cert, key in ((fr.client_cert, fr.client_key), (fr.path / "tls" / "node.pem", fr.path / "tls" / "node.key")):
        with NodeClient(Target(address, de.ca, cert, key, node_dns("de"))) as c:
            with pytest.raises(grpc.RpcError) as err:
                c.admin.ListSecurityEvents(node_pb2.ListSecurityEventsRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert events(cluster, "de") == []
