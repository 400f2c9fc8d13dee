"""Replication across real nodes: every node holds exactly what its policy entitles, and stays so
through downtime, partitions, corrections, withdrawals, retractions and hostile peers."""

from __future__ import annotations

import random

import grpc
import pytest

from rilo_node.api.client import NodeClient, Target
from rilo_node.core.signing import DOMAIN, SigningKey, make_record
from rilo_node.node.pki import node_dns
from rilo_node.pb.rilo.v1 import node_pb2, peer_pb2, peer_pb2_grpc, policy_pb2, record_pb2
from tests.cluster.harness import member_seizure

# wco, the 12 RILOs, and members from five areas and from no area: 24 nodes of the real topology.
NETWORK = ["wco", "rilo-ap", "rilo-me", "rilo-na", "rilo-we", "rilo-ece", "rilo-cis", "rilo-wa", "rilo-ca",
           "rilo-esa", "rilo-sa", "rilo-car", "rilo-cam",
           "de", "fr", "pl", "kr", "jp", "br", "ma", "sa", "us", "ke", "sn"]


# -- the reference: docs/protocol.md#the-policy-rule, written again here on purpose ---------------

def ref_base(scope, origin, d):
    o = d.get(origin)
    if scope in ("ORIGIN", "NAMED"):
        return {origin}
    if scope == "AREA":
        return {origin} | {n.id for n in d if n.area is not None and n.area == o.area}
    if scope == "REGION":
        return {origin} | {n.id for n in d if n.region is not None and n.region == o.region}
    if scope == "RILOS":
        return {origin} | {n.id for n in d if n.role == "rilo"}
    if scope == "GLOBAL":
        return {n.id for n in d}
    raise ValueError(scope)


def ref_set(spec, origin, d):
    return (ref_base(spec["scope"], origin, d) | set(spec.get("nodes", []))) - (set(spec.get("exclude", [])) - {origin})


def ref_sets(policy, origin, d):
    """policy here is always explicit (every part has a scope)."""
    hold = ref_set(policy["share"], origin, d)
    annex = (hold & ref_set(policy["annex"], origin, d)) | {origin}
    return hold, annex


def random_policy(rng: random.Random, origin: str, ids: list[str]) -> dict:
    scopes = ["ORIGIN", "NAMED", "AREA", "REGION", "RILOS", "GLOBAL"]

    def spec():
        s = {"scope": rng.choice(scopes)}
        if rng.random() < 0.4:
            s["nodes"] = rng.sample(ids, rng.randint(1, 3))
        if rng.random() < 0.3:
            s["exclude"] = rng.sample(ids, rng.randint(1, 2))
        return s

    return {"share": spec(), "discover": {"scope": "GLOBAL"}, "annex": spec()}


def expected_holdings(cluster, written):
    """node -> {(origin, record_id): annex?} from the reference."""
    exp = {n: {} for n in cluster.ids}
    for origin, record_id, policy in written:
        hold, annex = ref_sets(policy, origin, cluster.directory)
        for n in hold:
            exp[n][(origin, record_id)] = n in annex
    return exp


def mismatch(cluster, expected, *, kinds=(record_pb2.RECORD_KIND_SEIZURE,)):
    for n in cluster.ids:
        held = {k: v["annex"] for k, v in cluster.holdings(n).items() if v["kind"] in kinds and not v["withdrawn"]}
        if held != expected[n]:
            extra = set(held) - set(expected[n])
            missing = set(expected[n]) - set(held)
            annex = {k for k in set(held) & set(expected[n]) if held[k] != expected[n][k]}
            return f"{n}: extra {sorted(extra)[:3]} missing {sorted(missing)[:3]} annex differs {sorted(annex)[:3]}"
    return None


