"""The Prometheus endpoint of a real node over TLS, and its JSON log and access log (docs/operator-guide.md#metrics)."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from rilo_node.node.config import update_config
from rilo_node.node.logs import ACCESS_LOGGER, JsonFormatter
from rilo_node.node.provision import init_node_dir
from rilo_node.pb.rilo.v1 import node_pb2, peer_pb2, record_pb2
from tests.cluster.harness import member_seizure
from tests.cluster.test_grpc_api import submit
from tests.cluster.test_replication import own_record, peer_stub
from tests.conftest import seizure_example

# Every family the operator guide lists (docs/operator-guide.md, "Metrics"), without the _total of counters.
FAMILIES = {
    "rilo_node_info", "rilo_records_held", "rilo_records_own", "rilo_records_last_seq", "rilo_outbox_entries",
    "rilo_records_received", "rilo_records_refused", "rilo_records_sent", "rilo_peer_behind_records",
    "rilo_peer_connected", "rilo_peer_last_contact_seconds", "rilo_anti_entropy_repairs",
    "rilo_anti_entropy_passes", "rilo_query_seconds", "rilo_queries_incomplete", "rilo_rpcs",
    "rilo_security_events", "rilo_tls_certificate_days_left", "process_resident_memory_bytes",
}


def scrape(node) -> tuple[set[str], dict[tuple[str, tuple], float]]:
    """(family names, {(sample name, sorted labels): value}) of one scrape of the node's endpoint."""
    with urllib.request.urlopen(f"http://{node.metrics.address}/metrics", timeout=10) as resp:
        assert resp.status == 200
        text = resp.read().decode()
    families, samples = set(), {}
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return families, samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_counters_move_after_a_submit_a_search_and_a_forged_record(make_cluster):
    cluster = make_cluster(["rilo-we", "de"])
    de, we = cluster.nodes["de"], cluster.nodes["rilo-we"]
    assert de.metrics.address.startswith("127.0.0.1:") and de.metrics.address != we.metrics.address
    _, before = scrape(de)

    good = own_record(cluster, "de", policy={"share": {"scope": "REGION"}})  # SubmitSeizure over TLS
    key = record_pb2.RecordHeader.FromString(good.header)
    with cluster.client("de") as c:
        c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_LOCAL, limit=10))
    forged = record_pb2.SignedRecord()
    forged.CopyFrom(good)
    header = record_pb2.RecordHeader.FromString(good.header)
    header.record_id = "01JQ6ZK00000000000000000FF"  # a record de does not hold, under de's signature of another
    forged.header = header.SerializeToString(deterministic=True)
    channel, stub = peer_stub(cluster, "rilo-we", "de")  # rilo-we delivers a forged record to de
    with channel:
        assert stub.Deliver(peer_pb2.DeliverRequest(records=[forged])).outcomes[0].startswith("refused")
    cluster.wait_for(lambda: None if ("de", key.record_id) in cluster.holdings("rilo-we") else "not yet",
                     what="the record at rilo-we")

    families, after = scrape(de)
    assert FAMILIES <= families, FAMILIES - families
    assert value(after, "rilo_node_info", node="de", role="member",
                 version=__import__("rilo_node").__version__) == 1
    assert value(after, "rilo_records_held") >= 1 and value(after, "rilo_records_own") == 1
    assert value(after, "rilo_records_last_seq") >= 1
    rpc = "rilo_rpcs_total"
    assert value(after, rpc, method="rilo.v1.RecordService/SubmitSeizure", code="OK") == 1
    assert value(after, rpc, method="rilo.v1.SearchService/Search", code="OK") == 1
    assert value(after, rpc, method="rilo.v1.PeerService/Deliver", code="OK") == 1
    assert value(after, "rilo_query_seconds_count", kind="search", scope="local") == 1
    assert value(after, "rilo_records_received_total", peer="rilo-we", via="deliver", outcome="refused") == 1
    assert value(after, "rilo_records_refused_total", reason="bad_record") == 1
    assert value(after, "rilo_security_events_total", kind="bad_record") == 1
    assert value(before, "rilo_security_events_total", kind="bad_record") == 0
    assert value(after, "rilo_security_events_total", kind="not_entitled") == 0  # present at zero
    assert ("rilo_security_events_total", (("kind", "not_entitled"),)) in after
    assert value(after, "rilo_records_sent_total", peer="rilo-we", via="pull") >= 1
    assert ("rilo_peer_behind_records", (("peer", "rilo-we"),)) in after
    assert 800 < value(after, "rilo_tls_certificate_days_left", cert="node") <= 825
    assert value(after, "rilo_tls_certificate_days_left", cert="ca") > 800

    _, at_we = scrape(we)
    assert value(at_we, "rilo_records_received_total", peer="de", via="pull", outcome="stored") >= 1
    assert value(at_we, "rilo_peer_connected", peer="de") == 1
    assert ("rilo_peer_last_contact_seconds", (("peer", "de"),)) in at_we
    assert value(at_we, "rilo_peer_last_contact_seconds", peer="de") < 60


