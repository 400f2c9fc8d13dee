"""The node's log as JSON lines (`serve --log-format json`), and who the RPC being served is for.

The code logs with prefixes, `logger.warning("[peer=%s] pull failed: %s", peer, why)`; the JSON
formatter turns each leading `[key=value]` into a field of its own (`"peer": "de"`), adds the fields
a call passed in `extra=`, and adds the caller and method of the RPC the line was logged for (the
access interceptor, rilo_node/api/access.py, sets them for the thread that serves it). Every line is
one JSON object on one line: json.dumps escapes control characters, and with ensure_ascii also the
Unicode line separators some readers split on.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

# The logger of the access log: one INFO line per RPC (caller, method, status code, ms).
ACCESS_LOGGER = "rilo_node.access"
LOG_FORMATS = ("text", "json")

# {"caller": ..., "method": ...} of the RPC this thread is serving, or None.
_CALL: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("rilo_call", default=None)
_PREFIX = re.compile(r"\[(\w+)=([^\]\s]*)\]\s*")
# What every LogRecord has; anything else on a record came in `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def set_call(fields: dict[str, str] | None) -> None:
    """The RPC this thread now serves (None: none). The access interceptor sets it and clears it."""
    _CALL.set(fields)


def current_call() -> dict[str, str] | None:
    return _CALL.get()


def split_prefixes(message: str) -> tuple[dict[str, str], str]:
    """`[peer=de] [query=01J] text` -> ({"peer": "de", "query": "01J"}, "text")."""
    fields: dict[str, str] = {}
    pos = 0
    while (m := _PREFIX.match(message, pos)) is not None:
        fields.setdefault(m.group(1), m.group(2))
        pos = m.end()
    return fields, message[pos:]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, the static fields (the node id), the prefix and
    `extra` fields, the current RPC's caller and method, msg, and exc/stack when there are any."""

    def __init__(self, static: dict[str, str] | None = None):
        super().__init__()
        self.static = dict(static or {})

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            **self.static,
        }
        try:
            message = record.getMessage()
        except Exception as exc:  # noqa: BLE001 - a bad format string still gives a line
            message = f"{record.msg!r} {record.args!r} ({type(exc).__name__})"
        fields, message = split_prefixes(message)
        out.update(fields)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        call = _CALL.get()
        if call:
            for key, value in call.items():
                out.setdefault(key, value)
        out["msg"] = message
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=True, default=str)


def use_json_logs(**static: str) -> None:
    """Every handler of the root logger writes JSON lines from now on (one on standard error if there
    is none); `static` fields go on every line."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter(static))


def enable_access_log() -> None:
    """Let the access log through at INFO whatever the level of the rest."""
    access = logging.getLogger(ACCESS_LOGGER)
    if access.getEffectiveLevel() > logging.INFO:
        access.setLevel(logging.INFO)
