"""The client services against a real node over mutual TLS on 127.0.0.1:0."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from rilo_node.api.client import NodeClient, Target
from rilo_node.api.reflection import v1_message_classes
from rilo_node.core.seizure import parse_submission
from rilo_node.core.signing import Keyring, verify_record
from rilo_node.node.pki import node_dns
from rilo_node.node.provision import init_node_dir
from rilo_node.pb.rilo.v1 import node_pb2
from tests.conftest import seizure_example

RID = "01JQ6ZK0000000000000000002"


def submit(client, data):
    return client.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=parse_submission(data)))


def field_of(err: grpc.RpcError) -> str:
    return dict(err.trailing_metadata() or ()).get("rilo-field", "")


def test_submit_get_and_verify_over_mutual_tls(start_node):
    node = start_node("de")
    with node.client() as c:
        resp = submit(c, seizure_example(record_id=RID))
        assert (resp.key.origin, resp.key.record_id, resp.key.version, resp.created) == ("de", RID, 1, True)
        got = c.records.GetRecord(node_pb2.GetRecordRequest(origin="de", record_id=RID))
    ring = Keyring()
    ring.add("de", node.node.key.public_raw)
    assert verify_record(got.record, ring).header.record_id == RID


def test_a_retry_returns_the_same_key_and_other_content_is_already_exists(start_node):
    node = start_node("de")
    with node.client() as c:
        first = submit(c, seizure_example(record_id=RID))
        again = submit(c, seizure_example(record_id=RID))
        assert again.key == first.key and not again.created
        with pytest.raises(grpc.RpcError) as err:
            submit(c, seizure_example(record_id=RID, case_ref="different"))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize("overrides,field", [
    ({"seizure_date": "2031-01-01"}, "seizure_date"),
    ({"country": "FR"}, "country"),
    ({"departure_country": "ZZ"}, "departure_country"),
    ({"items": []}, "items"),
    ({"items": [{"section": "DRUGS", "category": "GOLD"}]}, "items[0].category"),
    ({"items": [{"section": "DRUGS", "category": "COCAINE", "quantity": -1, "unit": "KG"}]}, "items[0].quantity"),
    ({"items": [{"section": "AML_CTF", "category": "CASH_SMUGGLING", "quantity": 10, "unit": "CURRENCY"}]},
     "items[0].currency"),
    ({"policy": {"share": {"scope": "NAMED", "nodes": ["atlantis"]}}}, "policy.share.nodes[0]"),
    ({"policy": {"tlp": "RED"}}, "policy.share.nodes"),
    ({"annex": {"offenders": [{"nationality": "QQ"}]}}, "annex.offenders[0].nationality"),
])
def test_a_bad_seizure_is_invalid_argument_naming_the_field(start_node, overrides, field):
    node = start_node("de")
    with node.client() as c:
        with pytest.raises(grpc.RpcError) as err:
            submit(c, seizure_example(**overrides))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field_of(err.value) == field
        assert field in err.value.details()
        status = c.admin.GetStatus(node_pb2.GetStatusRequest())
    assert status.records_held == 0


def test_a_stream_of_seizures_gets_one_result_per_record(start_node):
    node = start_node("de")
    subs = [parse_submission(seizure_example(case_ref=f"c{i}")) for i in range(250)]
    subs[7] = parse_submission(seizure_example(country="XX"))
    requests = [node_pb2.SubmitSeizuresRequest(submissions=subs[i:i + 40]) for i in range(0, 250, 40)]
    with node.client() as c:
        resp = c.records.SubmitSeizures(iter(requests))
    assert len(resp.results) == 250 and resp.stored == 249 and resp.refused == 1
    assert [r.index for r in resp.results] == list(range(250))
    assert resp.results[7].code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert resp.results[7].field == "country"


def test_export_streams_every_record_and_retract_leaves_a_tombstone(start_node):
    node = start_node("de")
    with node.client() as c:
        keys = [submit(c, seizure_example(case_ref=f"c{i}")).key for i in range(5)]
        c.records.RetractRecord(node_pb2.RetractRecordRequest(record_id=keys[2].record_id))
        exported = list(c.records.ExportRecords(node_pb2.ExportRecordsRequest()))
    assert len(exported) == 5
    withdrawn = [e for e in exported if e.withdrawn]
    assert len(withdrawn) == 1 and withdrawn[0].record.body == b""
    assert [e.seq for e in exported] == sorted(e.seq for e in exported)


def test_local_search_answers_with_signed_records_and_is_audited(start_node):
    node = start_node("de")
    with node.client() as c:
        submit(c, seizure_example(description="heroin in car tyres",
                                  items=[{"section": "DRUGS", "category": "OPIOIDS_AND_OPIATES"}]))
        submit(c, seizure_example())
        resp = c.search.Search(node_pb2.SearchRequest(filter=node_pb2.SearchFilter(text="tyres")))
        assert resp.complete and len(resp.hits) == 1 and resp.hits[0].held
        assert resp.nodes[0].node == "de"
        audit = c.admin.ListAudit(node_pb2.ListAuditRequest())
    entry = [e for e in audit.entries if e.action == "search"][0]
    assert entry.actor == "client:de:national-system"
    assert entry.query_id == resp.query_id
    assert [(k.origin, k.record_id) for k in entry.keys] == [(resp.hits[0].origin, resp.hits[0].record_id)]
    assert json.loads(entry.detail)["filter"] == {"text": "tyres"}


def test_a_bad_filter_is_invalid_argument(start_node):
    node = start_node("de")
    with node.client() as c:
        with pytest.raises(grpc.RpcError) as err:
            c.search.Search(node_pb2.SearchRequest(filter=node_pb2.SearchFilter(country="ZZ")))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(err.value) == "country"


def test_another_nodes_client_certificate_is_refused(start_node, tmp_path, topology_path, network_ca):
    node = start_node("de")
    fr = init_node_dir(tmp_path / "fr-folder", "fr", topology_path, ca=network_ca)
    target = Target(node.node.address, fr.ca, fr.client_cert, fr.client_key, node_dns("de"))
    with NodeClient(target) as c:
        with pytest.raises(grpc.RpcError) as err:
            c.admin.GetStatus(node_pb2.GetStatusRequest())
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_client_without_a_certificate_cannot_connect(start_node):
    node = start_node("de")
    creds = grpc.ssl_channel_credentials(root_certificates=node.folder.ca.read_bytes())
    channel = grpc.secure_channel(node.node.address, creds,
                                  options=[("grpc.ssl_target_name_override", node_dns("de"))])
    stub = health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    channel.close()


def test_a_certificate_from_another_ca_cannot_connect(start_node, tmp_path, topology_path):
    node = start_node("de")
    rogue = init_node_dir(tmp_path / "rogue", "de", topology_path)  # its own development CA
    target = Target(node.node.address, node.folder.ca, rogue.client_cert, rogue.client_key, node_dns("de"))
    with NodeClient(target) as c:
        with pytest.raises(grpc.RpcError) as err:
            c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


# Every service a node serves (docs/api.md#health-checking-and-reflection lists the same).
SERVED = {"rilo.v1.RecordService", "rilo.v1.SearchService", "rilo.v1.NodeAdminService", "rilo.v1.RequestService",
          "rilo.v1.ValidationService", "rilo.v1.PeerService", "rilo.v1.KeyService", "rilo.v1.KeyAdminService",
          "rilo.v1.OperationService", "rilo.v1.UserService", "rilo.v1.HitService", "rilo.v1.HitEvaluationService",
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}


def test_health_checking_and_reflection_are_served(start_node):
    node = start_node("de")
    with node.client() as c:
        health = health_pb2_grpc.HealthStub(c.channel)
        assert health.Check(health_pb2.HealthCheckRequest()).status == health_pb2.HealthCheckResponse.SERVING
        assert health.Check(health_pb2.HealthCheckRequest(service="rilo.v1.RecordService")).status == \
            health_pb2.HealthCheckResponse.SERVING
        refl = reflection_pb2_grpc.ServerReflectionStub(c.channel)
        answer = next(refl.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    names = {s.name for s in answer.list_services_response.service}
    assert names == SERVED


def test_reflection_v1_lists_and_describes_the_services_over_tls(start_node):
    # A v1 client (grpcurl, Postman, grpc-java's ProtoReflectionServiceV1 clients) with its own v1 messages.
    Request, Response = v1_message_classes()
    assert Request.DESCRIPTOR.full_name == "grpc.reflection.v1.ServerReflectionRequest"
    node = start_node("de")
    with node.client() as c:
        info = c.channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                       request_serializer=Request.SerializeToString,
                                       response_deserializer=Response.FromString)
        answers = list(info(iter([
            Request(list_services=""),
            Request(file_containing_symbol="rilo.v1.NodeAdminService"),
            Request(file_containing_symbol="grpc.reflection.v1.ServerReflection"),
            Request(file_containing_symbol="rilo.v1.NoSuchService"),
        ]), timeout=10))
    assert {s.name for s in answers[0].list_services_response.service} == SERVED
    files = [descriptor_pb2.FileDescriptorProto.FromString(b)
             for b in answers[1].file_descriptor_response.file_descriptor_proto]
    node_proto = next(f for f in files if f.name == "rilo/v1/node.proto")
    admin = next(s for s in node_proto.service if s.name == "NodeAdminService")
    assert "ListSecurityEvents" in {m.name for m in admin.method}
    v1 = descriptor_pb2.FileDescriptorProto.FromString(answers[2].file_descriptor_response.file_descriptor_proto[0])
    assert (v1.name, v1.package) == ("grpc/reflection/v1/reflection.proto", "grpc.reflection.v1")
    assert v1.service[0].method[0].input_type == ".grpc.reflection.v1.ServerReflectionRequest"
    assert answers[3].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
    assert answers[3].original_request.file_containing_symbol == "rilo.v1.NoSuchService"


def test_reflection_needs_a_certificate_of_the_network(start_node):
    node = start_node("de")
    creds = grpc.ssl_channel_credentials(root_certificates=node.folder.ca.read_bytes())
    with grpc.secure_channel(node.node.address, creds,
                             options=[("grpc.ssl_target_name_override", node_dns("de"))]) as channel:
        refl = reflection_pb2_grpc.ServerReflectionStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            list(refl.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                           timeout=5))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_status_reports_the_node_and_its_counts(start_node):
    node = start_node("de")
    with node.client() as c:
        submit(c, seizure_example())
        status = c.admin.GetStatus(node_pb2.GetStatusRequest())
    assert (status.node_id, status.role, status.region, status.area) == ("de", "member", "EUR", "rilo-we")
    assert status.records_held == 1 and status.own_records == 1
    assert status.signing_key_id.startswith("de:")
