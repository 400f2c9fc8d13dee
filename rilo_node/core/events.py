"""Security events: their kinds, and the checks of a listing's filter (since, kind, limit) (pure).

A node writes a security event when it refuses what a peer sent (node/peers.py) or an answer to its
query (node/query.py); `ListSecurityEvents` and `rilo-node security-events` list them.
"""

from __future__ import annotations

import datetime
import re

from rilo_node.core.errors import ValidationError

# Every kind a node writes, with what it means (docs/operator-guide.md lists the same).
SECURITY_EVENT_KINDS: dict[str, str] = {
    "bad_record": "a record failed verification (key, signature, hashes, parsing) and was not stored",
    "not_entitled": "a record arrived that its policy does not let this node hold: refused",
    "annex_not_entitled": "a record arrived with an annex this node may not hold: stored, the annex dropped",
    "older_version": "a version older than the one held, or one a withdrawal forbids, arrived and was ignored",
    "bad_answer": "an answer to this node's federated query could not be opened or verified",
    "bad_key": "a key statement or revocation from a peer failed verification and was not applied",
    "bad_directory": "a directory from a peer or a client was unsigned, badly signed, older, or unusable: refused",
    "quarantined": "a held record is signed by a key revoked at its date: hidden from answers, not passed on",
}

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

# RFC 3339 date-time (section 5.6): full-date "T" full-time, the offset required. RFC 3339 allows a
# lower-case t and z, and a space for the T (its note in 5.6); nothing else.
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}):(?P<second>\d{2})(?:\.(?P<frac>\d+))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def parse_rfc3339(value: str, field: str = "since") -> datetime.datetime:
    """An RFC 3339 date and time with its offset, as an aware datetime; ValidationError names `field`."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError(field, f"{value!r} is not an RFC 3339 date and time with an offset "
                                     "(e.g. 2026-11-28T02:00:00Z or 2026-11-28T03:00:00+01:00)")
    second, frac = match.group("second"), (match.group("frac") or "")[:6].ljust(6, "0")  # the store keeps µs
    if second == "60":  # a leap second (RFC 3339 allows it; datetime does not): its last microsecond before
        second, frac = "59", "999999"
    offset = match.group("offset").upper()
    text = (f"{match.group('date')}T{match.group('time')}:{second}.{frac}"
            f"{'+00:00' if offset == 'Z' else offset}")
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError as exc:  # 2026-02-30, 25:00:00, +24:00
        raise ValidationError(field, f"{value!r} is not a valid date and time: {exc}") from None


def utc_text(moment: datetime.datetime) -> str:
    """The form a node stores times in (node.clock.rfc3339): UTC, microseconds, trailing Z; it sorts as text
    in time order."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_listing(*, since: str, kind: str, limit: int) -> tuple[str, str, int]:
    """The filter of a listing: (since in the stored form or "", kind or "", limit). Empty since and kind
    mean no filter; limit 0 means DEFAULT_LIMIT. ValidationError names the field."""
    since_text = utc_text(parse_rfc3339(since)) if since else ""
    if kind and kind not in SECURITY_EVENT_KINDS:
        raise ValidationError("kind", f"{kind!r} is not one of {', '.join(SECURITY_EVENT_KINDS)}")
    if limit < 0:
        raise ValidationError("limit", f"must be 0 (the default, {DEFAULT_LIMIT}) or more, not {limit}")
    if limit > MAX_LIMIT:
        raise ValidationError("limit", f"at most {MAX_LIMIT}, not {limit}")
    return since_text, kind, limit or DEFAULT_LIMIT
