"""The JSON shapes of INTERFACES.md for what goes into and comes out of the API: a seizure submission,
search hits, node answers and statistics. The CLI prints them; the simulator and the demo use them."""

from __future__ import annotations

from rilo_node.core.convert import (
    dict_to_pb,
    enum_to_str,
    kind_name,
    pb_to_dict,
    seizure_from_bytes,
)
from rilo_node.core.errors import ValidationError
from rilo_node.pb.rilo.v1 import node_pb2


def submission_from_dict(data) -> node_pb2.SeizureSubmission:
    """One INTERFACES.md seizure object as a SeizureSubmission (structure only; the node validates)."""
    if not isinstance(data, dict):
        raise ValidationError("", "a seizure must be a JSON object")
    data = dict(data)
    sub = node_pb2.SeizureSubmission()
    record_id = data.pop("record_id", None)
    if record_id is not None:
        if not isinstance(record_id, str):
            raise ValidationError("record_id", "must be a string")
        sub.record_id = record_id
    policy = data.pop("policy", None)
    if policy is not None:
        if isinstance(policy, dict) and policy.get("tlp") == "AMBER+STRICT":
            policy = {**policy, "tlp": "AMBER_STRICT"}
        _into(policy, sub.policy, "policy")
    annex = data.pop("annex", None)
    if annex is not None:
        _into(annex, sub.annex, "annex")
    _into(data, sub.seizure, "")
    return sub


def _into(data, msg, path: str) -> None:
    dict_to_pb(data, msg, path)
    msg.SetInParent()


def hit_json(hit: node_pb2.SearchHit) -> dict:
    summary = pb_to_dict(hit.summary)
    summary.setdefault("sections", [])
    summary.setdefault("categories", [])
    out = {"origin": hit.origin, "record_id": hit.record_id, "version": hit.version, "kind": kind_name(hit.kind),
           "held": hit.held, "summary": summary}
    if hit.held and hit.record.body:
        out["body"] = seizure_from_bytes(hit.record.body)
    return out


def node_answer_json(n: node_pb2.NodeAnswer) -> dict:
    return {"node": n.node, "status": enum_to_str(node_pb2.NodeAnswerStatus.DESCRIPTOR, n.status),
            "hits": n.hits, "ms": n.ms}


def stats_json(resp) -> dict:
    """INTERFACES.md `stats --json`."""
    return {"query_id": resp.query_id,
            "groups": [{"key": {v.field: v.value for v in g.key}, "cases": g.cases, "items": g.items}
                       for g in resp.groups],
            "nodes": [node_answer_json(n) for n in resp.nodes], "complete": resp.complete}
