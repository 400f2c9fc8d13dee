"""Seizures: the JSON edge (an object becomes a SeizureSubmission once), the node's checks on the message,
and CSV rows."""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from google.protobuf.descriptor import EnumDescriptor

from rilo_node.core import identifiers, vocab
from rilo_node.core.convert import enum_prefix, pb_to_dict
from rilo_node.core.errors import ValidationError
from rilo_node.core.policy import policy_message
from rilo_node.pb.rilo.v1 import node_pb2, seizure_pb2

SEIZURE_FIELDS: tuple[str, ...] = (
    "record_id",
    "case_ref",
    "seizure_date",
    "country",
    "customs_office",
    "location_type",
    "direction",
    "detection",
    "conveyance",
    "concealment",
    "departure_country",
    "transit_countries",
    "destination_country",
    "ecommerce",
    "items",
    "description",
    "evaluation",
    "policy",
    "annex",
)
ITEM_FIELDS: tuple[str, ...] = (
    "section",
    "category",
    "commodity",
    "hs_code",
    "quantity",
    "unit",
    "currency",
    "value_usd",
)
EVALUATION_FIELDS: tuple[str, ...] = ("source", "information")
ANNEX_FIELDS: tuple[str, ...] = ("offenders", "notes", "identifiers")
IDENTIFIER_FIELDS: tuple[str, ...] = ("type", "value")
OFFENDER_FIELDS: tuple[str, ...] = ("nationality", "gender", "birth_year", "role")

MAX_CASE_REF = 100
MAX_CUSTOMS_OFFICE = 200
MAX_TRANSIT_COUNTRIES = 20
MAX_ITEMS = 200
MAX_COMMODITY = 200
HS_CODE_LENGTHS = (2, 4, 6, 8, 10)
MAX_DESCRIPTION = 10_000
MAX_OFFENDERS = 100
MAX_ROLE = 100
MAX_NOTES = 5_000
EARLIEST_SEIZURE_DATE = datetime.date(1950, 1, 1)
EARLIEST_BIRTH_YEAR = 1900

# Crockford base32 without I, L, O, U; a ULID's first character is at most 7 (128 bits).
_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")

# Characters no text field holds (docs/protocol.md#seizure-checks): C0 controls and DEL, C1 controls,
# the line and paragraph separators, bidirectional embeddings, overrides and isolates, the deprecated
# format characters, interlinear annotations and tag characters: what moves a terminal's cursor,
# reorders what is shown, or hides text. Newline and tab only in multi-line fields.
_UNSAFE = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u206f\ufff9-\ufffb\U000e0000-\U000e007f"
UNSAFE_IN_TEXT = re.compile(f"[{_UNSAFE}]")
UNSAFE_IN_LINE = re.compile(f"[\\t\\n{_UNSAFE}]")

_SECTION = seizure_pb2.Section.DESCRIPTOR
_CATEGORY = seizure_pb2.Category.DESCRIPTOR
_UNIT = seizure_pb2.Unit.DESCRIPTOR
_SOURCE = seizure_pb2.SourceReliability.DESCRIPTOR
_INFORMATION = seizure_pb2.InformationAccuracy.DESCRIPTOR
_GENDER = seizure_pb2.Gender.DESCRIPTOR
_IDENTIFIER_TYPE = seizure_pb2.IdentifierType.DESCRIPTOR
_CASE_ENUMS: dict[str, tuple[EnumDescriptor, str]] = {
    "location_type": (seizure_pb2.LocationType.DESCRIPTOR, "a location type"),
    "direction": (seizure_pb2.Direction.DESCRIPTOR, "a direction"),
    "detection": (seizure_pb2.Detection.DESCRIPTOR, "a detection method"),
    "conveyance": (seizure_pb2.Conveyance.DESCRIPTOR, "a conveyance"),
    "concealment": (seizure_pb2.Concealment.DESCRIPTOR, "a concealment"),
}
# JSON enum names (without the buf prefix) by enum, in schema order, and back.
_ENUM_NAMES: dict[str, dict[str, int]] = {
    e.full_name: {v.name[len(enum_prefix(e)):]: v.number for v in e.values if v.number}
    for e in (_SECTION, _CATEGORY, _UNIT, _SOURCE, _INFORMATION, _GENDER, _IDENTIFIER_TYPE, *(d for d, _ in _CASE_ENUMS.values()))
}
_NUMBER_NAMES: dict[str, dict[int, str]] = {k: {n: s for s, n in v.items()} for k, v in _ENUM_NAMES.items()}


