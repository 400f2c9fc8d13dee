"""Federated search and statistics across real nodes, checked against a reference computed here."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from rilo_node.core.errors import PermissionDeniedError, SignatureError
from rilo_node.core.signing import Keyring, verify_record
from rilo_node.pb.rilo.v1 import node_pb2, peer_pb2, record_pb2
from tests.cluster.harness import member_seizure
from tests.cluster.test_replication import peer_stub, ref_set

NETWORK = ["wco", "rilo-we", "rilo-ece", "rilo-ap", "rilo-sa", "rilo-me", "de", "fr", "pl", "kr", "jp", "br",
           "sa", "us"]
MEMBERS = ["de", "fr", "pl", "kr", "jp", "br", "sa", "us"]
CATEGORIES = [("DRUGS", "COCAINE"), ("DRUGS", "CANNABIS"), ("REVENUE", "TOBACCO_PRODUCTS"), ("IPR_HEALTH_SAFETY",
                                                                                               "IPR_PRODUCTS")]
SCOPES = {"global": node_pb2.QUERY_SCOPE_GLOBAL, "region": node_pb2.QUERY_SCOPE_REGION,
          "area": node_pb2.QUERY_SCOPE_AREA, "local": node_pb2.QUERY_SCOPE_LOCAL}


def explicit(policy: dict) -> dict:
    out = {"share": policy.get("share", {"scope": "REGION"}), "discover": policy.get("discover", {"scope": "GLOBAL"})}
    return out


@pytest.fixture(scope="module")
def network(tmp_path_factory, directory, network_ca, topology_path):
    """14 nodes with 80 seizures under random policies, replicated."""
    from tests.cluster.harness import Cluster

    cluster = Cluster(tmp_path_factory.mktemp("fed"), directory, NETWORK, network_ca, topology_path)
    rng = random.Random(7)
    written = []
    for i in range(80):
        origin = rng.choice(MEMBERS)
        section, category = rng.choice(CATEGORIES)
        share = rng.choice([{"scope": "ORIGIN"}, {"scope": "AREA"}, {"scope": "REGION"}, {"scope": "GLOBAL"},
                            {"scope": "NAMED", "nodes": [rng.choice(NETWORK)]}])
        discover = rng.choice([{"scope": "GLOBAL"}, {"scope": "REGION"}, {"scope": "ORIGIN"}])
        policy = {"share": share, "discover": discover}
        data = member_seizure(origin, cluster.directory, policy=policy, seizure_date=f"2026-0{1 + i % 9}-1{i % 9}",
                              departure_country=rng.choice(["EC", "CO", "AE", "CN"]),
                              items=[{"section": section, "category": category, "quantity": 1 + i, "unit": "KG"},
                                     {"section": section, "category": category, "quantity": 2, "unit": "KG"}][:1 + i % 2],
                              description=f"case {i} " + rng.choice(["banana boxes", "suitcase lining", "car tyres"]))
        key = cluster.submit(origin, data)
        written.append({"origin": origin, "record_id": key.record_id, "policy": policy, "data": data})
    cluster.written = written

    def converged():
        for w in written:
            hold = ref_set(w["policy"]["share"], w["origin"], cluster.directory)
            for n in hold:
                if (w["origin"], w["record_id"]) not in cluster.holdings(n):
                    return f"{n} lacks {w['origin']}/{w['record_id']}"
        return None

    cluster.wait_for(converged, timeout=60, what="replication")
    yield cluster
    cluster.close()


def reference(cluster, asker: str, scope: str | list[str], pred) -> tuple[set, set]:
    """(held, notices): records matching `pred` held by some node in scope (a scope name, or the named
    nodes), by what asker may see."""
    d = cluster.directory
    me = d.get(asker)
    if isinstance(scope, list):
        targets = set(scope)
    elif scope == "global":
        targets = {n.id for n in d}
    elif scope == "region":
        targets = {n.id for n in d if n.region == me.region} | {asker}
    elif scope == "area":
        targets = {n.id for n in d if me.area and n.area == me.area} | {asker}
    else:
        targets = {asker}
    held, notices = set(), set()
    for w in cluster.written:
        if not pred(w["data"]):
            continue
        hold = ref_set(w["policy"]["share"], w["origin"], d)
        if not hold & targets:
            continue  # no node in scope holds it
        disc = hold | ref_set(w["policy"]["discover"], w["origin"], d)
        key = (w["origin"], w["record_id"])
        if asker in hold:
            held.add(key)
        elif asker in disc:
            notices.add(key)
    return held, notices


def test_random_queries_match_the_reference(network):
    rng = random.Random(11)
    for _ in range(12):
        asker = rng.choice(NETWORK)
        scope = rng.choice(list(SCOPES))
        section, category = rng.choice(CATEGORIES)
        flt, pred = rng.choice([
            (node_pb2.SearchFilter(), lambda d: True),
            (node_pb2.SearchFilter(category=record_category(category)), lambda d, c=category: d["items"][0]["category"] == c),
            (node_pb2.SearchFilter(departure_country="EC"), lambda d: d["departure_country"] == "EC"),
            (node_pb2.SearchFilter(text="banana"), lambda d: "banana" in d["description"]),
            (node_pb2.SearchFilter(date_from="2026-05-01"), lambda d: d["seizure_date"] >= "2026-05-01"),
        ])
        with network.client(asker) as c:
            resp = c.search.Search(node_pb2.SearchRequest(filter=flt, scope=SCOPES[scope], limit=1000))
        assert resp.complete, [(n.node, n.status) for n in resp.nodes]
        held = {(h.origin, h.record_id) for h in resp.hits if h.held}
        notices = {(h.origin, h.record_id) for h in resp.hits if not h.held}
        exp_held, exp_notices = reference(network, asker, scope, pred)
        assert held == exp_held, (asker, scope)
        assert notices == exp_notices, (asker, scope)
        assert len(resp.hits) == len({(h.origin, h.record_id) for h in resp.hits})  # once per record


# Named scopes: one to three nodes anywhere, mixing areas and regions, with or without the asker. The
# first ones are those that came back incomplete when forwarding only used relays inside the scope.
NAMED_SCOPES = [("de", ["pl"]), ("de", ["kr"]), ("de", ["br", "sa"]), ("us", ["jp"]), ("kr", ["de", "us"]),
                ("pl", ["rilo-sa"]), ("sa", ["fr", "kr", "wco"])]


def named_scopes(n: int, seed: int) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    return NAMED_SCOPES + [(rng.choice(NETWORK), rng.sample(NETWORK, rng.randint(1, 3))) for _ in range(n)]


@pytest.mark.parametrize("asker, nodes", named_scopes(8, 29), ids=lambda v: v if isinstance(v, str) else ",".join(v))
def test_a_search_of_named_nodes_reaches_them_wherever_they_sit_and_matches_the_reference(network, asker, nodes):
    with network.client(asker) as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=nodes, limit=1000))
    assert resp.complete, [(n.node, n.status) for n in resp.nodes]
    assert sorted(n.node for n in resp.nodes) == sorted(set(nodes))
    held = {(h.origin, h.record_id) for h in resp.hits if h.held}
    notices = {(h.origin, h.record_id) for h in resp.hits if not h.held}
    assert (held, notices) == reference(network, asker, nodes, lambda d: True)
    assert len(resp.hits) == len({(h.origin, h.record_id) for h in resp.hits})


@pytest.mark.parametrize("asker, nodes", named_scopes(4, 31), ids=lambda v: v if isinstance(v, str) else ",".join(v))
def test_statistics_of_named_nodes_count_their_own_records_the_asker_may_discover(network, asker, nodes):
    with network.client(asker) as c:
        resp = c.search.Stats(node_pb2.StatsRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=nodes,
                                                    group_by=["category"]))
    assert resp.complete, [(n.node, n.status) for n in resp.nodes]
    d = network.directory
    cases, items = Counter(), Counter()
    for w in network.written:
        disc = ref_set(w["policy"]["share"], w["origin"], d) | ref_set(w["policy"]["discover"], w["origin"], d)
        if w["origin"] in nodes and asker in disc:
            cases[w["data"]["items"][0]["category"]] += 1
            items[w["data"]["items"][0]["category"]] += len(w["data"]["items"])
    got = {g.key[0].value: (g.cases, g.items) for g in resp.groups}
    assert got == {k: (cases[k], items[k]) for k in cases}


def test_relays_outside_a_named_scope_pass_the_query_on_and_answer_for_nothing(network):
    with network.client("de") as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["pl"], limit=1000))
    assert resp.complete and [n.node for n in resp.nodes] == ["pl"]
    assert {h.origin for h in resp.hits} <= {o for o, _ in reference(network, "de", ["pl"], lambda d: True)[0]} | {
        o for o, _ in reference(network, "de", ["pl"], lambda d: True)[1]}
    # rilo-we and rilo-ece carried it (de -> rilo-we -> rilo-ece -> pl); neither disclosed anything for it.
    for relay in ("rilo-we", "rilo-ece"):
        audit = network.nodes[relay].store.reader.execute(
            "SELECT COUNT(*) FROM audit WHERE query_id = ?", (resp.query_id,)).fetchone()[0]
        assert audit == 0, relay


def record_category(name: str) -> int:
    from rilo_node.pb.rilo.v1 import seizure_pb2

    return seizure_pb2.Category.Value("CATEGORY_" + name)


def test_hit_notices_never_carry_body_or_annex(network):
    with network.client("kr") as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=1000))
    notices = [h for h in resp.hits if not h.held]
    assert notices
    for h in notices:
        assert not h.HasField("record") and not h.record.body and not h.record.annex
        assert h.summary.seizure_date and h.summary.categories
    ring = Keyring()
    for n in network.directory:
        ring.add_b64(n.id, n.signing_key)
    for h in resp.hits:
        if h.held:
            assert verify_record(h.record, ring).header.origin == h.origin


def test_statistics_equal_the_counts_computed_here(network):
    asker = "pl"
    with network.client(asker) as c:
        resp = c.search.Stats(node_pb2.StatsRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL,
                                                    group_by=["category", "departure_country"]))
    assert resp.complete
    got = {tuple(v.value for v in g.key): (g.cases, g.items) for g in resp.groups}
    cases, items = Counter(), Counter()
    d = network.directory
    for w in network.written:
        disc = ref_set(w["policy"]["share"], w["origin"], d) | ref_set(w["policy"]["discover"], w["origin"], d)
        if asker not in disc:
            continue
        key = (w["data"]["items"][0]["category"], w["data"]["departure_country"])
        cases[key] += 1
        items[key] += len(w["data"]["items"])
    assert got == {k: (cases[k], items[k]) for k in cases}


def test_statistics_by_region_count_each_record_once(network):
    with network.client("wco") as c:
        resp = c.search.Stats(node_pb2.StatsRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, group_by=["region"]))
    total = sum(g.cases for g in resp.groups)
    d = network.directory
    visible = sum(1 for w in network.written
                  if "wco" in ref_set(w["policy"]["share"], w["origin"], d) | ref_set(w["policy"]["discover"],
                                                                                        w["origin"], d))
    assert total == visible


def test_a_bad_filter_or_group_names_the_field(network):
    with network.client("de") as c:
        with pytest.raises(grpc.RpcError) as err:
            c.search.Stats(node_pb2.StatsRequest(group_by=["colour"]))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "group_by[0]" in err.value.details()
        with pytest.raises(grpc.RpcError) as err:
            c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["atlantis"]))
        assert "nodes[0]" in err.value.details()


def test_answering_nodes_audit_what_they_disclosed_and_tell_the_origin(network):
    with network.client("kr") as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=1000))
    de_hits = [h for h in resp.hits if h.origin == "de"]
    assert de_hits

    def audited():
        entries = network.nodes["de"].store.audit_entries(0, 100_000)
        return [e for e in entries if e["query_id"] == resp.query_id]

    # The audit entry is group-committed by de's writer while its answer travels.
    network.wait_for(lambda: None if audited() else "no audit entry yet", what="de's audit entry")
    mine = audited()
    assert mine and mine[0]["actor"] == "node:kr" and mine[0]["action"] == "disclose"
    assert {tuple(k[:2]) for k in mine[0]["keys"]} >= {(h.origin, h.record_id) for h in de_hits
                                                        if ("de", h.record_id) in network.holdings("de")}
    # Asked alone, rilo-we answers for de's records it holds; de then asks it which of its records it
    # has disclosed, and to whom.
    with network.client("kr") as c:
        only_we = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["rilo-we"],
                                                         limit=1000))
    assert any(h.origin == "de" for h in only_we.hits)
    channel, stub = peer_stub(network, "de", "rilo-we")
    network.wait_for(lambda: None if any(d.query_id == only_we.query_id for d in stub.Disclosures(
        peer_pb2.DisclosuresRequest()).disclosures) else "not yet", what="rilo-we's audit entry")
    disclosures = stub.Disclosures(peer_pb2.DisclosuresRequest()).disclosures
    channel.close()
    assert all(k.origin == "de" for d in disclosures for k in d.keys)
    assert any(d.query_id == only_we.query_id and d.asker == "node:kr" for d in disclosures)


def test_a_forged_answer_is_refused(network):
    """A relay that rewrites an answer breaks the answering node's signature: the asker drops it."""
    engine = network.nodes["rilo-we"].queries
    original = engine.seal

    def tamper(answer, asker):
        sealed = original(answer, asker)
        return peer_pb2.SealedAnswer(node=sealed.node, sealed=sealed.sealed[:-1] + bytes([sealed.sealed[-1] ^ 1]))

    engine.seal = tamper
    try:
        with network.client("de") as c:
            resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_AREA))
    finally:
        engine.seal = original
    status = {n.node: n.status for n in resp.nodes}
    assert status["rilo-we"] == node_pb2.NODE_ANSWER_STATUS_ERROR
    assert not resp.complete
    assert any(e["kind"] == "bad_answer" for e in network.security_events("de"))


