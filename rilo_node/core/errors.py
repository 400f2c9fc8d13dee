"""One base error and small named subclasses; grpc_api maps each to one status code."""

from __future__ import annotations


class RiloError(Exception):
    """Base of every error this package raises on purpose."""


class ValidationError(RiloError):
    """Bad input. `field` names the offending field (dotted path, e.g. ``items[0].category``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class PolicyError(ValidationError):
    """A sharing policy that is unknown, malformed or names an unknown node."""


class TopologyError(RiloError):
    """A topology file that cannot be used; the message names the line and the reason."""


class ConfigError(RiloError):
    """A node config file that cannot be used."""


class SignatureError(RiloError):
    """A signed record whose signature, key or hashes do not verify."""


class NotEntitledError(RiloError):
    """A record offered to, or requested by, a node that its policy does not entitle."""


class AlreadyExistsError(RiloError):
    """A record id reused with other content; a correction must be an explicit update."""


class NotFoundError(RiloError):
    """No such record."""


class PermissionDeniedError(RiloError):
    """The caller's certificate does not allow this call."""


class UnavailableError(RiloError):
    """Not now: a link is cut, or the node is catching up after a restore; the caller may try again."""


class QuotaExceededError(RiloError):
    """A caller's allowance for a period is spent (a hit-check quota per UTC day): trying again soon will not help."""


class BusyError(RiloError):
    """Too many calls at once from one caller: it may try again after `retry_after_ms`."""

    def __init__(self, message: str, retry_after_ms: int = 250):
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class CliError(Exception):
    """A command-line failure: the message for stderr and the exit code (1, or 2 for bad input).

    Defined here, not in the cli module, so that `python -m rilo_node.cli` (where that module runs as
    __main__) and the command modules it loads share one class.
    """

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code
