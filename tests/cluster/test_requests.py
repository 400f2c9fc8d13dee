"""Requests between administrations, RILO validation and the scheduled jobs, across real nodes."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from rilo_node.api.errors import FIELD_METADATA_KEY
from rilo_node.node.clock import ShiftedClock
from rilo_node.pb.rilo.v1 import node_pb2, record_pb2, request_pb2
from tests.cluster.harness import member_seizure

# Two regions: EUR (de, fr under rilo-we; pl under rilo-ece) and AP (jp, kr under rilo-ap).
NETWORK = ["wco", "rilo-we", "rilo-ece", "rilo-ap", "de", "fr", "pl", "jp", "kr"]
EUR = {"rilo-we", "rilo-ece", "de", "fr", "pl"}

REQUEST = record_pb2.RECORD_KIND_REQUEST
RESPONSE = record_pb2.RECORD_KIND_RESPONSE
CLOSURE = record_pb2.RECORD_KIND_CLOSURE
NOTICE = record_pb2.RECORD_KIND_NOTICE
ENDORSEMENT = record_pb2.RECORD_KIND_ENDORSEMENT


def key(origin: str, record_id: str, version: int = 0) -> record_pb2.RecordKey:
    return record_pb2.RecordKey(origin=origin, record_id=record_id, version=version)


def a_request(addressee: str, *, due_in_days: int = 30, via: str = "", records=(), **extra) -> request_pb2.AssistanceRequest:
    due = (dt.date.today() + dt.timedelta(days=due_in_days)).isoformat()
    msg = request_pb2.AssistanceRequest(
        addressee=addressee, via_rilo=via, legal_basis="Nairobi Convention, Annex X",
        assistance=request_pb2.ASSISTANCE_TYPE_VERIFICATION, subject="Consignor of container MSCU 123456-7",
        facts="Cocaine found in a reefer container at Hamburg; the consignor is registered in Yokohama.",
        urgency=request_pb2.URGENCY_URGENT, due_date=due, records=list(records), contact="duty officer, ZKA",
    )
    for name, value in extra.items():
        setattr(msg, name, value)
    return msg


def create(cluster, node: str, msg: request_pb2.AssistanceRequest) -> record_pb2.RecordKey:
    with cluster.client(node) as c:
        return c.requests.CreateRequest(request_pb2.CreateRequestRequest(request=msg)).key


def summary(cluster, node: str, req: record_pb2.RecordKey) -> request_pb2.RequestSummary:
    with cluster.client(node) as c:
        return c.requests.GetRequest(request_pb2.GetRequestRequest(request=key(req.origin, req.record_id))).summary


def status_name(s: request_pb2.RequestSummary) -> str:
    return request_pb2.RequestStatus.Name(s.status).removeprefix("REQUEST_STATUS_")


def holders(cluster, origin: str, record_id: str) -> set[str]:
    return {n for n in cluster.nodes if (origin, record_id) in cluster.holdings(n)}


def settle(cluster) -> None:
    """Repair anything a live feed left out, so that a check of who holds what is final."""
    for node in cluster.nodes.values():
        node.network.deliver_due()
    for node in cluster.nodes.values():
        node.network.anti_entropy_all()


def refused(call, field: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    err = info.value
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    trailers = dict(err.trailing_metadata() or ())
    assert trailers.get(FIELD_METADATA_KEY) == field, (trailers, err.details())
    return err


@pytest.fixture
def net(make_cluster):
    return make_cluster(NETWORK)


def test_request_lifecycle_across_regions_routed_through_the_rilo(net):
    req = create(net, "de", a_request("jp", via="rilo-we"))
    parties = {"de", "jp", "rilo-we"}
    net.wait_for(lambda: parties - holders(net, "de", req.record_id), what="request reaches its parties")
    assert status_name(summary(net, "jp", req)) == "SENT"

    with net.client("jp") as c:
        ack = c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ACKNOWLEDGED,
            text="Received; enquiries opened at Yokohama.")).key
        net.wait_for(lambda: parties - holders(net, "jp", ack.record_id), what="acknowledgement reaches the parties")
        assert status_name(summary(net, "de", req)) == "ACKNOWLEDGED"
        answer = c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED,
            text="The consignor is a shell company; directors identified.")).key
    net.wait_for(lambda: status_name(summary(net, "de", req)) != "ANSWERED" and "not yet", what="answer at de")
    net.wait_for(lambda: status_name(summary(net, "rilo-we", req)) != "ANSWERED" and "not yet", what="answer at RILO")

    with net.client("de") as c:
        closure = c.requests.CloseRequest(request_pb2.CloseRequestRequest(
            request=key("de", req.record_id), text="Thank you; case forwarded to the prosecutor.")).key
        inbox = c.requests.ListRequests(request_pb2.ListRequestsRequest(box=request_pb2.REQUEST_BOX_OUTBOX)).requests
        assert [s.key.record_id for s in inbox] == [req.record_id]
    net.wait_for(lambda: status_name(summary(net, "jp", req)) != "CLOSED" and "not yet", what="closure at jp")

    with net.client("jp") as c:
        full = c.requests.GetRequest(request_pb2.GetRequestRequest(request=key("", req.record_id)))
        assert full.request.subject.startswith("Consignor")
        assert [e.kind for e in full.events] == [RESPONSE, RESPONSE, CLOSURE]
        assert all(e.counts for e in full.events)
        inbox = c.requests.ListRequests(request_pb2.ListRequestsRequest(box=request_pb2.REQUEST_BOX_INBOX)).requests
        assert [s.key.record_id for s in inbox] == [req.record_id] and inbox[0].responses == 2
        # Closed: no more responses.
        with pytest.raises(grpc.RpcError) as info:
            c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
                request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED, text="more"))
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    # Visibility: no node outside requester, addressee and RILO ever held any of the four records.
    settle(net)
    for origin, record_id in [("de", req.record_id), ("jp", ack.record_id), ("jp", answer.record_id),
                              ("de", closure.record_id)]:
        assert holders(net, origin, record_id) == parties, (origin, record_id)


def test_only_the_addressee_responds_and_only_the_requester_closes(net):
    req = create(net, "de", a_request("jp", via="rilo-we"))
    net.wait_for(lambda: {"jp", "rilo-we"} - holders(net, "de", req.record_id), what="request delivered")
    with net.client("rilo-we") as c:
        with pytest.raises(grpc.RpcError) as info:
            c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
                request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED, text="not mine"))
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with net.client("jp") as c:
        with pytest.raises(grpc.RpcError) as info:
            c.requests.CloseRequest(request_pb2.CloseRequestRequest(request=key("de", req.record_id)))
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        refused(lambda: c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_REFUSED)), "reason")
        c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_POSTPONED,
            reason="an investigation of our own is under way"))
    net.wait_for(lambda: status_name(summary(net, "de", req)) != "POSTPONED" and "not yet", what="postponed at de")


def test_invalid_requests_are_refused_naming_the_field(net):
    with net.client("de") as c:
        def send(msg):
            return lambda: c.requests.CreateRequest(request_pb2.CreateRequestRequest(request=msg))

        refused(send(a_request("zz")), "request.addressee")
        refused(send(a_request("jp", due_in_days=-1)), "request.due_date")
        refused(send(a_request("jp", urgency=99)), "request.urgency")
        refused(send(a_request("jp", assistance=0)), "request.assistance")
        refused(send(a_request("jp", via="rilo-ap")), "request.via_rilo")
        refused(send(a_request("jp", legal_basis="")), "request.legal_basis")
        refused(send(a_request("jp", due_date="2026-02-30")), "request.due_date")
        refused(send(a_request("jp", records=[key("zz", "01J0000000000000000000000")])), "request.records[0].origin")
    assert not any(r.kind == REQUEST for r in net.nodes["de"].store.iter_records())


def test_hit_then_request_then_release(net):
    seizure = member_seizure("de", net.directory, policy={"share": {"scope": "REGION"},
                                                          "discover": {"scope": "GLOBAL"},
                                                          "annex": {"scope": "ORIGIN"}},
                             annex={"notes": "driver: NL national, born 1980"})
    sk = net.submit("de", seizure)
    # jp sees a notice: it may discover the record, not hold it.
    with net.client("jp") as c:
        resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL,
                                                      filter=node_pb2.SearchFilter(origin="de")))
    hit = [h for h in resp.hits if h.record_id == sk.record_id][0]
    assert not hit.held

    req = create(net, "jp", a_request("de", records=[key("de", sk.record_id)], subject="Details of the DE seizure"))
    net.wait_for(lambda: {"de"} - holders(net, "jp", req.record_id), what="request at de")
    with net.client("de") as c:
        out = c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("jp", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED,
            text="Released with the annex.", release=True, release_annex=True))
    assert [(k.origin, k.record_id, k.version) for k in out.released] == [("de", sk.record_id, 2)]

    def jp_holds_release():
        held = net.holdings("jp").get(("de", sk.record_id))
        return None if held and held["version"] == 2 and held["annex"] else f"jp holds {held}"

    net.wait_for(jp_holds_release, what="released record with annex at jp")
    net.wait_for(lambda: status_name(summary(net, "jp", req)) != "ANSWERED" and "not yet", what="answer at jp")
    # The release is in the audit on both sides.
    de_audit = [e for e in net.nodes["de"].store.audit_entries(limit=1000) if e["action"] == "release"]
    assert de_audit and de_audit[0]["keys"] == [["de", sk.record_id, 2]] and de_audit[0]["detail"]["to"] == "jp"
    net.wait_for(lambda: not [e for e in net.nodes["jp"].store.audit_entries(limit=1000)
                              if e["action"] == "released_to_me"] and "no entry", what="audit at jp")
    # Nobody else gained the record: kr (AP) still holds nothing of it.
    settle(net)
    assert ("de", sk.record_id) not in net.holdings("kr")
    assert net.holdings("fr")[("de", sk.record_id)]["annex"] is False


def test_release_needs_a_concerned_own_record(net):
    req = create(net, "jp", a_request("de"))
    net.wait_for(lambda: {"de"} - holders(net, "jp", req.record_id), what="request at de")
    with net.client("de") as c:
        refused(lambda: c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("jp", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED, release=True)), "release")


def test_validation_gates_records_beyond_the_region(make_cluster):
    net = make_cluster(NETWORK, settings={"de": {"validation": {"required": True}}})
    sk = net.submit("de", member_seizure("de", net.directory, policy={"share": {"scope": "GLOBAL"}}))
    inside = EUR | {"de"}
    net.wait_for(lambda: inside - holders(net, "de", sk.record_id), what="seizure inside EUR")
    settle(net)
    assert holders(net, "de", sk.record_id) == inside  # not jp, kr, rilo-ap or wco

    # Only de's RILO validates; a member cannot, nor another RILO.
    with net.client("fr") as c:
        with pytest.raises(grpc.RpcError) as info:
            c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
                origin="de", record_id=sk.record_id, verdict=request_pb2.ENDORSEMENT_VERDICT_ENDORSED))
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with net.client("rilo-ece") as c:
        refused(lambda: c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
            origin="de", record_id=sk.record_id, verdict=request_pb2.ENDORSEMENT_VERDICT_ENDORSED)), "origin")

    with net.client("rilo-we") as c:
        pending = c.validation.ListValidations(request_pb2.ListValidationsRequest(pending_only=True)).seizures
        assert [p.seizure.record_id for p in pending] == [sk.record_id]
        refused(lambda: c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
            origin="de", record_id=sk.record_id, verdict=request_pb2.ENDORSEMENT_VERDICT_RETURNED)), "comments")
        returned = c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
            origin="de", record_id=sk.record_id, verdict=request_pb2.ENDORSEMENT_VERDICT_RETURNED,
            comments="The quantity is in grams, not kilograms?")).key

    def de_state():
        with net.client("de") as c:
            rows = c.validation.ListValidations(request_pb2.ListValidationsRequest()).seizures
        return {r.seizure.record_id: (request_pb2.ValidationState.Name(r.state), r.held_in_region) for r in rows}

    net.wait_for(lambda: de_state().get(sk.record_id) != ("VALIDATION_STATE_RETURNED", True) and de_state(),
                 what="returned at de")
    assert holders(net, "rilo-we", returned.record_id) == {"rilo-we", "de"}  # a return is between the two

    # The member corrects; the RILO validates the corrected version; it spreads.
    corrected = member_seizure("de", net.directory, policy={"share": {"scope": "GLOBAL"}},
                               items=[{"section": "DRUGS", "category": "COCAINE", "quantity": 2500, "unit": "G"}])
    with net.client("de") as c:
        from rilo_node.core.seizure import parse_submission

        v2 = c.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(record_id=sk.record_id,
                                                                   submission=parse_submission(corrected))).key
    assert v2.version == 2
    net.wait_for(lambda: net.holdings("rilo-we").get(("de", sk.record_id), {}).get("version") != 2 and "old",
                 what="correction at rilo-we")
    settle(net)
    assert holders(net, "de", sk.record_id) == inside
    with net.client("rilo-we") as c:
        endorsed = c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
            origin="de", record_id=sk.record_id, verdict=request_pb2.ENDORSEMENT_VERDICT_ENDORSED))
    assert endorsed.seizure.version == 2 and endorsed.key.record_id == returned.record_id
    everyone = set(NETWORK)
    net.wait_for(lambda: everyone - holders(net, "de", sk.record_id), what="validated seizure everywhere")
    assert net.holdings("jp")[("de", sk.record_id)]["version"] == 3
    # The endorsement follows the seizure to its new holders.
    net.wait_for(lambda: everyone - holders(net, "rilo-we", returned.record_id), what="endorsement everywhere")
    assert de_state()[sk.record_id] == ("VALIDATION_STATE_ENDORSED", False)
    publish = [e for e in net.nodes["de"].store.audit_entries(limit=1000) if e["action"] == "publish"]
    assert publish and publish[0]["keys"] == [["de", sk.record_id, 3]]


def test_a_forged_endorsement_is_refused(net):
    """A RILO that is not the member's own cannot validate its seizures, even by signing a record."""
    from rilo_node.core.signing import sha256
    from rilo_node.node.requests import named_policy

    sk = net.submit("de", member_seizure("de", net.directory, policy={"share": {"scope": "GLOBAL"}}))
    net.wait_for(lambda: {"rilo-ap"} - holders(net, "de", sk.record_id), what="seizure at rilo-ap")
    book = net.nodes["rilo-ap"].book
    body = request_pb2.Endorsement(seizure=key("de", sk.record_id, 1), body_sha256=sha256(b"x"),
                                   verdict=request_pb2.ENDORSEMENT_VERDICT_ENDORSED)
    rec = book.sign(kind=ENDORSEMENT, policy=named_policy(["rilo-ap", "rilo-we", "de"]),
                    body=body.SerializeToString(deterministic=True))
    outcome = net.nodes["rilo-we"].replicator.receive([rec], peer="rilo-ap", via="test")
    assert outcome[0].startswith("refused") and "not the RILO of de" in outcome[0]


