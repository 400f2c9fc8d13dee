"""The one catalogue that turns package errors into gRPC status codes."""

from __future__ import annotations

import functools
import logging

import grpc

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
]


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
    if field:
        context.set_trailing_metadata(((FIELD_METADATA_KEY, field),))
    context.abort(code, message)
