"""The synthetic seizure generator: reproducible, valid, and shaped like the ITR 2025 figures."""

from __future__ import annotations

import dataclasses
import datetime
import json
import random
import statistics
import time
from collections import Counter
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rilo_node.core.policy import parse_policy
from rilo_node.core.seizure import validate_seizure
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.sim import synth
from rilo_node.sim.synth import (
    POLICY_MIXES,
    Origin,
    generate_seizures,
    make_record_id,
    origin_weights,
    origins_from_nodes,
)

TODAY = datetime.date(2026, 5, 1)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.fixture(scope="module")
def directory():
    return load_topology(default_topology_path())


@pytest.fixture(scope="module")
def origins(directory):
    return [Origin(n.id, n.id.upper(), n.region, n.area) for n in directory if n.role == "member"]


@pytest.fixture(scope="module")
def by_id(origins):
    return {o.node_id: o for o in origins}


@pytest.fixture(scope="module")
def sample(origins):
    """5,000 cases over every member of the real topology."""
    return list(generate_seizures(5000, origins, seed=2025, today=TODAY))


def region_item_shares(sample, by_id, region):
    counts = Counter(item["section"] for node, s in sample if by_id[node].region == region for item in s["items"])
    total = sum(counts.values())
    return {section: n / total for section, n in counts.items()}


def policy_node_ids(policy):
    for part in ("share", "discover", "annex"):
        spec = policy.get(part, {})
        yield from spec.get("nodes", ())
        yield from spec.get("exclude", ())


# --- reproducibility ------------------------------------------------------------


def test_the_same_seed_gives_identical_output(origins):
    first = list(generate_seizures(300, origins, seed=7, today=TODAY))
    second = list(generate_seizures(300, origins, seed=7, today=TODAY))
    assert json.dumps(first) == json.dumps(second)


def test_a_different_seed_gives_different_output(origins):
    first = list(generate_seizures(300, origins, seed=7, today=TODAY))
    other = list(generate_seizures(300, origins, seed=8, today=TODAY))
    assert json.dumps(first) != json.dumps(other)
    assert len({s["record_id"] for _, s in first} & {s["record_id"] for _, s in other}) == 0


def test_a_prefix_of_a_run_is_a_shorter_run_with_the_same_seed(origins):
    assert list(generate_seizures(50, origins, seed=3, today=TODAY)) == list(
        generate_seizures(200, origins, seed=3, today=TODAY)
    )[:50]


def test_make_record_id_is_a_reproducible_ulid_that_carries_the_time():
    when = datetime.datetime(2026, 3, 14, 12, 30, 5, 250000, tzinfo=datetime.timezone.utc)
    first = make_record_id(random.Random(1), when)
    assert first == make_record_id(random.Random(1), when)
    assert first != make_record_id(random.Random(2), when)
    assert len(first) == 26 and set(first) <= set(CROCKFORD) and first[0] in "01234567"
    millis = 0
    for ch in first[:10]:
        millis = millis * 32 + CROCKFORD.index(ch)
    assert millis == int(when.timestamp() * 1000)
    # A naive time is UTC.
    assert make_record_id(random.Random(1), when.replace(tzinfo=None)) == first


def test_record_ids_sort_by_time():
    rng = random.Random(5)
    times = [datetime.datetime(2025, 1, 1) + datetime.timedelta(seconds=37 * i) for i in range(100)]
    ids = [make_record_id(rng, t) for t in times]
    assert ids == sorted(ids)


# --- validity -------------------------------------------------------------------


def test_every_generated_seizure_passes_validation(origins, by_id):
    for node, seizure in generate_seizures(2000, origins, seed=11, today=TODAY):
        validate_seizure(seizure, node_country=by_id[node].country, today=TODAY)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64), mix=st.sampled_from(POLICY_MIXES))
def test_any_seed_and_policy_mix_gives_valid_seizures(origins, by_id, directory, seed, mix):
    for node, seizure in generate_seizures(40, origins, seed=seed, today=TODAY, policy_mix=mix):
        validate_seizure(seizure, node_country=by_id[node].country, today=TODAY)
        parse_policy(seizure["policy"], directory)


def test_each_seizure_reports_its_origins_own_country(sample, by_id):
    assert all(s["country"] == by_id[node].country for node, s in sample)


def test_seizures_are_plain_json(sample):
    for _, seizure in sample[:500]:
        assert json.loads(json.dumps(seizure)) == seizure