# --- small checks, each raising ValidationError(field, message) -----------------


def _absent(value: Any) -> bool:
    # An empty string is how spreadsheets and forms say "not given".
    return value is None or (isinstance(value, str) and value == "")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"true/false ({json.dumps(value)})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _str(value: Any, field: str, what: str = "text") -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be {what}, not {_kind(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON) is no character
        raise ValidationError(field, "is not valid Unicode text (it holds a lone surrogate)") from None
    return value


def _lines(value: str) -> str:
    """Free text from a file or a form: Windows and old Mac line breaks become newlines."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _length(value: str, field: str, max_len: int) -> None:
    if len(value) > max_len:
        raise ValidationError(field, f"is {len(value)} characters long; at most {max_len} are allowed")


def char_kind(char: str) -> str:
    """`the control character U+001B`, `the bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE)`."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"the control character U+{code:04X}"
    name = unicodedata.name(char, "")
    kind = ("bidirectional control" if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069
            else "separator" if code in (0x2028, 0x2029) else "invisible format character")
    return f"the {kind} U+{code:04X}" + (f" ({name})" if name else "")


def check_text(value: str, field: str, max_len: int | None = None, *, multiline: bool = False) -> None:
    """A free-text field: at most `max_len` characters, and none of UNSAFE_IN_LINE (UNSAFE_IN_TEXT when
    `multiline`: newline and tab allowed)."""
    if max_len is not None:
        _length(value, field, max_len)
    bad = (UNSAFE_IN_TEXT if multiline else UNSAFE_IN_LINE).search(value)
    if bad is not None:
        char = bad.group()
        hint = (" (line breaks and tabs are allowed in multi-line fields only)" if char in "\t\n"
                else " (a line break is a newline, U+000A, alone)" if char == "\r" and multiline else "")
        raise ValidationError(field, f"contains {char_kind(char)}; remove it{hint}")


def _enum_number(value: Any, field: str, enum: EnumDescriptor, what: str) -> int:
    """A JSON enum name (`SEAPORT`, without the buf prefix) as its number."""
    allowed = _ENUM_NAMES[enum.full_name]
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, one of {', '.join(allowed)}; not {_kind(value)}")
    number = allowed.get(value)
    if number is None:
        hint = f"; write {value.upper()!r}, values are upper case" if value.upper() in allowed else ""
        raise ValidationError(field, f"{value!r} is not {what} (expected one of {', '.join(allowed)}){hint}")
    return number


def _known(number: int, field: str, enum: EnumDescriptor, what: str) -> str:
    """The JSON name of a set enum number; a number the schema does not know is refused."""
    name = _NUMBER_NAMES[enum.full_name].get(number)
    if name is None:
        raise ValidationError(field, f"{number} is not {what} (expected one of {', '.join(_ENUM_NAMES[enum.full_name])})")
    return name


def _country(value: str, field: str) -> str:
    # isascii first: str.upper() maps some non-ASCII letters to ASCII ('ß' -> 'SS').
    code = value.upper() if value.isascii() else value
    if code not in vocab.COUNTRIES:
        raise ValidationError(
            field, f"{value!r} is not an ISO 3166-1 alpha-2 country code (two letters, e.g. 'DE')"
        )
    return code


def _currency(value: str, field: str) -> str:
    code = value.upper() if value.isascii() else value
    if code not in vocab.CURRENCIES:
        raise ValidationError(
            field, f"{value!r} is not an active ISO 4217 currency code (three letters, e.g. 'EUR')"
        )
    return code


def _number(value: Any, field: str) -> float:
    # bool is an int subclass in Python, but `true` is no quantity.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, f"must be a number, not {_kind(value)}")
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _amount(number: float, field: str) -> None:
    if not math.isfinite(number):
        raise ValidationError(field, f"must be a finite number, not {number!r}")
    if number < 0:
        raise ValidationError(field, f"must not be negative ({number!r})")


def _object(value: Any, field: str, example: str) -> dict:
    if not isinstance(value, dict):
        raise ValidationError(field, f"must be an object such as {example}, not {_kind(value)}")
    return value


