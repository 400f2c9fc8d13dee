"""Operations over real gRPC and TLS (docs/protocol.md#operations): the group's records and messages reach
its members and no one else; membership over time (add, remove, close), with a member offline during a
change; the OperationService refuses non-members without telling whether the operation exists."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from rilo_node.core.convert import policy_from_pb
from rilo_node.core.operations import groups_of
from rilo_node.core.policy import hold_set
from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import node_pb2, operation_pb2, record_pb2
from tests.cluster.harness import member_seizure

IDS = ["wco", "rilo-we", "rilo-ece", "de", "fr", "nl", "pl", "interpol"]
OWNER = "rilo-we"
GROUP_KINDS = (record_pb2.RECORD_KIND_SEIZURE, record_pb2.RECORD_KIND_MESSAGE)


def group_seizure(node, directory, op_id, **extra):
    return {**member_seizure(node, directory, description=f"group seizure by {node}", **extra),
            "policy": {"share": {"scope": "GROUP", "group": op_id}}}


def group_keys(c, op_id):
    """Every record of the group the owner holds (it holds them all), with its signed header."""
    out = {}
    for rec in c.nodes[OWNER].store.iter_records():
        h = record_pb2.RecordHeader.FromString(rec.header)
        if h.policy.share.group == op_id:
            out[(rec.origin, rec.record_id)] = h
    return out


def mismatches(c, op_id, ids, count):
    """Where a node's live holdings of the group's records differ from the rule, evaluated with the
    owner's (newest) operation record as the membership, once the owner holds all `count` of them."""
    op = c.nodes[OWNER].operations.get(op_id)
    groups = groups_of([op])
    problems = []
    keys = group_keys(c, op_id)
    if len(keys) != count:
        return [f"the owner holds {len(keys)} of the {count} group records"]
    for node in ids:
        held = {k for k, v in c.holdings(node).items() if not v["withdrawn"] and v["body"]}
        for key, h in keys.items():
            entitled = node in hold_set(policy_from_pb(h.policy), h.origin, c.directory, groups)
            if entitled != (key in held):
                problems.append(f"{node} {'lacks' if entitled else 'holds'} {key}")
    return problems


def op_version(c, node, op_id):
    h = c.holdings(node).get((OWNER, op_id))
    return None if h is None or h["withdrawn"] else h["version"]


@pytest.fixture
def net(make_cluster):
    return make_cluster(IDS)


