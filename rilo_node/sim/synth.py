"""Synthetic seizure cases shaped by the ITR 2025 figures (domain README §6), reproducible from a seed (pure)."""

from __future__ import annotations

import datetime
import math
import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
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


def _countries(text: str) -> _Table:
    """'US 30 CA 8 ...' -> a table of country codes."""
    parts = text.split()
    return _Table((parts[i], float(parts[i + 1])) for i in range(0, len(parts), 2))


# --- who reports how much (README §6.2, §6.5, §6.6) -------------------------------

# Share of cases by region, ITR 2025 (§6.2).
REGION_CASE_SHARE: dict[str, float] = {
    "EUR": 46.4,
    "AMS": 33.0,
    "MENA": 15.9,
    "AP": 2.7,
    "ESA": 1.0,
    "WCA": 0.9,
}

# Mean seizures (items) per case by region (§6.2).
REGION_ITEMS_PER_CASE: dict[str, float] = {
    "EUR": 1.26,
    "AMS": 1.73,
    "MENA": 1.03,
    "AP": 1.12,
    "ESA": 1.53,
    "WCA": 1.53,
}

# Within a region a few administrations report most cases (§6.5 "countries most
# involved": US, DK, DE, FR, GB, NL, ES, CZ, TH, MX, BR). Relative weights; any
# member not listed gets its region's default.
_COUNTRY_WEIGHT: dict[str, float] = {
    # EUR
    "DE": 14, "DK": 13, "FR": 11, "GB": 11, "NL": 10, "ES": 8, "BE": 5, "IT": 5, "PL": 4,
    "TR": 4, "CZ": 3, "AT": 3, "SE": 3, "CH": 3, "IE": 3, "PT": 3, "GR": 3, "RU": 3,
    "FI": 2.5, "NO": 2.5, "UA": 2.5, "LT": 2, "RO": 2, "HU": 2, "BG": 2,
    "LV": 1.5, "EE": 1.5, "SK": 1.5, "SI": 1.5, "HR": 1.5, "RS": 1.5, "BY": 1.5, "KZ": 1,
    # AMS: the US alone reports more than half (NAM 18,383 drug cases, most IPR)
    "US": 60, "CA": 5, "MX": 5, "BR": 5, "CO": 3, "AR": 2.5, "CL": 2.5, "EC": 2.5, "PE": 2,
    "PA": 1.5, "DO": 1.5, "CR": 1.5, "GT": 1, "JM": 1, "UY": 1, "PY": 1, "BO": 1,
    # MENA (13 reporting administrations)
    "SA": 10, "AE": 7, "KW": 6, "EG": 4, "MA": 4, "OM": 3, "BH": 3, "QA": 3, "JO": 3,
    "DZ": 2, "TN": 2, "LB": 1,
    # AP
    "TH": 5, "JP": 4, "KR": 4, "AU": 4, "HK": 4, "CN": 3, "IN": 3, "SG": 2, "MY": 2,
    "NZ": 2, "ID": 2, "PH": 2, "VN": 1.5, "PK": 1.5, "LK": 1, "BD": 1, "IR": 1,
    # ESA
    "ZA": 4, "KE": 4, "ET": 2, "TZ": 2, "UG": 1.5, "MU": 1.5, "ZW": 1.5,
    # WCA
    "NG": 4, "SN": 3, "CI": 2, "GH": 2, "CM": 2, "BF": 1.5, "BJ": 1.5, "TG": 1.5,
}  # fmt: skip
_REGION_DEFAULT_WEIGHT: dict[str, float] = {
    "EUR": 0.7,
    "AMS": 0.4,
    "MENA": 0.5,
    "AP": 0.4,
    "ESA": 1.0,
    "WCA": 1.0,
}


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


# --- what is seized (README §6.2, §6.3) ------------------------------------------

# Seizures by region x section, ITR 2025 (§6.2); cultural heritage (absent from the
# 2025 dashboard) gets a small prior.
_REGION_SECTION: dict[str, _Table] = {
    "EUR": _t({"AML_CTF": 9611, "DRUGS": 43633, "ENVIRONMENT": 3538, "IPR_HEALTH_SAFETY": 18852,
               "REVENUE": 17736, "SECURITY": 2489, "CULTURAL_HERITAGE": 150}),
    "AMS": _t({"AML_CTF": 1280, "DRUGS": 24272, "ENVIRONMENT": 207, "IPR_HEALTH_SAFETY": 60347,
               "REVENUE": 547, "SECURITY": 7200, "CULTURAL_HERITAGE": 40}),
    "MENA": _t({"AML_CTF": 827, "DRUGS": 3330, "ENVIRONMENT": 69, "IPR_HEALTH_SAFETY": 455,
                "REVENUE": 21247, "SECURITY": 1037, "CULTURAL_HERITAGE": 40}),
    "AP": _t({"AML_CTF": 397, "DRUGS": 3294, "ENVIRONMENT": 409, "IPR_HEALTH_SAFETY": 475,
              "REVENUE": 272, "SECURITY": 33, "CULTURAL_HERITAGE": 10}),
    "ESA": _t({"AML_CTF": 93, "DRUGS": 343, "ENVIRONMENT": 388, "IPR_HEALTH_SAFETY": 1067,
               "REVENUE": 655, "SECURITY": 29, "CULTURAL_HERITAGE": 5}),
    "WCA": _t({"AML_CTF": 43, "DRUGS": 373, "ENVIRONMENT": 184, "IPR_HEALTH_SAFETY": 1380,
               "REVENUE": 279, "SECURITY": 75, "CULTURAL_HERITAGE": 5}),
}  # fmt: skip
_ALL_SECTIONS = _t({"AML_CTF": 12251, "DRUGS": 75245, "ENVIRONMENT": 4795, "IPR_HEALTH_SAFETY": 82576,
                    "REVENUE": 40736, "SECURITY": 10863, "CULTURAL_HERITAGE": 250})  # fmt: skip

# Seizures by category, ITR 2025 (§6.3); precursors and other revenue are priors.
_SECTION_CATEGORY: dict[str, _Table] = {
    "AML_CTF": _t({"CASH_SMUGGLING": 11710, "GOLD": 510, "GEMSTONES": 41}),
    "DRUGS": _t({"CANNABIS": 37058, "PSYCHOTROPIC_SUBSTANCES": 18216, "NEW_PSYCHOACTIVE_SUBSTANCES": 8315,
                 "COCAINE": 8074, "OPIOIDS_AND_OPIATES": 2523, "KHAT": 1084, "PRECURSORS": 300}),
    "ENVIRONMENT": _t({"FAUNA": 2705, "FLORA": 872, "WASTE": 729, "OTHER_HAZARDOUS_MATERIALS": 312,
                       "ODS_AND_HFCS": 185}),
    "IPR_HEALTH_SAFETY": _t({"IPR_PRODUCTS": 74389, "MEDICAL_PRODUCTS": 8207}),
    "REVENUE": _t({"TOBACCO_PRODUCTS": 36803, "ALCOHOL_PRODUCTS": 3941, "OTHER_REVENUE": 800}),
    "SECURITY": _t({"WEAPONS_AMMUNITION": 9910, "UNMANNED_AERIAL_SYSTEMS": 653, "EXPLOSIVES_AND_PRECURSORS": 312}),
    "CULTURAL_HERITAGE": _t({"CULTURAL_OBJECTS": 1}),
}  # fmt: skip
# Drug markets differ by region [U]: captagon, pregabalin and khat around the Gulf,
# methamphetamine and ketamine in Asia, khat and heroin routes in East Africa,
# cannabis and tramadol in West Africa.
_REGION_DRUG_CATEGORY: dict[str, _Table] = {
    "MENA": _t({"CANNABIS": 30, "PSYCHOTROPIC_SUBSTANCES": 45, "NEW_PSYCHOACTIVE_SUBSTANCES": 3, "COCAINE": 3,
                "OPIOIDS_AND_OPIATES": 6, "KHAT": 12, "PRECURSORS": 1}),
    "AP": _t({"CANNABIS": 25, "PSYCHOTROPIC_SUBSTANCES": 45, "NEW_PSYCHOACTIVE_SUBSTANCES": 10, "COCAINE": 5,
              "OPIOIDS_AND_OPIATES": 12, "KHAT": 1, "PRECURSORS": 2}),
    "ESA": _t({"CANNABIS": 45, "PSYCHOTROPIC_SUBSTANCES": 15, "NEW_PSYCHOACTIVE_SUBSTANCES": 2, "COCAINE": 10,
               "OPIOIDS_AND_OPIATES": 12, "KHAT": 15, "PRECURSORS": 1}),
    "WCA": _t({"CANNABIS": 50, "PSYCHOTROPIC_SUBSTANCES": 25, "NEW_PSYCHOACTIVE_SUBSTANCES": 2, "COCAINE": 15,
               "OPIOIDS_AND_OPIATES": 6, "KHAT": 1, "PRECURSORS": 1}),
}  # fmt: skip

_SECTION_OF: dict[str, str] = {c: s for s, table in _SECTION_CATEGORY.items() for c in table.values}


