"""The command line's flags, in process: every numeric flag bounded (a bad value exits 2 naming the flag,
never a traceback), enum flags in any case, listen addresses as node.listen takes them, the exit code of a
node's refusals, tables that never cut an id, and whether a node is serving."""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from rilo_node.cli import argtypes, output
from rilo_node.cli.argtypes import Bounded, bounded_float, bounded_int, listen_arg
from rilo_node.cli.connect import rpc_error
from rilo_node.cli.main import build_parser, main
from rilo_node.cli.search import scope_of
from rilo_node.core.errors import ConfigError
from rilo_node.node.config import parse_config
from rilo_node.pb.rilo.v1 import node_pb2

# -- walking the parser ------------------------------------------------------------------------------


def leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(("search",), parser), (("records", "get"), parser), ...: every command down to the leaves."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, sub in subs[0].choices.items():
        yield from leaf_parsers(sub, path + (name,))


LEAVES = dict(leaf_parsers(build_parser()))


def is_numeric(action: argparse.Action) -> bool:
    """A flag whose value is a number: its type turns "1" into an int or a float."""
    if action.type in (None, str) or isinstance(action, argparse._SubParsersAction):
        return False
    try:
        value = action.type("1")
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


NUMERIC = [(path, action) for path, parser in LEAVES.items() for action in parser._actions if is_numeric(action)]


def test_the_walk_finds_the_commands_and_their_numeric_flags():
    # A walk that finds nothing would make the tests below pass vacuously.
    flags = {(" ".join(path), action.option_strings[0]) for path, action in NUMERIC}
    assert {("search", "--limit"), ("search", "--deadline-ms"), ("stats", "--deadline-ms"), ("audit", "--limit"),
            ("audit", "--after-id"), ("records export", "--after-seq"), ("records get", "--version"),
            ("seizure import", "--batch"), ("request list", "--limit"), ("status", "--timeout"),
            ("cluster up", "--seed-records")} <= flags


def test_no_numeric_flag_is_a_bare_int_or_float():
    bare = [f"{' '.join(path)} {a.option_strings}" for path, parser in LEAVES.items() for a in parser._actions
            if a.type in (int, float)]
    assert not bare, f"use argtypes.bounded_int / bounded_float for: {bare}"


def test_no_positional_argument_is_numeric():
    # The walk below tries numeric flags only; a numeric positional would need it to learn more.
    assert not [(path, a.dest) for path, a in NUMERIC if not a.option_strings]


