# PYTHON_ARGCOMPLETE_OK
"""The `rilo-node` command: the parser assembled from the command-group modules, and the exit codes.

Each group module (node, records, requests, search, admin, cluster) registers its subcommands with
`add_parsers`; connect.py says which node to talk to, inputs.py reads files, output.py prints.
"""

from __future__ import annotations

import argparse
import logging
import sys

import argcomplete

from rilo_node import __version__
from rilo_node.cli import admin, backup, cluster, hitcheck, keys, node, op, records, report, requests, search, top, user
from rilo_node.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FAIL,
    EXIT_OK,
    EscapingFormatter,
    shown,
    stdout_to_devnull,
)
from rilo_node.core.errors import CliError, ConfigError, RiloError, ValidationError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rilo-node", description="RILO Net node and client")
    parser.add_argument("--version", action="version", version=f"rilo-node {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # The order here is the order of `rilo-node --help`.
    node.add_parsers(sub)  # init, serve, reindex
    # `seizure` is shared: records.py submits and corrects, requests.py validates.
    seizure = sub.add_parser("seizure", help="submit, correct and validate seizures").add_subparsers(
        dest="action", required=True)
    records.add_seizure_parsers(seizure)  # seizure add, import, update
    requests.add_seizure_parsers(seizure)  # seizure validate, return, validations
    requests.add_parsers(sub)  # request create, list, show, respond, close
    records.add_parsers(sub)  # records export, get, retract
    search.add_parsers(sub)  # search, stats
    hitcheck.add_parsers(sub)  # hitcheck
    op.add_parsers(sub)  # op create|list|show|add|remove|extend|close|post|messages|report
    report.add_parsers(sub)  # report
    admin.add_parsers(sub)  # status, audit, security-events
    keys.add_parsers(sub)  # keys list|rotate|revoke, directory show|publish, cert request|install, ca sign
    top.add_parsers(sub)  # top
    user.add_parsers(sub)  # user add|list|grant|disable|passwd (the web interface's users)
    backup.add_parsers(sub)  # backup, restore
    cluster.add_parsers(sub)  # cluster ..., demo
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # Shell completion (argcomplete): returns at once unless the shell's completion hook called us.
    argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    # Log lines may carry text from records and peers: EscapingFormatter keeps each to one safe line.
    handler = logging.StreamHandler()
    handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[handler])
    try:
        code = args.func(args)
        sys.stdout.flush()  # a reader that went away (`search | head -1`) shows here, or at the print
        return code
    except CliError as exc:
        print(f"rilo-node: {shown(exc, multiline=True)}", file=sys.stderr)
        return exc.code
    except ValidationError as exc:
        print(f"rilo-node: {shown(exc, multiline=True)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (RiloError, ConfigError) as exc:
        print(f"rilo-node: {shown(exc, multiline=True)}", file=sys.stderr)
        return EXIT_FAIL
    except BrokenPipeError:
        # The reader of our output stopped reading: not a failure (docs/operator-guide.md#exit-status).
        stdout_to_devnull()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
