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
    return {g.key[0].value: (g.cases, g.items) if not g.below else f"<{g.below}" for g in resp.groups}, resp.complete


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
    # kr (another area) sees the DRUGS figure; REVENUE and SECURITY are each under 5: named, with no figure
    # (the total, 11, minus DRUGS gives only their sum, 5).
    got, complete = stats(cluster, "kr")
    assert complete and got == {"DRUGS": (6, 6), "REVENUE": "<5", "SECURITY": "<5"}


def seize(cluster, n: int, section: str, policy: dict) -> None:
    cluster.submit("de", member_seizure("de", cluster.directory, record_id=f"01JQ6ZK0000000000000000C{n:02d}",
                                        items=[{"section": section, "category": CATEGORY[section]}],
                                        policy=policy))


def test_a_group_hidden_only_to_protect_another_is_left_out_not_shown_as_small(make_cluster):
    cluster = make_cluster(["rilo-we", "de", "rilo-ap", "kr"], settings={"de": {"stats": {"min_cell": 5}}})
    n = 0
    for section, count in (("DRUGS", 6), ("REVENUE", 2), ("SECURITY", 7)):
        for _ in range(count):
            n += 1
            seize(cluster, n, section, {"share": {"scope": "GLOBAL"}})
    # REVENUE (2) is small; alone hidden, the total (15) minus the others would give it, so the smallest
    # shown group (DRUGS, 6) is hidden too. DRUGS is not small: it is left out, never called "<5".
    got, complete = stats(cluster, "kr")
    assert complete and got == {"SECURITY": (7, 7), "REVENUE": "<5"}
    with cluster.client("kr") as c:
        text = c.search.Stats(node_pb2.StatsRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, group_by=["section"],
                                                    filter=node_pb2.SearchFilter(origin="de")))
    assert [(g.key[0].value, g.cases, g.below) for g in text.groups] == [("SECURITY", 7, 0), ("REVENUE", 0, 5)]


def test_h2_records_count_only_for_their_origin_and_where_released(make_cluster):
    cluster = make_cluster(["rilo-we", "de", "fr", "rilo-ap", "kr"])
    seize(cluster, 1, "DRUGS", {"share": {"scope": "GLOBAL"}})
    seize(cluster, 2, "DRUGS", {"share": {"scope": "GLOBAL"}, "handling": "H2"})
    seize(cluster, 3, "REVENUE", {"share": {"scope": "GLOBAL", "nodes": ["kr"]}, "handling": "H2"})
    # The origin counts all of its own; others do not count an H2 record (no onward dissemination: a
    # statistic is what reports are made of), except kr, to which de released record 3 by name.
    assert stats(cluster, "de") == ({"DRUGS": (2, 2), "REVENUE": (1, 1)}, True)
    assert stats(cluster, "fr") == ({"DRUGS": (1, 1)}, True)
    assert stats(cluster, "kr") == ({"DRUGS": (1, 1), "REVENUE": (1, 1)}, True)
