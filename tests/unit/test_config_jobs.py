"""Node config: the [requests], [validation] and [retention] tables (rilo_node.node.config)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from rilo_node.core.errors import ConfigError
from rilo_node.core.signing import SigningKey
from rilo_node.node.clock import FakeClock
from rilo_node.node.config import KEYS, load_config, render_config
from rilo_node.node.records import RecordBook
from rilo_node.node.requests import deadline_actions
from rilo_node.store.db import Store

# The least a config needs: an id, plaintext on 127.0.0.1 (so no [tls]) and a signing key path.
# No file it names has to exist for the config to load.
MINIMAL = """\
[node]
id = "de"
listen = "127.0.0.1:0"
insecure = true

[signing]
key = "keys/signing.key"
"""


def load(tmp_path, extra: str = ""):
    path = tmp_path / "node.toml"
    path.write_text(MINIMAL + "\n" + extra)
    return load_config(path)


def refused(tmp_path, extra: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, extra)
    message = str(info.value)
    assert message.startswith(f"{(tmp_path / 'node.toml').resolve()}: ")
    return message


def test_defaults_without_the_new_tables(tmp_path):
    config = load(tmp_path)
    assert config.reminder_days == 3
    assert config.deadline_check_every == 60.0
    assert isinstance(config.deadline_check_every, float)
    assert config.validation_required is False
    assert config.retention_days == 0
    assert config.retention_check_every == 3600.0
    assert isinstance(config.retention_check_every, float)


def test_defaults_with_empty_tables(tmp_path):
    config = load(tmp_path, "[requests]\n[validation]\n[retention]\n")
    assert (config.reminder_days, config.deadline_check_every, config.validation_required, config.retention_days,
            config.retention_check_every) == (3, 60.0, False, 0, 3600.0)


def test_every_new_key_is_read(tmp_path):
    config = load(tmp_path, """
[requests]
reminder_days = 7
check_every = 15

[validation]
required = true