@dataclass(frozen=True)
class _Commodity:
    name: str
    hs_code: str | None
    kind: str  # "kg" (KG, or G below 1 kg), "kgonly", "g", "l", "pcs", "cash"
    median: float  # in kg, g, litres, pieces, or USD for cash
    sigma: float  # log-normal spread
    price: float  # rough USD per kg / g / litre / piece, for value_usd


def _c(name, hs, kind, median, sigma, price) -> tuple[_Commodity, float]:
    return _Commodity(name, hs, kind, median, sigma, price)


# Sub-commodities (§2.3), with HS codes where the heading is obvious. Each row:
# (commodity, weight). Medians are for an air passenger's seizure; the means of
# transport scales them (post smaller, freight far larger).
_COMMODITIES: dict[str, _Table] = {
    "CANNABIS": _Table([
        (_c("herbal cannabis", "121190", "kg", 0.3, 2.0, 6000), 55),
        (_c("cannabis resin", "130190", "kg", 0.5, 2.0, 5000), 20),
        (_c("cannabis oil", "130219", "kg", 0.05, 1.5, 20000), 6),
        (_c("cannabis edibles", None, "kg", 0.2, 1.5, 3000), 8),
        (_c("cannabis plants", "121190", "pcs", 20, 1.5, 50), 5),
        (_c("cannabis seeds", "120799", "pcs", 30, 1.5, 5), 6),
    ]),
    "COCAINE": _Table([
        (_c("cocaine hydrochloride", "293971", "kg", 0.5, 2.3, 30000), 75),
        (_c("cocaine base", "293971", "kg", 0.5, 2.0, 15000), 8),
        (_c("crack cocaine", "293971", "kg", 0.02, 1.5, 40000), 10),
        (_c("coca leaves", "121130", "kgonly", 2, 1.5, 50), 4),
        (_c("liquid cocaine", "293971", "l", 1.0, 1.5, 20000), 3),
    ]),
    "PSYCHOTROPIC_SUBSTANCES": _Table([
        (_c("methamphetamine", "293971", "kg", 0.2, 2.3, 20000), 25),
        (_c("MDMA ecstasy tablets", None, "pcs", 100, 2.0, 5), 15),
        (_c("MDMA crystals", None, "kg", 0.05, 1.5, 25000), 5),
        (_c("amphetamine", "292146", "kg", 0.2, 2.0, 8000), 12),
        (_c("captagon tablets", None, "pcs", 5000, 2.5, 3), 10),
        (_c("pregabalin capsules", "300490", "pcs", 200, 1.8, 1), 12),
        (_c("tramadol tablets", "300490", "pcs", 300, 2.0, 0.5), 8),
        (_c("alprazolam tablets", "300490", "pcs", 100, 1.5, 1), 6),
        (_c("diazepam tablets", "300490", "pcs", 100, 1.5, 1), 4),
        (_c("LSD blotters", None, "pcs", 20, 1.5, 10), 3),
    ]),
    "NEW_PSYCHOACTIVE_SUBSTANCES": _Table([
        (_c("synthetic cannabinoids", None, "kg", 0.05, 2.0, 15000), 25),
        (_c("ketamine", "292239", "kg", 0.2, 2.0, 15000), 25),
        (_c("synthetic cathinones", None, "kg", 0.1, 2.0, 10000), 15),
        (_c("kratom", "121190", "kg", 1.0, 1.5, 50), 20),
        (_c("GBL", "293220", "l", 1.0, 1.5, 100), 8),
        (_c("2C-B", None, "kg", 0.01, 1.5, 20000), 5),
        (_c("nitazenes", None, "kg", 0.005, 1.5, 100000), 2),
    ]),
    "OPIOIDS_AND_OPIATES": _Table([
        (_c("heroin", "293911", "kg", 0.3, 2.2, 25000), 40),
        (_c("opium", "130211", "kg", 1.0, 2.0, 3000), 15),
        (_c("fentanyl", "293339", "kg", 0.02, 2.0, 100000), 8),
        (_c("codeine syrup", "300490", "l", 1.0, 1.5, 30), 8),
        (_c("oxycodone tablets", "300490", "pcs", 100, 1.8, 10), 10),
        (_c("morphine", "293911", "kg", 0.05, 1.5, 20000), 5),
        (_c("methadone", "292231", "kg", 0.02, 1.5, 10000), 5),
    ]),
    "KHAT": _Table([
        (_c("fresh khat", "121190", "kgonly", 20, 1.2, 30), 80),
        (_c("dried khat", "121190", "kgonly", 5, 1.2, 40), 20),
    ]),
    "PRECURSORS": _Table([
        (_c("ephedrine", "293941", "kgonly", 20, 2.0, 500), 25),
        (_c("pseudoephedrine", "293942", "kgonly", 20, 2.0, 500), 20),
        (_c("acetic anhydride", "291524", "l", 50, 2.0, 5), 15),
        (_c("BMK (P2P)", "291431", "kgonly", 50, 2.0, 100), 20),
        (_c("PMK glycidate", None, "kgonly", 50, 2.0, 100), 20),
    ]),
    "TOBACCO_PRODUCTS": _Table([
        (_c("cigarettes", "240220", "pcs", 2000, 2.2, 0.25), 65),
        (_c("hand-rolling tobacco", "240319", "kgonly", 3, 1.8, 60), 8),
        (_c("water-pipe tobacco", "240311", "kgonly", 5, 1.8, 30), 10),
        (_c("e-cigarettes", "854340", "pcs", 50, 2.0, 8), 7),
        (_c("heated tobacco sticks", "240411", "pcs", 1000, 2.0, 0.3), 3),
        (_c("smokeless tobacco", "240399", "kgonly", 2, 1.5, 40), 3),
        (_c("cigars", "240210", "pcs", 50, 1.5, 5), 2),
        (_c("raw tobacco", "240120", "kgonly", 200, 1.5, 8), 2),
    ]),
    "ALCOHOL_PRODUCTS": _Table([
        (_c("whisky", "220830", "l", 6, 1.6, 30), 25),
        (_c("vodka", "220860", "l", 10, 1.6, 10), 25),
        (_c("beer", "220300", "l", 50, 1.5, 2), 15),
        (_c("wine", "220421", "l", 20, 1.5, 8), 15),
        (_c("ethyl alcohol", "220710", "l", 200, 2.0, 2), 12),
        (_c("rum", "220840", "l", 10, 1.5, 12), 8),
    ]),
    "OTHER_REVENUE": _Table([
        (_c("diesel fuel", "271019", "l", 1000, 1.5, 1), 35),
        (_c("sugar", "170199", "kgonly", 2000, 1.3, 0.5), 20),
        (_c("undeclared mobile phones", "851713", "pcs", 20, 1.5, 200), 25),
        (_c("undervalued textiles", "520852", "kgonly", 500, 1.5, 5), 20),
    ]),
    "IPR_PRODUCTS": _Table([
        (_c("counterfeit clothing", "610910", "pcs", 15, 2.0, 15), 20),
        (_c("counterfeit footwear", "640411", "pcs", 6, 2.0, 40), 14),
        (_c("counterfeit handbags", "420221", "pcs", 5, 2.0, 50), 10),
        (_c("counterfeit watches", "910211", "pcs", 5, 2.0, 30), 10),
        (_c("counterfeit smartphones", "851713", "pcs", 3, 2.0, 100), 6),
        (_c("counterfeit headphones", "851830", "pcs", 5, 2.0, 20), 6),
        (_c("counterfeit toys", "950300", "pcs", 20, 2.0, 5), 7),
        (_c("counterfeit cosmetics", "330499", "pcs", 20, 2.0, 8), 7),
        (_c("counterfeit perfume", "330300", "pcs", 10, 2.0, 15), 6),
        (_c("counterfeit sunglasses", "900410", "pcs", 10, 2.0, 10), 5),
        (_c("counterfeit jewellery", "711719", "pcs", 10, 2.0, 10), 5),
        (_c("counterfeit car spare parts", "870899", "pcs", 20, 2.0, 20), 4),
    ]),
    "MEDICAL_PRODUCTS": _Table([
        (_c("erectile dysfunction tablets (sildenafil)", "300490", "pcs", 60, 1.8, 1), 30),
        (_c("anabolic steroids", "300439", "pcs", 50, 1.8, 2), 15),
        (_c("slimming pills", "300490", "pcs", 60, 1.8, 1), 10),
        (_c("semaglutide weight-loss pens", "300439", "pcs", 5, 1.5, 80), 8),
        (_c("antibiotics", "300420", "pcs", 100, 1.8, 0.5), 10),
        (_c("antimalarial medicines", "300460", "pcs", 200, 1.8, 0.5), 5),
        (_c("falsified insulin", "300431", "pcs", 10, 1.5, 20), 3),
        (_c("medical devices", "901890", "pcs", 10, 1.8, 20), 7),
        (_c("diagnostic test kits", "382200", "pcs", 50, 1.8, 3), 4),
        (_c("melatonin supplements", "210690", "pcs", 60, 1.5, 0.2), 8),
    ]),
    "CASH_SMUGGLING": _Table([(_c("undeclared cash", None, "cash", 20000, 1.1, 1), 1)]),
    "GOLD": _Table([
        (_c("gold bars", "710812", "kgonly", 1.0, 1.2, 80000), 50),
        (_c("gold jewellery", "711319", "kgonly", 0.3, 1.2, 70000), 30),
        (_c("gold dust", "710811", "kgonly", 0.5, 1.3, 70000), 20),
    ]),
    "GEMSTONES": _Table([
        (_c("rough diamonds", "710210", "g", 20, 1.5, 500), 30),
        (_c("emeralds", "710391", "g", 50, 1.5, 200), 30),
        (_c("rubies and sapphires", "710391", "g", 30, 1.5, 300), 25),
        (_c("tanzanite", "710399", "g", 20, 1.5, 200), 15),
    ]),
    "FAUNA": _Table([
        (_c("elephant ivory", "050710", "kgonly", 10, 1.5, 1000), 12),
        (_c("pangolin scales", "050790", "kgonly", 20, 1.8, 500), 10),
        (_c("live parrots", "010632", "pcs", 5, 1.2, 500), 8),
        (_c("live pythons and tortoises", "010620", "pcs", 10, 1.5, 100), 10),
        (_c("sturgeon caviar", "160431", "kgonly", 2, 1.5, 2000), 8),
        (_c("corals", "050800", "kgonly", 2, 1.5, 100), 15),
        (_c("shark fins", "030292", "kgonly", 20, 1.5, 100), 8),
        (_c("crocodile leather goods", "420330", "pcs", 5, 1.2, 300), 12),
        (_c("rhino horn", "050790", "kgonly", 2, 1.0, 60000), 3),
        (_c("glass eels", "030192", "kgonly", 20, 1.3, 3000), 6),
        (_c("bushmeat", "020890", "kgonly", 10, 1.3, 10), 8),
    ]),
    "FLORA": _Table([
        (_c("rosewood logs", "440349", "kgonly", 5000, 1.5, 5), 25),
        (_c("agarwood", "121190", "kgonly", 5, 1.5, 500), 20),
        (_c("orchids", "060290", "pcs", 20, 1.5, 20), 15),
        (_c("tropical timber", "440399", "kgonly", 10000, 1.3, 1), 20),
        (_c("cacti and succulents", "060290", "pcs", 20, 1.5, 30), 10),
        (_c("sandalwood", "440349", "kgonly", 100, 1.5, 50), 10),
    ]),
    "WASTE": _Table([
        (_c("electronic waste", "854911", "kgonly", 10000, 1.2, 0.3), 30),
        (_c("plastic waste", "391590", "kgonly", 20000, 1.2, 0.05), 25),
        (_c("metal scrap", "720449", "kgonly", 20000, 1.2, 0.3), 15),
        (_c("end-of-life vehicles", "870323", "pcs", 3, 1.0, 1000), 10),
        (_c("used tyres", "401220", "kgonly", 10000, 1.2, 0.1), 10),
        (_c("lead-acid batteries", "854810", "kgonly", 5000, 1.2, 0.5), 10),
    ]),
    "ODS_AND_HFCS": _Table([
        (_c("HCFC-22 refrigerant", "290371", "kgonly", 300, 1.2, 10), 40),
        (_c("HFC-134a refrigerant", None, "kgonly", 300, 1.2, 10), 35),
        (_c("CFC-12 cylinders", None, "pcs", 20, 1.5, 50), 10),
        (_c("refrigerant cans", None, "pcs", 50, 1.5, 10), 15),
    ]),
    "OTHER_HAZARDOUS_MATERIALS": _Table([
        (_c("mercury", "280540", "kgonly", 20, 1.5, 50), 30),
        (_c("unregistered pesticides", "380891", "kgonly", 500, 1.5, 5), 35),
        (_c("smuggled fuel", "271019", "l", 2000, 1.5, 1), 25),
        (_c("asbestos", "252490", "kgonly", 1000, 1.2, 1), 10),
    ]),
    "WEAPONS_AMMUNITION": _Table([
        (_c("pistols", "930200", "pcs", 1, 0.7, 600), 15),
        (_c("rifles", "930320", "pcs", 1, 0.7, 1000), 6),
        (_c("ammunition", "930630", "pcs", 100, 1.8, 0.5), 20),
        (_c("firearm parts", "930591", "pcs", 3, 1.2, 100), 12),
        (_c("silencers", "930591", "pcs", 1, 0.8, 200), 5),
        (_c("bladed weapons", "930700", "pcs", 3, 1.5, 30), 18),
        (_c("air guns", "930420", "pcs", 2, 1.0, 150), 6),
        (_c("stun guns", "930400", "pcs", 5, 1.5, 30), 8),
        (_c("knuckle-dusters", "930400", "pcs", 5, 1.2, 5), 5),
        (_c("body armour", "621010", "pcs", 5, 1.2, 200), 5),
    ]),
    "EXPLOSIVES_AND_PRECURSORS": _Table([
        (_c("fireworks", "360410", "kgonly", 50, 1.8, 10), 50),
        (_c("detonators", "360300", "pcs", 20, 1.5, 5), 15),
        (_c("ammonium nitrate", "310230", "kgonly", 1000, 1.5, 0.5), 20),
        (_c("black powder", "360100", "kgonly", 5, 1.5, 20), 15),
    ]),
    "UNMANNED_AERIAL_SYSTEMS": _Table([
        (_c("drones", "880622", "pcs", 2, 1.0, 800), 70),
        (_c("drone parts", "880790", "pcs", 10, 1.5, 50), 20),
        (_c("counter-UAS signal jammers", "852692", "pcs", 1, 0.7, 2000), 10),
    ]),
    "CULTURAL_OBJECTS": _Table([
        (_c("antique coins", "970500", "pcs", 20, 1.5, 50), 35),
        (_c("archaeological artefacts", "970600", "pcs", 3, 1.2, 2000), 30),
        (_c("icons and paintings", "970110", "pcs", 1, 0.8, 5000), 15),
        (_c("old manuscripts", "970600", "pcs", 1, 0.8, 1000), 10),
        (_c("fossils", "970500", "pcs", 3, 1.2, 300), 10),
    ]),
}  # fmt: skip

