"""Every caller's share of the node: at most so many calls and streams at once per certificate.

The node has one pool of worker threads (api/server.py). A call holds a worker while it runs, and a
stream for as long as it stays open, however slowly its caller sends or reads. Without a bound per
caller, one client that opens streams and never sends holds every worker, and health checks, peers and
every other caller wait. A call over its caller's share is refused at once with RESOURCE_EXHAUSTED and
a retry-after; it takes no worker for longer than that. Health checks are never counted.
"""

from __future__ import annotations

import logging

import grpc

from rilo_node.api.errors import RETRY_PUSHBACK_KEY
from rilo_node.core.errors import BusyError
from rilo_node.core.identity import Identity
from rilo_node.node.quota import Quota

logger = logging.getLogger(__name__)

# A national system needs a few calls at once (an import stream, a search, a status); a peer node keeps a
# feed open, delivers, relays queries (at most 8 per peer: node/query.py) and runs anti-entropy.
CALLS_PER_CLIENT = 8
CALLS_PER_PEER_NODE = 24
UNCOUNTED = ("/grpc.health.v1.Health/Check",)


def caller_key(context) -> str:
    auth = context.auth_context() or {}
    names = auth.get("x509_common_name") or []
    ident = Identity.parse(names[0].decode()) if names else None
    return str(ident) if ident is not None else f"peer:{context.peer()}"


class CallerShares(grpc.ServerInterceptor):
    """Counts each call, unary or streaming, against its caller's share until it ends."""

    def __init__(self, per_client: int = CALLS_PER_CLIENT, per_node: int = CALLS_PER_PEER_NODE):
        self.clients = Quota(per_client, "calls")
        self.nodes = Quota(per_node, "calls")
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method in UNCOUNTED:
            return handler
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(handler)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def _hold(self, context):
        key = caller_key(context)
        return (self.nodes if key.startswith("node:") else self.clients).hold(key)

    def _refuse(self, context, exc: BusyError):
        logger.warning("[caller=%s] refused: %s", caller_key(context), exc)
        context.set_trailing_metadata(((RETRY_PUSHBACK_KEY, str(exc.retry_after_ms)),))
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))

    def _wrap(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        shares = self
        kwargs = {"request_deserializer": handler.request_deserializer,
                  "response_serializer": handler.response_serializer}

        def call(inner):
            def behaviour(request, context):
                try:
                    hold = shares._hold(context)
                    hold.__enter__()
                except BusyError as exc:
                    shares._refuse(context, exc)
                try:
                    return inner(request, context)
                finally:
                    hold.__exit__(None, None, None)
            return behaviour

        def stream(inner):
            def behaviour(request, context):
                try:
                    hold = shares._hold(context)
                    hold.__enter__()
                except BusyError as exc:
                    shares._refuse(context, exc)
                try:
                    yield from inner(request, context)
                finally:
                    hold.__exit__(None, None, None)
            return behaviour

        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(call(handler.unary_unary), **kwargs)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(stream(handler.unary_stream), **kwargs)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(call(handler.stream_unary), **kwargs)
        return grpc.stream_stream_rpc_method_handler(stream(handler.stream_stream), **kwargs)