def test_reminder_then_overdue_notice_with_a_moved_clock(make_cluster):
    clock = ShiftedClock()
    net = make_cluster(NETWORK, clock=clock)
    de = net.nodes["de"]
    # The test runs de's deadline step itself: the scheduled run (every 60 s of real time) would
    # otherwise race it for each reminder once the test has taken a minute.
    de.jobs.scheduler.pause_job("request-deadlines")
    req = create(net, "de", a_request("jp", due_in_days=10))  # direct: rilo-we is not a party
    net.wait_for(lambda: {"jp"} - holders(net, "de", req.record_id), what="request at jp")
    assert de.run_deadlines() == 0

    clock.advance(8 * 86400)  # due in 2 days: within the 3-day reminder window
    assert de.run_deadlines() == 1
    assert de.run_deadlines() == 0  # once only
    notices = lambda node: [r for r in net.nodes[node].store.iter_records() if r.kind == NOTICE]  # noqa: E731
    net.wait_for(lambda: not notices("jp") and "no notice", what="reminder at jp")
    reminder = request_pb2.RequestNotice.FromString(notices("jp")[0].body)
    assert reminder.type == request_pb2.NOTICE_TYPE_REMINDER and reminder.request.record_id == req.record_id
    assert not notices("rilo-we")

    clock.advance(3 * 86400)  # one day past due
    with net.client("de") as c:
        overdue = c.requests.ListRequests(request_pb2.ListRequestsRequest(overdue_only=True)).requests
    assert [s.key.record_id for s in overdue] == [req.record_id]
    assert de.run_deadlines() == 1
    net.wait_for(lambda: not notices("rilo-we") and "no notice", what="overdue notice at rilo-we")
    escalation = request_pb2.RequestNotice.FromString(notices("rilo-we")[0].body)
    assert escalation.type == request_pb2.NOTICE_TYPE_OVERDUE and escalation.addressee == "jp"
    settle(net)
    # The RILO heard of the overdue request, but does not hold the request itself.
    assert holders(net, "de", req.record_id) == {"de", "jp"}
    with net.client("rilo-we") as c:
        known = c.requests.ListRequests(request_pb2.ListRequestsRequest(overdue_only=True)).requests
    assert [(s.key.record_id, s.notice_only, s.status, s.subject, s.addressee) for s in known] == \
        [(req.record_id, True, request_pb2.REQUEST_STATUS_UNKNOWN, "", "jp")]

    # An answered request is no longer overdue and owes nothing more.
    with net.client("jp") as c:
        c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED, text="late, sorry"))
    net.wait_for(lambda: status_name(summary(net, "de", req)) != "ANSWERED" and "not yet", what="answer at de")
    assert not summary(net, "de", req).overdue
    clock.advance(30 * 86400)
    assert de.run_deadlines() == 0


