"""stats.min_cell across real nodes: askers outside the origin's area do not see its small groups, nor
what would let them be subtracted out; askers inside its area see every figure."""

from __future__ import annotations

from rilo_node.pb.rilo.v1 import node_pb2
from tests.cluster.harness import member_seizure

CATEGORY = {"DRUGS": "COCAINE", "REVENUE": "TOBACCO_PRODUCTS", "SECURITY": "WEAPONS_AMMUNITION"}


def stats(cluster, asker: str) -> tuple[dict, bool]:
    with cluster.client(asker) as c:
        resp = c.search.Stats(node_pb2.StatsRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, group_by=["section"],
                                                    filter=node_pb2.SearchFilter(origin="de")))
    return {g.key[0].value: (g.cases, g.items) for g in resp.groups}, resp.complete


def test_small_groups_are_hidden_outside_the_area_only(make_cluster):
    cluster = make_cluster(["rilo-we", "de", "fr", "rilo-ap", "kr"], settings={"de": {"stats": {"min_cell": 5}}})
    d = cluster.directory
    n = 0
    for section, count in (("DRUGS", 6), ("REVENUE", 2), ("SECURITY", 3)):
        for _ in range(count):
            n += 1
            cluster.submit("de", member_seizure("de", d, record_id=f"01JQ6ZK0000000000000000B{n:02d}",
                                                items=[{"section": section, "category": CATEGORY[section]}],
                                                policy={"share": {"scope": "GLOBAL"}}))
    everything = {"DRUGS": (6, 6), "REVENUE": (2, 2), "SECURITY": (3, 3)}
    # de itself and fr (its area) see every figure.
    for asker in ("de", "fr"):
        got, complete = stats(cluster, asker)
        assert complete and got == everything, asker
    # kr (another area) sees DRUGS only: REVENUE is under 5, and SECURITY goes with it, since the total
    # (11) minus DRUGS would otherwise give REVENUE.
    got, complete = stats(cluster, "kr")
    assert complete and got == {"DRUGS": (6, 6)}
