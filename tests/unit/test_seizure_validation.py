"""Seizure validation, normalisation, summary and CSV rows (docs/protocol.md#seizure-record)."""

from __future__ import annotations

import copy
import csv
import datetime
import io
import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rilo_node.core import vocab
from rilo_node.core.errors import ValidationError
from rilo_node.core.seizure import (
    CSV_COLUMNS,
    SEIZURE_FIELDS,
    UNSAFE_IN_LINE,
    UNSAFE_IN_TEXT,
    csv_header_problems,
    csv_row_to_seizure,
    seizure_summary,
    validate_seizure,
)

TODAY = datetime.date(2026, 11, 28)

# The example seizure of the shared design, less its placeholder record_id (docs/protocol.md#seizure-fields:
# optional; the origin assigns one).
EXAMPLE = {
    "case_ref": "national reference",
    "seizure_date": "2026-03-14",
    "country": "DE",
    "customs_office": "Hamburg port",
    "location_type": "SEAPORT",
    "direction": "IMPORT",
    "detection": "RISK_PROFILING",
    "conveyance": "VESSEL",
    "concealment": "IN_FREIGHT",
    "departure_country": "EC",
    "transit_countries": ["PA"],
    "destination_country": "DE",
    "ecommerce": False,
    "items": [
        {
            "section": "DRUGS",
            "category": "COCAINE",
            "commodity": "cocaine hydrochloride",
            "hs_code": "293979",
            "quantity": 120.5,
            "unit": "KG",
            "value_usd": 0,
        }
    ],
    "description": "free text, searchable",
    "evaluation": {"source": "B", "information": "2"},
    "policy": {"share": {"scope": "REGION"}},
    "annex": {"offenders": [{"nationality": "NL", "gender": "M", "birth_year": 1985, "role": "courier"}]},
}

ULID = "01JDZ8Q5K2M3N4P5Q6R7S8T9VW"
UUID = "0b9a4c1e-6f2d-4e8a-9c3b-7d5e1f2a3b4c"

DELETE = object()


def _path(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]


def example_with(path: str, value: object) -> dict:
    """A copy of EXAMPLE with the value at a dotted path (`items[0].unit`) replaced, or deleted."""
    data = copy.deepcopy(EXAMPLE)
    *parents, last = _path(path)
    target = data
    for step in parents:
        target = target[step]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


def refusal(data: object, **kwargs) -> ValidationError:
    kwargs.setdefault("today", TODAY)
    with pytest.raises(ValidationError) as caught:
        validate_seizure(data, **kwargs)
    return caught.value


# --- the valid example and normalisation --------------------------------------------


def test_the_interfaces_example_passes_and_comes_back_normalised():
    body = validate_seizure(EXAMPLE, node_country="de", today=TODAY)
    expected = copy.deepcopy(EXAMPLE)
    expected["items"][0]["value_usd"] = 0.0
    assert body == expected
    assert isinstance(body["items"][0]["value_usd"], float)
    assert list(body) == [f for f in SEIZURE_FIELDS if f in body]


def test_validation_returns_a_new_dict_and_leaves_the_input_alone():
    data = example_with("country", "de")
    before = copy.deepcopy(data)
    body = validate_seizure(data, today=TODAY)
    assert data == before
    assert body is not data
    assert body["policy"] == data["policy"] and body["policy"] is not data["policy"]
    assert body["items"][0] is not data["items"][0]


def test_country_codes_are_upper_cased_everywhere():
    data = copy.deepcopy(EXAMPLE)
    data.update(country="de", departure_country="ec", destination_country="De", transit_countries=["pa", "Es"])
    data["annex"]["offenders"][0]["nationality"] = "nl"
    body = validate_seizure(data, node_country="DE", today=TODAY)
    assert (body["country"], body["departure_country"], body["destination_country"]) == ("DE", "EC", "DE")
    assert body["transit_countries"] == ["PA", "ES"]
    assert body["annex"]["offenders"][0]["nationality"] == "NL"


def test_transit_countries_lose_duplicates_but_keep_their_order():
    body = validate_seizure(example_with("transit_countries", ["PA", "es", "pa", "ES", "CO"]), today=TODAY)
    assert body["transit_countries"] == ["PA", "ES", "CO"]


def test_information_given_as_a_number_comes_back_as_a_string():
    body = validate_seizure(example_with("evaluation.information", 3), today=TODAY)
    assert body["evaluation"] == {"source": "B", "information": "3"}