def test_a_duplicated_query_id_or_forged_hop_count_is_answered_once(network):
    engine = network.nodes["de"].queries
    query = peer_pb2.Query(query_id="01JQ6ZK00000000000000000QQ", asker="de", kind=peer_pb2.QUERY_KIND_SEARCH,
                           targets=[n for n in NETWORK], limit=10, expires_at="2030-01-01T00:00:00Z")
    signed = engine.sign_query(query)
    channel, stub = peer_stub(network, "de", "rilo-we")
    first = stub.Query(peer_pb2.QueryRequest(query=signed, hops_left=99), timeout=10)
    again = stub.Query(peer_pb2.QueryRequest(query=signed, hops_left=99), timeout=10)
    channel.close()
    answered = [a.node for a in first.answers]
    assert len(answered) == len(set(answered))  # every node at most once, however high the hop count
    assert set(answered) <= set(NETWORK)
    assert not again.answers and [f.status for f in again.failures] == [node_pb2.NODE_ANSWER_STATUS_REFUSED]


def test_a_dead_node_is_unreachable_and_a_slow_one_times_out(network):
    # jp is asked, and holds its answer back until the search has returned: slow beyond any deadline,
    # on any machine. The deadline is generous for the nodes that do answer.
    jp = network.nodes["jp"].queries
    asked, release = threading.Event(), threading.Event()
    answer = jp.answer

    def held_back(query, deadline=None):
        asked.set()
        release.wait(timeout=300)
        return answer(query, deadline)

    jp.answer = held_back
    network.stop("fr")
    try:
        with network.client("de") as c:
            # jp answers only once this call has returned; a search that waited for it would hang until
            # the call's own timeout, which only ends a search that hangs.
            resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=5000),
                                   timeout=30)
    finally:
        release.set()
        del jp.answer
        network.restart("fr")
    status = {n.node: n.status for n in resp.nodes}
    assert not resp.complete
    assert status["fr"] == node_pb2.NODE_ANSWER_STATUS_UNREACHABLE
    assert status["jp"] == node_pb2.NODE_ANSWER_STATUS_TIMEOUT
    assert status["de"] == node_pb2.NODE_ANSWER_STATUS_OK and status["kr"] == node_pb2.NODE_ANSWER_STATUS_OK
    # The deadline holds: jp was asked, and the search came back while jp still held its answer.
    assert asked.is_set()