def test_every_seizure_has_a_distinct_record_id_unless_asked_not_to(origins, sample):
    ids = [s["record_id"] for _, s in sample]
    assert len(set(ids)) == len(ids)
    assert not any("record_id" in s for _, s in generate_seizures(50, origins, seed=1, today=TODAY, record_ids=False))


def test_no_seizure_is_dated_after_today_or_more_than_two_years_back(sample):
    dates = [datetime.date.fromisoformat(s["seizure_date"]) for _, s in sample]
    assert max(dates) <= TODAY
    assert min(dates) >= TODAY - datetime.timedelta(days=731)
    # A datetime is taken as its date.
    late = datetime.datetime(2024, 2, 29, 23, 59)
    for _, s in generate_seizures(200, [Origin("de", "DE", "EUR", "rilo-we")], seed=1, today=late):
        assert s["seizure_date"] <= "2024-02-29"


def test_the_route_puts_the_reporting_country_where_the_direction_says(sample):
    for _, s in sample:
        country, direction = s["country"], s["direction"]
        if direction == "IMPORT":
            assert s["destination_country"] == country != s["departure_country"]
        elif direction == "EXPORT":
            assert s["departure_country"] == country != s["destination_country"]
        elif direction == "TRANSIT":
            assert country in s["transit_countries"]
        else:
            assert s["departure_country"] == s["destination_country"] == country
        assert len(s["transit_countries"]) <= 3


# --- sharing policies -------------------------------------------------------------


def test_every_policy_names_only_known_node_ids(origins, directory):
    allowed = {o.node_id for o in origins} | {o.area for o in origins if o.area}
    for mix in POLICY_MIXES:
        for node, seizure in generate_seizures(1000, origins, seed=5, today=TODAY, policy_mix=mix):
            named = set(policy_node_ids(seizure["policy"]))
            assert named <= allowed, (mix, seizure["policy"])
            assert node not in seizure["policy"].get("share", {}).get("nodes", ())
            parse_policy(seizure["policy"], directory)


def test_a_small_network_names_only_its_own_nodes():
    small = [
        Origin("de", "DE", "EUR", "rilo-we"),
        Origin("fr", "FR", "EUR", "rilo-we"),
        Origin("us", "US", "AMS", None),
        Origin("kr", "KR", "AP", "rilo-ap"),
    ]
    allowed = {"de", "fr", "us", "kr", "rilo-we", "rilo-ap"}
    for _, seizure in generate_seizures(2000, small, seed=9, today=TODAY, policy_mix="restricted"):
        assert set(policy_node_ids(seizure["policy"])) <= allowed


def test_a_lone_origin_never_writes_red_without_recipients():
    lone = [Origin("us", "US", "AMS", None)]
    for _, seizure in generate_seizures(500, lone, seed=2, today=TODAY, policy_mix="restricted"):
        policy = seizure["policy"]
        assert policy.get("tlp") != "RED" and "nodes" not in policy.get("share", {})


def test_the_realistic_policy_mix_is_mostly_open_with_a_few_restricted_records(sample):
    policies = [s["policy"] for _, s in sample]
    n = len(policies)

    def share_of(pred):
        return sum(1 for p in policies if pred(p)) / n

    open_or_default = share_of(
        lambda p: p.get("tlp") in ("GREEN", "CLEAR")
        or p.get("share", {}).get("scope") in ("GLOBAL", "REGION")
        or ("tlp" not in p and "share" not in p)
    )
    assert open_or_default > 0.6
    assert 0.05 < share_of(lambda p: p.get("tlp") == "AMBER") < 0.25
    assert 0.03 < share_of(lambda p: p.get("tlp") == "AMBER_STRICT" or p.get("share", {}).get("scope") == "AREA")
    assert 0.005 < share_of(lambda p: p.get("share", {}).get("scope") == "RILOS") < 0.1
    red = [p for p in policies if p.get("tlp") == "RED"]
    assert 0.005 < len(red) / n < 0.08
    assert all(1 <= len(p["share"]["nodes"]) <= 2 for p in red)
    assert share_of(lambda p: p.get("discover", {}).get("scope") == "GLOBAL") > 0.005


def test_the_default_policy_mix_leaves_policies_empty(origins):
    assert all(s["policy"] == {} for _, s in generate_seizures(100, origins, seed=1, today=TODAY, policy_mix="default"))


def test_an_unknown_policy_mix_is_refused(origins):
    with pytest.raises(ValueError, match="policy_mix"):
        list(generate_seizures(1, origins, seed=1, today=TODAY, policy_mix="lax"))


