"""Serve the web application from the node process: uvicorn on a thread of its own with its own event
loop, HTTPS with the node's certificate and key (the CA is the network's). Started after the node's gRPC
server by rilo_node.api.server.serve (or a test), stopped before it."""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)


# asyncio gives each TLS connection a 256 KiB buffer (asyncio.sslproto.SSLProtocol.max_size), filled with
# zeros, so resident: 200 open event streams would hold 50 MiB of it. A TLS record holds at most 16 KiB of
# data; 32 KiB reads whole records. This node process has no other asyncio TLS.
TLS_BUFFER = 32 * 1024


class WebSite:
    """The running web interface of one node: `url`, and stop()."""

    def __init__(self, node, listen: str | None = None):
        import uvicorn

        from rilo_node.web.app import Services, create_app

        config = node.config
        listen = listen or config.web_listen
        host, port = listen.rsplit(":", 1)
        self.services = Services.of_node(node)
        self.app = create_app(self.services)
        self.config = uvicorn.Config(
            self.app, host=host, port=int(port), ssl_certfile=str(config.tls_cert), ssl_keyfile=str(config.tls_key),
            log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2,
            server_header=False, proxy_headers=False, ws="none")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name=f"web-{config.node_id}", daemon=True)
        self.node_id = config.node_id
        self.host = host
        self.port = 0

    def start(self, timeout: float = 10.0) -> WebSite:
        import asyncio.sslproto

        asyncio.sslproto.SSLProtocol.max_size = TLS_BUFFER
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the web interface could not listen on {self.config.host}:{self.config.port} "
                                   "(in use?)")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        logger.info("[node=%s] web interface on %s", self.node_id, self.url)
        return self

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def stop(self) -> None:
        live = getattr(getattr(self.app, "app", None), "state", None)
        if live is not None and hasattr(live, "live"):
            live.live.close()  # the event streams end, so the shutdown need not wait for them
            live.hashing.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_web(node) -> WebSite:
    """Start the web interface of a node whose `[web] listen` is set."""
    return WebSite(node).start()
