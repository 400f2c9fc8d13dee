"""The one catalogue that turns package errors into gRPC status codes."""

from __future__ import annotations

import functools
import logging

import grpc
from google.protobuf.message import DecodeError

from rilo_node.core import errors
from rilo_node.node.records import ConflictError

logger = logging.getLogger(__name__)

# The offending field travels in trailing metadata too, for clients that want it without parsing.
FIELD_METADATA_KEY = "rilo-field"

STATUS: list[tuple[type[BaseException], grpc.StatusCode]] = [
    (errors.ValidationError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (errors.NotFoundError, grpc.StatusCode.NOT_FOUND),
    (ConflictError, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (errors.NotEntitledError, grpc.StatusCode.PERMISSION_DENIED),
    (errors.SignatureError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.BusyError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.QuotaExceededError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.UnavailableError, grpc.StatusCode.UNAVAILABLE),
]
# How long a caller told RESOURCE_EXHAUSTED should wait: the trailer grpc's own retry policy honours.
RETRY_PUSHBACK_KEY = "grpc-retry-pushback-ms"


def status_for(exc: BaseException) -> grpc.StatusCode:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return grpc.StatusCode.INTERNAL


def describe(exc: BaseException) -> tuple[grpc.StatusCode, str, str]:
    """(code, field, message) for an error; internal errors say little and are logged."""
    code = status_for(exc)
    if code == grpc.StatusCode.INTERNAL:
        logger.exception("internal error", exc_info=exc)
        return code, "", f"internal error: {type(exc).__name__}"
    field = getattr(exc, "field", "") or ""
    return code, field, str(exc)


def grpc_errors(method):
    """Translate package errors raised by a unary or server-streaming handler into statuses."""

    @functools.wraps(method)
    def wrapper(self, request, context):
        try:
            result = method(self, request, context)
            if hasattr(result, "__next__"):
                return _stream(result, context)
            return result
        except grpc.RpcError:
            raise
        except Exception as exc:  # noqa: BLE001 - every error leaves as a status
            _abort(context, exc)

    return wrapper


def _stream(gen, context):
    try:
        yield from gen
    except grpc.RpcError:
        raise
    except Exception as exc:  # noqa: BLE001
        _abort(context, exc)


def _abort(context, exc: BaseException):
    code, field, message = describe(exc)
    trailers = []
    if field:
        trailers.append((FIELD_METADATA_KEY, field))
    if isinstance(exc, errors.BusyError):
        trailers.append((RETRY_PUSHBACK_KEY, str(exc.retry_after_ms)))
    if trailers:
        context.set_trailing_metadata(tuple(trailers))
    context.abort(code, message)


# -- requests whose bytes are not a message of the RPC's request type ----------------------
#
# grpc's sync server runs the request deserializer itself: when it raises, grpc logs "Exception
# deserializing request!" with a traceback and answers INTERNAL, before any servicer runs. The
# interceptor below gives every method of the server a deserializer that turns DecodeError (bad wire
# format, a string field with invalid UTF-8) into a Malformed marker, and a behaviour that answers
# the marker with INVALID_ARGUMENT naming the message type, logging one line. Unary and streaming
# requests alike; in a stream, the messages before the bad one have reached the servicer already.


class Malformed:
    """Stands for a request message that did not parse."""

    __slots__ = ("reason", "type_name")

    def __init__(self, type_name: str, reason: str):
        self.type_name, self.reason = type_name, reason

    @property
    def message(self) -> str:
        return f"{self.type_name}: the bytes are not a valid message"


def _type_name(deserializer) -> str:
    cls = getattr(deserializer, "__self__", None)  # Message.FromString, as the generated code passes it
    descriptor = getattr(cls, "DESCRIPTOR", None)
    return getattr(descriptor, "full_name", "") or "the request"


def lenient_deserializer(deserializer):
    """`deserializer`, returning a Malformed marker instead of raising DecodeError."""
    type_name = _type_name(deserializer)

    def deserialize(data: bytes):
        try:
            return deserializer(data)
        except DecodeError as exc:
            # upb says "Error parsing message with type 'rilo.v1.X': <reason>"; the type is named already.
            return Malformed(type_name, str(exc).rsplit("': ", 1)[-1])

    return deserialize


class _Refusal:
    """One call's refusal: logged once, however often the call's code passes through it."""

    __slots__ = ("bad", "method")

    def __init__(self, method: str):
        self.method, self.bad = method, None

    def refuse(self, context, bad: Malformed):
        if self.bad is None:
            self.bad = bad
            logger.warning("[rpc=%s] refused from %s: %s (%s)", self.method, context.peer(), bad.message, bad.reason)
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, self.bad.message)

    def check(self, requests, context):
        for request in requests:
            if isinstance(request, Malformed):
                self.refuse(context, request)
            yield request

    def guard(self, responses, context):
        """The servicer's response stream, still answering INVALID_ARGUMENT if it swallowed the refusal."""
        try:
            yield from responses
        except Exception:
            if self.bad is not None:
                self.refuse(context, self.bad)
            raise
        if self.bad is not None:
            self.refuse(context, self.bad)


def refuse_malformed(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    """`handler` with a lenient deserializer and a behaviour that refuses what did not parse."""
    if handler.request_deserializer is None:
        return handler
    deserializer = lenient_deserializer(handler.request_deserializer)
    serializer = handler.response_serializer
    if not handler.request_streaming:
        inner = handler.unary_stream if handler.response_streaming else handler.unary_unary

        def unary(request, context):
            if isinstance(request, Malformed):
                _Refusal(method).refuse(context, request)
            return inner(request, context)

        make = grpc.unary_stream_rpc_method_handler if handler.response_streaming else grpc.unary_unary_rpc_method_handler
        return make(unary, request_deserializer=deserializer, response_serializer=serializer)
    if handler.response_streaming:
        inner_ss = handler.stream_stream

        def stream_stream(requests, context):
            refusal = _Refusal(method)
            return refusal.guard(inner_ss(refusal.check(requests, context), context), context)

        return grpc.stream_stream_rpc_method_handler(stream_stream, request_deserializer=deserializer,
                                                     response_serializer=serializer)
    inner_su = handler.stream_unary

    def stream_unary(requests, context):
        refusal = _Refusal(method)
        try:
            response = inner_su(refusal.check(requests, context), context)
        except Exception:
            if refusal.bad is not None:
                refusal.refuse(context, refusal.bad)
            raise
        if refusal.bad is not None:
            refusal.refuse(context, refusal.bad)
        return response

    return grpc.stream_unary_rpc_method_handler(stream_unary, request_deserializer=deserializer,
                                                response_serializer=serializer)


class MalformedRequests(grpc.ServerInterceptor):
    """Every method of the server refuses bytes that are not its request type with INVALID_ARGUMENT."""

    def __init__(self):
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = refuse_malformed(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped
