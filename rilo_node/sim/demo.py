"""The single-node demo: start a node, submit realistic seizures, search them, stop."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rilo_node.api.client import target_from_node_dir
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.node.provision import init_node_dir
from rilo_node.sim.synth import Origin, generate_seizures

NODE = "de"


def run(count: int = 300, seed: int = 7) -> int:
    console = Console()
    directory = load_topology(default_topology_path())
    info = directory.get(NODE)
    with tempfile.TemporaryDirectory(prefix="rilo-demo-") as tmp:
        work = Path(tmp)
        console.rule("[bold]RILO Net demo: one node")
        folder = init_node_dir(work / NODE, NODE, default_topology_path())
        console.print(f"initialised node [bold]{NODE}[/] ({info.name or 'Germany'}): dev CA, TLS certificate, "
                      f"signing key {folder.signing_key.key_id}")
        node = subprocess.Popen([sys.executable, "-m", "rilo_node.cli", "serve", "--config", str(folder.config)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while not (folder.path / "serve.json").exists():
                if node.poll() is not None or time.monotonic() > deadline:
                    console.print(f"[red]the node did not start[/]: {node.stdout.read() if node.stdout else ''}")
                    return 1
                time.sleep(0.05)
            target = target_from_node_dir(folder.path)
            console.print(f"node serving on {target.address} over mutual TLS")
            origin = Origin(NODE, "DE", info.region, info.area)
            seizures = [s for _, s in generate_seizures(count, [origin], seed=seed, today=datetime.date.today())]
            data = work / "seizures.jsonl"
            data.write_text("".join(json.dumps(s) + "\n" for s in seizures))
            base = [sys.executable, "-m", "rilo_node.cli"]
            conn = ["--node-dir", str(folder.path)]
            started = time.monotonic()
            imp = subprocess.run([*base, "seizure", "import", str(data), "--json", "--quiet", *conn],
                                 capture_output=True, text=True)
            summary = json.loads(imp.stdout)
            console.print(f"imported {summary['stored']} seizures in {time.monotonic() - started:.1f} s "
                          f"({summary['refused']} refused)")
            if imp.returncode != 0:
                console.print(f"[red]import failed[/]: {imp.stderr}")
                return 1
            for title, flags in (
                ("cocaine, any route", ["--category", "COCAINE"]),
                ("anything that came from AE", ["--departure", "AE"]),
                ("'cigarettes' in the text", ["--text", "cigarettes"]),
            ):
                out = subprocess.run([*base, "search", *flags, "--limit", "8", "--json", *conn],
                                     capture_output=True, text=True, check=True)
                show(console, title, json.loads(out.stdout))
            status = json.loads(subprocess.run([*base, "status", "--json", *conn], capture_output=True, text=True,
                                               check=True).stdout)
            console.print(f"node {status['node_id']}: {status['records_held']} records held, "
                          f"{status['security_events']} security events")
        finally:
            node.terminate()
            node.wait(timeout=30)
        console.print("[green]demo finished[/]: node stopped, its folder removed")
    return 0


def show(console: Console, title: str, result: dict) -> None:
    table = Table(title=f"search: {title} ({len(result['hits'])} shown)")
    for col in ("date", "categories", "route", "quantity", "description"):
        table.add_column(col, overflow="fold")
    for hit in result["hits"]:
        body = hit.get("body") or {}
        route = "→".join(c for c in [body.get("departure_country"), *body.get("transit_countries", []),
                                     body.get("destination_country")] if c)
        item = (body.get("items") or [{}])[0]
        qty = f"{item.get('quantity', '')} {item.get('unit', '')}".strip()
        table.add_row(hit["summary"]["seizure_date"], ",".join(hit["summary"]["categories"]), route, qty,
                      (body.get("description") or "")[:60])
    console.print(table)


# -- the simulated network demo (`rilo-node cluster demo`, what scripts/demo runs) -------------

def run_cluster_demo(records: int = 2000, seed: int = 1, workdir: str | None = None,
                     synchronous: str = "FULL", net=None) -> int:
    """Start the default network, seed it, watch replication converge, search and count from a
    member, check every node holds exactly what the policies allow, stop everything."""
    from rilo_node.sim.cluster import Cluster, ClusterError
    from rilo_node.sim.progress import terminal_progress

    console = Console(stderr=False)
    started = time.monotonic()
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="rilo-cluster-demo-")
        workdir = tmp.name
    cluster = Cluster(workdir)
    ok = False
    try:
        console.rule("[bold]RILO Net: the simulated network")
        progress = terminal_progress()
        data = cluster.up(members_per_area=2, progress=progress, synchronous=synchronous,
                          **({"net": net} if net is not None else {}))
        console.print(f"{len(data['nodes'])} nodes up and healthy after {data['healthy_after_s']} s "
                      f"(each its own process, mutual TLS, its own SQLite file)")
        from rilo_node.sim.seeding import seed_records

        stored = seed_records(cluster, records, seed=seed, progress=progress)
        console.print(f"seeded {sum(stored.values()):,} seizures at {len(stored)} members, weighted like the ITR")
        expected = expected_placements(cluster)
        wait_converged(cluster, expected, console)
        asker = "de"
        console.rule(f"[bold]federated queries from {asker}")
        for title, flt, scope in (
            ("cocaine, whole network", {"category": "COCAINE"}, "global"),
            ("departed from AE, Europe", {"departure_country": "AE"}, "region"),
            ("'cigarettes' anywhere", {"text": "cigarettes"}, "global"),
        ):
            show_search(console, cluster, asker, title, flt, scope)
        show_stats(console, cluster, asker)
        console.rule("[bold]a request for assistance: from a notice to the details")
        if show_request(console, cluster, asker):
            expected = expected_placements(cluster)
        console.rule("[bold]an operation: a closed user group for its duration")
        ok_op = show_operation(console, cluster)
        expected = expected_placements(cluster)
        console.rule("[bold]policy check")
        ok = check_placements(cluster, expected, console) and ok_op
        ok = write_report(console, cluster) and ok
    except ClusterError as exc:
        console.print(f"[red]demo failed[/]: {exc}")
    finally:
        if cluster.exists():
            n = cluster.down(delete=tmp is not None)
            console.print(f"stopped {n} nodes" + ("" if tmp is None else ", workdir removed"))
        if tmp is not None:
            tmp.cleanup()
    took = time.monotonic() - started
    if ok:
        console.print(f"[green]demo finished in {took:.0f} s[/]")
        where_to_look(console)
        return 0
    console.print(f"[red]demo FAILED after {took:.0f} s[/]")
    return 1


def where_to_look(console) -> None:
    """The demo's last lines: where to look next, in a browser above all (docs/web.md)."""
    console.rule("[bold]where to look")
    console.print("- in a browser: [bold]rilo-node cluster up --seed-records 2000 --detach[/] starts the network "
                  "again and prints one node's web interface (https://127.0.0.1:PORT) and how to sign in; every "
                  "node's is under \"web\" in .rilo-cluster/cluster.json; the pages: docs/web.md")
    console.print("- the report above, in your browser or spreadsheet; the analysts' commands: docs/analyst-guide.md")
    console.print("- running a node: docs/operator-guide.md; the API: docs/api.md")