def test_a_refused_call_is_counted_with_its_code(start_node):
    node = start_node("de")
    with node.client() as c, pytest.raises(grpc.RpcError) as err:
        submit(c, seizure_example(country="FR"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, samples = scrape(node.node)
    assert value(samples, "rilo_rpcs_total", method="rilo.v1.RecordService/SubmitSeizure",
                 code="INVALID_ARGUMENT") == 1


def test_the_metrics_endpoint_is_off_when_configured_off(tmp_path, topology_path, network_ca, start_node):
    folder = init_node_dir(tmp_path / "de", "de", topology_path, ca=network_ca)
    update_config(folder.config, {"metrics": {"listen": "off"}})
    node = start_node("de")
    metrics = node.node.metrics
    assert node.node.config.metrics_listen is None and metrics.address is None and metrics._server is None
    with node.client() as c:  # the node serves as ever, and still counts
        submit(c, seizure_example())
    assert metrics.registry.get_sample_value(
        "rilo_rpcs_total", {"method": "rilo.v1.RecordService/SubmitSeizure", "code": "OK"}) == 1


def test_a_configured_port_is_served_and_closed_with_the_node(tmp_path, topology_path, network_ca, start_node):
    from rilo_node.sim.cluster import free_ports

    port = free_ports(1)[0]
    folder = init_node_dir(tmp_path / "de", "de", topology_path, ca=network_ca)
    update_config(folder.config, {"metrics": {"listen": f"127.0.0.1:{port}"}})
    node = start_node("de")
    assert node.node.metrics.address == f"127.0.0.1:{port}"
    families, _ = scrape(node.node)
    assert "rilo_records_held" in families
    node.node.stop(grace=0)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)


@pytest.fixture
def json_log():
    """Every log line as JSON into a buffer (what `serve --log-format json` installs), the access log on."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter({"node": "de"}))
    root = logging.getLogger()
    access = logging.getLogger(ACCESS_LOGGER)
    old_level, old_access = root.level, access.level
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    access.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        access.setLevel(old_access)


def test_json_lines_parse_carry_the_caller_and_the_access_log_has_one_line_per_rpc(start_node, json_log):
    node = start_node("de")
    with node.client() as c:
        submit(c, seizure_example())
        c.admin.GetStatus(node_pb2.GetStatusRequest())
        with pytest.raises(grpc.RpcError):
            submit(c, seizure_example(seizure_date="2031-01-01"))
        health_pb2_grpc.HealthStub(c.channel).Check(health_pb2.HealthCheckRequest())
        # bytes that are not a SubmitSeizureRequest: the interceptor refuses them and logs a warning
        raw = c.channel.unary_unary("/rilo.v1.RecordService/SubmitSeizure")
        with pytest.raises(grpc.RpcError) as err:
            raw(b"\xff" * 11)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    lines = json_log()
    caller = "client:de:national-system"
    access = [line for line in lines if line["logger"] == ACCESS_LOGGER]
    assert [(a["method"], a["code"]) for a in access] == [
        ("rilo.v1.RecordService/SubmitSeizure", "OK"),
        ("rilo.v1.NodeAdminService/GetStatus", "OK"),
        ("rilo.v1.RecordService/SubmitSeizure", "INVALID_ARGUMENT"),
        ("grpc.health.v1.Health/Check", "OK"),
        ("rilo.v1.RecordService/SubmitSeizure", "INVALID_ARGUMENT"),
    ]
    for a in access:
        assert a["caller"] == caller and a["level"] == "INFO" and a["node"] == "de"
        assert isinstance(a["ms"], float) and a["ms"] >= 0 and a["ts"].endswith("Z")
    refusal = [line for line in lines if line["logger"] == "rilo_node.api.errors"]
    assert len(refusal) == 1 and refusal[0]["level"] == "WARNING"
    # the line logged while serving the call names its caller, and the [rpc=…] prefix became a field
    assert refusal[0]["caller"] == caller and refusal[0]["rpc"] == "/rilo.v1.RecordService/SubmitSeizure"
    assert refusal[0]["msg"].startswith("refused from ")


def test_a_peer_node_is_the_caller_of_its_calls(make_cluster, json_log):
    cluster = make_cluster(["rilo-we", "de"])
    key = cluster.submit("de", member_seizure("de", cluster.directory, policy={"share": {"scope": "REGION"}}))
    cluster.wait_for(lambda: None if ("de", key.record_id) in cluster.holdings("rilo-we") else "not yet",
                     what="the record at rilo-we")
    for node in cluster.nodes.values():
        node.stop(grace=0)  # the pull streams end: their access lines are written
    pulls = [line for line in json_log() if line["logger"] == ACCESS_LOGGER and line["method"] ==
             "rilo.v1.PeerService/Pull"]
    assert {line["caller"] for line in pulls} >= {"node:rilo-we", "node:de"}
