"""Node config: a frozen dataclass read from TOML, validated with exact messages."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from rilo_node.core.errors import ConfigError
from rilo_node.core.policy import HANDLING, SCOPES, PolicyDefaults
from rilo_node.store.db import SYNCHRONOUS

_LISTEN = re.compile(r"(?P<host>[^:\s]+):(?P<port>\d{1,5})")

# Every key a node config may hold, by table: unknown keys are refused, not ignored.
KEYS: dict[str, dict[str, str]] = {
    "node": {
        "id": "this node's id in the directory",
        "listen": "host:port to serve on (port 0 picks a free port)",
        "topology": "the directory file (regions, offices, members, addresses, keys)",
        "data_dir": "where the SQLite store lives",
        "insecure": "serve plaintext on 127.0.0.1 (development only)",
        "links": "simulated partitions file (written by `rilo-node cluster partition`)",
    },
    "tls": {
        "ca": "the network CA certificate (PEM)",
        "cert": "this node's certificate (PEM)",
        "key": "this node's TLS private key (PEM)",
    },
    "signing": {"key": "this node's Ed25519 record-signing key (PKCS#8 PEM)"},
    "store": {"synchronous": "SQLite synchronous setting: FULL (default, survives power loss), NORMAL, OFF, EXTRA"},
    "policy": {
        "share": "default share scope",
        "discover": "default discover scope",
        "annex": "default annex scope",
        "handling": "default handling code",
    },
    "requests": {
        "reminder_days": "remind the addressee this many days before a request's due date (default 3)",
        "check_every": "seconds between deadline checks: reminders and overdue notices (default 60)",
    },
    "stats": {
        "min_cell": "hide a group of fewer than this many own cases from askers outside this node's area, and "
                    "what would let it be subtracted out (docs/protocol.md#small-cell-protection); 0 hides "
                    "nothing (default 0)",
    },
    "validation": {
        "required": "a member's new seizures stay inside its region until its RILO validates them (default false)",
    },
    "retention": {
        "days": "retract own records older than this many days; 0 keeps them (default 0)",
        "check_every": "seconds between retention runs (default 3600)",
    },
    "metrics": {
        "listen": 'host:port of the Prometheus endpoint, plain HTTP (default 127.0.0.1:0, a free port); "off" or '
                  '"" serves none',
    },    "web": {
        "listen": 'host:port of the web interface, HTTPS with the node\'s certificate (docs/web.md); absent, "off" '
                  'or "" serves none (default)',
        "admin_totp": "admins must sign in with a TOTP code as well as their password (default true)",
    },
    "hitcheck": {
        "quota_per_day": "blind evaluations (hit/no-hit, one per identifier) answered to each asking node per UTC "
                         "day; the next is refused RESOURCE_EXHAUSTED (default 200)",
    },
    "limits": {
        "idle_stream_seconds": "cancel a stream that made no progress for this many seconds: a client that sends "
                               "nothing, a reader that reads nothing (default 120, at least 20)",
    },
}

# metrics.listen when the config says nothing: loopback only, a free port (serve.json says which).
METRICS_LISTEN = "127.0.0.1:0"


@dataclass(frozen=True)
class NodeConfig:
    path: Path
    node_id: str
    listen: str
    topology: Path
    data_dir: Path
    insecure: bool = False
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    signing_key: Path | None = None
    synchronous: str = "FULL"
    defaults: PolicyDefaults = field(default_factory=PolicyDefaults)
    links: Path | None = None
    reminder_days: int = 3
    deadline_check_every: float = 60.0
    validation_required: bool = False
    retention_days: int = 0
    retention_check_every: float = 3600.0
    metrics_listen: str | None = METRICS_LISTEN  # None: no metrics endpoint
    idle_stream_seconds: float = 120.0
    stats_min_cell: int = 0
    hitcheck_quota_per_day: int = 200
    web_listen: str | None = None  # None: no web interface
    web_admin_totp: bool = True

    @property
    def db_path(self) -> Path:
        return self.data_dir / "node.db"

    @property
    def runtime_path(self) -> Path:
        """Written by `serve`: the address actually bound and the process id."""
        return self.path.parent / "serve.json"

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_config(path: str | Path) -> NodeConfig:
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict, path: Path) -> NodeConfig:
    base = path.parent

    def fail(msg: str):
        raise ConfigError(f"{path}: {msg}")

    for table, value in data.items():
        if table not in KEYS:
            fail(f"unknown table [{table}] (expected one of {', '.join(KEYS)})")
        if not isinstance(value, dict):
            fail(f"[{table}] must be a table")
        for key in value:
            if key not in KEYS[table]:
                fail(f"unknown key {table}.{key} (expected one of {', '.join(KEYS[table])})")
    node = data.get("node", {})
    node_id = node.get("id")
    if not isinstance(node_id, str) or not node_id:
        fail("node.id is required")
    listen = node.get("listen", "127.0.0.1:0")
    if not isinstance(listen, str) or not _LISTEN.fullmatch(listen) or int(listen.rsplit(":", 1)[1]) > 65535:
        fail(f"node.listen {listen!r} is not host:port")
    insecure = node.get("insecure", False)
    if not isinstance(insecure, bool):
        fail("node.insecure must be true or false")
    if insecure and not listen.startswith("127.0.0.1:"):
        fail("node.insecure serves plaintext and so binds 127.0.0.1 only")

    def p(value, name: str, required: bool) -> Path | None:
        if value is None:
            if required:
                fail(f"{name} is required")
            return None
        if not isinstance(value, str):
            fail(f"{name} must be a path")
        return (base / value).resolve()

    tls = data.get("tls", {})
    signing = data.get("signing", {})
    store = data.get("store", {})
    synchronous = store.get("synchronous", "FULL")
    if synchronous not in SYNCHRONOUS:
        fail(f"store.synchronous {synchronous!r} is not one of {', '.join(SYNCHRONOUS)}")
    pol = data.get("policy", {})
    for key in ("share", "discover", "annex"):
        if key in pol and pol[key] not in SCOPES:
            fail(f"policy.{key} {pol[key]!r} is not one of {', '.join(SCOPES)}")
    if "handling" in pol and pol["handling"] not in HANDLING:
        fail(f"policy.handling {pol['handling']!r} is not one of {', '.join(HANDLING)}")
    defaults = PolicyDefaults(**{k: pol[k] for k in ("share", "discover", "annex", "handling") if k in pol})

    def number(table: str, key: str, default, *, minimum: float, maximum: float = 100 * 365 * 86400,
               integer: bool = True):
        value = data.get(table, {}).get(key, default)
        kind = int if integer else (int, float)
        if (isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) or value < minimum
                or value > maximum):
            fail(f"{table}.{key} must be {'a whole number' if integer else 'a number'} from {minimum:g} to "
                 f"{maximum:g}, not {value!r}")
        return value

    required = data.get("validation", {}).get("required", False)
    if not isinstance(required, bool):
        fail("validation.required must be true or false")
    metrics = data.get("metrics", {}).get("listen", METRICS_LISTEN)
    if metrics in ("", "off"):
        metrics = None
    elif not isinstance(metrics, str) or not _LISTEN.fullmatch(metrics) or int(metrics.rsplit(":", 1)[1]) > 65535:
        fail(f'metrics.listen {metrics!r} is not host:port, "off" or ""')
    elif metrics == listen and not metrics.endswith(":0"):
        fail(f"metrics.listen {metrics!r} is node.listen too: give the metrics endpoint a port of its own")
    web = data.get("web", {}).get("listen", "")
    if web in ("", "off"):
        web = None
    elif not isinstance(web, str) or not _LISTEN.fullmatch(web) or int(web.rsplit(":", 1)[1]) > 65535:
        fail(f'web.listen {web!r} is not host:port, "off" or ""')
    elif web == listen and not web.endswith(":0"):
        fail(f"web.listen {web!r} is node.listen too: give the web interface a port of its own")
    elif insecure and web is not None:
        fail("web.listen needs TLS: the web interface is not served by an insecure node")
    admin_totp = data.get("web", {}).get("admin_totp", True)
    if not isinstance(admin_totp, bool):
        fail("web.admin_totp must be true or false")
    return NodeConfig(
        path=path,
        node_id=node_id,
        listen=listen,
        topology=p(node.get("topology", "topology.toml"), "node.topology", True),
        data_dir=p(node.get("data_dir", "data"), "node.data_dir", True),
        insecure=insecure,
        tls_ca=p(tls.get("ca"), "tls.ca", not insecure),
        tls_cert=p(tls.get("cert"), "tls.cert", not insecure),
        tls_key=p(tls.get("key"), "tls.key", not insecure),
        signing_key=p(signing.get("key"), "signing.key", True),
        synchronous=synchronous,
        defaults=defaults,
        links=p(node.get("links", "links.json"), "node.links", False),
        reminder_days=number("requests", "reminder_days", 3, minimum=0, maximum=36_500),
        deadline_check_every=float(number("requests", "check_every", 60, minimum=0.1, integer=False)),
        validation_required=required,
        retention_days=number("retention", "days", 0, minimum=0, maximum=36_500),
        retention_check_every=float(number("retention", "check_every", 3600, minimum=1, integer=False)),
        metrics_listen=metrics,
        # At least 20: an asking node keeps its hit-check evaluation stream open 10 s unused (evaluate_streams.py).
        idle_stream_seconds=float(number("limits", "idle_stream_seconds", 120, minimum=20, maximum=86_400,
                                         integer=False)),
        stats_min_cell=number("stats", "min_cell", 0, minimum=0, maximum=1000),
        hitcheck_quota_per_day=number("hitcheck", "quota_per_day", 200, minimum=0, maximum=10_000_000),
        web_listen=web,
        web_admin_totp=admin_totp,
    )


_HEADER = "# RILO Net node configuration (see docs/operator-guide.md)\n"


def render_config(*, node_id: str, listen: str, insecure: bool = False, links: str | None = None) -> str:
    """The node.toml that `init` writes (paths relative to the config file)."""
    node = {"id": node_id, "listen": listen, "topology": "topology.toml", "data_dir": "data", "insecure": insecure}
    if links:
        node["links"] = links
    return _HEADER + tomli_w.dumps({
        "node": node,
        "tls": {"ca": "tls/ca.pem", "cert": "tls/node.pem", "key": "tls/node.key"},
        "signing": {"key": "keys/signing.key"},
        "store": {"synchronous": "FULL"},
        "policy": {"share": "REGION", "discover": "GLOBAL", "annex": "ORIGIN", "handling": "H0"},
        "requests": {"reminder_days": 3, "check_every": 60},
        "validation": {"required": False},
        "retention": {"days": 0, "check_every": 3600},
    })


def update_config(path: Path, settings: dict[str, dict]) -> None:
    """Set some keys of a node.toml, {table: {key: value}}, keeping the rest (comments aside)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for table, values in settings.items():
        data.setdefault(table, {}).update(values)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_HEADER + tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
