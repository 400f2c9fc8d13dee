"""The pure logic of intelligence requests and RILO validation (rilo_node.node.requests, rilo_node.node.endorsements).

No store, no network: check_request, parties, named_policy, escalation_target, derive, deadline_actions,
parse_date, endorsement_audience and may_endorse against the real topology (config/topology.toml).
Facts of that topology used here: de, fr, pl are EUR members (de, fr under rilo-we, pl under rilo-ece);
jp, kr are AP members under rilo-ap; us is an AMS member that reports to no RILO (area None).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rilo_node.core.convert import policy_from_pb
from rilo_node.core.errors import ValidationError
from rilo_node.core.policy import annex_set, discover_set, hold_set
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.node.endorsements import (
    ENDORSED,
    RETURNED,
    endorsement_audience,
    may_endorse,
)
from rilo_node.node.requests import (
    MAX_RECORDS,
    MAX_TEXT,
    OPEN,
    Event,
    check_request,
    deadline_actions,
    derive,
    escalation_target,
    named_policy,
    parse_date,
    parties,
)
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2, request_pb2
from rilo_node.store import projections

REAL = load_topology(default_topology_path())
TODAY = dt.date(2026, 3, 20)

RESPONSE, CLOSURE, NOTICE = projections.RESPONSE, projections.CLOSURE, projections.NOTICE
CLOSED_STATUSES = ("ANSWERED", "PARTIALLY_ANSWERED", "REFUSED", "CLOSED")
ALL_STATUSES = tuple(sorted(OPEN)) + CLOSED_STATUSES


def test_topology_facts_this_file_relies_on(directory):
    assert directory.get("de").role == "member" and directory.get("de").area == "rilo-we"
    assert directory.get("fr").area == "rilo-we"
    assert directory.get("pl").area == "rilo-ece" and directory.get("pl").region == "EUR"
    assert directory.get("jp").area == "rilo-ap" and directory.get("kr").area == "rilo-ap"
    assert directory.get("us").role == "member" and directory.get("us").area is None
    assert directory.get("rilo-we").role == "rilo" and directory.get("wco").role == "secretariat"
    for unknown in ("zz", "xx", "rilo-xx"):
        assert unknown not in directory
    assert OPEN == {"SENT", "ACKNOWLEDGED", "IN_PROGRESS", "POSTPONED"}


# --- check_request --------------------------------------------------------------------------------

def request(**overrides) -> request_pb2.AssistanceRequest:
    """A valid request from `de` to `jp` (direct), with `overrides` applied."""
    fields = {
        "addressee": "jp",
        "legal_basis": "Nairobi Convention, Annex X",
        "assistance": request_pb2.ASSISTANCE_TYPE_INFORMATION,
        "subject": "Importer of record for container MSKU1234565",
        "facts": "Cocaine found in banana boxes; consignee unknown.",
        "urgency": request_pb2.URGENCY_URGENT,
        "due_date": "2026-04-15",
        "contact": "officer@zoll.example",
    }
    fields.update(overrides)
    records = fields.pop("records", [])
    msg = request_pb2.AssistanceRequest(**fields)
    for key in records:
        msg.records.append(key)
    return msg


def refusal(msg, requester="de", today=TODAY, directory=REAL) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_request(msg, requester, directory, today)
    return info.value


def test_a_valid_request_passes_unchanged(directory):
    msg = request(records=[record_pb2.RecordKey(origin="jp", record_id="01HX", version=2)])
    out = check_request(msg, "de", directory, TODAY)
    assert out == msg
    assert out is not msg


def test_urgency_zero_becomes_routine_on_a_copy(directory):
    msg = request(urgency=0)
    out = check_request(msg, "de", directory, TODAY)
    assert out.urgency == request_pb2.URGENCY_ROUTINE
    assert msg.urgency == 0  # the input is not changed


@pytest.mark.parametrize("urgency", [request_pb2.URGENCY_ROUTINE, request_pb2.URGENCY_URGENT,
                                     request_pb2.URGENCY_IMMEDIATE])
def test_every_known_urgency_is_kept(directory, urgency):
    assert check_request(request(urgency=urgency), "de", directory, TODAY).urgency == urgency


@pytest.mark.parametrize("requester, addressee, via", [("de", "jp", "rilo-we"), ("jp", "de", "rilo-ap"),
                                                      ("pl", "fr", "rilo-ece"), ("de", "fr", "rilo-we")])
def test_a_member_routes_through_its_own_rilo(directory, requester, addressee, via):
    out = check_request(request(addressee=addressee, via_rilo=via), requester, directory, TODAY)
    assert out.via_rilo == via


def test_a_request_due_today_passes(directory):
    assert check_request(request(due_date=TODAY.isoformat()), "de", directory, TODAY).due_date == "2026-03-20"


@pytest.mark.parametrize("requester, addressee", [("rilo-we", "rilo-ap"), ("us", "de"), ("wco", "jp"),
                                                  ("de", "wco"), ("de", "rilo-ap"), ("de", "rilo-we")])
def test_any_node_may_ask_any_other_directly(directory, requester, addressee):
    assert check_request(request(addressee=addressee), requester, directory, TODAY).addressee == addressee


@pytest.mark.parametrize("name", sorted(MAX_TEXT))
def test_texts_at_their_limit_pass(directory, name):
    assert len(getattr(check_request(request(**{name: "x" * MAX_TEXT[name]}), "de", directory, TODAY), name)) \
        == MAX_TEXT[name]


def test_as_many_records_as_allowed_pass(directory):
    keys = [record_pb2.RecordKey(origin="jp", record_id=f"R{i}") for i in range(MAX_RECORDS)]
    assert len(check_request(request(records=keys), "de", directory, TODAY).records) == MAX_RECORDS


REFUSALS = [
    # (case, overrides, requester, field)
    ("no addressee", {"addressee": ""}, "de", "request.addressee"),
    ("unknown addressee", {"addressee": "zz"}, "de", "request.addressee"),
    ("malformed addressee", {"addressee": "DE"}, "de", "request.addressee"),
    ("addressee is the requester", {"addressee": "de"}, "de", "request.addressee"),
    ("via another member's RILO", {"via_rilo": "rilo-ap"}, "de", "request.via_rilo"),
    ("via another EUR RILO", {"via_rilo": "rilo-ece"}, "de", "request.via_rilo"),
    ("via an unknown RILO", {"via_rilo": "rilo-xx"}, "de", "request.via_rilo"),
    ("via the Secretariat", {"via_rilo": "wco"}, "de", "request.via_rilo"),
    ("via a member", {"via_rilo": "fr"}, "de", "request.via_rilo"),
    ("via_rilo from a member without a RILO", {"via_rilo": "rilo-cam"}, "us", "request.via_rilo"),
    ("via_rilo from a RILO (its own id)", {"addressee": "jp", "via_rilo": "rilo-we"}, "rilo-we",
     "request.via_rilo"),
    ("via_rilo from a RILO (another)", {"addressee": "jp", "via_rilo": "rilo-ap"}, "rilo-we", "request.via_rilo"),
    ("via_rilo from the Secretariat", {"via_rilo": "rilo-we"}, "wco", "request.via_rilo"),
    ("via_rilo that is the addressee", {"addressee": "rilo-we", "via_rilo": "rilo-we"}, "de", "request.via_rilo"),
    ("due date yesterday", {"due_date": "2026-03-19"}, "de", "request.due_date"),
    ("due date long past", {"due_date": "1999-12-31"}, "de", "request.due_date"),
    ("no due date", {"due_date": ""}, "de", "request.due_date"),
    ("due date not zero-padded", {"due_date": "2026-4-15"}, "de", "request.due_date"),
    ("due date with a time", {"due_date": "2026-04-15T00:00:00Z"}, "de", "request.due_date"),
    ("due date in another order", {"due_date": "15/04/2026"}, "de", "request.due_date"),
    ("due date with spaces", {"due_date": " 2026-04-15"}, "de", "request.due_date"),
    ("due date of 30 February", {"due_date": "2026-02-30"}, "de", "request.due_date"),
    ("due date of month 13", {"due_date": "2026-13-01"}, "de", "request.due_date"),
    ("due date of 29 February in a common year", {"due_date": "2027-02-29"}, "de", "request.due_date"),
    ("urgency unknown", {"urgency": 4}, "de", "request.urgency"),
    ("urgency far out", {"urgency": 99}, "de", "request.urgency"),
    ("assistance unspecified", {"assistance": 0}, "de", "request.assistance"),
    ("assistance unknown", {"assistance": 7}, "de", "request.assistance"),
    ("legal basis empty", {"legal_basis": ""}, "de", "request.legal_basis"),
    ("legal basis blank", {"legal_basis": "  \t\n"}, "de", "request.legal_basis"),
    ("subject empty", {"subject": ""}, "de", "request.subject"),
    ("subject blank", {"subject": "   "}, "de", "request.subject"),
    *[(f"{name} too long", {name: "x" * (limit + 1)}, "de", f"request.{name}") for name, limit in MAX_TEXT.items()],
    ("record of an unknown origin", {"records": [record_pb2.RecordKey(origin="zz", record_id="A")]}, "de",
     "request.records[0].origin"),
    ("record without an origin", {"records": [record_pb2.RecordKey(origin="", record_id="A")]}, "de",
     "request.records[0].origin"),
    ("second record of an unknown origin",
     {"records": [record_pb2.RecordKey(origin="jp", record_id="A"), record_pb2.RecordKey(origin="xx", record_id="B")]},
     "de", "request.records[1].origin"),
    ("record without a record_id", {"records": [record_pb2.RecordKey(origin="jp", record_id="")]}, "de",
     "request.records[0].record_id"),
    ("too many records",
     {"records": [record_pb2.RecordKey(origin="jp", record_id=f"R{i}") for i in range(MAX_RECORDS + 1)]}, "de",
     "request.records"),
]


@pytest.mark.parametrize("case, overrides, requester, field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_names_its_field(case, overrides, requester, field):
    err = refusal(request(**overrides), requester=requester)
    assert err.field == field, f"{case}: {err}"
    assert str(err).startswith(field + ": ")


def test_the_past_refusal_names_today():
    err = refusal(request(due_date="2026-03-19"))
    assert "past" in err.message and "2026-03-20" in err.message


def test_via_rilo_refusal_names_the_home_rilo():
    assert "rilo-we" in refusal(request(via_rilo="rilo-ap")).message
    assert "has none" in refusal(request(via_rilo="rilo-cam"), requester="us").message


def test_a_member_whose_rilo_is_not_in_a_partial_directory_cannot_route(directory):
    partial = directory.subset(["wco", "de", "jp", "rilo-ap"])
    assert refusal(request(via_rilo="rilo-we"), directory=partial).field == "request.via_rilo"
    assert check_request(request(), "de", partial, TODAY).addressee == "jp"


@pytest.mark.parametrize("value", ["2026-03-20", "2024-02-29", "0001-01-01", "9999-12-31"])
def test_parse_date_reads_calendar_dates(value):
    assert parse_date(value, "f") == dt.date.fromisoformat(value)


@pytest.mark.parametrize("value", ["", "2026-3-20", "20260320", "2026-03-20 ", "2026-02-29", "2026-00-10",
                                   "2026-01-32", "abcd-ef-gh", "2026-03-20T00:00"])
def test_parse_date_refuses_with_the_given_field(value):
    with pytest.raises(ValidationError) as info:
        parse_date(value, "x.when")
    assert info.value.field == "x.when"


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)),
       st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
@settings(max_examples=200, deadline=None)
def test_due_date_passes_exactly_when_not_before_today(due, today):
    msg = request(due_date=due.isoformat())
    if due >= today:
        assert check_request(msg, "de", REAL, today).due_date == due.isoformat()
    else:
        assert refusal(msg, today=today).field == "request.due_date"


# --- parties and named_policy ------------------------------------------------------------------------

def test_parties_direct_and_routed():
    assert parties("de", request(addressee="jp")) == ["de", "jp"]
    assert parties("de", request(addressee="jp", via_rilo="rilo-we")) == ["de", "jp", "rilo-we"]


NAMED_CASES = [
    ("de", ["de", "jp"]),
    ("de", ["de", "jp", "rilo-we"]),
    ("us", ["us", "rilo-ap", "kr", "kr"]),  # a repeat means nothing more
    ("jp", ["de"]),  # the origin is always a holder, named or not
    ("rilo-we", ["rilo-we"]),
]


@pytest.mark.parametrize("origin, nodes", NAMED_CASES)
def test_named_policy_is_held_and_discovered_by_exactly_the_named_nodes(directory, origin, nodes):
    policy = policy_from_pb(named_policy(nodes))
    expected = frozenset(nodes) | {origin}
    assert hold_set(policy, origin, directory) == expected
    assert discover_set(policy, origin, directory) == expected
    assert annex_set(policy, origin, directory) == {origin}
    assert policy.handling == "H2"
    assert list(named_policy(nodes).share.nodes) == sorted(set(nodes))


def test_named_policy_keeps_another_handling():
    assert policy_from_pb(named_policy(["de", "jp"], handling=policy_pb2.HANDLING_H1)).handling == "H1"


@given(st.sets(st.sampled_from(REAL.ids()), max_size=8), st.sampled_from(REAL.ids()))
@settings(max_examples=100, deadline=None)
def test_named_policy_sets_property(nodes, origin):
    policy = policy_from_pb(named_policy(nodes))
    assert hold_set(policy, origin, REAL) == discover_set(policy, origin, REAL) == frozenset(nodes) | {origin}
    assert annex_set(policy, origin, REAL) == {origin}


# --- escalation_target -------------------------------------------------------------------------------

@pytest.mark.parametrize("requester, target", [
    ("de", "rilo-we"), ("fr", "rilo-we"), ("pl", "rilo-ece"), ("jp", "rilo-ap"),
    ("us", "wco"), ("ca", "wco"), ("mx", "wco"),
    ("rilo-we", "wco"), ("rilo-ap", "wco"),
    ("wco", None),
])
def test_escalation_target(directory, requester, target):
    assert escalation_target(requester, directory) == target


def test_escalation_target_in_a_partial_directory(directory):
    # The member's RILO is not known here: the Secretariat hears of it.
    assert escalation_target("de", directory.subset(["wco", "de", "jp"])) == "wco"
    # Neither the RILO nor the Secretariat is known: no one.
    assert escalation_target("de", directory.subset(["de", "jp"])) is None
    assert escalation_target("us", directory.subset(["us", "de"])) is None


# --- derive --------------------------------------------------------------------------------------------

CREATED = "2026-03-01T09:00:00Z"
DUE = "2026-03-20"


def ts(day: int, hour: int = 12) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:00:00Z"


def resp(status: str, at: str, origin: str = "jp", rid: str | None = None) -> Event:
    return Event(origin, rid or f"resp-{origin}-{at}", RESPONSE, status, at)


def closure(at: str, origin: str = "de", rid: str | None = None) -> Event:
    return Event(origin, rid or f"close-{origin}-{at}", CLOSURE, "CLOSED", at)


def notice(kind: str, at: str, origin: str = "de") -> Event:
    return Event(origin, f"notice-{kind}-{at}", NOTICE, kind, at)


DERIVE_CASES = [
    # (case, events, today, status, overdue, updated_at, responses)
    ("no events", [], dt.date(2026, 3, 10), "SENT", False, CREATED, 0),
    ("no events, past due", [], dt.date(2026, 3, 21), "SENT", True, CREATED, 0),
    ("no events, on the due day", [], dt.date(2026, 3, 20), "SENT", False, CREATED, 0),
    ("acknowledged", [resp("ACKNOWLEDGED", ts(2))], dt.date(2026, 3, 10), "ACKNOWLEDGED", False, ts(2), 1),
    ("newest response decides", [resp("ACKNOWLEDGED", ts(2)), resp("IN_PROGRESS", ts(5)), resp("ANSWERED", ts(9))],
     dt.date(2026, 3, 10), "ANSWERED", False, ts(9), 3),
    ("time order, not list order", [resp("ANSWERED", ts(9)), resp("ACKNOWLEDGED", ts(2)), resp("IN_PROGRESS", ts(5))],
     dt.date(2026, 3, 10), "ANSWERED", False, ts(9), 3),
    ("a later response can reopen", [resp("ANSWERED", ts(5)), resp("IN_PROGRESS", ts(6))],
     dt.date(2026, 3, 25), "IN_PROGRESS", True, ts(6), 2),
    ("response of a non-addressee", [resp("ANSWERED", ts(3), origin="kr")], dt.date(2026, 3, 10), "SENT", False,
     CREATED, 0),
    ("response of the requester itself", [resp("ANSWERED", ts(3), origin="de")], dt.date(2026, 3, 10), "SENT",
     False, CREATED, 0),
    ("response of the routing RILO", [resp("REFUSED", ts(3), origin="rilo-we")], dt.date(2026, 3, 21), "SENT",
     True, CREATED, 0),
    ("non-addressee after the addressee", [resp("IN_PROGRESS", ts(3)), resp("ANSWERED", ts(4), origin="kr")],
     dt.date(2026, 3, 10), "IN_PROGRESS", False, ts(3), 1),
    ("closed by the requester", [resp("IN_PROGRESS", ts(3)), closure(ts(4))], dt.date(2026, 3, 10), "CLOSED", False,
     ts(4), 1),
    ("responses after the closure do not count", [closure(ts(4)), resp("ANSWERED", ts(6))], dt.date(2026, 3, 10),
     "CLOSED", False, ts(4), 0),
    ("a second closure does not move updated_at", [closure(ts(4)), closure(ts(7), rid="close-2")],
     dt.date(2026, 3, 10), "CLOSED", False, ts(4), 0),
    ("closure by the addressee does not count", [closure(ts(4), origin="jp")], dt.date(2026, 3, 10), "SENT", False,
     CREATED, 0),
    ("closure by the routing RILO does not count", [resp("ACKNOWLEDGED", ts(2)), closure(ts(4), origin="rilo-we")],
     dt.date(2026, 3, 21), "ACKNOWLEDGED", True, ts(2), 1),
    ("notices change nothing", [notice("REMINDER", ts(17)), notice("OVERDUE", ts(21))], dt.date(2026, 3, 22), "SENT",
     True, CREATED, 0),
    ("closed is never overdue", [closure(ts(4))], dt.date(2026, 4, 30), "CLOSED", False, ts(4), 0),
    *[(f"{s} past due is overdue", [resp(s, ts(3))], dt.date(2026, 3, 21), s, True, ts(3), 1)
      for s in ("ACKNOWLEDGED", "IN_PROGRESS", "POSTPONED")],
    *[(f"{s} past due is not overdue", [resp(s, ts(3))], dt.date(2026, 4, 30), s, False, ts(3), 1)
      for s in ("ANSWERED", "PARTIALLY_ANSWERED", "REFUSED")],
    ("answered late is not overdue", [resp("ANSWERED", "2026-03-25T10:00:00Z")], dt.date(2026, 3, 26), "ANSWERED",
     False, "2026-03-25T10:00:00Z", 1),
]


@pytest.mark.parametrize("case, events, today, status, overdue, updated, responses", DERIVE_CASES,
                         ids=[c[0] for c in DERIVE_CASES])
def test_derive(case, events, today, status, overdue, updated, responses):
    d = derive("de", "jp", DUE, CREATED, events, today)
    assert (d.status, d.overdue, d.updated_at, d.responses) == (status, overdue, updated, responses)


def test_derive_counted_holds_what_counts():
    events = [
        resp("ACKNOWLEDGED", ts(2), rid="r1"),
        resp("ANSWERED", ts(3), origin="kr", rid="r-kr"),  # not the addressee
        notice("REMINDER", ts(17)),
        Event("jp", "n-jp", NOTICE, "REMINDER", ts(17)),  # a notice not from the requester
        closure(ts(18), rid="c1"),
        closure(ts(18), origin="jp", rid="c-jp"),  # not the requester
        resp("ANSWERED", ts(19), rid="r2"),  # after the closure
        closure(ts(19), rid="c2"),  # a second closure by the requester
    ]
    d = derive("de", "jp", DUE, CREATED, events, dt.date(2026, 3, 25))
    assert d.counted == {("jp", "r1"), ("de", f"notice-REMINDER-{ts(17)}"), ("de", "c1"), ("de", "c2")}
    assert d.status == "CLOSED" and d.responses == 1 and d.updated_at == ts(18)


def test_derive_without_a_due_date_is_never_overdue():
    assert derive("de", "jp", "", CREATED, [], dt.date(2030, 1, 1)).overdue is False


# A model of derive, written from its docstring, for random event lists. Record ids are unique, as
# ULIDs are: with equal (created_at, record_id) from two origins, derive's order would be the list's.
ORIGINS = ("de", "jp", "kr", "rilo-we")
event_st = st.builds(
    Event,
    origin=st.sampled_from(ORIGINS),
    record_id=st.text("abcdef0123", min_size=1, max_size=4),
    kind=st.sampled_from((RESPONSE, CLOSURE, NOTICE)),
    status=st.sampled_from(("ACKNOWLEDGED", "IN_PROGRESS", "ANSWERED", "PARTIALLY_ANSWERED", "REFUSED", "POSTPONED")),
    created_at=st.integers(1, 28).map(lambda d: ts(d)),
)


def model(events, today):
    status, updated, responses = "SENT", CREATED, 0
    for e in sorted(events, key=lambda e: (e.created_at, e.record_id)):
        if e.kind == CLOSURE and e.origin == "de":
            return "CLOSED", False, e.created_at, responses
        if e.kind == RESPONSE and e.origin == "jp":
            status, updated, responses = e.status, e.created_at, responses + 1
    return status, status in OPEN and dt.date.fromisoformat(DUE) < today, updated, responses


@given(st.lists(event_st, max_size=8, unique_by=lambda e: e.record_id),
       st.dates(min_value=dt.date(2026, 3, 1), max_value=dt.date(2026, 4, 30)),
       st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_derive_matches_its_model_in_any_order(events, today, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    d = derive("de", "jp", DUE, CREATED, shuffled, today)
    assert (d.status, d.overdue, d.updated_at, d.responses) == model(events, today)
    assert d.counted <= {(e.origin, e.record_id) for e in events}
    for e in events:
        if (e.origin, e.record_id) in d.counted:
            assert e.origin == ("jp" if e.kind == RESPONSE else "de")
        elif e.origin == "de" and e.kind in (CLOSURE, NOTICE):
            raise AssertionError(f"the requester's {e} is not counted")


# --- deadline_actions ----------------------------------------------------------------------------------

DUE_DATE = dt.date(2026, 3, 20)


def day(offset: int) -> dt.date:
    """The day `offset` days before (negative) or after (positive) the due date."""
    return DUE_DATE + dt.timedelta(days=offset)


DEADLINE_CASES = [
    # (case, status, today, reminder_days, sent, expected)
    ("one day before the window", "SENT", day(-4), 3, set(), []),
    ("first day of the window", "SENT", day(-3), 3, set(), ["REMINDER"]),
    ("inside the window", "ACKNOWLEDGED", day(-1), 3, set(), ["REMINDER"]),
    ("on the due day", "IN_PROGRESS", day(0), 3, set(), ["REMINDER"]),
    ("on the due day, reminder_days 0", "SENT", day(0), 0, set(), ["REMINDER"]),
    ("the day before, reminder_days 0", "SENT", day(-1), 0, set(), []),
    ("the day after the due date", "SENT", day(1), 3, set(), ["OVERDUE"]),
    ("long after, never reminded", "POSTPONED", day(30), 3, set(), ["OVERDUE"]),
    ("reminder sent already", "SENT", day(-2), 3, {"REMINDER"}, []),
    ("overdue sent already", "SENT", day(2), 3, {"OVERDUE"}, []),
    ("overdue after a reminder", "SENT", day(1), 3, {"REMINDER"}, ["OVERDUE"]),
    ("a wide window", "SENT", day(-30), 30, set(), ["REMINDER"]),
    *[(f"{s} in the window", s, day(-1), 3, set(), []) for s in CLOSED_STATUSES],
    *[(f"{s} past due", s, day(5), 3, set(), []) for s in CLOSED_STATUSES],
]


@pytest.mark.parametrize("case, status, today, reminder_days, sent, expected", DEADLINE_CASES,
                         ids=[c[0] for c in DEADLINE_CASES])
def test_deadline_actions(case, status, today, reminder_days, sent, expected):
    assert deadline_actions(status, DUE_DATE.isoformat(), today, reminder_days, sent) == expected


def test_each_notice_only_once_over_the_life_of_a_request():
    sent: set[str] = set()
    log = []
    for offset in range(-10, 11):
        for notice_type in deadline_actions("SENT", DUE_DATE.isoformat(), day(offset), 3, sent):
            sent.add(notice_type)
            log.append((offset, notice_type))
    assert log == [(-3, "REMINDER"), (1, "OVERDUE")]


CREATED_CASES = [
    # (case, today, reminder_days, created, expected): a request sent inside the reminder window
    # already gets no reminder; created=None is a caller that does not say.
    ("sent the day before the window", day(-3), 3, day(-4), ["REMINDER"]),
    ("sent long before", day(-1), 3, day(-60), ["REMINDER"]),
    ("sent on the day the window opens", day(-3), 3, day(-3), []),
    ("sent inside the window", day(-1), 3, day(-2), []),
    ("sent on the due day", day(0), 3, day(0), []),
    ("sent on the due day, reminder_days 0", day(0), 0, day(0), []),
    ("sent the day before, reminder_days 0", day(0), 0, day(-1), ["REMINDER"]),
    ("created not given", day(-1), 3, None, ["REMINDER"]),
    ("sent inside the window, now overdue", day(1), 3, day(-1), ["OVERDUE"]),
]


@pytest.mark.parametrize("case, today, reminder_days, created, expected", CREATED_CASES,
                         ids=[c[0] for c in CREATED_CASES])
def test_deadline_actions_for_a_request_sent_late(case, today, reminder_days, created, expected):
    assert deadline_actions("SENT", DUE_DATE.isoformat(), today, reminder_days, set(), created) == expected


@given(
    status=st.sampled_from(ALL_STATUSES + ("", "UNKNOWN")),
    due=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    today=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    reminder_days=st.integers(0, 400),
    sent=st.sets(st.sampled_from(("REMINDER", "OVERDUE"))),
    created=st.none() | st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2030, 12, 31)),
)
@settings(max_examples=300, deadline=None)
def test_deadline_actions_property(status, due, today, reminder_days, sent, created):
    out = deadline_actions(status, due.isoformat(), today, reminder_days, sent, created)
    assert not ({"REMINDER", "OVERDUE"} <= set(out))
    assert len(out) == len(set(out)) <= 1
    assert not set(out) & sent
    if status not in OPEN:
        assert out == []
        return
    reminder = ("REMINDER" not in sent and 0 <= (due - today).days <= reminder_days
                and (created is None or (due - created).days > reminder_days))
    overdue = "OVERDUE" not in sent and today > due
    assert out == ["REMINDER"] * reminder + ["OVERDUE"] * overdue


@pytest.mark.parametrize("reminder_days", [1_000_000, 100 * 365 * 86400, 10**12])
def test_deadline_actions_with_a_very_long_reminder_window(reminder_days):
    # a window reaching back before year 1 must not overflow
    assert deadline_actions("SENT", "2026-03-20", dt.date(2026, 3, 25), reminder_days, set()) == ["OVERDUE"]
    assert deadline_actions("SENT", "2026-03-20", dt.date(2026, 3, 19), reminder_days, set()) == ["REMINDER"]
    assert deadline_actions("SENT", "2026-03-20", dt.date(2026, 3, 19), reminder_days, set(), dt.date(2026, 3, 1)) == []


# --- endorsement_audience and may_endorse --------------------------------------------------------------

def test_returned_goes_to_the_member_and_its_rilo_only():
    assert endorsement_audience(RETURNED, "de", "rilo-we", {"de", "fr", "jp", "rilo-we", "wco"}) == ["de", "rilo-we"]
    assert endorsement_audience(RETURNED, "de", "rilo-we", []) == ["de", "rilo-we"]


def test_endorsed_goes_to_the_holders_the_member_and_its_rilo():
    assert endorsement_audience(ENDORSED, "de", "rilo-we", frozenset({"fr", "jp"})) == ["de", "fr", "jp", "rilo-we"]
    assert endorsement_audience(ENDORSED, "de", "rilo-we", ["de", "fr", "fr"]) == ["de", "fr", "rilo-we"]
    assert endorsement_audience(ENDORSED, "de", "rilo-we", ()) == ["de", "rilo-we"]


@given(st.sets(st.sampled_from(REAL.ids()), max_size=10), st.sampled_from((ENDORSED, RETURNED)))
@settings(max_examples=100, deadline=None)
def test_endorsement_audience_property(holders, verdict):
    out = endorsement_audience(verdict, "de", "rilo-we", holders)
    assert out == sorted(set(out))
    expected = {"de", "rilo-we"} | (holders if verdict == ENDORSED else set())
    assert set(out) == expected


@pytest.mark.parametrize("rilo, origin, expected", [
    ("rilo-we", "de", True),
    ("rilo-we", "fr", True),
    ("rilo-ece", "pl", True),
    ("rilo-ap", "jp", True),
    ("rilo-ece", "de", False),  # another RILO of the same region
    ("rilo-ap", "de", False),  # a RILO of another region
    ("rilo-we", "rilo-we", False),  # a RILO's own records
    ("rilo-ap", "rilo-we", False),
    ("wco", "de", False),
    ("wco", "us", False),  # a member without a RILO has no one to validate it
    ("rilo-cam", "us", False),
    ("de", "de", False),
    ("fr", "de", False),
    ("rilo-we", "zz", False),  # unknown origin
    ("rilo-we", "wco", False),
])
def test_may_endorse(directory, rilo, origin, expected):
    assert may_endorse(rilo, origin, directory) is expected


@given(st.sampled_from(REAL.ids()), st.sampled_from(REAL.ids()))
@settings(max_examples=200, deadline=None)
def test_may_endorse_exactly_the_home_rilo(rilo, origin):
    node = REAL.get(origin)
    home = node.area if node.role == "member" else None
    assert may_endorse(rilo, origin, REAL) is (rilo == home)
    if may_endorse(rilo, origin, REAL):
        assert REAL.get(rilo).role == "rilo" and origin in REAL.members_of(rilo)