def test_retention_retracts_old_records_everywhere(make_cluster):
    clock = ShiftedClock()
    net = make_cluster(["rilo-we", "de", "fr"], clock=clock, settings={"de": {"retention": {"days": 365}}})
    today = dt.date.today()
    old = net.submit("de", member_seizure("de", net.directory,
                                          seizure_date=(today - dt.timedelta(days=300)).isoformat()))
    new = net.submit("de", member_seizure("de", net.directory, seizure_date=today.isoformat(),
                                          description="a recent case"))
    net.wait_for(lambda: {"fr", "rilo-we"} - holders(net, "de", old.record_id), what="seizure at fr")
    de = net.nodes["de"]
    assert de.run_retention() == 0
    clock.advance(100 * 86400)  # the old case is now 400 days old, the new one 100
    assert de.run_retention() == 1
    assert de.run_retention() == 0

    def tombstones():
        for node in ("fr", "rilo-we"):
            held = net.holdings(node).get(("de", old.record_id))
            if not held or not held["retracted"] or held["body"]:
                return f"{node} holds {held}"
        return None

    net.wait_for(tombstones, what="tombstones at fr and rilo-we")
    assert not net.holdings("fr")[("de", new.record_id)]["retracted"]
    assert [e["actor"] for e in de.store.audit_entries(limit=100) if e["action"] == "retract"] == ["retention"]


