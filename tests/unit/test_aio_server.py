"""The pieces of the aio server's bridge that need no server: who has a refusal held back, and a response
stream closed under its handler (api/aio_server.py)."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import threading
from pathlib import Path

import grpc

from rilo_node.api.aio_server import _END, Aborted, Bridge, LoopThread, _Steps
from rilo_node.api.callers import CallerShares


class FakeContext:
    def __init__(self, common_name: str, trailing=()):
        self._cn = common_name
        self.trailing = tuple(trailing)

    def auth_context(self):
        return {"x509_common_name": [self._cn.encode()]}

    def peer(self):
        return "ipv4:127.0.0.1:1"


PUSHBACK = (("grpc-retry-pushback-ms", "250"),)


def test_a_clients_quota_refusal_is_held_for_its_retry_after():
    refusal = Aborted(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many")
    assert CallerShares.hold_back(FakeContext("client:de:national-system", PUSHBACK), refusal) == ("client:de:national-system", 0.25)


def test_a_nodes_refusal_goes_at_once():
    refusal = Aborted(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many")
    assert CallerShares.hold_back(FakeContext("node:fr", PUSHBACK), refusal) == ("node:fr", 0.0)


def test_other_refusals_and_refusals_with_no_retry_after_go_at_once():
    client = "client:de:national-system"
    assert CallerShares.hold_back(FakeContext(client, PUSHBACK),
                                  Aborted(grpc.StatusCode.INVALID_ARGUMENT, "bad"))[1] == 0.0
    assert CallerShares.hold_back(FakeContext(client), Aborted(grpc.StatusCode.RESOURCE_EXHAUSTED, "x"))[1] == 0.0
    assert CallerShares.hold_back(FakeContext(client, (("grpc-retry-pushback-ms", "soon"),)),
                                  Aborted(grpc.StatusCode.RESOURCE_EXHAUSTED, "x"))[1] == 0.0


def test_a_stream_closed_under_its_handler_runs_the_handlers_finally_once():
    ended = []

    def responses():
        try:
            yield 1
            yield 2
        finally:
            ended.append(True)

    steps = _Steps(responses)
    assert steps.step() == 1
    steps.close()
    steps.close()
    assert ended == [True] and steps.done


def test_a_stream_that_ended_is_not_closed_again_and_a_raising_one_is_done():
    steps = _Steps(lambda: iter([1]))
    assert steps.step() == 1 and steps.step() is _END and steps.done

    def failing():
        raise Aborted(grpc.StatusCode.PERMISSION_DENIED, "no")
        yield  # a generator

    steps = _Steps(failing)
    try:
        steps.step()
    except Aborted:
        pass
    assert steps.done


def test_close_waits_for_a_step_running_on_another_worker():
    go, inside, ended = threading.Event(), threading.Event(), []

    def responses():
        try:
            inside.set()
            go.wait(10)
            yield 1
        finally:
            ended.append(True)

    steps = _Steps(responses)
    worker = threading.Thread(target=steps.step)
    worker.start()
    assert inside.wait(10)
    closer = threading.Thread(target=steps.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive() and not ended  # the step still runs: close waits for it
    go.set()
    worker.join(10)
    closer.join(10)
    assert ended == [True]


class FakeStream:
    """A call's request side: read() gives the messages, then EOF (or raises `error`)."""

    def __init__(self, messages, error: Exception | None = None):
        self.messages, self.error, self.reads = list(messages), error, 0

    async def read(self):
        self.reads += 1
        if self.messages:
            return self.messages.pop(0)
        if self.error is not None:
            raise self.error
        return grpc.aio.EOF


def test_requests_read_ahead_on_the_loop_are_taken_in_order_then_the_end():
    import asyncio

    from rilo_node.api.aio_server import _Requests

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        stream = FakeStream(["a", "b"])
        requests = _Requests(stream, loop)
        asyncio.run_coroutine_threadsafe(requests.read_ahead(), loop).result(10)
        asyncio.run_coroutine_threadsafe(requests.read_ahead(), loop).result(10)  # one is waiting: no read
        assert stream.reads == 1
        assert next(requests) == "a"  # read ahead
        assert next(requests) == "b"  # the worker has the loop read it
        asyncio.run_coroutine_threadsafe(requests.read_ahead(), loop).result(10)
        assert requests.ended and list(requests) == [] and list(requests) == []
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_a_call_that_ended_under_a_read_ahead_breaks_the_workers_stream():
    import asyncio

    import pytest

    from rilo_node.api.aio_server import StreamBroken, _Requests

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        requests = _Requests(FakeStream([], error=RuntimeError("RPC already finished.")), loop)
        asyncio.run_coroutine_threadsafe(requests.read_ahead(), loop).result(10)
        with pytest.raises(StreamBroken):
            next(requests)
        with pytest.raises(StreamBroken):
            next(requests)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_a_worker_asks_who_called_after_the_client_went_away():
    """What a handler asks of its caller (peer, TLS identity) was read on the loop when the call began: a worker
    asking once the client is gone must not reach into grpc's C call, which the loop may have ended (a node
    crashed with a segmentation fault in auth_context() so; reading it there crashed this scenario 3 times
    in 3). In a child process, so that such a crash fails this test and not the whole run."""
    proc = subprocess.run([sys.executable, "-c", "from tests.unit.test_aio_server import client_went_away; "
                                                 "client_went_away()"],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "asked"


def client_went_away() -> None:
    """A real aio server on 127.0.0.1 with the Bridge; a client that cancels its call while the handler runs
    on its worker; the handler then asks for the peer and the TLS identity, once the loop has ended the call.
    (A unary call: its worker runs on after the cancel. A response stream's next step may never be started
    once the client has gone, and the handler would then never ask: that raced.)"""
    started, ended, asked = threading.Event(), threading.Event(), threading.Event()
    seen: dict = {}

    def unary(_request, context):
        context.add_callback(ended.set)
        started.set()
        assert ended.wait(30), "the call never ended"
        seen["peer"], seen["auth"] = context.peer(), context.auth_context()
        asked.set()
        return b"too late"

    handler = grpc.unary_unary_rpc_method_handler(unary)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    loop = LoopThread("test-aio")

    async def start():
        server = grpc.aio.server(interceptors=[Bridge([], pool)])
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("t.T", {"U": handler}),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        return server, port

    server, port = loop.run(start(), 30)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary("/t.T/U").future(b"x", timeout=30)
            assert started.wait(30), "the handler never started"
            call.cancel()
        assert asked.wait(30), "the handler never asked"
        assert seen["peer"].startswith("ipv4:127.0.0.1:")
        assert seen["auth"] is not None
        print("asked")
    finally:
        loop.run(server.stop(None), 30)
        loop.stop()
        pool.shutdown(wait=True)
