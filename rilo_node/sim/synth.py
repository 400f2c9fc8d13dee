"""Synthetic seizure cases shaped by the ITR 2025 figures (domain README §6), reproducible from a seed (pure).

The figures and priors are JSON files in data/ beside this module, read once at import:
regions, commodities, profiles (how a seizure was found and carried), routes, places,
texts, offenders and policies. The sampling, and the tables derived from them, are here.
"""

from __future__ import annotations

import datetime
import json
import math
import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from math import exp
from statistics import NormalDist
from typing import Any

__all__ = [
    "Origin",
    "POLICY_MIXES",
    "generate_seizures",
    "make_record_id",
    "origin_weights",
    "origins_from_nodes",
]


@dataclass(frozen=True)
class Origin:
    """A reporting member node, as the generator needs it."""

    node_id: str  # "de"
    country: str  # "DE"
    region: str  # "EUR", "AMS", "AP", "MENA", "ESA", "WCA"
    area: str | None  # its RILO, e.g. "rilo-we"; None for us/ca/mx (ITR area "NAM")


def origins_from_nodes(nodes: Iterable[Any]) -> list[Origin]:
    """Origins for the member nodes of a directory (anything with id, role, region, area)."""
    out = []
    for node in nodes:
        if getattr(node, "role", "member") != "member" or not getattr(node, "region", None):
            continue
        out.append(Origin(node.id, (getattr(node, "country", None) or node.id).upper(), node.region, node.area))
    return out


# --- weighted choice -------------------------------------------------------------


class _Table:
    """A categorical distribution; pick() costs one random() and one bisect."""

    __slots__ = ("values", "cum", "total", "pick")

    def __init__(self, pairs: Iterable[tuple[Any, float]]):
        values, cum, total = [], [], 0.0
        for value, weight in pairs:
            if weight <= 0:
                continue
            total += weight
            values.append(value)
            cum.append(total)
        if not values:
            raise ValueError("a table needs at least one positive weight")
        # Normalised, with the last edge exactly 1.0 so that random() < 1.0 always lands.
        self.values, self.total = tuple(values), total
        self.cum = [c / total for c in cum[:-1]] + [1.0]
        # A closure, not a method: the generator calls this a dozen times per case.
        values, cum = self.values, self.cum

        def pick(rng: random.Random) -> Any:
            return values[bisect_right(cum, rng.random())]

        self.pick = pick

    def share(self, value: Any) -> float:
        """The probability of `value` (0 if absent)."""
        prev = 0.0
        for v, c in zip(self.values, self.cum):
            if v == value:
                return c - prev
            prev = c
        return 0.0


def _t(spec: dict[Any, float]) -> _Table:
    return _Table(spec.items())


# --- the data tables: data/*.json beside this module ---------------------------------

# A JSON object keeps its order, which is the order of a weighted table's choices; a key
# of two codes is written "A|B" (say "CANNABIS|EUR"). [U] marks priors, not ITR figures.
_DATA_FILES = ("regions.json", "commodities.json", "profiles.json", "routes.json", "places.json", "texts.json",
               "offenders.json", "policies.json")  # fmt: skip


def _load(name: str) -> dict[str, Any]:
    """One data file beside this module, parsed."""
    return json.loads((files("rilo_node.sim") / "data" / name).read_text(encoding="utf-8"))


_DATA: dict[str, dict[str, Any]] = {name: _load(name) for name in _DATA_FILES}


def _tables(spec: dict[str, Any]) -> dict[str, _Table]:
    return {key: _t(weights) for key, weights in spec.items()}


