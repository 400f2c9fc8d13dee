"""The pieces of the aio server's bridge that need no server: who has a refusal held back, and a response
stream closed under its handler (api/aio_server.py)."""

from __future__ import annotations

import threading

import grpc

from rilo_node.api.aio_server import _END, Aborted, _Steps
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
