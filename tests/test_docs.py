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
PROTOS = [ROOT / "proto" / "rilo" / "v1" / name for name in ("node.proto", "request.proto")]
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
    proto = re.search(r'"(rilo/v1/[\w]+\.proto)"', script)
    assert proto and (ROOT / "proto" / proto.group(1)).exists()
    assert "examples/node-client.mjs" in read("api.md")


# --- citations of the spec: docs/<file>.md#<anchor> must name a heading of that file --------------

CITING_DIRS = ("rilo_node", "tests", "benchmarks", "docs")
CITATION = re.compile(r"docs/([\w.-]+\.md)#([\w-]+)")
RELATIVE_LINK = re.compile(r"\]\(([\w.-]+\.md)?#([\w-]+)\)")
HEADING = re.compile(r"#{1,6}\s+(.+?)\s*#*\s*$")
SHARED_PAGES = re.compile(r"\b(INTERFACES|ARCHITECTURE)\.md\b")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text in lower case, punctuation but `-` and `_` dropped,
    each space a hyphen (repeats of one heading get -1, -2, … in `anchors`)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = text.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a markdown file's headings (ATX headings outside fenced code)."""
    out: set[str] = set()
    seen: dict[str, int] = {}
    fence = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.lstrip()
        if fence is None and stripped[:3] in ("```", "~~~"):
            fence = stripped[:3]
            continue
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        match = HEADING.match(line)
        if match:
            base = github_anchor(match.group(1))
            count = seen.get(base, 0)
            out.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
    return out


def text_files(*dirs: str):
    """(path, text) of every UTF-8 text file under the given folders of the repository."""
    for name in dirs:
        for path in sorted((ROOT / name).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def citations() -> list[tuple[str, str, str]]:
    """(where, cited file, anchor) for every docs/<file>.md#<anchor> in code, tests, benchmarks and docs,
    and every relative link with an anchor inside docs/ (`[x](protocol.md#records)`, `[x](#records)`)."""
    found = []
    for path, text in text_files(*CITING_DIRS):
        where = path.relative_to(ROOT)
        for lineno, line in enumerate(text.splitlines(), start=1):
            for match in CITATION.finditer(line):
                found.append((f"{where}:{lineno}", match.group(1), match.group(2)))
            if path.suffix == ".md" and path.parent == DOCS:
                for match in RELATIVE_LINK.finditer(line):
                    found.append((f"{where}:{lineno}", match.group(1) or path.name, match.group(2)))
    return found


def test_github_anchors_are_computed_as_github_computes_them():
    assert github_anchor("Worked example: a Node.js client") == "worked-example-a-nodejs-client"
    assert github_anchor("Reading `status`, `audit` and the security events") == \
        "reading-status-audit-and-the-security-events"
    assert github_anchor("Configuration: node.toml") == "configuration-nodetoml"
    assert github_anchor("Share, discover and annex") == "share-discover-and-annex"
    assert github_anchor("RecordHeader") == "recordheader"


def test_the_code_cites_the_protocol_spec_by_anchor():
    # A walk that finds no citation would make the next test pass vacuously.
    cited = {(name, anchor) for _, name, anchor in citations()}
    assert ("protocol.md", "sharing-policy") in cited and ("protocol.md", "the-policy-rule") in cited


def test_every_cited_docs_anchor_is_a_heading_of_the_cited_document():
    known: dict[str, set[str] | None] = {}
    broken = []
    for where, name, anchor in citations():
        if name not in known:
            path = DOCS / name
            known[name] = anchors(path) if path.exists() else None
        if known[name] is None:
            broken.append(f"{where}: docs/{name} does not exist")
        elif anchor not in known[name]:
            broken.append(f"{where}: docs/{name} has no heading #{anchor}")
    assert not broken, "citations that resolve to no heading:\n" + "\n".join(broken)


def test_no_file_under_rilo_node_cites_the_shared_design_pages_outside_the_repository():
    offenders = [f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}"
                 for path, text in text_files("rilo_node")
                 for lineno, line in enumerate(text.splitlines(), start=1)
                 if SHARED_PAGES.search(line)]
    assert not offenders, ("cite docs/protocol.md (or docs/api.md) instead of a page outside the repository:\n"
                           + "\n".join(offenders))