def test_random_policies_reach_exactly_the_entitled_nodes(make_cluster):
    cluster = make_cluster(NETWORK)
    rng = random.Random(2026)
    writers = [n for n in NETWORK]
    written = []
    for i in range(60):
        origin = rng.choice(writers)
        policy = random_policy(rng, origin, NETWORK)
        annex = {"offenders": [{"nationality": "NL", "gender": "M", "birth_year": 1980 + i % 20, "role": "courier"}]}
        key = cluster.submit(origin, member_seizure(origin, cluster.directory, policy=policy, annex=annex,
                                                    case_ref=f"R{i}"))
        written.append((origin, key.record_id, policy))
    expected = expected_holdings(cluster, written)
    assert any(len(v) for v in expected.values())
    cluster.wait_for(lambda: mismatch(cluster, expected), timeout=60, what="exact placement")
    # No node ever logged a record it was sent but may not hold: the senders filtered correctly.
    for n in NETWORK:
        assert [e for e in cluster.security_events(n) if e["kind"] == "not_entitled"] == []


def test_a_node_down_while_records_are_written_catches_up_after_restart(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "rilo-ece", "de", "fr", "pl"])
    cluster.stop("fr")
    keys = [cluster.submit("de", member_seizure("de", cluster.directory, case_ref=f"D{i}")) for i in range(30)]
    cluster.wait_for(lambda: None if len(cluster.holdings("pl")) == 30 else "pl", what="pl has all")
    assert "fr" not in cluster.nodes
    cluster.restart("fr")
    cluster.wait_for(lambda: None if {("de", k.record_id) for k in keys} <= set(cluster.holdings("fr")) else "fr",
                     what="fr caught up")


def test_a_partition_between_two_rilos_heals_and_converges(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "rilo-ece", "de", "pl"])
    cluster.cut("rilo-we", "rilo-ece")
    # Each side writes records entitled to the other RILO; the only entitled path is the cut link.
    west = cluster.submit("de", member_seizure("de", cluster.directory,
                                               policy={"share": {"scope": "AREA", "nodes": ["rilo-ece"]}}))
    east = cluster.submit("pl", member_seizure("pl", cluster.directory,
                                               policy={"share": {"scope": "AREA", "nodes": ["rilo-we"]}}))
    cluster.wait_for(lambda: None if ("de", west.record_id) in cluster.holdings("rilo-we") else "we",
                     what="west side")
    cluster.wait_for(lambda: None if ("pl", east.record_id) in cluster.holdings("rilo-ece") else "ece",
                     what="east side")
    # No waiting for a leak that may not have happened yet: see every way a record crosses a link be
    # shut. The pulls across the cut have ended at both ends (and the supervisor starts none while it
    # is cut); an anti-entropy pass of each RILO runs now, not a minute from now; and neither origin
    # owes the other side's RILO a direct delivery (owed in the transaction that stored the record).
    def pulling_across():
        out = []
        for a, b in (("rilo-we", "rilo-ece"), ("rilo-ece", "rilo-we")):
            link = cluster.nodes[a].network.link(b)
            if link is None or link.state != "cut" or link.running:
                out.append(f"{a} <- {b}: {link.state if link else 'no link'}")
        return out

    cluster.wait_for(pulling_across, what="no pull across the cut")
    for rilo in ("rilo-we", "rilo-ece"):
        cluster.nodes[rilo].network.anti_entropy_all()
    for origin, key, other in (("de", west, "rilo-ece"), ("pl", east, "rilo-we")):
        owed = cluster.nodes[origin].store.reader.execute(
            "SELECT target FROM outbox WHERE origin = ? AND record_id = ?", (origin, key.record_id)).fetchall()
        assert other not in {t for (t,) in owed}, f"{origin} owes {other} a direct delivery"
    assert ("de", west.record_id) not in cluster.holdings("rilo-ece")
    assert ("pl", east.record_id) not in cluster.holdings("rilo-we")
    cluster.heal()
    cluster.wait_for(lambda: None if ("de", west.record_id) in cluster.holdings("rilo-ece") else "ece lacks west",
                     what="healed east")
    cluster.wait_for(lambda: None if ("pl", east.record_id) in cluster.holdings("rilo-we") else "we lacks east",
                     what="healed west")


