"""rilo_node.core.events: the filter of a security-event listing (RFC 3339 since, kind, limit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rilo_node.core.errors import ValidationError
from rilo_node.core.events import DEFAULT_LIMIT, SECURITY_EVENT_KINDS, check_listing


@pytest.mark.parametrize("since, stored", [
    ("2026-11-28T02:00:00Z", "2026-11-28T02:00:00.000000Z"),
    ("2026-11-28T03:30:00+01:30", "2026-11-28T02:00:00.000000Z"),
    ("2026-11-27T21:00:00.5-05:00", "2026-11-28T02:00:00.500000Z"),
    ("2026-11-28t02:00:00.123456789z", "2026-11-28T02:00:00.123456Z"),  # lower case; beyond µs cut
    ("2026-11-28 02:00:00Z", "2026-11-28T02:00:00.000000Z"),  # RFC 3339 allows a space
    ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z"),  # a leap second
])
def test_since_is_any_rfc_3339_time_and_compares_in_the_stored_form(since, stored):
    assert check_listing(since=since, kind="", limit=0) == (stored, "", DEFAULT_LIMIT)


@pytest.mark.parametrize("since", ["yesterday", "2026-11-28", "2026-11-28T02:00:00", "2026-11-28T02:00Z",
                                   "2026-02-30T00:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28T02:00:00+24:00",
                                   "20261128T020000Z", "٢٠٢٦-11-28T02:00:00Z"])
def test_anything_else_is_refused_naming_since(since):
    with pytest.raises(ValidationError) as err:
        check_listing(since=since, kind="", limit=0)
    assert err.value.field == "since"


def test_kind_is_one_of_the_kinds_a_node_writes_and_limit_is_bounded():
    assert check_listing(since="", kind="not_entitled", limit=5) == ("", "not_entitled", 5)
    assert set(SECURITY_EVENT_KINDS) == {"bad_record", "not_entitled", "annex_not_entitled", "older_version",
                                         "bad_answer", "bad_key", "bad_directory", "quarantined"}
    for kind, limit, field in (("bad_signature", 0, "kind"), ("", -1, "limit"), ("", 10_001, "limit")):
        with pytest.raises(ValidationError) as err:
            check_listing(since="", kind=kind, limit=limit)
        assert err.value.field == field


def test_every_kind_the_node_writes_can_be_listed():
    # A new kind written without being added to SECURITY_EVENT_KINDS could never be filtered for.
    root = Path(__file__).resolve().parents[2] / "rilo_node"
    written = set()
    for path in root.rglob("*.py"):
        written |= set(re.findall(r'security_event_txn\(.{0,200}?kind="(\w+)"', path.read_text(encoding="utf-8"), re.DOTALL))
    assert written == set(SECURITY_EVENT_KINDS)
