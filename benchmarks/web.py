"""The web interface on the default simulated network (`cluster up`, web on every node but some members,
users viewer, analyst and admin), each figure next to its baseline measured in the same run:

- live message: posted at `fr` (PostMessage), the time until it shows on an event stream of `de`'s web
  (`/operations/OP/events`), against the time until the same message shows on `de`'s WatchMessages
  stream (`op messages --follow`); both open for the whole run;
- search page: the server time of `/search` at `de` (the time to the last byte of the page, over a kept
  connection), against the `Search` RPC that `search --json --limit 50` makes, same node and query;
- 200 open event streams on one node: gRPC health p99 and the node's RSS growth, against the health
  p99 with none open;
- 50 concurrent logins (Argon2id): another user's search page p99, against the same page with no logins;
- page weight: a search page of 50 rows with its style sheet and script (no chart);
- idle RSS of a member serving the web, against the members that do not (same run, same data).

HTTP is spoken with the standard library (http.client, asyncio streams) over TLS that trusts the
network CA: no browser, no extra package.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import re
import ssl
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import grpc

from benchmarks.common import percentile, rss_mib, save
from rilo_node.api.client import NodeClient, target_from_cluster
from rilo_node.pb.rilo.v1 import node_pb2, operation_pb2
from rilo_node.sim.cluster import Cluster

OWNER = "rilo-we"
OP = "op-webbench"
QUERY = {"text": "cocaine", "scope": "global"}


class Browser:
    """One signed-in user over a kept HTTPS connection: cookies, CSRF tokens, timed GETs."""

    def __init__(self, url: str, ca: str):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.cookies: dict[str, str] = {}
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = self._connect()
        for value in resp.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return resp.status, dict(resp.headers), payload

    def login(self, user: str, password: str) -> None:
        _s, _h, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        status, _h, body = self.request("POST", "/login", {"csrf": token, "name": user, "password": password,
                                                           "next": "/search"})
        if status != 303:
            raise RuntimeError(f"login of {user} failed: {status} {body[:200]!r}")

    def timed_get(self, path: str) -> tuple[float, bytes]:
        t0 = time.perf_counter()
        status, _h, body = self.request("GET", path)
        took = (time.perf_counter() - t0) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        return took, body

    def close(self) -> None:
        self.conn.close()


async def open_stream(host: str, port: int, ctx: ssl.SSLContext, cookie: str, path: str):
    reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
                 f"Accept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"event stream: {status!r}")
    return reader, writer


def run(messages: int = 100, members_per_area: int = 2, streams: int = 200, logins: int = 50,
        searches: int = 60) -> dict:
    with tempfile.TemporaryDirectory(prefix="rilo-bench-web-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            # The web off on every other member but de and fr: their RSS is the baseline of the web's own.
            from rilo_node.node.directory import default_topology_path, load_topology
            from rilo_node.sim.cluster import choose_nodes

            full = load_topology(default_topology_path())
            ids = choose_nodes(full, members_per_area)
            poster = next(i for i in ids if full.get(i).role == "member" and i != "de")
            members = [i for i in ids if full.get(i).role == "member" and i not in ("de", poster)]
            plain = set(members[::2])
            data = cluster.up(members_per_area=members_per_area, web=",".join(i for i in ids if i not in plain))
            out = _measure(cluster, data, poster, messages, streams, logins, searches)
        finally:
            if cluster.exists():
                cluster.down(delete=True)
    figures = [
        {"what": "message posted at another member → shown on de's web event stream, p50", "value": round(out["web_p50"], 1),
         "unit": "ms", "baseline": {"what": "same message on de's WatchMessages (`op messages --follow`), p50",
                                    "value": round(out["grpc_p50"], 1), "unit": "ms"},
         "goal": "≤ baseline + 20 ms (floor + 50)"},
        {"what": "message posted at another member → shown on de's web event stream, p99", "value": round(out["web_p99"], 1),
         "unit": "ms", "baseline": {"what": "WatchMessages, p99", "value": round(out["grpc_p99"], 1), "unit": "ms"},
         "goal": "≤ baseline + 50 ms (floor + 150)"},
        {"what": "search page /search (50 rows, global), server time p50", "value": round(out["page_p50"], 1),
         "unit": "ms", "baseline": {"what": "Search RPC (`search --json --limit 50`), same node and query, p50",
                                    "value": round(out["rpc_p50"], 1), "unit": "ms"},
         "goal": "≤ baseline + 10 ms (floor + 30)"},
        {"what": f"gRPC health p99 with {streams} event streams open on de", "value": round(out["health_open_p99"], 1),
         "unit": "ms", "baseline": {"what": "health p99, none open", "value": round(out["health_idle_p99"], 1),
                                    "unit": "ms"}, "goal": "≤ 20 ms (floor 100)"},
        {"what": f"RSS growth of de with {streams} event streams open", "value": round(out["rss_growth"], 1),
         "unit": "MiB", "goal": "≤ 20 MiB (floor 40)"},
        {"what": f"another user's search page p99 during {logins} concurrent logins",
         "value": round(out["storm_p99"], 1), "unit": "ms",
         "baseline": {"what": "the same page, no logins, p99", "value": round(out["calm_p99"], 1), "unit": "ms"},
         "goal": "≤ 1.5 × baseline (floor 3 ×)"},
        {"what": "page weight: search page of 50 rows + app.css + live.js", "value": round(out["weight_kb"], 1),
         "unit": "KB", "goal": "≤ 60 KB (floor 150)"},
        {"what": "idle RSS of a member serving the web (median)", "value": round(out["rss_web"], 1), "unit": "MiB",
         "baseline": {"what": "members without the web, median", "value": round(out["rss_plain"], 1),
                      "unit": "MiB"}, "goal": "≤ baseline + 15 MiB"},
    ]
    save("web", "scripts/bench web", figures, notes=(
        f"{out['nodes']} nodes ({members_per_area} members per area), web on all but {out['plain']} members. "
        f"{messages} messages; {searches} search pages; logins by the viewer user ({logins} at once, Argon2id "
        "19 MiB/2 passes on one thread at nice 10). Times on the client side over TLS on one machine."))
    print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in out.items()}), flush=True)
    return out


def _measure(cluster: Cluster, data: dict, poster: str, messages: int, streams: int, logins: int,
             searches: int) -> dict:
    nodes = {n["id"]: n for n in data["nodes"]}
    de = nodes["de"]
    password = {u: Path(f).read_text().strip() for u, f in de["web_users"].items()}
    clients = {n: NodeClient(target_from_cluster(cluster.workdir, n)) for n in (OWNER, "de", poster)}
    clients["poster"] = clients[poster]
    try:
        clients[OWNER].operations.CreateOperation(operation_pb2.CreateOperationRequest(
            name="web bench", members=["de", poster], operation_id=OP), timeout=30)
        deadline = time.monotonic() + 60
        for n in ("de", poster):
            while True:
                try:
                    clients[n].operations.GetOperation(operation_pb2.GetOperationRequest(operation_id=OP), timeout=5)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        out = {"nodes": len(data["nodes"]), "poster": poster}
        out.update(_live(cluster, de, clients, password, messages))
        out.update(_search(de, clients, password, searches))
        out.update(_streams(de, clients, password, streams))
        out.update(_storm(de, password, logins, searches))
        out.update(_weight(de, password))
        out.update(_idle_rss(cluster, data))
        return out
    finally:
        for c in {id(c): c for c in clients.values()}.values():
            c.close()


def _live(cluster, de, clients, password, messages: int) -> dict:
    """Each message's time from PostMessage at fr to de's web stream and to de's WatchMessages."""
    shown_web: dict[str, float] = {}
    shown_grpc: dict[str, float] = {}
    b = Browser(de["web"], de["ca"])
    b.login("analyst", password["analyst"])
    cookie = f"__Host-rilo_session={b.cookies['__Host-rilo_session']}"
    ctx = b.ctx
    ready = threading.Event()
    stop = threading.Event()

    def web_reader():
        async def main():
            reader, writer = await open_stream(b.host, b.port, ctx, cookie, f"/operations/{OP}/events?after=0")
            ready.set()
            while not stop.is_set():
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"data:"):
                    msg = json.loads(line[5:])
                    shown_web.setdefault(msg["text"], time.perf_counter())
            writer.close()
        asyncio.run(main())

    stream = clients["de"].operations.WatchMessages(operation_pb2.WatchMessagesRequest(operation_id=OP))

    def grpc_reader():
        with contextlib.suppress(grpc.RpcError):  # cancelled at the end
            for m in stream:
                shown_grpc.setdefault(m.message.text, time.perf_counter())

    threads = [threading.Thread(target=web_reader, daemon=True), threading.Thread(target=grpc_reader, daemon=True)]
    for t in threads:
        t.start()
    ready.wait(30)
    time.sleep(0.5)  # the gRPC stream has no "open" signal; its first message would be one
    web_ms, grpc_ms = [], []
    for i in range(messages):
        text = f"bench message {i}"
        t0 = time.perf_counter()
        clients["poster"].operations.PostMessage(operation_pb2.PostMessageRequest(operation_id=OP, text=text), timeout=30)
        deadline = time.monotonic() + 30
        while (text not in shown_web or text not in shown_grpc) and time.monotonic() < deadline:
            time.sleep(0.001)
        web_ms.append((shown_web[text] - t0) * 1000)
        grpc_ms.append((shown_grpc[text] - t0) * 1000)
    stop.set()
    stream.cancel()
    b.close()
    print(f"live: web p50 {statistics.median(web_ms):.1f} ms, WatchMessages p50 {statistics.median(grpc_ms):.1f} ms",
          flush=True)
    return {"web_p50": statistics.median(web_ms), "web_p99": percentile(web_ms, 99),
            "grpc_p50": statistics.median(grpc_ms), "grpc_p99": percentile(grpc_ms, 99)}


