"""The idle-stream watch (api/callers.py IdleStreams): a stream is idle while a response waits for its reader,
or a streaming client sends nothing; not while the node itself makes its next response (a feed waiting for
records). Driven through CallerShares' own wrapping of a handler, with contexts that record a cancel."""

from __future__ import annotations

import threading
import time

import grpc

from rilo_node.api.callers import CallerShares, IdleStreams

IDLE = 0.2  # seconds; a node's configuration allows no less than 20


class Context:
    def __init__(self):
        self.cancelled = threading.Event()

    def auth_context(self):
        return {"x509_common_name": [b"national-system.de.rilo.test"]}

    def peer(self):
        return "ipv4:127.0.0.1:1"

    def cancel(self):
        self.cancelled.set()


def wrapped_stream(shares: CallerShares, handler, method="/rilo.v1.PeerService/Pull"):
    """The behaviour the server would run for a response-streaming `handler`, wrapped by CallerShares."""
    return shares.intercept_service(lambda _details: grpc.unary_stream_rpc_method_handler(handler),
                                    type("Details", (), {"method": method})()).unary_stream


def test_a_paused_stream_is_not_cancelled_and_is_once_it_is_watched_again():
    idle = IdleStreams(IDLE)
    ctx = Context()
    sid = idle.open(ctx, "/x")
    idle.pause(sid)
    assert not ctx.cancelled.wait(5 * IDLE)  # the watchdog looked (at least) four times meanwhile
    assert idle.watching() == 1
    idle.touch(sid)
    assert ctx.cancelled.wait(30)
    assert idle.watching() == 0


def test_a_response_stream_is_not_idle_while_its_handler_makes_the_next_response():
    shares = CallerShares(idle_stream_seconds=IDLE)
    produced = threading.Event()

    def feed(_request, _context):
        yield "first"
        time.sleep(5 * IDLE)  # the node's own time: records not come yet
        produced.set()
        yield "second"

    ctx = Context()
    responses = wrapped_stream(shares, feed)(None, ctx)
    assert next(responses) == "first"
    assert next(responses) == "second"  # taken at once, after the handler's long wait
    assert produced.is_set() and not ctx.cancelled.is_set()
    assert list(responses) == []
    assert shares.idle.watching() == 0


def test_a_response_its_reader_does_not_take_makes_the_stream_idle():
    shares = CallerShares(idle_stream_seconds=IDLE)

    def export(_request, _context):
        yield from ("page 1", "page 2")

    ctx = Context()
    responses = wrapped_stream(shares, export, "/rilo.v1.RecordService/ExportRecords")
    stream = responses(None, ctx)
    assert next(stream) == "page 1"  # handed over; then the reader stops reading
    assert ctx.cancelled.wait(30)
    stream.close()
    assert shares.idle.watching() == 0