def test_whole_number_quantities_and_values_come_back_as_floats():
    data = example_with("items[0].quantity", 120)
    data["items"][0]["value_usd"] = 5000
    item = validate_seizure(data, today=TODAY)["items"][0]
    assert item["quantity"] == 120.0 and isinstance(item["quantity"], float)
    assert item["value_usd"] == 5000.0 and isinstance(item["value_usd"], float)


def test_a_ulid_record_id_is_upper_cased_and_a_uuid_lower_cased():
    assert validate_seizure(example_with("record_id", ULID.lower()), today=TODAY)["record_id"] == ULID
    assert validate_seizure(example_with("record_id", UUID.upper()), today=TODAY)["record_id"] == UUID


def test_the_smallest_seizure_needs_only_date_country_and_one_item():
    data = {"seizure_date": "2026-11-28", "country": "kr", "items": [{"section": "OTHER", "category": "OTHER"}]}
    assert validate_seizure(data, node_country="kr", today=TODAY) == {
        "seizure_date": "2026-11-28",
        "country": "KR",
        "items": [{"section": "OTHER", "category": "OTHER"}],
    }


@pytest.mark.parametrize(
    "field",
    [
        "record_id",
        "case_ref",
        "customs_office",
        "location_type",
        "direction",
        "detection",
        "conveyance",
        "concealment",
        "departure_country",
        "destination_country",
        "description",
        "items[0].commodity",
        "items[0].hs_code",
        "items[0].value_usd",
        "evaluation.source",
        "evaluation.information",
        "annex.notes",
        "annex.offenders[0].nationality",
        "annex.offenders[0].gender",
        "annex.offenders[0].birth_year",
        "annex.offenders[0].role",
    ],
)
@pytest.mark.parametrize("empty", ["", None], ids=["empty string", "null"])
def test_an_empty_optional_field_counts_as_absent(field, empty):
    body = validate_seizure(example_with(field, empty), today=TODAY)
    *parents, last = _path(field)
    target = body
    for step in parents:
        target = target[step]
    assert last not in target


def test_empty_lists_and_objects_that_carry_nothing_are_left_out():
    data = copy.deepcopy(EXAMPLE)
    data.update(transit_countries=[], evaluation={}, annex={"offenders": [], "notes": ""})
    body = validate_seizure(data, today=TODAY)
    assert "transit_countries" not in body and "evaluation" not in body and "annex" not in body


def test_the_policy_is_passed_through_as_given_without_being_judged_here():
    policy = {"share": {"scope": "NOT_A_SCOPE", "nodes": ["nobody"]}, "tlp": "PURPLE", "extra": [1, {"a": None}]}
    assert validate_seizure(example_with("policy", policy), today=TODAY)["policy"] == policy
    assert validate_seizure(example_with("policy", {}), today=TODAY)["policy"] == {}


def test_a_cash_item_carries_an_upper_cased_currency():
    item = {"section": "AML_CTF", "category": "CASH_SMUGGLING", "quantity": 250000, "unit": "CURRENCY", "currency": "eur"}
    body = validate_seizure(example_with("items", [item]), today=TODAY)
    assert body["items"][0]["currency"] == "EUR"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seizure_date", "2026-11-28"),  # today
        ("seizure_date", "1950-01-01"),
        ("case_ref", "x" * 100),
        ("customs_office", "x" * 200),
        ("description", "x" * 10_000),
        ("transit_countries", ["PA"] * 20),
        ("transit_countries", ["XK"]),
        ("items", [{"section": "OTHER", "category": "OTHER"}] * 200),
        ("items[0].commodity", "x" * 200),
        ("items[0].quantity", 0),
        ("items[0].hs_code", "29"),
        ("items[0].hs_code", "2939"),
        ("items[0].hs_code", "29397900"),
        ("items[0].hs_code", "2939790010"),
        ("items[0].unit", "PIECES"),
        ("ecommerce", True),
        ("evaluation.source", "X"),
        ("evaluation.information", 4),
        ("annex.offenders", [{}] * 100),
        ("annex.offenders[0].birth_year", 2026),
        ("annex.offenders[0].birth_year", 1900),
        ("annex.offenders[0].gender", "U"),
        ("annex.offenders[0].role", "x" * 100),
        ("annex.notes", "x" * 5_000),
    ],
)
def test_values_at_the_edge_of_each_rule_are_accepted(field, value):
    validate_seizure(example_with(field, value), today=TODAY)


# --- one refusal per rule --------------------------------------------------------

TOO_MANY_ITEMS = [{"section": "OTHER", "category": "OTHER"}] * 201