def write_report(console, cluster, asker: str = "rilo-we") -> bool:
    """The last step: a regional intelligence report of the demo network (`rilo-node report`, from the
    RILO of Western Europe, scope region), written where it outlives the demo's workdir; prints its path."""
    out = Path(tempfile.gettempdir()) / "rilo-net-demo" / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    console.rule(f"[bold]an intelligence report from {asker}")
    made = subprocess.run([sys.executable, "-m", "rilo_node.cli", "report", "--scope", "region", "--out", str(out),
                           "--cluster", str(cluster.workdir), "--node", asker], capture_output=True, text=True)
    if made.returncode != 0:
        console.print(f"[red]report failed[/]: {made.stderr.strip()}", markup=True, highlight=False)
        return False
    console.print(f"report written: {made.stdout.strip()} (its figures as CSV: {out.with_suffix('.csv')})",
                  markup=False, highlight=False)
    return True


def _export(cluster, node_id: str, origin: str = ""):
    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.pb.rilo.v1 import node_pb2

    with NodeClient(target_from_cluster(cluster.workdir, node_id)) as c:
        return list(c.records.ExportRecords(node_pb2.ExportRecordsRequest(origin=origin), timeout=120))


def expected_placements(cluster) -> dict[str, dict[tuple[str, str], bool]]:
    """node -> {(origin, record_id): may hold the annex} for every record, from the origins' own copies."""
    from rilo_node.core.replication import Entitlements
    from rilo_node.pb.rilo.v1 import record_pb2

    directory = cluster.directory()
    ent = Entitlements(directory, _groups(cluster))
    expected: dict[str, dict] = {n.id: {} for n in directory}
    for n in directory:
        for resp in _export(cluster, n.id, origin=n.id):
            h = record_pb2.RecordHeader.FromString(resp.record.header)
            if resp.withdrawn or h.kind == record_pb2.RECORD_KIND_WITHDRAWAL:
                continue
            e = ent.of(h)
            for holder in e.hold:
                expected[holder][(h.origin, h.record_id)] = holder in e.annex and bool(h.annex_sha256)
    return expected