[retention]
days = 365
check_every = 120.5
""")
    assert config.reminder_days == 7
    assert config.deadline_check_every == 15.0 and isinstance(config.deadline_check_every, float)
    assert config.validation_required is True
    assert config.retention_days == 365
    assert config.retention_check_every == 120.5


@pytest.mark.parametrize("extra, attr, value", [
    ("[requests]\nreminder_days = 0\n", "reminder_days", 0),
    ("[requests]\ncheck_every = 0.1\n", "deadline_check_every", 0.1),
    ("[requests]\ncheck_every = 0.5\n", "deadline_check_every", 0.5),
    ("[retention]\ndays = 0\n", "retention_days", 0),
    ("[retention]\ncheck_every = 1\n", "retention_check_every", 1.0),
    ("[validation]\nrequired = false\n", "validation_required", False),
])
def test_smallest_accepted_values(tmp_path, extra, attr, value):
    assert getattr(load(tmp_path, extra), attr) == value


def test_render_config_writes_the_defaults(tmp_path):
    path = tmp_path / "node.toml"
    path.write_text(render_config(node_id="de", listen="127.0.0.1:0", insecure=True))
    config = load_config(path)
    assert (config.reminder_days, config.deadline_check_every, config.validation_required, config.retention_days,
            config.retention_check_every) == (3, 60.0, False, 0, 3600.0)


def test_the_new_tables_are_documented_in_keys():
    assert set(KEYS["requests"]) == {"reminder_days", "check_every"}
    assert set(KEYS["validation"]) == {"required"}
    assert set(KEYS["retention"]) == {"days", "check_every"}


REFUSALS = [
    # (case, extra TOML, key the message names)
    ("negative reminder_days", "[requests]\nreminder_days = -1\n", "requests.reminder_days"),
    ("reminder_days as a string", '[requests]\nreminder_days = "3"\n', "requests.reminder_days"),
    ("reminder_days as a bool", "[requests]\nreminder_days = true\n", "requests.reminder_days"),
    ("reminder_days as a fraction", "[requests]\nreminder_days = 1.5\n", "requests.reminder_days"),
    ("reminder_days as a whole float", "[requests]\nreminder_days = 3.0\n", "requests.reminder_days"),
    ("reminder_days as a list", "[requests]\nreminder_days = [3]\n", "requests.reminder_days"),
    ("check_every zero", "[requests]\ncheck_every = 0\n", "requests.check_every"),
    ("check_every below 0.1", "[requests]\ncheck_every = 0.09\n", "requests.check_every"),
    ("check_every negative", "[requests]\ncheck_every = -60\n", "requests.check_every"),
    ("check_every as a string", '[requests]\ncheck_every = "60"\n', "requests.check_every"),
    ("check_every as a bool", "[requests]\ncheck_every = true\n", "requests.check_every"),
    ("check_every as -inf", "[requests]\ncheck_every = -inf\n", "requests.check_every"),
    ("negative retention days", "[retention]\ndays = -30\n", "retention.days"),
    ("retention days as a string", '[retention]\ndays = "30"\n', "retention.days"),
    ("retention days as a bool", "[retention]\ndays = false\n", "retention.days"),
    ("retention days as a float", "[retention]\ndays = 30.5\n", "retention.days"),
    ("retention days as a date", "[retention]\ndays = 2026-01-01\n", "retention.days"),
    ("retention check_every below 1", "[retention]\ncheck_every = 0.5\n", "retention.check_every"),
    ("retention check_every as a string", '[retention]\ncheck_every = "1h"\n', "retention.check_every"),
    ("retention check_every as a bool", "[retention]\ncheck_every = true\n", "retention.check_every"),
    ("required as a string", '[validation]\nrequired = "yes"\n', "validation.required"),
    ("required as a number", "[validation]\nrequired = 1\n", "validation.required"),
    ("required as a lower-case string", '[validation]\nrequired = "true"\n', "validation.required"),
    ("unknown key in [retention]", "[retention]\nkeep = 30\n", "retention.keep"),
    ("unknown key in [requests]", "[requests]\nreminder = 3\n", "requests.reminder"),
    ("unknown key in [validation]", "[validation]\nenabled = true\n", "validation.enabled"),
    ("a key of another table", "[retention]\nreminder_days = 3\n", "retention.reminder_days"),
    ("an unknown table", "[deadlines]\nreminder_days = 3\n", "[deadlines]"),
]


@pytest.mark.parametrize("case, extra, key", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_values_are_refused_naming_the_key(tmp_path, case, extra, key):
    message = refused(tmp_path, extra)
    assert key in message, f"{case}: {message}"


def test_a_table_given_as_a_value_is_refused(tmp_path):
    path = tmp_path / "node.toml"
    path.write_text("retention = 30\n" + MINIMAL)
    with pytest.raises(ConfigError, match=r"\[retention\] must be a table"):
        load_config(path)


def test_the_refusal_says_what_is_wanted(tmp_path):
    message = refused(tmp_path, "[requests]\nreminder_days = -1\n")
    assert "requests.reminder_days must be a whole number" in message and message.endswith("not -1")
    assert refused(tmp_path, "[requests]\nreminder_days = true\n").endswith("not True")
    message = refused(tmp_path, "[requests]\ncheck_every = 0\n")
    assert re.search(r"requests\.check_every must be a number .*0\.1", message)
    assert "retention.check_every must be a number" in refused(tmp_path, "[retention]\ncheck_every = 0\n")
    assert "validation.required must be true or false" in refused(tmp_path, '[validation]\nrequired = "yes"\n')
    message = refused(tmp_path, "[retention]\nkeep = 30\n")
    assert "unknown key retention.keep" in message and "days, check_every" in message


@pytest.mark.parametrize("extra, key", [
    ("[requests]\ncheck_every = nan\n", "requests.check_every"),
    ("[requests]\ncheck_every = inf\n", "requests.check_every"),
    ("[retention]\ncheck_every = nan\n", "retention.check_every"),
    ("[retention]\ncheck_every = inf\n", "retention.check_every"),
    ("[requests]\ncheck_every = 1e300\n", "requests.check_every"),
])
def test_non_finite_or_huge_intervals_are_refused(tmp_path, extra, key):
    # NaN passes `value < minimum`; the scheduler would then fail at node start, naming no key.
    assert key in refused(tmp_path, extra)


@pytest.mark.parametrize("days", [36_500, 1_000_000, 100 * 365 * 86400])
def test_every_accepted_reminder_days_works_for_the_deadline_job(tmp_path, days):
    try:
        config = load(tmp_path, f"[requests]\nreminder_days = {days}\n")
    except ConfigError:
        return  # refused: fine
    assert deadline_actions("SENT", "2026-03-20", dt.date(2026, 3, 25), config.reminder_days, set()) == ["OVERDUE"]
    assert deadline_actions("SENT", "2026-03-20", dt.date(2026, 3, 19), config.reminder_days, set()) == ["REMINDER"]
    assert deadline_actions("SENT", "2026-03-20", dt.date(2026, 3, 19), config.reminder_days, set(),
                            dt.date(2026, 3, 1)) == []


@pytest.mark.parametrize("days", [36_500, 1_000_000, 100 * 365 * 86400])
def test_every_accepted_retention_days_works_for_the_retention_job(tmp_path, directory, days):
    try:
        config = load(tmp_path, f"[retention]\ndays = {days}\n")
    except ConfigError:
        return  # refused: fine
    store = Store(tmp_path / "node.db")
    try:
        book = RecordBook(store, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
        assert book.retention_due(config.retention_days) == []
    finally:
        store.close()


@pytest.mark.parametrize("value", ["19", "0", "-1", "nan", "1e9", '"120"', "true"])
def test_an_idle_stream_time_under_twenty_seconds_or_no_number_is_refused(tmp_path, value):
    assert "limits.idle_stream_seconds" in refused(tmp_path, f"[limits]\nidle_stream_seconds = {value}\n")


def test_the_idle_stream_time_is_read_and_defaults_to_two_minutes(tmp_path):
    assert load(tmp_path).idle_stream_seconds == 120.0
    assert load(tmp_path, "[limits]\nidle_stream_seconds = 20\n").idle_stream_seconds == 20.0