# -- what a review found: each of these failed before its fix ----------------------------------


def test_a_request_signed_with_a_wider_policy_than_its_parties_is_refused(net):
    """Else the addressee would answer into that wider audience."""
    from rilo_node.pb.rilo.v1 import policy_pb2

    book = net.nodes["jp"].book
    wide = policy_pb2.SharingPolicy(share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GLOBAL),
                                    discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GLOBAL),
                                    annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
                                    handling=policy_pb2.HANDLING_H0)
    rec = book.sign(kind=REQUEST, policy=wide, body=a_request("de").SerializeToString(deterministic=True))
    outcome = net.nodes["de"].replicator.receive([rec], peer="jp", via="test")
    assert outcome[0].startswith("refused") and "NAMED to exactly its parties" in outcome[0]
    bad = request_pb2.AssistanceRequest()
    bad.CopyFrom(a_request("de"))
    bad.due_date = "soon"
    from rilo_node.node.requests import named_policy

    rec = book.sign(kind=REQUEST, policy=named_policy(["jp", "de"]), body=bad.SerializeToString(deterministic=True))
    assert net.nodes["de"].replicator.receive([rec], peer="jp", via="test")[0].startswith("refused")
    with net.client("de") as c:  # and the inbox still lists fine
        assert c.requests.ListRequests(request_pb2.ListRequestsRequest()).requests == []


