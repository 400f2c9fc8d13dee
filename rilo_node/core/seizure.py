"""Seizure bodies (INTERFACES.md "Seizure"): validate, normalise, summarise, and read from CSV rows."""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from rilo_node.core import vocab
from rilo_node.core.errors import ValidationError

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
ANNEX_FIELDS: tuple[str, ...] = ("offenders", "notes")
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

_ENUMS: dict[str, tuple[tuple[str, ...], str]] = {
    "location_type": (vocab.LOCATION_TYPES, "a location type"),
    "direction": (vocab.DIRECTIONS, "a direction"),
    "detection": (vocab.DETECTIONS, "a detection method"),
    "conveyance": (vocab.CONVEYANCES, "a conveyance"),
    "concealment": (vocab.CONCEALMENTS, "a concealment"),
}


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


def _text(value: Any, field: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, not {_kind(value)}")
    if len(value) > max_len:
        raise ValidationError(field, f"is {len(value)} characters long; at most {max_len} are allowed")
    return value


def _one_of(value: Any, field: str, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, one of {', '.join(allowed)}; not {_kind(value)}")
    if value not in allowed:
        hint = f"; write {value.upper()!r}, values are upper case" if value.upper() in allowed else ""
        raise ValidationError(
            field, f"{value!r} is not {what} (expected one of {', '.join(allowed)}){hint}"
        )
    return value


def _country(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a two-letter country code as text, not {_kind(value)}")
    # isascii first: str.upper() maps some non-ASCII letters to ASCII ('ß' -> 'SS').
    code = value.upper() if value.isascii() else value
    if code not in vocab.COUNTRIES:
        raise ValidationError(
            field, f"{value!r} is not an ISO 3166-1 alpha-2 country code (two letters, e.g. 'DE')"
        )
    return code


def _currency(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a three-letter currency code as text, not {_kind(value)}")
    code = value.upper() if value.isascii() else value
    if code not in vocab.CURRENCIES:
        raise ValidationError(
            field, f"{value!r} is not an active ISO 4217 currency code (three letters, e.g. 'EUR')"
        )
    return code


def _amount(value: Any, field: str) -> float:
    # bool is an int subclass in Python, but `true` is no quantity.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, f"must be a number, not {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValidationError(field, f"must be a finite number, not {value!r}")
    if number < 0:
        raise ValidationError(field, f"must not be negative ({value!r})")
    return number


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
    return _record_id(value)


def _record_id(value: Any) -> str:
    field = "record_id"
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, not {_kind(value)}")
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


def _seizure_date(value: Any, today: datetime.date) -> str:
    field = "seizure_date"
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a date as text, YYYY-MM-DD, not {_kind(value)}")
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
    return value


def _item(value: Any, prefix: str) -> dict:
    item = _object(value, prefix, '{"section": "DRUGS", "category": "COCAINE"}')
    _no_unknown_keys(item, ITEM_FIELDS, f"{prefix}.")
    out: dict[str, Any] = {}

    section = item.get("section")
    if _absent(section):
        raise ValidationError(f"{prefix}.section", f"is required (one of {', '.join(vocab.SECTIONS)})")
    out["section"] = _one_of(section, f"{prefix}.section", vocab.SECTIONS, "a section")

    category = item.get("category")
    allowed = vocab.SECTIONS[section]
    if _absent(category):
        raise ValidationError(f"{prefix}.category", f"is required (one of {', '.join(allowed)})")
    if not isinstance(category, str):
        raise ValidationError(f"{prefix}.category", f"must be text, not {_kind(category)}")
    if category not in allowed:
        raise ValidationError(
            f"{prefix}.category",
            f"{category!r} is not a category of section {section!r} (expected one of {', '.join(allowed)})",
        )
    out["category"] = category

    if not _absent(item.get("commodity")):
        out["commodity"] = _text(item["commodity"], f"{prefix}.commodity", MAX_COMMODITY)

    hs_code = item.get("hs_code")
    if not _absent(hs_code):
        field = f"{prefix}.hs_code"
        if not isinstance(hs_code, str):
            raise ValidationError(
                field,
                f"must be digits written as text (e.g. \"293979\"), not {_kind(hs_code)}: "
                "a number loses leading zeros",
            )
        if not (_DIGITS.fullmatch(hs_code) and len(hs_code) in HS_CODE_LENGTHS):
            raise ValidationError(
                field, f"{hs_code!r} is not an HS code (2, 4, 6, 8 or 10 digits, no dots or spaces)"
            )
        out["hs_code"] = hs_code

    quantity = item.get("quantity")
    if not _absent(quantity):
        out["quantity"] = _amount(quantity, f"{prefix}.quantity")

    unit = item.get("unit")
    if _absent(unit):
        if "quantity" in out:
            raise ValidationError(
                f"{prefix}.unit", f"is required when quantity is given (one of {', '.join(vocab.UNITS)})"
            )
    else:
        out["unit"] = _one_of(unit, f"{prefix}.unit", vocab.UNITS, "a unit")

    currency = item.get("currency")
    if out.get("unit") == "CURRENCY":
        if _absent(currency):
            raise ValidationError(
                f"{prefix}.currency", "is required when unit is CURRENCY (an ISO 4217 code, e.g. 'EUR')"
            )
        out["currency"] = _currency(currency, f"{prefix}.currency")
    elif not _absent(currency):
        raise ValidationError(
            f"{prefix}.currency",
            "is only allowed when unit is CURRENCY (the quantity is then an amount of money)",
        )

    if not _absent(item.get("value_usd")):
        out["value_usd"] = _amount(item["value_usd"], f"{prefix}.value_usd")
    return out


def _evaluation(value: Any) -> dict:
    evaluation = _object(value, "evaluation", '{"source": "B", "information": "2"}')
    _no_unknown_keys(evaluation, EVALUATION_FIELDS, "evaluation.")
    out: dict[str, str] = {}
    if not _absent(evaluation.get("source")):
        out["source"] = _one_of(
            evaluation["source"], "evaluation.source", vocab.SOURCE_RELIABILITY, "a source reliability code"
        )
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
        out["information"] = _one_of(
            information, "evaluation.information", vocab.INFORMATION_ACCURACY, "an information accuracy code"
        )
    return out


def _offender(value: Any, prefix: str, today: datetime.date) -> dict:
    offender = _object(value, prefix, '{"nationality": "NL", "gender": "M", "birth_year": 1985}')
    _no_unknown_keys(offender, OFFENDER_FIELDS, f"{prefix}.")
    out: dict[str, Any] = {}
    if not _absent(offender.get("nationality")):
        out["nationality"] = _country(offender["nationality"], f"{prefix}.nationality")
    if not _absent(offender.get("gender")):
        out["gender"] = _one_of(offender["gender"], f"{prefix}.gender", vocab.GENDERS, "a gender")
    birth_year = offender.get("birth_year")
    if not _absent(birth_year):
        field = f"{prefix}.birth_year"
        if isinstance(birth_year, bool) or not isinstance(birth_year, int):
            raise ValidationError(field, f"must be a whole year such as 1985, not {_kind(birth_year)}")
        if not EARLIEST_BIRTH_YEAR <= birth_year <= today.year:
            raise ValidationError(
                field, f"{birth_year} is not a year between {EARLIEST_BIRTH_YEAR} and {today.year}"
            )
        out["birth_year"] = birth_year
    if not _absent(offender.get("role")):
        out["role"] = _text(offender["role"], f"{prefix}.role", MAX_ROLE)
    return out


def _annex(value: Any, today: datetime.date) -> dict:
    annex = _object(value, "annex", '{"offenders": [...], "notes": "..."}')
    _no_unknown_keys(annex, ANNEX_FIELDS, "annex.")
    out: dict[str, Any] = {}
    if not _absent(annex.get("offenders")):
        offenders = _list(annex["offenders"], "annex.offenders", '[{"nationality": "NL"}]')
        if len(offenders) > MAX_OFFENDERS:
            raise ValidationError(
                "annex.offenders", f"lists {len(offenders)} offenders; at most {MAX_OFFENDERS} are allowed"
            )
        if offenders:
            out["offenders"] = [_offender(o, f"annex.offenders[{i}]", today) for i, o in enumerate(offenders)]
    if not _absent(annex.get("notes")):
        out["notes"] = _text(annex["notes"], "annex.notes", MAX_NOTES)
    return out


# --- the public API -------------------------------------------------------------


def validate_seizure(data: Any, *, node_country: str | None = None, today: datetime.date) -> dict:
    """Return a new, normalised seizure body, or raise ValidationError naming the first bad field."""
    if isinstance(today, datetime.datetime):
        today = today.date()
    if not isinstance(data, dict):
        raise ValidationError("", f"a seizure must be a JSON object, not {_kind(data)}")
    _no_unknown_keys(data, SEIZURE_FIELDS, "")

    out: dict[str, Any] = {}
    given = {k: v for k, v in data.items() if not _absent(v)}

    if "record_id" in given:
        out["record_id"] = _record_id(given["record_id"])
    if "case_ref" in given:
        out["case_ref"] = _text(given["case_ref"], "case_ref", MAX_CASE_REF)

    if "seizure_date" not in given:
        raise ValidationError("seizure_date", "is required (YYYY-MM-DD)")
    out["seizure_date"] = _seizure_date(given["seizure_date"], today)

    if "country" not in given:
        raise ValidationError("country", "is required (ISO 3166-1 alpha-2, e.g. 'DE')")
    out["country"] = _country(given["country"], "country")
    if node_country is not None and out["country"] != node_country.upper():
        raise ValidationError(
            "country",
            f"a member node reports its own country {node_country.upper()!r}, not {out['country']!r}",
        )

    if "customs_office" in given:
        out["customs_office"] = _text(given["customs_office"], "customs_office", MAX_CUSTOMS_OFFICE)
    for field, (allowed, what) in _ENUMS.items():
        if field in given:
            out[field] = _one_of(given[field], field, allowed, what)

    if "departure_country" in given:
        out["departure_country"] = _country(given["departure_country"], "departure_country")
    if "transit_countries" in given:
        transit = _list(given["transit_countries"], "transit_countries", '["PA", "ES"]')
        if len(transit) > MAX_TRANSIT_COUNTRIES:
            raise ValidationError(
                "transit_countries",
                f"lists {len(transit)} countries; at most {MAX_TRANSIT_COUNTRIES} are allowed",
            )
        codes = [_country(c, f"transit_countries[{i}]") for i, c in enumerate(transit)]
        if codes:
            out["transit_countries"] = list(dict.fromkeys(codes))
    if "destination_country" in given:
        out["destination_country"] = _country(given["destination_country"], "destination_country")

    if "ecommerce" in given:
        if not isinstance(given["ecommerce"], bool):
            raise ValidationError("ecommerce", f"must be true or false, not {given['ecommerce']!r}")
        out["ecommerce"] = given["ecommerce"]

    if "items" not in given:
        raise ValidationError("items", "is required: a list of at least one item with section and category")
    items = _list(given["items"], "items", '[{"section": "DRUGS", "category": "COCAINE"}]')
    if not items:
        raise ValidationError("items", "needs at least one item with section and category")
    if len(items) > MAX_ITEMS:
        raise ValidationError("items", f"has {len(items)} items; at most {MAX_ITEMS} are allowed")
    out["items"] = [_item(item, f"items[{i}]") for i, item in enumerate(items)]

    if "description" in given:
        out["description"] = _text(given["description"], "description", MAX_DESCRIPTION)
    if "evaluation" in given:
        evaluation = _evaluation(given["evaluation"])
        if evaluation:
            out["evaluation"] = evaluation
    if "policy" in given:
        # The policy module validates the contents; here it only has to be an object.
        out["policy"] = copy.deepcopy(_object(given["policy"], "policy", '{"share": {"scope": "REGION"}}'))
    if "annex" in given:
        annex = _annex(given["annex"], today)
        if annex:
            out["annex"] = annex
    return out


def seizure_summary(body: dict) -> dict:
    """The summary of a hit notice (INTERFACES.md `search --json`): date, country, sections, categories."""
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