def test_a_node_behind_a_dead_relay_is_asked_by_another_path(network):
    # pl peers only with rilo-ece. With rilo-ece down, rilo-we (which relays for de) asks pl directly.
    network.stop("rilo-ece")
    try:
        with network.client("de") as c:
            only = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["pl"],
                                                          deadline_ms=5000), timeout=30)
            both = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES,
                                                          nodes=["rilo-ece", "pl"], deadline_ms=5000), timeout=30)
    finally:
        network.restart("rilo-ece")
    assert only.complete and [(n.node, n.status) for n in only.nodes] == [("pl", node_pb2.NODE_ANSWER_STATUS_OK)]
    status = {n.node: n.status for n in both.nodes}
    assert status == {"rilo-ece": node_pb2.NODE_ANSWER_STATUS_UNREACHABLE, "pl": node_pb2.NODE_ANSWER_STATUS_OK}


def test_the_members_behind_a_stalled_rilo_are_asked_by_another_path_within_the_deadline(network):
    def reached(c):
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["rilo-ece"]))
        return None if resp.complete else "rilo-ece not reachable yet (restarted by an earlier test?)"

    with network.client("de") as c:
        network.wait_for(lambda: reached(c), what="rilo-ece answering")
    # rilo-ece takes every query and never answers (as under SIGSTOP) until the searches are over.
    rilo_ece = network.nodes["rilo-ece"].queries
    stalled, release = threading.Event(), threading.Event()
    relay = rilo_ece.relay

    def stalls(*args, **kwargs):
        stalled.set()
        release.wait(timeout=300)
        return relay(*args, **kwargs)

    rilo_ece.relay = stalls
    try:
        with network.client("de") as c:
            named = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["pl"],
                                                           deadline_ms=4000, limit=1000), timeout=30)
            world = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=4000,
                                                           limit=1000), timeout=30)
    finally:
        release.set()
        del rilo_ece.relay
    assert stalled.is_set()
    assert named.complete, [(n.node, n.status) for n in named.nodes]
    assert (named.nodes[0].node, named.nodes[0].status) == ("pl", node_pb2.NODE_ANSWER_STATUS_OK)
    status = {n.node: n.status for n in world.nodes}
    assert status.pop("rilo-ece") == node_pb2.NODE_ANSWER_STATUS_TIMEOUT
    assert set(status.values()) == {node_pb2.NODE_ANSWER_STATUS_OK}, status  # pl among them