def test_records_no_chain_reaches_are_delivered_directly(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "rilo-ap", "de", "kr", "jp"])
    # de -> kr: the overlay path de–rilo-we–rilo-ap–kr has no entitled relay.
    key = cluster.submit("de", member_seizure("de", cluster.directory,
                                              policy={"share": {"scope": "NAMED", "nodes": ["kr"]}}))
    cluster.wait_for(lambda: None if ("de", key.record_id) in cluster.holdings("kr") else "kr", what="kr")
    for n in ("rilo-we", "rilo-ap", "jp", "wco"):
        assert ("de", key.record_id) not in cluster.holdings(n)


# -- hostile input --------------------------------------------------------------------------

def peer_stub(cluster, as_node: str, to: str):
    """A channel to `to` with `as_node`'s own node certificate (what a compromised node could send)."""
    f = cluster.folders[as_node]
    target = Target(f"127.0.0.1:{cluster.ports[to]}", f.ca, f.path / "tls" / "node.pem", f.path / "tls" / "node.key",
                    node_dns(to))
    channel = target.channel()
    return channel, peer_pb2_grpc.PeerServiceStub(channel)


def own_record(cluster, origin: str, **kw) -> record_pb2.SignedRecord:
    key = cluster.submit(origin, member_seizure(origin, cluster.directory, **kw))
    rec = cluster.nodes[origin].store.get_record(origin, key.record_id)
    return record_pb2.SignedRecord(header=rec.header, body=rec.body or b"", annex=rec.annex or b"",
                                   signature=rec.signature, key_id=rec.key_id)


def test_a_signed_record_whose_policy_does_not_parse_is_refused_alone_and_the_batch_goes_on(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "de", "fr"])
    good = own_record(cluster, "de", policy={"share": {"scope": "NAMED", "nodes": ["fr"]}})
    de_key = SigningKey.from_pem("de", (cluster.folders["de"].path / "keys" / "signing.key").read_bytes())
    header = record_pb2.RecordHeader.FromString(good.header)
    malformed = policy_pb2.SharingPolicy()
    malformed.CopyFrom(header.policy)
    malformed.ClearField("handling")  # a received policy names every part: this one names no handling
    bad = make_record(de_key, record_id="01JQ6ZK00000000000000000EE", version=1,
                      kind=record_pb2.RECORD_KIND_SEIZURE, created_at=header.created_at, policy=malformed,
                      body=good.body)
    channel, stub = peer_stub(cluster, "rilo-we", "fr")
    with channel:
        outcomes = stub.Deliver(peer_pb2.DeliverRequest(records=[bad, good])).outcomes
    assert outcomes[0].startswith("refused: malformed policy") and "policy.handling" in outcomes[0]
    assert not outcomes[1].startswith("refused"), outcomes
    assert ("de", header.record_id) in cluster.holdings("fr")
    assert ("de", "01JQ6ZK00000000000000000EE") not in cluster.holdings("fr")
    assert any(e["kind"] == "bad_record" and "malformed policy" in e["detail"] for e in cluster.security_events("fr"))


