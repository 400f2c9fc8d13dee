"""The text rule (docs/protocol.md#seizure-checks): no control characters, bidirectional controls or hidden
text in a text field; and the command line escapes them when an older node stored some anyway."""

from __future__ import annotations

import copy
import datetime
import json
import logging
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rilo_node.cli.output import (
    EscapingFormatter,
    json_text,
    print_request,
    print_request_list,
    print_stats,
    shown,
)
from rilo_node.core.errors import ValidationError
from rilo_node.core.seizure import (
    UNSAFE_IN_LINE,
    UNSAFE_IN_TEXT,
    check_text,
    validate_seizure,
)
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.node.requests import check_request
from rilo_node.pb.rilo.v1 import request_pb2

TODAY = datetime.date(2026, 11, 28)
EXAMPLE = {
    "case_ref": "HH-2026-0042",
    "seizure_date": "2026-03-14",
    "country": "DE",
    "customs_office": "Hamburg port",
    "items": [{"section": "DRUGS", "category": "COCAINE", "commodity": "cocaine hydrochloride"}],
    "description": "cocaine hidden in banana boxes",
    "annex": {"offenders": [{"nationality": "NL", "role": "courier"}], "notes": "seen twice"},
}
SINGLE_LINE = ["case_ref", "customs_office", "items[0].commodity", "annex.offenders[0].role"]
MULTI_LINE = ["description", "annex.notes"]

REFUSED = {
    "\x00": "the control character U+0000",
    "\x07": "the control character U+0007",
    "\x08": "the control character U+0008",
    "\x1b": "the control character U+001B",
    "\r": "the control character U+000D",
    "\x7f": "the control character U+007F",
    "\x85": "the control character U+0085",
    "\x9b": "the control character U+009B",
    "\u2028": "the separator U+2028 (LINE SEPARATOR)",
    "\u202a": "the bidirectional control U+202A (LEFT-TO-RIGHT EMBEDDING)",
    "\u202e": "the bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE)",
    "\u2066": "the bidirectional control U+2066 (LEFT-TO-RIGHT ISOLATE)",
    "\u2069": "the bidirectional control U+2069 (POP DIRECTIONAL ISOLATE)",
    "\u206f": "the invisible format character U+206F (NOMINAL DIGIT SHAPES)",
    "\ufff9": "the invisible format character U+FFF9 (INTERLINEAR ANNOTATION ANCHOR)",
    "\U000e0041": "the invisible format character U+E0041 (TAG LATIN CAPITAL LETTER A)",
}
# Letters of every script, marks that mixed-direction text needs, joiners, emoji, spaces: all stay allowed.
ALLOWED = ["Zoll Hamburg-Waltershof, Kai 4", "Müller & Söhne", "ميناء جدة", "東京税関", "Ελλάδα",
           "n\u00b0 12\u00a0kg", "A\u200fB\u200eC\u061c", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
           "👩\u200d👩\u200d👧", "soft\u00adhyphen", "tab-free text with 'quotes' and \\backslashes\\"]


def at(data: dict, path: str, value: str) -> dict:
    """A copy of `data` with the text at a dotted path (`items[0].commodity`) replaced."""
    data = copy.deepcopy(data)
    target = data
    steps = [int(s) if s.isdigit() else s for s in path.replace("[", ".").replace("]", "").split(".")]
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = value
    return data