# Standard normal deviates at evenly spaced quantiles: one random() and an index
# instead of a Box-Muller draw (the tails reach about 3.8 sigma).
_N_QUANTILES = 8192
_NORMAL_QUANTILES = tuple(NormalDist().inv_cdf((i + 0.5) / _N_QUANTILES) for i in range(_N_QUANTILES))

# How strongly the means of transport scales a seizure's size (1 = fully): cash,
# gold or weapons hardly grow with a container the way cigarettes do.
_SCALE_SENSITIVITY: dict[str, float] = {
    "CASH_SMUGGLING": 0.3, "GOLD": 0.4, "GEMSTONES": 0.3, "WEAPONS_AMMUNITION": 0.5,
    "UNMANNED_AERIAL_SYSTEMS": 0.5, "CULTURAL_OBJECTS": 0.3, "WASTE": 0.2, "KHAT": 0.5,
    "PRECURSORS": 0.7, "FLORA": 0.5, "ODS_AND_HFCS": 0.5, "OTHER_HAZARDOUS_MATERIALS": 0.5,
    "EXPLOSIVES_AND_PRECURSORS": 0.6, "OTHER_REVENUE": 0.5,
}  # fmt: skip
_CONVEYANCE_SCALE: dict[str, float] = {
    "MAIL": 0.15, "EXPRESS_COURIER": 0.3, "AIR": 1.0, "PEDESTRIAN": 0.5, "VEHICLE": 4.0,
    "RAIL": 3.0, "VESSEL": 20.0, "UNKNOWN": 1.5,
}  # fmt: skip
_CONCEALMENT_SCALE: dict[str, float] = {"IN_FREIGHT": 5.0, "ON_PERSON": 0.5, "IN_PREMISES": 3.0, "RECOVERED_FROM_SEA": 10.0}

# USD per unit, rough 2025 rates, for value_usd of cash.
_USD_PER: dict[str, float] = {
    "EUR": 1.08, "USD": 1.0, "SAR": 0.267, "PLN": 0.25, "UAH": 0.024, "GBP": 1.27, "CHF": 1.13,
    "RUB": 0.011, "TRY": 0.03, "SEK": 0.095, "NOK": 0.093, "DKK": 0.145, "HUF": 0.0028,
    "RON": 0.22, "CZK": 0.043, "AED": 0.272, "KWD": 3.25, "EGP": 0.02, "QAR": 0.275,
    "MAD": 0.1, "DZD": 0.0074, "CAD": 0.73, "MXN": 0.055, "BRL": 0.18, "COP": 0.00025,
    "CNY": 0.138, "HKD": 0.128, "JPY": 0.0066, "KRW": 0.00073, "AUD": 0.66, "THB": 0.028,
    "INR": 0.012, "ZAR": 0.055, "KES": 0.0077, "XOF": 0.00165, "XAF": 0.00165, "NGN": 0.00065,
}  # fmt: skip
# Top cash currencies EUR, USD, SAR, PLN, UAH (§6.4), spread by region [U].
_REGION_CURRENCY: dict[str, _Table] = {
    "EUR": _t({"EUR": 60, "USD": 18, "PLN": 4, "UAH": 4, "GBP": 4, "CHF": 2, "RUB": 2, "TRY": 2,
               "SEK": 1, "NOK": 1, "DKK": 1, "HUF": 1, "RON": 1, "CZK": 1}),
    "AMS": _t({"USD": 80, "EUR": 6, "CAD": 4, "MXN": 4, "BRL": 2, "COP": 2}),
    "MENA": _t({"SAR": 35, "USD": 30, "EUR": 10, "AED": 8, "KWD": 5, "EGP": 5, "QAR": 3, "MAD": 2, "DZD": 2}),
    "AP": _t({"USD": 45, "CNY": 12, "HKD": 8, "JPY": 8, "KRW": 8, "EUR": 6, "AUD": 5, "THB": 4, "INR": 4}),
    "ESA": _t({"USD": 55, "EUR": 15, "ZAR": 15, "KES": 8}),
    "WCA": _t({"USD": 35, "EUR": 30, "XOF": 20, "NGN": 10, "XAF": 5}),
}  # fmt: skip