def wait_converged(cluster, expected, console, timeout: float = 90.0) -> None:
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.pb.rilo.v1 import node_pb2

    total = sum(len(v) for v in expected.values())
    clients = {n: NodeClient(target_from_cluster(cluster.workdir, n)) for n in expected}
    started = time.monotonic()
    try:
        with Progress("replicating", BarColumn(), "{task.completed:,}/{task.total:,} placements",
                      TimeElapsedColumn(), console=console, transient=False) as bar:
            task = bar.add_task("replicating", total=total)
            while True:
                done = 0
                for n, c in clients.items():
                    held = c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).records_held
                    done += min(held, len(expected[n]))
                bar.update(task, completed=done)
                if done >= total or time.monotonic() - started > timeout:
                    break
                time.sleep(0.3)
    finally:
        for c in clients.values():
            c.close()
    console.print(f"replication converged: {total:,} record copies on {len(expected)} nodes "
                  f"in {time.monotonic() - started:.1f} s")


def show_search(console, cluster, asker, title, flt, scope) -> None:
    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.api.views import hit_json, node_answer_json
    from rilo_node.core.convert import dict_to_pb
    from rilo_node.pb.rilo.v1 import node_pb2

    scopes = {"global": node_pb2.QUERY_SCOPE_GLOBAL, "region": node_pb2.QUERY_SCOPE_REGION}
    with NodeClient(target_from_cluster(cluster.workdir, asker)) as c:
        started = time.monotonic()
        resp = c.search.Search(node_pb2.SearchRequest(filter=dict_to_pb(flt, node_pb2.SearchFilter()),
                                                      scope=scopes[scope], limit=100, deadline_ms=5000), timeout=30)
        ms = (time.monotonic() - started) * 1000
    hits = [hit_json(h) for h in resp.hits]
    nodes = [node_answer_json(n) for n in resp.nodes]
    held = sum(1 for h in hits if h["held"])
    table = Table(title=f"search: {title} — {len(hits)} hits ({held} records, {len(hits) - held} notices), "
                        f"{sum(n['status'] == 'OK' for n in nodes)}/{len(nodes)} nodes answered in {ms:.0f} ms")
    for col in ("origin", "date", "categories", "route", "what"):
        table.add_column(col, overflow="fold")
    for h in hits[:8]:
        body = h.get("body") or {}
        route = "→".join(x for x in [body.get("departure_country"), *body.get("transit_countries", []),
                                     body.get("destination_country")] if x)
        what = (body.get("description") or "")[:50] if h["held"] else "[notice: ask the origin for details]"
        table.add_row(h["origin"], h["summary"]["seizure_date"], ",".join(h["summary"]["categories"]), route, what)
    console.print(table)


def show_stats(console, cluster, asker) -> None:
    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.api.views import stats_json
    from rilo_node.pb.rilo.v1 import node_pb2

    with NodeClient(target_from_cluster(cluster.workdir, asker)) as c:
        started = time.monotonic()
        resp = c.search.Stats(node_pb2.StatsRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL,
                                                    group_by=["section", "region"], deadline_ms=5000), timeout=30)
        ms = (time.monotonic() - started) * 1000
    out = stats_json(resp)
    table = Table(title=f"statistics: cases by section and reporting region (what {asker} may discover; "
                        f"{'complete' if out['complete'] else 'INCOMPLETE'}, {ms:.0f} ms)")
    for col in ("section", "region", "cases", "items"):
        table.add_column(col, justify="right" if col in ("cases", "items") else "left")
    for g in out["groups"][:12]:
        table.add_row(g["key"]["section"], g["key"]["region"], f"{g['cases']:,}", f"{g['items']:,}")
    console.print(table)


