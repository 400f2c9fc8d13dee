"""The WAN latency table, the link clock (when relayed bytes are due), the physical floor of a path,
and the relay itself carrying real TCP connections on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.sim import wan
from rilo_node.sim.relay import Relay
from rilo_node.sim.wan import LatencyError, LinkClock, LinkShape, load_table, parse_table


@pytest.fixture(scope="module")
def directory():
    return load_topology(default_topology_path())


@pytest.fixture(scope="module")
def table():
    return load_table()


def test_shipped_table_covers_every_region_pair_of_the_real_network(directory, table):
    table.check_covers(directory)
    regions = sorted({n.region for n in directory if n.region})
    assert len(regions) == 6
    for r in regions:
        assert 10 <= table.one_way_ms(r, r) <= 30  # within a region 10-30 ms
    assert table.one_way_ms("EUR", "AP") == table.one_way_ms("AP", "EUR") == 120
    assert table.one_way_ms("EUR", "AMS") == 45
    assert table.region(directory, "wco") == "EUR"  # the Secretariat has no region of its own
    for node in directory:
        if node.region is None:  # the Secretariat and the partners: placed by the table
            assert table.region(directory, node.id) in regions


def test_config_latency_is_the_shipped_table():
    from pathlib import Path

    link = Path(__file__).resolve().parents[2] / "config" / "latency.toml"
    assert link.is_symlink() and link.resolve() == wan.default_table_path().resolve()


@pytest.mark.parametrize("text, words", [
    ("[within]\nEUR = -1\n", "[within] EUR"),
    ("[within]\nEUR = 5000\n", "[within] EUR"),
    ('[between]\n"EUR" = 5\n', '"EUR"'),
    ('[between]\n"EUR-EUR" = 5\n', '"EUR-EUR"'),
    ('[between]\n"EUR-AP" = 5\n"AP-EUR" = 6\n', "given twice"),
    ("[jitter]\nEUR = 1\n", "unknown table [jitter]"),
    ("[within\n", "not TOML"),
    ('[within]\nEUR = "ten"\n', "[within] EUR"),
])
def test_bad_tables_are_refused_naming_the_key(text, words):
    with pytest.raises(LatencyError, match=None) as exc:
        parse_table(text, "t.toml")
    assert words in str(exc.value) and "t.toml" in str(exc.value)


def test_a_missing_pair_is_named(directory):
    t = parse_table("[within]\nEUR = 10\nAP = 20\n[region_of]\nwco = \"EUR\"\n")
    with pytest.raises(LatencyError, match="EUR-AP|AP-EUR"):
        t.check_covers(directory.subset(["wco", "rilo-we", "rilo-ap"]))


def test_floor_follows_the_hierarchy(directory, table):
    d = directory.subset(["wco", "rilo-we", "rilo-ap", "rilo-sa", "de", "kr", "br"])
    delays = wan.path_delays_ms(d, table, "de")
    # de -> rilo-we (EUR 10) -> rilo-ap (EUR-AP 120) -> kr (AP 30)
    assert delays["kr"] == 10 + 120 + 30
    assert delays["br"] == 10 + table.one_way_ms("EUR", "AMS") + table.one_way_ms("AMS", "AMS")
    far, ms = wan.longest_path_ms(d, table, "de")
    assert ms == max(delays.values()) and delays[far] == ms


def test_every_directed_pair_gets_a_delay(directory, table):
    d = directory.subset(["wco", "rilo-we", "rilo-ap", "de"])
    delays = wan.link_delays_ms(d, table)
    assert len(delays) == 4 * 3
    assert delays[("de", "rilo-ap")] == delays[("rilo-ap", "de")] == 120


def test_shape_ranges():
    for bad in (dict(delay_s=-0.1), dict(loss=1.0), dict(loss=-0.1), dict(bandwidth_bps=0)):
        with pytest.raises(LatencyError):
            LinkShape(**bad)


# -- the link clock ----------------------------------------------------------------------------------

chunks = hs.lists(hs.tuples(hs.floats(0, 5), hs.integers(0, 200_000)), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(chunks, hs.floats(0, 0.3), hs.floats(0, 0.5), hs.one_of(hs.none(), hs.floats(1e4, 1e9)), hs.integers(0, 99))
def test_clock_never_delivers_early_nor_out_of_order(gaps, delay, loss, bandwidth, seed):
    shape = LinkShape(delay_s=delay, loss=loss, bandwidth_bps=bandwidth)
    clock = LinkClock(shape, opened_at=0.0)
    rng = random.Random(seed)
    now, last, sent_bits = 0.0, 0.0, 0.0
    for gap, n in gaps:
        now += gap
        due = clock.due(now, n, rng.random)
        assert due >= now + delay - 1e-9  # never sooner than the one-way delay
        assert due >= 3 * delay - 1e-9  # nor before the handshake's round trip and the delay
        assert due >= last  # a stream arrives in order
        sent_bits += n * 8
        if bandwidth:
            assert due >= sent_bits / bandwidth + delay - 1e-6  # never faster than the cap
        if not loss and not bandwidth:
            assert due == pytest.approx(max(now, 2 * delay) + delay)  # exactly the delay, once connected
        last = due


def test_clock_without_loss_or_cap_is_exactly_the_delay():
    clock = LinkClock(LinkShape(delay_s=0.05), opened_at=10.0, handshake=False)
    assert clock.due(10.0, 100, random.random) == pytest.approx(10.05)
    assert clock.due(11.0, 100, random.random) == pytest.approx(11.05)


def test_clock_loss_costs_a_retransmission_timeout():
    shape = LinkShape(delay_s=0.1, loss=0.5)
    lost = LinkClock(shape, 0.0, handshake=False).due(1.0, 1000, lambda: 0.0)  # the draw says lost
    kept = LinkClock(shape, 0.0, handshake=False).due(1.0, 1000, lambda: 0.99)
    assert kept == pytest.approx(1.1)
    assert lost == pytest.approx(1.1 + 0.2 + 0.2)  # + one round trip + the 200 ms minimum RTO


def test_clock_cap_spaces_chunks_at_the_rate():
    clock = LinkClock(LinkShape(delay_s=0.0, bandwidth_bps=8_000_000), 0.0)  # 1 MB/s
    first = clock.due(0.0, 1_000_000, random.random)
    second = clock.due(0.0, 1_000_000, random.random)
    assert first == pytest.approx(1.0) and second == pytest.approx(2.0)


# -- the relay on real sockets -----------------------------------------------------------------------

class Echo:
    """A TCP echo server on 127.0.0.1 in a thread of its own."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(conn,), daemon=True).start()

    @staticmethod
    def echo(conn):
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    def close(self):
        self.sock.close()