def test_nodes_behind_a_refusing_relay_are_not_asked_and_say_so(network):
    rilo_we = network.nodes["rilo-we"].queries

    def refuses(*args, **kwargs):
        raise PermissionDeniedError("too many concurrent queries from de")

    rilo_we.relay = refuses
    try:
        with network.client("de") as c:
            resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["pl", "rilo-we"],
                                                          deadline_ms=4000), timeout=30)
    finally:
        del rilo_we.relay
    status = {n.node: n.status for n in resp.nodes}
    assert status == {"rilo-we": node_pb2.NODE_ANSWER_STATUS_REFUSED, "pl": node_pb2.NODE_ANSWER_STATUS_NOT_ASKED}


def test_one_clients_storm_takes_turns_is_refused_beyond_with_a_retry_after_and_another_client_stays_complete(
        network, network_ca, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from rilo_node.api.client import NodeClient, Target
    from rilo_node.api.services import QUERIES_PER_CLIENT, QUERIES_WAITING_PER_CLIENT
    from rilo_node.node.pki import node_dns, write_pem

    # jp holds every answer back until released, so client A's searches stay in flight at de.
    jp = network.nodes["jp"].queries
    held, release = threading.Semaphore(0), threading.Event()
    answer = jp.answer

    def held_back(query, deadline=None):
        held.release()
        release.wait(timeout=300)
        return answer(query, deadline)

    jp.answer = held_back
    cert, key = network_ca.issue_client("de", "analyst")
    write_pem(tmp_path / "b.pem", cert)
    write_pem(tmp_path / "b.key", key, private=True)
    f = network.folders["de"]
    other = Target(f"127.0.0.1:{network.ports['de']}", f.ca, tmp_path / "b.pem", tmp_path / "b.key", node_dns("de"))
    jp_search = node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=["jp"], deadline_ms=20_000)
    turns = network.nodes["de"].search_service.per_client
    sent = QUERIES_PER_CLIENT + QUERIES_WAITING_PER_CLIENT
    try:
        with network.client("de") as a, ThreadPoolExecutor(sent) as pool:
            in_flight = [pool.submit(a.search.Search, jp_search, timeout=60) for _ in range(sent)]
            for _ in range(QUERIES_PER_CLIENT):
                assert held.acquire(timeout=60), "A's first searches did not reach jp"
            network.wait_for(lambda: "" if list(turns.in_use().values()) == [(QUERIES_PER_CLIENT,
                                                                               QUERIES_WAITING_PER_CLIENT)]
                             else f"A's searches at de: {turns.in_use()}", what="A's other searches waiting")
            assert not held.acquire(timeout=0)  # the waiting ones have not reached jp
            refused = []
            for _ in range(3):
                with pytest.raises(grpc.RpcError) as err:
                    a.search.Search(jp_search, timeout=60)
                refused.append(err.value)
            with NodeClient(other) as b:  # another client's turn is its own
                for nodes in (["fr", "pl"], ["kr", "us"], ["de", "br"]):
                    resp = b.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_NODES, nodes=nodes,
                                                                  deadline_ms=10_000), timeout=60)
                    assert resp.complete, [(n.node, n.status) for n in resp.nodes]
            release.set()
            assert all(fut.result(timeout=60).complete for fut in in_flight)  # each in its turn
    finally:
        release.set()
        del jp.answer
    for err in refused:
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert int(dict(err.trailing_metadata())["grpc-retry-pushback-ms"]) > 0
    assert turns.in_use() == {}