def _groups(cluster) -> dict:
    """The membership of every operation, from its owner's newest version (what the policy rule reads)."""
    from rilo_node.core.operations import groups_of
    from rilo_node.pb.rilo.v1 import operation_pb2, record_pb2

    ops = []
    for n in cluster.directory():
        for resp in _export(cluster, n.id, origin=n.id):
            h = record_pb2.RecordHeader.FromString(resp.record.header)
            if h.kind == record_pb2.RECORD_KIND_OPERATION and not resp.withdrawn and resp.record.body:
                ops.append(operation_pb2.Operation.FromString(resp.record.body))
    return groups_of(ops)


def show_operation(console, cluster, owner: str = "rilo-we", partner: str = "interpol") -> bool:
    """An operation (issue 14): the owner names four members and a partner; two members report seizures
    to the group (the short form), the partner and a member exchange messages, the owner reports and
    closes it; access ends everywhere but at the owner, which keeps the archive. True when it all held."""
    import datetime as dt

    import grpc

    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.core.seizure import parse_submission
    from rilo_node.pb.rilo.v1 import node_pb2, operation_pb2

    directory = cluster.directory()
    if directory.get(partner) is None or directory.get(owner) is None:
        console.print(f"[red]no {partner} or {owner} in this network[/]")
        return False
    own_area = [n.id for n in directory if n.role == "member" and n.area == owner]
    others = [n.id for n in directory if n.role == "member" and n.area not in (owner, None)]
    members = (own_area[:2] + others[:4])[:4]
    op_id = "op-demo-tide"

    def client(node_id: str) -> NodeClient:
        return NodeClient(target_from_cluster(cluster.workdir, node_id))

    with client(owner) as c:
        info = c.operations.CreateOperation(operation_pb2.CreateOperationRequest(
            operation_id=op_id, name="Tide", purpose="cocaine in refrigerated containers, North Sea ports",
            members=[*members, partner], ends=(dt.date.today() + dt.timedelta(days=30)).isoformat()),
            timeout=30).operation
    console.print(f"{owner} opens operation {op_id} \"{info.operation.name}\" with "
                  f"{', '.join(members)} and the partner {partner}")

    def member_of(node_id: str) -> bool:
        with client(node_id) as c:
            try:
                c.operations.GetOperation(operation_pb2.GetOperationRequest(operation_id=op_id), timeout=10)
                return True
            except grpc.RpcError:
                return False

    if not _until(lambda: all(member_of(n) for n in [*members, partner])):
        console.print("[red]the operation did not reach every member[/]")
        return False
    keys = []
    for node_id in members[:2]:
        short = {"seizure_date": dt.date.today().isoformat(), "country": directory.get(node_id).country,
                 "items": [{"section": "DRUGS", "category": "COCAINE", "quantity": 120, "unit": "KG"}],
                 "description": "cocaine in a reefer container, operation Tide",
                 "policy": {"share": {"scope": "GROUP", "group": op_id}}}
        with client(node_id) as c:
            keys.append(c.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=parse_submission(short)),
                                                timeout=30).key)
    ref = f"{keys[0].origin}/{keys[0].record_id}"

    def partner_holds() -> bool:
        with client(partner) as c:
            return c.operations.GetOperation(operation_pb2.GetOperationRequest(operation_id=op_id),
                                             timeout=10).operation.records >= len(keys)

    # A message's refs must be records the poster holds: the partner posts once both seizures reached it.
    if not _until(partner_holds, timeout=30):
        console.print(f"[red]{ref} did not reach {partner}[/]")
        return False
    with client(partner) as c:
        c.operations.PostMessage(operation_pb2.PostMessageRequest(
            operation_id=op_id, text=f"the consignee of {ref} is known to us: a notice follows", refs=[ref]), timeout=30)
    with client(members[0]) as c:
        c.operations.PostMessage(operation_pb2.PostMessageRequest(
            operation_id=op_id, text="thanks: controlled delivery under way"), timeout=30)

    def counts(node_id: str):
        with client(node_id) as c:
            got = c.operations.GetOperation(operation_pb2.GetOperationRequest(operation_id=op_id), timeout=10).operation
            return got.records, got.messages

    everyone = [owner, *members, partner]
    if not _until(lambda: all(counts(n) == (2, 2) for n in everyone), timeout=30):
        console.print(f"[red]the group's records did not reach every member[/]: "
                      f"{ {n: counts(n) for n in everyone} }")
        return False
    outsider = next(n.id for n in directory if n.role == "member" and n.id not in members)
    with client(outsider) as c:
        found = c.search.Search(node_pb2.SearchRequest(filter=node_pb2.SearchFilter(group=op_id),
                                                       scope=node_pb2.QUERY_SCOPE_GLOBAL, deadline_ms=5000),
                                timeout=30).hits
    console.print(f"2 seizure reports and 2 messages reached all {len(everyone)} members; {outsider}, not a "
                  f"member, finds {len(found)} of them with search --group")
    with client(members[1]) as c:
        msgs = c.operations.ListMessages(operation_pb2.ListMessagesRequest(operation_id=op_id), timeout=30).messages
    table = Table(title=f"messages of {op_id}, as {members[1]} holds them")
    for col in ("at", "from", "text"):
        table.add_column(col)
    for m in msgs:
        table.add_row(m.created_at[:19], m.origin, m.text)
    console.print(table)
    with client(owner) as c:
        report = c.operations.OperationReport(operation_pb2.OperationReportRequest(operation_id=op_id), timeout=30)
        c.operations.CloseOperation(operation_pb2.CloseOperationRequest(operation_id=op_id), timeout=30)
    table = Table(title=f"op report {op_id} (the owner, {owner})")
    for col in ("member", "records", "messages"):
        table.add_column(col)
    for m in report.members:
        table.add_row(m.node, str(m.records), str(m.messages))
    console.print(table)
    ended = _until(lambda: not any(member_of(n) for n in [*members, partner]), timeout=30)
    archive = counts(owner)
    console.print(f"{owner} closed {op_id}: access ended at every member ({'yes' if ended else 'NO'}); "
                  f"{owner} keeps the archive: {archive[0]} records, {archive[1]} messages")
    return ended and archive == (2, 2) and not found