def _list(value: Any, field: str, example: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise ValidationError(field, f"must be a list such as {example}, not {_kind(value)}")
    return list(value)


def _no_unknown_keys(data: dict, allowed: tuple[str, ...], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            raise ValidationError(f"{prefix}{key}", f"unknown field {key!r} (allowed: {', '.join(allowed)})")


def normalize_record_id(value: Any) -> str:
    """A record id as stored: an upper-case ULID or a lower-case UUID; ValidationError otherwise."""
    field = "record_id"
    value = _str(value, field)
    if value.isascii():
        if _ULID.fullmatch(value.upper()):
            return value.upper()
        if _UUID.fullmatch(value.lower()):
            return value.lower()
    raise ValidationError(
        field,
        f"{value!r} is neither a ULID (26 characters of Crockford base32) "
        "nor a UUID (8-4-4-4-12 hexadecimal digits)",
    )


# --- the JSON edge: a seizure object becomes the message it travels as -----------------


def parse_submission(data: Any, *, with_policy: bool = True) -> node_pb2.SeizureSubmission:
    """One seizure object (docs/protocol.md#seizure-fields) as a SeizureSubmission. Checks what only JSON can
    get wrong: the shape, types, unknown fields and enum names. check_submission, which the node runs
    on every submission however it arrived, checks the rest. Empty strings and nulls are absent."""
    if not isinstance(data, dict):
        raise ValidationError("", f"a seizure must be a JSON object, not {_kind(data)}")
    _no_unknown_keys(data, SEIZURE_FIELDS, "")
    given = {k: v for k, v in data.items() if not _absent(v)}
    sub = node_pb2.SeizureSubmission()
    case = sub.seizure
    case.SetInParent()
    if "record_id" in given:
        sub.record_id = _str(given["record_id"], "record_id")
    for field in ("case_ref", "customs_office"):
        if field in given:
            setattr(case, field, _str(given[field], field))
    if "description" in given:
        case.description = _lines(_str(given["description"], "description"))
    if "seizure_date" in given:
        case.seizure_date = _str(given["seizure_date"], "seizure_date", "a date as text, YYYY-MM-DD")
    for field in ("country", "departure_country", "destination_country"):
        if field in given:
            setattr(case, field, _str(given[field], field, "a two-letter country code as text"))
    for field, (enum, what) in _CASE_ENUMS.items():
        if field in given:
            setattr(case, field, _enum_number(given[field], field, enum, what))
    if "transit_countries" in given:
        transit = _list(given["transit_countries"], "transit_countries", '["PA", "ES"]')
        case.transit_countries.extend(
            _str(c, f"transit_countries[{i}]", "a two-letter country code as text") for i, c in enumerate(transit))
    if "ecommerce" in given:
        if not isinstance(given["ecommerce"], bool):
            raise ValidationError("ecommerce", f"must be true or false, not {given['ecommerce']!r}")
        case.ecommerce = given["ecommerce"]
    if "items" in given:
        items = _list(given["items"], "items", '[{"section": "DRUGS", "category": "COCAINE"}]')
        for i, item in enumerate(items):
            _parse_item(item, f"items[{i}]", case.items.add())
    if "evaluation" in given:
        _parse_evaluation(given["evaluation"], case.evaluation)
    if "policy" in given:
        policy = _object(given["policy"], "policy", '{"share": {"scope": "REGION"}}')
        if with_policy:
            sub.policy.CopyFrom(policy_message(policy))
    if "annex" in given:
        _parse_annex(given["annex"], sub.annex)
    return sub


def _parse_item(value: Any, prefix: str, out: seizure_pb2.SeizureItem) -> None:
    item = _object(value, prefix, '{"section": "DRUGS", "category": "COCAINE"}')
    _no_unknown_keys(item, ITEM_FIELDS, f"{prefix}.")
    section = item.get("section")
    if not _absent(section):
        out.section = _enum_number(section, f"{prefix}.section", _SECTION, "a section")
    category = item.get("category")
    if not _absent(category):
        field = f"{prefix}.category"
        _str(category, field)
        if category not in vocab.CATEGORY_SECTION:
            raise _category_refusal(category, section if out.section else None, field)
        out.category = _ENUM_NAMES[_CATEGORY.full_name][category]
    for field in ("commodity", "currency"):
        if not _absent(item.get(field)):
            setattr(out, field, _str(item[field], f"{prefix}.{field}"))
    hs_code = item.get("hs_code")
    if not _absent(hs_code):
        out.hs_code = _str(hs_code, f"{prefix}.hs_code",
                           "digits written as text (e.g. \"293979\") — a number loses leading zeros; it is")
    for field in ("quantity", "value_usd"):
        if not _absent(item.get(field)):
            setattr(out, field, _number(item[field], f"{prefix}.{field}"))
    unit = item.get("unit")
    if not _absent(unit):
        out.unit = _enum_number(unit, f"{prefix}.unit", _UNIT, "a unit")


def _parse_evaluation(value: Any, out: seizure_pb2.Evaluation) -> None:
    evaluation = _object(value, "evaluation", '{"source": "B", "information": "2"}')
    _no_unknown_keys(evaluation, EVALUATION_FIELDS, "evaluation.")
    if not _absent(evaluation.get("source")):
        out.source = _enum_number(evaluation["source"], "evaluation.source", _SOURCE, "a source reliability code")
    information = evaluation.get("information")
    if not _absent(information):
        # Forms and spreadsheets often send the digit as a number.
        if isinstance(information, int) and not isinstance(information, bool):
            if str(information) not in vocab.INFORMATION_ACCURACY:
                raise ValidationError(
                    "evaluation.information",
                    f"{information} is not an information accuracy code "
                    f"(expected one of {', '.join(vocab.INFORMATION_ACCURACY)})",
                )
            information = str(information)
        out.information = _enum_number(information, "evaluation.information", _INFORMATION,
                                       "an information accuracy code")
    out.SetInParent()


def _parse_annex(value: Any, out: seizure_pb2.SeizureAnnex) -> None:
    annex = _object(value, "annex", '{"offenders": [...], "notes": "..."}')
    _no_unknown_keys(annex, ANNEX_FIELDS, "annex.")
    out.SetInParent()
    if not _absent(annex.get("offenders")):
        offenders = _list(annex["offenders"], "annex.offenders", '[{"nationality": "NL"}]')
        if len(offenders) > MAX_OFFENDERS:
            raise ValidationError(
                "annex.offenders", f"lists {len(offenders)} offenders; at most {MAX_OFFENDERS} are allowed"
            )
        for i, offender in enumerate(offenders):
            _parse_offender(offender, f"annex.offenders[{i}]", out.offenders.add())
    if not _absent(annex.get("notes")):
        out.notes = _lines(_str(annex["notes"], "annex.notes"))
    if not _absent(annex.get("identifiers")):
        given = _list(annex["identifiers"], "annex.identifiers", '[{"type": "CONTAINER", "value": "CSQU3054383"}]')
        if len(given) > identifiers.MAX_IDENTIFIERS:
            raise ValidationError("annex.identifiers", f"lists {len(given)} identifiers; at most "
                                                       f"{identifiers.MAX_IDENTIFIERS} are allowed")
        for i, ident in enumerate(given):
            _parse_identifier(ident, f"annex.identifiers[{i}]", out.identifiers.add())


def _parse_identifier(value: Any, prefix: str, out: seizure_pb2.Identifier) -> None:
    ident = _object(value, prefix, '{"type": "CONTAINER", "value": "CSQU 305438-3"}')
    _no_unknown_keys(ident, IDENTIFIER_FIELDS, f"{prefix}.")
    if _absent(ident.get("type")):
        raise ValidationError(f"{prefix}.type", f"is required (one of {', '.join(identifiers.TYPES)})")
    out.type = _enum_number(ident["type"], f"{prefix}.type", _IDENTIFIER_TYPE, "an identifier type")
    out.value = _str(ident.get("value", ""), f"{prefix}.value")


def _parse_offender(value: Any, prefix: str, out: seizure_pb2.Offender) -> None:
    offender = _object(value, prefix, '{"nationality": "NL", "gender": "M", "birth_year": 1985}')
    _no_unknown_keys(offender, OFFENDER_FIELDS, f"{prefix}.")
    for field in ("nationality", "role"):
        if not _absent(offender.get(field)):
            what = "a two-letter country code as text" if field == "nationality" else "text"
            setattr(out, field, _str(offender[field], f"{prefix}.{field}", what))
    if not _absent(offender.get("gender")):
        out.gender = _enum_number(offender["gender"], f"{prefix}.gender", _GENDER, "a gender")
    birth_year = offender.get("birth_year")
    if not _absent(birth_year):
        if isinstance(birth_year, bool) or not isinstance(birth_year, int):
            raise ValidationError(f"{prefix}.birth_year", f"must be a whole year such as 1985, not {_kind(birth_year)}")
        if not -(2**31) <= birth_year < 2**31:
            raise ValidationError(f"{prefix}.birth_year", f"{birth_year} is not a year")
        out.birth_year = birth_year


def _category_refusal(category: str, section: Any, field: str) -> ValidationError:
    if section in vocab.SECTIONS:
        allowed = vocab.SECTIONS[section]
        return ValidationError(
            field, f"{category!r} is not a category of section {section!r} (expected one of {', '.join(allowed)})")
    return ValidationError(field, f"{category!r} is not a category (expected one of {', '.join(vocab.CATEGORIES)})")


# --- the node's checks, on the message ------------------------------------------------


def check_submission(sub: node_pb2.SeizureSubmission, *, node_country: str | None = None,
                     today: datetime.date) -> None:
    """Check a submission as the node stores it, and normalise it in place: upper-case codes, a
    normalised record id, transit countries without repeats, empty parts cleared. ValidationError
    names the first bad field (docs/protocol.md#seizure-record)."""
    if isinstance(today, datetime.datetime):
        today = today.date()
    if sub.record_id:
        sub.record_id = normalize_record_id(sub.record_id)
    check_case(sub.seizure, node_country=node_country, today=today)
    if sub.HasField("annex"):
        check_annex(sub.annex, today=today)
        if not sub.annex.ListFields():
            sub.ClearField("annex")


def check_case(case: seizure_pb2.SeizureCase, *, node_country: str | None = None, today: datetime.date) -> None:
    """The seizure rules of docs/protocol.md#seizure-record on one SeizureCase, normalising in place."""
    check_text(case.case_ref, "case_ref", MAX_CASE_REF)
    if not case.seizure_date:
        raise ValidationError("seizure_date", "is required (YYYY-MM-DD)")
    _seizure_date(case.seizure_date, today)
    if not case.country:
        raise ValidationError("country", "is required (ISO 3166-1 alpha-2, e.g. 'DE')")
    country = case.country = _country(case.country, "country")
    if node_country is not None and country != node_country.upper():
        raise ValidationError(
            "country", f"a member node reports its own country {node_country.upper()!r}, not {country!r}")
    check_text(case.customs_office, "customs_office", MAX_CUSTOMS_OFFICE)
    for field, (enum, what) in _CASE_ENUMS.items():
        number = getattr(case, field)
        if number:
            _known(number, field, enum, what)
    if case.departure_country:
        case.departure_country = _country(case.departure_country, "departure_country")
    if len(case.transit_countries) > MAX_TRANSIT_COUNTRIES:
        raise ValidationError(
            "transit_countries",
            f"lists {len(case.transit_countries)} countries; at most {MAX_TRANSIT_COUNTRIES} are allowed",
        )
    codes = [_country(c, f"transit_countries[{i}]") for i, c in enumerate(case.transit_countries)]
    if codes != list(case.transit_countries) or len(set(codes)) != len(codes):
        del case.transit_countries[:]
        case.transit_countries.extend(dict.fromkeys(codes))
    if case.destination_country:
        case.destination_country = _country(case.destination_country, "destination_country")
    if not case.items:
        raise ValidationError("items", "is required: a list of at least one item with section and category")
    if len(case.items) > MAX_ITEMS:
        raise ValidationError("items", f"has {len(case.items)} items; at most {MAX_ITEMS} are allowed")
    for i, item in enumerate(case.items):
        _check_item(item, f"items[{i}]")
    check_text(case.description, "description", MAX_DESCRIPTION, multiline=True)
    if case.HasField("evaluation"):
        evaluation = case.evaluation
        if evaluation.source:
            _known(evaluation.source, "evaluation.source", _SOURCE, "a source reliability code")
        if evaluation.information:
            _known(evaluation.information, "evaluation.information", _INFORMATION, "an information accuracy code")
        if not evaluation.ListFields():
            case.ClearField("evaluation")


def _check_item(item: seizure_pb2.SeizureItem, prefix: str) -> None:
    if not item.section:
        raise ValidationError(f"{prefix}.section", f"is required (one of {', '.join(vocab.SECTIONS)})")
    section = _known(item.section, f"{prefix}.section", _SECTION, "a section")
    allowed = vocab.SECTIONS[section]
    if not item.category:
        raise ValidationError(f"{prefix}.category", f"is required (one of {', '.join(allowed)})")
    category = _known(item.category, f"{prefix}.category", _CATEGORY, "a category")
    if category not in allowed:
        raise _category_refusal(category, section, f"{prefix}.category")
    check_text(item.commodity, f"{prefix}.commodity", MAX_COMMODITY)
    if item.hs_code and not (_DIGITS.fullmatch(item.hs_code) and len(item.hs_code) in HS_CODE_LENGTHS):
        raise ValidationError(
            f"{prefix}.hs_code", f"{item.hs_code!r} is not an HS code (2, 4, 6, 8 or 10 digits, no dots or spaces)")
    if item.HasField("quantity"):
        _amount(item.quantity, f"{prefix}.quantity")
    if item.unit:
        unit = _known(item.unit, f"{prefix}.unit", _UNIT, "a unit")
    elif item.HasField("quantity"):
        raise ValidationError(
            f"{prefix}.unit", f"is required when quantity is given (one of {', '.join(vocab.UNITS)})")
    else:
        unit = None
    if unit == "CURRENCY":
        if not item.currency:
            raise ValidationError(
                f"{prefix}.currency", "is required when unit is CURRENCY (an ISO 4217 code, e.g. 'EUR')")
        item.currency = _currency(item.currency, f"{prefix}.currency")
    elif item.currency:
        raise ValidationError(
            f"{prefix}.currency",
            "is only allowed when unit is CURRENCY (the quantity is then an amount of money)",
        )
    if item.HasField("value_usd"):
        _amount(item.value_usd, f"{prefix}.value_usd")


def check_annex(annex: seizure_pb2.SeizureAnnex, *, today: datetime.date) -> None:
    """The annex rules (personal data: offenders and notes), normalising in place."""
    if len(annex.offenders) > MAX_OFFENDERS:
        raise ValidationError(
            "annex.offenders", f"lists {len(annex.offenders)} offenders; at most {MAX_OFFENDERS} are allowed")
    for i, offender in enumerate(annex.offenders):
        prefix = f"annex.offenders[{i}]"
        if offender.nationality:
            offender.nationality = _country(offender.nationality, f"{prefix}.nationality")
        if offender.gender:
            _known(offender.gender, f"{prefix}.gender", _GENDER, "a gender")
        if offender.HasField("birth_year") and not EARLIEST_BIRTH_YEAR <= offender.birth_year <= today.year:
            raise ValidationError(
                f"{prefix}.birth_year",
                f"{offender.birth_year} is not a year between {EARLIEST_BIRTH_YEAR} and {today.year}",
            )
        check_text(offender.role, f"{prefix}.role", MAX_ROLE)
    check_text(annex.notes, "annex.notes", MAX_NOTES, multiline=True)
    check_identifiers(annex.identifiers, "annex.identifiers")


def check_identifiers(idents, prefix: str) -> None:
    """Each identifier normalised in place (docs/protocol.md#annex-identifiers); a bad one is refused naming it."""
    if len(idents) > identifiers.MAX_IDENTIFIERS:
        raise ValidationError(prefix, f"lists {len(idents)} identifiers; at most {identifiers.MAX_IDENTIFIERS} "
                                      "are allowed")
    for i, ident in enumerate(idents):
        type_name = _known(ident.type, f"{prefix}[{i}].type", _IDENTIFIER_TYPE, "an identifier type")
        ident.value = identifiers.normalise(type_name, ident.value, f"{prefix}[{i}].value")


def _seizure_date(value: str, today: datetime.date) -> None:
    field = "seizure_date"
    if not _ISO_DATE.fullmatch(value):
        raise ValidationError(field, f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a real date") from None
    if day > today:
        raise ValidationError(field, f"{value} is in the future (today is {today.isoformat()})")
    if day < EARLIEST_SEIZURE_DATE:
        raise ValidationError(field, f"{value} is before {EARLIEST_SEIZURE_DATE.isoformat()}")


# --- both, for JSON in and JSON out -------------------------------------------------------


def validate_seizure(data: Any, *, node_country: str | None = None, today: datetime.date) -> dict:
    """A JSON seizure object checked as the node would check it, returned normalised as JSON (a new
    dict; the input is left alone). Its policy is passed through unjudged: the policy rules judge it."""
    sub = parse_submission(data, with_policy=False)
    check_submission(sub, node_country=node_country, today=today)
    out = submission_json(sub)
    if not _absent(data.get("policy")):
        out["policy"] = copy.deepcopy(data["policy"])
    return {k: out[k] for k in SEIZURE_FIELDS if k in out}


def submission_json(sub: node_pb2.SeizureSubmission) -> dict:
    """A submission as one seizure object: record_id, the case's fields, policy and annex."""
    out = {"record_id": sub.record_id} if sub.record_id else {}
    out.update(pb_to_dict(sub.seizure))
    if sub.HasField("policy"):
        out["policy"] = pb_to_dict(sub.policy)
    if sub.HasField("annex"):
        out["annex"] = pb_to_dict(sub.annex)
    return out


def seizure_summary(body: dict) -> dict:
    """The summary of a hit notice (docs/protocol.md#hit-summary): date, country, sections, categories."""
    items = body.get("items") or []
    return {
        "seizure_date": body.get("seizure_date"),
        "country": body.get("country"),
        "sections": sorted({i["section"] for i in items if "section" in i}),
        "categories": sorted({i["category"] for i in items if "category" in i}),
    }


# --- CSV ------------------------------------------------------------------------

_CSV_TEXT_COLUMNS: tuple[str, ...] = (
    "record_id",
    "case_ref",
    "seizure_date",
    "country",
    "customs_office",
    "location_type",
    "direction",
    "detection",
    "conveyance",
    "concealment",
    "departure_country",
    "destination_country",
    "description",
)
_CSV_ITEM_COLUMNS: tuple[str, ...] = ITEM_FIELDS
_CSV_NUMBER_COLUMNS: tuple[str, ...] = ("quantity", "value_usd")
_CSV_POLICY_COLUMNS: tuple[str, ...] = (
    "tlp",
    "share_scope",
    "share_nodes",
    "discover_scope",
    "annex_scope",
    "handling",
    "handling_note",
)

CSV_COLUMNS: tuple[str, ...] = (
    "record_id",
    "case_ref",
    "seizure_date",
    "country",
    "customs_office",
    "location_type",
    "direction",
    "detection",
    "conveyance",
    "concealment",
    "departure_country",
    "transit_countries",
    "destination_country",
    "ecommerce",
    "section",
    "category",
    "commodity",
    "hs_code",
    "quantity",
    "unit",
    "currency",
    "value_usd",
    "description",
    "evaluation_source",
    "evaluation_information",
    "tlp",
    "share_scope",
    "share_nodes",
    "discover_scope",
    "annex_scope",
    "handling",
    "handling_note",
    "items_json",
    "policy_json",
    "annex_json",
)
CSV_LIST_SEPARATOR = ";"

_CSV_TRUE = ("true", "yes", "1")
_CSV_FALSE = ("false", "no", "0")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def csv_header_problems(fieldnames: Iterable[str | None] | None) -> str | None:
    """Check a CSV header once, before its rows: a message naming the problem, or None if usable."""
    if fieldnames is None:
        return "the file is empty: its first line must name the columns"
    names = list(fieldnames)
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if name is None or name == "":
            return f"column {position} has no name"
        if name.startswith("\ufeff"):
            return "the header starts with a byte-order mark: read the file with encoding 'utf-8-sig'"
        if name not in CSV_COLUMNS:
            return f"unknown column {name!r} (allowed: {', '.join(CSV_COLUMNS)})"
        if name in seen:
            return f"column {name!r} appears more than once"
        seen.add(name)
    for required in ("seizure_date", "country"):
        if required not in seen:
            return f"missing column {required!r}"
    if "items_json" not in seen and not {"section", "category"} <= seen:
        return "missing item columns: give 'section' and 'category', or 'items_json'"
    return None


def _split(cell: str) -> list[str]:
    # Spaces around the separator are layout ("PA; ES"), not part of a code.
    return [part.strip() for part in cell.split(CSV_LIST_SEPARATOR)]


def _csv_number(column: str, cell: str) -> float:
    text = cell.strip()
    if not _DECIMAL.fullmatch(text):
        hint = " (use a point as decimal separator, no thousands separator)" if "," in text else ""
        raise ValidationError(column, f"{cell!r} is not a number{hint}")
    number = float(text)
    if not math.isfinite(number):
        raise ValidationError(column, f"{cell!r} is too large")
    return number


def _csv_json(column: str, cell: str) -> Any:
    try:
        return json.loads(cell)
    except json.JSONDecodeError as e:
        raise ValidationError(column, f"is not valid JSON: {e.msg} at character {e.pos + 1}") from None


def csv_row_to_seizure(row: dict[str, str]) -> dict:
    """Turn one csv.DictReader row (one case) into the JSON-shaped dict that validate_seizure takes."""
    cells: dict[str, str] = {}
    for column, cell in row.items():
        if column is None:
            # DictReader files cells beyond the header under the key None.
            raise ValidationError("", "the row has more cells than the header has columns")
        if column not in CSV_COLUMNS:
            raise ValidationError(column, f"unknown column {column!r} (allowed: {', '.join(CSV_COLUMNS)})")
        if cell is not None and cell != "":
            if not isinstance(cell, str):
                raise ValidationError(column, f"must be text, not {_kind(cell)}")
            cells[column] = cell

    out: dict[str, Any] = {}
    for column in _CSV_TEXT_COLUMNS:
        if column in cells:
            out[column] = cells[column]
    if "transit_countries" in cells:
        out["transit_countries"] = _split(cells["transit_countries"])
    if "ecommerce" in cells:
        flag = cells["ecommerce"].strip().lower()
        if flag in _CSV_TRUE:
            out["ecommerce"] = True
        elif flag in _CSV_FALSE:
            out["ecommerce"] = False
        else:
            raise ValidationError(
                "ecommerce",
                f"{cells['ecommerce']!r} is not a yes/no value (write true, false, yes, no, 1 or 0)",
            )

    item_columns = [c for c in _CSV_ITEM_COLUMNS if c in cells]
    if "items_json" in cells:
        if item_columns:
            raise ValidationError(
                "items_json",
                "give the items either in items_json or in the single-item columns, not both "
                f"({item_columns[0]!r} is filled too)",
            )
        items = _csv_json("items_json", cells["items_json"])
        if not isinstance(items, list):
            raise ValidationError(
                "items_json",
                'must be a JSON list of items such as [{"section": "DRUGS", "category": "COCAINE"}], '
                f"not {_kind(items)}",
            )
        out["items"] = items
    elif item_columns:
        item: dict[str, Any] = {}
        for column in item_columns:
            cell = cells[column]
            item[column] = _csv_number(column, cell) if column in _CSV_NUMBER_COLUMNS else cell
        out["items"] = [item]

    evaluation = {}
    if "evaluation_source" in cells:
        evaluation["source"] = cells["evaluation_source"]
    if "evaluation_information" in cells:
        evaluation["information"] = cells["evaluation_information"]
    if evaluation:
        out["evaluation"] = evaluation

    policy_columns = [c for c in _CSV_POLICY_COLUMNS if c in cells]
    if "policy_json" in cells:
        if policy_columns:
            raise ValidationError(
                "policy_json",
                "give the policy either in policy_json or in the policy columns, not both "
                f"({policy_columns[0]!r} is filled too)",
            )
        out["policy"] = _csv_json("policy_json", cells["policy_json"])
    elif policy_columns:
        policy: dict[str, Any] = {}
        if "tlp" in cells:
            policy["tlp"] = cells["tlp"]
        if "share_scope" in cells or "share_nodes" in cells:
            share: dict[str, Any] = {}
            if "share_scope" in cells:
                share["scope"] = cells["share_scope"]
            if "share_nodes" in cells:
                share["nodes"] = _split(cells["share_nodes"])
            policy["share"] = share
        if "discover_scope" in cells:
            policy["discover"] = {"scope": cells["discover_scope"]}
        if "annex_scope" in cells:
            policy["annex"] = {"scope": cells["annex_scope"]}
        if "handling" in cells:
            policy["handling"] = cells["handling"]
        if "handling_note" in cells:
            policy["handling_note"] = cells["handling_note"]
        out["policy"] = policy

    if "annex_json" in cells:
        out["annex"] = _csv_json("annex_json", cells["annex_json"])
    return out
