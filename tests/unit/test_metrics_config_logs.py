"""The [metrics] config table, the metrics counting helpers and the JSON log formatter, without a server."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from rilo_node.core.errors import ConfigError
from rilo_node.node.config import KEYS, METRICS_LISTEN
from rilo_node.node.logs import JsonFormatter, set_call, split_prefixes
from rilo_node.node.metrics import NodeMetrics, outcome_of
from tests.unit.test_config_jobs import load, refused


def test_the_metrics_endpoint_is_on_loopback_by_default():
    assert METRICS_LISTEN == "127.0.0.1:0"
    assert set(KEYS["metrics"]) == {"listen"}


def test_metrics_listen_is_read_and_off_or_empty_turns_it_off(tmp_path):
    assert load(tmp_path).metrics_listen == "127.0.0.1:0"
    assert load(tmp_path, "[metrics]\n").metrics_listen == "127.0.0.1:0"
    assert load(tmp_path, '[metrics]\nlisten = "0.0.0.0:9464"\n').metrics_listen == "0.0.0.0:9464"
    assert load(tmp_path, '[metrics]\nlisten = "off"\n').metrics_listen is None
    assert load(tmp_path, '[metrics]\nlisten = ""\n').metrics_listen is None


@pytest.mark.parametrize("extra", [
    '[metrics]\nlisten = "9464"\n',
    "[metrics]\nlisten = 9464\n",
    "[metrics]\nlisten = false\n",
    '[metrics]\nlisten = "127.0.0.1:99999"\n',
    '[metrics]\nlisten = "[::1]:9464"\n',
    '[metrics]\nlisten = "OFF"\n',
    '[metrics]\nlisten = ["127.0.0.1:9464"]\n',
])
def test_a_bad_metrics_listen_is_refused_naming_the_key(tmp_path, extra):
    message = refused(tmp_path, extra)
    assert "metrics.listen" in message and "host:port" in message


def test_metrics_listen_may_not_be_the_grpc_address(tmp_path):
    path = tmp_path / "node.toml"
    path.write_text('[node]\nid = "de"\nlisten = "127.0.0.1:7400"\ninsecure = true\n[signing]\nkey = "k"\n'
                    '[metrics]\nlisten = "127.0.0.1:7400"\n')
    from rilo_node.node.config import load_config

    with pytest.raises(ConfigError, match="metrics.listen '127.0.0.1:7400' is node.listen too"):
        load_config(path)


def test_an_unknown_key_of_metrics_is_refused(tmp_path):
    assert "unknown key metrics.port" in refused(tmp_path, "[metrics]\nport = 9464\n")


@pytest.mark.parametrize("outcome, expected", [
    ("stored", ("stored", None)), ("annex added", ("stored", None)), ("duplicate", ("duplicate", None)),
    ("older", ("refused", "older_version")), ("withdrawn", ("refused", "older_version")),
    ("not entitled", ("refused", "not_entitled")), ("refused: bad signature", ("refused", "bad_record")),
])
def test_each_receive_outcome_has_its_label(outcome, expected):
    assert outcome_of(outcome) == expected


def test_two_nodes_in_one_process_count_apart():
    a, b = NodeMetrics(), NodeMetrics()
    a.received("rilo-we", "pull", ["stored", "stored", "duplicate", "not entitled"])
    a.security_event("not_entitled")
    assert a.registry.get_sample_value("rilo_records_received_total",
                                       {"peer": "rilo-we", "via": "pull", "outcome": "stored"}) == 2
    assert a.registry.get_sample_value("rilo_records_refused_total", {"reason": "not_entitled"}) == 1
    assert a.registry.get_sample_value("rilo_security_events_total", {"kind": "not_entitled"}) == 1
    assert b.registry.get_sample_value("rilo_security_events_total", {"kind": "not_entitled"}) == 0
    assert b.registry.get_sample_value("rilo_records_received_total",
                                       {"peer": "rilo-we", "via": "pull", "outcome": "stored"}) is None
    a.close()
    b.close()


def test_a_port_in_use_is_a_config_error_naming_the_key():
    a, b = NodeMetrics(), NodeMetrics()
    address = a.serve("127.0.0.1:0")
    try:
        with pytest.raises(ConfigError, match=rf"metrics.listen {address}: cannot listen there"):
            b.serve(address)
    finally:
        a.close()
        b.close()


def record(msg: str, *args, level=logging.WARNING, exc_info=None, **extra) -> logging.LogRecord:
    r = logging.LogRecord("rilo_node.node.peers", level, __file__, 1, msg, args, exc_info)
    r.__dict__.update(extra)
    return r


def test_prefixes_become_fields():
    assert split_prefixes("[peer=de] [query=01J] pull failed: x [y=z]") == (
        {"peer": "de", "query": "01J"}, "pull failed: x [y=z]")
    assert split_prefixes("no prefix [peer=de]") == ({}, "no prefix [peer=de]")


def test_a_json_line_is_one_line_of_valid_ascii_json_whatever_the_message_holds():
    hostile = 'line1\nline2\r\x1b[31mred\x00 "quoted" \u2028 \u00e9'
    line = JsonFormatter({"node": "de"}).format(record("[peer=%s] pull failed: %s", "de", hostile))
    assert "\n" not in line and line.isascii()
    obj = json.loads(line)
    assert obj["peer"] == "de" and obj["node"] == "de" and obj["level"] == "WARNING"
    assert obj["logger"] == "rilo_node.node.peers" and obj["msg"] == f"pull failed: {hostile}"


def test_extra_fields_the_current_call_and_a_traceback_go_into_the_line():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        exc = sys.exc_info()
    set_call({"caller": "client:de:national-system", "method": "rilo.v1.RecordService/SubmitSeizure"})
    try:
        line = JsonFormatter().format(record("failed", exc_info=exc, code="INTERNAL", ms=1.5))
    finally:
        set_call(None)
    obj = json.loads(line)
    assert obj["caller"] == "client:de:national-system" and obj["method"] == "rilo.v1.RecordService/SubmitSeizure"
    assert obj["code"] == "INTERNAL" and obj["ms"] == 1.5
    assert "ValueError: boom" in obj["exc"] and "\n" not in line
    assert "caller" not in json.loads(JsonFormatter().format(record("after the call")))
