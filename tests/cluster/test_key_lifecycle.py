"""Signing keys over time and the signed directory, over real gRPC and mutual TLS: a rotation in the middle of
replication, a revocation that reaches a partitioned node once it heals, and a directory update that adds a
member while records flow (docs/protocol.md#signing-keys-over-time, #the-signed-directory)."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from rilo_node.api.client import NodeClient, Target
from rilo_node.api.server import Node
from rilo_node.api.services import stored_to_pb
from rilo_node.core.errors import ConfigError
from rilo_node.core.events import utc_text
from rilo_node.core.seizure import parse_submission
from rilo_node.core.signing import (
    SigningKey,
    make_record,
    sign_directory,
    verify_record,
)
from rilo_node.core.topology import dump_topology
from rilo_node.node.clock import rfc3339
from rilo_node.node.config import load_config
from rilo_node.node.pki import node_dns
from rilo_node.node.provision import init_node_dir
from rilo_node.pb.rilo.v1 import keys_pb2, keys_pb2_grpc, node_pb2, peer_pb2, record_pb2
from tests.cluster.harness import member_seizure
from tests.cluster.test_replication import peer_stub

NET = ["wco", "rilo-we", "de", "fr"]


def key_admin(cluster, node_id: str):
    client = cluster.client(node_id)
    return client, keys_pb2_grpc.KeyAdminServiceStub(client.channel)


def rotate(cluster, node_id: str) -> keys_pb2.RotateKeyResponse:
    client, stub = key_admin(cluster, node_id)
    with client:
        return stub.RotateKey(keys_pb2.RotateKeyRequest(), timeout=10)


def search_ids(cluster, node_id: str) -> set[str]:
    with cluster.client(node_id) as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_LOCAL, limit=1000), timeout=10)
    return {h.record_id for h in resp.hits}


def held_ids(cluster, node_id: str, origin: str) -> set[str]:
    return {r for (o, r) in cluster.holdings(node_id) if o == origin}


def event_kinds(cluster, node_id: str) -> list[str]:
    return [e["kind"] for e in cluster.security_events(node_id)]


class Traffic:
    """Submits seizures at one node on a thread of its own until stopped; remembers every key acknowledged."""

    def __init__(self, cluster, node_id: str):
        self.cluster, self.node_id = cluster, node_id
        self.acked: list[str] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with self.cluster.client(self.node_id) as c:
                n = 0
                while not self._stop.is_set():
                    n += 1
                    seizure = member_seizure(self.node_id, self.cluster.directory, description=f"traffic {n}")
                    key = c.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(
                        submission=parse_submission(seizure)), timeout=30).key
                    self.acked.append(key.record_id)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.errors.append(exc)

    def start(self) -> "Traffic":
        self._thread.start()
        return self

    def wait_for(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < n and not self.errors:
            assert time.monotonic() < deadline, f"only {len(self.acked)} of {n} submissions acknowledged"
            time.sleep(0.01)
        assert not self.errors, self.errors

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self.errors, self.errors
        return list(self.acked)


def test_a_rotation_in_the_middle_of_replication_loses_nothing_and_refuses_nothing(make_cluster):
    cluster = make_cluster(NET)
    old_key_id = cluster.folders["de"].signing_key.key_id
    traffic = Traffic(cluster, "de").start()
    traffic.wait_for(15)
    rotated = rotate(cluster, "de")
    traffic.wait_for(len(traffic.acked) + 15)
    acked = traffic.stop()
    assert rotated.previous_key_id == old_key_id and rotated.key_id != old_key_id

    # Every acknowledged record reaches the region, signed by the key of its time, and is refused nowhere.
    def missing():
        return {n: len(set(acked) - held_ids(cluster, n, "de")) for n in ("rilo-we", "fr")
                if set(acked) - held_ids(cluster, n, "de")}

    cluster.wait_for(missing, timeout=60, what="every record of de at rilo-we and fr")
    for n in NET:
        assert event_kinds(cluster, n) == [], (n, cluster.security_events(n))
    signers = {cluster.nodes["fr"].store.get_record("de", r).key_id for r in acked}
    assert signers == {old_key_id, rotated.key_id}
    for n in ("rilo-we", "fr", "de"):
        node = cluster.nodes[n]
        for r in acked:
            verify_record(stored_to_pb(node.store.get_record("de", r)), node.keyring)
        assert set(acked) <= search_ids(cluster, n)  # an answer shows a record only after verifying it
    # An anti-entropy pass finds nothing to repair and nothing to refuse.
    assert cluster.nodes["fr"].network.anti_entropy("rilo-we") == 0
    assert event_kinds(cluster, "fr") == []

    # The node restarts with its new key, though the topology file still lists the old one.
    cluster.stop("de")
    cluster.restart("de")
    assert cluster.nodes["de"].key.key_id == rotated.key_id
    after = cluster.submit("de", member_seizure("de", cluster.directory)).record_id
    cluster.wait_for(lambda: after not in held_ids(cluster, "fr", "de"), what="a record signed after the restart")
    assert event_kinds(cluster, "fr") == []


def test_a_record_dated_after_the_old_keys_window_is_refused(make_cluster):
    cluster = make_cluster(NET)
    old = cluster.folders["de"].signing_key
    held = cluster.submit("de", member_seizure("de", cluster.directory)).record_id
    policy = record_pb2.RecordHeader.FromString(cluster.nodes["de"].store.get_record("de", held).header).policy
    rotated = rotate(cluster, "de")
    cluster.wait_for(lambda: rotated.key_id not in cluster.nodes["fr"].keyring, what="fr learning the new key")
    # Past the overlap, the old key signs nothing: a record it signed then is a forgery.
    late = make_record(old, record_id="01JQ6ZK00000000000000000LT", version=1, kind=record_pb2.RECORD_KIND_SEIZURE,
                       created_at="2099-01-01T00:00:00.000000Z", policy=policy, body=b"")
    channel, stub = peer_stub(cluster, "rilo-we", "fr")
    with channel:
        outcome = stub.Deliver(peer_pb2.DeliverRequest(records=[late]), timeout=10).outcomes[0]
    assert outcome.startswith("refused") and "rotated" in outcome, outcome
    assert event_kinds(cluster, "fr").count("bad_record") == 1


def test_a_revocation_reaches_a_partitioned_node_after_it_heals(make_cluster):
    cluster = make_cluster(NET)
    k1 = cluster.folders["de"].signing_key
    before = cluster.submit("de", member_seizure("de", cluster.directory, description="before")).record_id
    time.sleep(0.01)
    since = utc_text(cluster.nodes["de"].clock.now())
    time.sleep(0.01)
    stolen = cluster.submit("de", member_seizure("de", cluster.directory, description="after the theft")).record_id
    cluster.wait_for(lambda: {before, stolen} - held_ids(cluster, "fr", "de"), what="both records at fr")
    cluster.wait_for(lambda: {before, stolen} - held_ids(cluster, "rilo-we", "de"), what="both records at rilo-we")

    cluster.cut("fr", "rilo-we")
    rotated = rotate(cluster, "de")
    client, stub = key_admin(cluster, "de")
    with client:
        with pytest.raises(grpc.RpcError) as err:  # the key in use is rotated away first
            stub.RevokeKey(keys_pb2.RevokeKeyRequest(key_id=rotated.key_id, since=since), timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "rotate first" in err.value.details()
        revoked = stub.RevokeKey(keys_pb2.RevokeKeyRequest(key_id=k1.key_id, since=since), timeout=10)
    assert revoked.quarantined == 1  # at de itself: the record signed after `since`
    after = cluster.submit("de", member_seizure("de", cluster.directory, description="new key")).record_id

    def quarantined(node_id):
        return [e["record_id"] for e in cluster.security_events(node_id) if e["kind"] == "quarantined"]

    cluster.wait_for(lambda: quarantined("rilo-we") != [stolen], what="the quarantine at rilo-we")
    assert stolen not in search_ids(cluster, "rilo-we") and before in search_ids(cluster, "rilo-we")
    # fr, cut off, has heard nothing yet: it still shows the record.
    assert quarantined("fr") == [] and stolen in search_ids(cluster, "fr")

    cluster.heal()
    cluster.wait_for(lambda: quarantined("fr") != [stolen], what="the revocation at fr after the heal")
    cluster.wait_for(lambda: after not in held_ids(cluster, "fr", "de"), what="the new key's record at fr")
    shown = search_ids(cluster, "fr")
    assert stolen not in shown and {before, after} <= shown
    # Nothing else was quarantined or refused anywhere.
    for n in NET:
        assert set(quarantined(n)) <= {stolen}, n
        assert "bad_record" not in event_kinds(cluster, n) and "bad_key" not in event_kinds(cluster, n), n
    # A quarantined record is not passed on.
    assert cluster.nodes["rilo-we"].replicator.offered(cluster.nodes["rilo-we"].store.get_record("de", stolen),
                                                       "fr") is None

    # What the stolen key signs from now on is refused, and listed.
    forged = make_record(k1, record_id="01JQ6ZK00000000000000000FG", version=1, kind=record_pb2.RECORD_KIND_SEIZURE,
                         created_at=rfc3339(cluster.nodes["de"].clock.now()),
                         policy=record_pb2.RecordHeader.FromString(
                             cluster.nodes["de"].store.get_record("de", before).header).policy, body=b"")
    channel, peer = peer_stub(cluster, "rilo-we", "fr")
    with channel:
        outcome = peer.Deliver(peer_pb2.DeliverRequest(records=[forged]), timeout=10).outcomes[0]
    assert outcome.startswith("refused") and "revoked" in outcome, outcome
    # Restarted, fr still refuses the key: revocations are kept in its store.
    cluster.stop("fr")
    node = cluster.restart("fr")
    assert node.keyring.entry(k1.key_id).revoked_since == since


def _join(cluster, new_id: str, full_directory) -> tuple[Node, object]:
    """Start node `new_id` (not yet in anyone's directory) and return it with the directory that lists it."""
    folder = init_node_dir(cluster.workdir / new_id, new_id, cluster.folders["wco"].path / "topology.toml",
                           ca=cluster.ca)
    listed = full_directory.subset(list(cluster.directory.ids()) + [new_id])
    for n in cluster.directory:
        listed = listed.with_node_fields(n.id, address=n.address, signing_key=n.signing_key)
    listed = listed.with_node_fields(new_id, signing_key=folder.signing_key.public_b64)
    node = Node(load_config(folder.config), directory=listed, links=cluster.links)
    port = node.start(replication=False)
    listed = listed.with_node_fields(new_id, address=f"127.0.0.1:{port}")
    node.set_directory(listed)
    cluster.folders[new_id], cluster.nodes[new_id], cluster.ports[new_id] = folder, node, port
    return node, listed


def directory_version(cluster, node_id: str) -> int:
    client, stub = key_admin(cluster, node_id)
    with client:
        return stub.ListKeys(keys_pb2.ListKeysRequest(), timeout=10).directory_version


def test_a_directory_update_adds_a_member_while_records_flow(make_cluster, directory):
    cluster = make_cluster(NET)
    traffic = Traffic(cluster, "de").start()
    traffic.wait_for(10)
    nl, listed = _join(cluster, "nl", directory)
    # Before the update no node of the network accepts nl as a peer.
    with pytest.raises(grpc.RpcError) as err:
        cluster.nodes["nl"].network.anti_entropy("rilo-we")
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    client, stub = key_admin(cluster, "wco")
    with client:
        published = stub.PublishDirectory(keys_pb2.PublishDirectoryRequest(topology=dump_topology(listed)),
                                          timeout=10)
    assert published.version == 1 and published.nodes == len(NET) + 1
    cluster.wait_for(lambda: [n for n in NET if directory_version(cluster, n) != 1], what="version 1 everywhere")
    assert "nl" in cluster.nodes["rilo-we"].network.peers()
    nl.start_replication()
    traffic.wait_for(len(traffic.acked) + 10)
    de_records = set(traffic.stop())
    joined = cluster.submit("nl", member_seizure("nl", listed)).record_id

    cluster.wait_for(lambda: de_records - held_ids(cluster, "nl", "de"), what="every record of de at nl")
    for n in ("rilo-we", "fr", "de"):
        cluster.wait_for(lambda n=n: joined not in held_ids(cluster, n, "nl"), what=f"nl's record at {n}")
    for n in ("rilo-we", "fr"):  # nothing acknowledged while the directory changed is lost
        cluster.wait_for(lambda n=n: de_records - held_ids(cluster, n, "de"), what=f"de's records at {n}")
    for n in NET + ["nl"]:
        assert event_kinds(cluster, n) == [], (n, cluster.security_events(n))
    assert directory_version(cluster, "nl") == 1  # it took the signed version from its peer too


def test_an_unsigned_older_or_foreign_directory_is_refused_and_logged(make_cluster):
    cluster = make_cluster(NET)
    client, stub = key_admin(cluster, "wco")
    text = dump_topology(cluster.directory)
    with client:
        stub.PublishDirectory(keys_pb2.PublishDirectoryRequest(topology=text), timeout=10)
        v1 = cluster.nodes["wco"].keys.signed_directory()
        cluster.wait_for(lambda: directory_version(cluster, "fr") != 1, what="version 1 at fr")
        stub.PublishDirectory(keys_pb2.PublishDirectoryRequest(topology=text), timeout=10)
    cluster.wait_for(lambda: directory_version(cluster, "fr") != 2, what="version 2 at fr")
    de_key = SigningKey.from_pem("de", (cluster.folders["de"].path / "keys" / "signing.key").read_bytes())
    foreign = sign_directory(de_key, version=9, issued_at=rfc3339(cluster.nodes["de"].clock.now()), topology=text)
    unsigned = keys_pb2.SignedDirectory(document=keys_pb2.DirectoryDocument(version=10, topology=text)
                                        .SerializeToString())
    f = cluster.folders["rilo-we"]
    target = Target(f"127.0.0.1:{cluster.ports['fr']}", f.ca, f.path / "tls" / "node.pem",
                    f.path / "tls" / "node.key", node_dns("fr"))
    with target.channel() as channel:
        peer = keys_pb2_grpc.KeyServiceStub(channel)
        for signed in (v1, foreign, unsigned):
            resp = peer.PushKeys(keys_pb2.PushKeysRequest(bundle=keys_pb2.KeyBundle(directory=signed)), timeout=10)
            assert resp.accepted == 0
    details = [e["detail"] for e in sorted(cluster.security_events("fr"), key=lambda e: e["id"])
               if e["kind"] == "bad_directory"]
    assert len(details) == 3, details
    assert "older" in details[0] and "not of 'wco'" in details[1] and "not signed" in details[2]
    assert directory_version(cluster, "fr") == 2
    # Only wco publishes; a client of another node may not manage fr's keys.
    client, stub = key_admin(cluster, "fr")
    with client:
        with pytest.raises(grpc.RpcError) as err:
            stub.PublishDirectory(keys_pb2.PublishDirectoryRequest(topology=text), timeout=10)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    de = cluster.folders["de"]
    other = NodeClient(Target(f"127.0.0.1:{cluster.ports['fr']}", de.ca, de.client_cert, de.client_key,
                              node_dns("fr")))
    with other:
        with pytest.raises(grpc.RpcError) as err:
            keys_pb2_grpc.KeyAdminServiceStub(other.channel).RotateKey(keys_pb2.RotateKeyRequest(), timeout=10)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_node_whose_key_was_replaced_without_a_rotation_does_not_start(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "de"])
    cluster.stop("de")
    key_file = cluster.folders["de"].path / "keys" / "signing.key"
    key_file.write_bytes(SigningKey.generate("de").to_pem())
    with pytest.raises(ConfigError, match="no rotation to it is known"):
        cluster.restart("de")