def test_a_storm_of_global_queries_takes_no_node_down(network):
    errors, answered = [], Counter()

    def ask(i):
        asker = MEMBERS[i % len(MEMBERS)]
        try:
            with network.client(asker) as c:
                c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=3000),
                                timeout=20)
            answered[asker] += 1
        except grpc.RpcError as exc:
            pushback = dict(exc.trailing_metadata() or ()).get("grpc-retry-pushback-ms")
            if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or not pushback:
                errors.append(exc.code())  # only the per-client quota may refuse, and it says when to retry

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)  # each call ends within its own 20 s timeout; this only bounds a hang
    assert not [t for t in threads if t.is_alive()], "a query of the storm never returned"
    assert not errors, Counter(errors)
    assert set(answered) == set(MEMBERS), answered  # every client was served, however many it sent at once
    # Every node is still up and an ordinary query still gets a complete answer.
    with network.client("pl") as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=5000))
    assert resp.complete, [(n.node, n.status) for n in resp.nodes if n.status != 1]


def test_a_cut_link_answers_unavailable_and_a_garbage_answer_is_refused_not_an_internal_error(network):
    import nacl.public
    import nacl.signing

    network.cut("de", "rilo-we")
    try:
        channel, stub = peer_stub(network, "de", "rilo-we")
        with channel, pytest.raises(grpc.RpcError) as err:
            stub.Query(peer_pb2.QueryRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # was INTERNAL: no path around it was tried
    finally:
        network.heal()
    # Anyone can seal bytes for de: bytes that are no SignedAnswer are a refused answer, not a failed search.
    engine = network.nodes["de"].queries
    box = nacl.public.SealedBox(nacl.signing.VerifyKey(network.nodes["de"].key.public_raw).to_curve25519_public_key())
    query = peer_pb2.Query(query_id="01JQ6ZK00000000000000000QZ", asker="de")
    with pytest.raises(SignatureError):
        engine.open_answer(peer_pb2.SealedAnswer(node="fr", sealed=box.encrypt(b"\xff\xff not a message")), query)
    # An answer from the network in de's own name is refused, even signed by de's key (its own answer never
    # leaves it, and its hits are not verified again).
    own = engine.seal(peer_pb2.Answer(query_id=query.query_id, node="de", asker="de"), "de")
    with pytest.raises(SignatureError, match="own name"):
        engine.open_answer(own, query)


def test_a_relay_speaks_only_for_the_nodes_it_was_sent_to_reach():
    from concurrent.futures import Future

    from rilo_node.node.query import _FanOut

    class Engine:
        me = "de"

    fan = _FanOut(Engine(), peer_pb2.SignedQuery(), 0, {"r1", "x", "y"}, deadline=10**12)
    junk = peer_pb2.QueryResponse(answers=[peer_pb2.SealedAnswer(node=n, sealed=b"junk") for n in ("r1", "x", "y")],
                                  failures=[node_pb2.NodeAnswer(node="y", status=node_pb2.NODE_ANSWER_STATUS_ERROR)])
    done = Future()
    done.set_result(junk)
    fan.pending[1] = ("r1", ["r1"], done)
    fan.settle(1)
    assert [a.node for a in fan.resp.answers] == ["r1"] and fan.answered == {"r1"} and "y" not in fan.failed


# -- pages of hits (issue 12): exact top-N, page tokens, labels, deadlines, readers and the writer ------

PAGE_FILTERS = [
    (node_pb2.SearchFilter(), lambda d: True),
    (node_pb2.SearchFilter(category=record_category("COCAINE")), lambda d: d["items"][0]["category"] == "COCAINE"),
    (node_pb2.SearchFilter(departure_country="EC"), lambda d: d["departure_country"] == "EC"),
    (node_pb2.SearchFilter(text="suitcase"), lambda d: "suitcase" in d["description"]),
    (node_pb2.SearchFilter(date_from="2026-05-01"), lambda d: d["seizure_date"] >= "2026-05-01"),
]


def in_hit_order(network, keys) -> list[tuple[str, str]]:
    dates = {(w["origin"], w["record_id"]): w["data"]["seizure_date"] for w in network.written}
    return sorted(sorted(keys), key=lambda k: dates[k], reverse=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(asker=hs.sampled_from(NETWORK), scope=hs.sampled_from(["global", "region", "area", "local"]),
       which=hs.integers(0, len(PAGE_FILTERS) - 1), page=hs.integers(1, 25))
def test_pages_give_exactly_the_matches_in_order_with_no_repeat_and_no_gap(network, asker, scope, which, page):
    """Against the brute-force answer over every record written and every policy: each page holds exactly
    the next `page` hits (seizure date descending, then origin and record_id), and the pages together
    are every match the asker may discover, each once."""
    flt, pred = PAGE_FILTERS[which]
    held, notices = reference(network, asker, scope, pred)
    expected = in_hit_order(network, held | notices)
    got, token, pages = [], "", 0
    with network.client(asker) as c:
        while True:
            resp = c.search.Search(node_pb2.SearchRequest(filter=flt, scope=SCOPES[scope], limit=page,
                                                          page_token=token, deadline_ms=10_000), timeout=30)
            assert resp.complete, [(n.node, n.status) for n in resp.nodes]
            assert len(resp.hits) == min(page, len(expected) - len(got))
            got += [(h.origin, h.record_id) for h in resp.hits]
            assert {(h.origin, h.record_id) for h in resp.hits if h.held} <= held
            token, pages = resp.next_page_token, pages + 1
            if not token:
                break
            assert pages <= len(expected)
    assert got == expected


def test_the_others_send_only_hits_that_come_before_the_askers_own_last_one(network):
    """The asker answers first; with a full page of its own, the query asks the others only for hits that
    come before its last one (`before`), and the page is the same as the one asked without that bound."""
    seen: list[tuple[str, peer_pb2.Query, list]] = []
    for nid, node in network.nodes.items():
        if nid == "de":
            continue
        engine = node.queries

        def spy(query, deadline=None, nid=nid, engine=engine, answer=engine.answer):
            out = answer(query, deadline)
            seen.append((nid, query, [(h.summary.seizure_date, h.origin, h.record_id) for h in out.hits]))
            return out

        engine.answer = spy
    try:
        with network.client("de") as c:
            bounded = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=3), timeout=30)
            own = network.nodes["de"].queries.local_hits({}, 4, "de", frozenset(network.nodes))
            assert len(own) == 4  # de holds a full page of its own (and one more)
            last = (own[-1].summary.seizure_date, own[-1].origin, own[-1].record_id)
            queries = [q for _n, q, _h in seen]
            assert queries and all((q.before.seizure_date, q.before.origin, q.before.record_id) == last
                                   for q in queries)
            for _nid, _q, hits in seen:  # newer, or as new and before it by (origin, record_id)
                assert all(h[0] > last[0] or (h[0] == last[0] and h[1:] < last[1:]) for h in hits), hits
    finally:
        for nid, node in network.nodes.items():
            node.queries.__dict__.pop("answer", None)
    held, notices = reference(network, "de", "global", lambda d: True)
    assert bounded.complete and bounded.next_page_token
    assert [(h.origin, h.record_id) for h in bounded.hits] == in_hit_order(network, held | notices)[:3]