def _pairs(spec: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """{"A|B": value} -> {("A", "B"): value}: a JSON key is a string."""
    return {(key.partition("|")[0], key.partition("|")[2]): value for key, value in spec.items()}


# --- who reports how much (README §6.2, §6.5, §6.6): regions.json ------------------

# Cases and mean seizures (items) per case by region (§6.2); the administrations that
# report most of their region's cases (§6.5 "countries most involved"; the US alone
# over half of the Americas) as relative weights, any other member its region's default.
_src = _DATA["regions.json"]
REGION_CASE_SHARE: dict[str, float] = _src["case_share"]
REGION_ITEMS_PER_CASE: dict[str, float] = _src["items_per_case"]
_COUNTRY_WEIGHT: dict[str, float] = {c: w for weights in _src["country_weight"].values() for c, w in weights.items()}
_REGION_DEFAULT_WEIGHT: dict[str, float] = _src["default_weight"]


def origin_weights(origins: Sequence[Origin]) -> list[float]:
    """How much each origin reports (sums to 1): its region's share of ITR cases, split unevenly.

    Regions without any origin drop out and the others are scaled up, so a small
    simulated network keeps the ITR proportions between the regions it has.
    """
    raw = [_COUNTRY_WEIGHT.get(o.country.upper(), _REGION_DEFAULT_WEIGHT.get(o.region, 0.5)) for o in origins]
    region_total: dict[str, float] = {}
    for o, w in zip(origins, raw):
        region_total[o.region] = region_total.get(o.region, 0.0) + w
    # An unknown region still reports a little rather than nothing.
    weights = [REGION_CASE_SHARE.get(o.region, 0.2) * w / region_total[o.region] for o, w in zip(origins, raw)]
    total = sum(weights)
    return [w / total for w in weights] if total > 0 else weights


# --- what is seized (README §6.2, §6.3, §6.4): commodities.json ----------------------

# Seizures by region x section (§6.2; cultural heritage, absent from the 2025 dashboard,
# a prior) and by category (§6.3; precursors and other revenue priors); drug markets by
# region [U]; sub-commodities (§2.3) as rows of "commodity_columns", medians for an air
# passenger's seizure; how far the means of transport scales a seizure's size (1 =
# fully); rough 2025 USD rates; cash currencies by region (top EUR, USD, SAR, PLN, UAH).
_src = _DATA["commodities.json"]
_REGION_SECTION: dict[str, _Table] = _tables(_src["region_section"])
_ALL_SECTIONS = _t(_src["all_sections"])
_SECTION_CATEGORY: dict[str, _Table] = _tables(_src["section_category"])
_REGION_DRUG_CATEGORY: dict[str, _Table] = _tables(_src["region_drug_category"])
_SECTION_OF: dict[str, str] = {c: s for s, table in _SECTION_CATEGORY.items() for c in table.values}


@dataclass(frozen=True)
class _Commodity:
    name: str
    hs_code: str | None
    kind: str  # "kg" (KG, or G below 1 kg), "kgonly", "g", "l", "pcs", "cash"
    median: float  # in kg, g, litres, pieces, or USD for cash
    sigma: float  # log-normal spread
    price: float  # rough USD per kg / g / litre / piece, for value_usd


# Each row is the _Commodity fields, then its weight.
_COMMODITIES: dict[str, _Table] = {
    category: _Table((_Commodity(*row[:-1]), row[-1]) for row in rows) for category, rows in _src["commodities"].items()
}
_SCALE_SENSITIVITY: dict[str, float] = _src["scale_sensitivity"]
_CONVEYANCE_SCALE: dict[str, float] = _src["conveyance_scale"]
_CONCEALMENT_SCALE: dict[str, float] = _src["concealment_scale"]
_USD_PER: dict[str, float] = _src["usd_per"]
_REGION_CURRENCY: dict[str, _Table] = _tables(_src["region_currency"])

# Standard normal deviates at evenly spaced quantiles: one random() and an index
# instead of a Box-Muller draw (the tails reach about 3.8 sigma).
_N_QUANTILES = 8192
_NORMAL_QUANTILES = tuple(NormalDist().inv_cdf((i + 0.5) / _N_QUANTILES) for i in range(_N_QUANTILES))

# --- how it was found and carried (README §6.4, §5.3): profiles.json -----------------

# Detection by section; e-commerce share by section, category and region (§6.2); joint
# [location, conveyance, concealment, weight] profiles by category or section (§6.4
# counts for drugs, tobacco and IPR, priors [U] otherwise; ENVIRONMENT is waste, ODS and
# other hazards, SECURITY weapons); direction (§6.4 for drugs, tobacco, IPR); the
# Europol 4x4 evaluation (§5.3; intelligence-led cases have better-known sources [U]).
_src = _DATA["profiles.json"]
_SECTION_DETECTION: dict[str, _Table] = _tables(_src["section_detection"])
_SECTION_ECOM: dict[str, float] = _src["section_ecommerce"]
_CATEGORY_ECOM: dict[str, float] = _src["category_ecommerce"]
_REGION_ECOM: dict[str, float] = _src["region_ecommerce"]
# Section shares scaled so that each region's overall e-commerce share matches §6.2.
_ECOM_FACTOR: dict[str, float] = {
    region: _REGION_ECOM[region] / sum(table.share(section) * _SECTION_ECOM[section] for section in table.values)
    for region, table in _REGION_SECTION.items()
}
_POSTAL = frozenset({"MAIL", "EXPRESS_COURIER"})
_PROFILES_SPEC: dict[str, list[list[Any]]] = dict(_src["profiles"])
_PROFILES_SPEC["IPR_HEALTH_SAFETY"] = _PROFILES_SPEC["IPR_PRODUCTS"]
_PROFILES_SPEC["REVENUE"] = _PROFILES_SPEC["TOBACCO_PRODUCTS"]
_PROFILES_SPEC["GOLD"] = _PROFILES_SPEC["GEMSTONES"] = _PROFILES_SPEC["AML_CTF"]


def _profile_tables() -> dict[str, tuple[_Table, _Table]]:
    # (e-commerce cases: postal profiles only; other cases: everything, postal rarer)
    out = {}
    for key, rows in _PROFILES_SPEC.items():
        postal = [((loc, conv, conc), w) for loc, conv, conc, w in rows if conv in _POSTAL]
        other = [((loc, conv, conc), w * (0.2 if conv in _POSTAL else 1.0)) for loc, conv, conc, w in rows]
        out[key] = (_Table(postal) if postal else _Table(other), _Table(other))
    return out


_PROFILES = _profile_tables()
_CATEGORY_DIRECTION: dict[str, _Table] = _tables(_src["category_direction"])
_SOURCE_EVAL: dict[str, int] = _src["source_evaluation"]
_SOURCE_EVAL_INTEL: dict[str, int] = _src["source_evaluation_intelligence"]
_INFO_EVAL: dict[str, int] = _src["information_evaluation"]
_EVALUATION = _Table(((s, i), ws * wi) for s, ws in _SOURCE_EVAL.items() for i, wi in _INFO_EVAL.items())
_EVALUATION_INTEL = _Table(((s, i), ws * wi) for s, ws in _SOURCE_EVAL_INTEL.items() for i, wi in _INFO_EVAL.items())
_INTEL = frozenset({"INTELLIGENCE", "INVESTIGATION"})

# --- routes (README §6.5 and its area flows; tobacco §6.4; priors [U]): routes.json ---

_src = _DATA["routes.json"]
_DEPARTURE: dict[str, _Table] = _tables(_src["departure"])
_REGION_DEPARTURE: dict[tuple[str, str], _Table] = _pairs(_tables(_src["region_departure"]))  # "CATEGORY|REGION"
_GENERIC_DEPARTURE = _t(_src["generic_departure"])
_DESTINATION: dict[str, _Table] = _tables(_src["destination"])
_TRANSIT_HUBS: dict[str, _Table] = _tables(_src["transit_hubs"])  # by conveyance, or by region over land
_TRANSIT_HUBS["EXPRESS_COURIER"] = _TRANSIT_HUBS["MAIL"]

# --- places and texts (free-text searchable descriptions): places.json, texts.json ---

# Customs offices of the bigger reporters, tagged by what they handle (A airport, M mail
# and express hub, S seaport, B land border, R rail, I inland), as (country, location)
# -> city names; English country names (free-text search finds "Ecuador"; a code
# without one is written as the code); concealment phrases, and those that belong to
# one commodity ("CATEGORY|CONCEALMENT", §6.4 narratives [U]).
_src = _DATA["places.json"]
_OFFICE_CITIES: dict[tuple[str, str], tuple[str, ...]] = {
    (country, location): names
    for country, offices in _src["offices"].items()
    for location, tag in _src["location_tag"].items()
    if (names := tuple(name for name, tags in offices.items() if tag in tags))
}
_OFFICE_SUFFIX: dict[str, str] = _src["office_suffix"]
_COUNTRY_NAMES: dict[str, str] = _src["country_names"]

_src = _DATA["texts.json"]
_DECOYS: tuple[str, ...] = tuple(_src["decoys"])
_CONCEAL_TEXT: dict[str, tuple[str, ...]] = {key: tuple(texts) for key, texts in _src["concealment"].items()}
_SPECIAL_CONCEAL: dict[tuple[str, str], tuple[str, ...]] = _pairs(
    {key: tuple(texts) for key, texts in _src["special_concealment"].items()}
)
_DETECTION_TEXT: dict[str, str] = _src["detection"]
_UNIT_TEXT: dict[str, str] = _src["unit"]

# --- offenders (annex): offenders.json -----------------------------------------------

# Chance of an annex with offenders by concealment (couriers and drivers are known, a
# parcel's consignee only sometimes); their roles, nationalities, and notes.
_src = _DATA["offenders.json"]
_ANNEX_CHANCE: dict[str, float] = _src["annex_chance"]
_ROLES: dict[str, _Table] = _tables(_src["roles"])
_DEFAULT_ROLES = _t(_src["default_roles"])
_NATIONALITY_POOL = _t(_src["nationality"])
_ANNEX_NOTES: tuple[str, ...] = tuple(_src["annex_notes"])

# --- sharing policies (docs/protocol.md#sharing-policy, README §5.5): policies.json ---

# realistic: mostly GREEN/GLOBAL or the default REGION, some AMBER/AMBER_STRICT/AREA, a
# few RILOS and RED. Handling rows are [code, weight], null for none.
_src = _DATA["policies.json"]
POLICY_MIXES: tuple[str, ...] = ("realistic", "open", "default", "restricted", "uniform")
_POLICY_MIX: dict[str, _Table] = {name: _t(_src["mixes"][name]) for name in POLICY_MIXES}
_BARE = _POLICY_MIX["default"]  # no policy at all: every part takes the node's default
_RESTRICTED_KINDS = frozenset({"amber_strict", "area", "red", "named"})
_HANDLING = _Table((code, weight) for code, weight in _src["handling"])
_HANDLING_NOTES: tuple[str, ...] = tuple(_src["handling_notes"])
del _src


# --- record ids ---------------------------------------------------------------------

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)  # 10 bits -> two characters
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


