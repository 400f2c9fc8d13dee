"""Annex identifiers (docs/protocol.md#annex-identifiers): each type's written form, normalised or refused.

The normalised form is what a node stores in its annex, what its hit-check filter is
built from and what an asker blinds, so two ways of writing one container, phone
or passport meet on one value. Containers and IMO numbers are checked by
python-stdnum (their check digits), phone numbers by libphonenumber; the ICAO 9303
document numbers, plates and company registrations are small functions here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from rilo_node.core import vocab
from rilo_node.core.errors import ValidationError

TYPES: tuple[str, ...] = ("CONTAINER", "IMO", "PHONE", "PASSPORT", "ID_CARD", "PLATE", "COMPANY")
MAX_IDENTIFIERS = 100
MAX_VALUE = 64

# Spaces (any kind), dashes (any kind) and dots are ignored; so are the brackets of a phone number.
_IGNORED = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
_BRACKETS = re.compile(r"[()\[\]]")
_ALNUM = re.compile(r"[A-Z0-9]+")

# ICAO 9303 Part 3 §5: the issuing state or organisation in the MRZ. ISO 3166-1 alpha-3 but Germany, which
# is "D"; plus the codes ICAO lists for organisations and persons without a nationality.
_ICAO_EXTRA = frozenset({
    "D", "EUE", "UNO", "UNA", "UNK", "XBA", "XIM", "XCC", "XCE", "XCO", "XEC", "XPO", "XES", "XMP", "XOM",
    "XDC", "XXA", "XXB", "XXC", "XXX", "GBD", "GBN", "GBO", "GBP", "GBS", "RKS",
})
# The libraries (python-stdnum, phonenumbers, pycountry and its country tables) are imported when an
# identifier is first checked, not with this module: a node that never sees one does not carry them.


@cache
def icao_issuers() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries if c.alpha_3 != "DEU") | _ICAO_EXTRA
# ICAO 9303: a TD3 (passport) document number field is 9 characters; a TD1 card may carry a longer
# number, its overflow in the optional data (at most 9 + 15 - 1 characters in all).
_MAX_DOCUMENT = {"PASSPORT": 9, "ID_CARD": 23}
MAX_PLATE = 15
MAX_COMPANY = 35


def _refuse(field: str, type_name: str, raw: str, why: str) -> ValidationError:
    return ValidationError(field, f"{type_name} {raw!r} is refused: {why}")


def _squash(value: str) -> str:
    # NFKC folds full-width digits and letters to ASCII; upper() only on ASCII ('ß' would become 'SS').
    text = unicodedata.normalize("NFKC", value)
    text = _IGNORED.sub("", text)
    return text.upper() if text.isascii() else text


def normalise(type_name: str, value: str, field: str = "value") -> str:
    """The normalised form of ``value`` as an identifier of ``type_name``; ValidationError naming it otherwise."""
    if type_name not in TYPES:
        raise ValidationError(field.rsplit(".", 1)[0] + ".type" if "." in field else "type",
                              f"{type_name!r} is not an identifier type (expected one of {', '.join(TYPES)})")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"a {type_name} identifier needs a value")
    if len(value) > MAX_VALUE:
        raise _refuse(field, type_name, value[:MAX_VALUE] + "…", f"longer than {MAX_VALUE} characters")
    return _NORMALISERS[type_name](value, field)


def _container(raw: str, field: str) -> str:
    from stdnum import iso6346
    from stdnum.exceptions import ValidationError as StdnumError

    text = _squash(raw)
    try:
        # ISO 6346: owner code (3 letters), category (U, J, Z), 6-digit serial, check digit; a remainder
        # of 10 counts as 0 (stdnum computes sum % 11 % 10).
        return iso6346.validate(text)
    except StdnumError as exc:
        raise _refuse(field, "CONTAINER", raw, f"not an ISO 6346 container number ({exc})") from None


def _imo(raw: str, field: str) -> str:
    from stdnum import imo
    from stdnum.exceptions import ValidationError as StdnumError

    text = _squash(raw)
    text = text.removeprefix("IMO")
    if not re.fullmatch(r"[0-9]{7}", text):
        raise _refuse(field, "IMO", raw, "an IMO number is 7 digits, optionally after 'IMO'")
    try:
        return imo.validate(text)
    except StdnumError as exc:
        raise _refuse(field, "IMO", raw, f"not a valid IMO number ({exc})") from None


def _phone(raw: str, field: str) -> str:
    import phonenumbers

    text = _BRACKETS.sub("", _squash(raw))
    if not text.startswith("+"):
        raise _refuse(field, "PHONE", raw, "write it in E.164: '+', the country code and the number")
    if not re.fullmatch(r"\+[0-9]{2,15}", text):
        raise _refuse(field, "PHONE", raw, "E.164 holds '+' and at most 15 digits")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise _refuse(field, "PHONE", raw, f"not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise _refuse(field, "PHONE", raw, "not a valid number in its country's numbering plan")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _split(type_name: str, raw: str, field: str, example: str) -> tuple[str, str]:
    text = _squash(raw)
    if text.count(":") != 1:
        raise _refuse(field, type_name, raw, f"write it as {example}")
    prefix, rest = text.split(":")
    if not rest:
        raise _refuse(field, type_name, raw, f"the part after ':' is empty (write it as {example})")
    return prefix, rest


def _document(type_name: str):
    def normalise_document(raw: str, field: str) -> str:
        issuer, number = _split(type_name, raw, field, "ISSUER:NUMBER, e.g. 'NLD:XN0123456'")
        if issuer not in icao_issuers():
            raise _refuse(field, type_name, raw,
                          f"{issuer!r} is not an ICAO 9303 issuer code (alpha-3, 'D' for Germany)")
        if not _ALNUM.fullmatch(number):
            raise _refuse(field, type_name, raw, "a document number holds only letters A-Z and digits")
        if len(number) > _MAX_DOCUMENT[type_name]:
            raise _refuse(field, type_name, raw,
                          f"a document number is at most {_MAX_DOCUMENT[type_name]} characters (ICAO 9303)")
        return f"{issuer}:{number}"

    return normalise_document


def _country_prefixed(type_name: str, max_len: int, example: str):
    def normalise_prefixed(raw: str, field: str) -> str:
        country, rest = _split(type_name, raw, field, example)
        if country not in vocab.COUNTRIES:
            raise _refuse(field, type_name, raw, f"{country!r} is not an ISO 3166-1 alpha-2 country code")
        if not _ALNUM.fullmatch(rest):
            raise _refuse(field, type_name, raw, "only letters A-Z and digits after the country code")
        if len(rest) > max_len:
            raise _refuse(field, type_name, raw, f"at most {max_len} characters after the country code")
        return f"{country}:{rest}"

    return normalise_prefixed


_NORMALISERS = {
    "CONTAINER": _container,
    "IMO": _imo,
    "PHONE": _phone,
    "PASSPORT": _document("PASSPORT"),
    "ID_CARD": _document("ID_CARD"),
    "PLATE": _country_prefixed("PLATE", MAX_PLATE, "CC:PLATE, e.g. 'DE:HHAB1234'"),
    "COMPANY": _country_prefixed("COMPANY", MAX_COMPANY, "CC:REGISTRATION_NUMBER, e.g. 'NL:12345678'"),
}


def oprf_input(type_name: str, normalised: str) -> bytes:
    """The bytes an identifier is hashed from: its type and normalised form, so types never collide."""
    return f"{type_name}:{normalised}".encode()