def test_about_a_quarter_of_cases_carry_an_annex_of_offenders(sample):
    annexed = [s for _, s in sample if "annex" in s]
    assert 0.2 <= len(annexed) / len(sample) <= 0.3
    for s in annexed:
        for offender in s["annex"]["offenders"]:
            assert offender["gender"] in ("M", "F")
            assert 18 <= int(s["seizure_date"][:4]) - offender["birth_year"] <= 70
            assert offender["role"]
    wider = [s for s in annexed if s["policy"].get("annex", {}).get("scope") in ("AREA", "REGION")]
    assert 0.1 < len(wider) / len(annexed) < 0.5
    assert not any("annex" in s["policy"] for _, s in sample if "annex" not in s)


# --- the ITR shape ------------------------------------------------------------------


def test_europe_and_the_americas_produce_most_records(sample, by_id):
    regions = Counter(by_id[node].region for node, _ in sample)
    assert (regions["EUR"] + regions["AMS"]) / len(sample) > 0.7
    assert regions["EUR"] > regions["AMS"] > regions["MENA"] > regions["AP"]
    assert all(regions[r] > 0 for r in ("EUR", "AMS", "MENA", "AP", "ESA", "WCA"))


def test_a_few_big_reporters_dominate(sample):
    reporters = Counter(node for node, _ in sample)
    top = [node for node, _ in reporters.most_common(8)]
    assert top[0] == "us"
    assert {"de", "dk", "fr", "gb", "nl"} <= set(top)


def test_drugs_dominate_europe(sample, by_id):
    shares = region_item_shares(sample, by_id, "EUR")
    assert max(shares, key=shares.get) == "DRUGS"
    assert 0.35 < shares["DRUGS"] < 0.57


def test_ipr_dominates_the_americas(sample, by_id):
    shares = region_item_shares(sample, by_id, "AMS")
    assert max(shares, key=shares.get) == "IPR_HEALTH_SAFETY"
    assert 0.5 < shares["IPR_HEALTH_SAFETY"] < 0.8


def test_revenue_dominates_mena(sample, by_id):
    shares = region_item_shares(sample, by_id, "MENA")
    assert max(shares, key=shares.get) == "REVENUE"
    assert shares["REVENUE"] > 0.65


def test_items_per_case_follow_the_region_means(sample, by_id):
    def mean_items(region):
        return statistics.fmean(len(s["items"]) for node, s in sample if by_id[node].region == region)

    assert 1.6 < mean_items("AMS") < 1.9
    assert 1.15 < mean_items("EUR") < 1.4
    assert mean_items("MENA") < 1.1


def test_e_commerce_is_common_in_the_americas_and_rare_in_mena(sample, by_id):
    def ecom(region):
        cases = [s for node, s in sample if by_id[node].region == region]
        return sum(s["ecommerce"] for s in cases) / len(cases)

    assert ecom("AMS") > 0.55
    assert 0.35 < ecom("EUR") < 0.6
    assert ecom("MENA") < 0.05
    for _, s in sample:
        if s["ecommerce"]:
            assert s["conveyance"] in ("MAIL", "EXPRESS_COURIER")


def test_most_cases_are_imports(sample):
    directions = Counter(s["direction"] for _, s in sample)
    assert directions["IMPORT"] / len(sample) > 0.6
    assert directions.most_common(1)[0][0] == "IMPORT"


def test_quantities_are_heavy_tailed(sample):
    for unit in ("KG", "PIECES"):
        quantities = [i["quantity"] for _, s in sample for i in s["items"] if i["unit"] == unit]
        assert max(quantities) / statistics.median(quantities) > 100, unit


def test_units_fit_the_commodity(sample):
    for _, s in sample:
        for item in s["items"]:
            category, unit = item["category"], item["unit"]
            if category == "CASH_SMUGGLING":
                assert unit == "CURRENCY" and len(item["currency"]) == 3 and item["value_usd"] > 0
            elif category in ("COCAINE", "CANNABIS", "KHAT"):
                assert unit in ("KG", "G", "L", "ML", "PIECES")
            elif category in ("IPR_PRODUCTS", "WEAPONS_AMMUNITION", "UNMANNED_AERIAL_SYSTEMS"):
                assert unit == "PIECES"
            elif category == "ALCOHOL_PRODUCTS":
                assert unit in ("L", "ML")
            assert item["quantity"] > 0