BAD = [
    # The whole body and its keys.
    ("unknown top-level field", "colour", "red", "colour"),
    # record_id: a ULID or a UUID.
    ("record_id not an id", "record_id", "case-17", "record_id"),
    ("record_id a number", "record_id", 17, "record_id"),
    ("record_id ULID with a forbidden letter", "record_id", "01JDZ8Q5K2M3N4P5Q6R7S8T9VI", "record_id"),
    ("record_id ULID beyond 128 bits", "record_id", "81JDZ8Q5K2M3N4P5Q6R7S8T9VW", "record_id"),
    ("record_id ULID one short", "record_id", ULID[:-1], "record_id"),
    ("record_id UUID without dashes", "record_id", UUID.replace("-", ""), "record_id"),
    ("record_id UUID in braces", "record_id", "{" + UUID + "}", "record_id"),
    # case_ref
    ("case_ref too long", "case_ref", "x" * 101, "case_ref"),
    ("case_ref a number", "case_ref", 2026017, "case_ref"),
    # seizure_date
    ("seizure_date missing", "seizure_date", DELETE, "seizure_date"),
    ("seizure_date empty", "seizure_date", "", "seizure_date"),
    ("seizure_date day-first", "seizure_date", "14/03/2026", "seizure_date"),
    ("seizure_date compact", "seizure_date", "20260314", "seizure_date"),
    ("seizure_date unpadded", "seizure_date", "2026-3-14", "seizure_date"),
    ("seizure_date with a time", "seizure_date", "2026-03-14T10:00:00", "seizure_date"),
    ("seizure_date not a real day", "seizure_date", "2026-02-30", "seizure_date"),
    ("seizure_date tomorrow", "seizure_date", "2026-11-29", "seizure_date"),
    ("seizure_date before 1950", "seizure_date", "1949-12-31", "seizure_date"),
    ("seizure_date a number", "seizure_date", 20260314, "seizure_date"),
    # country
    ("country missing", "country", DELETE, "country"),
    ("country unassigned", "country", "XX", "country"),
    ("country alpha-3", "country", "DEU", "country"),
    ("country a number", "country", 276, "country"),
    ("country non-ASCII that upper-cases to a code", "country", "ß", "country"),
    # customs_office
    ("customs_office too long", "customs_office", "x" * 201, "customs_office"),
    ("customs_office a number", "customs_office", 4711, "customs_office"),
    # The five enums: case-sensitive and closed.
    ("location_type unknown", "location_type", "HARBOUR", "location_type"),
    ("location_type lower case", "location_type", "seaport", "location_type"),
    ("direction unknown", "direction", "INBOUND", "direction"),
    ("direction a number", "direction", 1, "direction"),
    ("detection unknown", "detection", "DOG", "detection"),
    ("conveyance unknown", "conveyance", "SHIP", "conveyance"),
    ("concealment unknown", "concealment", "HIDDEN", "concealment"),
    # Route countries
    ("departure_country unassigned", "departure_country", "ZZ", "departure_country"),
    ("destination_country unassigned", "destination_country", "ZZ", "destination_country"),
    ("transit_countries a string", "transit_countries", "PA", "transit_countries"),
    ("transit_countries too many", "transit_countries", ["PA"] * 21, "transit_countries"),
    ("transit_countries second one bad", "transit_countries", ["PA", "ZZ"], "transit_countries[1]"),
    ("transit_countries with a null", "transit_countries", [None], "transit_countries[0]"),
    ("transit_countries with an empty code", "transit_countries", ["PA", ""], "transit_countries[1]"),
    # ecommerce: a real bool
    ("ecommerce yes", "ecommerce", "yes", "ecommerce"),
    ("ecommerce 1", "ecommerce", 1, "ecommerce"),
    ("ecommerce false as text", "ecommerce", "false", "ecommerce"),
    # items: a list of 1..200 objects
    ("items missing", "items", DELETE, "items"),
    ("items empty", "items", [], "items"),
    ("items an object", "items", {"section": "DRUGS", "category": "COCAINE"}, "items"),
    ("items too many", "items", TOO_MANY_ITEMS, "items"),
    ("item not an object", "items", ["cocaine"], "items[0]"),
    ("item unknown field", "items[0].colour", "white", "items[0].colour"),
    ("item section missing", "items[0].section", DELETE, "items[0].section"),
    ("item section unknown", "items[0].section", "NARCOTICS", "items[0].section"),
    ("item section lower case", "items[0].section", "drugs", "items[0].section"),
    ("item category missing", "items[0].category", DELETE, "items[0].category"),
    ("item category unknown", "items[0].category", "HEROIN", "items[0].category"),
    ("item category of another section", "items[0].category", "TOBACCO_PRODUCTS", "items[0].category"),
    ("item category lower case", "items[0].category", "cocaine", "items[0].category"),
    ("item category a number", "items[0].category", 2, "items[0].category"),
    ("item commodity too long", "items[0].commodity", "x" * 201, "items[0].commodity"),
    ("item hs_code a number", "items[0].hs_code", 293979, "items[0].hs_code"),
    ("item hs_code with a dot", "items[0].hs_code", "2939.79", "items[0].hs_code"),
    ("item hs_code odd length", "items[0].hs_code", "293", "items[0].hs_code"),
    ("item hs_code too long", "items[0].hs_code", "29397900101", "items[0].hs_code"),
    ("item hs_code one digit", "items[0].hs_code", "2", "items[0].hs_code"),
    ("item hs_code non-ASCII digits", "items[0].hs_code", "٢٩٣٩٧٩", "items[0].hs_code"),
    ("item quantity as text", "items[0].quantity", "120.5", "items[0].quantity"),
    ("item quantity a bool", "items[0].quantity", True, "items[0].quantity"),
    ("item quantity negative", "items[0].quantity", -1, "items[0].quantity"),
    ("item quantity NaN", "items[0].quantity", math.nan, "items[0].quantity"),
    ("item quantity infinite", "items[0].quantity", math.inf, "items[0].quantity"),
    ("item quantity beyond float", "items[0].quantity", 10**400, "items[0].quantity"),
    ("item unit missing with a quantity", "items[0].unit", DELETE, "items[0].unit"),
    ("item unit unknown", "items[0].unit", "TONNES", "items[0].unit"),
    ("item unit lower case", "items[0].unit", "kg", "items[0].unit"),
    ("item currency without unit CURRENCY", "items[0].currency", "EUR", "items[0].currency"),
    ("item value_usd negative", "items[0].value_usd", -0.01, "items[0].value_usd"),
    ("item value_usd as text", "items[0].value_usd", "100", "items[0].value_usd"),
    ("item value_usd NaN", "items[0].value_usd", math.nan, "items[0].value_usd"),
    ("item value_usd a bool", "items[0].value_usd", False, "items[0].value_usd"),
    # description
    ("description too long", "description", "x" * 10_001, "description"),
    ("description a list", "description", ["free", "text"], "description"),
    # evaluation
    ("evaluation as a code string", "evaluation", "B2", "evaluation"),
    ("evaluation unknown field", "evaluation.handling", "H0", "evaluation.handling"),
    ("evaluation source unknown", "evaluation.source", "D", "evaluation.source"),
    ("evaluation source lower case", "evaluation.source", "b", "evaluation.source"),
    ("evaluation source a number", "evaluation.source", 1, "evaluation.source"),
    ("evaluation information 5", "evaluation.information", "5", "evaluation.information"),
    ("evaluation information number 0", "evaluation.information", 0, "evaluation.information"),
    ("evaluation information a bool", "evaluation.information", True, "evaluation.information"),
    ("evaluation information a float", "evaluation.information", 2.0, "evaluation.information"),
    # policy: only its shape is checked here
    ("policy a string", "policy", "REGION", "policy"),
    ("policy a list", "policy", [{"share": {"scope": "REGION"}}], "policy"),
    # annex
    ("annex a string", "annex", "courier", "annex"),
    ("annex unknown field", "annex.names", ["J. Doe"], "annex.names"),
    ("annex offenders an object", "annex.offenders", {"nationality": "NL"}, "annex.offenders"),
    ("annex offenders too many", "annex.offenders", [{}] * 101, "annex.offenders"),
    ("annex offender not an object", "annex.offenders[0]", "NL", "annex.offenders[0]"),
    ("annex offender unknown field", "annex.offenders[0].name", "J. Doe", "annex.offenders[0].name"),
    ("annex offender nationality", "annex.offenders[0].nationality", "Dutch", "annex.offenders[0].nationality"),
    ("annex offender gender word", "annex.offenders[0].gender", "male", "annex.offenders[0].gender"),
    ("annex offender gender lower case", "annex.offenders[0].gender", "m", "annex.offenders[0].gender"),
    ("annex offender born 1899", "annex.offenders[0].birth_year", 1899, "annex.offenders[0].birth_year"),
    ("annex offender born next year", "annex.offenders[0].birth_year", 2027, "annex.offenders[0].birth_year"),
    ("annex offender birth_year as text", "annex.offenders[0].birth_year", "1985", "annex.offenders[0].birth_year"),
    ("annex offender birth_year float", "annex.offenders[0].birth_year", 1985.0, "annex.offenders[0].birth_year"),
    ("annex offender birth_year bool", "annex.offenders[0].birth_year", True, "annex.offenders[0].birth_year"),
    ("annex offender role too long", "annex.offenders[0].role", "x" * 101, "annex.offenders[0].role"),
    ("annex notes too long", "annex.notes", "x" * 5_001, "annex.notes"),
    ("annex notes a number", "annex.notes", 5, "annex.notes"),
]


