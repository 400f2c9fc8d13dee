"""`cluster up --hosts`: each node in a network namespace of its own with its own address, through the
CLI, with real processes, TLS and SQLite; and `--latency wan` on top. Every namespace a test makes is
removed on every path (the fixtures' finally), and no process is left behind."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time

import pytest
from cryptography import x509

from rilo_node.sim import netns
from rilo_node.sim.cluster import pid_alive
from tests.e2e.conftest import RILO, run_cli
from tests.e2e.test_cluster import export, seizures, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(netns.unavailable() is not None,
                                                   reason=f"namespaces unavailable here: {netns.unavailable()}")]

SMALL = ["wco", "rilo-we", "rilo-ece", "de", "fr", "pl"]


def topology_of(tmp_path, ids):
    from rilo_node.core.topology import dump_topology
    from rilo_node.node.directory import default_topology_path, load_topology

    topo = tmp_path / "topology.toml"
    topo.write_text(dump_topology(load_topology(default_topology_path()).subset(ids)))
    return topo


def hosts_cluster(tmp_path, ids, *extra):
    """Up with --hosts (and `extra` flags); yields the workdir; down, and then whatever is left of its
    namespaces and processes is removed however the test ended."""
    workdir = tmp_path / "net"
    try:
        up = run_cli("cluster", "up", "--topology", topology_of(tmp_path, ids), "--workdir", workdir,
                     "--members-per-area", "all", "--hosts", *extra, "--detach", timeout=180)
        assert up.returncode == 0, up.stderr
        yield workdir
    finally:
        data = {}
        if (workdir / "cluster.json").exists():
            data = json.loads((workdir / "cluster.json").read_text())
            run_cli("cluster", "down", "--workdir", workdir, timeout=120)
        pids = [n.get("pid") for n in data.get("nodes", [])] + [(data.get("network") or {}).get("relay_pid")]
        for pid in pids:
            if pid_alive(pid):
                os.kill(pid, 9)
        netns.destroy((data.get("network") or {}).get("namespaces") or [])


@pytest.fixture(scope="module")
def hosts_net(tmp_path_factory):
    yield from hosts_cluster(tmp_path_factory.mktemp("hosts"), SMALL)


def cli(workdir, *args, check=True, **kw):
    return run_cli(*args, "--cluster", workdir, check=check, **kw)


def ns_inode(name: str) -> int:
    return os.stat(os.path.join(netns.NETNS_DIR, name)).st_ino


def test_each_node_is_on_its_own_host_with_a_certificate_naming_its_address(hosts_net):
    data = json.loads((hosts_net / "cluster.json").read_text())
    names = data["network"]["namespaces"]
    assert set(names) <= netns.existing() and len(names) == len(SMALL) + 1
    addresses = set()
    for n in data["nodes"]:
        ip, port = n["listen"].rsplit(":", 1)
        assert ipaddress.ip_address(ip) in netns.SUBNET and ip not in addresses
        addresses.add(ip)
        # The node's process is inside its namespace, and the address is on that namespace's eth0.
        assert os.stat(f"/proc/{n['pid']}/ns/net").st_ino == ns_inode(n["netns"])
        shown = subprocess.run(["ip", "-n", n["netns"], "-j", "addr", "show", "eth0"], capture_output=True,
                               text=True, check=True).stdout
        assert ip in {a["local"] for a in json.loads(shown)[0]["addr_info"]}
        cert = x509.load_pem_x509_certificate((hosts_net / "nodes" / n["id"] / "tls" / "node.pem").read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert ipaddress.ip_address(ip) in sans.get_values_for_type(x509.IPAddress)
        assert f"{n['id']}.node.rilo" in sans.get_values_for_type(x509.DNSName)
    # None of these addresses is on this machine's own interfaces.
    here = subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True, check=True).stdout
    assert not addresses & {a["local"] for link in json.loads(here) for a in link.get("addr_info", [])}
    status = json.loads(run_cli("cluster", "status", "--workdir", hosts_net, "--json", check=True).stdout)
    assert {r["id"]: r["state"] for r in status["nodes"]} == {n: "running" for n in SMALL}
    assert {r["address"] for r in status["nodes"]} == {n["listen"] for n in data["nodes"]}


def test_records_replicate_and_faults_work_across_hosts(hosts_net):
    workdir = hosts_net
    rows = seizures(30, "DE", "H", {"share": {"scope": "REGION"}})
    f = workdir / "de.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cli(workdir, "seizure", "import", f, "--quiet", "--node", "de")
    ids = {r["record_id"] for r in rows}
    for node in ("rilo-we", "rilo-ece", "fr", "pl"):
        wait_for(lambda node=node: None if ids <= {rid for _, rid in export(workdir, node)} else node,
                 what=f"de's records at {node}")
    assert not export(workdir, "wco")  # REGION: not the Secretariat

    # partition, write on both sides, nothing crosses; heal, it does
    run_cli("cluster", "partition", "rilo-we", "rilo-ece", "--workdir", workdir, check=True)

    def cut_both_ways():
        for a, b in (("rilo-we", "rilo-ece"), ("rilo-ece", "rilo-we")):
            peers = json.loads(cli(workdir, "status", "--json", "--node", a).stdout)["peers"]
            if {p["peer"]: p["state"] for p in peers}.get(b) != "cut":
                return f"{a}->{b} not cut yet"
        return None

    wait_for(cut_both_ways, what="the partition at both ends")
    west = seizures(10, "DE", "HW", {"share": {"scope": "AREA", "nodes": ["rilo-ece"]}})
    f.write_text("".join(json.dumps(r) + "\n" for r in west))
    cli(workdir, "seizure", "import", f, "--quiet", "--node", "de")
    west_ids = {r["record_id"] for r in west}
    wait_for(lambda: None if west_ids <= {rid for _, rid in export(workdir, "rilo-we")} else "we", what="west")
    assert cut_both_ways() is None
    assert not west_ids & {rid for _, rid in export(workdir, "rilo-ece")}, "the partition leaked"
    run_cli("cluster", "heal", "--workdir", workdir, check=True)
    wait_for(lambda: None if west_ids <= {rid for _, rid in export(workdir, "rilo-ece")} else "ece", what="healed")

    # kill a member, write while it is down, start it again in its namespace: it catches up
    run_cli("cluster", "stop", "pl", "--kill", "--workdir", workdir, check=True)
    later = seizures(10, "DE", "HL", {"share": {"scope": "REGION"}})
    f.write_text("".join(json.dumps(r) + "\n" for r in later))
    cli(workdir, "seizure", "import", f, "--quiet", "--node", "de")
    run_cli("cluster", "stop", "fr", "--workdir", workdir, check=True)
    run_cli("cluster", "start", "pl", "--workdir", workdir, check=True, timeout=120)
    run_cli("cluster", "start", "fr", "--workdir", workdir, check=True, timeout=120)
    data = json.loads((workdir / "cluster.json").read_text())
    for n in data["nodes"]:
        assert os.stat(f"/proc/{n['pid']}/ns/net").st_ino == ns_inode(n["netns"])
    later_ids = {r["record_id"] for r in later}
    for node in ("pl", "fr"):
        wait_for(lambda node=node: None if later_ids <= {rid for _, rid in export(workdir, node)} else node,
                 what=f"catch-up at {node}")

    # a federated search from a member answers from every node, across the hosts
    out = json.loads(cli(workdir, "search", "--node", "pl", "--scope", "global", "--json", "--text", "cannabis",
                         "--limit", "500").stdout)
    answered = {n["node"] for n in out["nodes"] if n["status"] == "OK"}
    assert answered == set(SMALL)
    assert later_ids <= {h["record_id"] for h in out["hits"]}


def test_down_removes_every_namespace_and_process(hosts_net):
    data = json.loads((hosts_net / "cluster.json").read_text())
    pids = [n["pid"] for n in data["nodes"]] + [data["network"]["relay_pid"]]
    assert all(pid_alive(p) for p in pids)
    out = run_cli("cluster", "down", "--workdir", hosts_net, check=True)
    assert f"stopped {len(SMALL)} nodes" in out.stdout
    assert not any(pid_alive(p) for p in pids)
    assert not set(data["network"]["namespaces"]) & netns.existing()


def test_wan_latency_between_hosts_is_the_table_s(tmp_path):
    """de (EUR) to kr (AP) through rilo-we and rilo-ap: 10 + 120 + 30 ms one way, the floor of a
    global search from de is twice that, and a search cannot be faster than its floor."""
    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.node.directory import load_topology
    from rilo_node.pb.rilo.v1 import node_pb2
    from rilo_node.sim.wan import load_table, longest_path_ms

    ids = ["wco", "rilo-we", "rilo-ap", "de", "kr"]
    gen = hosts_cluster(tmp_path, ids, "--latency", "wan")
    workdir = next(gen)
    try:
        far, one_way = longest_path_ms(load_topology(workdir / "topology.toml"), load_table(), "de")
        assert (far, one_way) == ("kr", 160.0)
        # de's copy of the directory sends it to every peer through the hub's relay
        de_topo = load_topology(workdir / "nodes" / "de" / "topology.toml")
        assert {n.address.rsplit(":", 1)[0] for n in de_topo if n.id != "de"} == {netns.HUB_ADDRESS}

        def all_answer():
            with NodeClient(target_from_cluster(workdir, "de")) as c:
                resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=10,
                                                              deadline_ms=5000), timeout=30)
            ok = {n.node for n in resp.nodes if n.status == node_pb2.NODE_ANSWER_STATUS_OK}
            return None if ok == set(ids) else f"answered: {sorted(ok)}"

        wait_for(all_answer, what="every node answers de's search")
        with NodeClient(target_from_cluster(workdir, "de")) as c:
            times = []
            for _ in range(3):
                t = time.monotonic()
                c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=10,
                                                       deadline_ms=5000), timeout=30)
                times.append((time.monotonic() - t) * 1000)
        assert min(times) >= 2 * one_way - 5, times  # never under the round trip to kr and back
    finally:
        gen.close()
    assert not set(json.loads((workdir / "cluster.json").read_text())["network"]["namespaces"]) & netns.existing()


def test_without_ip_hosts_says_so_and_exits_2(tmp_path):
    env = {**os.environ, "PATH": os.path.dirname(sys.executable)}
    proc = subprocess.run([*RILO, "cluster", "up", "--hosts", "--workdir", tmp_path / "net", "--detach"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "`ip`" in proc.stderr
    assert not (tmp_path / "net" / "cluster.json").exists()


def test_without_root_hosts_says_so_and_exits_2(tmp_path):
    """The CLI as an unprivileged user (a forked child that gives up root; the interpreter is already
    loaded, which the unprivileged user could not do from /root)."""
    import rilo_node.sim.cluster  # noqa: F401 - what the command imports, loaded while /root is readable
    import rilo_node.sim.seeding  # noqa: F401
    import rilo_node.sim.simnet  # noqa: F401
    from rilo_node.cli.main import main

    err = tmp_path / "stderr"
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            fd = os.open(err, os.O_WRONLY | os.O_CREAT, 0o666)
            os.dup2(fd, 2)
            sys.stderr = os.fdopen(2, "w", buffering=1)
            os.setgid(65534)
            os.setuid(65534)
            code = main(["cluster", "up", "--hosts", "--workdir", str(tmp_path / "net"), "--detach"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 98
        finally:
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 2, err.read_text()
    assert "root" in err.read_text()
    assert not (tmp_path / "net").exists()