# --- how it was found (README §6.4) ----------------------------------------------

_SECTION_DETECTION: dict[str, _Table] = {
    "AML_CTF": _t({"RISK_PROFILING": 34, "ROUTINE_CONTROL": 61, "INTELLIGENCE": 2, "INVESTIGATION": 1, "RANDOM_SELECTION": 2}),
    "DRUGS": _t({"RISK_PROFILING": 78, "ROUTINE_CONTROL": 17, "INTELLIGENCE": 2, "INVESTIGATION": 2, "RANDOM_SELECTION": 1}),
    "ENVIRONMENT": _t({"RISK_PROFILING": 53, "ROUTINE_CONTROL": 32, "INTELLIGENCE": 6, "INVESTIGATION": 1, "RANDOM_SELECTION": 8}),
    "IPR_HEALTH_SAFETY": _t({"RISK_PROFILING": 81, "ROUTINE_CONTROL": 16, "INTELLIGENCE": 1, "INVESTIGATION": 1, "RANDOM_SELECTION": 2}),
    "REVENUE": _t({"RISK_PROFILING": 21, "ROUTINE_CONTROL": 75, "INTELLIGENCE": 2, "INVESTIGATION": 1, "RANDOM_SELECTION": 1}),
    "SECURITY": _t({"RISK_PROFILING": 69, "ROUTINE_CONTROL": 28, "INTELLIGENCE": 1, "INVESTIGATION": 0.5, "RANDOM_SELECTION": 1}),
    "CULTURAL_HERITAGE": _t({"RISK_PROFILING": 40, "ROUTINE_CONTROL": 40, "INTELLIGENCE": 10, "INVESTIGATION": 6, "RANDOM_SELECTION": 4}),
}  # fmt: skip

# E-commerce share of cases by section (§6.4), NPS and cannabis by category.
_SECTION_ECOM: dict[str, float] = {
    "IPR_HEALTH_SAFETY": 0.678, "DRUGS": 0.599, "ENVIRONMENT": 0.239, "SECURITY": 0.236,
    "REVENUE": 0.056, "AML_CTF": 0.01, "CULTURAL_HERITAGE": 0.2,
}  # fmt: skip
_CATEGORY_ECOM: dict[str, float] = {"NEW_PSYCHOACTIVE_SUBSTANCES": 0.819, "CANNABIS": 0.626, "CASH_SMUGGLING": 0.005}
_REGION_ECOM: dict[str, float] = {"EUR": 0.455, "AMS": 0.680, "MENA": 0.015, "AP": 0.279, "ESA": 0.227, "WCA": 0.006}


def _region_ecom_factor() -> dict[str, float]:
    # Scale the section shares so each region's overall e-commerce share matches §6.2.
    out = {}
    for region, table in _REGION_SECTION.items():
        expected = sum(table.share(section) * _SECTION_ECOM[section] for section in table.values)
        out[region] = _REGION_ECOM[region] / expected
    return out


_ECOM_FACTOR = _region_ecom_factor()

# Joint (location, conveyance, concealment) profiles with case counts or priors.
# Drugs, tobacco and IPR follow the §6.4 counts; the others are priors [U].
_POSTAL = frozenset({"MAIL", "EXPRESS_COURIER"})
_PROFILES_SPEC: dict[str, list[tuple[str, str, str, float]]] = {
    "DRUGS": [
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 20000), ("AIRPORT", "MAIL", "IN_MAIL", 9000),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 3200),
        ("AIRPORT", "EXPRESS_COURIER", "IN_MAIL", 3000), ("INLAND", "MAIL", "IN_MAIL", 2000),
        ("MAIL_CENTRE", "MAIL", "UNKNOWN", 1500),
        ("AIRPORT", "AIR", "IN_BAGGAGE", 8300), ("AIRPORT", "AIR", "ON_PERSON", 1400),
        ("AIRPORT", "AIR", "IN_FREIGHT", 1000), ("AIRPORT", "AIR", "UNKNOWN", 4000),
        ("AIRPORT", "AIR", "NOT_CONCEALED", 490),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 3500), ("LAND_BOUNDARY", "VEHICLE", "IN_BAGGAGE", 500),
        ("LAND_BOUNDARY", "PEDESTRIAN", "ON_PERSON", 300), ("LAND_BOUNDARY", "VEHICLE", "UNKNOWN", 250),
        ("INLAND", "VEHICLE", "IN_TRANSPORT", 1200), ("INLAND", "UNKNOWN", "UNKNOWN", 3000),
        ("INLAND", "UNKNOWN", "IN_PREMISES", 355),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 1500), ("SEAPORT", "VESSEL", "IN_TRANSPORT", 400),
        ("SEAPORT", "VESSEL", "RECOVERED_FROM_SEA", 60),
        ("UNKNOWN", "UNKNOWN", "UNKNOWN", 1250), ("RAIL", "RAIL", "IN_BAGGAGE", 99),
        ("HIGH_SEAS", "VESSEL", "IN_TRANSPORT", 36), ("RIVER", "VESSEL", "IN_TRANSPORT", 25),
        ("FTZ_BORDER", "VEHICLE", "IN_FREIGHT", 7),
    ],
    # Cocaine moves in containers and with swallowers more than other drugs.
    "COCAINE": [
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 30), ("SEAPORT", "VESSEL", "IN_TRANSPORT", 5),
        ("HIGH_SEAS", "VESSEL", "IN_TRANSPORT", 2), ("SEAPORT", "VESSEL", "RECOVERED_FROM_SEA", 2),
        ("AIRPORT", "AIR", "IN_BAGGAGE", 25), ("AIRPORT", "AIR", "ON_PERSON", 15),
        ("AIRPORT", "AIR", "IN_FREIGHT", 6), ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 8),
        ("INLAND", "VEHICLE", "IN_TRANSPORT", 3), ("INLAND", "UNKNOWN", "IN_PREMISES", 2),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 10), ("AIRPORT", "EXPRESS_COURIER", "IN_MAIL", 4),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 5),
    ],
    "KHAT": [
        ("AIRPORT", "AIR", "IN_BAGGAGE", 35), ("AIRPORT", "AIR", "IN_FREIGHT", 25),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 20), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 15),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 5),
    ],
    "PRECURSORS": [
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 40), ("AIRPORT", "AIR", "IN_FREIGHT", 15),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 15), ("MAIL_CENTRE", "MAIL", "IN_MAIL", 10),
        ("LAND_BOUNDARY", "VEHICLE", "IN_FREIGHT", 15), ("INLAND", "UNKNOWN", "IN_PREMISES", 5),
    ],
    "TOBACCO_PRODUCTS": [
        ("AIRPORT", "AIR", "IN_BAGGAGE", 13000), ("AIRPORT", "AIR", "ON_PERSON", 500),
        ("AIRPORT", "AIR", "IN_FREIGHT", 450),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 8500), ("LAND_BOUNDARY", "VEHICLE", "IN_BAGGAGE", 2400),
        ("LAND_BOUNDARY", "PEDESTRIAN", "ON_PERSON", 554),
        ("INLAND", "VEHICLE", "IN_TRANSPORT", 1500), ("INLAND", "UNKNOWN", "IN_PREMISES", 300),
        ("INLAND", "UNKNOWN", "ON_MARKET", 250),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 1400), ("SEAPORT", "VEHICLE", "IN_TRANSPORT", 437),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 1610), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 263),
        ("RAIL", "RAIL", "IN_TRANSPORT", 158),
    ],
    "ALCOHOL_PRODUCTS": [
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 40), ("AIRPORT", "AIR", "IN_BAGGAGE", 20),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 15), ("INLAND", "VEHICLE", "IN_TRANSPORT", 10),
        ("INLAND", "UNKNOWN", "IN_PREMISES", 8), ("MAIL_CENTRE", "MAIL", "IN_MAIL", 4),
        ("LAND_BOUNDARY", "PEDESTRIAN", "IN_BAGGAGE", 3),
    ],
    "OTHER_REVENUE": [
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 40), ("LAND_BOUNDARY", "VEHICLE", "IN_FREIGHT", 30),
        ("INLAND", "VEHICLE", "IN_TRANSPORT", 15), ("AIRPORT", "AIR", "IN_BAGGAGE", 10),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 5),
    ],
    "IPR_PRODUCTS": [
        ("AIRPORT", "EXPRESS_COURIER", "IN_MAIL", 11000), ("AIRPORT", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 2500),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 1500),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 5700), ("AIRPORT", "MAIL", "IN_MAIL", 3000),
        ("AIRPORT", "AIR", "IN_BAGGAGE", 2000), ("AIRPORT", "AIR", "NOT_CONCEALED", 2500),
        ("AIRPORT", "AIR", "IN_FREIGHT", 1400),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 2400), ("SEAPORT", "VESSEL", "NOT_CONCEALED", 900),
        ("LAND_BOUNDARY", "VEHICLE", "IN_FREIGHT", 500), ("LAND_BOUNDARY", "VEHICLE", "NOT_CONCEALED", 400),
        ("INLAND", "UNKNOWN", "ON_MARKET", 600), ("INLAND", "UNKNOWN", "IN_PREMISES", 500),
    ],
    "MEDICAL_PRODUCTS": [
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 40), ("AIRPORT", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 15),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 10), ("AIRPORT", "AIR", "IN_BAGGAGE", 15),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 5), ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 6),
        ("INLAND", "UNKNOWN", "IN_PREMISES", 4), ("AIRPORT", "AIR", "IN_FREIGHT", 5),
    ],
    "CASH_SMUGGLING": [
        ("AIRPORT", "AIR", "IN_BAGGAGE", 4500), ("AIRPORT", "AIR", "ON_PERSON", 2737),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 1300), ("LAND_BOUNDARY", "VEHICLE", "ON_PERSON", 629),
        ("LAND_BOUNDARY", "PEDESTRIAN", "ON_PERSON", 465), ("RAIL", "RAIL", "IN_BAGGAGE", 202),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 150), ("SEAPORT", "VESSEL", "IN_BAGGAGE", 100),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 60),
    ],
    "AML_CTF": [
        ("AIRPORT", "AIR", "ON_PERSON", 40), ("AIRPORT", "AIR", "IN_BAGGAGE", 35),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 10), ("AIRPORT", "AIR", "IN_FREIGHT", 8),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 5), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 4),
    ],
    "FAUNA": [
        ("AIRPORT", "AIR", "IN_BAGGAGE", 30), ("MAIL_CENTRE", "MAIL", "IN_MAIL", 20),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 15), ("AIRPORT", "AIR", "IN_FREIGHT", 10),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 10),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 8), ("AIRPORT", "AIR", "ON_PERSON", 4),
        ("INLAND", "UNKNOWN", "ON_MARKET", 5), ("INLAND", "UNKNOWN", "IN_PREMISES", 3),
    ],
    "FLORA": [
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 35), ("AIRPORT", "AIR", "IN_BAGGAGE", 20),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 15), ("LAND_BOUNDARY", "VEHICLE", "IN_FREIGHT", 15),
        ("AIRPORT", "AIR", "IN_FREIGHT", 8), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 7),
    ],
    "ENVIRONMENT": [  # waste, ODS, other hazardous materials
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 55), ("LAND_BOUNDARY", "VEHICLE", "IN_FREIGHT", 25),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 8), ("INLAND", "UNKNOWN", "IN_PREMISES", 5),
        ("SEAPORT", "VESSEL", "NOT_CONCEALED", 7), ("FTZ_BORDER", "VEHICLE", "IN_FREIGHT", 2),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 2), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 2),
    ],
    "SECURITY": [  # weapons and ammunition
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 25), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 15),
        ("AIRPORT", "AIR", "IN_BAGGAGE", 20), ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 15),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 10), ("AIRPORT", "AIR", "IN_FREIGHT", 5),
        ("INLAND", "UNKNOWN", "IN_PREMISES", 5), ("LAND_BOUNDARY", "PEDESTRIAN", "ON_PERSON", 3),
    ],
    "UNMANNED_AERIAL_SYSTEMS": [
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 30), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 30),
        ("AIRPORT", "AIR", "IN_BAGGAGE", 20), ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 10),
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 5), ("AIRPORT", "AIR", "IN_FREIGHT", 5),
    ],
    "EXPLOSIVES_AND_PRECURSORS": [
        ("SEAPORT", "VESSEL", "IN_FREIGHT", 30), ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 30),
        ("MAIL_CENTRE", "MAIL", "IN_MAIL", 10), ("INLAND", "UNKNOWN", "IN_PREMISES", 10),
        ("AIRPORT", "AIR", "IN_BAGGAGE", 10), ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 5),
    ],
    "CULTURAL_HERITAGE": [
        ("AIRPORT", "AIR", "IN_BAGGAGE", 30), ("MAIL_CENTRE", "MAIL", "IN_MAIL", 25),
        ("EXPRESS_COURIER", "EXPRESS_COURIER", "IN_EXPRESS_COURIER", 15),
        ("LAND_BOUNDARY", "VEHICLE", "IN_TRANSPORT", 10), ("SEAPORT", "VESSEL", "IN_FREIGHT", 10),
        ("INLAND", "UNKNOWN", "ON_MARKET", 10),
    ],
}  # fmt: skip
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

