"""Seizure vocabularies of docs/protocol.md#vocabularies (domain README §2.2–2.3); add values, never rename."""

from __future__ import annotations

SECTIONS: dict[str, tuple[str, ...]] = {
    "AML_CTF": ("CASH_SMUGGLING", "GOLD", "GEMSTONES"),
    "DRUGS": (
        "CANNABIS",
        "COCAINE",
        "PSYCHOTROPIC_SUBSTANCES",
        "NEW_PSYCHOACTIVE_SUBSTANCES",
        "OPIOIDS_AND_OPIATES",
        "KHAT",
        "PRECURSORS",
    ),
    "ENVIRONMENT": ("FAUNA", "FLORA", "WASTE", "ODS_AND_HFCS", "OTHER_HAZARDOUS_MATERIALS"),
    "IPR_HEALTH_SAFETY": ("IPR_PRODUCTS", "MEDICAL_PRODUCTS"),
    "REVENUE": ("TOBACCO_PRODUCTS", "ALCOHOL_PRODUCTS", "OTHER_REVENUE"),
    "SECURITY": ("WEAPONS_AMMUNITION", "EXPLOSIVES_AND_PRECURSORS", "UNMANNED_AERIAL_SYSTEMS"),
    "CULTURAL_HERITAGE": ("CULTURAL_OBJECTS",),
    "OTHER": ("OTHER",),
}

CATEGORIES: tuple[str, ...] = tuple(c for cats in SECTIONS.values() for c in cats)

CATEGORY_SECTION: dict[str, str] = {c: s for s, cats in SECTIONS.items() for c in cats}

LOCATION_TYPES: tuple[str, ...] = (
    "AIRPORT",
    "MAIL_CENTRE",
    "EXPRESS_COURIER",
    "SEAPORT",
    "LAND_BOUNDARY",
    "INLAND",
    "RAIL",
    "RIVER",
    "HIGH_SEAS",
    "FTZ_BORDER",
    "UNKNOWN",
)

DIRECTIONS: tuple[str, ...] = ("IMPORT", "EXPORT", "TRANSIT", "INTERNAL")

DETECTIONS: tuple[str, ...] = (
    "RISK_PROFILING",
    "ROUTINE_CONTROL",
    "INTELLIGENCE",
    "INVESTIGATION",
    "RANDOM_SELECTION",
    "UNKNOWN",
)

CONVEYANCES: tuple[str, ...] = (
    "AIR",
    "VESSEL",
    "VEHICLE",
    "RAIL",
    "PEDESTRIAN",
    "MAIL",
    "EXPRESS_COURIER",
    "UNKNOWN",
)

CONCEALMENTS: tuple[str, ...] = (
    "IN_MAIL",
    "IN_BAGGAGE",
    "IN_TRANSPORT",
    "IN_EXPRESS_COURIER",
    "IN_FREIGHT",
    "ON_PERSON",
    "NOT_CONCEALED",
    "IN_PREMISES",
    "ON_MARKET",
    "RECOVERED_FROM_SEA",
    "UNKNOWN",
)

# CURRENCY means the quantity is an amount of money; the item then names `currency`.
UNITS: tuple[str, ...] = ("KG", "G", "L", "ML", "PIECES", "CURRENCY")

# Europol 4x4 evaluation codes (domain README §5.3).
SOURCE_RELIABILITY: tuple[str, ...] = ("A", "B", "C", "X")
INFORMATION_ACCURACY: tuple[str, ...] = ("1", "2", "3", "4")

# Offender gender in the annex: male, female, other, unknown.
GENDERS: tuple[str, ...] = ("M", "F", "X", "U")

# ISO 3166-1 alpha-2: the 249 officially assigned codes, plus XK (Kosovo), a
# user-assigned code that customs administrations and the EU use in practice.
COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ
    BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR
    CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
    SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR
    TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    XK
    """.split()
)

# ISO 4217 list one (currencies and funds in use), as of late 2026: ANG gave
# way to XCG (2025), ZWL to ZWG (2024), SLL to SLE; HRK (2023) and BGN (2026)
# to EUR; CUC is withdrawn. Withdrawn codes are refused, so add them here (or
# in a separate historic set) if seized cash of a withdrawn currency must be
# recorded under its own code.
# Recently withdrawn codes (ANG BGN CUC HRK SLL ZWL) stay valid: cash seized in them is still reported.
CURRENCIES: frozenset[str] = frozenset(
    """
    ANG BGN CUC HRK SLL ZWL
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK
    DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF
    IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP
    LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD
    NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD
    SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB
    XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
    """.split()
)