@pytest.mark.parametrize(("path", "value", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_value_is_refused_naming_its_field(path, value, field):
    error = refusal(example_with(path, value))
    assert error.field == field
    assert str(error) == f"{field}: {error.message}"
    assert error.message


@pytest.mark.parametrize("data", [[], "seizure", None, 42], ids=["list", "string", "null", "number"])
def test_a_body_that_is_not_an_object_is_refused_with_an_empty_field(data):
    assert refusal(data).field == ""


def test_a_currency_item_without_a_currency_is_refused():
    item = {"section": "AML_CTF", "category": "CASH_SMUGGLING", "quantity": 1000, "unit": "CURRENCY"}
    assert refusal(example_with("items", [item])).field == "items[0].currency"


def test_a_currency_that_is_not_an_active_iso_4217_code_is_refused():
    item = {"section": "AML_CTF", "category": "CASH_SMUGGLING", "quantity": 1000, "unit": "CURRENCY", "currency": "XYZ"}
    assert refusal(example_with("items", [item])).field == "items[0].currency"


def test_a_problem_in_the_second_item_names_the_second_item():
    data = example_with("items", [EXAMPLE["items"][0], {"section": "REVENUE", "category": "COCAINE"}])
    assert refusal(data).field == "items[1].category"


def test_the_first_problem_is_the_one_reported():
    data = example_with("seizure_date", "yesterday")
    data["country"] = "XX"
    assert refusal(data).field == "seizure_date"
    data["colour"] = "red"
    assert refusal(data).field == "colour"


def test_a_category_of_another_section_is_explained_with_the_sections_categories():
    error = refusal(example_with("items[0].section", "REVENUE"))
    assert str(error) == (
        "items[0].category: 'COCAINE' is not a category of section 'REVENUE' "
        "(expected one of TOBACCO_PRODUCTS, ALCOHOL_PRODUCTS, OTHER_REVENUE)"
    )


def test_a_member_node_may_only_report_its_own_country():
    error = refusal(example_with("country", "FR"), node_country="de")
    assert error.field == "country"
    assert str(error) == "country: a member node reports its own country 'DE', not 'FR'"


def test_without_a_node_country_any_country_is_accepted():
    assert validate_seizure(example_with("country", "fr"), today=TODAY)["country"] == "FR"


def test_an_enum_refusal_lists_the_allowed_values():
    error = refusal(example_with("direction", "import"))
    assert error.field == "direction"
    assert "IMPORT, EXPORT, TRANSIT, INTERNAL" in error.message
    assert "'IMPORT'" in error.message  # the hint for lower case


def test_a_future_date_is_explained_against_today():
    assert "today is 2026-11-28" in refusal(example_with("seizure_date", "2027-01-01")).message


# --- vocabularies ------------------------------------------------------------------


def test_sections_and_categories_are_those_of_the_interfaces_table_in_order():
    assert list(vocab.SECTIONS) == [
        "AML_CTF",
        "DRUGS",
        "ENVIRONMENT",
        "IPR_HEALTH_SAFETY",
        "REVENUE",
        "SECURITY",
        "CULTURAL_HERITAGE",
        "OTHER",
    ]
    assert vocab.SECTIONS["DRUGS"][-1] == "PRECURSORS"
    assert vocab.CATEGORIES == tuple(c for cats in vocab.SECTIONS.values() for c in cats)
    assert len(set(vocab.CATEGORIES)) == len(vocab.CATEGORIES)
    assert all(c in vocab.SECTIONS[vocab.CATEGORY_SECTION[c]] for c in vocab.CATEGORIES)


def test_country_and_currency_lists_are_complete_codes():
    assert len(vocab.COUNTRIES) == 250  # 249 assigned, plus XK
    assert {"DE", "XK", "SS", "BQ", "AQ"} <= vocab.COUNTRIES
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in vocab.COUNTRIES)
    assert {"EUR", "USD", "SAR", "PLN", "UAH", "SLE", "VES", "XCG", "ZWG"} <= vocab.CURRENCIES
    assert all(len(c) == 3 and c.isascii() and c.isupper() for c in vocab.CURRENCIES)


# --- summary -----------------------------------------------------------------------


def test_the_summary_lists_sorted_unique_sections_and_categories():
    data = example_with(
        "items",
        [
            {"section": "REVENUE", "category": "TOBACCO_PRODUCTS"},
            {"section": "DRUGS", "category": "COCAINE"},
            {"section": "DRUGS", "category": "CANNABIS"},
            {"section": "DRUGS", "category": "COCAINE"},
        ],
    )
    assert seizure_summary(validate_seizure(data, today=TODAY)) == {
        "seizure_date": "2026-03-14",
        "country": "DE",
        "sections": ["DRUGS", "REVENUE"],
        "categories": ["CANNABIS", "COCAINE", "TOBACCO_PRODUCTS"],
    }


# --- CSV ---------------------------------------------------------------------------


def read_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_full_header_has_no_problems():
    assert csv_header_problems(CSV_COLUMNS) is None
    assert csv_header_problems(["seizure_date", "country", "items_json"]) is None


@pytest.mark.parametrize(
    ("fieldnames", "words"),
    [
        (None, "empty"),
        (["seizure_date", "country", "section", "category", "colour"], "'colour'"),
        (["seizure_date", "country", "section", "category", "section"], "more than once"),
        (["seizure_date", "section", "category"], "'country'"),
        (["country", "section", "category"], "'seizure_date'"),
        (["seizure_date", "country", "section"], "items_json"),
        (["\ufeffseizure_date", "country", "section", "category"], "utf-8-sig"),
        (["seizure_date", "country", "", "section", "category"], "column 3"),
    ],
    ids=["no header", "unknown", "duplicate", "no country", "no date", "no items", "byte-order mark", "blank"],
)
def test_a_bad_header_is_explained(fieldnames, words):
    problem = csv_header_problems(fieldnames)
    assert problem is not None and words in problem


def test_a_csv_row_with_one_item_becomes_a_valid_seizure():
    (row,) = read_rows(
        "case_ref,seizure_date,country,location_type,departure_country,transit_countries,ecommerce,"
        "section,category,commodity,hs_code,quantity,unit,value_usd,evaluation_source,evaluation_information\n"
        "HH-17,2026-03-14,de,SEAPORT,EC,PA; ES;pa,no,DRUGS,COCAINE,cocaine hydrochloride,0293979,120.5,KG,,B,2\n"
    )
    data = csv_row_to_seizure(row)
    assert data == {
        "case_ref": "HH-17",
        "seizure_date": "2026-03-14",
        "country": "de",
        "location_type": "SEAPORT",
        "departure_country": "EC",
        "transit_countries": ["PA", "ES", "pa"],
        "ecommerce": False,
        "items": [
            {
                "section": "DRUGS",
                "category": "COCAINE",
                "commodity": "cocaine hydrochloride",
                "hs_code": "0293979",
                "quantity": 120.5,
                "unit": "KG",
            }
        ],
        "evaluation": {"source": "B", "information": "2"},
    }
    data["items"][0]["hs_code"] = "293979"  # seven digits is no HS code; the validator says so
    body = validate_seizure(data, node_country="de", today=TODAY)
    assert body["country"] == "DE" and body["transit_countries"] == ["PA", "ES"]


def test_a_csv_hs_code_with_a_leading_zero_stays_text():
    (row,) = read_rows("seizure_date,country,section,category,hs_code\n2026-03-14,DE,DRUGS,COCAINE,0106\n")
    assert csv_row_to_seizure(row)["items"][0]["hs_code"] == "0106"


def test_items_json_replaces_the_single_item_columns():
    items = [
        {"section": "DRUGS", "category": "COCAINE", "quantity": 10, "unit": "KG"},
        {"section": "AML_CTF", "category": "CASH_SMUGGLING", "quantity": 50000, "unit": "CURRENCY", "currency": "USD"},
    ]
    row = {"seizure_date": "2026-03-14", "country": "DE", "section": "", "category": "", "items_json": json.dumps(items)}
    data = csv_row_to_seizure(row)
    assert data["items"] == items
    assert len(validate_seizure(data, today=TODAY)["items"]) == 2


def test_items_json_and_filled_single_item_columns_together_are_refused():
    row = {"seizure_date": "2026-03-14", "country": "DE", "section": "DRUGS", "items_json": "[]"}
    assert pytest.raises(ValidationError, csv_row_to_seizure, row).value.field == "items_json"


@pytest.mark.parametrize("cell", ["[{", '{"section": "DRUGS"}', "42"], ids=["broken JSON", "an object", "a number"])
def test_items_json_that_is_not_a_json_list_is_refused(cell):
    row = {"seizure_date": "2026-03-14", "country": "DE", "items_json": cell}
    assert pytest.raises(ValidationError, csv_row_to_seizure, row).value.field == "items_json"


def test_the_policy_columns_build_the_policy():
    (row,) = read_rows(
        "seizure_date,country,section,category,tlp,share_scope,share_nodes,discover_scope,annex_scope,"
        "handling,handling_note\n"
        "2026-03-14,DE,DRUGS,COCAINE,RED,NAMED,rilo-we; fr,ORIGIN,ORIGIN,H3,ask before court use\n"
    )
    assert csv_row_to_seizure(row)["policy"] == {
        "tlp": "RED",
        "share": {"scope": "NAMED", "nodes": ["rilo-we", "fr"]},
        "discover": {"scope": "ORIGIN"},
        "annex": {"scope": "ORIGIN"},
        "handling": "H3",
        "handling_note": "ask before court use",
    }


def test_only_the_policy_columns_given_appear_in_the_policy():
    row = {"seizure_date": "2026-03-14", "country": "DE", "tlp": "AMBER", "share_scope": "", "handling": ""}
    assert csv_row_to_seizure(row)["policy"] == {"tlp": "AMBER"}
    row = {"seizure_date": "2026-03-14", "country": "DE", "tlp": "", "share_nodes": "rilo-ap"}
    assert csv_row_to_seizure(row)["policy"] == {"share": {"nodes": ["rilo-ap"]}}


def test_policy_json_and_annex_json_are_read_as_json():
    policy = {"share": {"scope": "REGION", "exclude": ["fr"]}, "tlp": "AMBER"}
    annex = {"offenders": [{"nationality": "NL", "birth_year": 1985}], "notes": "two couriers"}
    row = {
        "seizure_date": "2026-03-14",
        "country": "DE",
        "section": "DRUGS",
        "category": "COCAINE",
        "policy_json": json.dumps(policy),
        "annex_json": json.dumps(annex),
    }
    data = csv_row_to_seizure(row)
    assert data["policy"] == policy and data["annex"] == annex
    validate_seizure(data, today=TODAY)


def test_policy_json_and_policy_columns_together_are_refused():
    row = {"seizure_date": "2026-03-14", "country": "DE", "tlp": "RED", "policy_json": "{}"}
    assert pytest.raises(ValidationError, csv_row_to_seizure, row).value.field == "policy_json"


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("quantity", "12,5"),
        ("quantity", "about 10"),
        ("quantity", "1_000"),
        ("quantity", "nan"),
        ("quantity", "1e999"),
        ("value_usd", "$100"),
        ("value_usd", "ten"),
    ],
)
def test_a_number_that_does_not_parse_is_refused_naming_its_column(column, cell):
    row = {"seizure_date": "2026-03-14", "country": "DE", "section": "DRUGS", "category": "COCAINE", column: cell}
    error = pytest.raises(ValidationError, csv_row_to_seizure, row).value
    assert error.field == column
    assert repr(cell) in error.message