def refusal(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_seizure(data, today=TODAY)
    return caught.value


# --- the rule, on seizures ------------------------------------------------------------------

@pytest.mark.parametrize("field", SINGLE_LINE + MULTI_LINE)
@pytest.mark.parametrize("char", list(REFUSED), ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_every_text_field_of_a_seizure_refuses_controls_and_bidi_controls_naming_field_and_character(field, char):
    if char == "\r" and field in MULTI_LINE:
        pytest.skip("from JSON a CR in free text is a line break (the next tests); from gRPC it is refused")
    err = refusal(at(EXAMPLE, field, f"before{char}after"))
    assert err.field == field
    assert str(err).startswith(f"{field}: contains {REFUSED[char]}; remove it")


def test_the_message_names_the_field_and_the_character_in_the_documented_words():
    err = refusal(at(EXAMPLE, "description", "cocaine\x1b[2J"))
    assert str(err) == "description: contains the control character U+001B; remove it"


@pytest.mark.parametrize("field", MULTI_LINE)
def test_newline_and_tab_are_allowed_in_description_and_notes(field):
    text = "first line\nsecond line\n\tindented"
    body = validate_seizure(at(EXAMPLE, field, text), today=TODAY)
    assert body["description" if field == "description" else "annex"] == (
        text if field == "description" else {**EXAMPLE["annex"], "notes": text})


@pytest.mark.parametrize("field", SINGLE_LINE)
@pytest.mark.parametrize("char", ["\n", "\t"])
def test_newline_and_tab_are_refused_in_one_line_fields_with_the_reason(field, char):
    err = refusal(at(EXAMPLE, field, f"one{char}two"))
    assert err.field == field
    assert f"U+{ord(char):04X}" in str(err) and "multi-line fields only" in str(err)


def test_a_carriage_return_sent_over_grpc_in_a_multi_line_field_says_how_to_write_a_line_break():
    from rilo_node.core.seizure import check_submission, parse_submission

    sub = parse_submission(EXAMPLE)
    sub.seizure.description = "windows\r\nline"
    with pytest.raises(ValidationError) as caught:
        check_submission(sub, today=TODAY)
    assert "U+000D" in str(caught.value) and "a newline, U+000A, alone" in str(caught.value)


@pytest.mark.parametrize("field", MULTI_LINE)
def test_windows_line_breaks_in_json_free_text_are_read_as_newlines(field):
    body = validate_seizure(at(EXAMPLE, field, "windows\r\nline\rold mac"), today=TODAY)
    value = body["description"] if field == "description" else body["annex"]["notes"]
    assert value == "windows\nline\nold mac"


@pytest.mark.parametrize("text", ALLOWED)
@pytest.mark.parametrize("field", SINGLE_LINE + MULTI_LINE)
def test_letters_of_every_script_marks_joiners_and_emoji_are_accepted(field, text):
    validate_seizure(at(EXAMPLE, field, text), today=TODAY)


def test_the_first_bad_character_is_the_one_named():
    err = refusal(at(EXAMPLE, "description", "a\u202eb\x1bc"))
    assert "U+202E" in str(err) and "U+001B" not in str(err)


def test_the_length_limit_is_still_checked_before_the_characters():
    err = refusal(at(EXAMPLE, "case_ref", "\x1b" * 101))
    assert "at most 100" in str(err)


@given(st.text(max_size=40))
def test_check_text_refuses_exactly_the_unsafe_characters(text):
    for multiline, pattern in ((False, UNSAFE_IN_LINE), (True, UNSAFE_IN_TEXT)):
        try:
            check_text(text, "f", multiline=multiline)
        except ValidationError:
            assert pattern.search(text)
        else:
            assert not pattern.search(text)


def test_every_c0_control_and_del_is_unsafe_and_only_newline_and_tab_are_allowed_in_multi_line_text():
    controls = [chr(c) for c in range(0x20)] + ["\x7f"]
    assert all(UNSAFE_IN_LINE.fullmatch(c) for c in controls)
    assert [c for c in controls if not UNSAFE_IN_TEXT.fullmatch(c)] == ["\t", "\n"]


# --- the rule, on requests for assistance --------------------------------------------------------

def a_request(**overrides) -> request_pb2.AssistanceRequest:
    fields = {"addressee": "jp", "legal_basis": "Nairobi Convention, Annex X",
              "assistance": request_pb2.ASSISTANCE_TYPE_INFORMATION, "subject": "Importer of container MSKU1234565",
              "facts": "Cocaine found in banana boxes.", "due_date": "2026-12-15", "contact": "officer@zoll.example"}
    fields.update(overrides)
    return request_pb2.AssistanceRequest(**fields)


@pytest.fixture(scope="module")
def real_directory():
    return load_topology(default_topology_path())


@pytest.mark.parametrize("field", ["legal_basis", "subject", "facts", "contact"])
@pytest.mark.parametrize("char", ["\x1b", "\u202e", "\x9b"])
def test_every_text_of_a_request_refuses_controls_naming_the_field(real_directory, field, char):
    with pytest.raises(ValidationError) as caught:
        check_request(a_request(**{field: f"text{char}more"}), "de", real_directory, TODAY)
    assert caught.value.field == f"request.{field}" and f"U+{ord(char):04X}" in str(caught.value)


def test_the_facts_of_a_request_may_have_lines_and_its_subject_may_not(real_directory):
    check_request(a_request(facts="line one\nline two\ttab"), "de", real_directory, TODAY)
    with pytest.raises(ValidationError) as caught:
        check_request(a_request(subject="line one\nline two"), "de", real_directory, TODAY)
    assert caught.value.field == "request.subject"


# --- what the command line prints ------------------------------------------------------------------

def test_shown_escapes_what_moves_the_cursor_or_reorders_a_line_and_keeps_letters():
    assert shown("a\x1b[2Jb\u202ec\x9bd\U000e0041é") == "a\\x1b[2Jb\\u202ec\\x9bd\\U000e0041é"
    assert shown("one\ntwo\tthree\r") == "one\\ntwo\\tthree\\r"


def test_shown_keeps_lines_and_tabs_of_multi_line_text_and_indents_further_lines():
    assert shown("one\n\ttwo\x1b", multiline=True, indent="  ") == "one\n  \ttwo\\x1b"


@given(st.text())
def test_shown_never_lets_an_unsafe_character_through(text):
    assert not UNSAFE_IN_LINE.search(shown(text))
    assert not UNSAFE_IN_TEXT.search(shown(text, multiline=True))


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=8))
def test_json_text_is_the_same_json_and_safe_on_a_terminal(obj):
    for indent in (None, 2):
        text = json_text(obj, indent)
        assert json.loads(text) == obj
        assert not UNSAFE_IN_TEXT.search(text)