class RunningRelay:
    def __init__(self, links):
        self.loop = asyncio.new_event_loop()
        self.relay = Relay(links, seed=3)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.ports = asyncio.run_coroutine_threadsafe(self.relay.start(), self.loop).result(10)

    def close(self):
        asyncio.run_coroutine_threadsafe(self.relay.aclose(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def echo():
    e = Echo()
    yield e
    e.close()


def round_trips(port: int, payload: bytes, times: int) -> list[float]:
    out = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        for _ in range(times):
            t = time.monotonic()
            s.sendall(payload)
            got = b""
            while len(got) < len(payload):
                got += s.recv(65536)
            out.append(time.monotonic() - t)
            assert got == payload
    return out


def test_relay_delays_each_direction_by_the_link_delay(echo):
    relay = RunningRelay([{"name": "a>b", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{echo.port}",
                           "delay_ms": 40}])
    try:
        rtts = round_trips(relay.ports["a>b"], b"x" * 100, 5)
    finally:
        relay.close()
    # the first carries the handshake's round trip too
    assert rtts[0] >= 0.16 - 0.005
    assert all(r >= 0.08 - 0.005 for r in rtts[1:])
    assert min(rtts[1:]) < 0.08 + 0.5  # bounded only against a broken relay, not a slow machine


def test_relay_caps_bandwidth(echo):
    relay = RunningRelay([{"name": "a>b", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{echo.port}",
                           "delay_ms": 0, "bandwidth_bps": 4_000_000}])  # 0.5 MB/s each way
    try:
        (rtt,) = round_trips(relay.ports["a>b"], bytes(200_000), 1)
    finally:
        relay.close()
    assert rtt >= 200_000 * 8 / 4_000_000 - 0.01  # 0.4 s at least


def test_relay_to_a_dead_upstream_closes_the_caller(echo):
    dead = socket.create_server(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    relay = RunningRelay([{"name": "a>dead", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{port}",
                           "delay_ms": 10}])
    try:
        with socket.create_connection(("127.0.0.1", relay.ports["a>dead"]), timeout=30) as s:
            assert s.recv(10) == b""  # end of stream: the caller sees the far end is not there
    finally:
        relay.close()


def test_a_network_too_big_for_the_relay_s_open_files_is_refused_by_name(directory, tmp_path, monkeypatch):
    import resource

    from rilo_node.sim.simnet import NetOptions, NetworkError, Placement

    d = directory.subset(["wco", "rilo-we", "rilo-ap", "de", "fr", "kr"])
    place = Placement(tmp_path, list(d.ids()), NetOptions(latency="wan"))
    assert len(place.relay_links(d)) == 6 * 5  # every directed link gets its own relay socket
    monkeypatch.setattr(resource, "getrlimit", lambda what: (100, 100))
    with pytest.raises(NetworkError, match="30 directed links.*--members-per-area"):
        place.relay_links(d)


def test_loss_and_bandwidth_need_wan_latency():
    from rilo_node.sim.simnet import NetOptions, NetworkError

    with pytest.raises(NetworkError, match="--latency wan"):
        NetOptions(loss=0.01)
    with pytest.raises(NetworkError, match="--latency wan"):
        NetOptions(bandwidth_bps=1e6)
    with pytest.raises(LatencyError, match="loss"):
        NetOptions(latency="wan", loss=1.5)


@pytest.mark.parametrize("flags, words", [
    (["--loss", "1"], "--latency wan"),
    (["--bandwidth", "10"], "--latency wan"),
    (["--latency", "wan", "--latency-table", "/nonexistent/latency.toml"], "--latency-table"),
])
def test_cluster_up_refuses_bad_network_flags_with_exit_2(tmp_path, capsys, flags, words):
    from rilo_node.cli.main import main

    code = main(["cluster", "up", "--workdir", str(tmp_path / "net"), "--detach", *flags])
    assert code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "net").exists()
