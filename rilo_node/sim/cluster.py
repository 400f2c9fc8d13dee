"""The simulated network: every node its own process on 127.0.0.1, its own folder, its own port.

`cluster.json` in the workdir is the truth about what runs: each node's id, place in the
topology, address, metrics endpoint, folder, process id, state and the credentials a client needs
to call it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rilo_node.core.errors import RiloError
from rilo_node.core.topology import Directory, dump_topology
from rilo_node.node.config import update_config
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.sim import netns, simnet
from rilo_node.sim.simnet import NetOptions

DEFAULT_WORKDIR = Path(".rilo-cluster")
HEALTH_TIMEOUT = 180.0


class ClusterError(RiloError):
    """A cluster command that cannot be carried out; the message says why."""


def choose_nodes(full: Directory, members_per_area: int | None) -> list[str]:
    """The Secretariat, the 12 RILOs, the partners (docs/protocol.md#operations) and the N biggest
    reporters of each area (all with None); members without a RILO (US, CA, MX) count as one more area."""
    from rilo_node.sim.synth import origin_weights, origins_from_nodes

    members = [n for n in full if n.role == "member"]
    weight = dict(zip([m.id for m in members], origin_weights(origins_from_nodes(members))))
    ids = [n.id for n in full if n.role in ("secretariat", "rilo", "partner")]
    areas: dict[str | None, list[str]] = {}
    for m in members:
        areas.setdefault(m.area, []).append(m.id)
    for area in sorted(areas, key=lambda a: a or "~"):
        ranked = sorted(areas[area], key=lambda i: (-weight.get(i, 0.0), i))
        ids += ranked if members_per_area is None else ranked[:members_per_area]
    return ids


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@dataclass
class Progress:
    """Where long cluster work reports to (a rich bar in the CLI, nothing in tests)."""

    start: Callable[[str, int], None] = lambda what, total: None
    advance: Callable[[int], None] = lambda n: None
    done: Callable[[], None] = lambda: None
    say: Callable[[str], None] = lambda text: None


class Cluster:
    def __init__(self, workdir: Path | str = DEFAULT_WORKDIR):
        self.workdir = Path(workdir).resolve()
        self.file = self.workdir / "cluster.json"

    # -- cluster.json --------------------------------------------------------------------

    def exists(self) -> bool:
        return self.file.exists()

    def load(self) -> dict:
        try:
            return json.loads(self.file.read_text())
        except FileNotFoundError:
            raise ClusterError(f"no cluster in {self.workdir} (no cluster.json); start one with "
                               f"`rilo-node cluster up --workdir {self.workdir} --detach`") from None

    def save(self, data: dict) -> None:
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        tmp.replace(self.file)

    def node(self, data: dict, node_id: str) -> dict:
        for n in data["nodes"]:
            if n["id"] == node_id:
                return n
        raise ClusterError(f"node {node_id!r} is not in this cluster ({self.file})")

    def running(self) -> list[str]:
        if not self.exists():
            return []
        return [n["id"] for n in self.load()["nodes"] if pid_alive(n.get("pid"))]

    def directory(self) -> Directory:
        return load_topology(self.workdir / "topology.toml")

    # -- up ----------------------------------------------------------------------------

    def up(self, *, topology: Path | None = None, members_per_area: int | None = 2, progress: Progress = Progress(),
           synchronous: str = "FULL", net: NetOptions = NetOptions(), hitcheck_quota: int | None = None,
           web: str = "all") -> dict:
        """Start the network; `net` puts each node on a host of its own (a network namespace) and/or
        delays every link as the WAN would (rilo_node.sim.simnet)."""
        from rilo_node.node.pki import CertificateAuthority, write_pem

        alive = self.running()
        if alive:
            raise ClusterError(f"a cluster is already running in {self.workdir} ({len(alive)} nodes up); "
                               f"`rilo-node cluster down --workdir {self.workdir}` first")
        if net.hosts and netns.unavailable():
            raise ClusterError(netns.unavailable())
        if self.exists():
            with contextlib.suppress(ValueError, OSError):
                simnet.teardown(self.load())  # a relay or namespaces left by the last network here
        if self.workdir.exists() and any(self.workdir.iterdir()):
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        full = load_topology(topology or default_topology_path())
        ids = choose_nodes(full, members_per_area)
        directory = full.subset(ids)
        progress.say(f"network: {len(ids)} nodes (wco, {sum(1 for n in directory if n.role == 'rilo')} RILOs, "
                     f"{sum(1 for n in directory if n.role == 'member')} members, "
                     f"{sum(1 for n in directory if n.role == 'partner')} partners)")
        ca = CertificateAuthority.create("RILO Net simulated network CA (throwaway)")
        write_pem(self.workdir / "ca" / "ca.pem", ca.cert_pem)
        write_pem(self.workdir / "ca" / "ca.key", ca.key_pem, private=True)
        (self.workdir / "links.json").write_text('{"cut": []}\n')
        place = simnet.Placement(self.workdir, ids, net)
        place.create_namespaces()
        try:
            return self._up(directory, place, ca, topology, synchronous, progress, hitcheck_quota=hitcheck_quota,
                            web=web)
        except BaseException:
            if not self.exists():  # cluster.json names the namespaces and relay for `cluster down`; else undo here
                simnet.teardown({"network": {**place.describe(), "relay_pid": place.relay_pid}})
            raise

    def _up(self, directory: Directory, place: simnet.Placement, ca, topology: Path | None, synchronous: str,
            progress: Progress, *, hitcheck_quota: int | None = None, web: str = "all") -> dict:
        from rilo_node.node.pki import write_pem
        from rilo_node.node.provision import init_node_dir
        from rilo_node.sim import webusers

        ids = place.ids
        web_ids = webusers.web_nodes(web, ids)  # the web interface on these nodes, HTTPS on a free port each
        web_urls = {i: f"{place.host_ip(i) or '127.0.0.1'}:{port}" for i, port in zip(web_ids, free_ports(len(web_ids)))}
        progress.start("credentials", len(ids))
        folders, metrics = {}, place.metrics
        for node_id in ids:
            folder = init_node_dir(self.workdir / "nodes" / node_id, node_id, topology or default_topology_path(),
                                   ca=ca, listen=place.listen[node_id], links="../../links.json")
            if place.host_ip(node_id):  # its certificate names the address of its host
                cert, key = ca.issue_node(node_id, ips=(place.host_ip(node_id),))
                write_pem(folder.path / "tls" / "node.pem", cert)
                write_pem(folder.path / "tls" / "node.key", key, private=True)
            settings: dict[str, dict] = {"metrics": {"listen": metrics[node_id]}}
            if synchronous != "FULL":
                settings["store"] = {"synchronous": synchronous}
            if hitcheck_quota is not None:
                settings["hitcheck"] = {"quota_per_day": hitcheck_quota}
            if node_id in web_urls:
                settings["web"] = {"listen": web_urls[node_id]}
            update_config(folder.config, settings)
            folders[node_id] = folder
            directory = directory.with_node_fields(node_id, address=place.listen[node_id],
                                                   signing_key=folder.signing_key.public_b64)
            progress.advance(1)
        progress.done()
        web_users = webusers.provision(self.workdir, {i: folders[i].config for i in web_ids}) if web_ids else {}
        (self.workdir / "topology.toml").write_text(dump_topology(directory))
        links = place.relay_links(directory)
        ports: dict[str, int] = {}
        if links:
            progress.say(f"relay: {len(links)} links" + (f", WAN delays from {place.options.describe()['latency_table']}"
                                                         if place.options.latency else ""))
            place.relay_pid, ports = simnet.start_relay(self.workdir, links, place.plan.hub if place.plan else None,
                                                        avoid=place.ports())
        relay_host = (netns.HUB_ADDRESS if place.plan else "127.0.0.1") if place.options.latency else None
        for node_id, folder in folders.items():
            (folder.path / "topology.toml").write_text(simnet.node_topology(directory, node_id, ports, relay_host))
        data = {
            "workdir": str(self.workdir),
            "topology": str(self.workdir / "topology.toml"),
            "links": str(self.workdir / "links.json"),
            "network": {**place.describe(), "relay_pid": place.relay_pid},
            "nodes": [
                {
                    "id": n.id, "role": n.role, "region": n.region, "area": n.area,
                    "address": place.client[n.id], "listen": n.address, "netns": place.namespace[n.id],
                    "metrics": metrics[n.id], "data_dir": str(folders[n.id].path), "pid": None, "state": "starting",
                    "ca": str(folders[n.id].ca), "client_cert": str(folders[n.id].client_cert),
                    "client_key": str(folders[n.id].client_key),
                    **({"web": f"https://{web_urls[n.id]}", "web_users": web_users} if n.id in web_urls else {}),
                }
                for n in directory
            ],
        }
        self.save(data)
        started = time.monotonic()
        progress.start("starting nodes", len(ids))
        for entry in data["nodes"]:
            entry["pid"] = launch(Path(entry["data_dir"]), entry.get("netns"))
            progress.advance(1)
        progress.done()
        self.save(data)
        self.wait_healthy(data, progress)
        for entry in data["nodes"]:
            entry["state"] = "running"
        data["healthy_after_s"] = round(time.monotonic() - started, 2)
        self.save(data)
        return data

    def wait_healthy(self, data: dict, progress: Progress = Progress(), ids: list[str] | None = None,
                     timeout: float = HEALTH_TIMEOUT) -> None:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        from rilo_node.api.client import target_from_cluster

        pending = [n for n in data["nodes"] if ids is None or n["id"] in ids]
        progress.start("waiting for health checks", len(pending))
        deadline = time.monotonic() + timeout
        while pending:
            still = []
            for entry in pending:
                if not pid_alive(entry["pid"]):
                    log = Path(entry["data_dir"]) / "serve.log"
                    tail = log.read_text()[-800:] if log.exists() else ""
                    raise ClusterError(f"node {entry['id']} exited while starting; its log ends:\n{tail}")
                channel = target_from_cluster(self.workdir, entry["id"]).channel()
                try:
                    resp = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                    ok = resp.status == health_pb2.HealthCheckResponse.SERVING
                except grpc.RpcError:
                    ok = False
                finally:
                    channel.close()
                if ok:
                    progress.advance(1)
                else:
                    still.append(entry)
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise ClusterError(f"{len(pending)} nodes not healthy after {timeout:.0f} s: "
                                       + ", ".join(n["id"] for n in pending[:10]))
                time.sleep(0.2)
        progress.done()

    # -- down, stop, start ---------------------------------------------------------------

    def down(self, *, delete: bool = False, timeout: float = 30.0) -> int:
        data = self.load()
        pids = [(n, n.get("pid")) for n in data["nodes"] if pid_alive(n.get("pid"))]
        for _, pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for entry, pid in pids:
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for entry in data["nodes"]:
            entry["state"] = "stopped"
            entry["pid"] = None
        simnet.teardown(data)  # the relay, and the namespaces of --hosts
        self.save(data)
        if delete:
            shutil.rmtree(self.workdir)
        return len(pids)

    def stop(self, node_id: str, *, kill: bool = False) -> None:
        data = self.load()
        entry = self.node(data, node_id)
        pid = entry.get("pid")
        if not pid_alive(pid):
            raise ClusterError(f"node {node_id} is not running")
        os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
        deadline = time.monotonic() + 30
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        entry["pid"] = None
        entry["state"] = "killed" if kill else "stopped"
        self.save(data)

    def start(self, node_id: str, progress: Progress = Progress()) -> None:
        data = self.load()
        entry = self.node(data, node_id)
        if pid_alive(entry.get("pid")):
            raise ClusterError(f"node {node_id} is already running (pid {entry['pid']})")
        simnet.ensure(self.workdir, data)
        entry["pid"] = launch(Path(entry["data_dir"]), entry.get("netns"))
        entry["state"] = "starting"
        self.save(data)
        self.wait_healthy(data, progress, ids=[node_id], timeout=60)
        entry["state"] = "running"
        self.save(data)

    def start_all(self, progress: Progress = Progress()) -> float:
        """Start every node that is not running; returns seconds until all answer health checks."""
        data = self.load()
        started = time.monotonic()
        ids = []
        simnet.ensure(self.workdir, data)
        for entry in data["nodes"]:
            if not pid_alive(entry.get("pid")):
                entry["pid"] = launch(Path(entry["data_dir"]), entry.get("netns"))
                entry["state"] = "starting"
                ids.append(entry["id"])
        self.save(data)
        self.wait_healthy(data, progress, ids=ids)
        for entry in data["nodes"]:
            entry["state"] = "running"
        self.save(data)
        return time.monotonic() - started

    # -- partitions ------------------------------------------------------------------------

    def _links(self) -> list[list[str]]:
        path = self.workdir / "links.json"
        try:
            return json.loads(path.read_text()).get("cut", [])
        except FileNotFoundError:
            return []

    def _write_links(self, cut: list[list[str]]) -> None:
        path = self.workdir / "links.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"cut": cut}) + "\n")
        tmp.replace(path)

    def partition(self, a: str, b: str) -> None:
        data = self.load()
        self.node(data, a)
        self.node(data, b)
        if a == b:
            raise ClusterError("a node cannot be partitioned from itself")
        cut = [c for c in self._links() if set(c) != {a, b}]
        cut.append(sorted([a, b]))
        self._write_links(cut)
        data["partitions"] = cut
        self.save(data)

    def heal(self, a: str | None = None, b: str | None = None) -> int:
        data = self.load()
        before = self._links()
        cut = [] if a is None else [c for c in before if set(c) != {a, b}]
        self._write_links(cut)
        data["partitions"] = cut
        self.save(data)
        return len(before) - len(cut)

    # -- status ----------------------------------------------------------------------------

    def status(self, timeout: float = 2.0) -> list[dict]:
        import grpc

        from rilo_node.api.client import NodeClient, target_from_cluster
        from rilo_node.pb.rilo.v1 import node_pb2

        data = self.load()
        rows = []
        for entry in data["nodes"]:
            row = {"id": entry["id"], "role": entry["role"], "region": entry["region"], "area": entry["area"],
                   "address": entry.get("listen", entry["address"]), "pid": entry.get("pid"), "state": entry.get("state"),
                   "records": None, "own": None, "behind": None, "security_events": None, "peers_up": None}
            if pid_alive(entry.get("pid")):
                try:
                    with NodeClient(target_from_cluster(self.workdir, entry["id"])) as c:
                        s = c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=timeout)
                    row.update(records=s.records_held, own=s.own_records, security_events=s.security_events,
                               behind=sum(p.behind for p in s.peers),
                               peers_up=f"{sum(p.state == 'connected' for p in s.peers)}/{len(s.peers)}")
                    row["state"] = "running"
                except grpc.RpcError as exc:
                    row["state"] = f"unreachable ({exc.code().name})"
            elif row["state"] in ("running", "starting"):
                row["state"] = "dead"
            rows.append(row)
        return rows


def launch(folder: Path, namespace: str | None = None) -> int:
    """Start `rilo-node serve` for a node folder as a process of its own; returns its pid.

    The node runs in its own session (it outlives a detached `cluster up`) with its output in
    serve.log. Forking this process, which has imported the node's code but made no gRPC
    object, starts a node in milliseconds instead of the ~0.5 s a fresh interpreter needs;
    RILO_CLUSTER_SPAWN=exec starts a fresh interpreter instead. With a `namespace` (`cluster up
    --hosts`) the node runs inside that network namespace, its host.
    """
    config_path = folder / "node.toml"
    (folder / "serve.json").unlink(missing_ok=True)
    log = open(folder / "serve.log", "ab", buffering=0)  # noqa: SIM115
    try:
        if os.environ.get("RILO_CLUSTER_SPAWN", "fork") == "exec" or not hasattr(os, "fork"):
            env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
            proc = subprocess.Popen([*netns.exec_prefix(namespace), sys.executable, "-m", "rilo_node.cli", "serve",
                                     "--config", str(config_path)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=env)
            return proc.pid
        import rilo_node.api.server  # noqa: F401 - imported once here, shared by every forked node
        from rilo_node.node.config import load_config as _load

        if _load(config_path).web_listen:  # so is the web stack, where the node serves the web
            import rilo_node.web.app  # noqa: F401
            import rilo_node.web.server  # noqa: F401

        pid = os.fork()
        if pid:
            return pid
        # The child: a node of its own.
        try:
            os.setsid()
            if namespace:
                netns.enter(namespace)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            sys.stdout = os.fdopen(1, "w", buffering=1)
            sys.stderr = os.fdopen(2, "w", buffering=1)
            from rilo_node.api.server import serve
            from rilo_node.node.config import load_config

            config = load_config(config_path)
            web = None
            if config.web_listen:  # the web stack is imported by the nodes that serve it only
                from rilo_node.web.server import start_web as web
            code = serve(config, web=web)
        except BaseException as exc:  # noqa: BLE001 - a child never returns into the parent's code
            try:
                import traceback

                traceback.print_exc()
                print(f"node failed: {exc}", file=sys.stderr, flush=True)
            finally:
                os._exit(1)
        os._exit(code)
    finally:
        log.close()
