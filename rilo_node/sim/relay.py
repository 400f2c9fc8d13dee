"""The delaying relay: one process carrying every link of a simulated network through a listening
socket per directed link, each forwarding to its upstream node after the link's delay.

    python -m rilo_node.sim.relay CONFIG.json READY.json

CONFIG lists the links: {"seed": 1, "links": [{"name": "de>rilo-we", "listen": "127.0.0.1:0" or
"unix:/path", "upstream": "host:port", "delay_ms": 10, "loss": 0.0, "bandwidth_bps": null}, ...]}.
Once every link listens, READY gets {"pid": ..., "ports": {name: port}} (written whole, by rename).
The relay never looks into the bytes: TLS runs end to end between the nodes. SIGTERM ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import resource
import signal
import socket
import sys
from pathlib import Path

from rilo_node.sim.wan import LinkClock, LinkShape

CHUNK = 64 * 1024
QUEUED_CHUNKS = 64  # per direction; a fuller queue stops reading (TCP pushes back on the sender)


def shape_of(link: dict) -> LinkShape:
    return LinkShape(delay_s=float(link.get("delay_ms", 0)) / 1000, loss=float(link.get("loss", 0.0)),
                     bandwidth_bps=link.get("bandwidth_bps"))


def split_hostport(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


class Relay:
    def __init__(self, links: list[dict], seed: int = 1, avoid: set[int] | frozenset[int] = frozenset()):
        self.links = links
        self.avoid = set(avoid)  # ports chosen for the nodes, not bound yet: a link listening on one would take it
        self.rng = random.Random(seed)
        self.servers: list[asyncio.base_events.Server] = []
        self.ports: dict[str, int] = {}
        self.connections = 0
        self.tasks: set[asyncio.Task] = set()

    async def start(self) -> dict[str, int]:
        rejected = []
        for link in self.links:
            shape = shape_of(link)
            upstream = link["upstream"]

            def handler(r, w, shape=shape, upstream=upstream):
                return self.serve(r, w, shape, upstream)

            listen = link["listen"]
            if listen.startswith("unix:"):
                path = listen.removeprefix("unix:")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                server = await asyncio.start_unix_server(handler, path=path)
                self.ports[link["name"]] = 0
            else:
                host, port = split_hostport(listen)
                server = await asyncio.start_server(handler, host=host, port=port, reuse_address=True)
                while port == 0 and server.sockets[0].getsockname()[1] in self.avoid:
                    rejected.append(server)  # held until the end, so the next pick is another port
                    server = await asyncio.start_server(handler, host=host, port=port, reuse_address=True)
                self.ports[link["name"]] = server.sockets[0].getsockname()[1]
            self.servers.append(server)
        for server in rejected:
            server.close()
        return self.ports

    async def serve(self, c_reader, c_writer, shape: LinkShape, upstream: str) -> None:
        loop = asyncio.get_running_loop()
        opened = loop.time()
        self.connections += 1
        task = asyncio.current_task()
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        try:
            host, port = split_hostport(upstream)
            u_reader, u_writer = await asyncio.open_connection(host, port)
        except OSError:
            # The far node is down: the caller learns it a round trip later, as over a real link.
            await asyncio.sleep(2 * shape.delay_s)
            c_writer.close()
            return
        for w in (c_writer, u_writer):
            sock = w.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        forward = LinkClock(shape, opened)
        back = LinkClock(shape, opened, handshake=False)
        tasks = [asyncio.ensure_future(self.pipe(c_reader, u_writer, forward)),
                 asyncio.ensure_future(self.pipe(u_reader, c_writer, back))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for t in done:
                t.exception()  # a reset connection: both sides close below
        finally:
            for t in tasks:
                t.cancel()
            for w in (c_writer, u_writer):
                w.close()

    async def pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, clock: LinkClock) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(QUEUED_CHUNKS)

        async def read() -> None:
            try:
                while True:
                    data = await reader.read(CHUNK)
                    await queue.put((clock.due(loop.time(), len(data), self.rng.random), data))
                    if not data:
                        return
            except OSError:
                await queue.put((loop.time(), None))

        async def write() -> None:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:  # the sending side broke: so does the receiving side
                    writer.transport.abort()
                    return
                if not data:
                    if writer.can_write_eof():
                        with contextlib.suppress(OSError):
                            writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        reading = asyncio.ensure_future(read())
        try:
            await write()
        finally:
            reading.cancel()

    async def aclose(self) -> None:
        """Stop listening and end every connection."""
        for server in self.servers:
            server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def main_async(config: dict, ready: Path) -> None:
    relay = Relay(config["links"], int(config.get("seed", 1)), set(config.get("avoid", [])))
    ports = await relay.start()
    tmp = ready.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "ports": ports}))
    tmp.replace(ready)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await relay.aclose()


def raise_open_files_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m rilo_node.sim.relay CONFIG.json READY.json", file=sys.stderr)
        return 2
    raise_open_files_limit()
    config = json.loads(Path(argv[0]).read_text())
    asyncio.run(main_async(config, Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
