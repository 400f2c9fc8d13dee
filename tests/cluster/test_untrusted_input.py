"""Bytes and text a node must refuse, over mutual TLS: malformed messages and control characters."""

from __future__ import annotations

import logging

import grpc
import pytest

from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import node_pb2, peer_pb2, request_pb2
from tests.cluster.test_requests import a_request, create, holders, key, refused
from tests.conftest import seizure_example

RID = "01JQ6ZK0000000000000000002"
# A field tag whose varint never ends: no message type parses it.
GARBAGE = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

UNARY = [
    ("/rilo.v1.RecordService/SubmitSeizure", node_pb2.SubmitSeizureRequest),
    ("/rilo.v1.SearchService/Search", node_pb2.SearchRequest),
    ("/rilo.v1.NodeAdminService/GetStatus", node_pb2.GetStatusRequest),
]


def field_of(err: grpc.RpcError) -> str:
    return dict(err.trailing_metadata() or ()).get("rilo-field", "")


def stored(client) -> tuple[int, int]:
    status = client.admin.GetStatus(node_pb2.GetStatusRequest())
    return status.records_held, status.own_records


def refusals(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "rilo_node.api.errors"]


def assert_refused(err: grpc.RpcError, message_type) -> None:
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == f"{message_type.DESCRIPTOR.full_name}: the bytes are not a valid message"


def assert_logged_once_without_traceback(caplog, message_type) -> None:
    lines = refusals(caplog)
    assert len(lines) == 1 and lines[0].exc_info is None
    assert message_type.DESCRIPTOR.full_name in lines[0].getMessage()
    assert not [r for r in caplog.records if "deserializing" in r.getMessage()]


def test_the_garbage_is_no_message_of_any_type_the_tests_send_it_to():
    for message_type in [t for _, t in UNARY] + [node_pb2.SubmitSeizuresRequest, peer_pb2.PullRequest]:
        with pytest.raises(Exception, match="parsing"):
            message_type.FromString(GARBAGE)


@pytest.mark.parametrize("path,message_type", UNARY, ids=[p.rsplit("/", 1)[1] for p, _ in UNARY])
def test_garbage_bytes_to_a_unary_rpc_are_invalid_argument_naming_the_message_type(start_node, caplog, path,
                                                                                    message_type):
    node = start_node("de")
    caplog.set_level(logging.WARNING)
    with node.client() as c:
        raw = c.channel.unary_unary(path, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as err:
            raw(GARBAGE, timeout=10)
        assert_refused(err.value, message_type)
        assert_logged_once_without_traceback(caplog, message_type)
        assert stored(c) == (0, 0)


def test_garbage_bytes_in_a_seizure_stream_are_invalid_argument_and_nothing_is_stored(start_node, caplog):
    node = start_node("de")
    caplog.set_level(logging.WARNING)
    with node.client() as c:
        raw = c.channel.stream_unary("/rilo.v1.RecordService/SubmitSeizures", request_serializer=None,
                                     response_deserializer=None)
        with pytest.raises(grpc.RpcError) as err:
            raw(iter([GARBAGE]), timeout=10)
        assert_refused(err.value, node_pb2.SubmitSeizuresRequest)
        assert_logged_once_without_traceback(caplog, node_pb2.SubmitSeizuresRequest)
        assert stored(c) == (0, 0)


def test_garbage_bytes_to_a_peer_pull_are_invalid_argument_naming_the_message_type(start_node, caplog):
    node = start_node("de")
    caplog.set_level(logging.WARNING)
    with node.client() as c:
        raw = c.channel.unary_stream("/rilo.v1.PeerService/Pull", request_serializer=None,
                                     response_deserializer=None)
        with pytest.raises(grpc.RpcError) as err:
            list(raw(GARBAGE, timeout=10))
        assert_refused(err.value, peer_pb2.PullRequest)
        assert_logged_once_without_traceback(caplog, peer_pb2.PullRequest)


def test_a_string_field_with_invalid_utf8_is_invalid_argument_and_nothing_is_stored(start_node, caplog):
    node = start_node("de")
    caplog.set_level(logging.WARNING)
    request = node_pb2.SubmitSeizureRequest(
        submission=parse_submission(seizure_example(description="@@@@"))).SerializeToString()
    assert request.count(b"@@@@") == 1
    with node.client() as c:
        raw = c.channel.unary_unary("/rilo.v1.RecordService/SubmitSeizure", request_serializer=None,
                                    response_deserializer=None)
        with pytest.raises(grpc.RpcError) as err:
            raw(request.replace(b"@@@@", b"\xff\xfe\xc3\x28"), timeout=10)
        assert_refused(err.value, node_pb2.SubmitSeizureRequest)
        assert stored(c) == (0, 0)


def test_a_node_still_answers_after_refusing_garbage(start_node):
    node = start_node("de")
    with node.client() as c:
        raw = c.channel.unary_unary("/rilo.v1.RecordService/SubmitSeizure", request_serializer=None,
                                    response_deserializer=None)
        with pytest.raises(grpc.RpcError):
            raw(GARBAGE, timeout=10)
        resp = c.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=parse_submission(seizure_example())))
        assert resp.created and stored(c) == (1, 1)