def _search(de, clients, password, searches: int) -> dict:
    b = Browser(de["web"], de["ca"])
    b.login("analyst", password["analyst"])
    path = "/search?" + urllib.parse.urlencode(QUERY)
    req = node_pb2.SearchRequest(filter=node_pb2.SearchFilter(text=QUERY["text"]),
                                 scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=50)
    page, rpc = [], []
    for _ in range(searches):  # interleaved: both see the same machine at the same time
        page.append(b.timed_get(path)[0])
        t0 = time.perf_counter()
        clients["de"].search.Search(req, timeout=30)
        rpc.append((time.perf_counter() - t0) * 1000)
    b.close()
    print(f"search: page p50 {statistics.median(page):.1f} ms, RPC p50 {statistics.median(rpc):.1f} ms", flush=True)
    return {"page_p50": statistics.median(page), "rpc_p50": statistics.median(rpc)}


def _health_p99(client, n: int = 300) -> float:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(client.channel)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 99)


def _streams(de, clients, password, streams: int) -> dict:
    idle = _health_p99(clients["de"])
    rss0 = rss_mib(de["pid"])
    b = Browser(de["web"], de["ca"])
    b.login("analyst", password["analyst"])
    cookie = f"__Host-rilo_session={b.cookies['__Host-rilo_session']}"
    opened = threading.Event()
    done = threading.Event()
    result: dict = {}

    def hold():
        async def main():
            conns = [await open_stream(b.host, b.port, b.ctx, cookie, f"/operations/{OP}/events?after=1000000000")
                     for _ in range(streams)]
            opened.set()
            while not done.is_set():
                await asyncio.sleep(0.05)
            for _r, w in conns:
                w.close()
        try:
            asyncio.run(main())
        except Exception as exc:  # noqa: BLE001 - reported below
            result["error"] = exc
            opened.set()

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    opened.wait(120)
    if "error" in result:
        raise result["error"]
    time.sleep(1.0)
    busy = _health_p99(clients["de"])
    rss1 = rss_mib(de["pid"])
    done.set()
    t.join(30)
    b.close()
    print(f"{streams} streams: health p99 {busy:.1f} ms (none open {idle:.1f}), RSS +{rss1 - rss0:.1f} MiB", flush=True)
    return {"health_idle_p99": idle, "health_open_p99": busy, "rss_growth": rss1 - rss0}