@pytest.mark.parametrize("cell", ["1", "1.5", " 2 ", "-3", ".5", "1e3"])
def test_ordinary_numbers_parse(cell):
    row = {"seizure_date": "2026-03-14", "country": "DE", "section": "DRUGS", "category": "COCAINE", "quantity": cell}
    assert csv_row_to_seizure(row)["items"][0]["quantity"] == float(cell)


def test_an_unknown_column_is_refused_naming_it():
    row = {"seizure_date": "2026-03-14", "country": "DE", "colour": "white"}
    error = pytest.raises(ValidationError, csv_row_to_seizure, row).value
    assert error.field == "colour" and "'colour'" in error.message


def test_a_row_longer_than_the_header_is_refused():
    (row,) = read_rows("seizure_date,country\n2026-03-14,DE,surplus\n")
    assert pytest.raises(ValidationError, csv_row_to_seizure, row).value.field == ""


def test_empty_and_missing_cells_are_absent():
    (row,) = read_rows("seizure_date,country,case_ref,section,category,description\n2026-03-14,DE,,OTHER,OTHER\n")
    assert row["description"] is None  # a short row
    assert csv_row_to_seizure(row) == {
        "seizure_date": "2026-03-14",
        "country": "DE",
        "items": [{"section": "OTHER", "category": "OTHER"}],
    }