@pytest.fixture(scope="module")
def dead_address():
    """A port bound and not listening: a connection to it is refused at once, and no one else takes it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from tests.conftest import seizure_example

    folder = tmp_path_factory.mktemp("inputs")
    (folder / "one.json").write_text(json.dumps(seizure_example()))
    (folder / "many.jsonl").write_text(json.dumps(seizure_example()) + "\n")
    return folder


def required_args(parser: argparse.ArgumentParser, inputs, skip: str = "") -> list[str]:
    """Values for a command's required positionals and flags (but `skip`), so that only the flag under test
    can fail."""
    samples = {"file": str(inputs / "many.jsonl"), "origin": "de", "record_id": "01JQ6ZK0000000000000000003",
               "request": "de/01JQ6ZK0000000000000000003", "node_id": "de", "a": "de", "b": "fr",
               "group_by": "section", "id": "de", "config": str(inputs / "node.toml"),
               "since": "2026-01-01T00:00:00Z"}
    positionals, flags = [], []
    for action in parser._actions:
        if action.dest == skip:
            continue
        if action.option_strings and action.required:
            value = action.choices and list(action.choices)[0] or samples.get(action.dest, "x")
            if action.dest == "file":
                value = str(inputs / "one.json")
            flags += [action.option_strings[0], str(value)]
        elif not action.option_strings and action.nargs not in ("?", "*") and action.dest != "help":
            positionals.append(samples.get(action.dest, "x"))
    return positionals + flags


# Flags that go in pairs, none of them required alone (hitcheck: --type and --value, or --file).
PAIRED_ARGS = {("hitcheck",): ["--type", "IMO", "--value", "9074729"]}


def tried_values(action: argparse.Action) -> list[int | float]:
    values = [-1, 0, 10**12]
    if isinstance(action.type, Bounded):
        t = action.type
        values += [t.minimum, t.maximum, t.minimum - 1, t.maximum + 1]
    return list(dict.fromkeys(values))


def accepts(action: argparse.Action, value) -> bool:
    try:
        action.type(str(value))
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize(("path", "action"), NUMERIC, ids=[f"{' '.join(p)} {a.option_strings[0]}" for p, a in NUMERIC])
def test_every_numeric_flag_refuses_what_is_out_of_range_with_exit_2_and_never_a_traceback(
        path, action, dead_address, inputs, capsys):
    parser = LEAVES[path]
    flag = action.option_strings[0]
    client = "--target" in parser._option_string_actions
    base = [*path, *required_args(parser, inputs, skip=action.dest), *PAIRED_ARGS.get(tuple(path), [])]
    if client:
        base += ["--target", dead_address, "--insecure", "--timeout", "5"]
    for value in tried_values(action):
        argv = [*base, f"{flag}={value}"]
        if not accepts(action, value):
            with pytest.raises(SystemExit) as stopped:
                main(argv)
            err = capsys.readouterr().err
            assert stopped.value.code == 2, (argv, err)
            assert f"argument {'/'.join(action.option_strings)}:" in err and "Traceback" not in err, (argv, err)
        elif client:
            # Past the parser, up to the node (which does not answer): a failure, with a message, exit 1. With
            # --timeout at its smallest, whether the refused connection or the deadline comes first depends on
            # how busy the machine is; either is said plainly.
            code = main(argv)
            err = capsys.readouterr().err
            said = ("node unavailable" in err
                    or (flag == "--timeout" and "no answer within --timeout (node slow or unavailable)" in err))
            assert code == 1 and said and "Traceback" not in err, (argv, code, err)
        else:
            # init, serve, cluster ...: not run here (they would start nodes); the value parses.
            build_parser().parse_args(argv)


def test_a_bad_numeric_value_is_refused_before_a_file_is_read_or_a_node_called(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["records", "export", "--after-seq", "-1", "--node-dir", "/nonexistent"])
    assert stopped.value.code == 2
    assert "argument --after-seq: must be from 0 to" in capsys.readouterr().err


# -- the helpers ------------------------------------------------------------------------------------


def test_bounded_int_takes_whole_numbers_in_range_and_says_what_is_wrong():
    t = bounded_int(1, 10)
    assert t("1") == 1 and t("10") == 10 and t(" 7 ") == 7
    for text, message in (("0", "must be from 1 to 10, not 0"), ("11", "must be from 1 to 10, not 11"),
                          ("1.5", "'1.5' is not a whole number"), ("ten", "'ten' is not a whole number"),
                          ("9" * 5000, "is not a whole number")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            t(text)
    with pytest.raises(ValueError):
        bounded_int(5, 1)


def test_bounded_float_refuses_nan_and_infinity():
    t = bounded_float(0.1, 86_400)
    assert t("0.5") == 0.5 and t("60") == 60.0
    for text in ("nan", "inf", "-inf", "0", "1e9"):
        with pytest.raises(argparse.ArgumentTypeError):
            t(text)


def test_the_cli_bounds_agree_with_what_the_node_takes():
    from rilo_node.api.request_service import MAX_LIST
    from rilo_node.core.federation import MAX_LIMIT
    from rilo_node.node.query import MAX_DEADLINE_MS

    assert argtypes.MAX_DEADLINE_MS == MAX_DEADLINE_MS and argtypes.MAX_LIST == MAX_LIST
    flags = {(" ".join(p), a.option_strings[0]): a.type for p, a in NUMERIC}
    assert flags[("search", "--limit")].maximum == MAX_LIMIT
    assert flags[("search", "--deadline-ms")].maximum == MAX_DEADLINE_MS
    assert flags[("request list", "--limit")].maximum == MAX_LIST


LISTEN_FORMS = ["127.0.0.1:7400", "0.0.0.0:0", "localhost:7400", "de.node.rilo:443", "10.1.2.3:65535",
                "7400", ":7400", "host:", "[::1]:7400", "::1:7400", "host:65536", "host:123456", "a b:7400",
                "host:port", "127.0.0.1:7400 "]


@pytest.mark.parametrize("value", LISTEN_FORMS)
def test_init_and_serve_take_exactly_the_listen_forms_the_config_takes(value):
    probe = {"node": {"id": "de", "listen": value}, "tls": {"ca": "a", "cert": "b", "key": "c"},
             "signing": {"key": "d"}}
    try:
        parse_config(probe, Path("node.toml"))
        config_takes = True
    except ConfigError:
        config_takes = False
    try:
        listen_arg(value)
        cli_takes = True
    except argparse.ArgumentTypeError as exc:
        cli_takes = False
        assert "HOST:PORT" in str(exc)
    assert cli_takes == config_takes, value
    assert cli_takes == (value in LISTEN_FORMS[:5]), value


@pytest.mark.parametrize("command", [["init", "--id", "de"], ["serve", "--config", "node.toml"]])
@pytest.mark.parametrize("value", ["7400", "[::1]:7400"])
def test_init_and_serve_refuse_a_listen_address_serve_could_not_use_with_exit_2(command, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--listen", value])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "argument --listen:" in err and "Traceback" not in err


# -- enum flags in any case -------------------------------------------------------------------------

# Every flag with string choices, each choice written in the other case: `type=upper` or `type=lower`
# (cli/argtypes.py) must give the choice back, as --country takes `de`.
CHOICES = [(path, action, choice) for path, parser in LEAVES.items() for action in parser._actions
           if action.option_strings and action.choices and not isinstance(action, argparse._SubParsersAction)
           for choice in action.choices if isinstance(choice, str) and choice.swapcase() != choice]


@pytest.mark.parametrize(("path", "action", "choice"), CHOICES,
                         ids=[f"{' '.join(p)} {a.option_strings[0]} {c}" for p, a, c in CHOICES])
def test_every_enum_flag_takes_its_values_in_any_case(path, action, choice, inputs):
    others = required_args(LEAVES[path], inputs, skip=action.dest)
    args = build_parser().parse_args([*path, *others, action.option_strings[0], choice.swapcase()])
    assert getattr(args, action.dest) == choice


def test_the_walk_finds_enum_flags():
    found = {(" ".join(p), a.option_strings[0]) for p, a, _ in CHOICES}
    assert {("request list", "--status"), ("request respond", "--status"), ("request create", "--type"),
            ("seizure import", "--format")} <= found


def test_section_category_scope_and_group_by_take_any_case():
    from rilo_node.cli.search import filter_of
    from rilo_node.core.convert import pb_to_dict

    args = build_parser().parse_args(["search", "--section", "drugs", "--category", "Cocaine", "--country", "de",
                                      "--origin", "DE"])
    assert pb_to_dict(filter_of(args)) == {"section": "DRUGS", "category": "COCAINE", "country": "DE", "origin": "de"}
    assert scope_of("Global") == (node_pb2.QUERY_SCOPE_GLOBAL, [])
    assert scope_of("DE,Rilo-WE") == (node_pb2.QUERY_SCOPE_NODES, ["de", "rilo-we"])


# -- exit codes of a node's refusals ----------------------------------------------------------------


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details):
        self._code, self._details = code, details

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return ()


@pytest.mark.parametrize(("code", "exit_code"), [
    (grpc.StatusCode.INVALID_ARGUMENT, 2), (grpc.StatusCode.ALREADY_EXISTS, 1), (grpc.StatusCode.NOT_FOUND, 1),
    (grpc.StatusCode.FAILED_PRECONDITION, 1), (grpc.StatusCode.PERMISSION_DENIED, 1),
    (grpc.StatusCode.UNAVAILABLE, 1), (grpc.StatusCode.RESOURCE_EXHAUSTED, 1)])
def test_only_bad_input_exits_2_and_a_conflict_exits_1(code, exit_code):
    assert rpc_error(FakeRpcError(code, "x")).code == exit_code


# -- tables never cut an id -------------------------------------------------------------------------

ULID, UUID = "01JQ6ZK0000000000000000003", "0190f3a2-1111-7abc-8def-0123456789ab"


def hits(record_ids):
    return {"hits": [{"origin": "rilo-cam", "record_id": rid, "version": 12, "held": i % 2 == 0,
                      "summary": {"seizure_date": "2026-03-14", "country": "DE",
                                  "categories": ["NEW_PSYCHOACTIVE_SUBSTANCES", "COCAINE"]},
                      "body": {"departure_country": "EC", "transit_countries": ["PA", "ES"],
                               "destination_country": "DE"}} for i, rid in enumerate(record_ids)],
            "nodes": [{"node": "de", "status": "OK", "hits": 2, "ms": 3}]}


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_a_search_table_never_cuts_a_record_id_or_an_origin(monkeypatch, width, terminal):
    from rich.console import Console

    buffer = io.StringIO()
    monkeypatch.setattr(output, "console", lambda: Console(file=buffer, width=width, force_terminal=terminal,
                                                           color_system=None))
    output.print_hits(hits([ULID, UUID]), complete=True)
    lines = buffer.getvalue().splitlines()
    for rid in (ULID, UUID):
        assert any(rid in line and "rilo-cam" in line for line in lines), buffer.getvalue()
    if not terminal:  # into a pipe or a file: nothing wraps, one line a hit
        assert sum("NEW_PSYCHOACTIVE_SUBSTANCES, COCAINE" in line for line in lines) == 2


def test_table_widths_shrink_the_widest_wrapping_column_first_and_never_an_id():
    assert output.table_widths([8, 26, 10, 30], [True, True, False, False], 100) == [8, 26, 10, 30]
    assert output.table_widths([8, 26, 10, 30], [True, True, False, False], 60) == [8, 26, 10, 16]
    assert output.table_widths([8, 26, 10, 30], [True, True, False, False], 10) == [8, 26, 4, 4]
    assert output.table_widths([8, 26, 2, 30], [True, True, False, False], 10) == [8, 26, 2, 4]


# -- is a node serving? -----------------------------------------------------------------------------


def test_serving_pid_reads_serve_json_and_checks_the_process_is_alive(tmp_path):
    from types import SimpleNamespace

    from rilo_node.api.server import serving_pid

    runtime = tmp_path / "serve.json"
    config = SimpleNamespace(runtime_path=runtime)
    assert serving_pid(config) is None  # no file
    runtime.write_text(json.dumps({"node": "de", "pid": os.getpid()}))
    assert serving_pid(config) == os.getpid()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    runtime.write_text(json.dumps({"node": "de", "pid": gone.pid}))
    assert serving_pid(config) is None  # a node that was killed leaves its file behind
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # exited, not reaped yet
            with open(f"/proc/{zombie.pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.01)
        runtime.write_text(json.dumps({"node": "de", "pid": zombie.pid}))
        assert serving_pid(config) is None
    finally:
        zombie.wait()
    for junk in ("", "{", '{"pid": "12"}', '{"pid": true}', '{"pid": -1}', "[]"):
        runtime.write_text(junk)
        assert serving_pid(config) is None, junk
