"""node/channels.py: a stub is made once per channel (making one registers every method of its service
with the channel), and a channel that changed or was forgotten gets a stub of its own."""

from __future__ import annotations

import grpc
import pytest

from rilo_node.node.channels import Channels
from rilo_node.pb.rilo.v1 import hit_pb2_grpc, peer_pb2, peer_pb2_grpc


@pytest.fixture
def channels():
    addresses = {"fr": "127.0.0.1:1", "it": "127.0.0.1:2"}
    ch = Channels("de", tls=None, links=None, address=addresses.get)
    ch.addresses = addresses
    yield ch
    ch.close()


def on_loop(channels: Channels, fn):
    async def run():
        return fn()
    return channels.run(run()).result(timeout=5)


def test_a_stub_is_made_once_per_channel_and_kind(channels):
    a = on_loop(channels, lambda: channels.stub("fr", peer_pb2_grpc.PeerServiceStub))
    b = on_loop(channels, lambda: channels.stub("fr", peer_pb2_grpc.PeerServiceStub))
    other_kind = on_loop(channels, lambda: channels.stub("fr", hit_pb2_grpc.HitEvaluationServiceStub))
    other_node = on_loop(channels, lambda: channels.stub("it", peer_pb2_grpc.PeerServiceStub))
    assert a is b
    assert other_kind is not a and isinstance(other_kind, hit_pb2_grpc.HitEvaluationServiceStub)
    assert other_node is not a


def test_a_node_that_moved_or_was_forgotten_gets_a_stub_on_its_new_channel(channels):
    first = on_loop(channels, lambda: channels.stub("fr", peer_pb2_grpc.PeerServiceStub))
    channels.addresses["fr"] = "127.0.0.1:3"  # the directory moved fr: a new channel, a new stub
    moved = on_loop(channels, lambda: channels.stub("fr", peer_pb2_grpc.PeerServiceStub))
    assert moved is not first
    assert on_loop(channels, lambda: channels._stubs[("fr", peer_pb2_grpc.PeerServiceStub)][0]) is \
        on_loop(channels, lambda: channels.aio("fr"))

    channels.forget_aio("fr")  # a cut link: the channel and its stubs go
    on_loop(channels, lambda: None)  # the forget was queued on the loop before this
    assert on_loop(channels, lambda: [k for k in channels._stubs if k[0] == "fr"]) == []
    again = on_loop(channels, lambda: channels.stub("fr", peer_pb2_grpc.PeerServiceStub))
    assert again is not moved


def test_a_call_goes_through_the_cached_stub(channels):
    """A call to an address where nothing listens fails as a call (UNAVAILABLE), through the one stub."""
    fut = channels.call("fr", peer_pb2_grpc.PeerServiceStub, "Digest", peer_pb2.DigestRequest(), timeout=2)
    with pytest.raises(grpc.RpcError) as err:
        fut.result(timeout=10)
    assert err.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    assert on_loop(channels, lambda: list(channels._stubs)) == [("fr", peer_pb2_grpc.PeerServiceStub)]