def test_forged_altered_misattributed_and_replayed_records_are_refused_and_logged(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "de", "fr"])
    good = own_record(cluster, "de", policy={"share": {"scope": "NAMED", "nodes": ["fr"]}, "annex": {"scope": "NAMED"}},
                      annex={"offenders": [{"nationality": "FR"}]})
    fr_key = SigningKey.from_pem("fr", (cluster.folders["fr"].path / "keys" / "signing.key").read_bytes())

    forged_sig = record_pb2.SignedRecord()
    forged_sig.CopyFrom(good)
    forged_sig.signature = bytes(64)
    altered_body = record_pb2.SignedRecord()
    altered_body.CopyFrom(good)
    altered_body.body = good.body.replace(b"cocaine", b"heroin!")
    altered_annex = record_pb2.SignedRecord()
    altered_annex.CopyFrom(good)
    altered_annex.annex = good.annex + b"x"
    header = record_pb2.RecordHeader.FromString(good.header)
    header.policy.share.nodes.append("rilo-we")
    altered_policy = record_pb2.SignedRecord()
    altered_policy.CopyFrom(good)
    altered_policy.header = header.SerializeToString(deterministic=True)
    # fr signs a record that says it comes from de.
    other_key = make_record(fr_key, record_id="01JQ6ZK00000000000000000FF", version=1,
                            kind=record_pb2.RECORD_KIND_SEIZURE, created_at=header.created_at, policy=header.policy,
                            body=good.body)
    h2 = record_pb2.RecordHeader.FromString(other_key.header)
    h2.origin = "de"
    other_key.header = h2.SerializeToString(deterministic=True)
    other_key.signature = fr_key.sign(DOMAIN + other_key.header)

    bad = [forged_sig, altered_body, altered_annex, altered_policy, other_key]
    channel, stub = peer_stub(cluster, "rilo-we", "fr")
    before = cluster.holdings("fr")
    outcomes = stub.Deliver(peer_pb2.DeliverRequest(records=bad)).outcomes
    assert all(o.startswith("refused") for o in outcomes), outcomes
    assert "signed by a key of 'fr'" in outcomes[4]
    events = [e for e in cluster.security_events("fr") if e["kind"] == "bad_record"]
    assert len(events) >= 5
    assert cluster.holdings("fr") == before or set(cluster.holdings("fr")) <= set(before) | {("de", header.record_id)}
    assert ("de", "01JQ6ZK00000000000000000FF") not in cluster.holdings("fr")

    # A replayed older version after a correction is refused and logged, never resurrected.
    cluster.wait_for(lambda: None if ("de", header.record_id) in cluster.holdings("fr") else "fr", what="v1 at fr")
    with cluster.client("de") as c:
        sub = member_seizure("de", cluster.directory, policy={"share": {"scope": "NAMED", "nodes": ["fr"]}},
                             case_ref="v2")
        from rilo_node.core.seizure import parse_submission

        c.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(record_id=header.record_id,
                                                              submission=parse_submission(sub)))
    cluster.wait_for(lambda: None if cluster.holdings("fr")[("de", header.record_id)]["version"] == 2 else "v1",
                     what="v2 at fr")
    outcome = stub.Deliver(peer_pb2.DeliverRequest(records=[good])).outcomes[0]
    assert outcome == "older"
    assert cluster.holdings("fr")[("de", header.record_id)]["version"] == 2
    assert any(e["kind"] == "older_version" for e in cluster.security_events("fr"))
    channel.close()