def test_cash_is_mostly_euro_and_us_dollar(sample):
    currencies = Counter(i["currency"] for _, s in sample for i in s["items"] if "currency" in i)
    assert set(dict(currencies.most_common(2))) == {"EUR", "USD"}


def test_descriptions_name_the_commodity_for_free_text_search(sample):
    for _, s in sample[:1000]:
        assert s["items"][0]["commodity"] in s["description"]
        assert s["customs_office"] in s["description"]


def test_origin_weights_follow_the_itr_region_shares(origins):
    weights = origin_weights(origins)
    assert abs(sum(weights) - 1.0) < 1e-9
    by_region = Counter()
    for origin, weight in zip(origins, weights):
        by_region[origin.region] += weight
    assert abs(by_region["EUR"] - 0.464) < 0.01
    assert abs(by_region["AMS"] - 0.330) < 0.01
    assert abs(by_region["WCA"] - 0.009) < 0.002
    weight = dict(zip((o.node_id for o in origins), weights))
    assert weight["us"] > 0.5 * by_region["AMS"]
    assert weight["de"] > 5 * weight["lu"]


def test_origin_weights_of_a_small_network_keep_the_region_proportions():
    small = [Origin("de", "DE", "EUR", "rilo-we"), Origin("us", "US", "AMS", None), Origin("sa", "SA", "MENA", "rilo-me")]
    weights = origin_weights(small)
    assert weights[0] / weights[1] == pytest.approx(46.4 / 33.0)
    assert weights[1] / weights[2] == pytest.approx(33.0 / 15.9)


def test_origins_from_nodes_takes_the_members_of_a_directory(directory, origins):
    assert origins_from_nodes(directory) == origins


def test_generation_is_fast_enough_to_seed_a_cluster(origins):
    # The target is 20,000 per second on the development machine; the bound here
    # is loose so that a busy CI runner does not fail it.
    start = time.process_time()
    assert sum(1 for _ in generate_seizures(10_000, origins, seed=1, today=TODAY)) == 10_000
    assert time.process_time() - start < 2.0



# --- the data files -----------------------------------------------------------------


def holds(table, weights, value=lambda v: v):
    """`table` draws these (value, weight) pairs, zero weights left out, in this order."""
    pairs = list(weights.items() if isinstance(weights, dict) else weights)
    total = sum(w for _, w in pairs)
    kept = [(v, w) for v, w in pairs if w > 0]
    shares = [table.share(v) for v in table.values]
    return [value(v) for v in table.values] == [v for v, _ in kept] and shares == pytest.approx(
        [w / total for _, w in kept]
    )


def all_hold(tables, spec):
    return all(holds(tables[key], weights) for key, weights in spec.items())


def the_same(value):
    return lambda spec: value == spec


def offices_by_location(offices, location_tag):
    """(country, location type) -> the offices tagged for it, as the file says."""
    return {
        (country, location): names
        for country, by_name in offices.items()
        for location, tag in location_tag.items()
        if (names := tuple(name for name, tags in by_name.items() if tag in tags))
    }


def commodities_hold(spec):
    rows_of = {category: [(tuple(row[:-1]), row[-1]) for row in rows] for category, rows in spec.items()}
    return list(synth._COMMODITIES) == list(spec) and all(
        holds(synth._COMMODITIES[category], rows, dataclasses.astuple) for category, rows in rows_of.items()
    )


def profiles_hold(spec):
    # The table for a case that is not e-commerce: every profile, postal ones a fifth as likely.
    def other(rows):
        return [((loc, conv, conc), w * (0.2 if conv in synth._POSTAL else 1.0)) for loc, conv, conc, w in rows]

    return all(holds(synth._PROFILES[key][1], other(rows)) for key, rows in spec.items())


def evaluation_holds(spec):
    joint = [((s, i), ws * wi) for s, ws in synth._SOURCE_EVAL.items() for i, wi in spec.items()]
    return synth._INFO_EVAL == spec and holds(synth._EVALUATION, joint)