def test_a_page_token_of_another_search_is_refused_naming_it(network):
    with network.client("de") as c:
        first = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=2))
        assert first.next_page_token
        for request in (node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_REGION, limit=2,
                                               page_token=first.next_page_token),
                        node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=2, page_token="not a token")):
            with pytest.raises(grpc.RpcError) as err:
                c.search.Search(request)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "page_token" in err.value.details()


def test_every_hit_carries_the_tlp_and_handling_of_its_policy(network):
    with network.client("fr") as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=1000))
    assert resp.hits
    for h in resp.hits:
        assert h.handling  # a default handling code is explicit in every signed policy
        if h.held:
            header = record_pb2.RecordHeader.FromString(h.record.header)
            assert (h.tlp, h.handling) == (header.policy.tlp, header.policy.handling)


ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"


@pytest.mark.parametrize("slow", ["jp", "de"])
def test_a_node_whose_own_sql_runs_past_the_deadline_is_a_timeout_not_a_hang(network, slow):
    """A node's local part (here SQL that would never end, at a relay and at the asker itself) stops at
    the query's deadline: that node is TIMEOUT, the others answer, and the call returns."""
    engine = network.nodes[slow].queries
    engine.local_hits = lambda *a, **k: engine.store.reader.execute(ENDLESS).fetchone()
    try:
        with network.client("de") as c:
            resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=1500),
                                   timeout=60)
    finally:
        del engine.local_hits
    status = {n.node: n.status for n in resp.nodes}
    assert not resp.complete
    assert status[slow] == node_pb2.NODE_ANSWER_STATUS_TIMEOUT
    assert all(s == node_pb2.NODE_ANSWER_STATUS_OK for n, s in status.items() if n != slow), status