# Direction (import, export, transit, internal), §6.4 for drugs, tobacco, IPR; priors otherwise.
_DIRECTIONS = ("IMPORT", "EXPORT", "TRANSIT", "INTERNAL")


def _dir(i, e, t, n) -> _Table:
    return _Table(zip(_DIRECTIONS, (i, e, t, n)))


_CATEGORY_DIRECTION: dict[str, _Table] = {
    "DRUGS": _dir(62.2, 19.1, 14.7, 4.1),
    "TOBACCO_PRODUCTS": _dir(88.1, 5.5, 4.5, 1.9),
    "ALCOHOL_PRODUCTS": _dir(80, 8, 6, 6),
    "OTHER_REVENUE": _dir(75, 10, 5, 10),
    "IPR_PRODUCTS": _dir(89.9, 4, 4, 2.1),
    "MEDICAL_PRODUCTS": _dir(88, 4, 5, 3),
    "CASH_SMUGGLING": _dir(48, 42, 8, 2),
    "GOLD": _dir(50, 40, 8, 2),
    "GEMSTONES": _dir(40, 50, 8, 2),
    "WASTE": _dir(40, 50, 8, 2),
    "ENVIRONMENT": _dir(65, 25, 8, 2),
    "SECURITY": _dir(70, 15, 10, 5),
    "CULTURAL_HERITAGE": _dir(55, 35, 8, 2),
}

# --- routes (README §6.5; tobacco top departures §6.4; others priors [U]) -----------