@pytest.mark.parametrize("char,name", [("\x1b", "U+001B"), ("\u202e", "U+202E")])
def test_a_description_with_an_escape_or_a_bidi_override_is_refused_naming_the_field(start_node, char, name):
    node = start_node("de")
    with node.client() as c:
        with pytest.raises(grpc.RpcError) as err:
            c.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(
                submission=parse_submission(seizure_example(description=f"cocaine{char}[2Jin banana boxes"))))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field_of(err.value) == "description"
        assert err.value.details().startswith("description: contains the ") and name in err.value.details()
        assert stored(c) == (0, 0)


def test_a_refused_record_in_a_stream_names_the_field_and_the_others_are_stored(start_node):
    node = start_node("de")
    subs = [parse_submission(seizure_example(case_ref="c1")),
            parse_submission(seizure_example(case_ref="c2", annex={"notes": "seen\x07 twice"})),
            parse_submission(seizure_example(case_ref="c3", description="line one\nline two\tand a tab"))]
    with node.client() as c:
        resp = c.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=subs)]))
        assert (resp.stored, resp.refused) == (2, 1)
        bad = resp.results[1]
        assert bad.code == grpc.StatusCode.INVALID_ARGUMENT.value[0] and bad.field == "annex.notes"
        assert "U+0007" in bad.message


def test_the_texts_of_a_request_and_its_responses_refuse_control_characters_naming_the_field(make_cluster):
    net = make_cluster(["de", "jp"])
    with net.client("de") as c:
        def send(msg):
            return lambda: c.requests.CreateRequest(request_pb2.CreateRequestRequest(request=msg))

        assert "U+001B" in refused(send(a_request("jp", subject="urgent\x1b[2J")), "request.subject").details()
        refused(send(a_request("jp", subject="two\nlines")), "request.subject")
        refused(send(a_request("jp", contact="duty officer\u2066")), "request.contact")
        refused(send(a_request("jp", facts="found in\u202e boxes")), "request.facts")
    req = create(net, "de", a_request("jp", facts="first line\nsecond line\twith a tab"))
    net.wait_for(lambda: {"jp"} - holders(net, "de", req.record_id), what="request at jp")
    with net.client("jp") as c:
        def respond(**fields):
            return lambda: c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
                request=key("de", req.record_id), **fields))

        refused(respond(status=request_pb2.RESPONSE_STATUS_ANSWERED, text="done\x07"), "text")
        refused(respond(status=request_pb2.RESPONSE_STATUS_REFUSED, reason="no\x9b2J"), "reason")
    with net.client("de") as c:
        refused(lambda: c.requests.CloseRequest(request_pb2.CloseRequestRequest(
            request=key("de", req.record_id), text="thanks\r")), "text")


def test_a_rilos_comments_on_a_returned_seizure_refuse_control_characters(start_node):
    node = start_node("rilo-we")
    with node.client() as c:
        err = refused(lambda: c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
            origin="de", record_id=RID, verdict=request_pb2.ENDORSEMENT_VERDICT_RETURNED,
            comments="fix the date\x1b]0;owned\x07")), "comments")
    assert "U+001B" in err.details()