@pytest.mark.parametrize(
    ("cell", "value"),
    [("true", True), ("TRUE", True), ("yes", True), ("Yes", True), ("1", True),
     ("false", False), ("no", False), ("NO", False), ("0", False)],
)
def test_ecommerce_cells_read_as_booleans(cell, value):
    assert csv_row_to_seizure({"ecommerce": cell})["ecommerce"] is value


@pytest.mark.parametrize("cell", ["y", "maybe", "2", "oui"])
def test_an_ecommerce_cell_that_is_not_yes_or_no_is_refused(cell):
    assert pytest.raises(ValidationError, csv_row_to_seizure, {"ecommerce": cell}).value.field == "ecommerce"


# --- properties --------------------------------------------------------------------

_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _cased(codes: frozenset[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(codes)).flatmap(lambda c: st.sampled_from([c, c.lower(), c.title()]))


_numbers = st.one_of(st.integers(0, 10**12), st.floats(0, 1e12, allow_nan=False, allow_infinity=False))
# Any text the text rule accepts (docs/protocol.md#seizure-checks): one line, or lines (description, notes).
_line = st.text(max_size=20).map(lambda t: UNSAFE_IN_LINE.sub("", t))
_lines = st.text(max_size=20).map(lambda t: UNSAFE_IN_TEXT.sub("", t))


@st.composite
def _items(draw) -> dict:
    section = draw(st.sampled_from(list(vocab.SECTIONS)))
    item = {"section": section, "category": draw(st.sampled_from(vocab.SECTIONS[section]))}
    optional = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "commodity": _line,
                "hs_code": st.sampled_from([2, 4, 6, 8, 10]).flatmap(
                    lambda n: st.text("0123456789", min_size=n, max_size=n)
                ),
                "value_usd": _numbers,
            },
        )
    )
    item.update(optional)
    if draw(st.booleans()):
        item["unit"] = draw(st.sampled_from(vocab.UNITS))
        if draw(st.booleans()):
            item["quantity"] = draw(_numbers)
        if item["unit"] == "CURRENCY":
            item["currency"] = draw(_cased(vocab.CURRENCIES))
    return item