PLACES = synth._DATA["places.json"]
# For each data file, how each of its entries shows in the module's tables.
READS = {
    "regions.json": {
        "case_share": the_same(synth.REGION_CASE_SHARE),
        "items_per_case": the_same(synth.REGION_ITEMS_PER_CASE),
        "country_weight": lambda spec: spec.keys() == synth.REGION_CASE_SHARE.keys()
        and list(synth._COUNTRY_WEIGHT.items()) == [item for weights in spec.values() for item in weights.items()],
        "default_weight": the_same(synth._REGION_DEFAULT_WEIGHT),
    },
    "commodities.json": {
        "region_section": lambda spec: all_hold(synth._REGION_SECTION, spec),
        "all_sections": lambda spec: holds(synth._ALL_SECTIONS, spec),
        "section_category": lambda spec: all_hold(synth._SECTION_CATEGORY, spec),
        "region_drug_category": lambda spec: all_hold(synth._REGION_DRUG_CATEGORY, spec),
        "commodity_columns": the_same([field.name for field in dataclasses.fields(synth._Commodity)] + ["weight"]),
        "commodities": commodities_hold,
        "scale_sensitivity": the_same(synth._SCALE_SENSITIVITY),
        "conveyance_scale": the_same(synth._CONVEYANCE_SCALE),
        "concealment_scale": the_same(synth._CONCEALMENT_SCALE),
        "usd_per": the_same(synth._USD_PER),
        "region_currency": lambda spec: all_hold(synth._REGION_CURRENCY, spec),
    },
    "profiles.json": {
        "section_detection": lambda spec: all_hold(synth._SECTION_DETECTION, spec),
        "section_ecommerce": the_same(synth._SECTION_ECOM),
        "category_ecommerce": the_same(synth._CATEGORY_ECOM),
        "region_ecommerce": the_same(synth._REGION_ECOM),
        "profiles": profiles_hold,
        "category_direction": lambda spec: all_hold(synth._CATEGORY_DIRECTION, spec),
        "source_evaluation": the_same(synth._SOURCE_EVAL),
        "source_evaluation_intelligence": the_same(synth._SOURCE_EVAL_INTEL),
        "information_evaluation": evaluation_holds,
    },
    "routes.json": {
        "departure": lambda spec: all_hold(synth._DEPARTURE, spec),
        "region_departure": lambda spec: all_hold(
            synth._REGION_DEPARTURE, {tuple(key.split("|")): weights for key, weights in spec.items()}
        ),
        "generic_departure": lambda spec: holds(synth._GENERIC_DEPARTURE, spec),
        "destination": lambda spec: all_hold(synth._DESTINATION, spec),
        "transit_hubs": lambda spec: all_hold(synth._TRANSIT_HUBS, spec),
    },
    "places.json": {
        "offices": lambda spec: synth._OFFICE_CITIES == offices_by_location(spec, PLACES["location_tag"]),
        "location_tag": lambda spec: spec.keys() == synth._OFFICE_SUFFIX.keys()
        and synth._OFFICE_CITIES == offices_by_location(PLACES["offices"], spec),
        "office_suffix": the_same(synth._OFFICE_SUFFIX),
        "country_names": the_same(synth._COUNTRY_NAMES),
    },
    "texts.json": {
        "decoys": the_same(list(synth._DECOYS)),
        "concealment": the_same({key: list(texts) for key, texts in synth._CONCEAL_TEXT.items()}),
        "special_concealment": the_same({f"{a}|{b}": list(texts) for (a, b), texts in synth._SPECIAL_CONCEAL.items()}),
        "detection": the_same(synth._DETECTION_TEXT),
        "unit": the_same(synth._UNIT_TEXT),
    },
    "offenders.json": {
        "annex_chance": the_same(synth._ANNEX_CHANCE),
        "roles": lambda spec: all_hold(synth._ROLES, spec),
        "default_roles": lambda spec: holds(synth._DEFAULT_ROLES, spec),
        "nationality": lambda spec: holds(synth._NATIONALITY_POOL, spec),
        "annex_notes": the_same(list(synth._ANNEX_NOTES)),
    },
    "policies.json": {
        "mixes": lambda spec: list(spec) == list(POLICY_MIXES) and all_hold(synth._POLICY_MIX, spec),
        "handling": lambda spec: holds(synth._HANDLING, [tuple(row) for row in spec]),
        "handling_notes": the_same(list(synth._HANDLING_NOTES)),
    },
}


def test_the_data_files_ship_beside_the_module_and_its_tables_hold_every_entry_of_each_one():
    folder = resources.files("rilo_node.sim") / "data"
    shipped = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    assert shipped == sorted(synth._DATA_FILES) == sorted(READS)
    for name in shipped:
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        assert isinstance(doc, dict) and doc and all(doc.values()), name
        assert doc == synth._DATA[name], name
        # Every entry of the file is read, and the module's table holds what the file says.
        assert doc.keys() == READS[name].keys(), name
        for key, spec in doc.items():
            assert READS[name][key](spec), f"{name}: {key}"