def test_an_operation_over_its_life(net):
    c = net
    members = ["de", "fr", "pl", "interpol"]
    with c.client(OWNER) as owner:
        info = owner.operations.CreateOperation(operation_pb2.CreateOperationRequest(
            name="Tide", purpose="cocaine in reefers", members=members, operation_id="op-tide",
            ends="2099-01-01")).operation
    assert info.version == 1 and set(info.operation.members) == {OWNER, *members}
    c.wait_for(lambda: [n for n in members if op_version(c, n, "op-tide") != 1], what="members hold the operation")
    # Only its members hold it; no one else can discover it.
    assert all(op_version(c, n, "op-tide") is None for n in ("wco", "rilo-ece", "nl"))

    # Seizure reports shared to the group reach its members alone (pl and interpol by direct delivery).
    keys = [c.submit(n, group_seizure(n, c.directory, "op-tide")) for n in ("de", "pl")]
    # A member cites only what it holds: the partner posts once de's report has reached it.
    c.wait_for(lambda: None if (keys[0].origin, keys[0].record_id) in c.holdings("interpol") else "not yet",
               what="interpol holds de's report")
    with c.client("interpol") as partner:
        posted = partner.operations.PostMessage(operation_pb2.PostMessageRequest(
            operation_id="op-tide", text="container MSCU1234565 on its way to Rotterdam",
            refs=[f"{keys[0].origin}/{keys[0].record_id}"])).message
    assert posted.origin == "interpol"
    c.wait_for(lambda: mismatches(c, "op-tide", IDS, 3), what="group records held as the rule says")
    assert all(k not in c.holdings(n) for n in ("wco", "rilo-ece", "nl") for k in [(x.origin, x.record_id)
                                                                                  for x in keys])

    # A non-member may not share to the group; nothing is stored.
    before = len(c.holdings("nl"))
    with c.client("nl") as nl, pytest.raises(grpc.RpcError) as err:
        nl.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(
            submission=parse_submission(group_seizure("nl", c.directory, "op-tide"))))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "op-tide" in err.value.details()
    assert len(c.holdings("nl")) == before

    # A non-member is refused without being told whether the operation exists.
    with c.client("nl") as nl:
        answers = []
        for op_id in ("op-tide", "op-nothing"):
            with pytest.raises(grpc.RpcError) as err:
                nl.operations.GetOperation(operation_pb2.GetOperationRequest(operation_id=op_id))
            answers.append((err.value.code(), err.value.details().replace(op_id, "X")))
        assert answers[0] == answers[1] and answers[0][0] == grpc.StatusCode.NOT_FOUND
    # Owner-only calls from a member are refused, and change nothing.
    with c.client("de") as de, pytest.raises(grpc.RpcError) as err:
        de.operations.CloseOperation(operation_pb2.CloseOperationRequest(operation_id="op-tide"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Bad input: unknown member ids, a message over 4,000 characters, `ends` in the past.
    with c.client(OWNER) as owner:
        for call, req, field in [
            (owner.operations.ChangeOperation, operation_pb2.ChangeOperationRequest(operation_id="op-tide", add=["zz"]),
             "add[0]"),
            (owner.operations.PostMessage, operation_pb2.PostMessageRequest(operation_id="op-tide", text="x" * 4001),
             "text"),
            (owner.operations.ChangeOperation, operation_pb2.ChangeOperationRequest(operation_id="op-tide",
                                                                                   ends="2020-01-01"), "ends"),
        ]:
            with pytest.raises(grpc.RpcError) as err:
                call(req)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field in err.value.details()
    assert op_version(c, OWNER, "op-tide") == 1

    # A member added later receives everything shared to the group so far.
    with c.client(OWNER) as owner:
        owner.operations.ChangeOperation(operation_pb2.ChangeOperationRequest(operation_id="op-tide", add=["nl"]))
    c.wait_for(lambda: mismatches(c, "op-tide", IDS, 3), what="nl holds the group's records")
    with c.client("nl") as nl:
        msgs = nl.operations.ListMessages(operation_pb2.ListMessagesRequest(operation_id="op-tide")).messages
    assert [m.text for m in msgs] == ["container MSCU1234565 on its way to Rotterdam"]

    # A member removed while it is offline gets the withdrawals when it comes back; it keeps its own.
    own_fr = c.submit("fr", group_seizure("fr", c.directory, "op-tide"))
    c.wait_for(lambda: mismatches(c, "op-tide", IDS, 4), what="fr's record reaches the group")
    c.stop("fr")
    with c.client(OWNER) as owner:
        owner.operations.ChangeOperation(operation_pb2.ChangeOperationRequest(operation_id="op-tide", remove=["fr"]))
    c.submit("de", group_seizure("de", c.directory, "op-tide", case_ref="after-fr"))
    c.restart("fr")
    c.wait_for(lambda: mismatches(c, "op-tide", IDS, 5), timeout=90, what="fr withdrew the group's records")
    fr_holds = c.holdings("fr")
    assert fr_holds[(own_fr.origin, own_fr.record_id)]["body"]
    assert all(v["withdrawn"] for (o, _r), v in fr_holds.items() if o != "fr" and v["kind"] in GROUP_KINDS)
    with c.client("fr") as fr, pytest.raises(grpc.RpcError) as err:
        fr.operations.GetOperation(operation_pb2.GetOperationRequest(operation_id="op-tide"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND

    # Added again, it gets back what it withdrew when it left, and what was shared meanwhile.
    with c.client(OWNER) as owner:
        owner.operations.ChangeOperation(operation_pb2.ChangeOperationRequest(operation_id="op-tide", add=["fr"]))
    c.wait_for(lambda: mismatches(c, "op-tide", IDS, 5), timeout=90, what="fr, added again, holds the group's records")
    fr_holds = c.holdings("fr")
    assert all(fr_holds[k]["body"] and not fr_holds[k]["withdrawn"] for k in group_keys(c, "op-tide"))
    with c.client("fr") as fr:
        msgs = fr.operations.ListMessages(operation_pb2.ListMessagesRequest(operation_id="op-tide")).messages
    assert [m.text for m in msgs] == ["container MSCU1234565 on its way to Rotterdam"]

    # The close: every member withdraws every group record but its own; the owner keeps the archive.
    c.stop("pl")  # offline during the close
    with c.client(OWNER) as owner:
        closed = owner.operations.CloseOperation(operation_pb2.CloseOperationRequest(operation_id="op-tide")).operation
    assert closed.operation.status == operation_pb2.OPERATION_STATUS_CLOSED
    # Nothing more is shared to a closed operation, by its owner neither; and an operation is closed, not
    # retracted. Both refusals store nothing.
    before = len(c.holdings(OWNER))
    with c.client(OWNER) as owner:
        with pytest.raises(grpc.RpcError) as err:
            owner.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(
                submission=parse_submission(group_seizure("de", c.directory, "op-tide", country="BE"))))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "closed" in err.value.details()
        with pytest.raises(grpc.RpcError) as err:
            owner.records.RetractRecord(node_pb2.RetractRecordRequest(record_id="op-tide"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "op close" in err.value.details()
    assert len(c.holdings(OWNER)) == before and op_version(c, OWNER, "op-tide") == 5
    c.restart("pl")
    c.wait_for(lambda: mismatches(c, "op-tide", IDS, 5), timeout=90, what="the close applied everywhere")
    owner_live = [k for k, v in c.holdings(OWNER).items() if v["kind"] in GROUP_KINDS and not v["withdrawn"]]
    assert len(owner_live) == len(group_keys(c, "op-tide"))
    for node in ("de", "nl", "interpol", "pl"):
        live = [k for k, v in c.holdings(node).items()
                if v["kind"] in GROUP_KINDS and not v["withdrawn"] and k in group_keys(c, "op-tide")]
        assert all(o == node for o, _r in live), (node, live)
        with c.client(node) as n, pytest.raises(grpc.RpcError) as err:
            n.operations.ListMessages(operation_pb2.ListMessagesRequest(operation_id="op-tide"))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with c.client(OWNER) as owner:
        report = owner.operations.OperationReport(operation_pb2.OperationReportRequest(operation_id="op-tide"))
    per = {m.node: (m.records, m.messages) for m in report.members}
    assert per["de"] == (2, 0) and per["interpol"] == (0, 1) and per["fr"] == (1, 0) and per["pl"] == (1, 0)
    assert [(s.section, s.category, s.count) for s in report.seizures] == [("DRUGS", "COCAINE", 4)]


def test_watch_shows_a_message_from_any_member_as_soon_as_it_is_stored(net):
    c = net
    with c.client(OWNER) as owner:
        owner.operations.CreateOperation(operation_pb2.CreateOperationRequest(
            name="Watch", members=["de", "interpol"], operation_id="op-watch"))
    c.wait_for(lambda: [n for n in ("de", "interpol") if op_version(c, n, "op-watch") != 1], what="members hold it")
    seen: list = []
    started = threading.Event()
    with c.client("de") as de:
        stream = de.operations.WatchMessages(operation_pb2.WatchMessagesRequest(operation_id="op-watch"))

        def read():
            started.set()
            try:
                for m in stream:
                    seen.append((m.message, time.monotonic()))
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.CANCELLED

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        started.wait(5)
        with c.client("interpol") as partner:
            partner.operations.PostMessage(operation_pb2.PostMessageRequest(operation_id="op-watch", text="hello"))
        with c.client(OWNER) as owner2:
            owner2.operations.PostMessage(operation_pb2.PostMessageRequest(operation_id="op-watch", text="again"))
        c.wait_for(lambda: None if len(seen) >= 2 else f"{len(seen)} seen", what="both messages streamed")
        stream.cancel()
        reader.join(5)
    assert sorted((m.origin, m.text) for m, _t in seen) == [("interpol", "hello"), ("rilo-we", "again")]


def test_past_its_end_the_owners_node_closes_the_operation(make_cluster):
    """The owner's node's check (operations-close, on its ticker), with the network's clock moved on."""
    from rilo_node.node.clock import ShiftedClock

    clock = ShiftedClock()
    c = make_cluster(["wco", "rilo-we", "de", "interpol"], clock=clock)
    assert "operations-close" in c.nodes[OWNER].jobs.ticks
    with c.client(OWNER) as owner:
        owner.operations.CreateOperation(operation_pb2.CreateOperationRequest(
            name="Short", members=["de", "interpol"], operation_id="op-short", ends="2099-01-01"))
    # de may share to the group once it holds the operation record (before, it is refused: not a member).
    c.wait_for(lambda: [n for n in ("de", "interpol") if op_version(c, n, "op-short") != 1],
               what="the members hold the operation")
    key = c.submit("de", group_seizure("de", c.directory, "op-short"))
    c.wait_for(lambda: None if (key.origin, key.record_id) in c.holdings("interpol") else "not yet",
               what="interpol holds de's group seizure")
    assert c.nodes[OWNER].operations.get("op-short").status == operation_pb2.OPERATION_STATUS_OPEN
    clock.advance(80 * 365 * 86400)  # past 2099-01-01
    c.wait_for(lambda: None if c.nodes[OWNER].operations.get("op-short").status == operation_pb2.OPERATION_STATUS_CLOSED
               else "still open", what="the owner's node closed it")
    c.wait_for(lambda: None if c.holdings("interpol")[(key.origin, key.record_id)]["withdrawn"] else "still held",
               what="interpol withdrew the group's records")
    assert c.holdings(OWNER)[(key.origin, key.record_id)]["body"]  # the archive
    assert c.holdings("de")[(key.origin, key.record_id)]["body"]  # its own


def test_a_group_record_from_a_non_member_is_refused_on_receipt(make_cluster):
    """Signed by nl with nl's own key, verified, and refused: nl is not in the operation de holds."""
    from rilo_node.core.signing import make_record
    from rilo_node.pb.rilo.v1 import policy_pb2

    c = make_cluster(["wco", "rilo-we", "de", "nl"])
    with c.client(OWNER) as owner:
        owner.operations.CreateOperation(operation_pb2.CreateOperationRequest(
            name="Closed", members=["de"], operation_id="op-closed"))
    c.wait_for(lambda: None if op_version(c, "de", "op-closed") == 1 else "not yet", what="de holds it")
    policy = policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GROUP, group="op-closed"),
        discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GROUP, group="op-closed"),
        annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN), handling=policy_pb2.HANDLING_H0)
    body = parse_submission(member_seizure("nl", c.directory)).seizure.SerializeToString(deterministic=True)
    rec = make_record(c.folders["nl"].signing_key, record_id="01JQ6ZK0000000000000000077", version=1,
                      kind=record_pb2.RECORD_KIND_SEIZURE, created_at="2026-05-01T00:00:00.000000Z",
                      policy=policy, body=body)
    outcome = c.nodes["de"].replicator.receive([rec], peer="rilo-we", via="deliver")
    assert outcome[0].startswith("refused") and "not a member" in outcome[0]
    assert ("nl", "01JQ6ZK0000000000000000077") not in c.holdings("de")
    assert any(e["kind"] == "bad_record" for e in c.security_events("de"))