_offenders = st.fixed_dictionaries(
    {},
    optional={
        "nationality": _cased(vocab.COUNTRIES),
        "gender": st.sampled_from(vocab.GENDERS),
        "birth_year": st.integers(1900, TODAY.year),
        "role": _line,
    },
)

_seizures = st.fixed_dictionaries(
    {
        "seizure_date": st.dates(datetime.date(1950, 1, 1), TODAY).map(datetime.date.isoformat),
        "country": _cased(vocab.COUNTRIES),
        "items": st.lists(_items(), min_size=1, max_size=4),
    },
    optional={
        "record_id": st.one_of(
            st.from_regex(r"[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}", fullmatch=True),
            st.uuids().map(str),
            st.uuids().map(lambda u: str(u).upper()),
        ),
        "case_ref": _line,
        "customs_office": _line,
        "location_type": st.sampled_from(vocab.LOCATION_TYPES),
        "direction": st.sampled_from(vocab.DIRECTIONS),
        "detection": st.sampled_from(vocab.DETECTIONS),
        "conveyance": st.sampled_from(vocab.CONVEYANCES),
        "concealment": st.sampled_from(vocab.CONCEALMENTS),
        "departure_country": _cased(vocab.COUNTRIES),
        "transit_countries": st.lists(_cased(vocab.COUNTRIES), max_size=20),
        "destination_country": _cased(vocab.COUNTRIES),
        "ecommerce": st.booleans(),
        "description": _lines,
        "evaluation": st.fixed_dictionaries(
            {},
            optional={
                "source": st.sampled_from(vocab.SOURCE_RELIABILITY),
                "information": st.sampled_from([*vocab.INFORMATION_ACCURACY, 1, 2, 3, 4]),
            },
        ),
        "policy": st.dictionaries(st.text(max_size=8), _json, max_size=4),
        "annex": st.fixed_dictionaries(
            {}, optional={"offenders": st.lists(_offenders, max_size=5), "notes": _lines}
        ),
    },
)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_seizures, as_member=st.booleans())
def test_any_seizure_built_from_the_vocabularies_passes_and_validating_again_changes_nothing(data, as_member):
    node_country = data["country"].lower() if as_member else None
    body = validate_seizure(data, node_country=node_country, today=TODAY)
    assert validate_seizure(body, node_country=node_country, today=TODAY) == body
    assert body["country"] == data["country"].upper()
    assert len(body["items"]) == len(data["items"])
    assert set(body) <= set(SEIZURE_FIELDS)
    summary = seizure_summary(body)
    assert summary["sections"] == sorted({i["section"] for i in data["items"]})
    assert summary["categories"] == sorted({i["category"] for i in data["items"]})
