"""Health checks need no worker and the peer service has workers of its own: no number of client identities
holding their shares can starve them (api/callers.CallPools), and a storm of refused calls from one client
does not have the server refuse everyone else at the door."""

from __future__ import annotations

import logging
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from rilo_node.api import callers
from rilo_node.api.callers import CALLS_PER_CLIENT
from rilo_node.api.client import NodeClient, Target
from rilo_node.node.pki import node_dns, write_pem
from rilo_node.pb.rilo.v1 import node_pb2, peer_pb2, peer_pb2_grpc


def credentials(tmp_path, name: str, pair: tuple[bytes, bytes]) -> tuple:
    write_pem(tmp_path / f"{name}.pem", pair[0])
    write_pem(tmp_path / f"{name}.key", pair[1], private=True)
    return tmp_path / f"{name}.pem", tmp_path / f"{name}.key"


def idle_stream(release: threading.Event, opened: threading.Semaphore):
    """A SubmitSeizures request stream that sends nothing until released."""
    opened.release()
    release.wait(timeout=120)
    return
    yield


def test_health_checks_and_peers_are_answered_while_clients_hold_every_worker(start_node, network_ca, tmp_path):
    node = start_node("de")
    release = threading.Event()
    greedy, streams = hold_every_worker(node, network_ca, tmp_path, release)
    try:
        with node.client() as own:
            # A client call now waits for a worker (it is not refused: its caller has its share free).
            waiting = own.admin.GetStatus.future(node_pb2.GetStatusRequest(), timeout=60)
            health = health_pb2_grpc.HealthStub(own.channel)
            for _ in range(20):
                t0 = time.monotonic()
                got = health.Check(health_pb2.HealthCheckRequest(), timeout=5)
                assert got.status == health_pb2.HealthCheckResponse.SERVING
                assert time.monotonic() - t0 < 1.0
            cert, key = credentials(tmp_path, "peer", network_ca.issue_node("rilo-we"))
            peer_channel = Target(node.node.address, node.folder.ca, cert, key, node_dns("de")).channel()
            try:
                digest = peer_pb2_grpc.PeerServiceStub(peer_channel).Digest(peer_pb2.DigestRequest(), timeout=10)
                assert isinstance(digest, peer_pb2.DigestResponse)
            finally:
                peer_channel.close()
            assert not waiting.done()
            release.set()
            assert waiting.result(timeout=60).node_id == "de"
    finally:
        release.set()
        for f in streams:
            try:
                f.result(timeout=60)
            except grpc.RpcError:
                pass
        for c in greedy:
            c.close()


def hold_every_worker(node, network_ca, tmp_path, release: threading.Event) -> tuple[list, list]:
    """Idle streams from enough client identities to hold every client worker of the node."""
    workers = node.node._max_workers
    opened = threading.Semaphore(0)
    greedy, streams = [], []
    for i in range(workers // CALLS_PER_CLIENT + 1):
        cert, key = credentials(tmp_path, f"h{i}", network_ca.issue_client("de", f"holder-{i}"))
        c = NodeClient(Target(node.node.address, node.folder.ca, cert, key, node_dns("de")))
        greedy.append(c)
        streams += [c.records.SubmitSeizures.future(idle_stream(release, opened), timeout=120)
                    for _ in range(CALLS_PER_CLIENT)]
    for _ in streams:
        assert opened.acquire(timeout=60)
    deadline = time.monotonic() + 60
    while node.node.callers.idle.watching() < workers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert node.node.callers.idle.watching() == workers
    return greedy, streams


def test_calls_waiting_for_a_worker_beyond_four_per_worker_are_not_refused_at_the_door(start_node, network_ca,
                                                                                         tmp_path):
    node = start_node("de")
    release = threading.Event()
    greedy, streams = hold_every_worker(node, network_ca, tmp_path, release)
    try:
        cert, key = credentials(tmp_path, "storm", network_ca.issue_client("de", "storm"))
        with NodeClient(Target(node.node.address, node.folder.ca, cert, key, node_dns("de"))) as storm, \
                node.client() as other:
            # More calls waiting at once than grpc took before (4 per worker), then another client's.
            waiting = [storm.admin.GetStatus.future(node_pb2.GetStatusRequest(), timeout=120)
                       for _ in range(node.node._max_workers * 4 + 20)]
            mine = other.admin.GetStatus.future(node_pb2.GetStatusRequest(), timeout=120)
            deadline = time.monotonic() + 3  # a refusal at the door would come back at once
            while not mine.done() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not mine.done(), mine.exception()
            release.set()
            assert mine.result(timeout=60).node_id == "de"
            for f in waiting:
                try:
                    f.result(timeout=60)
                except grpc.RpcError as exc:  # the storm's own share, never the door
                    assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "at most" in exc.details()
    finally:
        release.set()
        for f in streams:
            f.result(timeout=60)
        for c in greedy:
            c.close()


def test_a_storm_of_refused_calls_is_one_log_line(start_node, network_ca, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(callers, "REFUSALS_LOGGED_EVERY", 3600.0)  # however slowly the machine runs the storm
    node = start_node("de")
    caplog.set_level(logging.WARNING, logger="rilo_node.api.callers")
    release, opened = threading.Event(), threading.Semaphore(0)
    with node.client() as storm:
        held = [storm.records.SubmitSeizures.future(idle_stream(release, opened), timeout=120)
                for _ in range(CALLS_PER_CLIENT)]
        try:
            for _ in held:
                assert opened.acquire(timeout=60)
            deadline = time.monotonic() + 60
            while node.node.callers.idle.watching() < CALLS_PER_CLIENT and time.monotonic() < deadline:
                time.sleep(0.05)
            codes = []
            for f in [storm.admin.GetStatus.future(node_pb2.GetStatusRequest(), timeout=60) for _ in range(50)]:
                try:
                    f.result()
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as exc:
                    codes.append(exc.code())
            assert set(codes) == {grpc.StatusCode.RESOURCE_EXHAUSTED}
            lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
            assert len(lines) == 1, lines
        finally:
            release.set()
            for f in held:
                f.result(timeout=60)