def test_searches_and_statistics_never_wait_for_the_writer(network):
    """Every node's writer is held inside a transaction; a global text search and a statistic still
    complete (before m0006 a text search first had the writer catch the full-text index up). The asker's
    own audit entry, durable before the analyst sees the hits, is synced to the audit journal, not
    committed by the writer (docs/protocol.md#what-is-durable-when-a-call-returns)."""
    release = threading.Event()

    def hold_writers(nodes):
        holding = []
        for node in nodes:
            entered = threading.Event()

            def hold(conn, entered=entered):
                entered.set()
                release.wait(timeout=120)

            holding.append(node.store.submit(hold))
            assert entered.wait(timeout=30)
        return holding

    holding = hold_writers(list(network.nodes.values()))
    try:
        with network.client("de") as c:
            found = c.search.Search(node_pb2.SearchRequest(filter=node_pb2.SearchFilter(text="banana"),
                                                           scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=10_000),
                                    timeout=30)
            counted = c.search.Stats(node_pb2.StatsRequest(filter=node_pb2.SearchFilter(text="banana"),
                                                           scope=node_pb2.QUERY_SCOPE_GLOBAL, group_by=["category"],
                                                           deadline_ms=10_000), timeout=30)
    finally:
        release.set()
        for f in holding:
            f.result(timeout=60)
    assert found.complete and counted.complete
    assert found.hits and counted.groups


