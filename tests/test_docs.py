"""The docs cover what the code has: every command, every config key, every RPC, and links that resolve."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from rilo_node.cli.main import build_parser
from rilo_node.node.config import KEYS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PROTOS = [ROOT / "proto" / "rilo_node" / "pb" / "rilo" / "v1" / name for name in ("node.proto", "request.proto")]
EXAMPLE = DOCS / "examples" / "node-client.mjs"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps subparsers nowhere else
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command the parser has, down to the leaves: ("init",), ("cluster", "up"), …"""
    paths = []
    for name, sub in _subcommands(parser).items():
        nested = command_paths(sub, prefix + (name,))
        paths.extend(nested or [prefix + (name,)])
    return paths


COMMANDS = command_paths(build_parser())
CONFIG_KEYS = [f"{table}.{key}" for table, keys in KEYS.items() for key in keys]
PROTO_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in PROTOS)
RPCS = re.findall(r"^\s*rpc\s+(\w+)\s*\(", PROTO_TEXT, re.MULTILINE)
SERVICES = re.findall(r"^\s*service\s+(\w+)\s*\{", PROTO_TEXT, re.MULTILINE)


def read(name: str) -> str:
    path = DOCS / name
    assert path.exists(), f"docs/{name} is missing"
    return path.read_text(encoding="utf-8")


def mentions(text: str, words: tuple[str, ...]) -> bool:
    """`rilo-node cluster up` in the text, as whole words (line breaks and spaces between them allowed)."""
    pattern = r"rilo-node" + "".join(r"\s+" + re.escape(w) for w in words) + r"(?![\w-])"
    return re.search(pattern, text) is not None


def markdown_links(text: str) -> list[str]:
    return [m.group(1).split("#", 1)[0] for m in re.finditer(r"\]\(([^)\s]+)\)", text)]


def test_the_parser_has_the_commands_this_test_walks():
    # A walk that finds nothing would make every test below pass vacuously.
    assert ("init",) in COMMANDS and ("cluster", "up") in COMMANDS and ("seizure", "import") in COMMANDS
    assert ("records", "get") in COMMANDS


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_command_and_subcommand_is_documented_as_rilo_node_command_sub(words):
    text = read("operator-guide.md") + "\n" + read("api.md") + "\n" + read("analyst-guide.md")
    assert mentions(text, words), f"`rilo-node {' '.join(words)}` is in the CLI but in no guide"


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_every_config_key_is_documented_in_the_operator_guide(key):
    text = read("operator-guide.md")
    assert re.search(rf"(?<![\w.]){re.escape(key)}(?![\w])", text), f"config key {key} is not in docs/operator-guide.md"


def test_node_proto_has_rpcs_to_check():
    assert len(RPCS) >= 15 and "SubmitSeizure" in RPCS and "Search" in RPCS and "CreateRequest" in RPCS


@pytest.mark.parametrize("rpc", RPCS)
def test_every_rpc_of_node_proto_is_named_in_the_api_guide(rpc):
    assert re.search(rf"\b{rpc}\b", read("api.md")), f"RPC {rpc} of node.proto or request.proto is not named in docs/api.md"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_of_node_proto_is_named_in_the_api_guide(service):
    assert re.search(rf"\b{service}\b", read("api.md")), f"service {service} is not named in docs/api.md"


def test_the_readme_links_to_docs_files_that_exist():
    links = [link for link in markdown_links((ROOT / "README.md").read_text(encoding="utf-8"))
             if link.startswith("docs/")]
    assert links, "README.md links to no docs"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README.md links to docs that do not exist: {missing}"


def test_the_readme_links_to_the_three_guides():
    links = set(markdown_links((ROOT / "README.md").read_text(encoding="utf-8")))
    assert {"docs/operator-guide.md", "docs/api.md", "docs/design.md", "docs/analyst-guide.md"} <= links


@pytest.mark.parametrize("name", ["operator-guide.md", "api.md", "design.md", "analyst-guide.md"])
def test_relative_links_in_the_guides_point_to_files_that_exist(name):
    links = [link for link in markdown_links(read(name)) if link and "://" not in link]
    missing = [link for link in links if not (DOCS / link).exists()]
    assert not missing, f"docs/{name} links to files that do not exist: {missing}"


@pytest.mark.parametrize("name", ["operator-guide.md", "api.md", "design.md", "analyst-guide.md"])
def test_every_command_the_docs_show_being_run_exists(name):
    known = set(COMMANDS) | {path[:1] for path in COMMANDS}
    groups = {path[0] for path in COMMANDS if len(path) > 1}
    for match in re.finditer(r"^\$ rilo-node ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", read(name), re.MULTILINE):
        command, sub = match.group(1), match.group(2)
        words = (command, sub) if command in groups else (command,)
        assert words in known, f"docs/{name} runs `rilo-node {' '.join(w for w in words if w)}`, which does not exist"


def test_the_node_client_example_exists_and_loads_a_proto_file_that_exists():
    script = EXAMPLE.read_text(encoding="utf-8")
    proto = re.search(r'"(rilo_node/pb/rilo/v1/[\w]+\.proto)"', script)
    assert proto and (ROOT / "proto" / proto.group(1)).exists()
    assert "examples/node-client.mjs" in read("api.md")