def test_responses_go_to_the_parties_of_the_request_only(net):
    req = create(net, "de", a_request("jp"))
    net.wait_for(lambda: {"jp"} - holders(net, "de", req.record_id), what="request at jp")
    with net.client("jp") as c:
        out = c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED, text="answer",
            record_id="01J00000000000000000000001"))
        again = c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED, text="answer",
            record_id="01J00000000000000000000001"))
    assert out.key == again.key  # a retry with the same id writes nothing new
    net.wait_for(lambda: {"de"} - holders(net, "jp", out.key.record_id), what="response at de")
    settle(net)
    assert holders(net, "jp", out.key.record_id) == {"de", "jp"}
    held = net.nodes["jp"].store.get_record("jp", out.key.record_id)
    h = record_pb2.RecordHeader.FromString(held.header)
    assert sorted(h.policy.share.nodes) == ["de", "jp"]


def test_a_release_survives_publication_after_validation(make_cluster):
    net = make_cluster(NETWORK, settings={"de": {"validation": {"required": True}}})
    # NAMED to a node outside the region: held, the home RILO is still let in to validate it.
    sk = net.submit("de", member_seizure("de", net.directory, policy={"share": {"scope": "NAMED", "nodes": ["kr"]}}))
    net.wait_for(lambda: {"rilo-we"} - holders(net, "de", sk.record_id), what="seizure at its RILO")
    req = create(net, "jp", a_request("de", records=[key("de", sk.record_id)]))
    net.wait_for(lambda: {"de"} - holders(net, "jp", req.record_id), what="request at de")
    with net.client("de") as c:
        c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=key("jp", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED, release=True))
    net.wait_for(lambda: {"jp"} - holders(net, "de", sk.record_id), what="release at jp")
    with net.client("rilo-we") as c:
        c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
            origin="de", record_id=sk.record_id, verdict=request_pb2.ENDORSEMENT_VERDICT_ENDORSED))

    def published():
        held = net.holdings("kr").get(("de", sk.record_id))
        return None if held and held["version"] == 3 else f"kr holds {held}"

    net.wait_for(published, what="publication reaches kr")
    settle(net)
    # The submitted audience (kr) plus the release (jp). The RILO, let in only to validate it, keeps a
    # tombstone: the submitted policy did not name it.
    assert holders(net, "de", sk.record_id) == {"de", "kr", "jp", "rilo-we"}
    assert not net.holdings("jp")[("de", sk.record_id)]["withdrawn"]
    assert net.holdings("rilo-we")[("de", sk.record_id)]["withdrawn"]