def _until(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def show_request(console, cluster, asker: str) -> bool:
    """The asker finds a notice (a record it may discover, not hold), asks the origin through its RILO,
    the origin answers and releases the record, the asker reads it and closes the request. True when a
    request was made (the placements to check changed)."""
    import datetime as dt

    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.pb.rilo.v1 import node_pb2, record_pb2, request_pb2, seizure_pb2

    def client(node_id: str) -> NodeClient:
        return NodeClient(target_from_cluster(cluster.workdir, node_id))

    directory = cluster.directory()
    with client(asker) as c:
        hits = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=1000,
                                                      filter=node_pb2.SearchFilter(category=seizure_pb2.CATEGORY_COCAINE),
                                                      deadline_ms=5000), timeout=30).hits
        notices = [h for h in hits if not h.held and directory.get(h.origin).role == "member"]
        if not notices:
            console.print("no notice among the hits: nothing to ask for")
            return False
        hit = notices[0]
        status = c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10)
        due = (dt.date.today() + dt.timedelta(days=14)).isoformat()
        req = request_pb2.AssistanceRequest(
            addressee=hit.origin, via_rilo=status.area, legal_basis="Nairobi Convention, Annex X",
            assistance=request_pb2.ASSISTANCE_TYPE_INFORMATION, urgency=request_pb2.URGENCY_URGENT, due_date=due,
            subject=f"Details of seizure {hit.origin}/{hit.record_id} ({hit.summary.seizure_date})",
            records=[record_pb2.RecordKey(origin=hit.origin, record_id=hit.record_id)])
        key = c.requests.CreateRequest(request_pb2.CreateRequestRequest(request=req), timeout=30).key
    ref = record_pb2.RecordKey(origin=key.origin, record_id=key.record_id)
    console.print(f"{asker} sees a notice of {hit.origin}/{hit.record_id} and asks {hit.origin} for the details "
                  f"through {status.area}: request {key.origin}/{key.record_id}")

    def listed(node_id: str) -> bool:
        with client(node_id) as c:
            return bool([s for s in c.requests.ListRequests(request_pb2.ListRequestsRequest(), timeout=10).requests
                         if s.key.record_id == key.record_id])

    if not _until(lambda: listed(hit.origin)):
        console.print(f"[red]the request did not reach {hit.origin}[/]")
        return True
    with client(hit.origin) as c:
        answer = c.requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=ref, status=request_pb2.RESPONSE_STATUS_ANSWERED, release=True,
            text="Released to you; the annex stays with us."), timeout=30)
    released = ", ".join(f"{k.origin}/{k.record_id}/v{k.version}" for k in answer.released)
    console.print(f"{hit.origin} answers and releases the record: {released}")

    def holds(version: int) -> bool:
        with client(asker) as c:
            try:
                got = c.records.GetRecord(node_pb2.GetRecordRequest(origin=hit.origin, record_id=hit.record_id),
                                          timeout=10)
            except Exception:  # noqa: BLE001 - not there yet
                return False
            return got.key.version >= version and not got.withdrawn

    version = answer.released[0].version if answer.released else hit.version
    if _until(lambda: holds(version)):
        console.print(f"{asker} now holds {hit.origin}/{hit.record_id} v{version} (before: a notice only)")
    with client(asker) as c:
        c.requests.CloseRequest(request_pb2.CloseRequestRequest(request=ref, text="Thank you."), timeout=30)

    def closed(node_id: str) -> bool:
        with client(node_id) as c:
            got = c.requests.GetRequest(request_pb2.GetRequestRequest(request=ref), timeout=10)
            return got.summary.status == request_pb2.REQUEST_STATUS_CLOSED

    parties = [asker, hit.origin, status.area]
    _until(lambda: all(closed(n) for n in parties))
    with client(asker) as c:
        shown = c.requests.GetRequest(request_pb2.GetRequestRequest(request=ref), timeout=10)
    table = Table(title=f"request {key.origin}/{key.record_id}: "
                        f"{request_pb2.RequestStatus.Name(shown.summary.status).removeprefix('REQUEST_STATUS_')}, "
                        f"shared with {', '.join(parties)} only")
    for col in ("at", "record", "by", "what"):
        table.add_column(col)
    table.add_row(shown.summary.created_at[:19], "REQUEST", asker, shown.request.subject)
    for e in shown.events:
        kind = record_pb2.RecordKind.Name(e.kind).removeprefix("RECORD_KIND_")
        what = (request_pb2.ResponseStatus.Name(e.response.status).removeprefix("RESPONSE_STATUS_")
                if e.HasField("response") else e.closure.text if e.HasField("closure") else "")
        table.add_row(e.created_at[:19], kind, e.author, what)
    console.print(table)
    return True


