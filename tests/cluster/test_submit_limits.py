"""SubmitSeizures keeps its promise: caps per message and per stream, a reply that always fits the
message limit, and what a failed stream stored (docs/api.md#submitseizures-limits-and-failed-streams)."""

from __future__ import annotations

import time

import grpc
import pytest

from rilo_node.api import limits
from rilo_node.api.limits import MAX_SUBMISSIONS_PER_MESSAGE as PER_MESSAGE
from rilo_node.api.limits import MAX_SUBMISSIONS_PER_STREAM as PER_STREAM
from rilo_node.api.server import MAX_MESSAGE_BYTES
from rilo_node.api.services import _refused
from rilo_node.core.errors import ValidationError
from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import node_pb2
from rilo_node.pb.rilo.v1.record_pb2 import RecordKey
from tests.conftest import seizure_example

INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]


def rid(n: int) -> str:
    return f"01JQ6ZK{n:019d}"


def valid(n: int | None = None) -> node_pb2.SeizureSubmission:
    return parse_submission(seizure_example(case_ref=f"c{n}", **({"record_id": rid(n)} if n is not None else {})))


def refused_by_the_node() -> node_pb2.SeizureSubmission:
    """Passes the client's JSON parsing; the node refuses it with its longest message (every category)."""
    sub = parse_submission(seizure_example())
    sub.seizure.items[0].category = 9999
    return sub


def messages(subs: list, per_message: int = PER_MESSAGE) -> list[node_pb2.SubmitSeizuresRequest]:
    return [node_pb2.SubmitSeizuresRequest(submissions=subs[i:i + per_message])
            for i in range(0, len(subs), per_message)]


def field_of(err: grpc.RpcError) -> str:
    return dict(err.trailing_metadata() or ()).get("rilo-field", "")


def own_records(node) -> int:
    return node.node.store.counts("de")["own"]


# -- the arithmetic ------------------------------------------------------------------------------

