"""Every RPC the node serves, counted and logged: the access log and the RPC metrics.

One interceptor, outermost on the server (api/server.py), so that it also sees the calls the other
interceptors refuse. When a call ends it bumps `rilo_rpcs_total{method, code}` and writes one INFO
line on the logger `rilo_node.access`: the caller (the common name of its client certificate), the
method, the status code and the milliseconds it took. While the call runs, every log line of the
thread serving it carries that caller and method (node/logs.py).
"""

from __future__ import annotations

import logging
import threading
import time

import grpc

from rilo_node.node.logs import ACCESS_LOGGER, set_call
from rilo_node.node.metrics import NodeMetrics

access_log = logging.getLogger(ACCESS_LOGGER)

# The method label of a path no service of this node has (the path itself is the caller's to choose).
UNKNOWN_METHOD = "unknown"
MAX_SHOWN = 200


def caller_of(context, insecure: bool) -> str:
    """The CN of the caller's certificate (`client:de:national-system`, `node:fr`); "insecure:local"
    on a plaintext node; "" when there is none."""
    if insecure:
        return "insecure:local"
    try:
        names = (context.auth_context() or {}).get("x509_common_name") or []
    except Exception:  # noqa: BLE001 - no auth context: say nothing rather than fail the call
        return ""
    return names[0].decode("utf-8", "replace")[:MAX_SHOWN] if names else ""


class _Call:
    __slots__ = ("caller", "context", "done", "method", "started")

    def __init__(self, method: str, caller: str, context):
        self.method, self.caller, self.context = method, caller, context
        self.started = time.monotonic()
        self.done = False


class AccessLog(grpc.ServerInterceptor):
    """Counts and logs each call when it ends, unary or streaming, with its status code."""

    def __init__(self, metrics: NodeMetrics, *, insecure: bool = False):
        self.metrics = metrics
        self.insecure = insecure
        self._lock = threading.Lock()
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None:
            # grpc answers UNIMPLEMENTED; no handler runs, so there is no caller to read.
            self.metrics.rpc(UNKNOWN_METHOD, "UNIMPLEMENTED")
            access_log.info("%s UNIMPLEMENTED 0.0 ms", str(method)[:MAX_SHOWN],
                            extra={"method": str(method)[:MAX_SHOWN], "code": "UNIMPLEMENTED", "ms": 0.0})
            return None
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(handler, method.lstrip("/"))
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    # -- one call ------------------------------------------------------------------------

    def _begin(self, method: str, context) -> _Call:
        call = _Call(method, caller_of(context, self.insecure), context)
        set_call({"caller": call.caller, "method": method} if call.caller else {"method": method})
        # A call that ends before its handler does (cancelled, or a stream dropped before it was read)
        # is still counted once, when grpc terminates it.
        context.add_callback(lambda: self._end(call, closed=True, clear=False))
        return call

    def _end(self, call: _Call, *, failed: bool = False, closed: bool = False, clear: bool = True) -> None:
        if clear:
            set_call(None)
        with self._lock:
            if call.done:
                return
            call.done = True
        ms = round((time.monotonic() - call.started) * 1000, 1)
        code = call.context.code()
        if code is None:
            if closed:
                code = grpc.StatusCode.CANCELLED  # the stream was dropped before it ended
            elif failed:
                code = grpc.StatusCode.UNKNOWN if call.context.is_active() else grpc.StatusCode.CANCELLED
            else:
                code = grpc.StatusCode.OK
        name = code.name if isinstance(code, grpc.StatusCode) else str(code)
        self.metrics.rpc(call.method, name)
        fields = {"method": call.method, "code": name, "ms": ms}
        if call.caller:
            access_log.info("[caller=%s] %s %s %.1f ms", call.caller, call.method, name, ms,
                            extra={"caller": call.caller, **fields})
        else:
            access_log.info("%s %s %.1f ms", call.method, name, ms, extra=fields)

    def _unary_response(self, inner, method: str):
        def behaviour(request, context):
            call = self._begin(method, context)
            try:
                response = inner(request, context)
            except BaseException:
                self._end(call, failed=True)
                raise
            self._end(call)
            return response

        return behaviour

    def _stream_response(self, inner, method: str):
        def behaviour(request, context):
            call = self._begin(method, context)
            try:
                responses = iter(inner(request, context))
            except BaseException:
                self._end(call, failed=True)
                raise
            set_call(None)
            return self._streamed(call, responses)

        return behaviour

    def _streamed(self, call: _Call, responses):
        """The servicer's responses; the call ends when they do (or when grpc drops the stream)."""
        fields = {"caller": call.caller, "method": call.method} if call.caller else {"method": call.method}
        try:
            while True:
                set_call(fields)
                try:
                    item = next(responses)
                except StopIteration:
                    break
                set_call(None)
                yield item
        except GeneratorExit:
            self._end(call, closed=True)
            raise
        except BaseException:
            self._end(call, failed=True)
            raise
        self._end(call)

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        kwargs = {"request_deserializer": handler.request_deserializer,
                  "response_serializer": handler.response_serializer}
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(self._unary_response(handler.unary_unary, method), **kwargs)
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(self._stream_response(handler.unary_stream, method), **kwargs)
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(self._unary_response(handler.stream_unary, method), **kwargs)
        return grpc.stream_stream_rpc_method_handler(self._stream_response(handler.stream_stream, method), **kwargs)
