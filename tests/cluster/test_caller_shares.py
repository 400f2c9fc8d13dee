"""One caller cannot take the node: its streams and calls count against its own share of the workers."""

from __future__ import annotations

import contextlib
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from rilo_node.api.callers import CALLS_PER_CLIENT
from rilo_node.api.client import NodeClient, Target
from rilo_node.node.pki import node_dns, write_pem
from rilo_node.pb.rilo.v1 import node_pb2


def idle_stream(release: threading.Event, opened: threading.Semaphore):
    """A SubmitSeizures request stream that sends nothing until released."""
    opened.release()
    release.wait(timeout=120)
    return
    yield  # a generator that yields nothing


@contextlib.contextmanager
def every_place_held(node, client):
    """The client holds all its places at the node with idle SubmitSeizures streams (each stored nothing
    when they end, on leaving)."""
    release, opened = threading.Event(), threading.Semaphore(0)
    streams = [client.records.SubmitSeizures.future(idle_stream(release, opened), timeout=120)
               for _ in range(CALLS_PER_CLIENT)]
    try:
        for _ in range(CALLS_PER_CLIENT):
            assert opened.acquire(timeout=60)
        # Wait until every stream holds its place at the node: a stream is started here before its
        # handler runs there, and a call sent meanwhile could take a place first (the stream would
        # then be the one refused). The idle-stream watch counts handlers that hold their place.
        deadline = time.monotonic() + 60
        while node.node.callers.idle.watching() < CALLS_PER_CLIENT and time.monotonic() < deadline:
            time.sleep(0.01)
        assert node.node.callers.idle.watching() == CALLS_PER_CLIENT
        yield streams
    finally:
        release.set()
    assert all(f.result(timeout=60).stored == 0 for f in streams)


def test_a_client_holding_all_its_streams_open_is_refused_more_and_others_are_served(start_node, network_ca,
                                                                                     tmp_path):
    node = start_node("de")
    cert, key = network_ca.issue_client("de", "other-system")
    write_pem(tmp_path / "o.pem", cert)
    write_pem(tmp_path / "o.key", key, private=True)
    other = Target(node.node.address, node.folder.ca, tmp_path / "o.pem", tmp_path / "o.key", node_dns("de"))
    with node.client() as greedy:
        with every_place_held(node, greedy):
            with pytest.raises(grpc.RpcError) as err:
                greedy.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10)
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert int(dict(err.value.trailing_metadata())["grpc-retry-pushback-ms"]) > 0
            # Health checks are never counted, and another client has its own share.
            health = health_pb2_grpc.HealthStub(greedy.channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            with NodeClient(other) as c:
                assert c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).node_id == "de"
        # The share comes back when the streams end.
        assert greedy.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).node_id == "de"


def test_a_stream_that_sends_nothing_is_cancelled_after_the_idle_time_and_its_share_comes_back(start_node):
    node = start_node("de")
    node.node.callers.idle.idle = 1.0  # limits.idle_stream_seconds is at least 20 in a config
    release, opened = threading.Event(), threading.Semaphore(0)
    try:
        with node.client() as c:
            streams = [c.records.SubmitSeizures.future(idle_stream(release, opened), timeout=120)
                       for _ in range(CALLS_PER_CLIENT)]
            for fut in streams:
                with pytest.raises(grpc.RpcError) as err:
                    fut.result(timeout=60)  # the node cancels it: nothing came for a second
                assert err.value.code() == grpc.StatusCode.CANCELLED
            assert c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).node_id == "de"
    finally:
        release.set()


def test_a_reader_that_stops_reading_an_export_is_cancelled(start_node):
    from rilo_node.core.seizure import parse_submission
    from tests.conftest import seizure_example

    node = start_node("de")
    with node.client() as c:
        subs = [parse_submission(seizure_example(case_ref=f"c{i}", description="x" * 9000)) for i in range(1500)]
        c.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=subs[i:i + 500])
                                       for i in range(0, 1500, 500)]), timeout=120)
        # Only now: on a busy machine the node can take over a second over a message of the upload.
        node.node.callers.idle.idle = 1.0
        export = c.records.ExportRecords(node_pb2.ExportRecordsRequest(), timeout=120)
        first = next(export)  # then it stops reading: ~14 MB wait behind the flow-control window
        assert first.record.header
        watched = node.node.callers.idle
        deadline = time.monotonic() + 60
        while watched.watching() and time.monotonic() < deadline:  # the node gives up on the reader
            time.sleep(0.05)
        assert not watched.watching()
        with pytest.raises(grpc.RpcError) as err:
            for _ in export:
                pass
        assert err.value.code() == grpc.StatusCode.CANCELLED


def test_a_clients_refusal_waits_out_its_retry_after_on_the_loop(start_node, tmp_path):
    """A client over its share has its refusal held back for the retry-after it carries (api/aio_server.py),
    so that asking again at once gains it nothing; the node holds it on its event loop, no worker thread."""
    node = start_node("de")
    bridge = node.node.bridge
    with node.client() as greedy:
        with every_place_held(node, greedy):
            held_before = bridge.held
            started = time.monotonic()
            refused = [greedy.admin.GetStatus.future(node_pb2.GetStatusRequest(), timeout=30) for _ in range(20)]
            for f in refused:
                with pytest.raises(grpc.RpcError) as err:
                    f.result()
                assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                pushback = int(dict(err.value.trailing_metadata())["grpc-retry-pushback-ms"])
            assert time.monotonic() - started >= pushback / 1000  # none came back before its retry-after
            assert bridge.held - held_before == 20


def test_an_export_nobody_reads_holds_no_worker_thread(start_node):
    """The node waits for a slow reader on its event loop (HTTP/2 flow control), not on a worker: each
    response is made on a worker, which is free again while the response waits to go out."""
    from rilo_node.core.seizure import parse_submission
    from tests.conftest import seizure_example

    node = start_node("de")
    with node.client() as c:
        subs = [parse_submission(seizure_example(case_ref=f"c{i}", description="x" * 9000)) for i in range(1500)]
        c.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=subs[i:i + 500])
                                       for i in range(0, 1500, 500)]), timeout=120)
        exports = [c.records.ExportRecords(node_pb2.ExportRecordsRequest(), timeout=120) for _ in range(4)]
        for export in exports:
            assert next(export).record.header  # then nobody reads: ~14 MB each wait behind the window
        bridge, watched = node.node.bridge, node.node.callers.idle
        deadline = time.monotonic() + 60
        while bridge.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bridge.running == 0  # no handler step on a worker...
        assert watched.watching() == 4  # ...while the four exports are still open
        for export in exports:
            export.cancel()
        # A worker is there for the next call at once.
        assert c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).node_id == "de"