def test_json_text_keeps_letters_as_they_are():
    assert json_text({"d": "Müller\u202e"}) == '{"d": "Müller\\u202e"}'
    assert json_text({"t": "\U000e0041"}) == '{"t": "\\udb40\\udc41"}'


def test_a_log_line_with_text_from_a_peer_stays_one_escaped_line():
    formatter = EscapingFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord("rilo_node.node.query", logging.WARNING, __file__, 1,
                               "[peer=%s] hit %s refused: %s", ("fr\x1b[2J", "de/01J\u202e", "bad\nFAKE LINE"), None)
    assert formatter.format(record) == "WARNING [peer=fr\\x1b[2J] hit de/01J\\u202e refused: bad\\nFAKE LINE"
    assert record.args == ("fr\x1b[2J", "de/01J\u202e", "bad\nFAKE LINE")  # other handlers see it unchanged


def test_a_traceback_in_a_log_keeps_its_lines_and_escapes_the_rest():
    formatter = EscapingFormatter("%(message)s")
    try:
        raise ValueError("bad \x1b[31m value")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = formatter.format(record)
    assert "\x1b" not in text and "\\x1b[31m" in text and text.count("\n") >= 2


def test_a_request_shown_from_an_older_node_prints_no_control_characters(capsys):
    summary = {"origin": "de", "record_id": "01J", "requester": "de", "addressee": "jp", "via_rilo": None,
               "assistance": "INFORMATION", "urgency": "URGENT", "subject": "sub\x1b[2Jject", "due_date": "2026-12-01",
               "created_at": "2026-11-01T00:00:00Z", "status": "SENT", "overdue": False}
    print_request_list([summary])
    print_request({**summary, "request": {"legal_basis": "art\u202e 3", "facts": "line one\nline\x07 two",
                                          "contact": "c\x9b"},
                   "events": [{"created_at": "t", "kind": "RESPONSE", "origin": "jp", "status": "ANSWERED",
                               "counts": True, "text": "see\nattached\x1b[1A", "reason": ""}]})
    out = capsys.readouterr().out
    assert not UNSAFE_IN_TEXT.search(out)
    assert "sub\\x1b[2Jject" in out and "art\\u202e 3" in out and "line\\x07 two" in out
    assert "\n    line\\x07 two" in out  # a further line of the facts stays indented under them


def test_a_table_cell_is_neither_a_control_sequence_nor_rich_markup(capsys):
    out = {"groups": [{"key": {"customs_office": "[bold]Port[/] \x1b[31m[/x]"}, "cases": 1, "items": 2}],
           "nodes": [{"node": "de", "status": "OK"}]}
    print_stats(out, ["customs_office"], complete=True)
    printed = capsys.readouterr().out
    assert "[bold]Port[/]" in printed and "\\x1b[31m[/x]" in printed and "\x1b" not in printed