def storm_main(url: str, ca: str, password_file: str, threads: int) -> None:
    """A process of the login storm: `threads` users signing in again and again as viewer, each over a kept
    connection (a real user signs in once per connection), until the process is stopped."""
    password = Path(password_file).read_text().strip()

    def one():
        b = Browser(url, ca)
        while True:
            b.cookies.clear()
            with contextlib.suppress(RuntimeError, OSError, http.client.HTTPException):
                b.login("viewer", password)  # a 503 under the storm: a login turned away, asked again

    workers = [threading.Thread(target=one, daemon=True) for _ in range(threads)]
    for t in workers:
        t.start()
    print("storming", flush=True)
    for t in workers:
        t.join()


def _storm(de, password, logins: int, searches: int) -> dict:
    """The storm runs in processes of its own (5 × logins/5 threads): the measuring client keeps its GIL."""
    import subprocess
    import sys

    path = "/search?" + urllib.parse.urlencode({"text": "cocaine", "scope": "local"})
    b = Browser(de["web"], de["ca"])
    b.login("analyst", password["analyst"])
    calm = [b.timed_get(path)[0] for _ in range(searches)]
    procs = []
    per = max(1, logins // 5)
    for _ in range(max(1, logins // per)):
        code = (f"from benchmarks.web import storm_main; storm_main({de['web']!r}, {de['ca']!r}, "
                f"{de['web_users']['viewer']!r}, {per})")
        procs.append(subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True))
    try:
        for p in procs:
            p.stdout.readline()  # "storming": its threads run
        time.sleep(1.0)
        busy = [b.timed_get(path)[0] for _ in range(searches)]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    b.close()
    print(f"logins: page p99 {percentile(busy, 99):.1f} ms (calm {percentile(calm, 99):.1f})", flush=True)
    return {"calm_p99": percentile(calm, 99), "storm_p99": percentile(busy, 99)}


def _weight(de, password) -> dict:
    b = Browser(de["web"], de["ca"])
    b.login("analyst", password["analyst"])
    _t, page = b.timed_get("/search?" + urllib.parse.urlencode({"scope": "global"}))
    css = b.timed_get("/static/app.css")[1]
    js = b.timed_get("/static/live.js")[1]
    b.close()
    return {"weight_kb": (len(page) + len(css) + len(js)) / 1024}


def _idle_rss(cluster: Cluster, data: dict) -> dict:
    """Members with the web against members without: the nodes of `cluster up --web` not listed."""
    idle = [n for n in data["nodes"] if n["role"] == "member" and n["id"] not in ("de", "fr")]
    web = [rss_mib(n["pid"]) for n in idle if n.get("web")]
    plain = [rss_mib(n["pid"]) for n in idle if not n.get("web")]
    return {"rss_web": statistics.median(web), "rss_plain": statistics.median(plain) if plain else float("nan"),
            "plain": len(plain)}