def test_an_endorsement_follows_its_seizure_out_of_the_network(make_cluster):
    net = make_cluster(NETWORK)
    sk = net.submit("de", member_seizure("de", net.directory, policy={"share": {"scope": "GLOBAL"}}))
    net.wait_for(lambda: set(NETWORK) - holders(net, "de", sk.record_id), what="seizure everywhere")
    with net.client("rilo-we") as c:
        e = c.validation.ValidateSeizure(request_pb2.ValidateSeizureRequest(
            origin="de", record_id=sk.record_id, verdict=request_pb2.ENDORSEMENT_VERDICT_ENDORSED,
            comments="checked against the airport's log")).key
    net.wait_for(lambda: set(NETWORK) - holders(net, "rilo-we", e.record_id), what="endorsement everywhere")
    # A correction that narrows the seizure to the area: the old endorsement narrows with it.
    with net.client("de") as c:
        from rilo_node.core.seizure import parse_submission

        c.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(record_id=sk.record_id, submission=parse_submission(
            member_seizure("de", net.directory, description="corrected", policy={"share": {"scope": "AREA"}}))))

    def narrowed():
        live = {n for n in net.nodes if (held := net.holdings(n).get(("rilo-we", e.record_id))) and held["body"]}
        return None if live <= {"de", "fr", "rilo-we"} else live

    net.wait_for(narrowed, what="endorsement narrowed to the seizure's new holders")
    # Retracted: the endorsement is retracted too; a new verdict later is a new record, and
    # nodes holding the old one store it (no clash between the two).
    with net.client("de") as c:
        c.records.RetractRecord(node_pb2.RetractRecordRequest(record_id=sk.record_id))
    net.wait_for(lambda: not net.holdings("rilo-we")[("rilo-we", e.record_id)]["retracted"] and "live",
                 what="endorsement retracted")