def _ulid(rng: random.Random, ms: int) -> str:
    """48 bits of time then 80 random bits, as 13 two-character groups of 10 bits each.

    Kept to ints below 2**30 (one CPython digit): this runs once per generated record.
    """
    if not 0 <= ms < 1 << 48:
        raise ValueError(f"{ms} ms since 1970 does not fit the 48 bits of a ULID")
    pairs = _PAIRS
    getrandbits = rng.getrandbits
    high, mid, low = getrandbits(30), getrandbits(30), getrandbits(20)
    # The time takes 50 bits (10 characters) whose top 2 are zero.
    return (
        pairs[ms >> 40] + pairs[(ms >> 30) & 1023] + pairs[(ms >> 20) & 1023] + pairs[(ms >> 10) & 1023]
        + pairs[ms & 1023] + pairs[high >> 20] + pairs[(high >> 10) & 1023] + pairs[high & 1023]
        + pairs[mid >> 20] + pairs[(mid >> 10) & 1023] + pairs[mid & 1023] + pairs[low >> 10] + pairs[low & 1023]
    )  # fmt: skip


def make_record_id(rng: random.Random, when: datetime.datetime) -> str:
    """A ULID (26 Crockford base32 characters): 48 bits of milliseconds since 1970, 80 bits from rng.

    A naive `when` is taken as UTC. The same rng state and time give the same id.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    ms = int(when.timestamp() * 1000)
    if ms < 0:
        raise ValueError(f"{when.isoformat()} is before 1970: a ULID cannot carry it")
    return _ulid(rng, ms)


# Days between a seizure and its entry: mostly the same week, sometimes weeks later
# (exponential, mean 4 days), at evenly spaced quantiles so one random() picks one.
_ENTRY_DELAYS = tuple(int(-4.0 * math.log(1.0 - (i + 0.5) / 256)) for i in range(256))


# --- the generator ------------------------------------------------------------------

_HISTORY_DAYS = 730  # about two years of cases


@dataclass(frozen=True)
class _Flow:
    """Everything about a (category, region) that does not change from case to case."""

    section: str
    p_ecom: float
    # (location, conveyance, concealment, direction): for e-commerce cases, for the others
    modes: tuple[_Table, _Table]
    detection: _Table
    departures: _Table
    destinations: _Table


def _modes(profiles: _Table, directions: _Table) -> _Table:
    # One joint table, so a case costs one draw: an inland find is internal trade
    # three times in ten; a parcel is never internal (it came from abroad).
    joint: dict[tuple[str, str, str, str], float] = {}
    for profile in profiles.values:
        p = profiles.share(profile)
        location, conveyance, _ = profile
        for direction in directions.values:
            q = p * directions.share(direction)
            if location == "INLAND":
                joint[(*profile, "INTERNAL")] = joint.get((*profile, "INTERNAL"), 0.0) + 0.3 * q
                q *= 0.7
            if direction == "INTERNAL" and conveyance in _POSTAL:
                direction = "IMPORT"
            joint[(*profile, direction)] = joint.get((*profile, direction), 0.0) + q
    return _Table(joint.items())


def _flow(category: str, region: str) -> _Flow:
    section = _SECTION_OF[category]
    profiles = _PROFILES.get(category) or _PROFILES[section]
    directions = _CATEGORY_DIRECTION.get(category) or _CATEGORY_DIRECTION[section]
    return _Flow(
        section=section,
        p_ecom=_CATEGORY_ECOM.get(category, _SECTION_ECOM[section]) * _ECOM_FACTOR.get(region, 1.0),
        modes=(_modes(profiles[0], directions), _modes(profiles[1], directions)),
        detection=_SECTION_DETECTION[section],
        departures=_REGION_DEPARTURE.get((category, region)) or _DEPARTURE.get(category, _GENERIC_DEPARTURE),
        destinations=_DESTINATION.get(category) or _DESTINATION.get(section) or _DESTINATION["GENERIC"],
    )


def _region_categories(region: str | None) -> _Table:
    """(section, category) for a case of `region`: §6.2 section mix times the §6.3 category mix."""
    sections = _REGION_SECTION.get(region, _ALL_SECTIONS)
    joint = []
    for section in sections.values:
        categories = _SECTION_CATEGORY[section]
        if section == "DRUGS" and region in _REGION_DRUG_CATEGORY:
            categories = _REGION_DRUG_CATEGORY[region]
        joint += [((section, c), sections.share(section) * categories.share(c)) for c in categories.values]
    return _Table(joint)


_FLOWS: dict[tuple[str, str], _Flow] = {}  # pure functions of the tables above


def _flow_for(category: str, region: str) -> _Flow:
    flow = _FLOWS.get((category, region))
    if flow is None:
        flow = _FLOWS[(category, region)] = _flow(category, region)
    return flow


@dataclass(frozen=True)
class _Reporter:
    """What the generator needs about one origin, looked up once."""

    origin: Origin
    country: str
    region: str
    categories: _Table  # (section, category)
    p_more: float  # chance of one more item: the region's mean items per case (§6.2)
    hubs: _Table  # land transit countries of its region


class _Context:
    """Lookups derived once from the origins list and today."""

    def __init__(self, origins: Sequence[Origin], today: datetime.date):
        self.origins = list(origins)
        self.pick_origin = _Table(zip(range(len(origins)), origin_weights(origins)))
        self.by_country = {o.country.upper(): o.node_id for o in origins}
        self.areas = sorted({o.area for o in origins if o.area})
        self.sequence = [0] * len(origins)
        region_categories = {o.region: _region_categories(o.region) for o in origins}
        self.reporters = []
        for o in origins:
            mean_extra = REGION_ITEMS_PER_CASE.get(o.region, 1.2) - 1.0
            self.reporters.append(_Reporter(
                origin=o,
                country=o.country.upper(),
                region=o.region,
                categories=region_categories[o.region],
                p_more=mean_extra / (1.0 + mean_extra),
                hubs=_TRANSIT_HUBS.get(o.region, _TRANSIT_HUBS["AIR"]),
            ))  # fmt: skip
        self.today_ordinal = today.toordinal()
        # (ISO date, year) for each day back from today.
        self.days = [
            (d.isoformat(), d.year)
            for d in (datetime.date.fromordinal(self.today_ordinal - i) for i in range(_HISTORY_DAYS))
        ]


def generate_seizures(
    n: int,
    origins: Sequence[Origin],
    *,
    seed: int,
    today: datetime.date,
    policy_mix: str = "realistic",
    record_ids: bool = True,
) -> Iterator[tuple[str, dict]]:
    """Yield n (origin node id, seizure dict in the shape of docs/protocol.md#seizure-fields); the same seed gives the same output.

    Each case is dated within the two years up to `today` (never after it).
    policy_mix: "realistic" (ITR-like: mostly GREEN or the default REGION), "open"
    (all GLOBAL), "default" (an empty policy: the node's defaults), "restricted"
    (many AMBER_STRICT, AREA and RED), "uniform" (every kind equally often).
    Named nodes in a policy are only ids of the origins or of their RILOs.
    """
    if n < 0:
        raise ValueError(f"n must not be negative ({n})")
    if not origins:
        raise ValueError("generate_seizures needs at least one origin")
    if policy_mix not in _POLICY_MIX:
        raise ValueError(f"unknown policy_mix {policy_mix!r} (one of {', '.join(POLICY_MIXES)})")
    if isinstance(today, datetime.datetime):
        today = today.date()
    rng = random.Random(seed)
    ctx = _Context(origins, today)
    mix = _POLICY_MIX[policy_mix]
    pick_origin, reporters, sequence = ctx.pick_origin.pick, ctx.reporters, ctx.sequence
    for _ in range(n):
        index = pick_origin(rng)
        sequence[index] += 1
        reporter = reporters[index]
        yield reporter.origin.node_id, _case(rng, ctx, reporter, sequence[index], mix, record_ids)


def _pick_country(rng: random.Random, table: _Table, avoid: tuple[str, ...]) -> str:
    for _ in range(6):
        code = table.pick(rng)
        if code not in avoid:
            return code
    for code in _GENERIC_DEPARTURE.values:
        if code not in avoid:
            return code
    raise AssertionError("unreachable: the generic table has more countries than any avoid list")


def _case(rng: random.Random, ctx: _Context, reporter: _Reporter, sequence: int, mix: _Table, record_ids: bool) -> dict:
    region = reporter.region
    country = reporter.country
    rand = rng.random

    # What: the first item decides the case's profile.
    section, category = reporter.categories.pick(rng)
    flow = _FLOWS.get((category, region)) or _flow_for(category, region)

    # E-commerce, then where and how it was found and carried, and which way it went.
    ecommerce = rand() < flow.p_ecom
    location, conveyance, concealment, direction = flow.modes[0 if ecommerce else 1].pick(rng)
    ecommerce = ecommerce and conveyance in _POSTAL
    detection = flow.detection.pick(rng)

    # Route: the reporting country sits at the end that matches the direction.
    transit: list[str] = []
    if direction == "IMPORT":
        destination = country
        departure = _pick_country(rng, flow.departures, (country,))
    elif direction == "EXPORT":
        departure = country
        destination = _pick_country(rng, flow.destinations, (country,))
    elif direction == "TRANSIT":
        departure = _pick_country(rng, flow.departures, (country,))
        destination = _pick_country(rng, flow.destinations, (country, departure))
        transit.append(country)
    else:
        departure = destination = country
    if direction == "IMPORT" or direction == "EXPORT":
        r = rand()
        if r < 0.25:
            hubs = _TRANSIT_HUBS.get(conveyance) or reporter.hubs
            for _ in range(2 if r < 0.05 else 1):
                hub = _pick_country(rng, hubs, (country, departure, destination, *transit))
                transit.insert(0, hub)

    # Items: mean count per case by region (§6.2), extra items mostly alike.
    scale_base = _CONVEYANCE_SCALE[conveyance] * _CONCEALMENT_SCALE.get(concealment, 1.0)
    scale = scale_base ** _SCALE_SENSITIVITY.get(category, 1.0)
    items = [_item(rng, section, category, region, scale)]
    p_more = reporter.p_more
    while rand() < p_more and len(items) < 12:
        r = rand()
        if r < 0.7:
            items.append(_item(rng, section, category, region, scale))
            continue
        if r < 0.95:
            sec, cat = section, _SECTION_CATEGORY[section].pick(rng)
        else:
            sec, cat = reporter.categories.pick(rng)
        items.append(_item(rng, sec, cat, region, scale_base ** _SCALE_SENSITIVITY.get(cat, 1.0)))

    # When: the last two years, never after today; entered a few days later.
    days_ago = int(rand() * _HISTORY_DAYS)
    seizure_date, year = ctx.days[days_ago]
    cities = _OFFICE_CITIES.get((country, location))
    place = cities[int(rand() * len(cities))] if cities else _COUNTRY_NAMES.get(country, country)
    office = f"{place} {_OFFICE_SUFFIX[location]}"

    source, information = (_EVALUATION_INTEL if detection in _INTEL else _EVALUATION).pick(rng)
    body = {
        "case_ref": f"{country}-{year}-{sequence:06d}",
        "seizure_date": seizure_date,
        "country": country,
        "customs_office": office,
        "location_type": location,
        "direction": direction,
        "detection": detection,
        "conveyance": conveyance,
        "concealment": concealment,
        "departure_country": departure,
        "transit_countries": transit,
        "destination_country": destination,
        "ecommerce": ecommerce,
        "items": items,
        "description": _description(rng, items, category, concealment, direction, departure, destination,
                                    transit, detection, office, ecommerce),
        "evaluation": {"source": source, "information": information},
    }  # fmt: skip
    if record_ids:
        delay = _ENTRY_DELAYS[int(rand() * 256)]
        day = ctx.today_ordinal - days_ago + (delay if delay < days_ago else days_ago)
        seizure = {"record_id": _ulid(rng, (day - _EPOCH_ORDINAL) * 86_400_000 + int(rand() * 86_400_000))}
        seizure.update(body)
    else:
        seizure = body
    offenders = None
    if rand() < _ANNEX_CHANCE.get(concealment, 0.15):
        offenders = _offenders(rng, concealment, country, departure, year)
    seizure["policy"] = _policy(rng, ctx, reporter.origin, mix, departure, destination, transit, offenders is not None)
    if offenders is not None:
        annex: dict[str, Any] = {"offenders": offenders}
        if rand() < 0.1:
            annex["notes"] = _ANNEX_NOTES[int(rand() * len(_ANNEX_NOTES))]
        seizure["annex"] = annex
    return seizure


def _item(rng: random.Random, section: str, category: str, region: str, scale: float) -> dict:
    """One seized item; `scale` is how the means of transport scales its size (already per category)."""
    rand = rng.random
    commodity: _Commodity = _COMMODITIES[category].pick(rng)
    # Log-normal around the commodity's median, scaled by how it travelled.
    amount = commodity.median * scale * exp(commodity.sigma * _NORMAL_QUANTILES[int(rand() * _N_QUANTILES)])
    kind = commodity.kind
    # int(x + 0.5) rounds a positive number much faster than round(x, n) does.
    if kind == "cash":
        currency = _REGION_CURRENCY.get(region, _REGION_CURRENCY["AMS"]).pick(rng)
        rate = _USD_PER[currency]
        quantity: float = int(amount / rate / 10.0 + 0.5) * 10 or 10
        return {"section": section, "category": category, "commodity": commodity.name, "quantity": quantity,
                "unit": "CURRENCY", "currency": currency, "value_usd": int(quantity * rate + 0.5)}  # fmt: skip
    if kind == "pcs":
        quantity, unit = int(amount + 0.5) or 1, "PIECES"
    elif kind == "l":
        if amount < 1.0:
            quantity, unit = int(amount * 1000.0 + 0.5) or 1, "ML"
        else:
            quantity, unit = int(amount * 100.0 + 0.5) / 100.0, "L"
    elif kind == "g" or (kind == "kg" and amount < 1.0):
        grams = amount if kind == "g" else amount * 1000.0
        quantity, unit = (int(grams * 10.0 + 0.5) or 1) / 10.0, "G"
    else:  # "kg", "kgonly"
        quantity, unit = (int(amount * 1000.0 + 0.5) or 1) / 1000.0, "KG"
    value = int(amount * commodity.price * (0.7 + 0.6 * rand()) + 0.5)
    if commodity.hs_code:
        return {"section": section, "category": category, "commodity": commodity.name,
                "hs_code": commodity.hs_code, "quantity": quantity, "unit": unit, "value_usd": value}  # fmt: skip
    return {"section": section, "category": category, "commodity": commodity.name, "quantity": quantity,
            "unit": unit, "value_usd": value}  # fmt: skip


def _description(
    rng: random.Random,
    items: list[dict],
    category: str,
    concealment: str,
    direction: str,
    departure: str,
    destination: str,
    transit: list[str],
    detection: str,
    office: str,
    ecommerce: bool,
) -> str:
    first = items[0]
    quantity = first["quantity"]
    amount = f"{quantity:,}" if type(quantity) is int else f"{quantity:,.3f}".rstrip("0").rstrip(".")
    unit = first["unit"]
    if unit == "CURRENCY":
        what = f"{amount} {first['currency']} in {first['commodity']}"
    else:
        what = f"{amount} {'piece' if quantity == 1 and unit == 'PIECES' else _UNIT_TEXT[unit]} of {first['commodity']}"
    if len(items) > 1:
        others = list(dict.fromkeys([item["commodity"] for item in items[1:]]))
        if first["commodity"] in others:
            others.remove(first["commodity"])
        if len(others) == 1:
            what += f" and {others[0]}"
        elif others:
            what += f", {others[0]} and {len(others) - 1} other commodit{'ies' if len(others) > 2 else 'y'}"
        what += f" ({len(items)} seizures)"
    phrases = _PHRASES.get((category, concealment, ecommerce)) or _phrases(category, concealment, ecommerce)
    conceal = phrases[int(rng.random() * len(phrases))]
    names = _COUNTRY_NAMES
    via = f" via {', '.join([names.get(c, c) for c in transit])}" if transit else ""
    if direction == "IMPORT":
        route = f"arriving from {names.get(departure, departure)}{via}"
    elif direction == "EXPORT":
        route = f"leaving for {names.get(destination, destination)}{via}"
    elif direction == "TRANSIT":
        route = f"in transit from {names.get(departure, departure)} to {names.get(destination, destination)}{via}"
    else:
        route = f"within {names.get(destination, destination)}"
    return f"{what}{conceal}, {route}. {_DETECTION_TEXT[detection]} at {office}."


_PHRASES: dict[tuple[str, str, bool], tuple[str, ...]] = {}


def _phrases(category: str, concealment: str, ecommerce: bool) -> tuple[str, ...]:
    """Every concealment phrase, decoys filled in, each starting with ", " (or empty)."""
    out = []
    for template in _SPECIAL_CONCEAL.get((category, concealment)) or _CONCEAL_TEXT[concealment]:
        # Every template equally likely: one without a decoy is repeated as often as the decoys.
        texts = [template.format(decoy=d) if "{decoy}" in template else template for d in _DECOYS]
        for text in texts:
            if ecommerce:
                text = f"{text}, ordered online" if text else "ordered online"
            out.append(f", {text}" if text else "")
    phrases = _PHRASES[(category, concealment, ecommerce)] = tuple(out)
    return phrases


def _offenders(rng: random.Random, concealment: str, country: str, departure: str, year: int) -> list[dict]:
    r = rng.random()
    count = 1 if r < 0.7 else 2 if r < 0.9 else 3 if r < 0.97 else 4
    roles = _ROLES.get(concealment, _DEFAULT_ROLES)
    out = []
    for _ in range(count):
        r = rng.random()
        if r < 0.35:
            nationality = country
        elif r < 0.7 and departure != country:
            nationality = departure
        else:
            nationality = _NATIONALITY_POOL.pick(rng)
        age = int(rng.triangular(18, 70, 32))
        out.append({
            "nationality": nationality,
            "gender": "M" if rng.random() < 0.8 else "F",
            "birth_year": year - age,
            "role": roles.pick(rng),
        })  # fmt: skip
    return out


def _partners(
    rng: random.Random, ctx: _Context, origin: Origin, route: Iterable[str], want: int
) -> list[str]:
    """One or two node ids to name in a policy: a country on the route, the own RILO, or a frequent reporter."""
    own = origin.node_id
    out: list[str] = []
    on_route = [ctx.by_country[c] for c in route if c in ctx.by_country and ctx.by_country[c] != own]
    if on_route and rng.random() < 0.7:
        out.append(on_route[int(rng.random() * len(on_route))])
    if origin.area and origin.area not in out and rng.random() < 0.4:
        out.append(origin.area)
    for _ in range(8):
        if len(out) >= want:
            break
        if ctx.areas and rng.random() < 0.15:
            candidate = ctx.areas[int(rng.random() * len(ctx.areas))]
        else:
            candidate = ctx.origins[ctx.pick_origin.pick(rng)].node_id
        if candidate != own and candidate not in out:
            out.append(candidate)
    return out[:want]


def _policy(
    rng: random.Random,
    ctx: _Context,
    origin: Origin,
    mix: _Table,
    departure: str,
    destination: str,
    transit: list[str],
    has_annex: bool,
) -> dict:
    if mix is _BARE:
        return {}
    kind = mix.pick(rng)
    policy: dict[str, Any]
    if kind in ("red", "named"):
        nodes = _partners(rng, ctx, origin, (destination, departure, *transit), 1 if rng.random() < 0.6 else 2)
        if not nodes:  # a lone origin has nobody to name: its own area instead
            kind = "amber_strict"
        elif kind == "red":
            policy = {"tlp": "RED", "share": {"nodes": nodes}, "handling": "H2"}
        else:
            policy = {"share": {"scope": "NAMED", "nodes": nodes}}
    if kind == "green":
        policy = {"tlp": "GREEN"} if rng.random() < 0.7 else {"tlp": "GREEN", "share": {"scope": "GLOBAL"}}
    elif kind == "global":
        policy = {"share": {"scope": "GLOBAL"}}
    elif kind == "clear":
        policy = {"tlp": "CLEAR"}
    elif kind == "default":
        policy = {}
    elif kind == "region":
        policy = {"share": {"scope": "REGION"}}
    elif kind == "amber":
        policy = {"tlp": "AMBER"}
    elif kind == "amber_strict":
        policy = {"tlp": "AMBER_STRICT"}
    elif kind == "area":
        # A member without a RILO (us, ca, mx) would share with nobody: it picks its region.
        policy = {"share": {"scope": "AREA" if origin.area else "REGION"}}
    elif kind == "rilos":
        policy = {"share": {"scope": "RILOS"}}
    elif kind == "exclude":
        # Everyone but one other member (say, one with a data-protection concern).
        policy = {"share": {"scope": "GLOBAL"}}
        for _ in range(4):
            other = ctx.origins[ctx.pick_origin.pick(rng)].node_id
            if other != origin.node_id:
                policy["share"]["exclude"] = [other]
                break
    if kind in _RESTRICTED_KINDS and rng.random() < 0.35:
        policy["discover"] = {"scope": "GLOBAL"}
    if "handling" not in policy:
        handling = _HANDLING.pick(rng)
        if handling:
            policy["handling"] = handling
            if handling == "H3":
                policy["handling_note"] = _HANDLING_NOTES[int(rng.random() * len(_HANDLING_NOTES))]
    if has_annex and rng.random() < 0.3:
        policy["annex"] = {"scope": "AREA" if origin.area and rng.random() < 0.6 else "REGION"}
    return policy