def test_a_client_certificate_cannot_call_the_peer_services(make_cluster):
    cluster = make_cluster(["rilo-we", "de"])
    f = cluster.folders["de"]
    target = Target(f"127.0.0.1:{cluster.ports['rilo-we']}", f.ca, f.client_cert, f.client_key, node_dns("rilo-we"))
    channel = target.channel()
    stub = peer_pb2_grpc.PeerServiceStub(channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Digest(peer_pb2.DigestRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    channel.close()
    # ... and a node certificate cannot call another node's client services.
    node_cert = Target(f"127.0.0.1:{cluster.ports['rilo-we']}", f.ca, f.path / "tls" / "node.pem",
                       f.path / "tls" / "node.key", node_dns("rilo-we"))
    with NodeClient(node_cert) as c:
        with pytest.raises(grpc.RpcError) as err:
            c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_sender_that_ignores_the_policy_is_stopped_by_the_receivers(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "rilo-ece", "de", "fr", "pl"])
    secret = own_record(cluster, "de", policy={"share": {"scope": "ORIGIN"}})
    area_only = own_record(cluster, "de", policy={"share": {"scope": "AREA"}},
                           annex={"offenders": [{"nationality": "DE"}]})
    # rilo-we turns rogue and pushes everything it can lay hands on to pl and fr.
    for target in ("pl", "fr"):
        channel, stub = peer_stub(cluster, "rilo-we", target)
        outcomes = stub.Deliver(peer_pb2.DeliverRequest(records=[secret, area_only])).outcomes
        channel.close()
        if target == "pl":
            assert outcomes == ["not entitled", "not entitled"]
        else:
            assert outcomes[0] == "not entitled"
    assert ("de", record_pb2.RecordHeader.FromString(secret.header).record_id) not in cluster.holdings("pl")
    assert ("de", record_pb2.RecordHeader.FromString(area_only.header).record_id) not in cluster.holdings("pl")
    fr_events = [e["kind"] for e in cluster.security_events("fr")]
    assert "not_entitled" in fr_events and "annex_not_entitled" in fr_events
    held = cluster.holdings("fr").get(("de", record_pb2.RecordHeader.FromString(area_only.header).record_id))
    assert held is None or held["annex"] is False


# -- versions ----------------------------------------------------------------------------

def test_narrowing_a_policy_withdraws_the_record_from_every_former_holder(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "rilo-ece", "de", "fr", "pl"])
    annex = {"offenders": [{"nationality": "NL"}]}
    key = cluster.submit("de", member_seizure("de", cluster.directory, policy={"share": {"scope": "REGION"},
                                                                            "annex": {"scope": "REGION"}},
                                              annex=annex))
    rid = key.record_id
    holders = ["rilo-we", "rilo-ece", "fr", "pl"]
    cluster.wait_for(lambda: [n for n in holders if not cluster.holdings(n).get(("de", rid), {}).get("annex")],
                     what="region holds record and annex")
    from rilo_node.core.seizure import parse_submission

    narrowed = member_seizure("de", cluster.directory, policy={"share": {"scope": "AREA"}, "annex": {"scope": "ORIGIN"}},
                              annex=annex)
    with cluster.client("de") as c:
        c.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(record_id=rid, submission=parse_submission(narrowed)))

    def done():
        for n in ("rilo-we", "fr"):  # still entitled, no longer to the annex
            h = cluster.holdings(n).get(("de", rid))
            if not h or h["version"] != 2 or h["annex"]:
                return f"{n}: {h}"
        for n in ("rilo-ece", "pl"):  # no longer entitled: a tombstone, no body, no annex
            h = cluster.holdings(n).get(("de", rid))
            if not h or not h["withdrawn"] or h["body"] or h["annex"]:
                return f"{n}: {h}"
        return None

    cluster.wait_for(done, what="withdrawal")
    # Searching at a former holder no longer finds it.
    with cluster.client("pl") as c:
        assert not c.search.Search(node_pb2.SearchRequest()).hits


def test_a_retraction_reaches_every_holder(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "rilo-ece", "rilo-ap", "de", "pl", "kr"])
    key = cluster.submit("de", member_seizure("de", cluster.directory, policy={"tlp": "GREEN"}))
    everyone = cluster.ids
    cluster.wait_for(lambda: [n for n in everyone if ("de", key.record_id) not in cluster.holdings(n)],
                     what="global spread")
    with cluster.client("de") as c:
        c.records.RetractRecord(node_pb2.RetractRecordRequest(record_id=key.record_id))
    cluster.wait_for(lambda: [n for n in everyone if not cluster.holdings(n)[("de", key.record_id)]["retracted"]],
                     what="retraction everywhere")
    for n in everyone:
        assert not cluster.holdings(n)[("de", key.record_id)]["body"]


def test_anti_entropy_repairs_a_gap_the_feed_left(make_cluster):
    cluster = make_cluster(["rilo-we", "de", "fr"])
    key = cluster.submit("de", member_seizure("de", cluster.directory, policy={"share": {"scope": "AREA"}}))
    cluster.wait_for(lambda: None if ("de", key.record_id) in cluster.holdings("fr") else "fr", what="fr")
    # Lose the record at fr behind replication's back (as a lost message would).
    fr = cluster.nodes["fr"]
    def lose(c):
        c.execute("DELETE FROM records WHERE record_id = ?", (key.record_id,))
        c.execute("DELETE FROM seizures WHERE record_id = ?", (key.record_id,))
        c.execute("DELETE FROM seizure_items WHERE record_id = ?", (key.record_id,))

    fr.store.write(lose)
    assert fr.network.anti_entropy("rilo-we") == 1
    assert ("de", key.record_id) in cluster.holdings("fr")