def test_the_largest_possible_reply_fits_the_message_limit():
    longest_refusal = node_pb2.SubmitResult(index=2**21 - 1, code=16, field="f" * limits.MAX_RESULT_FIELD_BYTES,
                                            message="m" * limits.MAX_RESULT_MESSAGE_BYTES)
    longest_key = node_pb2.SubmitResult(index=2**21 - 1, created=True, key=RecordKey(
        origin="rilo-" + "x" * 58, record_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", version=2**64 - 1))
    for result in (longest_refusal, longest_key):
        as_element = node_pb2.SubmitSeizuresResponse(results=[result]).ByteSize()
        assert as_element <= limits.SUBMIT_RESULT_MAX_BYTES
    assert node_pb2.SubmitSeizuresResponse(results=[longest_refusal]).ByteSize() == limits.SUBMIT_RESULT_MAX_BYTES
    reply = node_pb2.SubmitSeizuresResponse(results=[longest_refusal] * PER_STREAM, stored=2**32 - 1,
                                            refused=2**32 - 1)
    assert reply.ByteSize() == limits.SUBMIT_REPLY_MAX_BYTES
    assert limits.SUBMIT_REPLY_MAX_BYTES < MAX_MESSAGE_BYTES / 2


def test_a_refusal_too_long_for_a_result_is_cut_on_a_character_boundary():
    result = _refused(3, ValidationError("items[0]." + "ä" * 200, "'" + "€" * 5000 + "' is not a country"))
    assert len(result.field.encode()) <= limits.MAX_RESULT_FIELD_BYTES
    assert len(result.message.encode()) <= limits.MAX_RESULT_MESSAGE_BYTES
    assert result.field.startswith("items[0].ää") and result.field.endswith("…")
    assert result.message.startswith("items[0].ää") and result.message.endswith("€…")
    short = _refused(4, ValidationError("country", "'FR' is not the node's country"))
    assert short.message == "country: 'FR' is not the node's country" and short.field == "country"


# -- over a real node ----------------------------------------------------------------------------

def test_a_stream_at_both_caps_is_answered_in_full_and_fits(start_node):
    node = start_node("de")
    # PER_STREAM seizures in messages of PER_MESSAGE; one in five stored, the others refused with the
    # longest message the checks write, so the reply is near its largest.
    subs = [valid(n) if n % 5 == 0 else refused_by_the_node() for n in range(PER_STREAM)]
    with node.client() as c:
        resp = c.records.SubmitSeizures(iter(messages(subs)), timeout=60)
    assert len(resp.results) == PER_STREAM and [r.index for r in resp.results] == list(range(PER_STREAM))
    assert (resp.stored, resp.refused) == (PER_STREAM // 5, PER_STREAM - PER_STREAM // 5)
    assert all(r.key.record_id == rid(r.index) and r.created for r in resp.results if r.code == 0)
    assert {r.field for r in resp.results if r.code} == {"items[0].category"}
    assert resp.ByteSize() <= limits.SUBMIT_REPLY_MAX_BYTES
    assert own_records(node) == PER_STREAM // 5


def test_one_valid_seizure_among_many_refused_is_reported_and_the_reply_fits(start_node):
    node = start_node("de")
    subs = [refused_by_the_node() for _ in range(PER_STREAM)]
    subs[4321] = valid(4321)
    with node.client() as c:
        resp = c.records.SubmitSeizures(iter(messages(subs)), timeout=60)
    assert (resp.stored, resp.refused) == (1, PER_STREAM - 1)
    good = resp.results[4321]
    assert good.code == 0 and good.created and (good.key.origin, good.key.record_id) == ("de", rid(4321))
    assert resp.results[0].code == INVALID_ARGUMENT and "is not a category" in resp.results[0].message
    assert resp.ByteSize() < MAX_MESSAGE_BYTES
    assert own_records(node) == 1


def test_the_testers_stream_is_refused_at_the_stream_cap_after_storing_what_came_before(start_node):
    """1 valid + 150,000 invalid on one stream: no reply over the message limit, but INVALID_ARGUMENT
    naming the stream cap once the stream passes it; the valid one, read before, is stored."""
    node = start_node("de")

    def stream():
        subs = [valid(0)] + [refused_by_the_node() for _ in range(PER_MESSAGE - 1)]
        for _ in range(151):
            yield node_pb2.SubmitSeizuresRequest(submissions=subs)
            subs = [refused_by_the_node()] * PER_MESSAGE

    with node.client() as c:
        with pytest.raises(grpc.RpcError) as err:
            c.records.SubmitSeizures(stream(), timeout=60)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(err.value) == "submissions"
    details = err.value.details()
    assert details.startswith(f"submissions: at most {PER_STREAM} seizures per SubmitSeizures stream")
    assert f"the message from index {PER_STREAM} has {PER_MESSAGE}" in details
    assert f"the node stored (and committed) 1 and refused {PER_STREAM - 1}" in details
    assert own_records(node) == 1 and node.node.store.get_record("de", rid(0)) is not None


@pytest.mark.parametrize("before,offending,limit", [
    (5, PER_MESSAGE + 1, f"at most {PER_MESSAGE} seizures per SubmitSeizuresRequest message"),
    (PER_STREAM - 2, 3, f"at most {PER_STREAM} seizures per SubmitSeizures stream"),
], ids=["per-message", "per-stream"])
def test_beyond_a_cap_the_call_is_refused_and_nothing_of_the_offending_message_is_stored(
        start_node, before, offending, limit):
    node = start_node("de")
    # Five valid seizures first; the rest up to `before` are refused by the node (cheap to check).
    first = [valid(n) for n in range(5)] + [refused_by_the_node() for _ in range(before - 5)]
    over = node_pb2.SubmitSeizuresRequest(submissions=[valid(100_000 + n) for n in range(offending)])
    after = node_pb2.SubmitSeizuresRequest(submissions=[valid(200_000)])
    with node.client() as c:
        with pytest.raises(grpc.RpcError) as err:
            c.records.SubmitSeizures(iter(messages(first) + [over, after]), timeout=60)
        status = c.admin.GetStatus(node_pb2.GetStatusRequest())
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(err.value) == "submissions"
    assert err.value.details().startswith(f"submissions: {limit}; the message from index {before} has {offending}")
    assert "Nothing of it or after it was stored" in err.value.details()
    assert status.own_records == 5
    stored = node.node.store
    assert all(stored.get_record("de", rid(100_000 + n)) is None for n in range(offending))
    assert stored.get_record("de", rid(200_000)) is None


def test_a_retry_of_a_stream_refused_midway_stores_nothing_twice(start_node):
    node = start_node("de")
    subs = [valid(n) for n in range(1_050)]
    with node.client() as c:
        # 50 in the first message, then 1,000 + 1 more in one message: refused.
        with pytest.raises(grpc.RpcError) as err:
            c.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=subs[:50]),
                                           node_pb2.SubmitSeizuresRequest(submissions=subs[50:] + [valid(5_000)])]),
                                     timeout=60)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert own_records(node) == 50
        # The retry, in messages the node takes: the first 50 come back as they were, not again.
        resp = c.records.SubmitSeizures(iter(messages(subs, 100)), timeout=60)
    assert resp.stored == 1_050 and resp.refused == 0
    assert [r.created for r in resp.results] == [False] * 50 + [True] * 1_000
    assert all((r.key.record_id, r.key.version) == (rid(r.index), 1) for r in resp.results)
    assert own_records(node) == 1_050


def test_a_retry_of_a_stream_the_client_abandoned_midway_stores_nothing_twice(start_node):
    node = start_node("de")
    subs = [valid(n) for n in range(300)]

    def abandoned():
        yield node_pb2.SubmitSeizuresRequest(submissions=subs[:100])
        yield node_pb2.SubmitSeizuresRequest(submissions=subs[100:200])
        deadline = time.monotonic() + 20
        while own_records(node) < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        raise RuntimeError("the client gives up")  # grpc cancels the call

    with node.client() as c:
        with pytest.raises(grpc.RpcError) as err:
            c.records.SubmitSeizures(abandoned(), timeout=60)
        assert err.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)
        assert own_records(node) == 200  # the messages the node read are stored, though the call failed
        resp = c.records.SubmitSeizures(iter(messages(subs, 100)), timeout=60)
    assert [r.created for r in resp.results] == [False] * 200 + [True] * 100
    assert all(r.key.record_id == rid(r.index) for r in resp.results)
    assert own_records(node) == 300
