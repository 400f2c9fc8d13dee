"""Nodes on separate hosts, simulated: a Linux network namespace per node, joined by veth pairs to a
bridge in a hub namespace of their own (`cluster up --hosts`).

Every address lives inside these namespaces, none on this machine's own interfaces:
  - the hub namespace holds the bridge, at 10.77.0.1/16, and the relay process (rilo_node.sim.relay)
    that carries the WAN links and lets the tools outside reach each node through a Unix socket in
    the workdir (the filesystem is shared, the network is not);
  - node i's namespace holds `eth0` at 10.77.x.y/16 and the node's own process, listening there.
The namespaces are named rilo-<token>-hub and rilo-<token>-<i>, the token new for each `cluster up`
and kept in cluster.json, so `cluster down` removes exactly them.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass

from rilo_node.core.errors import RiloError

SUBNET = ipaddress.ip_network("10.77.0.0/16")
HUB_ADDRESS = "10.77.0.1"
FIRST_NODE = 10  # node i is SUBNET[FIRST_NODE + i]
NODE_PORT = 7443
METRICS_PORT = 9464
CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


class NetnsError(RiloError):
    """Namespaces cannot be made or entered here; the message says why."""


def unavailable() -> str | None:
    """Why `--hosts` cannot work on this machine (None when it can): it needs root and `ip`."""
    if os.name != "posix" or not os.path.exists("/proc/self/ns/net"):
        return "--hosts needs Linux network namespaces"
    if os.geteuid() != 0:
        return "--hosts makes network namespaces: it needs root (run it as root, or without --hosts)"
    if shutil.which("ip") is None:
        return "--hosts needs the `ip` command (iproute2), which is not on PATH"
    return None


@dataclass(frozen=True)
class HostsPlan:
    token: str
    count: int

    @classmethod
    def new(cls, count: int) -> "HostsPlan":
        if count > SUBNET.num_addresses - FIRST_NODE - 1:
            raise NetnsError(f"--hosts: at most {SUBNET.num_addresses - FIRST_NODE - 1} nodes")
        return cls(secrets.token_hex(3), count)

    @property
    def hub(self) -> str:
        return f"rilo-{self.token}-hub"

    def namespace(self, i: int) -> str:
        return f"rilo-{self.token}-{i}"

    def address(self, i: int) -> str:
        return str(SUBNET[FIRST_NODE + i])

    def namespaces(self) -> list[str]:
        return [self.hub] + [self.namespace(i) for i in range(self.count)]


def _ip(*args: str, stdin: str | None = None) -> None:
    proc = subprocess.run(["ip", *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        what = " ".join(args[:4]) + (" (batch)" if stdin else "")
        raise NetnsError(f"`ip {what}` failed: {(proc.stderr or proc.stdout).strip()}")


def create(plan: HostsPlan) -> None:
    """Make the hub, the bridge and each node's namespace, veth and address; on any failure remove
    what was made, then raise NetnsError."""
    try:
        _ip("netns", "add", plan.hub)
        hub = [
            "link set lo up",
            "link add br0 type bridge",
            f"addr add {HUB_ADDRESS}/{SUBNET.prefixlen} dev br0",
            "link set br0 up",
        ]
        for i in range(plan.count):
            _ip("netns", "add", plan.namespace(i))
            hub += [f"link add n{i} type veth peer name eth0 netns {plan.namespace(i)}",
                    f"link set n{i} master br0", f"link set n{i} up"]
        _ip("-n", plan.hub, "-batch", "-", stdin="\n".join(hub) + "\n")
        for i in range(plan.count):
            _ip("-n", plan.namespace(i), "-batch", "-", stdin="\n".join([
                "link set lo up", f"addr add {plan.address(i)}/{SUBNET.prefixlen} dev eth0", "link set eth0 up",
            ]) + "\n")
    except BaseException:
        destroy(plan.namespaces())
        raise


def existing() -> set[str]:
    try:
        return set(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return set()


def destroy(names: list[str]) -> list[str]:
    """Remove these namespaces (their veth ends go with them); returns those removed. Processes
    still inside keep a namespace alive until they exit, so stop them first."""
    removed = []
    present = existing()
    for name in names:
        if name in present:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
            removed.append(name)
    return removed


def enter(name: str) -> None:
    """Move the calling process (single-threaded: a freshly forked child) into namespace `name`."""
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NetnsError(f"cannot enter network namespace {name}: {os.strerror(err)}")
    finally:
        os.close(fd)


def exec_prefix(name: str | None) -> list[str]:
    """The command prefix that runs a program inside namespace `name` (none for None)."""
    return ["ip", "netns", "exec", name] if name else []
