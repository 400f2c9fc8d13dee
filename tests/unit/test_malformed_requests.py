"""api.errors.refuse_malformed without a server: every handler shape answers INVALID_ARGUMENT on bytes that
are not its request type, even when the servicer's code swallows the abort (tests over TLS:
tests/cluster/test_untrusted_input.py)."""

from __future__ import annotations

import logging

import grpc
import pytest

from rilo_node.api.errors import Malformed, refuse_malformed
from rilo_node.pb.rilo.v1 import node_pb2

GARBAGE = b"\xff" * 11
GOOD = node_pb2.SubmitSeizuresRequest().SerializeToString()
MESSAGE = "rilo.v1.SubmitSeizuresRequest: the bytes are not a valid message"


class Aborted(Exception):
    pass


class FakeContext:
    def __init__(self):
        self.aborts: list[tuple[grpc.StatusCode, str]] = []

    def peer(self) -> str:
        return "ipv4:127.0.0.1:1"

    def abort(self, code, details):
        self.aborts.append((code, details))
        raise Aborted  # as grpc's abort does: a bare exception after setting the status


def handler(kind: str, behaviour):
    make = getattr(grpc, f"{kind}_rpc_method_handler")
    return refuse_malformed(make(behaviour, request_deserializer=node_pb2.SubmitSeizuresRequest.FromString),
                            f"/rilo.v1.Test/{kind}")


def test_the_lenient_deserializer_returns_a_marker_naming_the_type_and_parses_good_bytes():
    h = handler("stream_unary", lambda requests, context: None)
    bad = h.request_deserializer(GARBAGE)
    assert isinstance(bad, Malformed) and bad.message == MESSAGE
    assert h.request_deserializer(GOOD) == node_pb2.SubmitSeizuresRequest()


@pytest.mark.parametrize("kind", ["unary_unary", "unary_stream"])
def test_a_unary_request_that_did_not_parse_never_reaches_the_servicer(kind, caplog):
    called = []
    h = handler(kind, lambda request, context: called.append(request))
    context = FakeContext()
    with pytest.raises(Aborted):
        getattr(h, kind)(h.request_deserializer(GARBAGE), context)
    assert called == [] and context.aborts == [(grpc.StatusCode.INVALID_ARGUMENT, MESSAGE)]
    assert [r.levelno for r in caplog.records if r.name == "rilo_node.api.errors"] == [logging.WARNING]


def swallowing(requests, context):
    """A servicer that reads the stream and turns every failure into a normal answer."""
    try:
        return sum(1 for _ in requests)
    except Exception:  # noqa: BLE001
        return -1


def test_a_stream_whose_servicer_swallows_the_refusal_still_answers_invalid_argument(caplog):
    h = handler("stream_unary", swallowing)
    context = FakeContext()
    with pytest.raises(Aborted):
        h.stream_unary(iter([h.request_deserializer(GOOD), h.request_deserializer(GARBAGE)]), context)
    assert context.aborts[-1] == (grpc.StatusCode.INVALID_ARGUMENT, MESSAGE)
    assert len([r for r in caplog.records if r.name == "rilo_node.api.errors"]) == 1


def test_a_stream_of_good_messages_is_answered_by_the_servicer():
    h = handler("stream_unary", swallowing)
    assert h.stream_unary(iter([h.request_deserializer(GOOD)] * 3), FakeContext()) == 3


def test_a_bidirectional_stream_is_refused_when_a_message_does_not_parse():
    h = handler("stream_stream", lambda requests, context: (r for r in requests))
    context = FakeContext()
    responses = h.stream_stream(iter([h.request_deserializer(GOOD), h.request_deserializer(GARBAGE)]), context)
    assert next(responses) == node_pb2.SubmitSeizuresRequest()
    with pytest.raises(Aborted):
        next(responses)
    assert context.aborts[-1] == (grpc.StatusCode.INVALID_ARGUMENT, MESSAGE)
