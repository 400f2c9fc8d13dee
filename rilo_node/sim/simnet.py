"""Where the nodes of a simulated network live and how they reach each other: all on 127.0.0.1 (the
default), each in a network namespace of its own (`--hosts`, rilo_node.sim.netns), and with every
link delayed by a WAN relay (`--latency wan`, rilo_node.sim.relay and rilo_node.sim.wan).

With a relay, each node gets its own copy of the directory in which every other node's address is
the relay port of the link from it to that node; the workdir's topology.toml keeps the real ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rilo_node.core.errors import RiloError
from rilo_node.core.topology import Directory, dump_topology
from rilo_node.sim import netns, wan

UNIX_PATH_MAX = 107
RELAY_READY_TIMEOUT = 60.0


class NetworkError(RiloError):
    """The simulated network cannot be set up as asked; the message says why."""


@dataclass(frozen=True)
class NetOptions:
    """How `cluster up` places and links the nodes."""

    hosts: bool = False
    latency: str | None = None  # "wan", or None for none
    latency_table: Path | None = None
    loss: float = 0.0  # a fraction of TCP segments
    bandwidth_bps: float | None = None  # per link and direction

    def __post_init__(self):
        if self.latency not in (None, "wan"):
            raise NetworkError(f"--latency: wan or none, not {self.latency!r}")
        if self.latency is None and (self.loss or self.bandwidth_bps is not None):
            raise NetworkError("--loss and --bandwidth shape the WAN links: give --latency wan too")
        wan.LinkShape(loss=self.loss, bandwidth_bps=self.bandwidth_bps)  # checks the ranges

    @property
    def relayed(self) -> bool:
        return self.hosts or self.latency is not None

    def describe(self) -> dict:
        return {"hosts": self.hosts, "latency": self.latency,
                "latency_table": str(self.latency_table or wan.default_table_path()),
                "loss": self.loss, "bandwidth_bps": self.bandwidth_bps}


def _ephemeral_range() -> tuple[int, int]:
    try:
        lo, hi = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(n: int) -> list[int]:
    """n distinct ports free on 127.0.0.1 now, below the kernel's ephemeral range when there is room: a port
    the kernel hands out for outgoing connections (and for port 0) could be taken, between this choice
    and the node binding it, by a node already started dialling its peers."""
    import random
    import socket

    lo, _ = _ephemeral_range()
    candidates = list(range(max(1024, lo - 16384), lo))
    random.shuffle(candidates)
    socks, ports = [], []
    try:
        for port in candidates:
            if len(ports) == n:
                break
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            socks.append(s)
            ports.append(port)
        while len(ports) < n:  # no room below the range: the kernel's choice
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


class Placement:
    """Each node's listen and metrics address, the address a tool on this machine calls it at, and
    its namespace (None on 127.0.0.1)."""

    def __init__(self, workdir: Path, ids: list[str], options: NetOptions):
        self.workdir = workdir
        self.ids = list(ids)
        self.options = options
        self.plan = netns.HostsPlan.new(len(ids)) if options.hosts else None
        self.listen: dict[str, str] = {}
        self.metrics: dict[str, str] = {}
        self.client: dict[str, str] = {}
        self.namespace: dict[str, str | None] = {}
        self.relay_pid: int | None = None
        if self.plan:
            for i, node_id in enumerate(ids):
                ip = self.plan.address(i)
                self.listen[node_id] = f"{ip}:{netns.NODE_PORT}"
                self.metrics[node_id] = f"{ip}:{netns.METRICS_PORT}"
                sock = workdir / "sock" / f"{i}.sock"
                if len(str(sock)) > UNIX_PATH_MAX:
                    raise NetworkError(f"--hosts: the workdir path is too long for a Unix socket ({sock}); "
                                       f"use a shorter --workdir")
                self.client[node_id] = f"unix:{sock}"
                self.namespace[node_id] = self.plan.namespace(i)
        else:
            ports = free_ports(2 * len(ids))  # the gRPC port, then the Prometheus metrics port, of each node
            for node_id, port, metrics_port in zip(ids, ports, ports[len(ids):]):
                self.listen[node_id] = self.client[node_id] = f"127.0.0.1:{port}"
                self.metrics[node_id] = f"127.0.0.1:{metrics_port}"
                self.namespace[node_id] = None

    def ports(self) -> list[int]:
        """The ports the nodes will listen on (gRPC and metrics), for the relay to keep clear of."""
        return [int(a.rsplit(":", 1)[1]) for a in (*self.listen.values(), *self.metrics.values())]

    def host_ip(self, node_id: str) -> str | None:
        return self.listen[node_id].rsplit(":", 1)[0] if self.plan else None

    def create_namespaces(self) -> None:
        if self.plan:
            netns.create(self.plan)

    def relay_links(self, directory: Directory) -> list[dict]:
        links = []
        if self.plan:  # the tools outside reach each node through a Unix socket, undelayed
            (self.workdir / "sock").mkdir(parents=True, exist_ok=True)
            links += [{"name": f"client:{n}", "listen": self.client[n], "upstream": self.listen[n]} for n in self.ids]
        if self.options.latency:
            table = wan.load_table(self.options.latency_table)
            host = netns.HUB_ADDRESS if self.plan else "127.0.0.1"
            for (a, b), ms in wan.link_delays_ms(directory, table).items():
                links.append({"name": f"{a}>{b}", "listen": f"{host}:0", "upstream": self.listen[b],
                              "delay_ms": ms, "loss": self.options.loss, "bandwidth_bps": self.options.bandwidth_bps})
        # The relay holds a socket per link, and two per connection it carries (about one per overlay link
        # and direction): more than the open-files limit lets one process have cannot work.
        import resource

        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        need = len(links) + 4 * sum(len(directory.peers(n)) for n in self.ids) + 100
        if hard != resource.RLIM_INFINITY and need > hard:
            raise NetworkError(f"--latency wan: {len(self.ids)} nodes need a relay socket for each of "
                               f"{len(links):,} directed links, about {need:,} open files, more than this "
                               f"machine allows one process ({hard:,}); use fewer nodes (--members-per-area)")
        return links

    def describe(self) -> dict:
        return {**self.options.describe(),
                "namespaces": self.plan.namespaces() if self.plan else [],
                "hub": self.plan.hub if self.plan else None}


def node_topology(directory: Directory, me: str, ports: dict[str, int], relay_host: str | None) -> str:
    """The directory as node `me` sees it: every other node at the relay port of the link me->it."""
    if relay_host is None:
        return dump_topology(directory)
    for node in directory:
        key = f"{me}>{node.id}"
        if key in ports:
            directory = directory.with_node_fields(node.id, address=f"{relay_host}:{ports[key]}")
    return dump_topology(directory)


# -- the relay process ------------------------------------------------------------------------------

def start_relay(workdir: Path, links: list[dict], hub: str | None, seed: int = 1,
                avoid: list[int] = ()) -> tuple[int, dict[str, int]]:
    """Start the relay for `links` (in namespace `hub`, if any); returns its pid and each link's port
    once all listen, none of them one of `avoid` (the nodes' ports). The config is then rewritten
    with those ports, so a restart binds the same ones."""
    config, ready = workdir / "relay.json", workdir / "relay.ready.json"
    config.write_text(json.dumps({"seed": seed, "links": links, "avoid": list(avoid)}))
    ready.unlink(missing_ok=True)
    with open(workdir / "relay.log", "ab", buffering=0) as log:
        proc = subprocess.Popen([*netns.exec_prefix(hub), sys.executable, "-m", "rilo_node.sim.relay",
                                 str(config), str(ready)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + RELAY_READY_TIMEOUT
    while not ready.exists():
        if proc.poll() is not None:
            tail = (workdir / "relay.log").read_text()[-800:]
            raise NetworkError(f"the link relay exited while starting; its log ends:\n{tail}")
        if time.monotonic() > deadline:
            stop_pid(proc.pid)
            raise NetworkError(f"the link relay did not listen within {RELAY_READY_TIMEOUT:.0f} s")
        time.sleep(0.05)
    ports = json.loads(ready.read_text())["ports"]
    for link in links:
        if not link["listen"].startswith("unix:"):
            link["listen"] = f"{link['listen'].rsplit(':', 1)[0]}:{ports[link['name']]}"
    config.write_text(json.dumps({"seed": seed, "links": links}))
    return proc.pid, ports


def restart_relay(workdir: Path, hub: str | None) -> int:
    links = json.loads((workdir / "relay.json").read_text())["links"]
    pid, _ = start_relay(workdir, links, hub)
    return pid


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def stop_pid(pid: int | None, timeout: float = 10.0) -> None:
    if not pid_alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# -- what cluster up, start and down call -----------------------------------------------------------

def teardown(data: dict) -> list[str]:
    """Stop the relay and remove the namespaces of a cluster (its nodes already stopped); returns
    the namespaces removed."""
    net = data.get("network") or {}
    stop_pid(net.get("relay_pid"))
    net["relay_pid"] = None
    return netns.destroy(net.get("namespaces") or [])


def ensure(workdir: Path, data: dict) -> None:
    """Before starting nodes again after `cluster down`: the namespaces and the relay back as they were."""
    net = data.get("network") or {}
    names = net.get("namespaces") or []
    if names and not set(names) <= netns.existing():
        problem = netns.unavailable()
        if problem:
            raise NetworkError(problem)
        netns.destroy(names)
        token = names[0].removeprefix("rilo-").removesuffix("-hub")
        netns.create(netns.HostsPlan(token, len(names) - 1))
    if (workdir / "relay.json").exists() and not pid_alive(net.get("relay_pid")):
        net["relay_pid"] = restart_relay(workdir, net.get("hub"))