_DEPARTURE: dict[str, _Table] = {
    "CANNABIS": _countries("US 15 CA 6 TH 10 MA 10 NL 6 ES 4 ZA 4 NP 2 IN 4 LB 3 AF 3 PK 3 NG 3 GH 2 JM 2 MX 3 CO 2 AL 2"),
    "COCAINE": _countries("CO 30 EC 25 BR 12 PE 8 BO 5 PA 5 DO 4 VE 4 PY 3 SR 2 GY 2 CR 3 MX 3 CL 2 AR 2"),
    "PSYCHOTROPIC_SUBSTANCES": _countries("NL 12 BE 4 DE 4 PL 3 IN 10 CN 5 MM 6 LA 2 SY 6 LB 3 US 4 MX 4 PK 2 TR 2"),
    "NEW_PSYCHOACTIVE_SUBSTANCES": _countries("CN 25 IN 10 NL 5 GB 3 US 3 ID 4 MY 2 TH 3 PL 2 ES 1"),
    "OPIOIDS_AND_OPIATES": _countries("AF 10 PK 6 IR 6 TR 4 MX 10 CN 4 IN 8 MM 4 NL 2 US 3 CA 1"),
    "KHAT": _countries("ET 15 KE 12 YE 3 NL 2 GB 1 UG 1 DJ 1"),
    "PRECURSORS": _countries("CN 12 IN 6 NL 2 DE 1 TR 1"),
    "TOBACCO_PRODUCTS": _countries("AE 14 KW 10 EG 9 TR 8 IN 7 BD 6 FR 5 YE 5 BH 4 OM 4 CN 3 VN 2 PK 2 SA 2"),
    "ALCOHOL_PRODUCTS": _countries("GB 5 FR 5 DE 3 AE 4 RU 3 MX 2 US 3 ZA 2 BY 2 UA 2 IT 2 ES 2"),
    "OTHER_REVENUE": _countries("CN 10 TR 5 AE 5 IN 4 VN 3 TH 2 RU 2 MY 2"),
    "IPR_PRODUCTS": _countries("CN 45 HK 15 TR 8 TH 3 VN 3 IN 3 AE 3 SG 2 KR 1 US 2 PK 1 MY 1"),
    "MEDICAL_PRODUCTS": _countries("IN 30 CN 20 HK 5 SG 2 TR 4 PK 3 US 3 TH 2 RU 1 DE 1"),
    "CASH_SMUGGLING": _countries("AE 8 TR 6 US 5 DE 4 NL 3 RU 3 UA 3 NG 3 CN 3 LB 2 MA 2 DZ 2 FR 2 GB 2 SA 2"),
    "GOLD": _countries("AE 15 CH 3 IN 3 GH 3 ML 2 SD 2 CD 3 TR 2 SA 2 ZA 2 VE 2 PE 2"),
    "GEMSTONES": _countries("CD 3 AO 3 ZW 2 TZ 5 MG 3 MM 4 LK 4 TH 3 CO 4 BR 3 ZA 2 AE 2"),
    "FAUNA": _countries("NG 5 CD 4 CM 3 MZ 3 TZ 3 ZA 3 KE 3 ID 3 MY 2 VN 2 MG 3 BR 2 TH 2 RU 2 PE 1 MX 2"),
    "FLORA": _countries("MG 5 ID 4 MY 4 LA 3 MM 3 BR 3 TH 2 GA 2 CM 2 CD 2 ZA 2 MX 2 GH 2"),
    "WASTE": _countries("US 10 GB 8 DE 8 NL 6 IT 5 JP 4 KR 3 BE 4 FR 5 AU 2 CA 2"),
    "ODS_AND_HFCS": _countries("CN 20 IN 4 TR 3 AE 3 UA 1 RU 1"),
    "OTHER_HAZARDOUS_MATERIALS": _countries("CN 10 IN 4 AE 3 DZ 2 NG 2 TR 2 MX 2"),
    "WEAPONS_AMMUNITION": _countries("US 20 TR 8 DE 4 IT 3 CZ 3 BA 2 RS 2 UA 3 CN 5 BG 2 AT 2 BE 1"),
    "EXPLOSIVES_AND_PRECURSORS": _countries("CN 12 PL 4 DE 2 IN 2 TR 2 CZ 2"),
    "UNMANNED_AERIAL_SYSTEMS": _countries("CN 30 HK 5 US 3 DE 1 TR 2"),
    "CULTURAL_OBJECTS": _countries("SY 3 IQ 3 EG 3 PE 2 IT 2 GR 2 TR 3 YE 2 LY 2 ML 1 CN 2 KH 1"),
}
# Where a flow depends on the reporting region (README §6.5 area flows; priors [U]).
_REGION_DEPARTURE: dict[tuple[str, str], _Table] = {
    ("CANNABIS", "EUR"): _countries("US 25 CA 8 TH 12 ES 10 MA 8 NL 8 AL 3 DE 2 GB 2 JM 1 ZA 1"),
    ("CANNABIS", "AMS"): _countries("CA 10 MX 20 US 15 JM 8 CO 6 PY 8 TH 4 NL 3 ES 2"),
    ("COCAINE", "AP"): _countries("US 4 MX 4 BR 5 PE 3 CO 3 CA 2 EC 2 AR 2 CL 2 PA 1"),
    ("COCAINE", "MENA"): _countries("BR 5 CO 3 EC 3 ES 3 NL 2 LB 2"),
    ("TOBACCO_PRODUCTS", "EUR"): _countries("BY 6 UA 5 RU 3 AE 4 TR 4 MD 2 RS 2 PL 2 BG 2 MK 1 CN 1 VN 1 GE 1"),
    ("TOBACCO_PRODUCTS", "AMS"): _countries("PY 10 CN 3 BR 2 US 2 PA 2 MX 1"),
    ("PSYCHOTROPIC_SUBSTANCES", "AP"): _countries("MM 12 LA 6 TH 3 CN 3 MX 2 US 2 IN 3 NL 2 IR 1"),
    ("PSYCHOTROPIC_SUBSTANCES", "MENA"): _countries("SY 12 LB 8 JO 3 IN 5 TR 2 EG 2 IQ 2"),
}
_DESTINATION: dict[str, _Table] = {
    "DRUGS": _countries("US 10 GB 8 NL 6 DE 6 AU 5 FR 5 ES 5 BE 4 IT 4 NZ 2 SA 3 AE 2 CA 3 SE 2 DK 2 NO 2 IE 2 JP 2 HK 2"),
    "COCAINE": _countries("NL 10 BE 10 ES 10 US 8 AU 4 GB 5 IT 4 DE 4 FR 4 HK 2 PT 2"),
    "KHAT": _countries("GB 5 NL 3 US 4 SA 6 YE 2 SE 2 DE 1 CA 1"),
    "TOBACCO_PRODUCTS": _countries("GB 10 DE 6 FR 6 SA 6 KW 4 IE 3 NL 3 IT 3 PL 2 LT 2 AU 2"),
    "IPR_HEALTH_SAFETY": _countries("US 15 DE 6 GB 6 FR 6 IT 4 ES 4 NL 3 SA 3 AE 3 BR 2 MX 2 NG 2 RU 2"),
    "CASH_SMUGGLING": _countries("TR 8 AE 8 CN 5 LB 4 DZ 3 MA 3 NG 3 RU 3 UA 2 TH 2 HK 2 IN 2 CO 2 MX 2"),
    "GOLD": _countries("AE 15 IN 12 CH 3 HK 3 TR 3 SA 2"),
    "WASTE": _countries("MY 8 ID 6 TH 5 VN 5 NG 5 GH 4 TR 4 PK 3 IN 3"),
    "FAUNA": _countries("CN 15 VN 10 HK 5 TH 4 US 4 JP 3 MY 2 LA 2 AE 2"),
    "FLORA": _countries("CN 20 VN 5 HK 3 AE 3 IN 2 US 2"),
    "WEAPONS_AMMUNITION": _countries("MX 8 GB 4 DE 3 FR 3 NL 3 BR 2 JM 2 HT 3 CA 3 SE 2 LY 1 NG 2"),
    "CULTURAL_OBJECTS": _countries("US 6 DE 4 FR 4 GB 4 CH 4 BE 2 AE 2 JP 1"),
    "GENERIC": _countries("US 10 GB 6 DE 6 FR 5 NL 5 ES 4 BE 3 IT 3 AU 4 CA 3 SA 3 AE 3 CN 3 JP 2 HK 2 RU 2 TR 2 BR 2 IN 2"),
}
_GENERIC_DEPARTURE = _countries("CN 10 US 6 TR 5 AE 5 IN 5 HK 4 NL 3 DE 3 TH 2 BR 2 MX 2 NG 2 ES 2 FR 2 RU 2 PK 2")
_TRANSIT_HUBS: dict[str, _Table] = {
    "AIR": _countries("AE 10 QA 6 TR 8 NL 5 DE 5 FR 5 ET 4 SG 4 HK 3 GB 3 BE 2 PT 2 ES 2"),
    "VESSEL": _countries("PA 10 ES 6 NL 6 BE 6 SG 5 MA 3 EG 3 LK 2 OM 2 MT 3 DO 2 CR 2 GR 2"),
    "MAIL": _countries("DE 5 NL 5 BE 4 SG 3 HK 4 AE 3 GB 3 US 3 CN 3"),
    "EUR": _countries("PL 5 DE 5 AT 4 HU 4 RS 4 BG 4 RO 3 NL 3 BE 3 FR 3 SI 2 HR 2 MK 2 LT 2"),
    "AMS": _countries("MX 8 GT 5 PA 5 CO 4 HN 3 CR 3 BR 3 DO 2"),
    "MENA": _countries("JO 5 AE 5 OM 4 SA 4 EG 3 IQ 3"),
    "AP": _countries("MY 5 TH 5 SG 4 CN 3 HK 3 LA 2 VN 2"),
    "ESA": _countries("KE 5 TZ 5 ZA 5 ZM 3 MZ 3 ET 3"),
    "WCA": _countries("BF 4 ML 4 NE 4 TG 3 GH 3 BJ 3 NG 3"),
}
_TRANSIT_HUBS["EXPRESS_COURIER"] = _TRANSIT_HUBS["MAIL"]

_NATIONALITY_POOL = _countries(
    "NG 6 AL 5 NL 4 GB 4 CO 4 DO 3 BR 4 MA 4 TR 4 CN 4 VN 3 PL 3 RO 3 UA 3 ES 3 FR 3 DE 3 "
    "IN 3 PK 3 SY 2 EG 2 GH 2 SN 2 VE 2 PE 2 MX 3 US 3 RU 2 GE 2 LT 2 JM 2 TH 2 MY 1"
)

# --- text (free-text searchable descriptions, offices) ---------------------------