def test_only_the_addressee_releases_to_the_requester(net):
    """A response naming 'released' records from anyone but the addressee writes no audit entry."""
    from rilo_node.node.requests import named_policy

    req = create(net, "de", a_request("jp"))
    body = request_pb2.RequestResponse(request=key("de", req.record_id), status=request_pb2.RESPONSE_STATUS_ANSWERED,
                                       released=[key("jp", "01J00000000000000000000009", 2)])
    rec = net.nodes["fr"].book.sign(kind=RESPONSE, policy=named_policy(["fr", "de"]),
                                    body=body.SerializeToString(deterministic=True))
    assert net.nodes["de"].replicator.receive([rec], peer="fr", via="test") == ["stored"]
    assert not [e for e in net.nodes["de"].store.audit_entries(limit=1000) if e["action"] == "released_to_me"]
    with net.client("de") as c:  # stored, shown, but it does not count
        full = c.requests.GetRequest(request_pb2.GetRequestRequest(request=key("de", req.record_id)))
    assert status_name(full.summary) == "SENT" and [e.counts for e in full.events] == [False]


def test_a_record_that_cannot_be_stored_does_not_hold_back_its_batch(net):
    """One request-side record whose row cannot be written (here: a trigger refuses it) is refused and
    logged; the rest of the batch, and the pull checkpoint, are stored."""
    from rilo_node.node.requests import named_policy

    de = net.nodes["de"]
    de.store.write(lambda conn: conn.execute(
        "CREATE TRIGGER refuse_events BEFORE INSERT ON request_events BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    book = net.nodes["jp"].book
    request = book.sign(kind=REQUEST, policy=named_policy(["jp", "de"]),
                        body=a_request("de").SerializeToString(deterministic=True))
    h = record_pb2.RecordHeader.FromString(request.header)
    closure = book.sign(kind=CLOSURE, policy=named_policy(["jp", "de"]), body=request_pb2.RequestClosure(
        request=key("jp", h.record_id)).SerializeToString(deterministic=True))
    outcomes = de.replicator.receive([closure, request], peer="jp", via="test", checkpoint=4242)
    assert outcomes[0].startswith("refused: not stored") and outcomes[1] == "stored"
    assert de.store.get_record("jp", h.record_id) is not None
    assert de.store.get_record("jp", record_pb2.RecordHeader.FromString(closure.header).record_id) is None
    assert any(e["kind"] == "bad_record" and "not stored" in e["detail"] for e in net.security_events("de"))
    from rilo_node.store import db as st

    assert st.checkpoint_of(de.store, "jp") == 4242