def test_after_a_slow_finish_the_calls_of_the_next_query_end_early_enough_to_finish_in_time(network):
    """On a machine too busy to check a page of hits quickly, the asker's finishing (opening, checking,
    merging and auditing the answers) once took 250 ms past the deadline. The calls of the next query
    end early by what finishing took of late: here a finish slowed by 1 s makes the next query's calls end
    at least 1 s before its deadline (measured from when its round began, later than its start)."""
    engine = network.nodes["de"].queries
    checked, begun = engine._verified_hits, engine._round
    rounds: list[tuple[float, float]] = []

    def slow_check(*a, **k):
        time.sleep(1.0)  # the finish being slow is the condition, not something waited for
        return checked(*a, **k)

    def round_(kind, flt, targets, limit, group_by, after, calls_deadline, marks):
        rounds.append((time.monotonic(), calls_deadline))
        return begun(kind, flt, targets, limit, group_by, after, calls_deadline, marks)

    engine._verified_hits, engine._round = slow_check, round_
    try:
        with network.client("de") as c:
            for _ in range(2):
                c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=5000),
                                timeout=30)
    finally:
        del engine._verified_hits, engine._round
        engine._finish_estimate = 0.0  # the next tests' queries are not cut short by this one's slow finish
    began, calls_deadline = rounds[-1]
    assert calls_deadline <= began + 5.0 - 1.0
