"""Seizures as messages: the checks the node runs on a SeizureSubmission however it arrived (gRPC or the
JSON edge), the normalisation they make in place, and the bytes that get signed."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings

from rilo_node.core.errors import PolicyError, ValidationError
from rilo_node.core.seizure import check_submission, parse_submission, submission_json
from rilo_node.pb.rilo.v1 import node_pb2, policy_pb2, seizure_pb2
from tests.unit.test_seizure_validation import EXAMPLE, TODAY, _seizures

S = seizure_pb2


def message(**case) -> node_pb2.SeizureSubmission:
    """A submission as a gRPC client builds it, field by field."""
    base = dict(seizure_date="2026-03-14", country="DE",
                items=[S.SeizureItem(section=S.SECTION_DRUGS, category=S.CATEGORY_COCAINE)])
    base.update(case)
    return node_pb2.SeizureSubmission(seizure=S.SeizureCase(**base))


def refused(sub, **kwargs) -> ValidationError:
    kwargs.setdefault("today", TODAY)
    with pytest.raises(ValidationError) as caught:
        check_submission(sub, **kwargs)
    return caught.value


def test_a_json_seizure_and_the_same_seizure_built_as_a_message_sign_the_same_bytes():
    from_json = parse_submission(EXAMPLE)
    built = node_pb2.SeizureSubmission(
        seizure=S.SeizureCase(
            case_ref="national reference", seizure_date="2026-03-14", country="DE", customs_office="Hamburg port",
            location_type=S.LOCATION_TYPE_SEAPORT, direction=S.DIRECTION_IMPORT,
            detection=S.DETECTION_RISK_PROFILING, conveyance=S.CONVEYANCE_VESSEL,
            concealment=S.CONCEALMENT_IN_FREIGHT, departure_country="EC", transit_countries=["PA"],
            destination_country="DE", ecommerce=False,
            items=[S.SeizureItem(section=S.SECTION_DRUGS, category=S.CATEGORY_COCAINE,
                                 commodity="cocaine hydrochloride", hs_code="293979", quantity=120.5,
                                 unit=S.UNIT_KG, value_usd=0)],
            description="free text, searchable",
            evaluation=S.Evaluation(source=S.SOURCE_RELIABILITY_B, information=S.INFORMATION_ACCURACY_2)),
        policy=policy_pb2.SharingPolicy(share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_REGION)),
        annex=S.SeizureAnnex(offenders=[S.Offender(nationality="NL", gender=S.GENDER_M, birth_year=1985,
                                                   role="courier")]))
    for sub in (from_json, built):
        check_submission(sub, node_country="de", today=TODAY)
    assert from_json.SerializeToString(deterministic=True) == built.SerializeToString(deterministic=True)


def test_codes_are_upper_cased_and_transit_repeats_dropped_in_place():
    sub = message(country="de", departure_country="ec", transit_countries=["pa", "ES", "PA"],
                  destination_country="de")
    sub.annex.offenders.add(nationality="nl")
    check_submission(sub, today=TODAY)
    case = sub.seizure
    assert (case.country, case.departure_country, case.destination_country) == ("DE", "EC", "DE")
    assert list(case.transit_countries) == ["PA", "ES"]
    assert sub.annex.offenders[0].nationality == "NL"


def test_a_record_id_is_normalised_in_place():
    sub = message()
    sub.record_id = "01jdz8q5k2m3n4p5q6r7s8t9vw"
    check_submission(sub, today=TODAY)
    assert sub.record_id == "01JDZ8Q5K2M3N4P5Q6R7S8T9VW"


def test_an_empty_evaluation_or_annex_is_cleared_so_it_is_not_signed_as_an_empty_part():
    sub = message(evaluation=S.Evaluation())
    sub.annex.SetInParent()
    check_submission(sub, today=TODAY)
    assert not sub.seizure.HasField("evaluation") and not sub.HasField("annex")


@pytest.mark.parametrize("build, field", [
    (lambda: message(location_type=99), "location_type"),
    (lambda: message(items=[S.SeizureItem(section=42, category=S.CATEGORY_COCAINE)]), "items[0].section"),
    (lambda: message(items=[S.SeizureItem(section=S.SECTION_DRUGS, category=777)]), "items[0].category"),
    (lambda: message(items=[S.SeizureItem(section=S.SECTION_DRUGS)]), "items[0].category"),
    (lambda: message(items=[S.SeizureItem(category=S.CATEGORY_COCAINE)]), "items[0].section"),
    (lambda: message(items=[S.SeizureItem(section=S.SECTION_DRUGS, category=S.CATEGORY_GOLD)]), "items[0].category"),
    (lambda: message(items=[S.SeizureItem(section=S.SECTION_DRUGS, category=S.CATEGORY_COCAINE, quantity=1)]),
     "items[0].unit"),
    (lambda: message(items=[S.SeizureItem(section=S.SECTION_DRUGS, category=S.CATEGORY_COCAINE, unit=9)]),
     "items[0].unit"),
    (lambda: message(items=[S.SeizureItem(section=S.SECTION_DRUGS, category=S.CATEGORY_COCAINE,
                                          quantity=float("nan"), unit=S.UNIT_KG)]), "items[0].quantity"),
    (lambda: message(items=[]), "items"),
    (lambda: message(seizure_date=""), "seizure_date"),
    (lambda: message(evaluation=S.Evaluation(information=9)), "evaluation.information"),
    (lambda: message(country="ZZ"), "country"),
])
def test_a_message_no_json_client_could_send_is_still_refused_naming_the_field(build, field):
    assert refused(build()).field == field


def test_an_offender_birth_year_outside_the_range_is_refused():
    sub = message()
    sub.annex.offenders.add(birth_year=1850)
    assert refused(sub).field == "annex.offenders[0].birth_year"


def test_a_checked_submission_checks_again_unchanged():
    sub = parse_submission(EXAMPLE)
    check_submission(sub, today=TODAY)
    once = sub.SerializeToString(deterministic=True)
    check_submission(sub, today=TODAY)
    assert sub.SerializeToString(deterministic=True) == once


def test_the_json_edge_gives_the_policy_rules_messages_for_a_malformed_policy():
    with pytest.raises(PolicyError) as caught:
        parse_submission({**EXAMPLE, "policy": {"share": {"scope": "PLANET"}}})
    assert caught.value.field == "policy.share.scope"
    with pytest.raises(PolicyError) as caught:
        parse_submission({**EXAMPLE, "policy": {"tlp": "PURPLE"}})
    assert caught.value.field == "policy.tlp"


def test_the_json_edge_leaves_absent_policy_parts_absent_for_the_nodes_defaults():
    sub = parse_submission({**EXAMPLE, "policy": {"tlp": "AMBER+STRICT", "share": {"nodes": ["fr", "fr"]}}})
    assert sub.policy.tlp == policy_pb2.TLP_AMBER_STRICT
    assert sub.policy.share.scope == policy_pb2.SCOPE_UNSPECIFIED and list(sub.policy.share.nodes) == ["fr"]
    assert not sub.policy.HasField("discover") and not sub.policy.handling


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_seizures)
def test_any_valid_json_seizure_comes_back_from_its_checked_message_as_it_validates(data):
    data = {k: v for k, v in data.items() if k != "policy"}
    sub = parse_submission(data)
    check_submission(sub, today=TODAY)
    again = parse_submission(submission_json(sub))
    check_submission(again, today=TODAY)
    assert again == sub


def test_a_date_in_the_future_is_refused_against_the_given_today():
    sub = message(seizure_date="2026-11-29")
    assert refused(sub, today=datetime.date(2026, 11, 28)).field == "seizure_date"
    check_submission(message(seizure_date="2026-11-29"), today=datetime.date(2026, 11, 29))


def test_line_breaks_from_a_windows_file_become_newlines_at_the_json_edge():
    sub = parse_submission({**EXAMPLE, "description": "line one\r\nline two\rthree",
                            "annex": {"notes": "a\r\nb"}})
    check_submission(sub, today=TODAY)
    assert sub.seizure.description == "line one\nline two\nthree" and sub.annex.notes == "a\nb"


def test_a_lone_surrogate_in_json_text_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        parse_submission({**EXAMPLE, "case_ref": "ab\ud800"})
    assert caught.value.field == "case_ref"