# Customs offices of the bigger reporters, tagged by what they handle: A airport,
# M mail and express hub, S seaport, B land border, R rail, I inland.
_CITIES: dict[str, str] = {
    "DE": "Frankfurt:AMI Hamburg:SI Munich:AI Leipzig:AM Cologne:AMI Bremerhaven:S Frankfurt(Oder):BR",
    "DK": "Copenhagen:AMSI Aarhus:SI Padborg:BR Billund:A",
    "FR": "Paris-Charles_de_Gaulle:AM Le_Havre:S Marseille:SAI Lyon:AI Calais:BR Roissy:M",
    "GB": "London_Heathrow:AM Felixstowe:S Dover:BS Manchester:AI Coventry:M London_Gateway:S",
    "NL": "Amsterdam_Schiphol:AM Rotterdam:SI Venlo:MB Eindhoven:AI",
    "ES": "Madrid-Barajas:AM Algeciras:SB Valencia:SI Barcelona:ASI La_Junquera:B",
    "BE": "Antwerp:SI Brussels:AMI Liege:AM Zeebrugge:S",
    "IT": "Rome_Fiumicino:AM Gioia_Tauro:S Milan_Malpensa:AM Milan:I Genoa:S Brenner:B",
    "PL": "Warsaw:AMI Gdansk:S Terespol:BR Medyka:B Malaszewicze:R",
    "AT": "Vienna:AMI Nickelsdorf:B Linz:I",
    "SE": "Stockholm_Arlanda:AM Gothenburg:SI Malmo:BI",
    "CH": "Zurich:AMI Geneva:AB Basel:SBR Chiasso:B",
    "IE": "Dublin:AMSI Rosslare:S Cork:S",
    "PT": "Lisbon:AMI Sines:S Porto:SA Vilar_Formoso:B",
    "GR": "Piraeus:S Athens:AMI Thessaloniki:S Evzoni:B",
    "TR": "Istanbul:AMSI Mersin:S Kapikule:BR Ankara:I",
    "RU": "Moscow_Sheremetyevo:AM Saint_Petersburg:SI Novorossiysk:S Moscow:I",
    "UA": "Kyiv:AMI Odesa:S Chop:BR",
    "FI": "Helsinki:AMSI Vaalimaa:B Kotka:S",
    "NO": "Oslo:AMSI Svinesund:B Bergen:S",
    "LT": "Vilnius:AMI Klaipeda:S Medininkai:B Kena:R",
    "CZ": "Prague:AMRI",
    "US": ("JFK_New_York:AM Los_Angeles:AS Miami:AMS Chicago:AMI Louisville:M Cincinnati:M "
           "San_Ysidro:B Laredo:BR Houston:SI Newark:S Nogales:B"),
    "CA": "Toronto_Pearson:AM Toronto:I Vancouver:ASMI Montreal:ASI Windsor:B",
    "MX": "Mexico_City:AMI Manzanillo:S Lazaro_Cardenas:S Tijuana:B Nuevo_Laredo:BR",
    "BR": "Sao_Paulo_Guarulhos:AM Santos:S Paranagua:S Foz_do_Iguacu:B Curitiba:MI",
    "CO": "Bogota:AMI Cartagena:S Buenaventura:S Cucuta:B",
    "EC": "Guayaquil:SAI Quito:AM Huaquillas:B",
    "AR": "Buenos_Aires_Ezeiza:AM Rosario:S Buenos_Aires:SI",
    "CL": "Santiago:AMI San_Antonio:S Valparaiso:S Chacalluta:B",
    "PE": "Lima:AMI Callao:S Paita:S Tacna:B",
    "PA": "Panama_City:AMI Colon:S Balboa:S Paso_Canoas:B",
    "SA": "Riyadh:AMI Jeddah:ASM Dammam:SA Al_Batha:B King_Fahd_Causeway:B",
    "AE": "Dubai:AMI Jebel_Ali:S Abu_Dhabi:ASI Sharjah:AM Al_Ghuwaifat:B",
    "KW": "Kuwait:AMI Shuwaikh:S Nuwaiseeb:B Abdali:B",
    "EG": "Cairo:AMI Alexandria:S Port_Said:S Salloum:B",
    "MA": "Casablanca:AMSI Tanger_Med:SB Agadir:S",
    "OM": "Muscat:AMI Sohar:S Salalah:S Wajajah:B",
    "BH": "Bahrain_International:AM Khalifa_bin_Salman:S King_Fahd_Causeway:B Manama:I",
    "QA": "Hamad_International:AM Hamad_Port:S Abu_Samra:B Doha:I",
    "JO": "Amman:AMI Aqaba:S Jaber:B",
    "TH": "Bangkok_Suvarnabhumi:AM Laem_Chabang:S Chiang_Rai:BI Sadao:B",
    "JP": "Tokyo_Narita:AM Osaka_Kansai:AM Yokohama:S Tokyo:I",
    "KR": "Incheon:AMS Busan:S Seoul:I",
    "AU": "Sydney:AMSI Melbourne:AMS Brisbane:AS Perth:AS",
    "HK": "Hong_Kong_International:AM Kwai_Chung:S Lok_Ma_Chau:B",
    "CN": "Shanghai:AMS Shenzhen:SB Guangzhou:AMI Beijing:AMI",
    "IN": "Mumbai:AMI Delhi:AMI Chennai:AS Nhava_Sheva:S Attari:B",
    "SG": "Changi:AM Tanjong_Pagar:S Woodlands:B",
    "ZA": "Johannesburg_O.R._Tambo:AM Johannesburg:I Durban:SI Beitbridge:B Cape_Town:AS",
    "KE": "Nairobi_JKIA:AM Nairobi:I Mombasa:S Namanga:B",
    "NG": "Lagos:AMI Apapa:S Seme:B Abuja:AI",
    "SN": "Dakar:SI Blaise_Diagne:AM Rosso:B",
}  # fmt: skip
_LOCATION_TAG: dict[str, str] = {
    "AIRPORT": "A", "MAIL_CENTRE": "M", "EXPRESS_COURIER": "M", "SEAPORT": "S", "RIVER": "S",
    "HIGH_SEAS": "S", "FTZ_BORDER": "S", "LAND_BOUNDARY": "B", "RAIL": "R", "INLAND": "I", "UNKNOWN": "I",
}  # fmt: skip


def _office_cities() -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for country, text in _CITIES.items():
        entries = [e.split(":") for e in text.split()]
        for location, tag in _LOCATION_TAG.items():
            names = tuple(name.replace("_", " ") for name, tags in entries if tag in tags)
            if names:
                out[(country, location)] = names
    return out


