"""The JSON shapes of API answers (docs/api.md): search hits, node answers and statistics. The CLI
prints them; the demo uses them too. (A seizure goes in through core.seizure.parse_submission.)"""

from __future__ import annotations

from rilo_node.core.convert import enum_to_str, kind_name, pb_to_dict, seizure_from_bytes
from rilo_node.pb.rilo.v1 import node_pb2, policy_pb2


def hit_json(hit: node_pb2.SearchHit) -> dict:
    summary = pb_to_dict(hit.summary)
    summary.setdefault("sections", [])
    summary.setdefault("categories", [])
    out = {"origin": hit.origin, "record_id": hit.record_id, "version": hit.version, "kind": kind_name(hit.kind),
           "held": hit.held, "summary": summary,
           "tlp": enum_to_str(policy_pb2.Tlp.DESCRIPTOR, hit.tlp) if hit.tlp else None,
           "handling": enum_to_str(policy_pb2.Handling.DESCRIPTOR, hit.handling or policy_pb2.HANDLING_H0)}
    if hit.held and hit.record.body:
        out["body"] = seizure_from_bytes(hit.record.body)
    return out


def node_answer_json(n: node_pb2.NodeAnswer) -> dict:
    return {"node": n.node, "status": enum_to_str(node_pb2.NodeAnswerStatus.DESCRIPTOR, n.status),
            "hits": n.hits, "ms": n.ms}


def stats_json(resp) -> dict:
    """The stats JSON (docs/api.md#json-shapes-and-how-they-map-to-proto)."""
    return {"query_id": resp.query_id,
            "groups": [{"key": {v.field: v.value for v in g.key}, "cases": g.cases, "items": g.items,
                        **({"below": g.below} if g.below else {})} for g in resp.groups],
            "nodes": [node_answer_json(n) for n in resp.nodes], "complete": resp.complete}
