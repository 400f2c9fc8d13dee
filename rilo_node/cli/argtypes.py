"""argparse types shared by the command modules: bounded numbers, listen addresses, enum values.

A value these refuse is an argparse error: exit 2, and a message that names the flag
("argument --limit: must be from 1 to 10000, not -1"), before any file is read or node called.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

# Ids and sequence numbers are SQLite integers (64-bit signed), whatever the proto's uint64 allows.
INT64_MAX = 2**63 - 1
# A query waits for the network at most this long (rilo_node.node.query.MAX_DEADLINE_MS; a test checks
# they agree): a larger --deadline-ms would only be cut down by the node.
MAX_DEADLINE_MS = 30_000
# Lists (`request list`, `seizure validations`, `audit`) answer at most this many entries a call.
MAX_LIST = 10_000
# A random seed: what every random generator takes.
MAX_SEED = 2**32 - 1


class Bounded:
    """An argparse type: a whole number (or, for floats, a finite number) from `minimum` to `maximum`."""

    def __init__(self, kind: type, minimum, maximum):
        if kind not in (int, float) or minimum > maximum:
            raise ValueError(f"bad bounds {minimum}..{maximum} for {kind.__name__}")
        self.kind, self.minimum, self.maximum = kind, minimum, maximum
        # argparse names the type by __name__ in some messages.
        self.__name__ = "whole number" if kind is int else "number"

    def __call__(self, text: str):
        try:
            value = self.kind(text)
        except (TypeError, ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {self.__name__}") from None
        if self.kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if not self.minimum <= value <= self.maximum:
            raise argparse.ArgumentTypeError(f"must be from {self.minimum:g} to {self.maximum:g}, not {text}"
                                             if self.kind is float else
                                             f"must be from {self.minimum} to {self.maximum}, not {text}")
        return value

    def __repr__(self) -> str:
        return f"bounded_{self.kind.__name__}({self.minimum!r}, {self.maximum!r})"


def bounded_int(minimum: int, maximum: int) -> Bounded:
    """`type=bounded_int(1, 10_000)`: a whole number in that range, else exit 2 naming the flag."""
    return Bounded(int, minimum, maximum)


def bounded_float(minimum: float, maximum: float) -> Bounded:
    """`type=bounded_float(0.1, 86_400)`: a finite number in that range, else exit 2 naming the flag."""
    return Bounded(float, minimum, maximum)


def upper(text: str) -> str:
    """An enum value written in any case: `--section drugs` is DRUGS (argparse checks `choices` after this)."""
    return text.upper()


def lower(text: str) -> str:
    """A lower-case name written in any case: `--format CSV` is csv, `--scope Global` is global."""
    return text.lower()


def listen_arg(text: str) -> str:
    """HOST:PORT as `node.listen` takes it, so that `init` writes only what `serve` accepts, and `serve
    --listen` overrides with only that. The rule is the config's own (rilo_node.node.config.parse_config),
    applied to a config that holds nothing else of note."""
    from rilo_node.core.errors import ConfigError
    from rilo_node.node.config import parse_config

    probe = {"node": {"id": "listen-check", "listen": text},
             "tls": {"ca": "ca.pem", "cert": "node.pem", "key": "node.key"}, "signing": {"key": "signing.key"}}
    try:
        parse_config(probe, Path("node.toml"))
    except ConfigError as exc:
        if "node.listen" in str(exc):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not HOST:PORT (an IPv4 address or a host name, and a port from 0 to 65535; "
                "an IPv6 literal is not supported)") from None
        # Anything else the probe tripped on is not about the address.
    return text