_OFFICE_CITIES = _office_cities()
# English short names for descriptions (free-text search finds "Ecuador"); a code
# without a name here is written as the code.
_COUNTRY_NAMES: dict[str, str] = dict(
    entry.split(" ", 1)
    for entry in (
        "AE United Arab Emirates|AF Afghanistan|AG Antigua and Barbuda|AI Anguilla|AL Albania|AM Armenia|"
        "AO Angola|AR Argentina|AT Austria|AU Australia|AW Aruba|AZ Azerbaijan|BA Bosnia and Herzegovina|"
        "BB Barbados|BD Bangladesh|BE Belgium|BF Burkina Faso|BG Bulgaria|BH Bahrain|BJ Benin|BM Bermuda|"
        "BN Brunei|BO Bolivia|BR Brazil|BS Bahamas|BT Bhutan|BW Botswana|BY Belarus|BZ Belize|CA Canada|"
        "CD DR Congo|CF Central African Republic|CG Congo|CH Switzerland|CI Cote d'Ivoire|CL Chile|"
        "CM Cameroon|CN China|CO Colombia|CR Costa Rica|CV Cabo Verde|CW Curacao|CY Cyprus|CZ Czechia|"
        "DE Germany|DJ Djibouti|DK Denmark|DM Dominica|DO Dominican Republic|DZ Algeria|EC Ecuador|"
        "EE Estonia|EG Egypt|ES Spain|ET Ethiopia|FI Finland|FJ Fiji|FR France|GA Gabon|"
        "GB United Kingdom|GD Grenada|GE Georgia|GH Ghana|GM Gambia|GN Guinea|GR Greece|GT Guatemala|"
        "GW Guinea-Bissau|GY Guyana|HK Hong Kong|HN Honduras|HR Croatia|HT Haiti|HU Hungary|ID Indonesia|"
        "IE Ireland|IN India|IQ Iraq|IR Iran|IS Iceland|IT Italy|JM Jamaica|JO Jordan|JP Japan|KE Kenya|"
        "KG Kyrgyzstan|KH Cambodia|KN Saint Kitts and Nevis|KR Korea|KW Kuwait|KY Cayman Islands|"
        "KZ Kazakhstan|LA Laos|LB Lebanon|LC Saint Lucia|LK Sri Lanka|LR Liberia|LS Lesotho|LT Lithuania|"
        "LU Luxembourg|LV Latvia|LY Libya|MA Morocco|MD Moldova|ME Montenegro|MG Madagascar|"
        "MK North Macedonia|ML Mali|MM Myanmar|MN Mongolia|MO Macao|MR Mauritania|MS Montserrat|MT Malta|"
        "MU Mauritius|MV Maldives|MW Malawi|MX Mexico|MY Malaysia|MZ Mozambique|NA Namibia|NE Niger|"
        "NG Nigeria|NI Nicaragua|NL Netherlands|NO Norway|NP Nepal|NZ New Zealand|OM Oman|PA Panama|"
        "PE Peru|PG Papua New Guinea|PH Philippines|PK Pakistan|PL Poland|PT Portugal|PW Palau|"
        "PY Paraguay|QA Qatar|RO Romania|RS Serbia|RU Russia|RW Rwanda|SA Saudi Arabia|"
        "SB Solomon Islands|SC Seychelles|SD Sudan|SE Sweden|SG Singapore|SI Slovenia|SK Slovakia|"
        "SL Sierra Leone|SN Senegal|SR Suriname|SV El Salvador|SX Sint Maarten|SY Syria|SZ Eswatini|"
        "TC Turks and Caicos Islands|TD Chad|TG Togo|TH Thailand|TJ Tajikistan|TL Timor-Leste|TN Tunisia|"
        "TO Tonga|TR Turkiye|TT Trinidad and Tobago|TZ Tanzania|UA Ukraine|UG Uganda|US United States|"
        "UY Uruguay|UZ Uzbekistan|VC Saint Vincent and the Grenadines|VE Venezuela|"
        "VG British Virgin Islands|VN Viet Nam|VU Vanuatu|WS Samoa|YE Yemen|ZA South Africa|ZM Zambia|"
        "ZW Zimbabwe|"
    ).strip("|").split("|")
)
_OFFICE_SUFFIX: dict[str, str] = {
    "AIRPORT": "airport", "MAIL_CENTRE": "international mail centre", "EXPRESS_COURIER": "express courier hub",
    "SEAPORT": "port", "LAND_BOUNDARY": "border crossing", "INLAND": "inland mobile unit",
    "RAIL": "railway station", "RIVER": "river port", "HIGH_SEAS": "maritime unit",
    "FTZ_BORDER": "free zone", "UNKNOWN": "customs office",
}  # fmt: skip
_DECOYS = (
    "clothing", "toys", "tea", "cosmetics", "books", "car parts", "vitamins", "food supplements",
    "electronics", "coffee", "spices", "candles", "documents", "a gift", "shoes", "sweets",
)  # fmt: skip
_CONCEAL_TEXT: dict[str, tuple[str, ...]] = {
    "IN_MAIL": ("in a postal parcel declared as {decoy}", "in a small postal packet declared as {decoy}",
                "in a registered parcel declared as {decoy}"),
    "IN_EXPRESS_COURIER": ("in an express consignment declared as {decoy}", "in a courier parcel declared as {decoy}"),
    "IN_BAGGAGE": ("in the false bottom of a suitcase", "in checked baggage", "wrapped in clothes in a suitcase",
                   "in hand luggage", "in a backpack"),
    "ON_PERSON": ("strapped to the body", "hidden in underwear", "in the shoes of a traveller",
                  "carried in a jacket"),
    "IN_TRANSPORT": ("in a hidden compartment of a vehicle", "behind the panels of a truck", "in the spare tyre",
                     "in the fuel tank", "in the roof lining of a car"),
    "IN_FREIGHT": ("in a container declared as {decoy}", "behind a cover load of {decoy}",
                   "in a consignment declared as {decoy}"),
    "NOT_CONCEALED": ("not concealed", "presented openly as genuine branded goods"),
    "IN_PREMISES": ("found in a warehouse", "stored in a garage", "found in a storage unit"),
    "ON_MARKET": ("offered for sale at a market", "found at a street market stall"),
    "RECOVERED_FROM_SEA": ("recovered from the sea in waterproof packages", "washed up on a beach"),
    "UNKNOWN": ("",),
}  # fmt: skip
# Concealments that belong to one commodity (§6.4 narratives, priors [U]).
_SPECIAL_CONCEAL: dict[tuple[str, str], tuple[str, ...]] = {
    ("COCAINE", "IN_FREIGHT"): ("concealed in banana boxes in a reefer container",
                                "hidden among pineapples in a container", "inside coffee sacks in a container",
                                "rip-on rip-off in a container of frozen fish", "in the sea chest of a vessel"),
    ("COCAINE", "ON_PERSON"): ("swallowed in capsules (body packing)", "strapped to the body"),
    ("NEW_PSYCHOACTIVE_SUBSTANCES", "IN_MAIL"): ("in a letter envelope", "in a postal packet declared as {decoy}"),
    ("PSYCHOTROPIC_SUBSTANCES", "IN_MAIL"): ("in a letter envelope", "vacuum-packed in a parcel declared as {decoy}"),
    ("CANNABIS", "IN_MAIL"): ("vacuum-packed in a parcel declared as {decoy}", "in a postal parcel declared as {decoy}"),
    ("CASH_SMUGGLING", "IN_BAGGAGE"): ("in hand luggage", "wrapped in clothes in a suitcase",
                                       "in the lining of a suitcase"),
    ("CASH_SMUGGLING", "ON_PERSON"): ("carried in a jacket", "strapped to the body", "hidden in shoes"),
    ("GOLD", "ON_PERSON"): ("hidden in shoes", "worn as jewellery", "swallowed (body packing)"),
    ("TOBACCO_PRODUCTS", "IN_BAGGAGE"): ("cartons packed in suitcases", "in checked baggage above the allowance"),
    ("FAUNA", "IN_BAGGAGE"): ("live animals taped into tubes in a suitcase", "in checked baggage"),
}  # fmt: skip
_DETECTION_TEXT: dict[str, str] = {
    "RISK_PROFILING": "Detected by risk profiling",
    "ROUTINE_CONTROL": "Found during a routine control",
    "INTELLIGENCE": "Intercepted on intelligence",
    "INVESTIGATION": "Seized in the course of an investigation",
    "RANDOM_SELECTION": "Found on a random selection",
    "UNKNOWN": "Seized",
}
# Europol 4x4 evaluation (README §5.3); intelligence-led cases come from better-known sources [U].
_SOURCE_EVAL = {"A": 20, "B": 50, "C": 12, "X": 18}
_SOURCE_EVAL_INTEL = {"A": 30, "B": 55, "C": 10, "X": 5}
_INFO_EVAL = {"1": 25, "2": 40, "3": 25, "4": 10}
_EVALUATION = _Table(((s, i), ws * wi) for s, ws in _SOURCE_EVAL.items() for i, wi in _INFO_EVAL.items())
_EVALUATION_INTEL = _Table(((s, i), ws * wi) for s, ws in _SOURCE_EVAL_INTEL.items() for i, wi in _INFO_EVAL.items())
_INTEL = frozenset({"INTELLIGENCE", "INVESTIGATION"})
_UNIT_TEXT = {"KG": "kg", "G": "g", "L": "litres", "ML": "ml", "PIECES": "pieces"}

# --- offenders (annex) ------------------------------------------------------------

# Chance of an annex with offenders by concealment: couriers and drivers are known,
# a parcel's consignee only sometimes.
_ANNEX_CHANCE: dict[str, float] = {
    "ON_PERSON": 0.85, "IN_BAGGAGE": 0.6, "IN_TRANSPORT": 0.45, "IN_FREIGHT": 0.22, "IN_MAIL": 0.1,
    "IN_EXPRESS_COURIER": 0.12, "IN_PREMISES": 0.4, "ON_MARKET": 0.35, "NOT_CONCEALED": 0.2,
    "RECOVERED_FROM_SEA": 0.02, "UNKNOWN": 0.12,
}  # fmt: skip
_ROLES: dict[str, _Table] = {
    "ON_PERSON": _t({"courier": 6, "passenger": 3}),
    "IN_BAGGAGE": _t({"passenger": 5, "courier": 4}),
    "IN_TRANSPORT": _t({"driver": 6, "passenger": 2, "owner of the vehicle": 1}),
    "IN_FREIGHT": _t({"consignee": 5, "importer": 3, "exporter": 2, "driver": 2}),
    "IN_MAIL": _t({"consignee": 8, "sender": 2}),
    "IN_EXPRESS_COURIER": _t({"consignee": 8, "sender": 2}),
    "IN_PREMISES": _t({"owner of the premises": 4, "seller": 2}),
    "ON_MARKET": _t({"seller": 5}),
}
_DEFAULT_ROLES = _t({"consignee": 3, "courier": 2, "passenger": 2, "driver": 1})
_ANNEX_NOTES = (
    "Courier recruited through social media.",
    "Second arrest made during a controlled delivery.",
    "Known to police for earlier smuggling offences.",
    "Travelling on a fraudulent passport.",
    "Payment of the courier reported as 2,000 USD.",
)

# --- sharing policies (INTERFACES.md "Sharing policy", README §5.5) ----------------

POLICY_MIXES: tuple[str, ...] = ("realistic", "open", "default", "restricted", "uniform")
_POLICY_KINDS = ("green", "global", "clear", "default", "region", "amber", "amber_strict", "area", "rilos", "red",
                 "named", "exclude")  # fmt: skip
_POLICY_MIX: dict[str, _Table] = {
    # Mostly GREEN/GLOBAL or the default REGION, some AMBER/AMBER_STRICT/AREA, a few RILOS and RED.
    "realistic": _Table(zip(_POLICY_KINDS, (30, 8, 3, 13, 12, 12, 7, 6, 3, 3, 2, 1))),
    "open": _Table(zip(_POLICY_KINDS, (60, 30, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0))),
    "default": _Table([("default", 1)]),
    "restricted": _Table(zip(_POLICY_KINDS, (5, 0, 0, 5, 5, 20, 20, 15, 5, 15, 8, 2))),
    "uniform": _Table(zip(_POLICY_KINDS, [1] * len(_POLICY_KINDS))),
}
_BARE = _POLICY_MIX["default"]  # no policy at all: every part takes the node's default
_RESTRICTED_KINDS = frozenset({"amber_strict", "area", "red", "named"})
_HANDLING = _t({None: 92, "H1": 4, "H2": 3, "H3": 1})
_HANDLING_NOTES = (
    "Do not contact the consignee before the controlled delivery.",
    "Operation ongoing: no action against persons named without the origin's consent.",
    "For analysis only.",
)

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
    """Yield n (origin node id, seizure dict in the INTERFACES.md shape); the same seed gives the same output.

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