def check_placements(cluster, expected, console) -> bool:
    """Every node holds exactly the records its policy entitles it to, verified, annexes only where allowed."""
    from rilo_node.core.replication import Entitlements
    from rilo_node.core.signing import Keyring, verify_record
    from rilo_node.pb.rilo.v1 import record_pb2

    directory = cluster.directory()
    ent = Entitlements(directory, _groups(cluster))
    ring = Keyring()
    for n in directory:
        ring.add_b64(n.id, n.signing_key)
    beyond = missing = annex_leaks = bad = checked = 0
    for n in directory:
        held = {}
        for resp in _export(cluster, n.id):
            checked += 1
            try:
                v = verify_record(resp.record, ring, allow_stripped_body=resp.withdrawn)
            except Exception:  # noqa: BLE001 - counted and reported
                bad += 1
                continue
            h = v.header
            e = ent.of(h)
            if n.id not in e.hold and not resp.withdrawn:  # a tombstone holds nothing
                beyond += 1
            if v.has_annex and n.id not in e.annex:
                annex_leaks += 1
            if not resp.withdrawn and h.kind != record_pb2.RECORD_KIND_WITHDRAWAL:
                held[(h.origin, h.record_id)] = v.has_annex
        missing += len(set(expected[n.id]) - set(held))
        beyond += len(set(held) - set(expected[n.id]))
        missing += sum(1 for k, annex in expected[n.id].items() if annex and not held.get(k, annex))
    console.print(f"checked {checked:,} records held on {len(directory)} nodes, every signature verified:")
    for label, count in (("held beyond their policy", beyond), ("missing where the policy entitles", missing),
                         ("annexes where not allowed", annex_leaks), ("failed verification", bad)):
        mark = "[green]✓[/]" if count == 0 else "[red]✗[/]"
        console.print(f"  {mark} {count} {label}")
    return beyond == missing == annex_leaks == bad == 0