def test_status_shows_each_peer_and_how_far_behind(make_cluster):
    cluster = make_cluster(["wco", "rilo-we", "de"])
    cluster.wait_for(lambda: [p.peer for p in cluster.nodes["rilo-we"].network.states() if p.state != "connected"],
                     what="links up")
    with cluster.client("rilo-we") as c:
        status = c.admin.GetStatus(node_pb2.GetStatusRequest())
    assert {p.peer: p.state for p in status.peers} == {"wco": "connected", "de": "connected"}


def test_the_periodic_anti_entropy_pass_asks_only_peers_where_something_may_have_changed(make_cluster):
    """anti_entropy_due (the minutely job) compares with a peer only when its digest for the pair, the peer's
    head, the trusted keys or the entitlements moved since they last compared equal; anti_entropy_all, with
    every peer (docs/protocol.md#anti-entropy). The node's own job may run meanwhile: its comparisons are
    seen too (the same method), and it skips what the test's calls skip."""
    cluster = make_cluster(["rilo-we", "de", "fr"])
    fr = cluster.nodes["fr"]
    cluster.wait_for(lambda: [p for p in fr.network.peers() if fr.network.link(p) is None
                              or fr.network.link(p).state != "connected"], what="fr's links up")
    asked: list[str] = []
    compare = fr.network.anti_entropy
    fr.network.anti_entropy = lambda peer: (asked.append(peer), compare(peer))[1]

    def settled() -> str | None:
        """None once a pass asks no one: nothing moved since the last equal comparison."""
        before = len(asked)
        fr.network.anti_entropy_due()
        return None if len(asked) == before else "asked again"

    fr.network.anti_entropy_due()
    assert set(asked) == {"rilo-we"}  # fr's one peer, never compared before
    cluster.wait_for(settled, what="a pass with no call")
    asked.clear()
    key = cluster.submit("de", member_seizure("de", cluster.directory, policy={"share": {"scope": "AREA"}}))
    cluster.wait_for(lambda: None if ("de", key.record_id) in cluster.holdings("fr") else "fr", what="fr")
    fr.network.anti_entropy_due()
    assert set(asked) == {"rilo-we"}  # fr's digest for the pair moved: it holds one more record
    cluster.wait_for(settled, what="a pass with no call")
    asked.clear()
    fr.network.r.keyring.add("de", bytes(range(1, 33)))  # a key fr lacked: a refused record may now pass
    fr.network.anti_entropy_due()
    assert set(asked) == {"rilo-we"}
    cluster.wait_for(settled, what="a pass with no call")
    asked.clear()
    fr.network.anti_entropy_all()
    assert set(asked) == {"rilo-we"}


def test_a_live_feed_with_nothing_to_send_outlasts_the_idle_stream_time(make_cluster):
    """A feed waiting for records is the serving node's time, not its reader's (api/callers.py IdleStreams):
    it stays open past limits.idle_stream_seconds with no message, while a client stream at the same node
    that sends nothing is cancelled, the witness that the watch has looked past that time."""
    import threading

    from tests.cluster.test_caller_shares import idle_stream

    cluster = make_cluster(["rilo-we", "de"])
    we = cluster.nodes["rilo-we"].network
    cluster.wait_for(lambda: None if we.link("de") is not None and we.link("de").state == "connected" else "not yet",
                     what="rilo-we's pull from de")
    link = we.link("de")
    call, failures = link.call, link.failures
    cluster.nodes["de"].callers.idle.idle = 1.0  # limits.idle_stream_seconds is at least 20 in a config
    release, opened = threading.Event(), threading.Semaphore(0)
    try:
        with cluster.client("de") as c:
            witness = c.records.SubmitSeizures.future(idle_stream(release, opened), timeout=120)
            with pytest.raises(grpc.RpcError) as err:
                witness.result(timeout=60)
            assert err.value.code() == grpc.StatusCode.CANCELLED
    finally:
        release.set()
    # The feed's last message (its start's answer) came before the witness opened; it is open still.
    assert (link.call, link.failures, link.state) == (call, failures, "connected")
